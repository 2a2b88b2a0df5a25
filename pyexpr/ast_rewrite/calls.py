"""Calls inside a formula: math functions, loop builtins, formulas, lambdas.

``call`` evaluates the callee and its arguments and dispatches on the
``Callee.kind``; numpy's conditionals are ``conditionals``' own, its array constructors
``arrays``', reading the arguments ``arguments``'.  Formulas and lambdas are inlined by
substitution; ``enumerate``, ``zip``, ``len`` and ``tuple`` build compile-time tuples;
``sum`` and products fold a tuple or a generator expression, unrolled.
"""
import ast
import functools
import operator

import sympy
from sympy.core.parameters import global_parameters

from .. import functions as pf
from ..dag import substitute
from . import arrays, matrices, sequences as seq, statistics
from .arguments import generated, items as _items, sequence_or_value as _sequence_or_value, tuple_arg
from .scope import Callee
from .values import as_expr, error, ieee, sequence


def call(ctx, node, env, visitor):
    callee = visitor.visit(node.func)
    if not isinstance(callee, Callee):
        raise error(ctx, node.func, "this value cannot be called", "call a math function or a formula")
    if callee.kind == "special":
        return _SPECIAL[callee.name](ctx, node, env, visitor)
    if callee.kind == "method" and callee.name == "astype":     # its type is no value
        return _as_float(ctx, node, callee.target)
    args = _of_generator(ctx, node, env, visitor) if callee.name in _EXTREMES else None
    if seq.is_vec(args):
        return seq.reduce(ctx, node, _EXTREMES[callee.name], args)
    args = args or _positional(ctx, node, env, visitor)
    kwargs = {kw.arg: visitor.visit(kw.value) for kw in node.keywords}
    if callee.name == "logsumexp" and len(args) == 1 and seq.is_vec(args[0]):
        return _logsumexp_of(ctx, node, args[0], kwargs)
    kind = _KINDS[callee.kind]
    if callee.name in _OF_A_SEQUENCE and len(args) == 1 and seq.unrolled_short(ctx, args[0]):
        args = [seq.unrolled_short(ctx, args[0])]   # max(x) of a vector whose length is fixed
    if any(seq.is_array(a) for a in args) and callee.kind not in ("lambda", "method") or \
            any(isinstance(a, seq.Array) for a in args) and callee.kind == "function" \
            and not (callee.name in _OF_A_SEQUENCE and len(args) == 1):
        if callee.name in _EXTREMES and len(args) == 1 and seq.is_vec(args[0]):
            if node.keywords:
                raise error(ctx, node, f"{callee.name}() of a vector takes no keyword arguments in a formula",
                            f"write {callee.name}(x) (numpy's np.{_EXTREMES[callee.name]})")
            return seq.reduce(ctx, node, _EXTREMES[callee.name], args[0])
        if callee.name in _OF_A_SEQUENCE and len(args) == 1:
            raise error(ctx, node, f"{callee.name} of a vector of any length is not supported yet",
                        "write it elementwise with np.maximum/np.minimum of two values")
        # numpy's functions are ufuncs: elementwise over a vector, the other arguments broadcast
        return seq.elementwise(ctx, node, lambda *xs: kind(ctx, node, callee, list(xs), kwargs, visitor),
                               args)
    return kind(ctx, node, callee, args, kwargs, visitor)


def _logsumexp_of(ctx, node, vec, kwargs):
    """scipy's ``logsumexp(x)`` (``b=w``: weights) of a vector of any length: the log of the
    sum of its exponentials as written, which the stability pass shifts by the largest."""
    if set(kwargs) - {"b"}:
        raise error(ctx, node, f"logsumexp of a vector takes only b= here, not {', '.join(sorted(kwargs))}",
                    "write np.log(np.sum(np.exp(x), axis=...)) for the other forms")
    terms = seq.elementwise(ctx, node, sympy.exp, (vec,))
    if "b" in kwargs:
        terms = seq.elementwise(ctx, node, operator.mul, (kwargs["b"], terms))
    return sympy.log(seq.reduce(ctx, node, "sum", terms))


def _of_generator(ctx, node, env, visitor):
    """``max(f(v) for v in x)``: the generator's terms (a Vec, or one tuple in a list), else
    None."""
    if len(node.args) != 1 or node.keywords or not isinstance(node.args[0], ast.GeneratorExp):
        return None
    items = generated(ctx, node.args[0], env, visitor)
    fixed = seq.unrolled_short(ctx, items)
    return items if fixed is None and seq.is_vec(items) else [tuple(items if fixed is None else fixed)]


def _positional(ctx, node, env, visitor):
    args = []
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            args.extend(sequence(ctx, arg.value, visitor.visit(arg.value)))
        else:
            args.append(visitor.visit(arg))
    return args


#: the largest or smallest element of one vector argument (Python's builtins, sympy's)
_EXTREMES = {"max": "max", "min": "min", "Max": "max", "Min": "min"}

#: functions that take their values as one sequence too (``max((a, b))``, ``logsumexp(xs)``)
_OF_A_SEQUENCE = frozenset(("min", "max", "minimum", "maximum", "fmin", "fmax", "Min", "Max",
                            "logsumexp"))


def _call_function(ctx, node, callee, args, kwargs, visitor):
    if kwargs:
        raise error(ctx, node, f"keyword arguments to {callee.name} are not supported",
                   "pass them positionally")
    if callee.name in _OF_A_SEQUENCE and len(args) == 1 and isinstance(args[0], tuple):
        args = list(args[0])
    exprs = [as_expr(ctx, node, a) for a in args]
    try:
        return ieee(callee.target, *exprs)
    except TypeError as exc:
        raise error(ctx, node, f"bad arguments to {callee.name}: {exc}") from None


def _call_formula(ctx, node, callee, args, kwargs, visitor):
    formula = callee.target
    try:
        values = formula.bind_symbolic(args, kwargs)
    except TypeError as exc:
        params = ", ".join(str(a) for a in formula.args)
        raise error(ctx, node, str(exc), f"call it as {formula.name}({params})") from None
    mapping = {sym: as_expr(ctx, node, v) for sym, v in zip(formula.args, values)}
    outputs = tuple(substitute(out, mapping) for out in formula.outputs)
    if formula.out_shape == ():
        return outputs[0]
    if len(formula.out_shape) == 2:
        m, n = formula.out_shape
        return tuple(outputs[i * n:(i + 1) * n] for i in range(m))
    return outputs


def _call_lambda(ctx, node, callee, args, kwargs, visitor):
    lam = callee.target
    params = [a.arg for a in lam.args.args]
    if len(args) > len(params) or set(kwargs) - set(params):
        raise error(ctx, node, f"the lambda takes {len(params)} argument(s)")
    bound = dict(zip(params, args))
    bound.update(kwargs)
    if len(bound) != len(params):
        raise error(ctx, node, f"the lambda takes {len(params)} argument(s), got {len(bound)}")
    return visitor.at({**callee.env, **bound}).visit(lam.body)


def _call_conditional(ctx, node, callee, args, kwargs, visitor):

    def apply(function, values):                # np.piecewise's functions
        if function.kind not in _KINDS or function.kind == "conditional":
            raise error(ctx, node, f"{function.name} cannot be a piece of np.piecewise",
                       "give a math function, a lambda, a formula or a number")
        return _KINDS[function.kind](ctx, node, function, values, {}, visitor)
    return callee.target(ctx, node, args, kwargs, apply)


def _call_method(ctx, node, callee, args, kwargs, visitor):
    """``x.sum()``, ``x.mean()``, ``x.prod()``, ``x.dot(y)``, ``x.var()``, ``x.std()``,
    ``x.max()``, ``x.min()``, ``x.copy()`` of a vector (``A.sum()`` of a matrix): numpy's functions of the receiver."""
    receiver, name = callee.target, callee.name
    if name in ("sum", "mean", "prod") and len(args) + ("axis" in kwargs) == 1 \
            and set(kwargs) <= {"axis", "keepdims"}:
        axis = kwargs["axis"] if "axis" in kwargs else args[0]
        if not isinstance(axis, sympy.Integer):
            raise error(ctx, node, "axis must be a constant integer")
        found = matrices.along(ctx, node, name, receiver, int(axis), matrices.keeps_dims(ctx, node, visitor))
        if found is not None:
            return found
        kwargs, args = {}, []
    ddof = statistics.constant_integer(ctx, node, kwargs.pop("ddof", sympy.S.Zero), "ddof") if name in ("var", "std") else 0
    if kwargs or len(args) != (1 if name == "dot" else 0):
        raise error(ctx, node, f".{name}() takes {'one argument' if name == 'dot' else 'no arguments'} "
                    f"in a formula ({'only axis=' if name in ('sum', 'mean', 'prod') else 'no axis='}, "
                    "no dtype=, ...)")
    if name == "dot":
        return matrices.matmul(ctx, node, receiver, args[0])
    if name == "copy":                  # a new array: its items may be assigned
        if seq.is_vec(receiver):
            return seq.Vec(receiver.length, receiver.at, receiver.start, receiver.stride, receiver.axis)
        return type(receiver)(receiver) if isinstance(receiver, seq.Array) else receiver
    receiver = seq.two_dimensional(receiver)
    if seq.is_mat(receiver):
        if name in ("sum", "prod"):
            return matrices.matrix_total(ctx, node, name, receiver)
        if name == "mean":
            return statistics.mean_of(ctx, node, receiver)
        raise error(ctx, node, f".{name}() of a matrix is not supported yet", "write the sums out")
    if name in ("prod", "max", "min"):
        return seq.reduce(ctx, node, name, receiver)
    if name == "sum":
        return statistics.total(ctx, node, receiver)
    if name == "mean":
        return statistics.mean_of(ctx, node, receiver)
    var = statistics.variance(ctx, node, receiver, ddof)
    return var if name == "var" else sympy.sqrt(var)


def _as_float(ctx, node, receiver):
    """``.astype(float)``: conditions as 1.0 and 0.0 (``(K > 3).astype(float)``), numbers as
    they are -- a formula computes in floats; other types would change the values."""
    if node.keywords or len(node.args) != 1 or not arrays.is_float_type(node.args[0]):
        raise error(ctx, node, ".astype() takes float (or np.float64) in a formula",
                    "write .astype(float); np.floor or np.trunc make whole numbers")
    if seq.is_mat(receiver):
        return seq.Mat(receiver.rows, receiver.cols, lambda i, k: as_expr(ctx, node, receiver.at(i, k)))
    if seq.is_vec(receiver):
        return seq.Vec(receiver.length, lambda k: as_expr(ctx, node, receiver.at(k)),
                       receiver.start, receiver.stride, receiver.axis)
    if isinstance(receiver, tuple):
        return seq.Array(as_expr(ctx, node, v) for v in receiver)
    return as_expr(ctx, node, receiver)


_KINDS = {"function": _call_function, "formula": _call_formula, "lambda": _call_lambda,
          "conditional": _call_conditional, "method": _call_method}


# --- compile-time builtins ---------------------------------------------------

def _extreme(builder, name):
    """``np.max(a)``/``np.min(a)`` of an array of a fixed length (one argument: numpy's
    second is an axis)."""
    def extreme(ctx, node, env, visitor):
        if len(node.args) != 1 or node.keywords:
            raise error(ctx, node, f"np.{name} takes one array in a formula (no axis)",
                        f"np.{name}imum(a, b) compares two values")
        items = visitor.visit(node.args[0])
        items = seq.unrolled_short(ctx, items) or items
        if seq.is_vec(items):
            return seq.reduce(ctx, node, name, items)
        if seq.is_array(items):
            raise error(ctx, node, f"{name} of a matrix is not supported yet",
                        f"take np.{name} of a vector")
        if not isinstance(items, tuple):
            return items
        return ieee(builder, *(as_expr(ctx, node, v) for v in items))
    return extreme


def _enumerate(ctx, node, env, visitor):
    (items,) = _items(ctx, node, env, visitor, (1,))
    if seq.is_vec(items):
        return seq.Vec(items.length, lambda k: (k, items.at(k)))
    return tuple((sympy.Integer(i), v) for i, v in enumerate(tuple_arg(ctx, node, items)))


def _zip(ctx, node, env, visitor):
    values = _items(ctx, node, env, visitor)
    if any(seq.is_vec(v) for v in values):
        if not all(seq.is_vec(v) for v in values):
            raise error(ctx, node, "zip of a vector of any length with a tuple is not supported")
        length = seq.same_length(ctx, node, [v.length for v in values])
        return seq.Vec(length, lambda k: tuple(v.at(k) for v in values))
    return tuple(zip(*(tuple_arg(ctx, node, s) for s in values)))


def _len(ctx, node, env, visitor):
    (items,) = _items(ctx, node, env, visitor, (1,))
    if seq.is_array(items):
        return seq.shape(items)[0]
    return sympy.Integer(len(tuple_arg(ctx, node, items)))


def _tuple(ctx, node, env, visitor):
    (items,) = _items(ctx, node, env, visitor, (1,))
    if seq.is_vec(items):
        raise error(ctx, node, "a vector of any length cannot become a tuple",
                    "reduce it, or index it")
    return tuple(tuple_arg(ctx, node, items))          # a Python tuple: + joins, * repeats


def _concatenate(ctx, node, env, visitor):
    values = _items(ctx, node, env, visitor)
    parts = values[0] if len(values) == 1 and isinstance(values[0], tuple) else values
    return seq.concatenated(ctx, node, [p if seq.is_vec(p) or isinstance(p, tuple) else (p,)
                                        for p in parts])


def _dot(ctx, node, env, visitor):
    a, b = _items(ctx, node, env, visitor, (2,))
    if any(seq.is_mat(v) or seq.is_vec(v) and v.axis is not None for v in (a, b)):
        return matrices.matmul(ctx, node, a, b)         # np.dot(A, x) is A @ x
    if seq.is_vec(a) and seq.is_vec(b):
        return seq.reduce(ctx, node, "sum", seq.elementwise(
            ctx, node, lambda x, y: as_expr(ctx, node, x) * as_expr(ctx, node, y), (a, b)))
    return fixed_dot(ctx, node, a, b)


def fixed_dot(ctx, node, a, b):
    """``np.dot`` (``@``) of tuples, or of an Array and a vector, which takes its length."""
    if isinstance(a, seq.Array) and seq.is_vec(b) or seq.is_vec(a) and isinstance(b, seq.Array):
        a, b = seq.elementwise(ctx, node, lambda x, y: x, (a, b)), seq.elementwise(ctx, node, lambda x, y: y, (a, b))
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return sympy.Add(*(as_expr(ctx, node, x) * as_expr(ctx, node, y) for x, y in zip(a, b)))
    raise error(ctx, node, "np.dot takes two vectors (or tuples) of the same length")


def _numpy_reduction(kind, whole):
    """``np.sum``/``np.prod``/``np.mean`` (``kind``): their second argument is an axis (a
    matrix's gives a vector, ``matrices.along``), not ``sum``'s start; ``whole`` the
    reduction of everything."""
    def reduction(ctx, node, env, visitor):
        if len(node.args) not in (1, 2):
            raise error(ctx, node, f"np.{kind} takes an array and an axis")
        axis = matrices.axis_of(ctx, node, visitor, 1)
        items = _sequence_or_value(ctx, node.args[0], env, visitor)
        if axis is not None:
            found = matrices.along(ctx, node, kind, items, axis, matrices.keeps_dims(ctx, node, visitor))
            if found is not None:
                return found
        items = seq.two_dimensional(items)
        if seq.is_mat(items) and kind != "mean":        # numpy's reduction of everything
            return matrices.matrix_total(ctx, node, kind, items)
        return whole(ctx, node, items)
    return reduction


def _outer(ctx, node, env, visitor):
    return matrices.outer(ctx, node, *_items(ctx, node, env, visitor, (2,)))


def _trace(ctx, node, env, visitor):
    return matrices.trace(ctx, node, *_items(ctx, node, env, visitor, (1,)))


def _fold(op, cls, unit):
    def fold(ctx, node, env, visitor):
        return _folded(ctx, node, op, cls, unit, _items(ctx, node, env, visitor, (1, 2)))
    return fold


def _folded(ctx, node, op, cls, unit, values):
    """Python's ``sum`` (``math.prod``) of ``values[0]``, from ``values[1]`` if given."""
    start = as_expr(ctx, node, values[1]) if len(values) == 2 else unit
    items = seq.two_dimensional(values[0])
    if seq.is_mat(items):           # Python's sum of a matrix adds its rows: a vector
        found = matrices.along(ctx, node, "sum" if cls is sympy.Add else "prod", items, 0)
        return found if start == unit else seq.elementwise(ctx, node, lambda v: cls(start, v), (found,))
    if seq.is_vec(values[0]):
        total = seq.reduce(ctx, node, "sum" if cls is sympy.Add else "prod", values[0])
        return cls(start, total) if start != unit else total
    terms = [as_expr(ctx, node, v) for v in tuple_arg(ctx, node, values[0])]
    if global_parameters.evaluate:
        # one n-ary Add/Mul: folding term by term re-flattens the whole sum each time
        # (quadratic: 2,000 terms took 15 s)
        return cls(start, *terms)
    return functools.reduce(op, terms, start)      # as written: ((start + t0) + t1) + ...


_SPECIAL = {"enumerate": _enumerate, "zip": _zip, "len": _len,
            "tuple": _tuple, "sum": _fold(operator.add, sympy.Add, sympy.S.Zero),
            "prod": _fold(operator.mul, sympy.Mul, sympy.S.One), "dot": _dot,
            "concatenate": _concatenate, "outer": _outer, "trace": _trace,
            "np_max": _extreme(pf.max_, "max"), "np_min": _extreme(pf.min_, "min"), **arrays.SPECIAL,
            **statistics.SPECIAL}
_SPECIAL.update({"np_sum": _numpy_reduction("sum", lambda ctx, node, items: _folded(
                     ctx, node, operator.add, sympy.Add, sympy.S.Zero, [items])),
                 "np_prod": _numpy_reduction("prod", lambda ctx, node, items: _folded(
                     ctx, node, operator.mul, sympy.Mul, sympy.S.One, [items])),
                 "np_mean": _numpy_reduction("mean", statistics.mean_of)})
