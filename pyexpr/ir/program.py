"""Program: the flat SSA form every code generator consumes.

A ``Program`` is a name, argument names, a tuple of ``Instr`` and the value
ids of its outputs.  Instruction ``k`` defines value ``%k``; an instruction
only reads values defined before it.  Each value is a float (``"f"``) or a
boolean (``"b"``).  Operations and their signatures are the registry's
(``ir.ops.OPS``); code generators map every op name to a spelling of their
own, so a missing op there is the only way for a backend to lack a feature.

    >>> import sympy
    >>> x, y = sympy.symbols("x y", real=True)
    >>> print(from_exprs("f", [x, y], [2.5*x + y]))
    program f(x, y):
      %0 = arg x
      %1 = arg y
      %2 = const 2.5
      %3 = mul %2, %0
      %4 = add %1, %3
      return %4

``from_exprs`` runs ``sympy.cse`` and builds through a hash-consing
constructor, so an identical ``(op, args)`` is computed once.  Integer powers
become multiplication chains, ``x**0.5`` becomes ``sqrt`` and negative powers
a division.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import digest
from . import composite
from .ops import F, OPS

@dataclass(frozen=True)
class Instr:
    """One step: ``op`` applied to earlier values ``args``.

    ``attr`` is the argument index for ``arg`` and the float value for ``const``.
    """
    op: str
    args: tuple = ()
    attr: object = None

    @property
    def type(self):
        return OPS[self.op].result

    def __str__(self):
        if self.op == "const":
            return f"const {self.attr!r}"
        if self.op == "arg":
            return f"arg {self.attr}"
        return f"{self.op} " + ", ".join(f"%{a}" for a in self.args)


@dataclass(frozen=True)
class Program:
    name: str
    arg_names: tuple
    instrs: tuple
    outputs: tuple

    @property
    def n_args(self):
        return len(self.arg_names)

    def __str__(self):
        lines = [f"program {self.name}({', '.join(self.arg_names)}):"]
        for k, ins in enumerate(self.instrs):
            text = str(ins)
            if ins.op == "arg":
                text = f"arg {self.arg_names[ins.attr]}"
            lines.append(f"  %{k} = {text}")
        lines.append("  return " + ", ".join(f"%{o}" for o in self.outputs))
        return "\n".join(lines)

    def walk(self, arg, const, apply):
        """Every instruction's value, in order: ``arg(index)``, ``const(value)`` and
        ``apply(instr, operand_values)`` give them (how each backend evaluates or emits)."""
        values = []
        for ins in self.instrs:
            if ins.op == "arg":
                values.append(arg(ins.attr))
            elif ins.op == "const":
                values.append(const(ins.attr))
            else:
                values.append(apply(ins, [values[a] for a in ins.args]))
        return values

    def key(self):
        """A stable digest of the program text, for caches."""
        return digest.new(str(self).encode()).hexdigest()

    def check(self):
        """Raise ``AssertionError`` unless every value is defined before use with the right type
        (raised, not asserted: ``python -O`` drops asserts, and a Program read from the disk
        cache, ``pyexpr.startup``, is checked here)."""
        seen_args = set()
        for k, ins in enumerate(self.instrs):
            if ins.op not in OPS:
                raise AssertionError(f"%{k}: unknown op {ins.op!r}")
            arg_types = OPS[ins.op].args
            if len(ins.args) != len(arg_types):
                raise AssertionError(f"%{k}: {ins.op} takes {len(arg_types)} operands")
            for a, want in zip(ins.args, arg_types):
                if not (0 <= a < k):
                    raise AssertionError(f"%{k}: operand %{a} used before definition")
                if self.instrs[a].type != want:
                    raise AssertionError(f"%{k}: operand %{a} is not of type {want}")
            if ins.op == "arg":
                if not (0 <= ins.attr < self.n_args and ins.attr not in seen_args):
                    raise AssertionError(f"%{k}: bad arg {ins.attr}")
                seen_args.add(ins.attr)
            if ins.op == "const":
                if not isinstance(ins.attr, float):
                    raise AssertionError(f"%{k}: const must hold a float")
        if seen_args != set(range(self.n_args)):
            raise AssertionError("every argument needs exactly one arg instruction")
        for o in self.outputs:
            if not (0 <= o < len(self.instrs) and self.instrs[o].type == F):
                raise AssertionError(f"output %{o} is not a float value")
        return self


class Builder:
    """Appends instructions, reusing an existing value for an identical ``(op, args, attr)``."""

    def __init__(self, n_args):
        self.instrs = [Instr("arg", (), i) for i in range(n_args)]
        self._memo = {(ins.op, ins.args, ins.attr): k for k, ins in enumerate(self.instrs)}

    def emit(self, op, *args, attr=None):
        """The id of the value ``op(*args)``: an instruction (one per distinct value), or
        for a composite (``ir.composite``) the instructions of its expansion."""
        if OPS[op].cost == "composite":
            return composite.EXPANSIONS[op](self.emit, self.const, *args)
        if op == "const":
            attr = float(attr)
            # -0.0 == 0.0 and nan != nan: key constants by their bit pattern
            key = (op, (), attr.hex())
        else:
            key = (op, args, attr)
        if key not in self._memo:
            self._memo[key] = len(self.instrs)
            self.instrs.append(Instr(op, tuple(args), attr))
        return self._memo[key]

    def const(self, value):
        return self.emit("const", attr=value)
