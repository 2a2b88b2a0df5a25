"""Real numpy ufuncs whose inner loops are pyexpr's compiled array kernels.

numpy's ufunc C API is reached through its ``_UFUNC_API`` capsule with ctypes (no C
extension): ``PyUFunc_FromFuncAndData`` takes, per loop, an inner-loop function
``void loop(char **args, npy_intp *dimensions, npy_intp *steps, void *data)``.
One such function, compiled here once per process (``_LOOP_IR``), forwards to an
array kernel (``abi.KERNEL_TYPE``) as one row of ``dimensions[0]`` elements with
numpy's ``steps`` as byte strides; ``data`` holds the kernel's address and its
operand count.  There are two loops, float32 then float64, so numpy takes the
float32 kernel for float32 inputs and the float64 one for everything else it can
cast safely.  numpy keeps pointers, not objects: everything a ufunc points at is
kept for the life of the process (``_KEPT``).
"""
import ctypes
from functools import lru_cache

import numpy as np

from .build import engine
from .runtime import fastcall

#: the inner loop: strides[0:k] = steps, strides[k:2k] = 0 (one row), then the kernel.
#: numpy's reduce and accumulate call it with the output as the first input (the same
#: element, step 0; or the element before, the same step), expecting each element done
#: before the next is read: there it runs one element at a time (the kernels are SIMD)
_LOOP_IR = """
define void @pyexpr_ufunc_loop(ptr %args, ptr %dims, ptr %steps, ptr %data) {
entry:
  %fn = load ptr, ptr %data
  %kp = getelementptr i64, ptr %data, i64 1
  %k = load i64, ptr %kp
  %n = load i64, ptr %dims
  %strides = alloca i64, i64 %MAX2%
  br label %copy
copy:
  %i = phi i64 [0, %entry], [%next, %copy]
  %sp = getelementptr i64, ptr %steps, i64 %i
  %s = load i64, ptr %sp
  %dp = getelementptr i64, ptr %strides, i64 %i
  store i64 %s, ptr %dp
  %ki = add i64 %k, %i
  %op = getelementptr i64, ptr %strides, i64 %ki
  store i64 0, ptr %op
  %next = add i64 %i, 1
  %more = icmp ult i64 %next, %k
  br i1 %more, label %copy, label %check
check:
  %three = icmp eq i64 %k, 3
  br i1 %three, label %binary, label %run
binary:
  %a0p = getelementptr i64, ptr %args, i64 0
  %a0 = load i64, ptr %a0p
  %a2p = getelementptr i64, ptr %args, i64 2
  %a2 = load i64, ptr %a2p
  %s0 = load i64, ptr %steps
  %s2p = getelementptr i64, ptr %steps, i64 2
  %s2 = load i64, ptr %s2p
  %same = icmp eq i64 %a0, %a2
  %still = icmp eq i64 %s2, 0
  %reduce = and i1 %same, %still
  %shifted = add i64 %a0, %s2
  %before = icmp eq i64 %shifted, %a2
  %alike = icmp eq i64 %s0, %s2
  %accumulate = and i1 %before, %alike
  %sequential = or i1 %reduce, %accumulate
  br i1 %sequential, label %serial.start, label %run
serial.start:
  %a1p = getelementptr i64, ptr %args, i64 1
  %a1 = load i64, ptr %a1p
  %s1p = getelementptr i64, ptr %steps, i64 1
  %s1 = load i64, ptr %s1p
  %one = alloca i64, i64 3
  %one1 = getelementptr i64, ptr %one, i64 1
  %one2 = getelementptr i64, ptr %one, i64 2
  %any = icmp sgt i64 %n, 0
  br i1 %any, label %serial, label %done
serial:
  %e = phi i64 [0, %serial.start], [%e.next, %serial]
  %o0 = mul i64 %e, %s0
  %p0 = add i64 %a0, %o0
  store i64 %p0, ptr %one
  %o1 = mul i64 %e, %s1
  %p1 = add i64 %a1, %o1
  store i64 %p1, ptr %one1
  %o2 = mul i64 %e, %s2
  %p2 = add i64 %a2, %o2
  store i64 %p2, ptr %one2
  call void %fn(i64 1, i64 1, ptr %one, ptr %strides)
  %e.next = add i64 %e, 1
  %e.more = icmp ult i64 %e.next, %n
  br i1 %e.more, label %serial, label %done
run:
  call void %fn(i64 1, i64 %n, ptr %args, ptr %strides)
  br label %done
done:
  ret void
}
"""
#: the generalized ufunc's inner loop: each operand of the kernel (a vector's component,
#: an output's element) is args[a] + i1*steps[s1] + i2*steps[s2], stepping by steps[a],
#: from five numbers per operand after the kernel and the operand count in ``data``
_GUFUNC_IR = """
define void @pyexpr_gufunc_loop(ptr %args, ptr %dims, ptr %steps, ptr %data) {
entry:
  %fn = load ptr, ptr %data
  %kp = getelementptr i64, ptr %data, i64 1
  %k = load i64, ptr %kp
  %n = load i64, ptr %dims
  %addrs = alloca i64, i64 %MAX%
  %strides = alloca i64, i64 %MAX2%
  br label %operand
operand:
  %j = phi i64 [0, %entry], [%next, %operand]
  %row = mul i64 %j, 5
  %at = add i64 %row, 2
  %ap = getelementptr i64, ptr %data, i64 %at
  %a = load i64, ptr %ap
  %i1p = getelementptr i64, ptr %ap, i64 1
  %i1 = load i64, ptr %i1p
  %s1p = getelementptr i64, ptr %ap, i64 2
  %s1 = load i64, ptr %s1p
  %i2p = getelementptr i64, ptr %ap, i64 3
  %i2 = load i64, ptr %i2p
  %s2p = getelementptr i64, ptr %ap, i64 4
  %s2 = load i64, ptr %s2p
  %basep = getelementptr i64, ptr %args, i64 %a
  %base = load i64, ptr %basep
  %outerp = getelementptr i64, ptr %steps, i64 %a
  %outer = load i64, ptr %outerp
  %step1p = getelementptr i64, ptr %steps, i64 %s1
  %step1 = load i64, ptr %step1p
  %step2p = getelementptr i64, ptr %steps, i64 %s2
  %step2 = load i64, ptr %step2p
  %o1 = mul i64 %i1, %step1
  %o2 = mul i64 %i2, %step2
  %b1 = add i64 %base, %o1
  %address = add i64 %b1, %o2
  %adp = getelementptr i64, ptr %addrs, i64 %j
  store i64 %address, ptr %adp
  %sp = getelementptr i64, ptr %strides, i64 %j
  store i64 %outer, ptr %sp
  %kj = add i64 %k, %j
  %zp = getelementptr i64, ptr %strides, i64 %kj
  store i64 0, ptr %zp
  %next = add i64 %j, 1
  %more = icmp ult i64 %next, %k
  br i1 %more, label %operand, label %run
run:
  call void %fn(i64 1, i64 %n, ptr %addrs, ptr %strides)
  ret void
}
"""
#: operands (inputs and outputs) a ufunc may have: numpy's own limit is lower
MAX_OPERANDS = 64
#: numpy's "no identity" (reduce takes the first element)
_NO_IDENTITY = -1
#: the dtypes of the loops, in the order numpy tries them
DTYPES = ("float32", "float64")
_KEPT = []


#: a generalized ufunc's kernel operands: a vector of 3 is three
MAX_KERNEL_OPERANDS = 1024


@lru_cache(maxsize=None)
def _loop(name="pyexpr_ufunc_loop", text=_LOOP_IR):
    text = text.replace("%MAX2%", str(2 * MAX_KERNEL_OPERANDS)).replace("%MAX%", str(MAX_KERNEL_OPERANDS))
    _, obj = engine.compile_ir(text, opt=2, vectorize=False)
    library = engine.load_object(obj)
    return library, library.address(name)


def _api_table():
    return fastcall.numpy_table("_UFUNC_API")


_ARGS = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
         ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int)


def _from_func_and_data():
    """PyUFunc_FromFuncAndData(func, data, types, ntypes, nin, nout, identity, name, doc,
    unused): the API table's entry 1."""
    return ctypes.PYFUNCTYPE(ctypes.py_object, *_ARGS)(_api_table()[1])


def _from_func_and_data_and_signature():
    """The same with a signature after ``unused``: the API table's entry 31."""
    return ctypes.PYFUNCTYPE(ctypes.py_object, *_ARGS, ctypes.c_char_p)(_api_table()[31])


def layout(signature, out_shape):
    """``(gufunc signature, operand table)`` of a formula with vector parameters: the
    table gives each kernel operand as (argument, i1, step 1, i2, step 2), the steps
    as indices into numpy's ``steps`` (outer steps first, then each operand's core steps)."""
    nargs = len(signature) + 1
    cores, table, core_step = [], [], nargs
    for a, (_, length) in enumerate(signature):
        if length is None:
            cores.append("()")
            table.append((a, 0, 0, 0, 0))
        else:
            cores.append(f"({length})")
            table += [(a, i, core_step, 0, 0) for i in range(length)]
            core_step += 1
    out = len(signature)
    if len(out_shape) == 0:
        table.append((out, 0, 0, 0, 0))
    elif len(out_shape) == 1:
        table += [(out, i, core_step, 0, 0) for i in range(out_shape[0])]
    else:
        rows, cols = out_shape
        table += [(out, r, core_step, c, core_step + 1) for r in range(rows) for c in range(cols)]
    text = ",".join(cores) + "->(" + ",".join(map(str, out_shape)) + ")"
    return text, table


def make_generalized(name, doc, kernel_for, signature, out_shape):
    """A generalized ufunc (``(),(3)->(3)``) running ``kernel_for(dtype)`` (as ``make``)."""
    text, table = layout(signature, out_shape)
    if len(table) > MAX_KERNEL_OPERANDS:
        raise ValueError(f"{name}: more than {MAX_KERNEL_OPERANDS} values in and out")
    kernels = {d: kernel_for(d) for d in DTYPES}
    library, loop = _loop("pyexpr_gufunc_loop", _GUFUNC_IR)
    k, nargs = len(table), len(signature) + 1
    flat = [v for row in table for v in row]
    datas = [(ctypes.c_int64 * (2 + len(flat)))(ctypes.cast(kernels[d], ctypes.c_void_p).value, k, *flat)
             for d in DTYPES]
    funcs = (ctypes.c_void_p * len(DTYPES))(*[loop] * len(DTYPES))
    data = (ctypes.c_void_p * len(DTYPES))(*[ctypes.addressof(d) for d in datas])
    types = (ctypes.c_char * (nargs * len(DTYPES)))(*[bytes([np.dtype(d).num]) for d in DTYPES
                                                      for _ in range(nargs)])
    kept = (name.encode(), doc.encode(), text.encode())
    ufunc = _from_func_and_data_and_signature()(
        ctypes.addressof(funcs), ctypes.addressof(data), ctypes.addressof(types), len(DTYPES),
        nargs - 1, 1, _NO_IDENTITY, *kept[:2], 0, kept[2])
    _KEPT.append((library, kernels, datas, funcs, data, types, kept))
    return ufunc


def make(name, doc, kernel_for, nin, nout):
    """A ufunc of ``nin`` inputs and ``nout`` outputs running ``kernel_for(dtype)`` (the
    array kernel ``abi.KERNEL_TYPE`` of each dtype name in ``DTYPES``)."""
    k = nin + nout
    if nin == 0:            # numpy's loops over no input do not reach the kernel sanely
        raise ValueError(f"{name}: a formula of no arguments has no ufunc; call it")
    if k > MAX_OPERANDS:
        raise ValueError(f"{name}: a ufunc of {nin} inputs and {nout} outputs has more than "
                         f"{MAX_OPERANDS} operands")
    kernels = {d: kernel_for(d) for d in DTYPES}
    library, loop = _loop()
    datas = [(ctypes.c_int64 * 2)(ctypes.cast(kernels[d], ctypes.c_void_p).value, k) for d in DTYPES]
    funcs = (ctypes.c_void_p * len(DTYPES))(*[loop] * len(DTYPES))
    data = (ctypes.c_void_p * len(DTYPES))(*[ctypes.addressof(d) for d in datas])
    types = (ctypes.c_char * (k * len(DTYPES)))(*[bytes([np.dtype(d).num]) for d in DTYPES for _ in range(k)])
    name_bytes, doc_bytes = name.encode(), doc.encode()
    ufunc = _from_func_and_data()(ctypes.addressof(funcs), ctypes.addressof(data), ctypes.addressof(types),
                                  len(DTYPES), nin, nout, _NO_IDENTITY, name_bytes, doc_bytes, 0)
    _KEPT.append((library, kernels, datas, funcs, data, types, name_bytes, doc_bytes))
    return ufunc
