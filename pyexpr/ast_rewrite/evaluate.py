"""Expressions of the formula subset -> sympy values.

``evaluate(ctx, node, env)`` is an ``ast.NodeVisitor`` with one method per
expression node; ``generic_visit`` raises ``UnsupportedSyntaxError``.  The
helpers ``condition``, ``merge``, ``bind``, ``binary`` and
``static_sequence`` are shared with the statement translator.
"""
import ast
import operator
from dataclasses import dataclass, field

import sympy
from sympy.core.parameters import global_parameters

from ..errors import UndefinedNameError
from ..functions import Not, xor
from .arguments import generated
from .calls import call, fixed_dot
from .comparisons import compare
from .pending import settled
from . import matrices, sequences as seq, subscripts
from .names import (BY_NAME, CONDITIONALS, FORBIDDEN, FUNCTIONS, INSTEAD, SPECIAL, constant,
                    is_number, library_name)
from .scope import Callee, Scope, Unbound
from .values import as_expr, error, ieee, is_condition, sequence, to_condition


@dataclass(frozen=True)
class Context:
    source: object
    scope: Scope
    #: vectors of open length: IndexedBase -> its length Symbol
    length_of: dict = field(default_factory=dict, compare=False)
    #: lengths found equal (two vectors met elementwise): Symbol -> the one it equals
    equal: dict = field(default_factory=dict, compare=False)
    #: vector name -> the least length its reads at fixed places need
    needs: dict = field(default_factory=dict, compare=False)
    #: module-level numpy arrays used as data: name -> (IndexedBase, the array)
    constants: dict = field(default_factory=dict, compare=False)
    #: lengths the code fixes by meeting data: Symbol -> the number it must be
    exact: dict = field(default_factory=dict, compare=False)

    #: matrices of any shape: IndexedBase -> (rows, cols) Symbols
    shape_of: dict = field(default_factory=dict, compare=False)
    #: lengths the code runs at only modulo a step (``x[::2] * x[1::2]``: even ones):
    #: Symbol -> (modulus, residues, ((step, residues, reason), ...)) (``steps.require``)
    steps: dict = field(default_factory=dict, compare=False)
    #: the parameters' values as the body starts (an argument's items are not assigned)
    arguments: dict = field(default_factory=dict, compare=False)
    #: names whose items are assigned: the use that makes it differ from numpy (``stores``)
    stores: dict = field(default_factory=dict, compare=False)
    #: the index Symbols of the loops over a length running now (``filled``: ``du[i] = ...``)
    loop_indices: list = field(default_factory=list, compare=False)
    #: slice ends that move with a loop's index (``x[:i + 1]``), with their nodes, until
    #: the loop's range shows they are never negative (``needs.settle_moving``)
    moving: list = field(default_factory=list, compare=False)

    @property
    def lengths(self):
        """Every length Symbol, in parameter order (a matrix's rows, then columns)."""
        found = []
        for name in self.param_names:
            for base, value in list(self.length_of.items()) + list(self.shape_of.items()):
                if str(base) == name:
                    found += list(value) if isinstance(value, tuple) else [value]
        return list(dict.fromkeys(found))

    @property
    def param_names(self):
        node = self.source.node
        return [a.arg for a in node.args.args]


def evaluate(ctx, node, env):
    return _Eval(ctx, env).visit(node)


def condition(ctx, node, env):
    return to_condition(ctx, node, evaluate(ctx, node, env))


def _by_zero(b):
    """A divisor that is the constant 0: numpy's x/0 is +-inf (nan at 0), sympy's ``zoo``."""
    return b.is_number and b.is_zero


def _divide(a, b):
    if isinstance(b, sympy.Float) and float(b).is_integer() and abs(float(b)) < 2**53:
        b = sympy.Integer(int(b))      # t / 49.0 is t/49: floor(t/49) divides (98 // 49.0 is 2)
    return a * sympy.oo if _by_zero(b) else a / b


def _remainder(a, b):
    """``a % b``; of lengths by a positive integer constant, as ``a - b*floor(a/b)``, the
    form index bounds take (``x[len(x) % 2]``)."""
    if isinstance(b, sympy.Integer) and b > 0 and isinstance(a, sympy.Expr) and a.is_integer \
            and a.free_symbols and all(s.is_integer and s.is_nonnegative for s in a.free_symbols):
        return a - b * sympy.floor(a / b)
    return sympy.Mod(a, b)


_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: _divide, ast.Mod: lambda a, b: sympy.nan if _by_zero(b) else _remainder(a, b),
    ast.FloorDiv: lambda a, b: sympy.floor(_divide(a, b)),
    ast.Pow: lambda a, b: a ** _exponent(b),
}


def _exponent(b):
    # 2.0 and 0.5 written as floats mean the exact numbers: x**2.0 -> x**2, x**0.5 -> sqrt(x)
    if isinstance(b, sympy.Float) and (2 * float(b)).is_integer():
        return sympy.Rational(int(2 * float(b)), 2)
    return b


#: bitwise operators combine conditions, as on numpy's boolean arrays
_LOGICAL = {ast.BitAnd: sympy.And, ast.BitOr: sympy.Or, ast.BitXor: xor}


def negated(expr):
    """``-expr``; as written (not evaluating), ``Mul(-1, expr)`` itself: sympy's ``-`` would
    merge it into a product and reorder its factors (``-(x/0.1)`` as ``-1 * (1/0.1) * x``)."""
    if global_parameters.evaluate or expr.is_Number:
        return -expr
    return sympy.Mul(sympy.S.NegativeOne, expr, evaluate=False)


#: ``+ - * /`` as written: each one node in the source's order (sympy's operators sort
#: a product's factors even unevaluated: ``x / 0.1`` became ``(1/0.1) * x``)
_WRITTEN = {
    ast.Add: lambda a, b: sympy.Add(a, b, evaluate=False),
    ast.Sub: lambda a, b: sympy.Add(a, negated(b), evaluate=False),
    ast.Mult: lambda a, b: sympy.Mul(a, b, evaluate=False),
    ast.Div: lambda a, b: sympy.Mul(a, sympy.Pow(b, -1, evaluate=False), evaluate=False),
}


def binary(ctx, node, op, a, b):
    if isinstance(op, ast.MatMult):
        return _matmul(ctx, node, a, b)
    if seq.is_elementwise(a) or seq.is_elementwise(b):
        return seq.elementwise(ctx, node, lambda x, y: binary(ctx, node, op, x, y), (a, b))
    if type(op) in _LOGICAL:
        return _LOGICAL[type(op)](_bitwise_operand(ctx, node, a, op), _bitwise_operand(ctx, node, b, op))
    fn = _BINARY.get(type(op)) if global_parameters.evaluate else \
        _WRITTEN.get(type(op), _BINARY.get(type(op)))
    if fn is None:
        raise error(ctx, node, f"the operator {type(op).__name__} is not supported in a formula")
    return ieee(fn, as_expr(ctx, node, a), as_expr(ctx, node, b))


def _matmul(ctx, node, a, b):
    if (isinstance(a, seq.Array) or isinstance(b, seq.Array)) and not (seq.is_mat(a) or seq.is_mat(b)):
        return fixed_dot(ctx, node, a, b)
    return matrices.matmul(ctx, node, a, b)


def _bitwise_operand(ctx, node, value, op):
    if not is_condition(value):
        if isinstance(op, ast.BitXor):
            raise error(ctx, node, "^ on numbers is exclusive or, not a power", "write x**2 for powers")
        raise error(ctx, node, "bitwise operators (& | ~) on numbers have no formula meaning",
                   "they combine conditions, as on numpy's boolean arrays: write "
                   "(x > 0) & (y < 1), with the parentheses")
    return value


def static_sequence(ctx, node, env):
    return sequence(ctx, node, evaluate(ctx, node, env))


def from_object(ctx, node, name, obj):
    """The translation-time value of a free name bound to ``obj``."""
    if is_number(obj) or isinstance(obj, bool):
        return constant(obj)
    if seq.is_data(obj):
        return seq.data(ctx, node, name, obj)
    if isinstance(obj, (tuple, list)):
        return tuple(from_object(ctx, node, name, item) for item in obj)
    if getattr(obj, "ndim", None) == 1:      # a numpy array: its operators act elementwise
        kind = seq.IntArray if obj.dtype.kind in "biu" else seq.Array
        return kind(from_object(ctx, node, name, item) for item in obj)
    if is_formula(obj):
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
            raise error(ctx, node, f"{FORBIDDEN[obj]} has no meaning in a formula",
                       "compute the value and return it; do I/O outside the formula")
    except TypeError:                       # unhashable object
        pass
    if isinstance(obj, type(sympy)):        # a module: its attributes are looked up later
        return obj
    if callable(obj):
        known = library_name(obj)
        if known in BY_NAME:
            fname, builder = BY_NAME[known]
            return Callee("function", fname, builder)
        if known:
            bare = known.rpartition(".")[2]
            raise error(ctx, node, f"pyexpr has no formula for {known}", INSTEAD.get(bare, (
                "write it with the functions pyexpr knows (the README lists them), or as a "
                "@pyexpr.jit formula of your own and call that")))
        raise error(ctx, node, f"call to {name!r}, which is not a math function or a formula",
                   f"decorate {name} with @pyexpr.jit, or use math/numpy/sympy functions")
    raise error(ctx, node, f"{name!r} is a {type(obj).__name__}, which has no meaning in a formula",
               "formulas can use numbers, tuples of numbers, math functions and other formulas")




def is_formula(obj):
    """Whether ``obj`` is a formula to inline: what ``calls`` reads of one (``bind_symbolic``,
    ``args``, ``outputs``, ``out_shape``, ``name``), without importing ``Formula``."""
    return callable(getattr(obj, "bind_symbolic", None)) and hasattr(obj, "outputs") \
        and hasattr(obj, "out_shape")


class _Eval(ast.NodeVisitor):
    def __init__(self, ctx, env):
        self.ctx, self.env = ctx, env

    def at(self, env):
        """The evaluator of the same formula in another environment (a lambda's, a generator's)."""
        return _Eval(self.ctx, env)

    def generic_visit(self, node):
        raise error(self.ctx, node, f"{type(node).__name__} expressions are not supported in a formula")

    def visit_Constant(self, node):
        if is_number(node.value) or isinstance(node.value, bool):
            return constant(node.value)
        raise error(self.ctx, node, f"the constant {node.value!r} has no meaning in a formula",
                   "formulas compute numbers only")

    def visit_Name(self, node):
        if node.id in self.env:
            value = settled(self.env[node.id])
            if type(value).__name__ == "_InLoop":
                raise error(self.ctx, node, f"{node.id!r} was assigned in a loop over a vector of "
                            "any length, where only totals (+=, *=) are kept",
                            "accumulate it, or compute it after the loop")
            if type(value).__name__ == "_Partial":
                raise error(self.ctx, node, f"{node.id!r} is assigned on only one side of an if",
                           f"assign {node.id} in both branches, or before the if")
            return value
        if node.id == self.ctx.scope.own_name:
            raise error(self.ctx, node, f"recursion ({node.id} calls itself) is not supported in a formula",
                       "unroll it with a for loop over range(N) with a constant N")
        obj = self.ctx.scope.lookup(node.id)
        if obj is Unbound:
            raise self.ctx.source.error(node, f"name {node.id!r} is not defined", cls=UndefinedNameError,
                                        hint="formulas may use parameters, locals, numeric "
                                        "globals and math/numpy/sympy functions")
        return from_object(self.ctx, node, node.id, obj)

    def visit_Attribute(self, node):
        base = self.visit(node.value)
        if seq.is_array(base) or node.attr == "astype":
            return subscripts.attribute(self.ctx, node, base)
        if not isinstance(base, type(sympy)):
            raise error(self.ctx, node, "attribute access is only supported on modules (math.exp, np.pi)")
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
            if seq.is_elementwise(right) or seq.is_elementwise(value):
                if run is not None:
                    value, run = sympy.Add(*run), None
                value = binary(self.ctx, step, step.op, value, right)
                continue
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
        if seq.is_elementwise(value):
            return seq.elementwise(self.ctx, node, lambda v: self._unary(node, v), (value,))
        return self._unary(node, value)

    def _unary(self, node, value):
        if isinstance(node.op, ast.Not):
            return Not(to_condition(self.ctx, node, value))
        if isinstance(node.op, ast.Invert):
            if value in (sympy.true, sympy.false):     # Python's ~True is -2, numpy's is False
                raise error(self.ctx, node, "~ of a condition known at decoration is ambiguous "
                           "(Python's ~True is -2, numpy's ~True is False)", "write `not` instead")
            return Not(_bitwise_operand(self.ctx, node, value, node.op))
        expr = as_expr(self.ctx, node, value)
        return negated(expr) if isinstance(node.op, ast.USub) else expr

    def visit_BoolOp(self, node):
        conds = [condition(self.ctx, v, self.env) for v in node.values]
        return sympy.And(*conds) if isinstance(node.op, ast.And) else sympy.Or(*conds)

    def visit_Compare(self, node):
        left = self.visit(node.left)
        values = [self.visit(c) for c in node.comparators]
        if seq.is_elementwise(left) or any(seq.is_elementwise(v) for v in values):
            return seq.elementwise(self.ctx, node, lambda *vs: self._compare(node, vs), (left, *values))
        return self._compare(node, (left, *values))

    def _compare(self, node, values):
        left = as_expr(self.ctx, node.left, values[0])
        terms = []
        for op, right_node, right in zip(node.ops, node.comparators, values[1:]):
            right = as_expr(self.ctx, right_node, right)
            terms.append(compare(op, left, right))
            left = right
        return terms[0] if len(terms) == 1 else sympy.And(*terms)

    def visit_IfExp(self, node):
        cond = condition(self.ctx, node.test, self.env)
        if cond is sympy.true:
            return self.visit(node.body)
        if cond is sympy.false:
            return self.visit(node.orelse)
        return seq.merged(self.ctx, node, cond, self.visit(node.body), self.visit(node.orelse))

    def visit_Subscript(self, node):
        return subscripts.subscript(self.ctx, node, self.visit)

    def visit_Lambda(self, node):
        return Callee("lambda", "<lambda>", node, dict(self.env))

    def visit_ListComp(self, node):
        """A list comprehension is a tuple (a Python list: unrolled, never elementwise); over a
        vector of any length only as the argument of ``sum``, ``np.array`` and the like."""
        found = generated(self.ctx, node, self.env, self)
        fixed = seq.unrolled(self.ctx, found)
        if fixed is not None:                   # over x[:3]: three elements
            return tuple(fixed)
        if seq.is_array(found):
            raise error(self.ctx, node, "a list over a vector of any length is supported as the "
                        "argument of sum(...), np.sum(...) or np.array(...)", "write np.sum([... for v in x])")
        return found

    def visit_GeneratorExp(self, node):
        raise error(self.ctx, node, "generator expressions are only supported inside sum(...) "
                   "or a product", "write sum(term for i in range(N))")

    def visit_Call(self, node):
        return call(self.ctx, node, self.env, self)
