"""The pipeline in one function: a Python function -> sympy -> Program -> kernel.

``stages(func, dtype=None, **options)`` runs every stage a formula goes
through, in order, and returns what each made:

* ``formula`` -- ``jit``: the source is captured and fenced, and executed
  symbolically into sympy (``ast_rewrite``); a ``Formula`` holds the result,
  with calculus and printing (``formula``, ``calculus``, ``printing``);
* ``sympy`` -- its expression;
* ``program`` -- ``backends.program``: sympy -> the flat SSA ``Program``
  (``ir``: CSE, one registry op per step);
* ``kernel`` -- ``backends.compile``: the Program -> machine code for the
  formula's target (``cpu`` through LLVM, or ``gpu`` through CUDA C).

The decorator runs the first stages and a formula's first call the last two,
through these same functions; ``PYEXPR_DEBUG=1`` prints each stage's text as
it goes.

    >>> import math
    >>> s = stages(lambda x: math.exp(-x * x))
    >>> s.sympy, s.program.n_args, s.kernel.scalar(0.0)
    (exp(-x**2), 1, (1.0,))
"""
from collections import namedtuple

from .jit import jit

Stages = namedtuple("Stages", "formula sympy program kernel")


def stages(func, dtype=None, **options):
    formula = jit(func, **options)          # Python -> sympy (ast_rewrite), a Formula
    program = formula.program               # sympy -> Program (ir, through backends.program)
    kernel = formula.kernel(dtype)          # Program -> machine code (cpu or gpu, backends.compile)
    return Stages(formula, formula.expr, program, kernel)
