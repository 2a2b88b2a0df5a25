"""The calling convention between generated code and the run time, without LLVM.

What compiled object code assumes about the process that loads it, so both
sides read it from here: the symbol names of a program's entry points
(``entry_names``), the ctypes prototype of the array kernel
(``KERNEL_TYPE``), and the CPython and numpy object layouts the builtin
entries read (``FLOAT_OFFSETS``, ``ARRAY_OFFSETS``; ``runtime.fastcall`` and
``runtime.arraycall`` check them in this process before they are used).  It
is part of the generator digest (``kernel.GENERATORS``): a change here is a
change of the object code's contract.
"""
import ctypes
import re

from ..ir.loops import scan

#: ``void array(i64 rows, i64 cols, i64 *addresses, i64 *byte_strides)`` (``codegen.llvm_ir``)
KERNEL_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_int64,
                               ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_int64))

#: a CPython builtin's calling convention, which the fast entries have
METH_FASTCALL, METH_KEYWORDS = 0x80, 0x02
#: PyFloatObject: the type pointer, then the value
FLOAT_OFFSETS = {"type": 8, "value": 16}
#: PyArrayObject_fields: after the object header (16 bytes) come data, nd, dimensions, strides, base, descr, flags
ARRAY_OFFSETS = {"type": 8, "data": 16, "nd": 24, "dims": 32, "descr": 56, "flags": 64}
C_CONTIGUOUS = 0x1
#: numpy's NPY_ARRAY_WRITEABLE: an out= array must have it
WRITEABLE = 0x400
#: CPython functions the fast float entry calls, and those the array entry adds
FLOAT_API = ("PyFloat_FromDouble", "PyObject_Vectorcall", "PyLong_AsDouble", "PyErr_Occurred",
             "PyErr_Clear")
#: The exact types of the numbers the fast float entry reads, with how: (symbol of the type
#: object, what lies at FLOAT_OFFSETS["value"]).  numpy's scalars keep their value where a
#: float does (``runtime.fastcall`` checks it in this process); Python ints and bools are
#: converted by ``PyLong_AsDouble`` (correctly rounded, as ``float(i)``; too large ones take
#: the general path and its error).  "int" kinds are read only by float64 code: a float32
#: formula converts an int once, to float32, where double rounding could differ.
SCALAR_KINDS = (("PyFloat_Type", "double"), ("pyexpr_numpy_float64", "double"),
                ("pyexpr_numpy_float32", "float"), ("pyexpr_numpy_int64", "int64"),
                ("PyLong_Type", "int"), ("PyBool_Type", "int"),
                ("pyexpr_numpy_int32", "int32"), ("pyexpr_numpy_int16", "int16"), ("pyexpr_numpy_int8", "int8"),
                ("pyexpr_numpy_uint64", "uint64"), ("pyexpr_numpy_uint32", "uint32"),
                ("pyexpr_numpy_uint16", "uint16"), ("pyexpr_numpy_uint8", "uint8"),
                ("pyexpr_numpy_bool", "uint8"), ("pyexpr_numpy_float16", "half"))
ARRAY_API = ("Py_DecRef", "PyEval_SaveThread", "PyEval_RestoreThread", "Py_IncRef")
#: CPython functions a loop program's builtin entry calls (``codegen.loopcall_ir``)
LOOP_API = ("PyLong_FromLongLong", "PyEval_SaveThread", "PyEval_RestoreThread")
#: the symbol of ``None`` (the float entry's ``self`` has it where a formula has no vectors)
NONE_SYMBOL = "pyexpr_none"
#: PyTupleObject: the length, then the items (the array entry reads a call's keyword names)
TUPLE_OFFSETS = {"size": 16, "items": 24}
#: array calls of more elements take the general path: threads, streaming stores, tier upgrades
ARRAY_MAX_SIZE = 1 << 16
#: array calls of at least this many elements release the GIL while they compute (a few
#: microseconds of work, against about 0.1 us to release and take it back)
GIL_SIZE = 1 << 12


def entry_names(program):
    """Symbol names of a compiled program's functions: ``{"scalar", "multi", "array", "stream", "arraycall"} -> name``."""
    base = "pyexpr_" + re.sub(r"\W", "_", program.name)
    return {"scalar": base, "multi": base + "_multi", "array": base + "_array",
            "stream": base + "_array_stream",
            "arraycall": base + "_arraycall"}


#: numpy's ``PyArray_Empty(nd, dims, descr, fortran)`` (it steals ``descr``), the allocator of a
#: multi-output float entry's result: its place in numpy's C API table (``_ARRAY_API``), and its symbol
ARRAY_EMPTY_INDEX, ARRAY_EMPTY_SYMBOL = 184, "pyexpr_PyArray_Empty"
#: numpy's ``PyArray_Scalar(data, descr, base)``: a loop head's float result, a numpy scalar
ARRAY_SCALAR_INDEX, ARRAY_SCALAR_SYMBOL = 60, "pyexpr_PyArray_Scalar"


def loop_names(lp):
    """The names of the functions a ``LoopProgram``'s module defines (``codegen.loop_ir``):
    loops, check, call, head, stage<s>."""
    base = entry_names(lp)["scalar"]
    return {"loops": base + "_loops", "check": base + "_check", "call": base + "_loopcall",
            "head": base + "_loophead",
            **{f"stage{s}": f"{base}_stage{s}" for s in range(len(lp.stages))}}


def loop_binder_symbol(n_scalars, n_vectors, dtype):
    """The name of the loop heads' binder for these counts of numbers and vectors."""
    return f"pyexpr_loop_bind_{n_scalars}_{n_vectors}_{dtype}"


#: terms per step of a reduction: accumulator k sums terms k, k + GROUP, k + 2*GROUP, ...
GROUP = 8
#: indices per chunk: the unit of the summation order and of the work threads share (a
#: stage's function runs whole chunks; the run time adds their partials in order)
CHUNK = 1 << 14
#: the same for a stage with inner reductions, each of whose indices is a whole loop
NESTED_CHUNK = 1 << 6


def chunk_size(stage):
    """The indices per chunk of ``stage`` (``CHUNK`` or ``NESTED_CHUNK``)."""
    # a running sum (np.cumsum) restarts in full at each chunk: long chunks for those; a
    # matrix output's rows are whole loops
    if stage.kind == "cells":
        return NESTED_CHUNK
    return (CHUNK if scan_direction(stage) else NESTED_CHUNK) if stage.inner else CHUNK


def scan_direction(stage):
    """The direction rows run in for a stage's running sums: "suffix" (rows downwards) if
    any inner reduction is a suffix scan, else "prefix" if any is one, else None."""
    kinds = {scan(inner, stage.known_count) for inner in stage.inner}
    return "suffix" if "suffix" in kinds else "prefix" if "prefix" in kinds else None


def array_symbols(dtype):
    """The names of the objects the array entry of a ``dtype`` kernel compares with and calls."""
    return {"array_type": "PyArray_Type", "descr": f"pyexpr_descr_{dtype}", "empty_like": "pyexpr_empty_like",
            "out_name": "pyexpr_out_name"}
