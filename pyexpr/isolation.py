"""Build times that do not depend on what was built before: ``isolated``.

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
own pays at most a cold cache.  A build inside another (a Hessian's gradient)
keeps the cache its outer build started.
"""
import functools
import threading

from sympy.core.cache import clear_cache

_local = threading.local()


def isolated(build):
    """``build``, run on an empty sympy cache unless this thread is already in one."""
    @functools.wraps(build)
    def run(*args, **kwargs):
        depth = getattr(_local, "depth", 0)
        if depth == 0:
            clear_cache()
        _local.depth = depth + 1
        try:
            return build(*args, **kwargs)
        finally:
            _local.depth = depth
    return run
