"""Translate a fenced function AST into sympy expressions by symbolic execution.

``translate(source, scope, args)`` runs the function body with every parameter
bound to a sympy Symbol.  Locals are renamed by rebinding (each assignment
makes a new value), loops over compile-time sequences are unrolled, and an
``if`` on a symbolic condition either merges the variables of both branches
into ``Piecewise`` values or, when a branch returns, runs the rest of the
function once per branch and merges the returned values.  The result is the
returned value: one sympy expression or a tuple of them.

Values during translation are sympy expressions and booleans, Python tuples
of values, and callables (``Callee``).  Unsupported constructs raise
``UnsupportedSyntaxError`` at the user's line.
"""
import ast
from dataclasses import dataclass

import sympy
from sympy.core.parameters import global_parameters

from . import evaluate as ev
from . import filled, needs, sequences as seq, stores
from .values import as_expr, bind, sequence, static_int
from .pending import PendingSum, settled


@dataclass
class _Bind:
    """A pseudo-statement: bind a loop target to one item of an unrolled loop."""
    target: ast.AST
    value: object
    node: ast.AST


@dataclass
class _Returned:
    value: object


class _Partial:
    """A variable assigned on only one side of a symbolic ``if``."""


def translate(source, scope, params, ctx=None):
    """Return the value the function returns, with ``params`` bound to Symbols."""
    env = dict(zip((a.arg for a in source.node.args.args), params))
    ctx = ctx or ev.Context(source, scope)
    ctx.arguments.update(env)
    node = source.node
    if isinstance(node, ast.Lambda):
        return ev.evaluate(ctx, node.body, env)
    result = _run(ctx, _strip_docstring(node.body), env)
    if not isinstance(result, _Returned):
        raise source.error(node, f"{node.name} does not return a value on every path",
                           "add a return statement at the end of the function")
    return result.value


def _strip_docstring(body):
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
            and isinstance(first.value.value, str):
        return body[1:]
    return body


def _run(ctx, stmts, env):
    """Execute statements; ``_Returned(value)`` or the final environment."""
    stmts = list(stmts)
    i = 0
    while i < len(stmts):
        stmt = stmts[i]
        if isinstance(stmt, ast.Return):
            if stmt.value is None:
                raise ctx.source.error(stmt, "a formula must return a value")
            return _Returned(ev.evaluate(ctx, stmt.value, env))
        if isinstance(stmt, ast.If):
            cond = ev.condition(ctx, stmt.test, env)
            if cond is sympy.true or cond is sympy.false:   # decided at translation time
                stmts[i:i + 1] = stmt.body if cond is sympy.true else stmt.orelse
                continue
            if _returns(stmt.body) or _returns(stmt.orelse):
                return _run_returning_if(ctx, stmt, cond, stmts[i + 1:], env)
            env = _merged_if(ctx, stmt, cond, env)      # (a loop of 1,000 ifs: no recursion)
            i += 1
            continue
        if isinstance(stmt, ast.For):
            items = ev.evaluate(ctx, stmt.iter, env)
            if seq.is_vec(items):
                _symbolic_loop(ctx, stmt, env, items)
                i += 1
                continue
            stmts[i:i + 1] = _unroll(ctx, stmt, env, items)
            continue
        _STATEMENTS.get(type(stmt), _unsupported)(ctx, stmt, env)
        i += 1
    return env


def _run_returning_if(ctx, stmt, cond, rest, env):
    """An ``if`` a branch of which returns: the rest of the function runs once per branch."""
    then = _run(ctx, stmt.body + rest, dict(env))
    other = _run(ctx, stmt.orelse + rest, dict(env))
    if isinstance(then, _Returned) and isinstance(other, _Returned):
        return _Returned(seq.merged(ctx, stmt, cond, then.value, other.value))
    return then if not isinstance(then, _Returned) else other


def _merged_if(ctx, stmt, cond, env):
    """The environment after an ``if`` on a symbolic condition whose branches do not return:
    each variable the branches leave apart merged into a Piecewise."""
    then = _run(ctx, stmt.body, dict(env))
    other = _run(ctx, stmt.orelse, dict(env))
    merged = {}
    for name in set(then) | set(other):
        if name in then and name in other:
            a, b = then[name], other[name]
            a, b = (a, b) if a is b else (settled(a), settled(b))
            merged[name] = a if a is b else seq.merged(ctx, stmt, cond, a, b)
        else:
            merged[name] = _Partial()
    return merged


def _returns(stmts):
    return any(isinstance(n, ast.Return) for s in stmts for n in ast.walk(s))


def _unroll(ctx, stmt, env, items):
    _no_else(ctx, stmt)
    items = sequence(ctx, stmt.iter, items)
    unrolled = []
    for item in items:
        unrolled.append(_Bind(stmt.target, item, stmt))
        unrolled.extend(stmt.body)
    return unrolled


def _no_else(ctx, stmt):
    if stmt.orelse:
        raise ctx.source.error(stmt.orelse[0], "for ... else is not supported in a formula",
                               "move the else block after the loop")


class _InLoop:
    """A variable a loop over a vector of any length assigned without accumulating."""


def _symbolic_loop(ctx, stmt, env, items):
    """A loop over a vector (or a range) of any length, run once on a symbolic index:
    each variable it changes must accumulate, ``total += term`` (a Sum of the terms)
    or ``total *= factor`` (a Product)."""
    _no_else(ctx, stmt)
    if _returns(stmt.body):
        raise ctx.source.error(stmt, "return inside a loop over a vector of any length",
                               "accumulate a total in the loop and return it after")
    assigned = _assigned(stmt.body)
    index = seq.loop_index(ctx, stmt.target, items, ())
    local = dict(env)
    holders = {name: sympy.Dummy(name, real=True) for name in assigned if name in env
               and isinstance(settled(env[name]), sympy.Expr)}
    local.update(holders)
    filling = [name for name in assigned if filled.storable(env.get(name)) and stores.stored_in(stmt.body, name)]
    for name in filling:
        read = stores.read_in(stmt.body, name)
        if read is not None:
            raise ctx.source.error(read, f"{name} is read in the loop that fills it: numpy would read what "
                                   "earlier iterations stored", "compute the elements from the loop's index "
                                   "and the arguments")
    bind(ctx, stmt.target, items.at(index), local)
    ctx.loop_indices.append(index)
    try:
        after = _run(ctx, stmt.body, local)
    finally:
        ctx.loop_indices.pop()
    needs.settle_moving(ctx, index, items.length)
    for name in assigned:
        if name in filling:
            env[name] = filled.lifted(ctx, stmt, env[name], after.get(name), index, items)
            continue
        new = settled(after.get(name))
        holder = holders.get(name)
        env[name] = _InLoop() if holder is None else _accumulated(ctx, stmt, name, holder, new,
                                                                  settled(env[name]), items, index)


def _accumulated(ctx, stmt, name, holder, new, before, items, index):
    if not isinstance(new, sympy.Expr):
        raise ctx.source.error(stmt, f"{name} must stay a number in a loop over a vector")
    term = new - holder if new.has(holder) else None
    if term is not None and term.has(holder) and term.has(sympy.Piecewise):
        # total += x[i] under an if: Piecewise((total + x[i], c), (total, True)) - total
        term = sympy.piecewise_fold(term)
    if term is not None and not term.has(holder):
        return before + seq.reduce(ctx, stmt, "sum", seq.Vec.of(items.length, index, term, items.start,
                                                                 items.stride))
    factor = new / holder if new.has(holder) else None
    if factor is not None and not factor.has(holder):
        return before * seq.reduce(ctx, stmt, "prod", seq.Vec.of(items.length, index, factor, items.start,
                                                                  items.stride))
    raise ctx.source.error(stmt, f"{name} is changed in a loop over a vector of any length "
                           "other than by accumulating", f"write {name} += term (a sum) or "
                           f"{name} *= factor (a product); other recurrences need a fixed length")


def _assigned(stmts):
    names = []
    for s in stmts:
        for n in ast.walk(s):
            targets = n.targets if isinstance(n, ast.Assign) else [n.target] \
                if isinstance(n, (ast.AugAssign, ast.AnnAssign)) else []
            for t in targets:
                names += [m.id for m in ast.walk(t) if isinstance(m, ast.Name)]
    return list(dict.fromkeys(names))


def _assign(ctx, stmt, env):
    value = ev.evaluate(ctx, stmt.value, env)
    for target in stmt.targets:
        if isinstance(target, ast.Subscript):
            _store(ctx, target, value, env)
        else:
            bind(ctx, target, value, env)


_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


def _store(ctx, target, value, env):
    """``dy[0] = value`` (``dy[1:3] = ...``) of an array the function made (``np.zeros(3)``):
    the name holds a new Array with those elements replaced.  numpy would change the array
    in place, seen through every name, view and container of it: an argument is refused
    here, the other uses by ``stores.check``, so the two never differ."""
    name = target.value.id if isinstance(target.value, ast.Name) else None
    current = env.get(name)
    if not isinstance(current, seq.Array) and not filled.storable(current):
        raise ctx.source.error(target, "item assignment is supported on one-dimensional arrays made in "
                               "the function", "write dy = np.zeros(3) or np.zeros_like(y), then dy[0] = ...")
    if any(current is v for v in ctx.arguments.values()):
        raise ctx.source.error(target, f"{name} is an argument: a formula cannot change it (numpy would "
                               "change the caller's array)", f"copy it first: {name} = np.array({name})")
    stores.check(ctx, name, target)
    if not isinstance(current, seq.Array):
        env[name] = filled.store(ctx, target, current, _place(ctx, target, current, env), value)
        return
    elements = list(current)
    if isinstance(target.slice, ast.Slice):
        bounds = [None if p is None else static_int(ctx, p, ev.evaluate(ctx, p, env))
                  for p in (target.slice.lower, target.slice.upper, target.slice.step)]
        places = range(*slice(*bounds).indices(len(elements)))
        values = value if isinstance(value, tuple) else (value,) * len(places)
        if len(values) != len(places):
            raise ctx.source.error(target, f"cannot assign {len(values)} values to {len(places)} elements")
    else:
        index = static_int(ctx, target.slice, ev.evaluate(ctx, target.slice, env))
        if not -len(elements) <= index < len(elements):
            raise ctx.source.error(target, f"index {index} is out of range for an array of {len(elements)}")
        places, values = [index], [value]
    for place, item in zip(places, values):
        elements[place] = as_expr(ctx, target, item)
        if isinstance(current, seq.IntArray) and not elements[place].is_Integer:
            raise ctx.source.error(target, f"{name} is an integer array: numpy would truncate the value "
                                   "stored", "make it of floats: np.array([...], dtype=float) or 1.0 for 1")
    env[name] = type(current)(elements)


def _place(ctx, target, vec, env):
    """Where ``target`` (``du[...]``) stores into ``vec``, a vector of any length (``filled``)."""
    if isinstance(target.slice, ast.Slice):
        lo, hi, step = (None if p is None else ev.evaluate(ctx, p, env)
                        for p in (target.slice.lower, target.slice.upper, target.slice.step))
        if step is not None and not (isinstance(step, sympy.Integer) and step >= 1):
            raise ctx.source.error(target, "a store into a slice of an array of any length takes a positive "
                                   "constant step", "write du[::2] = ..., or store single elements")
        ends = tuple(seq.slice_end(ctx, target, vec, p, d) for p, d in ((lo, 0), (hi, vec.length)))
        return ("slice",) + ends + (int(step or 1),)
    at = ev.evaluate(ctx, target.slice, env)
    if not isinstance(at, sympy.Expr) or at.free_symbols - set(ctx.loop_indices) - set(ctx.lengths):
        raise ctx.source.error(target, "an element of an array of any length is stored at a constant "
                               "index or a loop's index", "write du[0] = ..., du[-1] = ... or du[i] = ...")
    return ("item", at)


def _ann_assign(ctx, stmt, env):
    if stmt.value is None:
        return
    bind(ctx, stmt.target, ev.evaluate(ctx, stmt.value, env), env)


def _aug_assign(ctx, stmt, env):
    if isinstance(stmt.target, ast.Subscript):         # dy[0] += value
        load = ast.Subscript(stmt.target.value, stmt.target.slice, ast.Load(),
                             lineno=stmt.lineno, col_offset=stmt.col_offset)
        current = ev.evaluate(ctx, load, env)
        _store(ctx, stmt.target, ev.binary(ctx, stmt, stmt.op, current, ev.evaluate(ctx, stmt.value, env)), env)
        return
    if not isinstance(stmt.target, ast.Name):
        raise ctx.source.error(stmt.target, "augmented assignment to items or attributes is "
                               "not supported in a formula", "assign to a local name")
    name = stmt.target.id
    pending = env.get(name)
    if isinstance(pending, (seq.Array, seq.Vec, seq.Mat)):        # numpy's a += t is in place
        if any(pending is v for v in ctx.arguments.values()):
            raise ctx.source.error(stmt, f"{name} is an argument: {name} {_OPERATORS.get(type(stmt.op), '')}= "
                                   "changes the caller's array in numpy", f"write {name} = {name} + ... instead")
        stores.check(ctx, name, stmt.target)
    if isinstance(stmt.op, (ast.Add, ast.Sub)) and global_parameters.evaluate \
            and isinstance(pending, (PendingSum, sympy.Expr)):
        term = as_expr(ctx, stmt, ev.evaluate(ctx, stmt.value, env))
        env[name] = PendingSum(pending, term if isinstance(stmt.op, ast.Add) else -term)
        return
    current = ev.evaluate(ctx, ast.Name(name, ast.Load(), lineno=stmt.lineno,
                                        col_offset=stmt.col_offset), env)
    env[name] = ev.binary(ctx, stmt, stmt.op, current, ev.evaluate(ctx, stmt.value, env))


def _bind_item(ctx, stmt, env):
    bind(ctx, stmt.target, stmt.value, env)


def _expr_stmt(ctx, stmt, env):
    if isinstance(stmt.value, ast.Call):    # print(x), f.write(...): name the callee's problem
        ev.evaluate(ctx, stmt.value, env)
    raise ctx.source.error(stmt, "expression statements have no effect in a formula",
                           "assign the value to a name or return it")


def _pass(ctx, stmt, env):
    pass


def _unsupported(ctx, stmt, env):
    raise ctx.source.error(stmt, f"{type(stmt).__name__} statements are not supported in a formula")


_STATEMENTS = {ast.Assign: _assign, ast.AnnAssign: _ann_assign, ast.AugAssign: _aug_assign,
               _Bind: _bind_item, ast.Expr: _expr_stmt, ast.Pass: _pass}
