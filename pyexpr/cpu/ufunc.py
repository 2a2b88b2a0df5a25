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
#: operands (inputs and outputs) a ufunc may have: numpy's own limit is lower
MAX_OPERANDS = 64
#: numpy's "no identity" (reduce takes the first element)
_NO_IDENTITY = -1
#: the dtypes of the loops, in the order numpy tries them
DTYPES = ("float32", "float64")
_KEPT = []


@lru_cache(maxsize=None)
def _loop():
    _, obj = engine.compile_ir(_LOOP_IR.replace("%MAX2%", str(2 * MAX_OPERANDS)), opt=2,
                               vectorize=False)
    library = engine.load_object(obj)
    return library, library.address("pyexpr_ufunc_loop")


@lru_cache(maxsize=None)
def _from_func_and_data():
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:                     # numpy 1.x
        from numpy.core import _multiarray_umath as umath
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    table = ctypes.cast(get(umath._UFUNC_API, None), ctypes.POINTER(ctypes.c_void_p))
    # PyObject *PyUFunc_FromFuncAndData(func, data, types, ntypes, nin, nout, identity,
    #                                   name, doc, unused): the API table's entry 1
    prototype = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_void_p, ctypes.c_void_p,
                                  ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                  ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int)
    return prototype(table[1])


def make(name, doc, kernel_for, nin, nout):
    """A ufunc of ``nin`` inputs and ``nout`` outputs running ``kernel_for(dtype)`` (the
    array kernel ``abi.KERNEL_TYPE`` of each dtype name in ``DTYPES``)."""
    k = nin + nout
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
