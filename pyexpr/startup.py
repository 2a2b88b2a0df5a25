"""A decorated function's formula from the disk cache, without sympy or LLVM.

``jit`` first asks ``source_key`` for a digest of everything its front end
reads: the function's code (file name, bytecode, constants, names, nested
functions),
its defaults, annotations and closure, the values of the globals its code
names (numbers, strings, containers of them, numpy arrays by content, other
functions by their own code, decorated formulas by their own key, library
modules and functions by name), the options, the source files of pyexpr
itself, sympy's version and Python's.  Where anything is of a kind this
module does not describe, there is no key and the front end runs as always.

A formula the front end made with a key writes an entry (``record``), and
again when it has built its ``Program``: what a call needs (name, parameters,
defaults, ``out_shape``, options, docstring) and the Program, as JSON in the
kernel cache's file format, which binds an entry to its key and checks it
(``cpu.build.cache``): an entry is data, never code, and is checked again as
it is read (``load``: the Program's structure and digest, the parameters).
On a hit, ``Formula.from_entry`` makes a ``Formula`` with that Program, whose
kernels come from the disk cache as any formula's do; its symbolic side
(arguments, expressions, rewrites) is made by the front end the first time
it is used (printing, ``diff``, or a first call where the entry has no
Program yet: a formula only ever inlined into others), see
``cached``.  A formula over vectors of any length (``OpenFormula``) keeps
what its calls read instead (``open_entry``: its lengths' names, data and
``LoopProgram``).  Formulas of other targets, or with defaults that are not
numbers, always take the front end.
"""
import builtins
import json
import math
import sys
import types
from pathlib import Path

import numpy as np

from . import annotations, digest
from .cpu.build import cache
from .ir import stored

FORMAT = "pyexpr-formula-v2"
#: modules and the packages of functions described by their name alone: libraries
#: whose content a formula's source does not define
LIBRARIES = frozenset({"math", "cmath", "numpy", "builtins", "operator", "pyexpr", "scipy"})
#: more items than this in a global's value: no key (the front end reads the data anyway)
MAX_ITEMS = 1 << 20


class Unkeyable(Exception):
    """Something the front end reads that this module does not describe."""


def source_key(func, options):
    """The entry key of ``func`` decorated with ``options`` (all of them, checked), or
    None where it has none (see the module docstring)."""
    if not options["cache"] or options["target"] != "cpu":
        return None
    out = []
    try:
        _function(func, out, set())
        return cache.entry_key(FORMAT, _environment(), sorted(options.items()), *out)
    except Exception:                   # (Unkeyable, and anything odd: never a failed decoration)
        return None


def frozen(func):
    """A copy of ``func`` reading the values its globals, closure and defaults have now
    (arrays and lists copied), for the front end to read when a formula from the disk
    cache is first used: what the key described, whatever the names hold by then."""
    names = set()
    _names(func.__code__, names)
    module = func.__globals__
    values = {k: module[k] for k in ("__name__", "__file__", "__builtins__", "__spec__", "__loader__",
                                     "__package__") if k in module}
    values.update({name: _copied(module[name]) for name in names if name in module})
    cells = []
    for cell in func.__closure__ or ():
        try:
            cells.append(types.CellType(_copied(cell.cell_contents)))
        except ValueError:                      # an empty cell
            cells.append(types.CellType())
    copy = types.FunctionType(func.__code__, values, func.__name__, _copied(func.__defaults__), tuple(cells) or None)
    copy.__kwdefaults__, copy.__annotations__ = _copied(func.__kwdefaults__), dict(func.__annotations__)
    copy.__qualname__, copy.__module__, copy.__doc__ = func.__qualname__, func.__module__, func.__doc__
    return copy


def _names(code, names):
    names.update(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _names(const, names)


def _copied(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, dict, set)) or isinstance(value, tuple) and any(
            isinstance(v, (np.ndarray, list, dict, set)) for v in value):
        import copy
        return copy.deepcopy(value)
    return value


def _environment():
    """pyexpr's own source files, sympy's version, Python's and numpy's."""
    package = Path(__file__).parent
    return (cache.code_digest((package,)), _sympy_release(), sys.version, np.__version__)


def _sympy_release():
    from importlib.machinery import PathFinder

    spec = PathFinder.find_spec("sympy")
    try:
        return (Path(spec.origin).parent / "release.py").read_text()
    except (AttributeError, TypeError, OSError):
        raise Unkeyable("sympy's version") from None


def _function(func, out, seen):
    if func in seen:
        out.append(f"function again {func.__qualname__}")
        return
    seen.add(func)
    code = func.__code__
    names = set()
    _code(code, out, names)
    for what in (func.__defaults__, func.__kwdefaults__, getattr(func, "__annotations__", None)):
        _value(what, out, seen)
    for name, cell in zip(code.co_freevars, func.__closure__ or ()):
        out.append(f"closure {name}")
        try:
            _value(cell.cell_contents, out, seen)
        except ValueError:                      # an empty cell
            out.append("empty")
    globals_ = func.__globals__
    for name in sorted(names):
        if name in globals_:
            out.append(f"global {name}")
            _value(globals_[name], out, seen)
        elif hasattr(builtins, name):
            out.append(f"builtin {name}")
        else:                                   # an attribute's name, or a NameError to come
            out.append(f"absent {name}")


def _code(code, out, names):
    """The code object and those nested in it; ``names`` collects the names they use."""
    out.append(repr((code.co_filename, getattr(code, "co_qualname", code.co_name), code.co_argcount,
                     code.co_posonlyargcount, code.co_kwonlyargcount, code.co_flags, code.co_code.hex(),
                     getattr(code, "co_exceptiontable", b"").hex(), code.co_names, code.co_varnames,
                     code.co_freevars, code.co_cellvars)))     # (3.10 has no qualname or table)
    names.update(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _code(const, out, names)
        else:
            out.append(_constant(const))


def _constant(value):
    if isinstance(value, (tuple, frozenset)):
        items = [_constant(v) for v in value]
        return f"{type(value).__name__}({', '.join(sorted(items) if isinstance(value, frozenset) else items)})"
    return f"{type(value).__name__} {value!r}"


_ATOMS = (type(None), bool, int, float, complex, str, bytes)


def _value(value, out, seen):
    """Append a description of a global's (or default's, or cell's) value."""
    if type(value) in _ATOMS:
        out.append(f"{type(value).__name__} {value!r}")
    elif isinstance(value, (tuple, list, set, frozenset, dict)):
        _container(value, out, seen)
    elif type(value) is np.ndarray:         # (a subclass, a masked array, may read otherwise)
        if value.dtype.hasobject or value.size > MAX_ITEMS:
            raise Unkeyable("an array of objects")
        data = np.ascontiguousarray(value)
        out.append(f"ndarray {value.dtype.str} {value.shape} {digest.new(data.tobytes()).hexdigest()}")
    elif isinstance(value, np.generic):
        out.append(f"numpy {value.dtype.str} {value.tobytes().hex()}")
    elif isinstance(value, annotations.Vector):        # Vector[3]
        out.append(f"annotation {value!r}")
    elif isinstance(value, types.ModuleType):
        out.append(f"module {_library(value.__name__)} {_version(value.__name__)}")
    elif hasattr(type(value), "bind_symbolic"):    # a formula, inlined by the front end
        if vars(value).get("_source_key") is None:
            raise Unkeyable("a formula without a key")
        out.append(f"formula {value._source_key}")
    elif _library_name(value) is not None:
        out.append(f"library {_library_name(value)} {_version(value.__module__)}")
    elif isinstance(value, types.FunctionType):
        _function(value, out, seen)
    else:
        raise Unkeyable(type(value).__name__)


def _container(value, out, seen):
    if len(value) > MAX_ITEMS:
        raise Unkeyable("a large container")
    if isinstance(value, dict):
        out.append(f"dict {len(value)}")
        items = sorted(value.items(), key=lambda kv: repr(kv[0]))
        for k, v in items:
            _value(k, out, seen)
            _value(v, out, seen)
        return
    out.append(f"{type(value).__name__} {len(value)}")
    items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
    for item in items:
        _value(item, out, seen)


def _version(name):
    """The version of the package of the module ``name`` (its constants may change with it:
    ``scipy.constants``); numpy's and Python's are in every key already."""
    package = sys.modules.get(name.partition(".")[0])
    return str(getattr(package, "__version__", ""))


def _library(name):
    if name.partition(".")[0] not in LIBRARIES:
        raise Unkeyable(f"the module {name}")
    return name


def _library_name(value):
    """``module.name`` of a function, ufunc or class of a library (``math.exp``, ``np.sin``,
    ``float``) where that name is this very object, else None (pyexpr's own are covered by
    the digest of its source; numpy's and Python's versions are in the key too)."""
    module = getattr(value, "__module__", None)
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    if not (isinstance(module, str) and isinstance(name, str)) or module.partition(".")[0] not in LIBRARIES:
        return None
    found = sys.modules.get(module)
    for part in name.split("."):
        found = getattr(found, part, None)
    return f"{module}.{name}" if found is value else None


# --- entries ------------------------------------------------------------------------
def record(key, fields):
    """Write the entry ``key``: a formula's ``fields`` (``name``, ``arg_names``,
    ``options``, ``defaults``, ``doc``, ``program``: a ``Program``, a ``LoopProgram`` or
    None, and its kind's own: ``CachedSide._entry_state``), unless a default is not a
    number."""
    defaults = {k: _default(v) for k, v in fields["defaults"].items()}
    if None in defaults.values():
        return
    state = {**fields, "format": FORMAT, "defaults": defaults}
    if fields["kind"] == "open":
        from . import open_entry
        state.update(open_entry.state(fields))
    else:
        state.update(signature=[list(pair) for pair in fields["signature"]],
                     program=fields["program"] and stored.program_state(fields["program"]))
    cache.store(key, json.dumps(state), b"\n")


def _default(value):
    """A default's JSON (it is a number, maybe sympy's), or None."""
    sympy = sys.modules.get("sympy")
    if sympy is not None and isinstance(value, sympy.Integer):
        value = int(value)
    elif sympy is not None and isinstance(value, sympy.Float) and value._prec <= 53:
        value = float(value)
    return stored.number(value) if type(value) in (int, float) else None


def load(key, func, options):
    """The fields ``record`` wrote under ``key`` for ``func`` decorated with ``options``
    (all of them), checked, or None (with a warning where the entry is there but
    unusable)."""
    found = cache.load(key)
    if found is None:
        return None
    try:
        return _fields(json.loads(found[0]), options)
    except (ValueError, KeyError, TypeError, AssertionError, AttributeError, RecursionError,
            MemoryError, OverflowError) as error:
        import warnings
        warnings.warn(f"pyexpr: unusable formula entry for {func.__qualname__} ({type(error).__name__}: "
                      f"{str(error)[:200]}); reading the source again", stacklevel=3)
        return None


def _fields(state, options):
    """An entry's fields, each checked as the front end's result would be (the checksum
    tells only that the entry is the one written under this key)."""
    if state.pop("format") != FORMAT or state["options"] != options:
        raise ValueError("an entry of another kind or other options")
    names, name = tuple(state["arg_names"]), state["name"]
    if not all(stored.identifier(n) for n in (name, *names)) or len(set(names)) != len(names):
        raise ValueError("a name that is no identifier")
    if state["kind"] == "open":
        from . import open_entry
        own = open_entry.fields(state, names)
        parameters = [n for n, _ in own["_call_form"].signature]
    elif state["kind"] == "formula":
        own = _formula_fields(state, names)
        parameters = [n for n, _ in own["signature"]]
    else:
        raise ValueError("an entry of another kind")
    defaults = {k: stored.unnumber(v) for k, v in state["defaults"].items()}
    if not set(defaults) <= set(parameters) or not all(type(v) in (int, float) for v in defaults.values()) \
            or sorted(map(parameters.index, defaults)) != list(range(len(parameters) - len(defaults), len(parameters))):
        raise ValueError("defaults that are not of the last parameters, or not numbers")
    if not isinstance(state["doc"], str):
        raise ValueError("a docstring that is no text")
    return {**state, **own, "arg_names": names, "options": dict(options), "defaults": defaults}


def _formula_fields(state, names):
    """A ``Formula``'s own fields: its signature, out_shape and Program."""
    out_shape = tuple(state["out_shape"])
    if len(out_shape) > 2 or not all(type(k) is int and 0 <= k <= stored.MAX_SIZE for k in out_shape):
        raise ValueError("an out_shape that is none")
    program = state["program"] and stored.program_from(state["program"], names)
    if program is not None and math.prod(out_shape) != len(program.outputs):
        raise ValueError("out_shape does not fit the Program's outputs")
    return {"out_shape": out_shape, "program": program, "signature": _signature(state["signature"], names)}


def _signature(pairs, arg_names):
    """``(parameter, length or None)`` pairs that expand to ``arg_names``, as a call needs."""
    signature = tuple((name, length) for name, length in pairs)
    if not all(stored.identifier(n) and (k is None or type(k) is int and 0 < k <= len(arg_names)) for n, k in signature):
        raise ValueError("a signature that does not fit the parameters")
    flat = [c for n, k in signature for c in ((n,) if k is None else (f"{n}_{i}" for i in range(k)))]
    if flat != list(arg_names):
        raise ValueError("a signature that does not fit the parameters")
    return signature
