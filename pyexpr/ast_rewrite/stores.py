"""Item assignment (``dy[0] = ...``) to an array the function makes.

numpy changes such an array in place, and the change shows through every name, view
(``dy[1:]``, ``np.asarray(dy)``), container and closure that holds it; the translator
gives the name a new ``Array`` instead.  The two agree when the name is bound only to
new arrays (``np.zeros(3)``, ``np.array([...])``, arithmetic) and read only by its items, in
arithmetic and reductions (which copy) and returned: ``check`` refuses anything else,
at the use that would differ.  Integer arrays (``IntArray``) keep integers only: numpy
truncates what is stored in one.
"""
import ast

from .values import error

#: calls whose result may share memory with their argument
VIEWS = {"asarray", "asanyarray", "ravel", "reshape", "transpose", "squeeze", "atleast_1d", "view",
         "swapaxes", "moveaxis", "broadcast_to", "flip"}
#: calls that copy the arrays in the list they take
COPIES = {"concatenate", "hstack", "vstack", "stack", "append", "array"}
#: array attributes that read without sharing (methods reduce; sizes are numbers)
READS = {"sum", "mean", "prod", "dot", "var", "std", "max", "min", "size", "shape", "copy"}


def check(ctx, name, target):
    """Refuse ``name[...] = ...`` at ``target`` unless numpy and the translator agree."""
    cache = ctx.stores
    if name not in cache:
        cache[name] = _first_conflict(ctx.source.node, name)
    found = cache[name]
    if found is not None:
        node, why = found
        raise error(ctx, node, f"{name} is changed in place (line {ctx.source.where(target)[0]}) and {why}: "
                    "numpy's change would be seen here too",
                    f"copy it where it is read whole: np.array({name})")


def _first_conflict(function, name):
    parents = {child: parent for parent in ast.walk(function) for child in ast.iter_child_nodes(parent)}
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and node.id == name:
            why = _binding_conflict(node, parents) if isinstance(node.ctx, ast.Store) else _read_conflict(node, parents)
            if why:
                return node, why
    return None


def _binding_conflict(node, parents):
    parent = parents.get(node)
    value = getattr(parent, "value", None)
    if isinstance(parent, (ast.Assign, ast.AnnAssign)) and (
            isinstance(value, (ast.BinOp, ast.UnaryOp, ast.Compare))      # arithmetic makes a new array
            or isinstance(value, ast.Call) and _callee(value.func) not in VIEWS):
        return None
    if isinstance(parent, ast.AugAssign):
        return None                     # dy += t of a new array no other name holds
    return "is also bound to a value that may be another array's"


def _read_conflict(node, parents):
    for ancestor in _ancestors(node, parents):
        if isinstance(ancestor, ast.Lambda):
            return "a lambda holds it"
    parent = parents.get(node)
    if isinstance(parent, ast.Subscript) and parent.value is node and isinstance(parent.ctx, ast.Store):
        return None                     # dy[1:] = ..., dy[0] += ...: a store
    if isinstance(parent, ast.Subscript) and parent.value is node:
        parts = parent.slice.elts if isinstance(parent.slice, ast.Tuple) else [parent.slice]
        return "a slice of it is a view" if any(isinstance(p, ast.Slice) for p in parts) else None
    if isinstance(parent, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.Return, ast.For, ast.comprehension,
                           ast.Starred, ast.AugAssign)):
        return None
    if isinstance(parent, ast.Attribute):
        return None if parent.attr in READS else f"its .{parent.attr} shares it"
    if isinstance(parent, ast.Call) and node in parent.args:
        return f"{_callee(parent.func)}(...) may share it" if _callee(parent.func) in VIEWS else None
    if isinstance(parent, (ast.Tuple, ast.List)) and (
            isinstance(parents.get(parent), ast.Return)
            or isinstance(parents.get(parent), ast.Call) and _callee(parents[parent].func) in COPIES):
        return None                     # returned, or copied: np.concatenate([du, dv])
    return "another name or a container holds it"


def stored_in(stmts, name):
    """Whether ``stmts`` store into items of ``name`` (``name[...] = ...``, ``+=``)."""
    return any(isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name)
               and n.value.id == name for s in stmts for n in ast.walk(s))


def read_in(stmts, name):
    """The first read of ``name`` in ``stmts`` other than as the array a store writes into
    (``name[i] += t`` reads only the element it writes), or None."""
    for s in stmts:
        parents = {child: parent for parent in ast.walk(s) for child in ast.iter_child_nodes(parent)}
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load):
                parent = parents.get(n)
                if not (isinstance(parent, ast.Subscript) and isinstance(parent.ctx, ast.Store)):
                    return n
    return None


def _ancestors(node, parents):
    while node in parents:
        node = parents[node]
        yield node


def _callee(func):
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
