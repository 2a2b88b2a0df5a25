"""Name resolution outside the function body: closure, globals, builtins.

A ``Scope`` answers ``lookup(name)`` with the object a free name is bound to
at decoration time (numeric globals are therefore frozen then), or
``Unbound``.  ``Callee`` is the translator's handle on anything callable in a
formula: a table function, a loop/reduction builtin, an inlined formula, or a
local lambda.
"""
import builtins
from dataclasses import dataclass, field


class _UnboundType:
    def __repr__(self):
        return "Unbound"


Unbound = _UnboundType()


@dataclass(frozen=True)
class Scope:
    globals: dict
    closure: dict
    own_name: str

    @classmethod
    def of(cls, func):
        code = func.__code__
        cells = func.__closure__ or ()
        closure = {}
        for name, cell in zip(code.co_freevars, cells):
            try:
                closure[name] = cell.cell_contents
            except ValueError:          # a cell not yet filled
                pass
        return cls(func.__globals__, closure, func.__name__)

    def lookup(self, name):
        for table in (self.closure, self.globals):
            if name in table:
                return table[name]
        return getattr(builtins, name, Unbound)


@dataclass(frozen=True)
class Callee:
    """Something a formula may call.  ``kind`` is function, special, formula or lambda."""
    kind: str
    name: str
    target: object = None                 # builder, Formula, or ast.Lambda
    env: dict = field(default=None, compare=False)   # a lambda's enclosing locals
