"""Expressions of the formula subset -> sympy values.

``evaluate(ctx, node, env)`` is an ``ast.NodeVisitor`` with one method per
expression node; ``generic_visit`` raises ``UnsupportedSyntaxError``.  The
helpers ``condition``, ``merge``, ``bind``, ``binary`` and
``static_sequence`` are shared with the statement translator.
"""
import ast
import operator
from dataclasses import dataclass

import sympy
from sympy.core.parameters import global_parameters

from ..errors import UndefinedNameError
from ..functions import xor
from .pending import settled
from .names import CONDITIONALS, FORBIDDEN, FUNCTIONS, INSTEAD, SPECIAL, constant, is_number, library_name
from .scope import Callee, Scope, Unbound


@dataclass(frozen=True)
class Context:
    source: object
    scope: Scope


def evaluate(ctx, node, env):
    return _Eval(ctx, env).visit(node)


def _err(ctx, node, message, hint=None):
    return ctx.source.error(node, message, hint)


# --- values ----------------------------------------------------------------

def is_condition(value):
    """A sympy truth value (``x > 0``, ``true``); not a Symbol, though sympy's are Booleans too."""
    return isinstance(value, sympy.logic.boolalg.Boolean) and not isinstance(value, sympy.Expr)


def as_expr(ctx, node, value):
    """``value`` as a sympy expression, or a clear error for tuples and callables."""
    if isinstance(value, sympy.Expr):
        return value
    if is_condition(value):
        # a condition used as a number, as Python's True == 1
        return sympy.Piecewise((sympy.S.One, value), (sympy.S.Zero, True))
    if isinstance(value, tuple):
        raise _err(ctx, node, "a tuple cannot be used as a number here",
                   "index it with a constant, e.g. t[0], or unpack it")
    raise _err(ctx, node, f"{getattr(value, 'name', value)!s} cannot be used as a number")


def to_condition(ctx, node, value):
    if is_condition(value):
        return value
    expr = as_expr(ctx, node, value)
    number = real_constant(expr)
    if number is not None:
        return sympy.true if number != 0 else sympy.false
    return sympy.Ne(expr, 0)


def real_constant(expr):
    """``expr`` as a Python float if it is a real constant, evaluated or not; else None.

    Compared as floats: sympy's ``Float(0.0) == 0`` is False, and under
    ``simplify=False`` a loop counter's ``i + 2`` stays an unevaluated Add.
    """
    if isinstance(expr, sympy.Expr) and expr.is_number:
        try:
            return float(expr)
        except TypeError:           # a complex constant
            return None
    return None


def condition(ctx, node, env):
    return to_condition(ctx, node, evaluate(ctx, node, env))


def merge(ctx, node, cond, a, b):
    """The value that is ``a`` where ``cond`` holds and ``b`` elsewhere."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        if not (isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b)):
            raise _err(ctx, node, "the branches give values of different shapes "
                       f"({_shape(a)} and {_shape(b)})", "return the same number of values on every path")
        return tuple(merge(ctx, node, cond, x, y) for x, y in zip(a, b))
    if is_condition(a) and is_condition(b):
        return sympy.Or(sympy.And(cond, a), sympy.And(sympy.Not(cond), b))
    a, b = as_expr(ctx, node, a), as_expr(ctx, node, b)
    if a == b:
        return a
    if isinstance(b, sympy.Piecewise):
        return sympy.Piecewise((a, cond), *b.args)
    return sympy.Piecewise((a, cond), (b, True))


def _shape(value):
    return f"a tuple of {len(value)}" if isinstance(value, tuple) else "one value"


def bind(ctx, target, value, env):
    """Assign ``value`` to a Name or a (nested) tuple of Names."""
    if isinstance(target, ast.Name):
        env[target.id] = value
        return
    if isinstance(target, (ast.Tuple, ast.List)):
        if not isinstance(value, tuple) or len(value) != len(target.elts):
            got = len(value) if isinstance(value, tuple) else 1
            raise _err(ctx, target, f"cannot unpack {got} value(s) into {len(target.elts)} names")
        for t, v in zip(target.elts, value):
            bind(ctx, t, v, env)
        return
    what = {ast.Subscript: "item assignment", ast.Attribute: "attribute assignment",
            ast.Starred: "starred assignment"}.get(type(target), type(target).__name__)
    raise _err(ctx, target, f"{what} is not supported in a formula",
               "formulas cannot change objects; assign to a local name and return it")


_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Mod: sympy.Mod,
    ast.FloorDiv: lambda a, b: sympy.floor(a / b),
    ast.Pow: lambda a, b: a ** _exponent(b),
}


def _exponent(b):
    # 2.0 and 0.5 written as floats mean the exact numbers: x**2.0 -> x**2, x**0.5 -> sqrt(x)
    if isinstance(b, sympy.Float) and (2 * float(b)).is_integer():
        return sympy.Rational(int(2 * float(b)), 2)
    return b


#: bitwise operators combine conditions, as on numpy's boolean arrays
_LOGICAL = {ast.BitAnd: sympy.And, ast.BitOr: sympy.Or, ast.BitXor: xor}


def binary(ctx, node, op, a, b):
    if type(op) in _LOGICAL:
        return _LOGICAL[type(op)](_bitwise_operand(ctx, node, a, op), _bitwise_operand(ctx, node, b, op))
    fn = _BINARY.get(type(op))
    if fn is None:
        raise _err(ctx, node, f"the operator {type(op).__name__} is not supported in a formula")
    return fn(as_expr(ctx, node, a), as_expr(ctx, node, b))


def _bitwise_operand(ctx, node, value, op):
    if not is_condition(value):
        if isinstance(op, ast.BitXor):
            raise _err(ctx, node, "^ on numbers is exclusive or, not a power", "write x**2 for powers")
        raise _err(ctx, node, "bitwise operators (& | ~) on numbers have no formula meaning",
                   "they combine conditions, as on numpy's boolean arrays: write "
                   "(x > 0) & (y < 1), with the parentheses")
    return value


_COMPARE = {ast.Lt: (operator.lt, sympy.Lt), ast.LtE: (operator.le, sympy.Le),
            ast.Gt: (operator.gt, sympy.Gt), ast.GtE: (operator.ge, sympy.Ge),
            ast.Eq: (operator.eq, sympy.Eq), ast.NotEq: (operator.ne, sympy.Ne)}


def compare(op, a, b):
    py, sym = _COMPARE[type(op)]
    x, y = real_constant(a), real_constant(b)
    if x is not None and y is not None:     # decided now, even under evaluate(False)
        return sympy.true if py(x, y) else sympy.false
    a, b = _lift_piecewise(a), _lift_piecewise(b)
    if isinstance(a, sympy.Piecewise):
        return _fold(a, lambda piece: compare(op, piece, b))
    if isinstance(b, sympy.Piecewise):
        return _fold(b, lambda piece: compare(op, a, piece))
    return sym(a, b)


def _lift_piecewise(expr):
    """``2*Piecewise((x, c), (y, True))`` as ``Piecewise((2*x, c), (2*y, True))``."""
    if isinstance(expr, sympy.Piecewise) or not _contains(expr, sympy.Piecewise, set()):
        return expr
    return sympy.piecewise_fold(expr)


def _contains(expr, cls, seen):
    if isinstance(expr, cls):
        return True
    if expr in seen:
        return False
    seen.add(expr)
    return any(_contains(a, cls, seen) for a in expr.args)


def _fold(piecewise, test):
    """``test`` of a Piecewise as a condition without one: (c1 & test(v1)) | (~c1 & c2 &
    test(v2)) | ...  sympy's Piecewise would otherwise solve inequalities on a relation
    between Piecewises (seconds for a few nested conditional expressions)."""
    terms, before = [], sympy.true
    for value, cond in piecewise.args:
        terms.append(sympy.And(before, cond, test(value)))
        before = sympy.And(before, sympy.Not(cond))
    return sympy.Or(*terms)


def static_int(ctx, node, value):
    if isinstance(value, sympy.Expr) and value.is_Integer:
        return int(value)
    number = real_constant(value)
    if number is not None and number.is_integer():
        return int(number)
    raise _err(ctx, node, "this value must be an integer known when the function is decorated",
               "use a literal, a numeric global, or a loop counter")


def static_sequence(ctx, node, env):
    value = evaluate(ctx, node, env)
    if not isinstance(value, tuple):
        raise _err(ctx, node, "for loops must run over range(...) with bounds known at decoration, "
                   "or over a tuple", "write `for i in range(N)` with a constant N")
    return value


def from_object(ctx, node, name, obj):
    """The translation-time value of a free name bound to ``obj``."""
    from ..formula import Formula
    if is_number(obj) or isinstance(obj, bool):
        return constant(obj)
    if isinstance(obj, (tuple, list)) or getattr(obj, "ndim", None) == 1:
        return tuple(from_object(ctx, node, name, item) for item in obj)
    if isinstance(obj, Formula):
        return Callee("formula", name, obj)
    if isinstance(obj, sympy.Expr) and (obj.is_Number or obj.is_number and obj.is_extended_real):
        return obj                          # sympy.pi, sympy.E, sympy.oo, sympy.sqrt(2), ...
    try:
        if obj in FUNCTIONS:
            fname, builder = FUNCTIONS[obj]
            return Callee("function", fname, builder)
        if obj in SPECIAL:
            return Callee("special", SPECIAL[obj])
        if obj in CONDITIONALS:
            return Callee("conditional", name, CONDITIONALS[obj])
        if obj in FORBIDDEN:
            raise _err(ctx, node, f"{FORBIDDEN[obj]} has no meaning in a formula",
                       "compute the value and return it; do I/O outside the formula")
    except TypeError:                       # unhashable object
        pass
    if isinstance(obj, type(sympy)):        # a module: its attributes are looked up later
        return obj
    if callable(obj):
        known = library_name(obj)
        if known:
            bare = known.rpartition(".")[2]
            raise _err(ctx, node, f"pyexpr has no formula for {known}", INSTEAD.get(bare, (
                "write it with the functions pyexpr knows (the README lists them), or as a "
                "@pyexpr.jit formula of your own and call that")))
        raise _err(ctx, node, f"call to {name!r}, which is not a math function or a formula",
                   f"decorate {name} with @pyexpr.jit, or use math/numpy/sympy functions")
    raise _err(ctx, node, f"{name!r} is a {type(obj).__name__}, which has no meaning in a formula",
               "formulas can use numbers, tuples of numbers, math functions and other formulas")


from .calls import call  # noqa: E402  (calls uses the helpers above)


class _Eval(ast.NodeVisitor):
    def __init__(self, ctx, env):
        self.ctx, self.env = ctx, env

    def generic_visit(self, node):
        raise _err(self.ctx, node, f"{type(node).__name__} expressions are not supported in a formula")

    def visit_Constant(self, node):
        if is_number(node.value) or isinstance(node.value, bool):
            return constant(node.value)
        raise _err(self.ctx, node, f"the constant {node.value!r} has no meaning in a formula",
                   "formulas compute numbers only")

    def visit_Name(self, node):
        if node.id in self.env:
            value = settled(self.env[node.id])
            if type(value).__name__ == "_Partial":
                raise _err(self.ctx, node, f"{node.id!r} is assigned on only one side of an if",
                           f"assign {node.id} in both branches, or before the if")
            return value
        if node.id == self.ctx.scope.own_name:
            raise _err(self.ctx, node, f"recursion ({node.id} calls itself) is not supported in a formula",
                       "unroll it with a for loop over range(N) with a constant N")
        obj = self.ctx.scope.lookup(node.id)
        if obj is Unbound:
            raise self.ctx.source.error(node, f"name {node.id!r} is not defined", cls=UndefinedNameError,
                                        hint="formulas may use parameters, locals, numeric "
                                        "globals and math/numpy/sympy functions")
        return from_object(self.ctx, node, node.id, obj)

    def visit_Attribute(self, node):
        base = self.visit(node.value)
        if not isinstance(base, type(sympy)):
            raise _err(self.ctx, node, "attribute access is only supported on modules (math.exp, np.pi)")
        dotted = f"{base.__name__}.{node.attr}"
        if not hasattr(base, node.attr):
            raise self.ctx.source.error(node, f"module {base.__name__!r} has no attribute "
                                        f"{node.attr!r}", cls=UndefinedNameError)
        return from_object(self.ctx, node, dotted, getattr(base, node.attr))

    def visit_Tuple(self, node):
        values = []
        for elt in node.elts:
            if isinstance(elt, ast.Starred):
                values.extend(static_sequence(self.ctx, elt.value, self.env))
            else:
                values.append(self.visit(elt))
        return tuple(values)

    visit_List = visit_Tuple

    def visit_BinOp(self, node):
        """``a + b - c * d ...`` is a left-deep tree as deep as the expression is long: its
        left spine is walked in a loop (no recursion), and each run of ``+``/``-`` becomes
        one ``Add`` (adding term by term re-flattens the sum each time: quadratic)."""
        spine = []
        while isinstance(node, ast.BinOp):
            spine.append(node)
            node = node.left
        value, run = self.visit(node), None
        for step in reversed(spine):
            right = self.visit(step.right)
            if isinstance(step.op, (ast.Add, ast.Sub)) and global_parameters.evaluate:
                run = run or [as_expr(self.ctx, step, value)]
                term = as_expr(self.ctx, step, right)
                run.append(term if isinstance(step.op, ast.Add) else -term)
                continue
            if run is not None:
                value, run = sympy.Add(*run), None
            value = binary(self.ctx, step, step.op, value, right)
        return sympy.Add(*run) if run is not None else value

    def visit_UnaryOp(self, node):
        value = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            return sympy.Not(to_condition(self.ctx, node, value))
        if isinstance(node.op, ast.Invert):
            if value in (sympy.true, sympy.false):     # Python's ~True is -2, numpy's is False
                raise _err(self.ctx, node, "~ of a condition known at decoration is ambiguous "
                           "(Python's ~True is -2, numpy's ~True is False)", "write `not` instead")
            return sympy.Not(_bitwise_operand(self.ctx, node, value, node.op))
        expr = as_expr(self.ctx, node, value)
        return -expr if isinstance(node.op, ast.USub) else expr

    def visit_BoolOp(self, node):
        conds = [condition(self.ctx, v, self.env) for v in node.values]
        return sympy.And(*conds) if isinstance(node.op, ast.And) else sympy.Or(*conds)

    def visit_Compare(self, node):
        left = as_expr(self.ctx, node.left, self.visit(node.left))
        terms = []
        for op, right_node in zip(node.ops, node.comparators):
            right = as_expr(self.ctx, right_node, self.visit(right_node))
            terms.append(compare(op, left, right))
            left = right
        return terms[0] if len(terms) == 1 else sympy.And(*terms)

    def visit_IfExp(self, node):
        cond = condition(self.ctx, node.test, self.env)
        if cond is sympy.true:
            return self.visit(node.body)
        if cond is sympy.false:
            return self.visit(node.orelse)
        return merge(self.ctx, node, cond, self.visit(node.body), self.visit(node.orelse))

    def visit_Subscript(self, node):
        seq = self.visit(node.value)
        if not isinstance(seq, tuple):
            raise _err(self.ctx, node, "only tuples can be indexed in a formula")
        if isinstance(node.slice, ast.Slice):
            parts = [None if p is None else static_int(self.ctx, p, self.visit(p))
                     for p in (node.slice.lower, node.slice.upper, node.slice.step)]
            return seq[slice(*parts)]
        index = static_int(self.ctx, node.slice, self.visit(node.slice))
        if not -len(seq) <= index < len(seq):
            raise _err(self.ctx, node, f"index {index} is out of range for a tuple of {len(seq)}")
        return seq[index]

    def visit_Lambda(self, node):
        return Callee("lambda", "<lambda>", node, dict(self.env))

    def visit_GeneratorExp(self, node):
        raise _err(self.ctx, node, "generator expressions are only supported inside sum(...) "
                   "or a product", "write sum(term for i in range(N))")

    def visit_Call(self, node):
        return call(self.ctx, node, self.env, self)
