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
import re

import sys

import numpy as np

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
    names = [n for n, _ in formula.signature] if getattr(formula, "open", None) is not None else None
    basic = getattr(sys.modules.get("sympy"), "Basic", ())   # no sympy loaded: no sympy values
    values = [float(v) if isinstance(v, basic) else v
              for v in calling.bind(formula, args, kwargs, names)]
    if names is not None:                  # vectors of any length: the generalized ufunc
        return (_xarray_gufunc if kind == "xarray" else _dask_gufunc)(formula, values)
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


class _Gufunc:
    """The formula's generalized ufunc on blocks whose core dimensions are whole (made
    again in each process from the pickled formula)."""

    def __init__(self, formula):
        self.formula = formula

    def __call__(self, *blocks):
        return self.formula.ufunc(*blocks)


def _core_dims(formula):
    """Each parameter's core dimension names and the output's, from the gufunc signature."""
    from .cpu.open_ufunc import signature
    inputs, output = signature(formula).split("->")
    parse = lambda text: [[d for d in part.strip("()").split(",") if d]  # noqa: E731
                          for part in text.replace("),(", ")|(").split("|")]
    return parse(inputs), parse(output)[0]


def _dask_gufunc(formula, values):
    """Vectors of any length as dask arrays, as the formula takes numpy arrays: a vector's
    axis first (a matrix's two), the other axes a batch computed chunk by chunk; the
    vector's axis is gathered into one chunk."""
    import dask.array as da
    from .cpu.open_ufunc import signature
    inputs, output = _core_dims(formula)
    moved = [da.moveaxis(da.asarray(v), list(range(len(core))), list(range(-len(core), 0)))
             if core and np.ndim(v) > len(core) else v for v, core in zip(values, inputs)]
    # dask names every core dimension: a fixed one ("3") gets a name of its own
    named = re.sub(r"(?<![\w])(\d+)(?![\w])", r"_\1", signature(formula))
    result = da.apply_gufunc(_Gufunc(formula), named, *moved, allow_rechunk=True,
                             output_dtypes=np.dtype(formula.options["dtype"]))
    k = len(output)
    return da.moveaxis(result, list(range(-k, 0)), list(range(k))) if k and result.ndim > k else result


def _xarray_gufunc(formula, values):
    """Vectors of any length as xarray objects: each one's first dimension (a matrix's
    first two) is the vector's, as with numpy arrays; a vector output takes the name of
    an input's dimension of its length."""
    import xarray as xr
    inputs, output = _core_dims(formula)
    named, input_dims = {}, []
    for value, core in zip(values, inputs):
        dims = list(getattr(value, "dims", ()))[:len(core)]
        if core and len(dims) != len(core):
            raise ValueError(f"{formula.name}(): an argument with core dimensions {core} needs as "
                             "many xarray dimensions")
        named.update(zip(core, dims))
        input_dims.append(dims)
    out_dims = [named.get(d, f"{formula.name}_output") for d in output]
    return xr.apply_ufunc(_Gufunc(formula), *values, input_core_dims=input_dims,
                          output_core_dims=[out_dims], dask="parallelized",
                          output_dtypes=[np.dtype(formula.options["dtype"])],
                          dask_gufunc_kwargs={"allow_rechunk": True})


def _xarray(formula, values):
    import xarray as xr
    core = [f"{formula.name}_output{k if k else ''}" for k in range(len(formula.out_shape))]
    sizes = dict(zip(core, formula.out_shape))
    return xr.apply_ufunc(_Blocks(formula, len(core)), *values, output_core_dims=[core],
                          dask="parallelized", output_dtypes=[np.dtype(formula.options["dtype"])],
                          dask_gufunc_kwargs={"output_sizes": sizes} if sizes else None)
