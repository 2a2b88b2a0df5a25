"""``Formula``: a function as sympy expressions, with calculus, printing and backends.

A Formula holds its argument Symbols, its output expressions (always a tuple,
row-major for 2-D results) and their ``out_shape``.  Calculus methods return
new Formulas; printing is text, LaTeX, pretty and standalone Python.  Calling
it compiles on first use for the dtype and target in its options (the LLVM CPU
backend by default, CUDA with ``target="cuda"``) and then evaluates with numpy
conventions (see ``calling``).
"""
import functools
import keyword
import threading

import numpy as np

from . import backends, calling
from .cached import CachedSide
from .deferred import deferred
from .errors import PyExprError, from_user
from .isolation import remembered
from .lazy import lazy_call

# the symbolic side, imported on first use: a formula from the disk cache calls without it
sympy = deferred("sympy")
calculus, dag, deep, functions, printing, rewrite, series, source_code = (
    deferred(f"pyexpr.{m}") for m in ("calculus", "dag", "deep", "functions", "printing",
                                      "stability.rewrite", "stability.series", "source_code"))

DEFAULT_OPTIONS = {"target": "cpu", "dtype": "float64", "simplify": "canonical",
                   "fastmath": False, "parallel": True, "cache": True, "stable": True}
_CHOICES = {"target": ("cpu", "cuda"), "dtype": ("float64", "float32"),
            "simplify": ("canonical", "full", False), "fastmath": (True, False),
            "parallel": (True, False), "cache": (True, False), "stable": (True, False)}


def check_options(options):
    """The full option dict, or ``TypeError``/``ValueError`` naming a bad option."""
    result = dict(DEFAULT_OPTIONS)
    for key, value in options.items():
        if key not in _CHOICES:
            raise TypeError(f"unexpected option {key!r}; the options are {', '.join(_CHOICES)}")
        if key == "dtype":
            value = _dtype_name(value)
        if not any(type(value) is type(c) and value == c for c in _CHOICES[key]):
            choices = " | ".join(repr(c) for c in _CHOICES[key])
            raise ValueError(f"option {key}={value!r} is not one of {choices}")
        result[key] = value
    return result


def _dtype_name(value):
    try:
        return np.dtype(value).name
    except TypeError:
        return value


def _check_identifiers(name, arg_names):
    """Names become parameters and appear in generated Python, C and LLVM text: only
    identifiers, so that none can carry code into it."""
    for what in (name, *arg_names):
        if not (isinstance(what, str) and what.isidentifier() and not keyword.iskeyword(what)):
            raise ValueError(f"{what!r} is not a Python identifier; a formula's name and its "
                             "arguments' names must be")


#: state that belongs to one Formula object, not to its definition
_PER_OBJECT = ("_kernels", "_lock", "_program", "_fast", "_ufunc", "_derivatives", "_by_components")


class Formula(CachedSide):
    """A named mathematical function of real arguments (see the module docstring)."""

    #: the attributes that belong to one object, not to its definition (``_fresh`` makes them)
    _per_object = _PER_OBJECT

    def __init__(self, name, args, outputs, out_shape=None, *, defaults=None, options=None,
                 latex_name=None, doc="", signature=None):
        self.name = name
        self.args = tuple(args)
        self.arg_names = tuple(a.name for a in self.args)
        _check_identifiers(name, self.arg_names)
        #: (parameter, vector length or None) as the formula is called: a vector ``y`` of
        #: length 3 is the arguments ``y_0, y_1, y_2``
        self.signature = _checked_signature(signature, self.arg_names)
        #: ``{vector parameter: its component Symbols}`` (every call asks: computed once)
        self.vectors = _vector_components(self.signature, self.args)
        #: the outputs as given, before the stability rewrites
        self.written = tuple(dag.without_zoo(functions.as_sympy(o)) for o in outputs)
        self.out_shape = tuple(out_shape) if out_shape is not None else \
            (() if len(self.written) == 1 else (len(self.written),))
        if int(np.prod(self.out_shape)) != len(self.written):
            raise ValueError(f"{len(self.written)} outputs do not fill out_shape {self.out_shape}")
        self._settle(defaults, options, latex_name, doc)

    def _settle(self, defaults, options, latex_name, doc):
        """The rest of a new formula (a subclass's too): defaults, options, the stability
        rewrites, the LaTeX name, the docstring, and its own empty state."""
        self.defaults = dict(defaults or {})
        self.options = check_options(options or {})
        self.outputs, self.rewrites = self._stabilized()
        self._latex_name = latex_name or printing.latex_name(self.name)
        self.__doc__ = doc
        self._fresh()

    def _fresh(self):
        """This object's own state, empty: compiled kernels, their lock, the Program,
        the backend's record of faster calls (``backends.faster_call``) and the ufunc."""
        self._kernels, self._lock, self._program, self._fast = {}, threading.Lock(), None, {}
        self._ufunc, self._derivatives = None, {}
        #: whether a call's vectors are taken apart into components (``_vector_call``)
        self._by_components = self._splits_vectors()

    def _splits_vectors(self):
        return any(length is not None for _, length in self.signature)

    def _stabilized(self):
        """``(outputs, rewrites)``: the stability rules applied (``stable=True``) unless
        the formula is to be computed as written (``simplify=False``)."""
        if self.options["stable"] and self.options["simplify"] is not False:
            outputs, fired = rewrite.stabilize(self.written)
            outputs, near = series.near_zero(outputs)
            return outputs, fired + near
        return self.written, ()

    # --- the formula as an object ----------------------------------------------
    @property
    def __name__(self):
        """The name, as a function has it (dask, scipy and numpy read it)."""
        return self.name

    @property
    def expr(self):
        if self.out_shape == ():
            return self.outputs[0]
        if len(self.out_shape) == 1:
            return sympy.Tuple(*self.outputs)
        return sympy.ImmutableMatrix(*self.out_shape, self.outputs)

    def _derived(self, name, outputs, out_shape, latex_name=None):
        return Formula(name, self.args, outputs, out_shape, defaults=self.defaults,
                       options=self.options, latex_name=latex_name, signature=self.signature)

    def _symbol(self, var):
        if isinstance(var, sympy.Symbol):
            var = var.name
        for a in self.args:
            if a.name == var:
                return a
        if var in self.vectors:
            raise ValueError(f"{var!r} is a vector of {len(self.vectors[var])} in {self.name}: "
                             f"differentiate by a component ({var}_0, ...), or take "
                             f"grad(wrt={var!r}) or jacobian(wrt={var!r})")
        raise ValueError(f"{var!r} is not an argument of {self.name}"
                         f"({', '.join(str(a) for a in self.args)})")

    def _wrt(self, wrt):
        if wrt is None and self.vectors and self.defaults:
            # beside a vector, parameters with defaults are held (scipy's jac is by x alone)
            return tuple(a for a in self.args if str(a) not in self.defaults)
        if wrt is None:
            return self.args
        if isinstance(wrt, (str, sympy.Symbol)):
            wrt = [wrt]
        vectors = self.vectors
        return tuple(s for w in wrt for s in (vectors[w] if isinstance(w, str) and w in vectors
                                              else (self._symbol(w),)))

    @classmethod
    def _definition_class(cls):
        """This class, or the one a fast-call subclass (``_install_call``) was made from."""
        return next(c for c in cls.__mro__ if "_fast_call_class" not in c.__dict__)

    def _become(self, other):
        """Take ``other``'s definition in place: what IPython's autoreload does to old
        functions when their module is reloaded (see ``pyexpr.interactive``)."""
        other._materialize()
        with self._lock:
            state = {k: v for k, v in other.__dict__.items() if k not in self._per_object}
            self.__dict__.clear()
            self.__dict__.update(state)
            self._fresh()
            # drop this object's fast-call subclass: its entries run the old kernels
            self.__class__ = self._definition_class()

    def __reduce__(self):
        """Pickled (and copied) by what defines it: name, arguments, expressions,
        defaults, options and rewrites.  The other side compiles on its first call,
        or loads the code from its own disk cache.  The Python function a formula was
        made from (``__wrapped__``) is left out: another process may not import it."""
        self._materialize()
        state = {k: v for k, v in self.__dict__.items()
                 if k not in self._per_object + ("__wrapped__", "_source_key")}
        if deep.height(self.written + self.outputs) > deep.PICKLED_DEPTH:
            state = _flattened(state)
        cls = self._definition_class()
        return _unpickled, (state,) if cls is Formula else (state, cls)

    # --- calculus -----------------------------------------------------------------
    @remembered
    def diff(self, *spec):
        """Partial derivative: ``diff("x")``, ``diff("x", "y")``, ``diff("x", 2)``."""
        counts = dict(getattr(self, "_diff_counts", {}))
        order = []
        for item in spec:
            if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
                if not order or item < 1:
                    raise ValueError("diff(): a count must follow a variable and be >= 1")
                order.extend([order[-1]] * (int(item) - 1))
            else:
                order.append(self._symbol(item))
        if not order:
            raise TypeError("diff() needs at least one variable")
        for sym in order:
            counts[sym.name] = counts.get(sym.name, 0) + 1
        base = getattr(self, "_diff_base", (self.name, self._latex_name))
        outputs = [calculus.derivative(o, *order) for o in self.outputs]
        result = self._derived(calculus.diff_name(base[0], counts), outputs, self.out_shape,
                               calculus.diff_latex(base[1], counts))
        result._diff_counts, result._diff_base = counts, base
        return result

    def _single(self, what):
        if self.out_shape != ():
            raise ValueError(f"{what}() needs a single-output formula; {self.name} has out_shape "
                             f"{self.out_shape} (use jacobian())")
        return self.outputs[0]

    @remembered
    def grad(self, wrt=None):
        """The gradient: partials in argument order, ``out_shape (n,)``."""
        expr, wrt = self._single("grad"), self._wrt(wrt)
        outputs = [calculus.derivative(expr, s) for s in wrt]
        return self._derived(f"grad_{self.name}", outputs, (len(wrt),), rf"\nabla {self._latex_name}")

    @remembered
    def hessian(self, wrt=None):
        """Second partials, ``out_shape (n, n)``; symmetric entries are computed once."""
        expr, wrt = self._single("hessian"), self._wrt(wrt)
        first = [calculus.derivative(expr, s) for s in wrt]
        n = len(wrt)
        cells = {}
        for i in range(n):
            for j in range(i, n):
                cells[i, j] = cells[j, i] = calculus.derivative(first[i], wrt[j])
        outputs = [cells[i, j] for i in range(n) for j in range(n)]
        return self._derived(f"hessian_{self.name}", outputs, (n, n), rf"H_{{{self._latex_name}}}")

    @remembered
    def hessp(self, wrt=None):
        """The Hessian by a vector argument times a vector ``p`` of its length, which follows
        it (scipy's ``hessp(x, p, *args)``): ``out_shape (n,)``."""
        expr = self._single("hessp")
        names = [n for n, k in self.signature if isinstance(k, int)] if wrt is None else [str(wrt)]
        if len(names) != 1 or names[0] not in self.vectors:
            raise NotImplementedError(f"{self.name}: hessp() is by one vector argument; name it "
                                      "(hessp(wrt='x')), or take hessian()")
        x = self.vectors[names[0]]
        taken = {str(a) for a in self.args} | set(self.arg_names)
        direction = next(f"p{'_' * k}" for k in range(len(taken) + 1)
                         if f"p{'_' * k}" not in taken and not any(t.startswith(f"p{'_' * k}_") for t in taken))
        p = [sympy.Symbol(f"{direction}_{k}", real=True) for k in range(len(x))]
        first = [calculus.derivative(expr, s) for s in x]
        outputs = [sympy.Add(*(calculus.derivative(first[i], s) * p[k] for k, s in enumerate(x)))
                   for i in range(len(x))]
        at = list(self.args).index(x[-1]) + 1
        place = [n for n, _ in self.signature].index(names[0]) + 1
        signature = self.signature[:place] + ((direction, len(x)),) + self.signature[place:]
        return Formula(f"hessp_{self.name}", self.args[:at] + tuple(p) + self.args[at:], outputs, (len(x),),
                       defaults=self.defaults, options=self.options,
                       latex_name=rf"H_{{{self._latex_name}}} {direction}", signature=signature)

    @remembered
    def jacobian(self, wrt=None):
        """``out_shape (m, n)``: row i holds the partials of output i."""
        wrt = self._wrt(wrt)
        outputs = [calculus.derivative(o, s) for o in self.outputs for s in wrt]
        return self._derived(f"jacobian_{self.name}", outputs, (len(self.outputs), len(wrt)),
                             rf"J_{{{self._latex_name}}}")

    def simplify(self):
        """A Formula with ``sympy.simplify`` applied to every output."""
        return self._derived(self.name, [functions.simplified(o) for o in self.outputs],
                             self.out_shape, self._latex_name)

    # --- printing -----------------------------------------------------------------
    def _signature(self):
        if not self.vectors:
            return f"{self.name}({', '.join(str(a) for a in self.args)})"
        return f"{self.name}({', '.join(n if k is None else f'{n}[{k}]' for n, k in self.signature)})"

    def __str__(self):
        return printing.text(self._signature(), self.args, self.expr)

    def __repr__(self):
        return f"<pyexpr.Formula {self}>"

    def latex(self):
        args = ", ".join(sympy.latex(a) for a in self.args) if not self.vectors else ", ".join(
            sympy.latex(sympy.Symbol(n)) + ("" if k is None else rf" \in \mathbb{{R}}^{{{k}}}")
            for n, k in self.signature)
        return printing.latex(rf"{self._latex_name}\left({args}\right)", self.args, self.expr)

    def _repr_latex_(self):
        return f"$\\displaystyle {self.latex()}$"

    def pretty(self):
        return printing.pretty(self.name, self.args, self.expr)

    @property
    def python_source(self):
        return source_code.python_source(self.name, self.args, self.outputs,
                                      self.out_shape, self.defaults, as_written=self._as_written,
                                      vectors=self.vectors)

    @property
    def _as_written(self):
        return self.options["simplify"] is False

    # --- evaluation -----------------------------------------------------------------
    def bind_symbolic(self, args, kwargs):
        """Argument values for inlining this formula into another (defaults filled)."""
        self._materialize()             # (its defaults as sympy numbers, as the front end reads)
        return calling.bind(self, args, kwargs, plain=False)

    @property
    def program(self):
        """The flat SSA ``Program`` both code generators consume."""
        if self._program is None:
            self._program = backends.program(self.name, self.args, self.outputs,
                                             as_written=self._as_written)
            if self.__dict__.get("_source_key"):     # the next run reads it from the disk cache
                self._record()
        return self._program

    def kernel(self, dtype=None):
        """The compiled kernel for ``dtype`` (default: the formula's), compiled once."""
        dtype = self.options["dtype"] if dtype is None else np.dtype(dtype).name
        kernel = self._kernels.get(dtype)
        if kernel is None:
            with self._lock:
                kernel = self._kernels.get(dtype)
                if kernel is None:
                    try:
                        kernel = self._kernels[dtype] = self._compile(dtype)
                    except PyExprError as error:
                        raise from_user(error)  # pyexpr's message; PYEXPR_DEBUG=1 shows all
        return kernel

    def _compile(self, dtype):
        return backends.compile(self, dtype)

    def __call__(self, *args, out=None, **kwargs):
        return self._call(*args, out=out, **kwargs)

    def call_args(self, *values, out=None):
        """Evaluate with one value per entry of ``args``: a vector's components apart."""
        result = lazy_call(self, values, {}, out)        # dask and xarray arguments
        if result is not None:
            return result
        return calling.call(self, self.kernel(), values, {}, out)

    def _call(self, *args, out=None, **kwargs):
        if out is not None and self._point_out(out, args, kwargs):
            # f(x, t, out=o) at one point: the entries' value, written into o
            out[...] = self(*args, **kwargs)
            return out
        if self._by_components:     # the components; the faster entries take none of this
            return self._vector_call(args, kwargs, out)
        result = lazy_call(self, args, kwargs, out)        # dask and xarray arguments
        if result is not None:
            return result
        kernel = self.kernel()
        result = calling.call(self, kernel, args, kwargs, out)
        chain = backends.faster_call(self, kernel, self._fast, args, kwargs, out)
        if chain is not None:
            self._install_call(kernel, chain(self._call))
        return result

    def _point_out(self, out, args, kwargs):
        """Whether a call with ``out=`` is of one point (numbers; a fixed-length vector
        formula's vectors of their lengths) into an array of the result's own shape and
        dtype: then the value the float entry gives is the value to write."""
        if type(out) is not np.ndarray or out.dtype != self.options["dtype"] or not out.flags.writeable \
                or out.shape != self._point_shape or self.options["target"] != "cpu":
            return False
        if self._by_components:
            return not kwargs and calling.scalar_components(self, args) is not None
        return all(type(a) in calling.POINT_NUMBERS for a in args) and \
            all(type(a) in calling.POINT_NUMBERS for a in kwargs.values())

    @functools.cached_property
    def _point_shape(self):
        return tuple(int(d) for d in self.out_shape)

    def _vector_call(self, args, kwargs, out):
        if out is None and (kwargs or len(args) < len(self.signature)):
            # rhs(t, y=y0), rhs(t, y) of rhs(t, y, k=0.04): made positional
            full = calling.positional(self, args, kwargs)
            args, kwargs = (full, {}) if full is not None else (args, kwargs)
        floats = None if kwargs or out is not None or self.options["dtype"] != "float64" \
            or self.options["target"] != "cpu" else calling.scalar_components(self, args)
        if floats is not None:      # one point, as scipy's solvers call: the float entry
            point = self._fast.get("point")
            if point is None:
                kernel = self.kernel()
                point = self._fast["point"] = backends.point_call(self, kernel)
                head = backends.point_head(self, point, self._call)
                if head is not None:    # later such calls skip this method
                    self._install_call(kernel, head)
            return point(*floats)
        return self.call_args(*calling.components(self, args, kwargs), out=out)

    def _install_call(self, kernel, head):
        """Make ``head`` (a backend's faster route to ``_call``) this object's ``__call__``,
        through a subclass made for it, unless ``kernel`` has been replaced since (a new
        definition taken by ``_become``)."""
        with self._lock:
            if kernel is not self._kernels.get(self.options["dtype"]):
                return
            if "_fast_call_class" in type(self).__dict__:
                type(self).__call__ = head
            else:
                self.__class__ = type(type(self).__name__, (type(self),),
                                      {"__call__": head, "__module__": __name__, "_fast_call_class": True})

    @property
    def ufunc(self):
        """A real ``numpy.ufunc`` running this formula's compiled CPU loops (float32 and
        float64): ``reduce``, ``accumulate``, ``outer``, ``at``, ``where=``, ``out=`` and
        libraries that dispatch ufuncs work.  Positional arguments only (no defaults);
        several outputs are a tuple of arrays, as numpy's ufuncs give them."""
        with self._lock:
            if self._ufunc is None:
                self._ufunc = backends.ufunc(self)
        return self._ufunc

    @property
    def llvm_ir(self):
        return backends.cpu_kernel(self, self.options["dtype"]).llvm_ir

    @property
    def ctypes(self):
        self._single("ctypes")
        return backends.cpu_kernel(self, self.options["dtype"]).ctypes

    @property
    def cuda_source(self):
        return backends.cuda_source(self)


def _flattened(state):
    """A deep formula's state with its expressions, the rewrites' too, as one table of
    nodes (``deep.flat``): pickle itself recurses once or more per level."""
    written, outputs, rewrites = state["written"], state["outputs"], state["rewrites"]
    exprs = [*written, *outputs, *(e for r in rewrites for e in (r.before, r.after))]
    kept = {k: v for k, v in state.items() if k not in ("written", "outputs", "rewrites")}
    kept["_flat"] = (deep.flat(exprs), len(written), len(outputs), [(r.name, r.why) for r in rewrites])
    return kept


def _restored(state):
    (nodes, roots), n_written, n_outputs, labels = state.pop("_flat")
    exprs = deep.unflat(nodes, roots)
    state["written"], state["outputs"] = exprs[:n_written], exprs[n_written:n_written + n_outputs]
    parts = exprs[n_written + n_outputs:]
    state["rewrites"] = tuple(rewrite.Rewrite(name, parts[2 * i], parts[2 * i + 1], why)
                              for i, (name, why) in enumerate(labels))
    return state


def _unpickled(state, cls=None):
    if "_flat" in state:
        state = _restored(dict(state))
    cls = cls or Formula
    formula = cls.__new__(cls)
    formula.__dict__.update(state)
    formula._fresh()
    return formula


def _checked_signature(signature, arg_names):
    if not signature:
        return tuple((name, None) for name in arg_names)
    flat = [c for n, k in signature for c in ((n,) if k is None else functions.component_names(n, k))]
    if tuple(flat) != arg_names:
        raise ValueError(f"the signature {signature} does not expand to the arguments {arg_names}")
    return tuple(signature)


def _vector_components(signature, args):
    found, start = {}, 0
    for name, length in signature:
        if length is not None:
            found[name] = args[start:start + length]
        start += 1 if length is None else length
    return found
