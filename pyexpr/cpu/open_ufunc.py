"""Generalized numpy ufuncs of formulas over vectors of any length (``OpenFormula.ufunc``).

The signature names each vector's length after its Symbol: ``rosen`` is
``(n)->()``, its gradient ``(n)->(n)``, ``nll(mu, sigma, data)`` is
``(),(),(n)->()``, ``A @ x - b`` is ``(m_A,n_A),(n_A),(m_A)->(m_A)``.  The
inner loop (``void loop(char **args, npy_intp *dims, npy_intp *steps, void
*data)``) is LLVM IR made here per formula and dtype: for each point of the
loop dimensions it gathers the numbers, points at each vector (copying it
into a scratch buffer where numpy's core stride is not the item size), and
calls the formula's compiled ``loops`` function (``codegen.loop_ir``), then
places the result.  Where that function reports a read outside a vector, or
a vector is shorter than the formula's cases hold for (``LoopProgram.minimum``,
where a call computes the formula written out), the result is nan and the
floating-point invalid flag is raised, so numpy warns ("invalid value
encountered"): numpy's own convention inside ufunc loops, which cannot raise.
"""
import ctypes

import numpy as np
import sympy
from llvmlite import ir

from . import ufunc as ufuncs
from .build import engine
from .codegen.context import I64
from .build.loading import load

I8P = ir.IntType(8).as_pointer()
#: the name the loop calls the formula's compiled ``loops`` function by
_TARGET = "pyexpr_gufunc_target"
#: FE_INVALID on x86-64 (glibc's fenv.h)
FE_INVALID = 1


def signature(formula):
    """The gufunc signature text, or ``ValueError`` where numpy's cannot express it."""
    def dims(length):
        if length is None:
            return "()"
        if isinstance(length, int):
            return f"({length})"
        names = length if isinstance(length, tuple) else (length,)
        return "(" + ",".join(str(d) for d in names) + ")"
    inputs = ",".join(dims(k) for _, k in formula.signature)
    shape = _out_shape(formula)
    for d in shape:
        if not (getattr(d, "is_Symbol", False) or getattr(d, "is_Integer", False) or isinstance(d, int)):
            raise ValueError(f"{formula.name}: its output has a dimension of {d}, which a numpy "
                             "signature cannot name (only an argument's own length); call it")
    return f"{inputs}->({','.join(map(str, shape))})"


def make(formula, kernel_for):
    """The numpy gufunc of ``formula`` (float32 and float64 loops)."""
    text = signature(formula)
    names, entries = [], []
    for dtype in ufuncs.DTYPES:
        kernel = kernel_for(dtype)
        data = [np.ascontiguousarray(a, dtype=dtype) for a in formula._data(np.dtype(dtype))]
        module, name = _loop_module(formula, dtype, kernel, data)
        _, obj = engine.compile_ir(str(module), opt=2, vectorize=False)
        # the formula's compiled loops, by address: an external symbol of this module
        code = load(obj, {_TARGET: ctypes.cast(kernel._function, ctypes.c_void_p).value})
        entries.append((code, kernel, data))
        names.append(code.address(name))
    nargs = len(formula.signature) + 1
    funcs = (ctypes.c_void_p * len(names))(*names)
    data = (ctypes.c_void_p * len(names))(*[None] * len(names))
    types = (ctypes.c_char * (nargs * len(names)))(*[bytes([np.dtype(d).num]) for d in ufuncs.DTYPES
                                                     for _ in range(nargs)])
    kept = (formula.name.encode(), str(formula).encode(), text.encode())
    result = ufuncs._from_func_and_data_and_signature()(
        ctypes.addressof(funcs), ctypes.addressof(data), ctypes.addressof(types), len(names),
        nargs - 1, 1, ufuncs._NO_IDENTITY, *kept[:2], 0, kept[2])
    ufuncs._KEPT.append((entries, funcs, data, types, kept))
    return result


class _Operands:
    """Where each operand's core dimensions and core steps are in numpy's ``dims`` and
    ``steps``: core dimensions numbered by first appearance in the signature (fixed ones
    too, one number per distinct size), each
    operand's core steps after the ``nargs`` outer steps, in operand order."""

    def __init__(self, formula):
        self.nargs = len(formula.signature) + 1
        self.dim_of, self.core = {}, []
        step = self.nargs
        shapes = [_shape(k) for _, k in formula.signature] + [_out_shape(formula)]
        for shape in shapes:
            entry = []
            for d in shape:
                # numpy numbers every distinct dimension, a fixed one ("3") too
                self.dim_of.setdefault(str(d), len(self.dim_of))
                entry.append((d, step))
                step += 1
            self.core.append(entry)


def _shape(length):
    if length is None:
        return ()
    return length if isinstance(length, tuple) else (length,)


def _out_shape(formula):
    """The output's core dimensions as the signature names them: a length the data fixes is
    a number in the formula's shape and the input's Symbol here (the same dimension)."""
    if formula.index is None:
        return tuple(formula.out_shape)
    fixed = {v: name for name, v in formula.exact}
    own = formula.out_shape if formula.column is not None else formula.out_shape[:1]
    named = tuple(sympy.Symbol(fixed[int(d)]) if getattr(d, "is_Integer", False) and int(d) in fixed else d
                  for d in own)
    return named + tuple(formula.out_shape[len(own):])


def _loop_module(formula, dtype, kernel, data):
    from .codegen.context import Context, function
    lp = kernel.program
    module = ir.Module(name=f"pyexpr_{formula.name}_gufunc_{dtype}")
    c = Context(module, dtype, False)
    name = f"pyexpr_{formula.name}_gufunc_{dtype}"
    fn, b = function(c, name, ir.VoidType(), [I8P.as_pointer(), I64.as_pointer(), I64.as_pointer(), I8P])
    args, dims, steps, _ = fn.args
    g = _Loop(c, b, formula, lp, kernel, data, dims, steps, args)
    g.emit()
    b.ret_void()
    return module, name


class _Loop:
    def __init__(self, c, b, formula, lp, kernel, data, dims, steps, args):
        self.c, self.b, self.formula, self.lp, self.kernel = c, b, formula, lp, kernel
        self.data, self.dims_ptr, self.steps_ptr, self.args_ptr = data, dims, steps, args
        self.ops = _Operands(formula)
        self.size = ir.Constant(I64, c.itemsize)

    def i64(self, k):
        return ir.Constant(I64, k)

    def dim(self, d):
        if isinstance(d, int):
            return self.i64(d)
        return self.b.load(self.b.gep(self.dims_ptr, [self.i64(1 + self.ops.dim_of[str(d)])]))

    def step(self, k):
        return self.b.load(self.b.gep(self.steps_ptr, [self.i64(k)]))

    def element(self, base, offset):
        """The ``T*`` at byte ``offset`` from ``base``."""
        b = self.b
        return b.bitcast(b.gep(base, [offset]), self.c.fptr)

    def emit(self):
        from .codegen.context import for_range
        b, c = self.b, self.c
        count = b.load(self.dims_ptr)
        declare = c.declare
        malloc = declare("malloc", I8P, [I64])
        free = declare("free", ir.VoidType(), [I8P])
        n_scalars = max(len(self.lp.scalar_names), 1)
        scalars = b.bitcast(b.alloca(ir.ArrayType(c.ftype, n_scalars)), c.fptr)
        n_vectors = len(self.lp.vector_names)
        pointers = b.bitcast(b.alloca(ir.ArrayType(I8P, max(n_vectors, 1))), I8P.as_pointer())
        lengths = b.bitcast(b.alloca(ir.ArrayType(I64, max(self.lp.slot_count, 1))), I64.as_pointer())
        # one scratch buffer per vector operand and for the output, as large as the core
        sizes = [self._elements(entry) for entry in self.ops.core]
        scratch = [b.call(malloc, [b.mul(n, self.size)]) if n is not None else None for n in sizes]
        allocated = [s for s in scratch if s is not None]
        if scratch[-1] is None:                           # a number out: one slot
            scratch[-1] = b.bitcast(b.alloca(c.ftype), I8P)
        self.choice = b.alloca(I8P)                       # where a vector's core is, per point
        for_range(b, count, lambda t: self._point(t, scalars, pointers, lengths, scratch, sizes), name="points")
        for buffer in allocated:
            b.call(free, [buffer])

    def _elements(self, entry):
        """The number of elements of an operand's core (None for a number)."""
        if not entry:
            return None
        total = self.i64(1)
        for d, _ in entry:
            total = self.b.mul(total, self.dim(d))
        return total

    def _point(self, t, scalars, pointers, lengths, scratch, sizes):
        b, c = self.b, self.c
        s_index, v_index, slot = 0, 0, 0
        for a, ((name, length), entry) in enumerate(zip(self.formula.signature, self.ops.core)):
            base = b.gep(b.load(b.gep(self.args_ptr, [self.i64(a)])), [b.mul(t, self.step(a))])
            if length is None:
                b.store(b.load(b.bitcast(base, c.fptr)), b.gep(scalars, [self.i64(s_index)]))
                s_index += 1
            elif isinstance(length, int):
                (_, core_step), = entry
                stride = self.step(core_step)
                for k in range(length):
                    value = b.load(self.element(base, b.mul(self.i64(k), stride)))
                    b.store(value, b.gep(scalars, [self.i64(s_index)]))
                    s_index += 1
            else:
                ptr = self._contiguous(base, entry, scratch[a])
                b.store(ptr, b.gep(pointers, [self.i64(v_index)]))
                v_index += 1
                for d, _ in entry:
                    b.store(self.dim(d), b.gep(lengths, [self.i64(slot)]))
                    slot += 1
        for k, array in enumerate(self.data):             # the formula's data, after the arguments
            address = ir.Constant(I64, array.ctypes.data).inttoptr(I8P)
            b.store(address, b.gep(pointers, [self.i64(v_index)]))
            v_index += 1
            for d in array.shape:
                b.store(self.i64(d), b.gep(lengths, [self.i64(slot)]))
                slot += 1
        out_entry = self.ops.core[-1]
        out_base = b.gep(b.load(b.gep(self.args_ptr, [self.i64(self.ops.nargs - 1)])),
                         [b.mul(t, self.step(self.ops.nargs - 1))])
        out = scratch[-1]
        status = self._call(scalars, pointers, lengths, out)
        self._fail_as_nan(status, lengths, out, sizes[-1])
        self._place(out, out_base, out_entry)

    def _contiguous(self, base, entry, buffer):
        """A pointer to the operand's core in row-major order: ``base`` where numpy's core
        steps already are, else a copy in ``buffer``."""
        b = self.b
        shape = [self.dim(d) for d, _ in entry]
        strides = [self.step(s) for _, s in entry]
        expected, dense = self.size, ir.Constant(ir.IntType(1), 1)
        for extent, stride in reversed(list(zip(shape, strides))):
            dense = b.and_(dense, b.icmp_signed("==", stride, expected))
            expected = b.mul(expected, extent)
        result = self.choice
        b.store(base, result)
        with b.if_then(b.not_(dense)):
            self._copy(base, strides, buffer, shape, into_buffer=True)
            b.store(buffer, result)
        return b.load(result)

    def _copy(self, strided, strides, dense, shape, into_buffer):
        """Copy between a strided core (numpy's) and its row-major buffer, either way."""
        from .codegen.context import for_range
        b = self.b
        if len(shape) == 1:
            shape, strides = [self.i64(1)] + shape, [self.i64(0)] + strides
        cols = shape[1]

        def row(r):
            def col(k):
                far = self.element(strided, b.add(b.mul(r, strides[0]), b.mul(k, strides[1])))
                near = self.element(dense, b.mul(b.add(b.mul(r, cols), k), self.size))
                src, dst = (far, near) if into_buffer else (near, far)
                b.store(b.load(src), dst)
            for_range(b, cols, col, name="copy.col")
        for_range(b, shape[0], row, name="copy.row")

    def _call(self, scalars, pointers, lengths, out):
        b, c = self.b, self.c
        target = c.declare(_TARGET, I64, [c.fptr, I8P.as_pointer(), I64.as_pointer(), c.fptr])
        return b.call(target, [scalars, pointers, lengths, b.bitcast(out, c.fptr)])

    def _fail_as_nan(self, status, lengths, out, elements):
        """nan results and the invalid flag where the call failed or a length is below the
        formula's cases."""
        from .codegen.context import for_range
        b, c = self.b, self.c
        failed = b.icmp_signed("!=", status, self.i64(0))
        for slot, least in self.lp.minimum:
            have = b.load(b.gep(lengths, [self.i64(slot)]))
            failed = b.or_(failed, b.icmp_signed("<", have, self.i64(least)))
        for slot, value in self.formula.exact_slots():                # a length data fixes, not met
            failed = b.or_(failed, b.icmp_signed("!=", b.load(b.gep(lengths, [self.i64(slot)])), self.i64(value)))
        for slot, modulus, residues in self.formula.step_slots():     # a length the code does not run at
            rest = b.srem(b.load(b.gep(lengths, [self.i64(slot)])), self.i64(modulus))
            outside = ir.Constant(ir.IntType(1), 1)
            for r in residues:
                outside = b.and_(outside, b.icmp_signed("!=", rest, self.i64(r)))
            failed = b.or_(failed, outside)
        raise_ = c.declare("feraiseexcept", ir.IntType(32), [ir.IntType(32)])
        with b.if_then(failed, likely=False):
            nan = ir.Constant(c.ftype, float("nan"))
            target = b.bitcast(out, c.fptr)
            total = elements if elements is not None else self.i64(1)
            for_range(b, total, lambda k: b.store(nan, b.gep(target, [k])), name="nan")
            b.call(raise_, [ir.Constant(ir.IntType(32), FE_INVALID)])

    def _place(self, out, out_base, entry):
        b, c = self.b, self.c
        if not entry:
            b.store(b.load(b.bitcast(out, c.fptr)), b.bitcast(out_base, c.fptr))
            return
        shape = [self.dim(d) for d, _ in entry]
        strides = [self.step(s) for _, s in entry]
        self._copy(out_base, strides, out, shape, into_buffer=False)
