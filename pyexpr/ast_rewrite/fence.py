"""The fence: reject Python that has no formula meaning, before translating.

``check(source)`` walks the function's AST once.  A node type outside
``ALLOWED`` raises ``UnsupportedSyntaxError`` at the user's line, with a
readable name for the construct and the supported form to write instead.
Afterwards the translator only meets node types it has a method for; what it
still rejects depends on context (a subscript as an assignment target, a
``for`` over data), and it reports those the same way.
"""
import ast

A = ast
ALLOWED = {
    A.FunctionDef, A.Lambda, A.arguments, A.arg, A.Return, A.Assign, A.AugAssign, A.AnnAssign,
    A.If, A.For, A.Pass, A.Expr, A.BinOp, A.UnaryOp, A.BoolOp, A.Compare, A.IfExp, A.Call,
    A.keyword, A.Name, A.Attribute, A.Subscript, A.Slice, A.Constant, A.Tuple, A.List,
    A.GeneratorExp, A.ListComp, A.comprehension, A.Starred,
    A.Load, A.Store, A.Add, A.Sub, A.Mult, A.MatMult, A.Div, A.FloorDiv, A.Mod, A.Pow, A.USub, A.UAdd,
    A.Not, A.And, A.Or, A.BitAnd, A.BitOr, A.BitXor, A.Invert, A.Eq, A.NotEq, A.Lt, A.LtE, A.Gt, A.GtE,
}

# node type -> (what it is, what to write instead)
REJECTED = {
    A.While: ("while loops", "use `for i in range(N)` with a fixed N, or a conditional expression"),
    A.AsyncFunctionDef: ("async functions", "write a plain def"),
    A.ClassDef: ("class definitions", "define classes outside the formula"),
    A.Try: ("try statements", "math errors give nan/inf in formulas; use an `if` to pick a branch"),
    A.With: ("with statements", "remove the with block"),
    A.Raise: ("raise statements", "return nan (`math.nan`) for invalid input instead"),
    A.Assert: ("assert statements", "check inputs outside the formula"),
    A.Delete: ("del statements", "reassign the name instead"),
    A.Global: ("global statements", "formulas cannot change outside state; return the value"),
    A.Nonlocal: ("nonlocal statements", "formulas cannot change outside state; return the value"),
    A.Import: ("imports inside the function", "import at module level"),
    A.ImportFrom: ("imports inside the function", "import at module level"),
    A.Yield: ("yield (generators)", "return the value, or a tuple of values"),
    A.YieldFrom: ("yield (generators)", "return the value, or a tuple of values"),
    A.Await: ("await", "write a plain def"),
    A.Break: ("break", "loops are unrolled; use `if` inside the loop body"),
    A.Continue: ("continue", "loops are unrolled; use `if` inside the loop body"),
    A.SetComp: ("set comprehensions", "use a generator expression inside sum(...)"),
    A.DictComp: ("dict comprehensions", "use a generator expression inside sum(...)"),
    A.Dict: ("dicts", "use local variables or a tuple"),
    A.Set: ("sets", "use a tuple"),
    A.JoinedStr: ("strings", "formulas compute numbers only"),
    A.NamedExpr: ("assignment expressions (:=)", "assign on a line of its own"),
    A.LShift: ("bit shifts", "multiply by a power of two"),
    A.RShift: ("bit shifts", "divide by a power of two"),
    A.Is: ("`is` comparisons", "compare values with == or !="),
    A.IsNot: ("`is not` comparisons", "compare values with == or !="),
    A.In: ("`in` tests", "compare values with == and `or`"),
    A.NotIn: ("`not in` tests", "compare values with != and `and`"),
}
for _name, _why in (("Match", ("match statements", "use if/elif/else")),
                    ("TryStar", ("try statements", "use an `if` to pick a branch"))):
    if hasattr(ast, _name):
        REJECTED[getattr(ast, _name)] = _why


def check(source):
    """Raise ``UnsupportedSyntaxError`` for the first construct outside the subset."""
    root = source.node
    _check_signature(source, root.args)
    docstring = _docstring(root)
    for node in ast.walk(root):
        if node is docstring:
            continue
        if type(node) in ALLOWED:
            _check_node(source, root, node)
            continue
        what, hint = REJECTED.get(type(node), (f"{type(node).__name__} nodes", None))
        raise source.error(node, f"{what} are not supported in a formula", hint)


def _check_node(source, root, node):
    if isinstance(node, ast.FunctionDef) and node is not root:
        raise source.error(node, "nested function definitions are not supported in a formula",
                           "use a lambda, or decorate the helper with @pyexpr.jit and call it")
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        raise source.error(node, "strings are not supported in a formula",
                           "formulas compute numbers only")
    if isinstance(node, ast.Constant) and isinstance(node.value, complex):
        raise source.error(node, "complex numbers are not supported in a formula",
                           "pyexpr computes over the reals; split real and imaginary parts")


def _docstring(root):
    body = getattr(root, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
            and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        return body[0].value
    return None


def _check_signature(source, args):
    hint = "list every input as a plain positional parameter"
    if args.vararg:
        raise source.error(args.vararg, "*args parameters are not supported in a formula", hint)
    if args.kwarg:
        raise source.error(args.kwarg, "**kwargs parameters are not supported in a formula", hint)
    if args.kwonlyargs:
        raise source.error(args.kwonlyargs[0],
                           "keyword-only parameters are not supported in a formula", hint)
    for a in args.args:                 # f(x, out=o) writes the result into o
        if a.arg == "out":
            raise source.error(a, "a parameter cannot be named 'out': a formula's calls take out= as "
                               "the array its result is written to", "rename the parameter")
