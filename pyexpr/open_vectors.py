"""``OpenFormula``: a Formula of vectors whose length the code leaves open.

``def rosen(x): return np.sum(100*(x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2)``
is one formula for every length ``n`` of ``x``: its output is a ``Sum``
over an index (``pyexpr.indexing``), its gradient one expression in an
index ``j`` with the cases at the ends (``sum_calculus.element_derivative``),
its Hessian applied to a vector (``hessp``) the directional derivative of
that, and all of them compile once, as loops (``ir.loops`` ->
``cpu.loops``), whatever ``n`` a call brings.  A vector output of fewer
elements than its cases need (``n`` below the minimum ``indexing.cases``
gives) is computed from the formula written out at that length.
"""
import numpy as np

from . import open_calls, open_quick
from .cached import SYMBOLIC
from .deferred import deferred
from .formula import Formula
from .isolation import isolated, remembered
from .open_printing import OpenPrinting

# the symbolic side, imported on first use: a formula from the disk cache calls without it
sympy = deferred("sympy")
banded, calculus, dag, functions, indexing, matrix_calculus, sum_calculus, loop_build, open_ufunc = (
    deferred(f"pyexpr.{m}") for m in ("banded", "calculus", "dag", "functions", "indexing", "matrix_calculus",
                                      "sum_calculus", "ir.loop_build", "cpu.open_ufunc"))


class OpenFormula(OpenPrinting, Formula):
    """A Formula whose arguments include vectors of any length (see the module docstring).

    ``signature`` pairs each parameter with None (a scalar) or its length Symbol;
    ``index`` is the element index of a vector output (``out_shape == (length,)``)."""

    def __init__(self, name, args, outputs, out_shape=(), *, defaults=None, options=None,
                 latex_name=None, doc="", signature=None, index=None, needs=(), constants=(), exact=(),
                 steps=(), column=None, direction=None):
        self.name, self.args = name, tuple(args)
        #: of a product with a Hessian or Jacobian (``hessp``, ``jvp``): its vector's name
        self.direction = direction
        self.arg_names = tuple(str(a) for a in self.args)
        self.signature = tuple(signature)
        self.index = index
        #: (vector, least length): the reads at fixed places of the code it came from
        self.needs = tuple(needs)
        #: (length Symbol's name, number): lengths the code fixes by combining with data
        self.exact = tuple(exact)
        #: (length Symbol's name, modulus, residues, reasons): lengths the code runs at only
        #: modulo a step (``x[::2] * x[1::2]``: even ones), which a call checks
        self.steps = tuple(steps)
        #: a matrix output's column index (``index`` its row's, ``out_shape (rows, cols)``)
        self.column = column
        #: (name, array): module-level data read as vectors (or matrices) of constants
        self.constants = tuple((name, np.array(array, dtype=float)) for name, array in constants)
        self.open, self.vectors = _kinds(self.args, self.signature)
        self.written = tuple(dag.without_zoo(sympy.sympify(o)) for o in outputs)
        self.out_shape = tuple(out_shape)
        self._settle(defaults, options, latex_name, doc)
        #: what a call reads of all this, as plain values (``open_calls.CallForm``)
        self._call_form = open_calls.call_form(self)

    steps, direction = (), None     # (what formulas pickled before these existed lack)

    #: a formula from the disk cache has its calls' fields, not its symbolic side
    _symbolic = SYMBOLIC + ("signature", "out_shape", "index", "column", "open")
    _entry_attributes = ("name", "arg_names", "options", "defaults", "_call_form", "needs", "exact", "steps",
                         "constants")

    def __getattr__(self, name):
        # (only for attributes not set) what formulas pickled before these existed lack
        if "_pending" not in self.__dict__:
            if name == "column":
                return None
            if name == "_call_form" and "signature" in self.__dict__:
                self._call_form = open_calls.call_form(self)
                return self._call_form
        return super().__getattr__(name)

    def _identity(self):
        return self.arg_names, self._call_form

    def _entry_state(self):
        return {"kind": "open", "call_form": self._call_form, "needs": self.needs, "exact": self.exact,
                "steps": self.steps, "constants": self.constants}

    def _splits_vectors(self):
        return False

    #: besides a Formula's: the written-out formulas by length, the data in each dtype, the
    #: quick call's plan and runner
    _per_object = Formula._per_object + ("_fixed", "_data_cache", "_plan", "_runner")

    def _fresh(self):
        super()._fresh()
        self._fixed = {}
        self.__dict__.pop("_data_cache", None)
        self.__dict__.pop("_plan", None)
        self.__dict__.pop("_runner", None)

    def _like(self, name, args, signature, outputs, out_shape=(), index=None, latex_name=None, column=None,
              direction=None):
        return OpenFormula(name, args, outputs, out_shape, options=self.options, signature=signature,
                           index=index, latex_name=latex_name, defaults=self.defaults, needs=self.needs,
                           constants=self.constants, exact=self.exact, steps=self.steps, column=column,
                           direction=direction or self.direction)

    # --- calculus -----------------------------------------------------------------
    def _wrt_split(self, wrt):
        names = self._by_default() if wrt is None else \
            [str(w) for w in wrt] if isinstance(wrt, (tuple, list)) else [str(wrt)]
        known = set(dict(self.signature)) | set(self.arg_names)
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not an argument of {self._text_signature()}")
        scalars = [s for n in names if n not in self.open
                   for s in (self.vectors[n] if n in self.vectors else (self._symbol(n),))]
        return [n for n in names if n in self.open], [str(s) for s in scalars]

    def _by_default(self):
        """What a derivative without ``wrt`` is by: every argument, but beside vectors of any
        length not those with defaults (``ackley(x, a=20.0, b=0.2)``: its ``grad()`` is by
        ``x``, as scipy's ``jac`` is; ``wrt=`` names them)."""
        names = [n for n, _ in self.signature]
        if any(n in self.open for n in names):
            names = [n for n in names if n in self.open or n not in self.defaults]
        return names

    def _no_matrix_output(self, what):
        if self.column is not None:
            raise NotImplementedError(f"{self.name} returns a matrix: its {what} is not supported yet; "
                                      "diff() by a scalar argument gives the matrix of its partials")

    @remembered
    def grad(self, wrt=None):
        """The gradient.  By a vector of any length: one formula in an index ``j``, its
        cases at the ends, ``out_shape (n,)``; by scalars: their partials (sums)."""
        self._no_matrix_output("gradient")
        expr = self._single("grad")
        vectors, scalars = self._wrt_split(wrt)
        if vectors and scalars or len(vectors) > 1:
            raise NotImplementedError("grad() by a vector of any length and other arguments at once "
                                      "is not supported yet: take them apart")
        if scalars:
            syms = [a for a in self.args if str(a) in scalars]
            return self._like(f"grad_{self.name}", self.args, self.signature,
                              [calculus.derivative(expr, s) for s in syms], (len(syms),),
                              latex_name=rf"\nabla {self._latex_name}")
        base, length = self.open[vectors[0]]
        j = self._element_index()
        if isinstance(length, tuple):               # by a matrix: one formula in (j, l)
            l = self._element_index(avoid={str(j)}, first="l")
            element = matrix_calculus.element_derivative(expr, base, j, l)
            return self._like(f"grad_{self.name}", self.args, self.signature, [element],
                              tuple(self._fixed_length(d) for d in length), j,
                              latex_name=rf"\nabla {self._latex_name}", column=l)
        element = sum_calculus.element_derivative(expr, base, j)
        return self._like(f"grad_{self.name}", self.args, self.signature, [element], (self._fixed_length(length),),
                          j, latex_name=rf"\nabla {self._latex_name}")

    def _fixed_length(self, length):
        """``length`` with the lengths the data fixes (``exact``) as their numbers."""
        fixed = {sympy.Symbol(s, integer=True, nonnegative=True): v for s, v in self.exact}
        return sympy.sympify(length).xreplace(fixed) if fixed else length

    def _element_index(self, avoid=(), first="j"):
        j = indexing.index_symbol(first)
        # every Symbol, bound ones too: a sum's own index may be called j (for j in range(n))
        taken = {str(s) for o in self.outputs for s in o.atoms(sympy.Symbol)} | set(avoid)
        return j if first not in taken and first not in self.arg_names else \
            indexing.fresh_index(*self.outputs, avoid=set(self.arg_names) | {first, "j"} | set(avoid))

    @remembered
    def hessp(self, wrt=None):
        """The Hessian times a vector ``p``: ``hessp(x, p)`` (scipy's ``hessp``), one formula
        in ``j`` -- the derivative of the gradient along ``p``, its sums kept sums."""
        gradient = self.grad(wrt)
        if gradient.index is None:
            raise NotImplementedError("hessp() is for a vector argument of any length")
        return gradient._along(self._wrt_split(wrt)[0][0], f"hessp_{self.name}", "p",
                               rf"H_{{{self._latex_name}}}")

    @remembered
    def jvp(self, wrt):
        """The Jacobian of a vector output by the vector ``wrt`` times a vector ``v``:
        ``jvp(..., v)``, one formula in ``j`` (of a matrix output, in ``(j, l)``: the
        derivative of each entry along ``v``)."""
        return self._along(wrt, f"jvp_{self.name}", "v", rf"J_{{{self._latex_name}}}")

    def _along(self, name, new_name, direction, latex):
        """This vector output's derivative along a new vector argument ``direction`` of
        ``name``'s length: the product of its Jacobian by ``name`` with that vector (of a
        matrix output: a matrix in the same (j, l))."""
        if name not in self.open or self.index is None or len(self.outputs) > 1:
            raise NotImplementedError(f"{self.name}: a product with the Jacobian needs one vector output "
                                      "and a vector of any length")
        base, length = self.open[name]
        p = indexing.vector(_free_name(direction, self.arg_names))
        element = sum_calculus.directional(self.outputs[0], base, p)
        # the direction right after its vector: scipy calls hessp(x, p, *args)
        at = [n for n, _ in self.signature].index(name) + 1
        flat = sum(len(a) for a, _ in list(_entries(self.args, self.signature))[:at])
        return self._like(new_name, self.args[:flat] + (p,) + self.args[flat:],
                          self.signature[:at] + ((str(p), length),) + self.signature[at:],
                          [element], self.out_shape, self.index, latex_name=f"{latex} {sympy.latex(p)}",
                          column=self.column, direction=str(p))

    @remembered
    def hessian(self, wrt=None, sparse=False):
        """The Hessian.  By a vector of any length, evaluated from ``hessp``: a callable
        ``H(x, ...)`` giving a dense array, or with ``sparse=True`` a scipy CSR matrix
        built from as many ``hessp`` products as the band's width (the Hessian's
        diagonals, read off the formula).  By scalars: a formula of their second
        partials (sums), ``out_shape (k, k)``."""
        vectors, scalars = self._wrt_split(wrt)
        if scalars and not vectors:
            return self.grad(scalars).jacobian(scalars)
        return banded.Banded(self.hessp(wrt), sparse, f"hessian_{self.name}", "H")

    @remembered
    def jacobian(self, wrt=None, sparse=False):
        """By scalars (or vectors of fixed length): ``out_shape (m, k)`` for ``m`` outputs,
        ``(n, k)`` for a vector output of any length (scipy's ``least_squares`` form).  Of
        a vector output by a vector of any length: a callable matrix like ``hessian``'s,
        from ``jvp`` (``solve_ivp(rhs, ..., jac=rhs.jacobian(wrt="y", sparse=True))``)."""
        self._no_matrix_output("Jacobian")
        vectors, scalars = self._wrt_split(wrt)
        if self.index is None and self.out_shape == () and vectors:
            return self.grad(wrt)               # of one number: its gradient
        if vectors and not scalars and len(vectors) == 1:
            return banded.Banded(self.jvp(vectors[0]), sparse, f"jacobian_{self.name}", "J")
        if vectors or self.index is not None and len(self.outputs) > 1:
            raise NotImplementedError("jacobian() by a vector of any length together with other "
                                      "arguments is not supported yet")
        syms = [a for a in self.args if str(a) in scalars]
        outputs = [calculus.derivative(o, s) for o in self.outputs for s in syms]
        rows = self.out_shape[0] if self.index is not None else len(self.outputs)
        return self._like(f"jacobian_{self.name}", self.args, self.signature, outputs,
                          (rows, len(syms)), self.index, latex_name=rf"J_{{{self._latex_name}}}")

    def simplify(self):
        """sympy.simplify of every output (it may split a sum into several)."""
        return self._like(self.name, self.args, self.signature,
                          [functions.simplified(o) for o in self.outputs],
                          self.out_shape, self.index, self._latex_name, self.column)

    @property
    def ctypes(self):
        raise NotImplementedError(f"{self.name} takes vectors of any length: it has no scalar C "
                                  "function; call it")

    def call_args(self, *values, out=None):
        """As a call: a vector of any length is one argument here."""
        return self(*values, out=out)

    def _symbol(self, var):
        # (``diff``'s variables: the scalar arguments; a vector of any length has no one Symbol)
        if str(var) in self.open:
            raise NotImplementedError(f"{self.name}: diff() by {str(var)!r}, a vector of any length, is not "
                                      f"supported: take grad({str(var)!r}) (one formula in an index) or "
                                      f"jvp({str(var)!r})")
        return super()._symbol(var)

    def _derived(self, name, outputs, out_shape, latex_name=None):
        # ``diff``'s result: every output's derivative, of the same shape (a matrix output's a
        # matrix in the same (j, l))
        return self._like(name, self.args, self.signature, outputs, out_shape, self.index, latex_name, self.column)

    def exact_slots(self):
        """``(slot, length)`` of each length the data fixes (``exact``), slots as a call's."""
        return open_quick.exact_slots(self)

    def step_slots(self):
        """``(slot, modulus, residues)`` of each condition ``steps`` puts on a length."""
        return open_quick.step_slots(self)

    @property
    def ufunc(self):
        """A generalized numpy ufunc, its core dimensions named after the lengths
        (``rosen.ufunc.signature == "(n)->()"``), running the compiled loops for each point
        of the other dimensions (``cpu.open_ufunc``); float32 and float64."""
        with self._lock:
            if self._ufunc is None:
                from .cpu.loops import compile_loops
                self._ufunc = open_ufunc.make(self, lambda dtype: compile_loops(
                    self.program, dtype, fastmath=self.options["fastmath"], cache=self.options["cache"]))
        return self._ufunc

    # --- evaluation -------------------------------------------------------------------
    @property
    def program(self):
        if self._program is None:
            scalars = [a for a in self.args if str(a) not in self.open]
            vectors = [self.open[str(a)] for a in self.args if str(a) in self.open]
            vectors += [(indexing.vector(name), tuple(sympy.Integer(d) for d in array.shape)
                         if array.ndim == 2 else sympy.Integer(array.size)) for name, array in self.constants]
            length = self.out_shape[0] if self.index is not None else None
            width = self.out_shape[1] if self.column is not None else None
            self._program = isolated(loop_build.from_indexed)(self.name, scalars, vectors, self.outputs, self.index,
                                                              length, self.column, width, where=self.steps)
            if self.__dict__.get("_source_key"):     # the next run reads it from the disk cache
                self._record()
        return self._program

    def _compile(self, dtype):
        if self.options["target"] == "cuda":
            from .gpu.loops_run import GPULoopKernel
            return GPULoopKernel(self.program, dtype, self.options["fastmath"])
        from .cpu.loops import compile_loops
        return compile_loops(self.program, dtype, fastmath=self.options["fastmath"],
                             cache=self.options["cache"])

    @property
    def cuda_source(self):
        """The CUDA C of the formula's loops (``gpu.loops_c``), for its dtype."""
        from .gpu.loops_c import loops_source
        return loops_source(self.program, self.options["dtype"], self.options["fastmath"])

    @property
    def llvm_ir(self):
        from .cpu.loops import compile_loops
        return compile_loops(self.program, self.options["dtype"], fastmath=self.options["fastmath"],
                             cache=self.options["cache"]).llvm_ir

    def __call__(self, *args, out=None, **kwargs):
        return open_calls.call(self, args, kwargs, out)

    def _data(self, dtype):
        """The constant data arrays in the formula's dtype (made once per dtype)."""
        cache = self.__dict__.setdefault("_data_cache", {})
        if dtype not in cache:
            cache[dtype] = [np.ascontiguousarray(a, dtype=dtype) for _, a in self.constants]
        return cache[dtype]

    def at_lengths(self, sizes):
        """The ordinary Formula of this one at the lengths ``sizes`` ({length Symbol: int}):
        every sum written out, each element an argument ``x_0, x_1, ...``."""
        components, args, signature = {}, [], []
        for a, (name, length) in _entries(self.args, self.signature):
            if not isinstance(length, (sympy.Symbol, tuple)):
                args.extend(a)
                signature.append((name, length))
                continue
            a = a[0]
            if isinstance(length, tuple):
                rows, cols = (sizes[d] for d in length)
                components[a] = tuple(tuple(sympy.Symbol(f"{name}_{r}_{c}", real=True) for c in range(cols))
                                      for r in range(rows))
                args.extend(x for row in components[a] for x in row)
                signature.extend((f"{name}_{r}", cols) for r in range(rows))
                continue
            k = sizes[length]
            components[a] = tuple(sympy.Symbol(f"{name}_{m}", real=True) for m in range(k))
            args.extend(components[a])
            signature.append((name, k))
        for name, array in self.constants:          # data written out as its numbers
            values = [[sympy.Float(float(v)) for v in row] for row in np.atleast_2d(array)]
            components[indexing.vector(name)] = tuple(map(tuple, values)) if array.ndim == 2 else tuple(values[0])
        if self.index is None:
            outputs = [indexing.fixed(o, sizes, components) for o in self.outputs]
        elif self.column is not None:
            size, width = (max(int(sympy.sympify(d).subs(sizes)), 0) for d in self.out_shape)
            outputs = [indexing.fixed(self.outputs[0].subs({self.index: r, self.column: c}), sizes, components)
                       for r in range(size) for c in range(width)]
        else:
            size = max(int(sympy.sympify(self.out_shape[0]).subs(sizes)), 0)   # x[1:] of no elements: none
            outputs = [indexing.fixed(o.subs(self.index, m), sizes, components)
                       for m in range(size) for o in self.outputs]
        shape = self.out_shape if self.index is None else (size, width) if self.column is not None else \
            (size,) + tuple(self.out_shape[1:])
        return Formula(self.name, args, outputs, shape, options=self.options,
                       signature=tuple(signature) if any(k for _, k in signature) else None)



def _free_name(name, taken):
    while name in taken:
        name += "_"
    return name


def _entries(args, signature):
    """``(args of one parameter, (name, length))`` per parameter: one Symbol, the
    components of a fixed-length vector, or the IndexedBase of an open one."""
    start = 0
    for name, length in signature:
        step = length if isinstance(length, int) else 1
        yield args[start:start + step], (name, length)
        start += step


def _kinds(args, signature):
    """``({open vector: (IndexedBase, length)}, {fixed vector: components})``."""
    opened, fixed = {}, {}
    for a, (name, length) in _entries(args, signature):
        if isinstance(length, (sympy.Symbol, tuple)):      # a matrix's length is its shape
            opened[name] = (a[0], length)
        elif isinstance(length, int):
            fixed[name] = a
    return opened, fixed
