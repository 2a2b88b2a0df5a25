"""Fast scalar calls: a CPython builtin that evaluates a formula on floats.

``define_entry(module, scalar, name)`` adds to a kernel's scalar
module (see ``cpu.PARTS``) a function with CPython's ``METH_FASTCALL |
METH_KEYWORDS`` signature.  Its machine code reads ``n_args`` exact Python
floats straight out of their objects, calls the program's scalar function
(inlinable: it is in the same module) and returns a new float.  Any other
call (another argument count, keywords, ints, arrays, strings...) is passed
unchanged to the builtin's ``self``, the Formula's general call, through
``PyObject_Vectorcall``, so that path keeps every check and error message.

``builtin(address, fallback)`` wraps the loaded function as a builtin
function object.  The module refers to ``PyFloat_Type``,
``PyFloat_FromDouble`` and ``PyObject_Vectorcall``: ``symbols()`` gives their
addresses in this process, to load the object code with.

It reads CPython's object layout (``ob_type`` at 8, ``ob_fval`` at 16), so
``available()`` is true only on CPython builds with that layout, a GIL and
an exported ``PyObject_Vectorcall``.
"""
import ctypes
import sys
import threading
from functools import lru_cache

_API = ("PyFloat_FromDouble", "PyObject_Vectorcall")
METH_FASTCALL, METH_KEYWORDS = 0x80, 0x02


@lru_cache(maxsize=None)
def available():
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    return (sys.implementation.name == "cpython" and gil and float.__basicsize__ == 24
            and all(hasattr(ctypes.pythonapi, name) for name in _API))


class _MethodDef(ctypes.Structure):
    _fields_ = [("ml_name", ctypes.c_char_p), ("ml_meth", ctypes.c_void_p),
                ("ml_flags", ctypes.c_int), ("ml_doc", ctypes.c_char_p)]


def define_entry(module, scalar, name):
    """Define the builtin's function ``name`` in ``module``, calling the function ``scalar``."""
    from llvmlite import ir      # not at import: a process with a warm disk cache never needs it
    obj = ir.IntType(8).as_pointer()
    i64, f64 = ir.IntType(64), ir.DoubleType()
    real = scalar.function_type.return_type
    n_args = len(scalar.args)
    float_type = ir.GlobalVariable(module, ir.IntType(8), "PyFloat_Type")
    from_double = ir.Function(module, ir.FunctionType(obj, [f64]), "PyFloat_FromDouble")
    vectorcall = ir.Function(module, ir.FunctionType(obj, [obj, obj.as_pointer(), i64, obj]),
                             "PyObject_Vectorcall")
    entry = ir.Function(module, ir.FunctionType(obj, [obj, obj.as_pointer(), i64, obj]), name)
    fallback, args, nargs, kwnames = entry.args
    b = ir.IRBuilder(entry.append_basic_block("check"))
    slow = entry.append_basic_block("slow")
    plain = b.and_(b.icmp_unsigned("==", nargs, ir.Constant(i64, n_args)),
                   b.icmp_unsigned("==", kwnames, ir.Constant(obj, None)))
    values = []
    for i in range(n_args + 1):
        nxt = entry.append_basic_block(f"arg{i}")
        b.cbranch(plain, nxt, slow)
        b.position_at_end(nxt)
        if i == n_args:
            break
        item = b.load(b.gep(args, [ir.Constant(i64, i)]))
        ob_type = b.load(b.bitcast(b.gep(item, [ir.Constant(i64, 8)]), obj.as_pointer()))
        is_float = entry.append_basic_block(f"float{i}")
        b.cbranch(b.icmp_unsigned("==", ob_type, float_type), is_float, slow)
        b.position_at_end(is_float)          # ob_fval is read only from a float
        fval = b.load(b.bitcast(b.gep(item, [ir.Constant(i64, 16)]), f64.as_pointer()))
        values.append(fval if isinstance(real, ir.DoubleType) else b.fptrunc(fval, real))
        plain = ir.Constant(ir.IntType(1), 1)
    result = b.call(scalar, values)
    b.ret(b.call(from_double, [result if isinstance(real, ir.DoubleType) else b.fpext(result, f64)]))
    b.position_at_end(slow)
    b.ret(b.call(vectorcall, [fallback, args, nargs, kwnames]))
    return entry


def api_addresses(names):
    """``{name: address}`` of CPython API functions in this process."""
    return {name: ctypes.cast(getattr(ctypes.pythonapi, name), ctypes.c_void_p).value for name in names}


def symbols():
    """The CPython API symbols the entry refers to, with their addresses in this process."""
    return {"PyFloat_Type": id(float), **api_addresses(_API)}


#: loaded entry address -> its method definition.  A builtin points to its
#: definition without owning it, and builtins may outlive whatever made them
#: (a bound ``f.__call__`` kept by a caller, a chain being rebuilt during a
#: call), so definitions live as long as the process (32 bytes each; code
#: loaded later at the same address gets the same definition).
_DEFS = {}
_DEFS_LOCK = threading.Lock()
_NEW_CFUNCTION = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_void_p, ctypes.py_object,
                                   ctypes.py_object)(("PyCFunction_NewEx", ctypes.pythonapi))


def builtin(address, fallback, owner):
    """A builtin function object running the loaded entry at ``address``, whose ``self``
    (where its calls it does not take go) is ``fallback``.  It holds ``owner``, the
    loaded code, as its ``__module__``: the code stays mapped while the builtin exists,
    and is unmapped once neither it nor its formula does."""
    with _DEFS_LOCK:
        method = _DEFS.get(address)
        if method is None:
            method = _DEFS[address] = _MethodDef(b"formula", address, METH_FASTCALL | METH_KEYWORDS, None)
    return _NEW_CFUNCTION(ctypes.addressof(method), fallback, owner)
