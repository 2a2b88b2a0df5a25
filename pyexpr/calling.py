"""Calling a Formula: argument binding, checks, broadcasting and ``out=``.

``call(formula, kernel, args, kwargs, out)`` is the numpy-convention front
of every backend.  It binds positional and keyword arguments (defaults
filled), rejects strings, ``None``, complex and object values with a
``TypeError`` naming the formula and the argument, casts integer and boolean
inputs to the kernel's dtype, broadcasts (``ValueError`` when shapes do not),
and allocates or checks ``out`` (of the result's shape and a float dtype, which
numpy's ``same_kind`` casting reaches).  The kernel then sees inputs already
broadcast to one shape and one output view per formula output:
``kernel.scalar(*floats)`` for all-scalar calls, ``kernel.run(inputs, outs)``
otherwise.  Arguments on a GPU (``__cuda_array_interface__``) go unchanged to
the CUDA kernel's ``evaluate``, which keeps them and the result on the device.

Masked arrays (``numpy.ma``) keep their mask, numpy's convention for
elementwise functions: the formula runs on the data and gives a
``MaskedArray`` (also for 0-d inputs; ``out=`` must then be one too) masked
wherever any input is, the mask repeated along ``out_shape``; masked
elements keep whatever was computed, and ``nan`` results are not masked
(unlike numpy.ma's domained functions such as ``np.ma.log``).  A call with
device arrays refuses masked ones.  Extended precision (``longdouble`` and
``clongdouble`` arrays, numpy scalars, lists numpy reads as such) is a
``TypeError`` where it is wider than float64, since the formula computes in
float64 (or float32); ``x.astype(np.float64)`` converts explicitly.  float16
is cast up exactly.
"""
import numbers
import sys

import numpy as np


def components(formula, args, kwargs):
    """The call's values with each vector argument split into its components (along
    its first axis, so ``y`` of shape ``(3, k)`` is three arrays of ``k``)."""
    values = bind(formula, args, kwargs, [n for n, _ in formula.signature])
    flat = []
    for (name, length), value in zip(formula.signature, values):
        flat.extend([value] if length is None else _split(formula, name, length, value))
    return flat


#: the numbers a call of one point takes as they are (the float entry reads each)
POINT_NUMBERS = frozenset((float, int, bool, np.float64, np.float32, np.float16, np.bool_, np.int64, np.int32,
                           np.int16, np.int8, np.uint64, np.uint32, np.uint16, np.uint8))


def filled(names, defaults, args, kwargs):
    """The arguments of a call with keywords or left-out defaults, all positional; None
    for a call that has none of either (the entries declined it as it is) or does not bind
    (the general path says why)."""
    if len(args) >= len(names):
        return None
    full, used = list(args), 0
    for name in names[len(args):]:
        if name in kwargs:
            full.append(kwargs[name])
            used += 1
        elif name in defaults:
            full.append(defaults[name])
        else:
            return None
    return full if used == len(kwargs) else None


def positional(formula, args, kwargs):
    """``filled`` by ``formula``'s parameters and their defaults as floats; None where the
    call does not bind so."""
    return filled(*positional_table(formula), args, kwargs)


def positional_table(formula):
    """``(names, defaults)``: ``formula``'s parameter names and their defaults as floats
    (kept by the formula after the first use)."""
    found = formula.__dict__.get("_positional")
    if found is None:
        names = tuple(name for name, _ in formula._call_form.signature) \
            if hasattr(formula, "_call_form") else tuple(name for name, _ in formula.signature)
        found = formula.__dict__["_positional"] = names, {k: plain_default(v) for k, v in formula.defaults.items()}
    return found


def scalar_components(formula, args):
    """The components of a positional call of floats and float64 vectors of one axis
    (what solve_ivp and minimize pass), as floats; None for any other call."""
    if len(args) != len(formula.signature):
        return None
    flat = []
    for (_, length), value in zip(formula.signature, args):
        if length is None and type(value) in (float, np.float64):
            flat.append(float(value))
        elif length is not None and type(value) is np.ndarray and value.shape == (length,) \
                and value.dtype == np.float64:
            flat.extend(value.tolist())
        else:
            return None
    return flat


def _split(formula, name, length, value):
    if not hasattr(value, "shape"):
        value = np.asarray(check_value(formula, name, value))     # a list's numbers as the scalars'
    if value.ndim == 0 or value.shape[0] != length:
        raise ValueError(f"{formula.name}(): argument {name!r} is a vector of {length} (the "
                         f"code fixes it), not of shape {tuple(value.shape)}")
    return [value[i] for i in range(length)]


def bind(formula, args, kwargs, names=None, plain=True):
    """The argument values in parameter order (``names``, default the arguments'),
    defaults filled in (as floats, or with ``plain`` False as the sympy numbers they are)."""
    names = formula.arg_names if names is None else names
    if len(args) == len(names) and not kwargs:
        return list(args)
    if len(args) > len(names):
        raise TypeError(f"{formula.name}() takes {len(names)} argument(s) ({', '.join(names)}) "
                        f"but {len(args)} were given")
    values = dict(zip(names, args))
    for key, value in kwargs.items():
        if key not in names:
            raise TypeError(f"{formula.name}() got an unexpected keyword argument {key!r}")
        if key in values:
            raise TypeError(f"{formula.name}() got multiple values for argument {key!r}")
        values[key] = value
    for key, value in formula.defaults.items():
        values.setdefault(key, plain_default(value) if plain else value)
    missing = [n for n in names if n not in values]
    if missing:
        raise TypeError(f"{formula.name}() missing {len(missing)} required argument(s): "
                        + ", ".join(repr(m) for m in missing))
    return [values[n] for n in names]


def plain_default(default):
    """A default as a call passes it: a sympy number as its float (one that has none, as
    it is: the call refuses it by name)."""
    if getattr(default, "is_Number", False):
        try:
            return float(default)
        except (TypeError, ValueError, OverflowError):
            return default
    return default


# longdouble is float64 on some platforms (MSVC, many ARM ones): there it loses nothing
_EXTENDED = np.dtype(np.longdouble) != np.dtype(np.float64)
# the type codes the fast path of check_value takes: a code test costs what a kind test did,
# and it leaves longdouble ("g") to the slow path, which refuses it
_FAST_CODES = "?" + np.typecodes["AllInteger"] + "efd" + ("" if _EXTENDED else "g")


def _is_scalar(value):
    if type(value) is np.ndarray:
        return value.ndim == 0
    return isinstance(value, numbers.Real) or (isinstance(value, np.ndarray) and value.ndim == 0
                                                and value.dtype.kind in "biuf")


def check_value(formula, name, value, masks=None):
    """Reject what is not a real number or an array of them, naming the argument.

    A masked array gives its data; its mask is appended to ``masks``, and
    without that list (a device call) it is refused, since its mask would be lost.
    """
    if type(value) is np.ndarray and value.dtype.char in _FAST_CODES:      # the common case, first
        return value
    if _masked(value):
        if masks is None:
            raise TypeError(f"{formula.name}(): argument {name!r} is a masked array, whose mask "
                            f"a call on device arrays cannot keep; pass np.ma.getdata(x) or "
                            f"x.filled(value)")
        masks.append(np.ma.getmask(value))
        return check_value(formula, name, np.ma.getdata(value))
    if isinstance(value, (str, bytes)) or value is None or isinstance(value, complex) \
            or isinstance(value, np.complexfloating):
        raise TypeError(f"{formula.name}(): argument {name!r} must be a real number or an array "
                        f"of them, not {type(value).__name__}")
    if _EXTENDED and isinstance(value, np.longdouble):
        raise _extended_precision(formula, name, value.dtype)
    if isinstance(value, numbers.Real):
        if isinstance(value, int) and not -_INT_LIMIT < value < _INT_LIMIT:
            raise _too_large(formula, name)
        return value
    try:
        array = np.asarray(value)
    except Exception as exc:
        raise TypeError(f"{formula.name}(): argument {name!r} cannot be read as an array ({exc})") from None
    if _EXTENDED and array.dtype.type in (np.longdouble, np.clongdouble):
        raise _extended_precision(formula, name, array.dtype)
    array = real_objects(formula, name, array)
    if array.dtype.kind not in "biuf":
        odd = not_real(array)
        raise TypeError(f"{formula.name}(): argument {name!r} must hold real numbers, not "
                        f"{odd or array.dtype} values" + ("; convert them with float()" if odd else ""))
    return array


def real_objects(formula, name, array):
    """``array`` as float64 where it is an object array of real Python numbers (numpy keeps
    ints beyond int64 and Fractions as objects), as those numbers alone would be; an int
    too large for a float64 is an ``OverflowError`` naming the argument.  Any other
    array as it is."""
    if array.dtype == object and array.size and all(isinstance(v, numbers.Real) for v in array.flat):
        if any(isinstance(v, int) and not -_INT_LIMIT < v < _INT_LIMIT for v in array.flat):
            raise _too_large(formula, name)
        return array.astype(np.float64)
    return array


def not_real(array):
    """The type name of the first value of an object ``array`` that is no real number, or None."""
    if array.dtype != object:
        return None
    return next((type(v).__name__ for v in array.flat if not isinstance(v, numbers.Real)), None)


#: Python ints from here on round to inf in float64, where float() raises OverflowError: from
#: halfway between the largest float64, 2**1024 - 2**971, and 2**1024 (a tie rounds to even, up)
_INT_LIMIT = 2 ** 1024 - 2 ** 970


def _too_large(formula, name):
    return OverflowError(f"{formula.name}(): argument {name!r} holds an int too large for a "
                         "float64; pass a float (inf, if that is what it means)")


def _extended_precision(formula, name, dtype):
    # refused rather than rounded: computing in float64 would silently drop the extra bits
    if dtype.kind == "c":
        return TypeError(f"{formula.name}(): argument {name!r} is {dtype} (complex long double); "
                         f"pyexpr computes in real float64 (or float32) and takes no complex "
                         f"values")
    return TypeError(f"{formula.name}(): argument {name!r} is {dtype} (long double), but pyexpr "
                     f"computes in float64 (or float32); convert it explicitly with "
                     f"x.astype(np.float64), losing the extra precision")


def _on_device(value):
    return hasattr(value, "__cuda_array_interface__")


def call(formula, kernel, args, kwargs, out=None):
    names = formula.arg_names
    values = bind(formula, args, kwargs)
    if hasattr(kernel, "evaluate") and any(map(_on_device, values + [out])):
        # device arrays stay on the device: the GPU kernel broadcasts and allocates there
        values = [v if _on_device(v) else check_value(formula, n, v) for n, v in zip(names, values)]
        return kernel.evaluate(values, out=out, out_shape=formula.out_shape)
    masks = []
    values = [check_value(formula, n, v, masks) for n, v in zip(names, values)]
    if masks or (out is not None and _masked(out)):
        return _call_masked(formula, kernel, values, masks, out)
    return _evaluate(formula, kernel, values, out)


def _evaluate(formula, kernel, values, out):
    """The call on checked values: scalar code, or broadcast arrays into ``out``."""
    names = formula.arg_names
    dtype = kernel.dtype
    if out is None and all(_is_scalar(v) for v in values):
        results = kernel.scalar(*(float(v) for v in values))
        if formula.out_shape == ():
            return float(results[0])
        return np.array(results, dtype=dtype).reshape(formula.out_shape)
    arrays = [np.asarray(v, dtype=dtype) for v in values]
    shape = _broadcast_shape(formula, names, arrays)
    target = _output(formula, out, formula.out_shape + shape, dtype)
    # (..., ) keeps each a view: at one point target[idx] would be a number, not its memory
    outs = [target[idx + (...,)] for idx in np.ndindex(*formula.out_shape)] if formula.out_shape else [target]
    kernel.run([a if a.shape == shape else np.broadcast_to(a, shape) for a in arrays], outs)
    if out is not None and target is not out:
        np.copyto(out, target, casting="same_kind")
        return out
    if out is None and target.ndim == 0:
        return float(target)
    return target


def _call_masked(formula, kernel, data, masks, out):
    """The call on the data, masked where any input is (numpy's convention for ufuncs)."""
    if out is not None and not _masked(out):
        raise TypeError(f"{formula.name}(): masked arguments give a masked result, which a plain "
                        f"out cannot hold; pass out= a numpy.ma.MaskedArray, or no out")
    if out is None:
        # asarray: an all-scalar call gives a float, and a masked call still gives a masked result
        result = np.asarray(_evaluate(formula, kernel, data, None), dtype=kernel.dtype)
        return np.ma.MaskedArray(result, mask=_union(masks, result.shape))
    _evaluate(formula, kernel, data, out.data)          # a view: the data is written into out
    out.mask = _union(masks, out.shape)
    return out


def _union(masks, shape):
    # each input's shape broadcasts to broadcast_shape, the trailing axes of
    # out_shape + broadcast_shape, so its mask repeats along the out_shape axes
    mask = np.zeros(shape, dtype=bool)
    for m in masks:
        mask |= m
    return mask


def _broadcast_shape(formula, names, arrays):
    shapes = {a.shape for a in arrays}
    if len(shapes) == 1:                # the common case, without numpy's general machinery
        return shapes.pop()
    try:
        return np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        shapes = ", ".join(f"{n}{a.shape}" for n, a in zip(names, arrays))
        raise ValueError(f"{formula.name}(): argument shapes do not broadcast: {shapes}") from None


def _output(formula, out, full_shape, dtype):
    if out is None:
        return np.empty(full_shape, dtype=dtype)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{formula.name}(): out must be a numpy array, not {type(out).__name__}")
    if out.shape != full_shape:
        raise ValueError(f"{formula.name}(): out has shape {out.shape}, expected {full_shape}")
    if not out.flags.writeable:
        raise ValueError(f"{formula.name}(): out is read-only")
    if out.dtype != dtype:
        # numpy's same_kind rule, but for float dtypes only: it would write real results into
        # complex, object or string arrays, which no formula computes
        if out.dtype.kind != "f" or not np.can_cast(dtype, out.dtype, casting="same_kind"):
            raise TypeError(f"{formula.name}(): cannot write {dtype} results into out of dtype "
                            f"{out.dtype}; out must be an array of floats")
        return np.empty(full_shape, dtype=dtype)
    return out


def _masked(value):
    """Whether ``value`` is a masked array, without importing ``numpy.ma`` (some 10 ms of a
    first call): where it was never imported, nothing can be one -- nor while another
    thread is still importing it (the module is then in ``sys.modules`` without its
    ``MaskedArray``: reading it raised AttributeError in a thread's first call)."""
    masked_array = getattr(sys.modules.get("numpy.ma"), "MaskedArray", None)
    return masked_array is not None and isinstance(value, masked_array)
