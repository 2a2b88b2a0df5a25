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
support).
"""
import threading

import numpy as np

from . import arraycall, fastcall

_LOCK = threading.Lock()
#: the numbers the float entry reads (``abi.SCALAR_KINDS``): a call on these installs it
NUMBERS = frozenset((float, int, bool, np.float64, np.float32, np.int64))


def faster_call(formula, kernel, state, args, kwargs, out):
    """``chain(general)`` if this call gave ``state`` a new entry, else None."""
    added = False
    if "scalar" not in state and out is None and not kwargs and all(type(a) in NUMBERS for a in args):
        added |= _add(formula, kernel, state, "scalar")
    if "array" not in state:
        added |= _add(formula, kernel, state, "array")
    if not added:
        return None
    entries = [state[kind] for kind in ("array", "scalar") if state.get(kind)]

    def chain(general):
        head = general
        for address, owner in entries:
            head = fastcall.builtin(address, head, owner)
        return head
    return chain


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
    """``(address, owner)`` of the kernel's builtin entry of ``kind``; False where there is
    none (a result that is not a scalar per point, an interpreter the entries do not
    support); None where there is none yet."""
    # the float entry returns a float, or for several outputs an array of them
    floats = formula.out_shape in ((), (len(formula.outputs),))
    if formula.out_shape != () and not (kind == "scalar" and floats):
        return False
    entry = kernel.fast_entry if kind == "scalar" else kernel.array_entry
    if entry is None and (kind == "scalar" or not arraycall.available() or not formula.args):
        return False
    return entry


def point_call(formula, kernel):
    """A callable of the floats of one point (a fixed-length vector formula's components,
    ``calling.scalar_components``) returning a float, or an array of the outputs: the
    float entry's builtin where there is one, else the kernel's scalar call."""
    m = len(formula.outputs)

    def through_ctypes(*values):
        got = kernel.scalar(*values)
        return got[0] if m == 1 else np.array(got, kernel.dtype)
    entry = kernel.fast_entry if fastcall.available() else None
    return through_ctypes if entry is None else fastcall.builtin(entry[0], through_ctypes, entry[1])

