"""A matrix of a formula over vectors of any length, evaluated from its product with a vector.

``Banded(product, sparse, name, letter)``: the Hessian (``hessp``) or the Jacobian
(``jvp``) of an ``OpenFormula`` by a vector.  It prints as its diagonals, each with
its cases (``H[j, j - 1]``, ``H[j, j]``, ...), read off the product formula, or says
the matrix is dense; called like the formula (the direction left out), it gives a
dense array, or with ``sparse`` a scipy CSR matrix made of one product per color of
its band (columns ``k`` and ``k + width`` never meet in a row).
"""
from types import SimpleNamespace

import numpy as np
import sympy

from . import calling, indexing
from .printing import range_latex, range_text


class Banded:
    """A matrix (a Hessian, a Jacobian) of an ``OpenFormula`` by a vector, from the
    formula of its product with a vector (``hessp``, ``jvp``): printed as its diagonals,
    called as the formula is (the product's direction left out) to give a dense
    array, or with ``sparse`` a scipy CSR matrix from one product per color of its band."""

    def __init__(self, product, sparse, name, letter):
        self.hessp, self.sparse, self.name, self.letter = product, sparse, name, letter
        self._layout = None         # (offsets, rows at the lengths): symbolic work, done once
        names = [n for n, _ in product._call_form.signature]
        at = names.index(product.direction)     # (scipy's hessp(x, p, *args): after x)
        #: the call's parameters (the product's but the direction), and the direction's place
        self._parameters, self._at = names[:at] + names[at + 1:], at

    def __getstate__(self):
        # (a compiled function does not pickle; the index tables are remade on demand)
        return {k: v for k, v in self.__dict__.items() if k != "_plans"} | {"_layout": None}

    @property
    def rewrites(self):
        return self.hessp.rewrites

    def latex(self):
        """The diagonals as cases in LaTeX (the product formula's where the matrix is dense)."""
        bands = self.diagonals()
        if bands is None:
            return self.hessp.latex()
        j = self.hessp.index
        rows = []
        for d, pieces in sorted(bands.items()):
            cases = r" \\ ".join(rf"{sympy.latex(e)} & {range_latex(j, lo, hi)}" for lo, hi, e in pieces)
            rows.append(rf"{self.letter}_{{{sympy.latex(j)}, {sympy.latex(j + d)}}} &= "
                        rf"\begin{{cases}} {cases} \end{{cases}}")
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"

    def _from_product(self, text, comment="#"):
        return (f"{comment} {self.name} is evaluated from {self.hessp.name}, the product with a "
                f"vector, one product per color of its band:\n{text}")

    @property
    def python_source(self):
        return self._from_product(self.hessp.python_source)

    @property
    def llvm_ir(self):
        return self._from_product(self.hessp.llvm_ir, ";")

    @property
    def cuda_source(self):
        return self._from_product(self.hessp.cuda_source, "//")

    def pretty(self):
        return str(self)

    def __str__(self):
        bands = self.diagonals()
        hessp = self.hessp
        head = hessp._text_signature(self.name, skip=hessp.direction)
        if bands is None:
            return f"{head} = a dense matrix; times a vector:\n{hessp}"
        j = hessp.index
        minimum = hessp.cases()[0]
        h = self.letter
        taken = {str(j), h} | {name for name, _ in hessp.signature} | \
            {str(s) for _, n in hessp.signature for s in sympy.sympify(n if n is not None else 0).free_symbols}
        k = next(c for c in ("k", "l", "c", "col", "column") if c not in taken)
        lines = [f"{head}: {h}[{j}, {k}] is 0 unless {k} - {j} is one of {sorted(bands)}" +
                 _held_for(indexing.least_pairs(hessp.out_shape[0], minimum))]
        for d, pieces in sorted(bands.items()):
            lines.append(f"  {h}[{j}, {sympy.sstr(j + d)}]:")
            lines += [f"    {range_text(j, lo, hi)}:  {expr}" for lo, hi, expr in pieces]
        return "\n".join(lines)

    def diagonals(self):
        """``{d: [(first, last, expression), ...]}``: ``H[j, j + d]`` for the ``j`` of each
        range (cases as ``OpenFormula.cases``), the entries that can be nonzero; None where
        the Hessian is dense."""
        offsets = self.offsets()
        if offsets is None:
            return None
        p, j = self._direction(), self.hessp.index
        _, pieces = self.hessp.cases()
        holder = sympy.Dummy("t", real=True)
        bands = {}
        for d in offsets:
            rows = []
            for lo, hi, piece in pieces:
                element = p[(lo if lo == hi else j) + d]
                coefficient = piece.xreplace({element: holder}).diff(holder)
                coefficient = coefficient.replace(lambda e: isinstance(e, sympy.Indexed) and e.base == p,
                                                  lambda e: sympy.S.Zero)
                if coefficient != 0:
                    rows.append((lo, hi, coefficient))
            bands[d] = _merged(rows, j)
        return bands

    def offsets(self):
        """The diagonals ``d`` with ``H[j, j + d]`` possibly nonzero; None where a sum over
        the direction makes the Hessian dense."""
        return self._laid_out()[0]

    def _laid_out(self):
        """``(offsets, rows(sizes))``, found once: a call reads the cases of the product
        formula, which is sympy work of milliseconds."""
        if self._layout is None:
            product = self.hessp
            rows = product.out_shape[0] * (product.out_shape[1] if product.column is not None else 1)
            self._layout = self._find_offsets(), sympy.lambdify(self._lengths(), rows, "math")
        return self._layout

    def _by_matrix(self):
        """Whether the direction or the product is a matrix: then the matrix is of their
        elements in row-major order, and dense."""
        return isinstance(dict(self.hessp.signature)[self.hessp.direction], tuple) or self.hessp.column is not None

    def _find_offsets(self):
        if self._by_matrix():
            return None
        p = self._direction()
        _, pieces = self.hessp.cases()
        found = set()
        for lo, hi, piece in pieces:
            if any(r.has(p) for r in indexing.reductions(piece)):
                return None
            row = lo if lo == hi else self.hessp.index        # a case of one row has j set
            for element in piece.atoms(sympy.Indexed):
                if element.base == p:
                    d = sympy.expand(element.indices[0] - row)
                    if not d.is_Integer:
                        return None
                    found.add(int(d))
        return sorted(found)

    def _direction(self):
        """The product's direction (its IndexedBase)."""
        return next(a for a in self.hessp.args if str(a) == self.hessp.direction)

    def _arguments(self):
        """The product's parameters but the direction, ``(name, length)``."""
        return [(n, k) for n, k in self.hessp.signature if n != self.hessp.direction]

    def _shape(self, args):
        """(rows, columns, the direction's shape) at these arguments: the product's number
        of elements, the direction's."""
        _, rows_at = self._laid_out()
        sizes = {}
        for (n, k), value in zip(self._arguments(), args):
            if isinstance(k, (sympy.Symbol, tuple)):
                sizes.update(zip(k if isinstance(k, tuple) else (k,), np.shape(value)))
        along = dict(self.hessp.signature)[self.hessp.direction]
        shape = tuple(sizes[d] for d in (along if isinstance(along, tuple) else (along,)))
        return int(rows_at(*(sizes[k] for k in self._lengths()))), int(np.prod(shape)), shape

    def _lengths(self):
        """The length Symbols of the arguments, each once (vectors may share one)."""
        return list(dict.fromkeys(d for _, k in self._arguments() if isinstance(k, (sympy.Symbol, tuple))
                                  for d in (k if isinstance(k, tuple) else (k,))))

    def _batch(self, args):
        """At arguments with trailing axes beyond their own (``x`` of shape ``(n, k)``, as a
        vectorized call passes): the matrix at each point of those axes, stacked along them
        (``(n, n, k)``, as a formula of fixed length gives its Jacobian); None otherwise."""
        own = dict(self.hessp._call_form.signature)
        dims = [0 if own[n] is None else 2 if isinstance(own[n], tuple) else 1 for n in self._parameters]
        arrays = [np.asarray(a) for a in args]
        trailing = [a.shape[d:] if a.ndim > d else () for a, d in zip(arrays, dims)]
        if not any(trailing):
            return None
        if self.sparse:
            raise ValueError(f"{self.name}(): a sparse matrix is of one point; call it at one "
                             f"point of the trailing axes (shapes {[a.shape for a in arrays]})")
        try:
            shape = np.broadcast_shapes(*trailing)
        except ValueError:
            raise ValueError(f"{self.name}(): the arguments' trailing axes do not broadcast: "
                             f"{', '.join(str(t) for t in trailing)}") from None
        # each argument's own axes, then the trailing ones broadcast (a vector beside a batch)
        full = [np.broadcast_to(a.reshape(a.shape[:d] + (1,) * (len(shape) - len(t)) + t), a.shape[:d] + shape)
                for a, d, t in zip(arrays, dims, trailing)]
        points = [self(*[f[(Ellipsis,) + at].copy() for f in full]) for at in np.ndindex(shape)]
        return np.moveaxis(np.asarray(points), 0, -1).reshape(points[0].shape + shape)

    def __call__(self, *args, **kwargs):
        if kwargs or len(args) != len(self._parameters):     # keywords, defaults: in order
            # (named as this matrix is called: its own name, the product's defaults)
            called = SimpleNamespace(name=self.name, defaults=self.hessp.defaults)
            args = tuple(calling.bind(called, args, kwargs, self._parameters))
        before, after = args[:self._at], args[self._at:]
        fast = self.__dict__.get("_dense_at")           # an optimizer calls at one shape
        if fast is not None and fast[0] == tuple(getattr(a, "shape", None) for a in args):
            # (the shapes of a call of one point: no batch to look for)
            _, directions, source, target, shape = fast
            hessp = self.hessp
            products = np.concatenate([hessp(*before, d, *after) for d in directions]).ravel()
            dense = np.zeros(shape[0] * shape[1])
            dense[target] = products[source]
            return dense.reshape(shape)
        batch = self._batch(args)
        if batch is not None:
            return batch

        def product(direction, along=None):     # (of matrices: their elements, row-major)
            return np.ravel(self.hessp(*before, direction if along is None else direction.reshape(along), *after))
        shapes = tuple(np.shape(a) for a in args)
        found = self.__dict__.get("_shapes", {}).get(shapes)
        rows, cols, along = found or self._shape(args)
        if found is None:
            self._shapes = {shapes: (rows, cols, along)}                # replaced whole, as _plans
        offsets = self.offsets()
        width = None if offsets is None else max(offsets) - min(offsets) + 1 if offsets else 1
        if width is None or not self.sparse and cols <= width:
            unit = np.eye(cols)
            dense = np.array([product(unit[k], along) for k in range(cols)]).T.reshape(rows, cols)
            return _sparse(dense) if self.sparse else dense
        plan = self._colors(rows, cols, offsets, width)
        products = [product(direction) for direction, _, _ in plan]
        if not self.sparse:         # each entry is set once: no sparse matrix in between
            source, target = self._scatter(rows, cols, plan)
            dense = np.zeros(rows * cols)
            dense[target] = np.concatenate(products)[source]
            if all(isinstance(a, np.ndarray) for a in args):     # the next call at these shapes
                self._dense_at = (shapes, [d for d, _, _ in plan], source, target, (rows, cols))
            return dense.reshape(rows, cols)
        from scipy import sparse
        r, c = (np.concatenate([part[k] for part in plan]) for k in (1, 2))
        vals = np.concatenate([product[part[1]] for product, part in zip(products, plan)])
        return sparse.csr_matrix((vals, (r, c)), shape=(rows, cols))

    def _scatter(self, rows, cols, plan):
        """``(source, target)``: where each entry is among the products laid end to end, and
        its place in the dense matrix, row-major (one gather and one store a call)."""
        key = ("scatter", rows, cols)
        found = self.__dict__.get("_plans", {}).get(key)
        if found is None:
            source = np.concatenate([k * rows + r for k, (_, r, _) in enumerate(plan)])
            target = np.concatenate([r * cols + c for _, r, c in plan])
            found = source, target
            self._plans = {**self.__dict__.get("_plans", {}), key: found}
        return found

    def _colors(self, rows, cols, offsets, width):
        """Per color of the band: its direction (ones on the columns ``k % width == color``)
        and the rows and columns of the entries its product holds; kept for the last shape
        (an optimizer calls at one)."""
        plans = self.__dict__.get("_plans", {})
        if (rows, cols) not in plans:
            plan = []
            for color in range(width):
                direction = np.zeros(cols)
                direction[color::width] = 1.0
                r = [j for d in offsets for j in range(max(0, -d), min(rows, cols - d)) if (j + d) % width == color]
                c = [j + d for d in offsets for j in range(max(0, -d), min(rows, cols - d))
                     if (j + d) % width == color]
                plan.append((direction, np.array(r, dtype=np.intp), np.array(c, dtype=np.intp)))
            self._plans = {(rows, cols): plan}      # replaced whole: another thread may read the old
            return plan
        return plans[(rows, cols)]


def _merged(rows, j):
    """Adjacent ranges whose expressions agree (a one-row range being the next range's
    expression at its row) as one."""
    merged = []
    for lo, hi, expr in rows:
        if merged:
            plo, phi, pexpr = merged[-1]
            adjacent = sympy.expand(lo - phi) == 1
            if adjacent and plo == phi and expr.subs(j, plo) == pexpr:
                merged[-1] = (plo, hi, expr)
                continue
            if adjacent and lo == hi and pexpr.subs(j, lo) == expr:
                merged[-1] = (plo, hi, pexpr)
                continue
        merged.append((lo, hi, expr))
    return merged


def _sparse(dense):
    from scipy import sparse
    return sparse.csr_matrix(dense)


def _held_for(pairs):
    return f"   (for {', '.join(f'{s} >= {v}' for s, v in pairs)})" if pairs else ""
