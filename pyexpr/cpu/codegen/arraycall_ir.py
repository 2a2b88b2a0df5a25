"""The IR of the fast array call: a CPython builtin's code for small numpy arrays.

``define_entry(module, contig, array, n_args, dtype, name)`` adds to a kernel's
(optimized) array module a function with CPython's ``METH_FASTCALL |
METH_KEYWORDS`` signature that handles the calls numpy users make most, in
machine code: ``n_args`` positional arguments, each an exact ``numpy.ndarray``
of the kernel's dtype, C-contiguous, all of one shape with at least one
dimension and fewer than ``abi.ARRAY_MAX_SIZE`` elements, or a number the
float entry reads (``abi.SCALAR_KINDS``: a Python float beside arrays, as
``solve_ivp(..., vectorized=True)`` passes ``t``), at least one of them an
array; and optionally ``out=``, an array of that shape and dtype that shares
no memory with the arguments.  Without ``out=`` it allocates the result with
``numpy.empty_like`` on the first array (checking that an array like the
arguments came back).  All arrays: the program's contiguous loop; with a
number: the array kernel, the number's stride 0 (its blocked path, as the
general path runs it).  Either releases the GIL from ``abi.GIL_SIZE``
elements on.  The same code, hence the same bits, as the general path.  Any
other call goes unchanged to the builtin's ``self`` through
``PyObject_Vectorcall``.  It reads numpy's array struct at
``abi.ARRAY_OFFSETS``; ``runtime.arraycall`` checks that layout in this
process and gives the objects the code refers to.
"""
from llvmlite import ir

from ..abi import (ARRAY_API, ARRAY_MAX_SIZE, ARRAY_OFFSETS, C_CONTIGUOUS, GIL_SIZE, TUPLE_OFFSETS, WRITEABLE,
                   array_symbols)
from .objects_ir import float_api, number_kinds, number_value

I1, I8, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
OBJ = I8.as_pointer()
SIGNATURE = ir.FunctionType(OBJ, [OBJ, OBJ.as_pointer(), I64, OBJ])


def define_entry(module, contig, array, n_args, dtype, name):
    """Define the builtin's function ``name`` in ``module``; ``contig(i64 len, T *in..., T *out)``,
    ``array(i64 rows, i64 cols, i64 *ptrs, i64 *strides)``."""
    e = _Emitter(module, ir.Function(module, SIGNATURE, name), contig.args[1].type, dtype, n_args)
    fallback, args, nargs, kwnames = e.entry.args
    b = e.b
    out_given = b.icmp_unsigned("!=", kwnames, ir.Constant(OBJ, None))
    e.require(b.icmp_unsigned("==", nargs, ir.Constant(I64, n_args)), "arity")
    with b.if_then(out_given):                  # (kwnames is NULL without keywords)
        e.require(e.only_out(kwnames), "keywords")
    for i in range(n_args):
        e.operand(b.load(b.gep(args, [ir.Constant(I64, i)])), i)
    first = b.load(e.first)
    e.require(b.icmp_unsigned("!=", first, ir.Constant(OBJ, None)), "an_array")
    nd = e.field(first, "nd", I32)
    dims = e.field(first, "dims", I64.as_pointer())
    size = e.same_shape_size([dims], b.sext(nd, I64), e.slow)
    e.require(b.icmp_signed("<", size, ir.Constant(I64, ARRAY_MAX_SIZE)), "small")
    out = e.result(out_given, args, first, nd, dims, size)
    e.set_operand(n_args, b.ptrtoint(e.field(out, "data", OBJ), I64), e.itemsize)
    with b.if_else(b.load(e.numbers)) as (mixed, arrays):
        with mixed:
            e.without_gil(size, lambda: b.call(array, [ir.Constant(I64, 1), size, e.ptrs, e.strides]))
        with arrays:
            pointers = [b.inttoptr(e.operand_address(j), e.real_ptr) for j in range(n_args + 1)]
            e.without_gil(size, lambda: b.call(contig, [size] + pointers))
    b.ret(out)
    b.position_at_end(e.slow)
    b.ret(b.call(e.vectorcall, [fallback, args, nargs, kwnames]))
    return e.entry


class _Emitter:
    """The entry being built: its builder, the block every declined call goes to, the
    operands' addresses and strides (the array kernel's tables), and the objects and
    functions it refers to."""

    def __init__(self, module, entry, real_ptr, dtype, n_args):
        self.module, self.entry, self.real_ptr, self.n_args = module, entry, real_ptr, n_args
        self.real = real_ptr.pointee
        self.itemsize = 8 if isinstance(self.real, ir.DoubleType) else 4
        names = array_symbols(dtype)
        self.array_type = ir.GlobalVariable(module, I8, names["array_type"])
        self.descr = ir.GlobalVariable(module, I8, names["descr"])
        self.empty_like = ir.GlobalVariable(module, I8, names["empty_like"])
        self.out_name = ir.GlobalVariable(module, I8, names["out_name"])
        self.numbers_api = float_api(module)
        self.vectorcall = self.numbers_api["PyObject_Vectorcall"]
        self.api = {n: module.globals.get(n) or ir.Function(module, t, n) for n, t in zip(ARRAY_API, (
            ir.FunctionType(ir.VoidType(), [OBJ]), ir.FunctionType(OBJ, []),
            ir.FunctionType(ir.VoidType(), [OBJ]), ir.FunctionType(ir.VoidType(), [OBJ])))}
        self.kinds = number_kinds(module, self.itemsize == 8)
        self.b = b = ir.IRBuilder(entry.append_basic_block("check"))
        self.slow = entry.append_basic_block("slow")
        k = n_args + 1                  # the arguments, then the result
        self.ptrs, self.strides = b.alloca(I64, k, name="ptrs"), b.alloca(I64, 2 * k, name="strides")
        self.first, self.numbers = b.alloca(OBJ, name="first"), b.alloca(I1, name="numbers")
        self.like = b.alloca(OBJ, name="like")          # empty_like's one argument
        self.slots = [b.alloca(self.real, name=f"number{i}") for i in range(n_args)]
        for j in range(2 * k):          # row strides stay 0: one row
            b.store(ir.Constant(I64, 0), b.gep(self.strides, [ir.Constant(I64, j)]))
        b.store(ir.Constant(OBJ, None), self.first)
        b.store(ir.Constant(I1, 0), self.numbers)

    def set_operand(self, j, address, stride):
        b = self.b
        b.store(address, b.gep(self.ptrs, [ir.Constant(I64, j)]))
        b.store(ir.Constant(I64, stride), b.gep(self.strides, [ir.Constant(I64, j)]))

    def operand_address(self, j):
        return self.b.load(self.b.gep(self.ptrs, [ir.Constant(I64, j)]))

    def field(self, item, key, kind):
        b = self.b
        return b.load(b.bitcast(b.gep(item, [ir.Constant(I64, ARRAY_OFFSETS[key])]), kind.as_pointer()))

    def require(self, condition, label, otherwise=None):
        block = self.entry.append_basic_block(label)
        self.b.cbranch(condition, block, otherwise or self.slow)
        self.b.position_at_end(block)

    def only_out(self, kwnames):
        """The keywords are exactly ``out`` (the interned name: another spelling declines)."""
        b = self.b
        size = b.load(b.bitcast(b.gep(kwnames, [ir.Constant(I64, TUPLE_OFFSETS["size"])]), I64.as_pointer()))
        name = b.load(b.bitcast(b.gep(kwnames, [ir.Constant(I64, TUPLE_OFFSETS["items"])]), OBJ.as_pointer()))
        return b.and_(b.icmp_unsigned("==", size, ir.Constant(I64, 1)),
                      b.icmp_unsigned("==", name, self.out_name))

    def is_ours(self, item, needed=C_CONTIGUOUS):
        """An exact ndarray of the dtype with the flags ``needed`` (C-contiguous; an ``out``
        writeable too), with at least one dimension."""
        b = self.b
        flags = b.and_(self.field(item, "flags", I32), ir.Constant(I32, needed))
        return b.and_(b.and_(b.icmp_unsigned("==", self.field(item, "descr", OBJ), self.descr),
                             b.icmp_unsigned("==", flags, ir.Constant(I32, needed))),
                      b.icmp_signed(">", self.field(item, "nd", I32), ir.Constant(I32, 0)))

    def operand(self, item, i):
        """Argument ``i``'s address and stride in the tables: an array's data (the shape of
        the first array), or a number's value in a stack slot, stride 0."""
        b = self.b
        is_array = b.icmp_unsigned("==", self.field(item, "type", OBJ), self.array_type)
        with b.if_else(is_array) as (array, number):
            with array:
                self.require(self.is_ours(item), f"layout{i}")
                self._same_as_first(item, i)
                self.set_operand(i, b.ptrtoint(self.field(item, "data", OBJ), I64), self.itemsize)
            with number:
                value = number_value(b, self.entry, item, self.kinds, self.numbers_api, self.slow, i)
                b.store(value if self.itemsize == 8 else b.fptrunc(value, self.real), self.slots[i])
                self.set_operand(i, b.ptrtoint(self.slots[i], I64), 0)
                b.store(ir.Constant(I1, 1), self.numbers)

    def _same_as_first(self, item, i):
        """The first array met becomes the reference; a later one must have its shape."""
        b = self.b
        first = b.load(self.first)
        none = b.icmp_unsigned("==", first, ir.Constant(OBJ, None))
        with b.if_else(none) as (new, later):
            with new:
                b.store(item, self.first)
            with later:
                nd = self.field(first, "nd", I32)
                self.require(b.icmp_unsigned("==", self.field(item, "nd", I32), nd), f"nd{i}")
                self.same_shape_size([self.field(first, "dims", I64.as_pointer()),
                                      self.field(item, "dims", I64.as_pointer())], b.sext(nd, I64), self.slow)

    def result(self, out_given, args, first, nd, dims, size):
        """The array the entry returns (a new reference): ``out=`` where it fits and shares
        no memory with an argument, else numpy's ``empty_like`` of the first array."""
        b = self.b
        given, allocate, done = (self.entry.append_basic_block(n) for n in ("out.given", "out.new", "out.done"))
        b.cbranch(out_given, given, allocate)
        b.position_at_end(given)                # (only then is there an args[n_args])
        out_arg = b.load(b.gep(args, [ir.Constant(I64, self.n_args)]))
        self.require(b.icmp_unsigned("==", self.field(out_arg, "type", OBJ), self.array_type), "out.array")
        self.require(self.is_ours(out_arg, C_CONTIGUOUS | WRITEABLE), "out.layout")
        self.require(b.icmp_unsigned("==", self.field(out_arg, "nd", I32), nd), "out.nd")
        self.same_shape_size([dims, self.field(out_arg, "dims", I64.as_pointer())], b.sext(nd, I64), self.slow)
        self.require(self._apart(out_arg, size), "out.apart")
        b.call(self.api["Py_IncRef"], [out_arg])
        given_end = b.block
        b.branch(done)
        b.position_at_end(allocate)
        b.store(first, self.like)
        made = self._allocated(self.like, nd, dims)
        made_end = b.block
        b.branch(done)
        b.position_at_end(done)
        out = b.phi(OBJ, "out")
        out.add_incoming(out_arg, given_end)
        out.add_incoming(made, made_end)
        return out

    def _apart(self, out, size):
        """No argument array's bytes overlap ``out``'s (a number, stride 0, lives on the stack)."""
        b = self.b
        nbytes = b.mul(size, ir.Constant(I64, self.itemsize))
        start = b.ptrtoint(self.field(out, "data", OBJ), I64)
        end = b.add(start, nbytes)
        apart = ir.Constant(I1, 1)
        for i in range(self.n_args):
            lo = self.operand_address(i)
            number = b.icmp_unsigned("==", b.load(b.gep(self.strides, [ir.Constant(I64, i)])), ir.Constant(I64, 0))
            disjoint = b.or_(b.icmp_unsigned("<=", b.add(lo, nbytes), start), b.icmp_unsigned(">=", lo, end))
            apart = b.and_(apart, b.or_(number, disjoint))
        return apart

    def _allocated(self, slot, nd, dims):
        """``numpy.empty_like(first)``, used only if it is an array like ours; NULL with
        numpy's exception returned where it raised."""
        b = self.b
        out = b.call(self.vectorcall, [self.empty_like, slot, ir.Constant(I64, 1), ir.Constant(OBJ, None)])
        failed = self.entry.append_basic_block("failed")
        self.require(b.icmp_unsigned("!=", out, ir.Constant(OBJ, None)), "allocated", failed)
        unexpected = self.entry.append_basic_block("unexpected")
        self.require(b.icmp_unsigned("==", self.field(out, "type", OBJ), self.array_type), "ours", unexpected)
        like = b.and_(self.is_ours(out), b.icmp_unsigned("==", self.field(out, "nd", I32), nd))
        self.require(like, "like", unexpected)
        self.same_shape_size([dims, self.field(out, "dims", I64.as_pointer())], b.sext(nd, I64), unexpected)
        here = b.block
        b.position_at_end(unexpected)
        b.call(self.api["Py_DecRef"], [out])
        b.branch(self.slow)
        b.position_at_end(failed)            # numpy raised: return NULL with its exception set
        b.ret(ir.Constant(OBJ, None))
        b.position_at_end(here)
        return out

    def without_gil(self, size, compute):
        """``compute()``, releasing the GIL from GIL_SIZE elements on, as numpy's loops do."""
        b = self.b
        with b.if_else(b.icmp_signed("<", size, ir.Constant(I64, GIL_SIZE))) as (small, large):
            with small:
                compute()
            with large:
                state = b.call(self.api["PyEval_SaveThread"], [])
                compute()
                b.call(self.api["PyEval_RestoreThread"], [state])

    def same_shape_size(self, dims, nd, mismatch):
        """Emit a loop over the ``nd`` (at least 1) dimensions: branch to ``mismatch`` unless
        every ``dims[k]`` matches ``dims[0]``; the value is the number of elements."""
        b, entry = self.b, self.entry
        before = b.block
        loop, done = entry.append_basic_block("dims"), entry.append_basic_block("dims.done")
        b.branch(loop)
        b.position_at_end(loop)
        k, size = b.phi(I64, "k"), b.phi(I64, "size")
        k.add_incoming(ir.Constant(I64, 0), before)
        size.add_incoming(ir.Constant(I64, 1), before)
        extent = b.load(b.gep(dims[0], [k]))
        same = ir.Constant(I1, 1)
        for other in dims[1:]:
            same = b.and_(same, b.icmp_unsigned("==", b.load(b.gep(other, [k])), extent))
        step = entry.append_basic_block("dims.step")
        b.cbranch(same, step, mismatch)
        b.position_at_end(step)
        following, grown = b.add(k, ir.Constant(I64, 1)), b.mul(size, extent)
        k.add_incoming(following, step)
        size.add_incoming(grown, step)
        b.cbranch(b.icmp_signed("<", following, nd), loop, done)
        b.position_at_end(done)
        return grown
