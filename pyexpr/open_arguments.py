"""The arguments of a call of an ``OpenFormula``: numbers, vectors, matrices, ``out``.

Each check names the formula and the argument: a number where an array is given
(numpy would combine it elementwise) is a ``TypeError`` with the annotation to write,
a vector of the wrong number of dimensions or of non-numbers a ``ValueError`` or
``TypeError``, a fixed-length vector of the wrong length a ``ValueError``.
"""
import numpy as np


def scalar(formula, name, value):
    try:
        if np.ndim(value) != 0 or np.asarray(value).dtype.kind not in "biuf":   # no strings
            raise TypeError
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{formula.name}(): argument {name!r} is a number, not "
                        f"{type(value).__name__}") from None


def vector(formula, name, value, dtype, ndim=1):
    what = "a vector" if ndim == 1 else "a matrix"
    try:
        if np.asarray(value).dtype.kind not in "biuf":       # strings and objects are no numbers
            raise TypeError
        array = np.asarray(value, dtype=dtype)      # (ascontiguousarray makes a number 1-D)
    except (TypeError, ValueError):
        raise TypeError(f"{formula.name}(): argument {name!r} must be {what} of numbers, not "
                        f"{type(value).__name__}") from None
    if array.ndim != ndim:
        raise ValueError(f"{formula.name}(): argument {name!r} must be {'one' if ndim == 1 else 'two'}-"
                         f"dimensional ({what} of any {'length' if ndim == 1 else 'shape'}), not of "
                         f"shape {array.shape}")
    return np.ascontiguousarray(array)


def out_array(formula, out, shape, dtype):
    if out is None:
        return np.empty(shape, dtype)
    if not (isinstance(out, np.ndarray) and out.shape == shape and out.dtype == dtype
            and out.flags.c_contiguous):
        raise ValueError(f"{formula.name}(): out must be a contiguous {dtype} array of shape {shape}")
    return out


def fixed(formula, name, value, length):
    array = np.asarray(value, dtype=float)
    if array.shape != (length,):
        raise ValueError(f"{formula.name}(): argument {name!r} is a vector of {length} (the code "
                         f"fixes it), not of shape {array.shape}")
    return array.tolist()
