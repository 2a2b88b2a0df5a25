"""This machine, as compiled code sees it, found without loading LLVM.

* ``host_isas()`` -- the vector ISAs of ``vector_abi.ISAS`` the CPU runs,
  widest first, from the kernel's CPU flags (``/proc/cpuinfo``; elsewhere
  from LLVM's view of the host);
* ``vector_target(isa=None)`` -- the ``vector_abi.VectorTarget`` that array
  loops use: the widest ISA (or ``isa``, or ``$PYEXPR_SIMD``; ``"none"``
  turns SIMD off) and the libmvec symbols that resolve, or None without
  libmvec;
* ``fingerprint()`` -- a string that changes whenever object code compiled
  here might not run, or not match, on this machine: the CPU model and
  flags, the machine type, the llvmlite version and library file.

All three are cheap (well under a millisecond after the first call), so the
path that loads kernels from the on-disk cache can use them freely.
"""
import ctypes
import os
from functools import lru_cache

from .. import digest
from .codegen.vector_abi import ISAS, VectorTarget, all_symbols

LIBMVEC = "libmvec.so.1"


@lru_cache(maxsize=None)
def cpu_info():
    """``(model name, frozenset of flags)`` from /proc/cpuinfo; ``("", None)`` where unreadable."""
    model, flags = "", None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and not model:
                    model = value.strip()
                elif key in ("flags", "Features") and flags is None:
                    flags = frozenset(value.split())
                if model and flags is not None:
                    break
    except OSError:
        pass
    return model, flags


def _x86():
    return os.uname().machine.lower() in ("x86_64", "amd64")


@lru_cache(maxsize=None)
def host_isas():
    """Names of the vector ISAs this CPU runs, widest first ([] off x86-64)."""
    if not _x86():
        return []
    flags = cpu_info()[1]
    if flags is None:                                  # no /proc: ask LLVM
        from .build.engine import host_features
        flags = host_features()
    return [name for name, isa in ISAS.items() if all(f in flags for f in isa.features)]


def vector_target(isa=None):
    """The ``VectorTarget`` for ``isa`` (default ``$PYEXPR_SIMD``, else the host's widest), or None.

    ``isa`` is a key of ``vector_abi.ISAS``, ``"host"`` or ``"none"``; an ISA
    this CPU cannot run raises ``ValueError``.  None also where libmvec is
    missing or has none of the ISA's functions.
    """
    isa = isa or os.environ.get("PYEXPR_SIMD") or "host"
    if isa == "none":
        return None
    runnable = host_isas()
    if isa == "host":
        if not runnable:
            return None
        isa = runnable[0]
    elif isa not in runnable:
        raise ValueError(f"SIMD ISA {isa!r} is not one this CPU runs; choose from "
                         f"{', '.join(runnable + ['host', 'none'])}")
    return _vector_target(isa)


@lru_cache(maxsize=None)
def _vector_target(isa):
    library = libmvec()
    if library is None:
        return None
    found = frozenset(name for name in all_symbols(isa) if hasattr(library, name))
    return VectorTarget(isa, found) if found else None


@lru_cache(maxsize=None)
def libmvec():
    """glibc's libmvec, loaded (a ``ctypes.CDLL``), or None where there is none."""
    try:
        return ctypes.CDLL(LIBMVEC)
    except OSError:
        return None


@lru_cache(maxsize=None)
def fingerprint():
    """See the module docstring."""
    import llvmlite
    model, flags = cpu_info()
    library = os.path.join(os.path.dirname(llvmlite.__file__), "binding")
    try:
        stamp = max((os.stat(os.path.join(library, name)).st_mtime_ns, name)
                    for name in os.listdir(library) if ".so" in name or ".dylib" in name or ".dll" in name)
    except (OSError, ValueError):
        stamp = "unknown"
    if flags is None:
        from .build.engine import host_features
        flags = host_features()
    text = "|".join([os.uname().machine, model, " ".join(sorted(flags)), llvmlite.__version__, str(stamp)])
    return digest.new(text.encode()).hexdigest()[:32]
