"""pyexpr.ir: the backend-neutral form of a formula, and its oracle.

* ``ops`` -- the op registry: one row per operation (signature, sympy class,
  numpy function, cost class, domain notes), which every backend's table of
  spellings is checked against;
* ``program`` -- ``Program``, the flat SSA form every code generator
  consumes, its ``Builder`` (identical steps merged) and ``check``;
* ``from_sympy`` -- ``from_exprs(name, args, outputs)``: sympy expressions
  to a checked Program, one ``_lower_<Class>`` method per sympy class;
* ``interp`` -- ``evaluate(program, *inputs)``, a numpy interpreter: the
  oracle of the backend tests;
* ``special`` -- functions no math library has (polygamma), built from ops.

Names are imported on first use: the CPU backend reads ``ops`` in processes
that never import sympy.
"""
from ..deferred import attributes_from

__all__ = ["Program", "from_exprs", "evaluate"]
_HOMES = {"Program": "program", "from_exprs": "from_sympy", "evaluate": "interp"}

__getattr__ = attributes_from(__name__, _HOMES)
