"""Calling a Formula: argument binding, checks, broadcasting and ``out=``.

``call(formula, kernel, args, kwargs, out)`` is the numpy-convention front
of every backend.  It binds positional and keyword arguments (defaults
filled), rejects strings, ``None``, complex and object values with a
``TypeError`` naming the formula and the argument, casts integer and boolean
inputs to the kernel's dtype, broadcasts (``ValueError`` when shapes do not),
and allocates or checks ``out``.  The kernel then sees inputs already
broadcast to one shape and one output view per formula output:
``kernel.scalar(*floats)`` for all-scalar calls, ``kernel.run(inputs, outs)``
otherwise.  Arguments on a GPU (``__cuda_array_interface__``) go unchanged to
the CUDA kernel's ``evaluate``, which keeps them and the result on the device.
"""
import numbers

import numpy as np


def bind(formula, args, kwargs):
    """The argument values in parameter order, defaults filled in."""
    names = formula.arg_names
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
        values.setdefault(key, value)
    missing = [n for n in names if n not in values]
    if missing:
        raise TypeError(f"{formula.name}() missing {len(missing)} required argument(s): "
                        + ", ".join(repr(m) for m in missing))
    return [values[n] for n in names]


def _is_scalar(value):
    if type(value) is np.ndarray:
        return value.ndim == 0
    return isinstance(value, numbers.Real) or (isinstance(value, np.ndarray) and value.ndim == 0
                                                and value.dtype.kind in "biuf")


def check_value(formula, name, value):
    """Reject what is not a real number or an array of them, naming the argument."""
    if type(value) is np.ndarray and value.dtype.kind in "biuf":      # the common case, first
        return value
    if isinstance(value, (str, bytes)) or value is None or isinstance(value, complex) \
            or isinstance(value, np.complexfloating):
        raise TypeError(f"{formula.name}(): argument {name!r} must be a real number or an array "
                        f"of them, not {type(value).__name__}")
    if isinstance(value, numbers.Real):
        return value
    try:
        array = np.asarray(value)
    except Exception as exc:
        raise TypeError(f"{formula.name}(): argument {name!r} cannot be read as an array ({exc})") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{formula.name}(): argument {name!r} must hold real numbers, "
                        f"not {array.dtype} values")
    return array


def _on_device(value):
    return hasattr(value, "__cuda_array_interface__")


def call(formula, kernel, args, kwargs, out=None):
    names = formula.arg_names
    values = bind(formula, args, kwargs)
    if hasattr(kernel, "evaluate") and any(map(_on_device, values + [out])):
        # device arrays stay on the device: the GPU kernel broadcasts and allocates there
        values = [v if _on_device(v) else check_value(formula, n, v) for n, v in zip(names, values)]
        return kernel.evaluate(values, out=out, out_shape=formula.out_shape)
    values = [check_value(formula, n, v) for n, v in zip(names, values)]
    dtype = kernel.dtype
    if out is None and all(_is_scalar(v) for v in values):
        results = kernel.scalar(*(float(v) for v in values))
        if formula.out_shape == ():
            return float(results[0])
        return np.array(results, dtype=dtype).reshape(formula.out_shape)
    arrays = [np.asarray(v, dtype=dtype) for v in values]
    shape = _broadcast_shape(formula, names, arrays)
    target = _output(formula, out, formula.out_shape + shape, dtype)
    outs = [target[idx] for idx in np.ndindex(*formula.out_shape)] if formula.out_shape else [target]
    kernel.run([a if a.shape == shape else np.broadcast_to(a, shape) for a in arrays], outs)
    if out is not None and target is not out:
        np.copyto(out, target, casting="same_kind")
        return out
    if out is None and target.ndim == 0:
        return float(target)
    return target


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
        if not np.can_cast(dtype, out.dtype, casting="same_kind"):
            raise TypeError(f"{formula.name}(): cannot write {dtype} results into out of dtype {out.dtype}")
        return np.empty(full_shape, dtype=dtype)
    return out
