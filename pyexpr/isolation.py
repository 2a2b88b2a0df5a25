"""Builds whose time does not depend on what was built before: ``building``, ``isolated``,
and derivatives built once per formula: ``remembered``.

sympy keeps a process-wide cache of the nodes its constructors build, and its
``==`` compares two equal but distinct nodes by walking them, as deep as they
go (on a formula that is a DAG, the tree written out).  A formula built after
another one that shares subexpressions with it meets, on every cache lookup,
the earlier formula's equal copies: the gradient of a 16-step Newton
iteration took 1.2 s in a fresh process and 58 s after a 10-step one (20
steps: 1.8 s and 87 s), all in ``Basic.__eq__`` under ``sympy.cse``.

Each of pyexpr's symbolic builds (reading a function, a derivative, the
Program) therefore starts from an empty cache, as in a fresh process.  The
cache is only a memo: nothing computed changes, and sympy work of the user's
own pays at most a cold cache.  A build while another runs (a Hessian's
gradient, another thread's formula) keeps the cache as it is.
"""
import functools
import threading

_lock = threading.Lock()
_active = [0]                   # builds running now, in every thread: the cache is the process's


class building:
    """``with building():`` a build on an empty sympy cache, unless a build is already running
    (in any thread: emptying the cache under another thread's build made it walk equal copies,
    as after an earlier formula).  A class, not a generator: an error raised inside passes
    through with no frame of this module in its traceback, which ends at the user's line."""

    def __enter__(self):
        with _lock:
            if _active[0] == 0:
                from sympy.core.cache import clear_cache   # sympy loads on first use
                clear_cache()
            _active[0] += 1
        return self

    def __exit__(self, *error):
        with _lock:
            _active[0] -= 1
        return False


def isolated(build):
    """``build`` run ``with building()``."""
    @functools.wraps(build)
    def run(*args, **kwargs):
        with building():
            return build(*args, **kwargs)
    return run


def remembered(method):
    """A derivative made once per formula object and arguments: a second ``f.grad()`` is
    the first one (a new one costs milliseconds of sympy, and its own first calls), as
    scipy's loops ask for ``jac=f.grad()`` again and again.  A list of names counts as the
    tuple; arguments that do not hash make it anew."""
    isolated_build = isolated(method)   # on an empty sympy cache: see ``isolation``

    def build(self, *args, **kwargs):   # with room for the formula's depth (sympy recurses)
        from . import deep
        return deep.run(isolated_build, self, *args, depth=deep.height(list(self.outputs)), **kwargs)

    @functools.wraps(method)
    def derivative(self, *args, **kwargs):
        key = (method.__name__, _hashable(args), _hashable(tuple(sorted(kwargs.items()))))
        try:
            hash(key)
        except TypeError:
            return build(self, *args, **kwargs)
        cache = self.__dict__.setdefault("_derivatives", {})
        found = cache.get(key)
        if found is None:
            found = cache.setdefault(key, build(self, *args, **kwargs))
        return found
    return derivative


def _hashable(value):
    """A key for ``value``: sequences as tuples, each item with its type (``2`` and ``2.0``,
    ``1`` and ``True`` are equal keys, not equal arguments)."""
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    return type(value), value
