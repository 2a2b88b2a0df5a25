"""Fast array calls, the run-time half: is the array entry usable here, and what it calls.

The entry (``codegen.arraycall_ir``) reads numpy's array struct at
``abi.ARRAY_OFFSETS``: ``available()`` checks those offsets on sample arrays
in this process, and ``symbols(dtype)`` gives the addresses of the objects
the code compares with and calls, to load it with.
"""
import ctypes
from functools import lru_cache

import numpy as np

from ..abi import ARRAY_API, ARRAY_OFFSETS, C_CONTIGUOUS, TUPLE_OFFSETS, WRITEABLE, array_symbols
from . import fastcall

#: the allocator the compiled code calls, held here so that it outlives the code
_EMPTY_LIKE = np.empty_like
_OUT = fastcall.OUT_NAME


def _read(a, field, ctype):
    return ctype.from_address(id(a) + ARRAY_OFFSETS[field]).value


def _layout_matches():
    base = np.arange(12.0).reshape(3, 4)
    frozen = np.zeros(3)
    frozen.flags.writeable = False
    for a in (base, base.T, base[1:, ::2], np.zeros(5, np.float32), frozen):
        dims = (ctypes.c_int64 * a.ndim).from_address(_read(a, "dims", ctypes.c_size_t))
        if (_read(a, "type", ctypes.c_size_t) != id(np.ndarray)
                or _read(a, "data", ctypes.c_size_t) != a.__array_interface__["data"][0]
                or _read(a, "nd", ctypes.c_int32) != a.ndim or tuple(dims) != a.shape
                or _read(a, "descr", ctypes.c_size_t) != id(a.dtype)
                or bool(_read(a, "flags", ctypes.c_int32) & C_CONTIGUOUS) != a.flags.c_contiguous
                or bool(_read(a, "flags", ctypes.c_int32) & WRITEABLE) != a.flags.writeable):
            return False
    keywords = ("out",)
    return np.empty(3).dtype is np.dtype(np.float64) \
        and ctypes.c_ssize_t.from_address(id(keywords) + TUPLE_OFFSETS["size"]).value == 1 \
        and ctypes.c_size_t.from_address(id(keywords) + TUPLE_OFFSETS["items"]).value == id(_OUT)


@lru_cache(maxsize=None)
def available():
    if not fastcall.available() or np.dtype(np.intp).itemsize != 8 \
            or not all(hasattr(ctypes.pythonapi, name) for name in ARRAY_API):
        return False
    try:
        return _layout_matches()
    except (ValueError, OverflowError):
        return False


def data_address(array):
    """The address of an array's first element, read from its struct where ``available()``
    (about 0.1 us, against 0.75 us through ``array.ctypes.data``)."""
    if available():
        return ctypes.c_size_t.from_address(id(array) + ARRAY_OFFSETS["data"]).value
    return array.ctypes.data


def symbols(dtype):
    """The objects the entry of a ``dtype`` kernel refers to, with their addresses here."""
    names = array_symbols(dtype)
    return {names["array_type"]: id(np.ndarray), names["descr"]: id(np.dtype(dtype)),
            names["empty_like"]: id(_EMPTY_LIKE), names["out_name"]: id(_OUT), **fastcall.api_addresses(ARRAY_API), **fastcall.symbols()}
