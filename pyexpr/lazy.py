"""Calls on lazy and labelled arrays: a dask array argument gives a lazy dask array,
an xarray argument an xarray object with its dims and coords.

Each block (or chunk) is computed by the formula itself, which pickles by what
defines it, so a task graph ships to ``dask.distributed`` workers in other
processes, which compile it there or load it from their own cache.  The
``out_shape`` axes of a formula with several outputs come first with dask (as
with numpy) and last, as a core dimension ``<name>_output``, with xarray (its
convention).
"""
import itertools

import numpy as np
import sympy

from . import calling


def lazy_call(formula, args, kwargs, out):
    """The lazy result of ``formula(*args, **kwargs)``, or None where no argument is a
    dask or xarray object."""
    kind = _kind(itertools.chain(args, kwargs.values()) if kwargs else args)
    if kind is None:
        return None
    if out is not None:
        raise TypeError(f"{formula.name}(): out= cannot be given with {kind} arguments: the "
                        "result is a new lazy array")
    values = [float(v) if isinstance(v, sympy.Basic) else v
              for v in calling.bind(formula, args, kwargs)]
    return (_xarray if kind == "xarray" else _dask)(formula, values)


#: the types of nearly every call, passed over at once (the check is on every slow call)
_PLAIN = (float, int, np.ndarray, np.generic)


def _kind(values):
    kind = None
    for value in values:
        if not isinstance(value, _PLAIN):
            module = type(value).__module__.partition(".")[0]
            if module == "xarray":
                return "xarray"            # it wraps dask arrays itself
            kind = kind or ("dask" if module == "dask" else None)
    return kind


class _Blocks:
    """The formula on one block of each argument, as an array of its dtype."""

    def __init__(self, formula, moved=0):
        self.formula, self.moved = formula, moved

    def __call__(self, *blocks):
        result = np.asarray(self.formula.call_args(*blocks), dtype=self.formula.options["dtype"])
        # xarray wants the output axes last
        return np.moveaxis(result, range(self.moved), range(-self.moved, 0)) if self.moved else result


def _dask(formula, values):
    import dask.array as da
    arrays = da.broadcast_arrays(*(da.asarray(v) for v in values))
    dims = tuple(f"d{k}" for k in range(arrays[0].ndim))
    outs = tuple(f"o{k}" for k in range(len(formula.out_shape)))
    dtype = np.dtype(formula.options["dtype"])
    return da.blockwise(_Blocks(formula), outs + dims,
                        *itertools.chain.from_iterable((a, dims) for a in arrays),
                        new_axes=dict(zip(outs, formula.out_shape)), dtype=dtype,
                        meta=np.empty((0,) * (len(outs) + len(dims)), dtype))


def _xarray(formula, values):
    import xarray as xr
    core = [f"{formula.name}_output{k if k else ''}" for k in range(len(formula.out_shape))]
    sizes = dict(zip(core, formula.out_shape))
    return xr.apply_ufunc(_Blocks(formula, len(core)), *values, output_core_dims=[core],
                          dask="parallelized", output_dtypes=[np.dtype(formula.options["dtype"])],
                          dask_gufunc_kwargs={"output_sizes": sizes} if sizes else None)
