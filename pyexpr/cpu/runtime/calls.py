"""A Formula's ``__call__`` as a chain of builtins: floats, then small arrays, then the rest.

``faster_call(formula, kernel, state, args, kwargs, out)`` runs after each
general call of a formula on the CPU.  The first call that the float entry
(``fastcall``) would take, and the first call after the optimized array code
exists (which holds the small-array entry, ``arraycall``), record the
kernel's entry in ``state`` (the formula's own dict for this); when one was
added it returns ``chain(general)``, which wraps the formula's general call
in one builtin per entry.  The formula makes that its ``__call__``: a call an
entry does not take falls through to the next, and last to the general call
with every check and error message.  ``state`` holds False for an entry
there will never be (another output shape, an interpreter the entries do not
support).  The float entry places keywords and left-out defaults itself
(``codegen.fastcall_ir``); behind the entries, a call of arrays with either is
made positional (``filled``) and goes to the first entry again.
"""
import threading

import numpy as np

from ...calling import POINT_NUMBERS, filled, plain_default, positional_table
from . import arraycall, fastcall

_LOCK = threading.Lock()
#: the numbers the float entry reads (``abi.SCALAR_KINDS``): a call on these installs it
NUMBERS = POINT_NUMBERS


def faster_call(formula, kernel, state, args, kwargs, out):
    """``chain(general)`` if this call gave ``state`` a new entry, else None."""
    added = False
    names = tuple(formula.arg_names)
    # defaults are kept as sympy numbers: as floats here, the value the general path reads
    defaults = {k: plain_default(v) for k, v in formula.defaults.items()}
    if "scalar" not in state and out is None:
        full = args if len(args) == len(names) and not kwargs else filled(names, defaults, args, kwargs)
        if full is not None and all(type(a) in NUMBERS for a in full):
            added |= _add(formula, kernel, state, "scalar")
    if "array" not in state:
        added |= _add(formula, kernel, state, "array")
    if not added:
        return None
    entries = [(kind, state[kind]) for kind in ("array", "scalar") if state.get(kind)]
    # per parameter its default or None, for the float entry's keywords and defaults
    each = tuple(defaults.get(n) for n in names)

    def chain(general):
        top = None

        def positional(*args, out=None, **kwargs):
            """Keywords and defaults made positional, for the entries to take; any other
            call (one the entries declined as it is, a binding that fails) goes on to the
            general path."""
            full = filled(names, defaults, args, kwargs)
            if full is not None:
                return top(*full) if out is None else top(*full, out=out)
            if not kwargs and _beside_arrays(args):    # f(x, np.array(0.25)): its number
                numbers = [a[()] if type(a) is np.ndarray and a.ndim == 0 else a for a in args]
                return top(*numbers) if out is None else top(*numbers, out=out)
            return general(*args, out=out, **kwargs)
        head = positional
        for kind, entry in entries:
            head = fastcall.builtin(entry[0], head, entry[1]) if kind == "array" \
                else fastcall.float_builtin(entry, head, names, each)
        top = head
        return head
    return chain


def _beside_arrays(args):
    """Whether a call holds 0-d arrays beside arrays of one or more axes: the result is an
    array either way, and each 0-d array is the number it holds (a numpy scalar of its
    dtype, which the array entry reads)."""
    dims = [a.ndim for a in args if type(a) is np.ndarray]
    return 0 in dims and any(dims)


def _add(formula, kernel, state, kind):
    """Record the entry of ``kind`` if it is known now; True if it is a real one."""
    entry = _entry(formula, kernel, kind)
    if entry is None:                   # not yet: the array entry comes with optimized code
        return False
    with _LOCK:
        if kind in state:
            return False
        state[kind] = entry
    return bool(entry)


def _entry(formula, kernel, kind):
    """The kernel's builtin entry of ``kind`` (``array_entry``'s ``(address, owner)``,
    ``fast_entry``'s ``(address, owner, function)``); False where there is
    none (a result that is not a scalar per point, an interpreter the entries do not
    support); None where there is none yet."""
    # the float entry returns a float, or for several outputs an array of them
    if formula.out_shape != () and not (kind == "scalar" and entry_shape(formula) is None):
        return False
    entry = kernel.fast_entry if kind == "scalar" else kernel.array_entry
    if entry is None and (kind == "scalar" or not arraycall.available() or not formula.arg_names):
        return False
    return entry


def entry_shape(formula):
    """None where the float entry returns what the general path does (a float for one
    output and ``out_shape ()``, an array for ``m`` outputs and ``out_shape (m,)``); else
    the shape its result is to be given (``(1,)``, ``(3, 3)``)."""
    m = len(formula.program.outputs)
    return None if formula.out_shape == (() if m == 1 else (m,)) else formula.out_shape


def point_call(formula, kernel):
    """A callable of the floats of one point (a fixed-length vector formula's components,
    ``calling.scalar_components``) returning the formula's result there: the float
    entry's builtin where there is one, else the kernel's scalar call."""
    m = len(formula.program.outputs)

    def through_ctypes(*values):
        got = kernel.scalar(*values)
        return got[0] if m == 1 else np.array(got, kernel.dtype)
    entry = kernel.fast_entry if fastcall.available() else None
    point = through_ctypes if entry is None else \
        fastcall.float_builtin(entry, through_ctypes, formula.arg_names, (None,) * len(formula.arg_names))
    shape = entry_shape(formula)
    return point if shape is None else lambda *values: np.reshape(point(*values), shape)


def point_head(formula, point, general):
    """``__call__`` of a fixed-length vector formula: a positional call of floats and
    float64 vectors of their lengths (``calling.scalar_components``'s call, what scipy's
    solvers make) goes to ``point`` with no Python frame between; any other to
    ``general``.  Where the float entry can, it is the head itself: its machine code
    reads the vectors (``fastcall_ir._point``)."""
    entry = formula.kernel().fast_entry if fastcall.available() and arraycall.available() else None
    if entry is not None and entry_shape(formula) is None:
        # the parameters' names and defaults, padded to the components' count with objects
        # no keyword is (the entry binds keywords, defaults and out= by them)
        names, defaults = positional_table(formula)
        pad = len(formula.arg_names) - len(names)
        return fastcall.float_builtin(entry, general, names + tuple(object() for _ in range(pad)),
                                      tuple(defaults.get(n) for n in names) + (None,) * pad,
                                      lengths=[length for _, length in formula.signature])
    lengths = tuple(None if length is None else (length,) for _, length in formula.signature)
    f64, floats_ = np.dtype(np.float64), (float, np.float64)

    def call(*args, out=None, **kwargs):
        if kwargs or out is not None or len(args) != len(lengths):
            return general(*args, out=out, **kwargs)
        values = []
        for length, value in zip(lengths, args):
            if length is None and type(value) in floats_:
                values.append(value)
            elif length is not None and type(value) is np.ndarray and value.shape == length \
                    and value.dtype == f64:
                values += value.tolist()
            else:
                return general(*args, out=out, **kwargs)
        return point(*values)
    return staticmethod(call)           # a class's __call__: not bound to the formula
