"""Reading a call's arguments at decoration: its values (``items``), a generator
expression or list comprehension among them as the tuple of its terms, or over a vector
of any length as the Vec of its terms (``generated``), nothing unrolled there."""
import ast

import sympy

from . import needs, sequences as seq
from .values import bind, error, sequence, to_condition


def items(ctx, node, env, visitor, count=None):
    if node.keywords:
        raise error(ctx, node, "keyword arguments are not supported here")
    if count is not None and len(node.args) not in count:
        raise error(ctx, node, f"expected {' or '.join(map(str, count))} argument(s)")
    return [sequence_or_value(ctx, arg, env, visitor) for arg in node.args]


def sequence_or_value(ctx, arg, env, visitor):
    if isinstance(arg, (ast.GeneratorExp, ast.ListComp)):
        return generated(ctx, arg, env, visitor)
    return visitor.visit(arg)


def generated(ctx, gen, env, visitor):
    """Unroll a generator expression over compile-time sequences into a tuple."""
    results = []
    first = gen.generators[0]
    items = visitor.visit(first.iter)
    if seq.is_vec(items):
        return _generate_vector(ctx, gen, env, visitor, items)

    def expand(level, local):
        if level == len(gen.generators):
            results.append(visitor.at(local).visit(gen.elt))
            return
        comp = gen.generators[level]
        for item in sequence(ctx, comp.iter, visitor.at(local).visit(comp.iter)):
            inner = dict(local)
            bind(ctx, comp.target, item, inner)
            conds = [to_condition(ctx, c, visitor.at(inner).visit(c)) for c in comp.ifs]
            if any(c not in (sympy.true, sympy.false) for c in conds):
                raise error(ctx, comp, "conditions in a generator expression must be known at "
                           "decoration", "use a conditional expression in the term instead")
            if all(c is sympy.true for c in conds):
                expand(level + 1, inner)

    expand(0, dict(env))
    return tuple(results)


def _generate_vector(ctx, gen, env, visitor, items):
    """A generator over a vector of any length: the Vec of its terms, nothing unrolled."""
    comp = gen.generators[0]
    if len(gen.generators) > 1 or comp.ifs:
        raise error(ctx, gen, "a generator over a vector of any length takes one `for` and no "
                    "`if`", "put the condition in the term: (t if c else 0 for ...)")
    local = dict(env)
    index = seq.loop_index(ctx, comp.target, items, ())
    bind(ctx, comp.target, items.at(index), local)
    term = visitor.at(local).visit(gen.elt)
    needs.settle_moving(ctx, index, items.length)
    return seq.Vec.of(items.length, index, term, items.start, items.stride)


def tuple_arg(ctx, node, value):
    if not isinstance(value, tuple):
        raise error(ctx, node, "expected a tuple, range(...) or generator expression here")
    return value
