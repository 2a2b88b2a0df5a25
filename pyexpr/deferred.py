"""Modules imported on first use, so that ``import pyexpr`` and a formula whose code
comes from the disk cache (``pyexpr.startup``) need neither sympy (about 200 ms to
import) nor pyexpr's symbolic modules, which import it.

    >>> sympy = deferred("sympy")        # nothing imported yet
    >>> sympy.Integer(2) + 1             # imported here
    3

Every such import runs under one lock (``imported``): two threads first importing
sympy's package from different modules (a formula from the cache printed on one
thread while another reads its source) can otherwise each hold a module the
other waits for, and Python then leaves sympy half imported for good.
"""
import sys
import threading
from importlib import import_module

_IMPORTING = threading.RLock()
_DONE = set()


def imported(name):
    """The module ``name``, imported (the first time) under the lock every deferred
    import takes."""
    if name not in _DONE:
        with _IMPORTING:
            import_module(name)
            _DONE.add(name)
    return sys.modules[name]


class deferred:
    """A stand-in for the module ``name``: its attributes, the module imported on the
    first one asked for (later ones cost a lookup in ``sys.modules``)."""

    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        return getattr(imported(self._name), attr)

    def __repr__(self):
        return f"<deferred module {self._name}>"


def attributes_from(package, homes):
    """A package's module ``__getattr__`` (PEP 562) that imports each name of ``homes``
    (``{name: submodule}``) from its submodule when it is first asked for."""
    def __getattr__(name):
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(imported(f"{package}.{homes[name]}"), name)
        setattr(import_module(package), name, value)       # asked once
        return value
    return __getattr__
