"""Fast scalar calls, the run-time half: the builtin function object of loaded code.

``builtin(address, fallback, owner)`` wraps the loaded entry of
``codegen.fastcall_ir`` as a builtin function object.  That code refers to
the type objects of ``abi.SCALAR_KINDS`` and the functions of
``abi.FLOAT_API``: ``symbols()`` gives their addresses in this process, to
load it with.  It reads CPython's float layout (``abi.FLOAT_OFFSETS``), so
``available()`` is true only on CPython builds with that layout, a GIL and
those functions exported.  numpy's scalars are read at the same offset where
a sample of each holds its value there; where one does not, its symbol is a
type no argument has, and such scalars take the general path.
"""
import ctypes
import functools
import sys
import threading

import numpy as np

from ..abi import (ARRAY_OFFSETS, FLOAT_API, FLOAT_OFFSETS, METH_FASTCALL, METH_KEYWORDS, NONE_SYMBOL, SCALAR_KINDS,
                   TUPLE_OFFSETS, ARRAY_EMPTY_INDEX, ARRAY_EMPTY_SYMBOL, ARRAY_SCALAR_INDEX, array_symbols)


@functools.lru_cache(maxsize=None)
def available():
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    return (sys.implementation.name == "cpython" and gil and float.__basicsize__ == FLOAT_OFFSETS["value"] + 8
            and all(hasattr(ctypes.pythonapi, name) for name in FLOAT_API) and _tuple_layout_matches()
            and array_empty() is not None and array_scalar() is not None and _array_data_matches())


def _array_data_matches():
    """Whether arrays hold their data pointer where the entry reads the function it calls."""
    sample = np.array([7], np.int64)
    return ctypes.c_size_t.from_address(id(sample) + ARRAY_OFFSETS["data"]).value \
        == sample.__array_interface__["data"][0]


def _tuple_layout_matches():
    """Whether tuples hold their length and items where the entry reads its ``self``."""
    sample = (None, 1.5)
    return ctypes.c_ssize_t.from_address(id(sample) + TUPLE_OFFSETS["size"]).value == 2 \
        and ctypes.c_size_t.from_address(id(sample) + TUPLE_OFFSETS["items"] + 8).value == id(sample[1])


class _MethodDef(ctypes.Structure):
    _fields_ = [("ml_name", ctypes.c_char_p), ("ml_meth", ctypes.c_void_p),
                ("ml_flags", ctypes.c_int), ("ml_doc", ctypes.c_char_p)]


def api_addresses(names):
    """``{name: address}`` of CPython API functions in this process."""
    return {name: ctypes.cast(getattr(ctypes.pythonapi, name), ctypes.c_void_p).value for name in names}


class _NoArgumentHasThisType:
    """Stands for a numpy scalar type whose layout the entry does not read."""


#: the keyword name ``out`` as calls spell it (names in code are interned): the entries
#: compare a call's keyword with it by identity, and decline any other object
OUT_NAME = sys.intern("out")
#: a sample of each numpy scalar the entry may read, with the C type of its value
_NUMPY_SAMPLES = {"pyexpr_numpy_float64": (np.float64(-2.5), ctypes.c_double),
                  "pyexpr_numpy_float32": (np.float32(-2.5), ctypes.c_float),
                  "pyexpr_numpy_int64": (np.int64(-3), ctypes.c_int64),
                  "pyexpr_numpy_int32": (np.int32(-3), ctypes.c_int32),
                  "pyexpr_numpy_int16": (np.int16(-3), ctypes.c_int16),
                  "pyexpr_numpy_int8": (np.int8(-3), ctypes.c_int8),
                  "pyexpr_numpy_uint64": (np.uint64(2**63 + 3), ctypes.c_uint64),
                  "pyexpr_numpy_uint32": (np.uint32(2**31 + 3), ctypes.c_uint32),
                  "pyexpr_numpy_uint16": (np.uint16(40000), ctypes.c_uint16),
                  "pyexpr_numpy_uint8": (np.uint8(200), ctypes.c_uint8),
                  "pyexpr_numpy_bool": (np.bool_(True), ctypes.c_uint8),
                  # a half's bits, as ctypes has no half type
                  "pyexpr_numpy_float16": (np.float16(-2.5), ctypes.c_uint16)}


def _matches(sample, read):
    if isinstance(sample, np.float16):
        return read == int(sample.view(np.uint16))
    return read == sample
_PYTHON_TYPES = {"PyFloat_Type": float, "PyLong_Type": int, "PyBool_Type": bool}


def _read_as(sample, ctype):
    if type(sample).__basicsize__ < FLOAT_OFFSETS["value"] + ctypes.sizeof(ctype):
        return None
    return ctype.from_address(id(sample) + FLOAT_OFFSETS["value"]).value


@functools.lru_cache(maxsize=None)
def _type_addresses():
    found = {name: id(t) for name, t in _PYTHON_TYPES.items()}
    for name, (sample, ctype) in _NUMPY_SAMPLES.items():
        read = _read_as(sample, ctype)
        found[name] = id(type(sample) if _matches(sample, read) else _NoArgumentHasThisType)
    assert set(found) == {name for name, _ in SCALAR_KINDS}
    return found


@functools.lru_cache(maxsize=None)
def numpy_table(capsule):
    """numpy's C API table named ``capsule`` (``"_ARRAY_API"``, ``"_UFUNC_API"``), as an
    array of function addresses (no C compiler needed to reach it)."""
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:                     # numpy 1.x
        from numpy.core import _multiarray_umath as umath
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return ctypes.cast(get(getattr(umath, capsule), None), ctypes.POINTER(ctypes.c_void_p))


@functools.lru_cache(maxsize=None)
def array_empty():
    """The address of numpy's ``PyArray_Empty`` (``abi.ARRAY_EMPTY_INDEX`` in its C API
    table), checked by a call that makes a float64 vector of 3; None where it does not."""
    try:
        address = numpy_table("_ARRAY_API")[ARRAY_EMPTY_INDEX]
        empty = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_int, ctypes.POINTER(ctypes.c_int64),
                                  ctypes.py_object, ctypes.c_int)(address)
        descr = np.dtype(np.float64)
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(descr))        # it steals one
        made = empty(1, (ctypes.c_int64 * 1)(3), descr, 0)
    except (ImportError, AttributeError, ValueError, TypeError, OSError):
        return None
    return address if type(made) is np.ndarray and made.shape == (3,) and made.dtype == descr else None


@functools.lru_cache(maxsize=None)
def array_scalar():
    """The address of numpy's ``PyArray_Scalar`` (``abi.ARRAY_SCALAR_INDEX``), checked by a
    call that makes ``np.float64(2.5)``; None where it does not."""
    try:
        address = numpy_table("_ARRAY_API")[ARRAY_SCALAR_INDEX]
        scalar = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_void_p, ctypes.py_object, ctypes.c_void_p)(address)
        value = ctypes.c_double(2.5)
        made = scalar(ctypes.addressof(value), np.dtype(np.float64), None)
    except (ImportError, AttributeError, ValueError, TypeError, OSError):
        return None
    return address if type(made) is np.float64 and made == 2.5 else None


def symbols(outputs=1, dtype="float64"):
    """The symbols the entry of a program of ``outputs`` outputs refers to, with their
    addresses in this process."""
    names = array_symbols(dtype)
    found = {**_type_addresses(), **api_addresses(FLOAT_API), NONE_SYMBOL: id(None),
             names["array_type"]: id(np.ndarray), names["descr"]: id(np.dtype(dtype)),
             names["out_name"]: id(OUT_NAME), **api_addresses(("Py_IncRef",))}
    if outputs > 1:
        found[ARRAY_EMPTY_SYMBOL] = array_empty()
    return found


#: loaded entry address -> its method definition.  A builtin points to its
#: definition without owning it, and builtins may outlive whatever made them
#: (a bound ``f.__call__`` kept by a caller, a chain being rebuilt during a
#: call), so definitions live as long as the process (32 bytes each; code
#: loaded later at the same address gets the same definition).
_DEFS = {}
_DEFS_LOCK = threading.Lock()
_NEW_CFUNCTION = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_void_p, ctypes.py_object,
                                   ctypes.py_object)(("PyCFunction_NewEx", ctypes.pythonapi))


def builtin(address, fallback, owner):
    """A builtin function object running the loaded entry at ``address``, whose ``self``
    (where its calls it does not take go) is ``fallback``.  It holds ``owner``, the
    loaded code, as its ``__module__``: the code stays mapped while the builtin exists,
    and is unmapped once neither it nor its formula does."""
    with _DEFS_LOCK:
        method = _DEFS.get(address)
        if method is None:
            method = _DEFS[address] = _MethodDef(b"formula", address, METH_FASTCALL | METH_KEYWORDS, None)
    return _NEW_CFUNCTION(ctypes.addressof(method), fallback, owner)


def float_builtin(entry, fallback, names, defaults, lengths=None):
    """``builtin`` of a float entry (``codegen.fastcall_ir``; ``entry`` is ``(address,
    owner, function)`` as ``kernel.fast_entry`` gives it), whose ``self`` is
    ``(fallback, names, defaults, lengths, function)``: the parameters' names (interned: a call's
    keywords are matched by identity), per parameter its default or None, for a
    formula of fixed-length vectors each parameter's length (0 for a number) as an int64
    array (None for others: the entry's ``_point`` reads a call's vectors by it), and
    the address of the formula's function the entry calls, in a one-element int64 array."""
    address, owner, function = entry
    if len(names) != len(defaults):
        raise ValueError("one default (or None) per parameter")
    if lengths is not None:
        lengths = np.array([0 if k is None else k for k in lengths], np.int64)
        if lengths.ndim != 1 or (lengths < 0).any():
            raise ValueError("one length (0 for a number) per parameter")
    if not function:
        raise ValueError("the address of the function to call")
    own = (fallback, tuple(sys.intern(n) if isinstance(n, str) else n for n in names), tuple(defaults), lengths,
           np.array([function], np.int64))
    return builtin(address, own, owner)
