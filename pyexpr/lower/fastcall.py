"""Fast scalar calls: a CPython builtin that evaluates a formula on floats.

``fast_entry(scalar_ptr, n_args, dtype, fallback)`` returns a builtin
function object (``METH_FASTCALL | METH_KEYWORDS``) whose machine code reads
``n_args`` exact Python floats straight out of their objects, calls the
compiled scalar function at ``scalar_ptr`` and returns a new float.  Any
other call (another argument count, keywords, ints, arrays, strings...) is
passed unchanged to ``fallback`` through ``PyObject_Vectorcall``, so the
general path keeps every check and error message.

The wrapper's code depends only on ``(n_args, dtype)``: it is compiled once
per machine for each (kept in the on-disk cache of ``cache``, like kernels)
and loaded once per formula, with the formula's function pointer written
into the loaded copy's global ``target``.

It reads CPython's object layout (``ob_type`` at 8, ``ob_fval`` at 16), so
``available()`` is true only on CPython builds with that layout and an
exported ``PyObject_Vectorcall``.
"""
import ctypes
import sys
import threading

from . import cache, cpu, host

_API = ("PyFloat_FromDouble", "PyObject_Vectorcall")
_OBJ = {}            # (n_args, dtype) -> object code of the wrapper
_LOCK = threading.Lock()
METH_FASTCALL, METH_KEYWORDS = 0x80, 0x02


def available():
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    return (sys.implementation.name == "cpython" and gil and float.__basicsize__ == 24
            and all(hasattr(ctypes.pythonapi, name) for name in _API))


class _MethodDef(ctypes.Structure):
    _fields_ = [("ml_name", ctypes.c_char_p), ("ml_meth", ctypes.c_void_p),
                ("ml_flags", ctypes.c_int), ("ml_doc", ctypes.c_char_p)]


def wrapper_ir(n_args, dtype):
    """LLVM IR text of the generic wrapper for ``n_args`` arguments."""
    from llvmlite import ir      # not at import: a process with a warm disk cache never needs it
    obj = ir.IntType(8).as_pointer()
    i64, f64 = ir.IntType(64), ir.DoubleType()
    real = f64 if dtype == "float64" else ir.FloatType()
    module = ir.Module(f"pyexpr_fastcall_{n_args}_{dtype}")
    target_type = ir.FunctionType(real, [real] * n_args)
    target = ir.GlobalVariable(module, target_type.as_pointer(), "target")
    target.initializer = ir.Constant(target_type.as_pointer(), None)
    float_type = ir.GlobalVariable(module, ir.IntType(8), "PyFloat_Type")
    from_double = ir.Function(module, ir.FunctionType(obj, [f64]), "PyFloat_FromDouble")
    vectorcall = ir.Function(module, ir.FunctionType(obj, [obj, obj.as_pointer(), i64, obj]),
                             "PyObject_Vectorcall")
    entry = ir.Function(module, ir.FunctionType(obj, [obj, obj.as_pointer(), i64, obj]), "entry")
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
        plain = b.icmp_unsigned("==", ob_type, float_type)
        fval = b.load(b.bitcast(b.gep(item, [ir.Constant(i64, 16)]), f64.as_pointer()))
        values.append(fval if real is f64 else b.fptrunc(fval, real))
    result = b.call(b.load(target), values)
    b.ret(b.call(from_double, [result if real is f64 else b.fpext(result, f64)]))
    b.position_at_end(slow)
    b.ret(b.call(vectorcall, [fallback, args, nargs, kwnames]))
    return str(module)


#: LLVM optimization level of the wrapper (a handful of instructions)
OPT = 1


def _object(n_args, dtype):
    with _LOCK:
        if (n_args, dtype) not in _OBJ:
            key = cache.entry_key(host.fingerprint(), cache.code_digest("fastcall", "engine"),
                                  "fastcall", n_args, dtype, f"O{OPT}")
            hit = cache.load(key)
            if hit is None:
                from . import engine
                hit = engine.compile_ir(wrapper_ir(n_args, dtype), OPT, False)
                cache.store(key, *hit)
            _OBJ[n_args, dtype] = hit[1]
        return _OBJ[n_args, dtype]


def _symbols():
    api = {name: ctypes.cast(getattr(ctypes.pythonapi, name), ctypes.c_void_p).value for name in _API}
    return {"PyFloat_Type": id(float), **api}


class FastEntry:
    """Owns the loaded wrapper, its method definition and the builtin made from them."""

    def __init__(self, scalar_ptr, n_args, dtype, fallback):
        self._library = cpu.load(_object(n_args, dtype), _symbols())
        ctypes.c_void_p.from_address(self._library.global_address("target")).value = scalar_ptr
        self._def = _MethodDef(b"formula", self._library.address("entry"),
                               METH_FASTCALL | METH_KEYWORDS, None)
        new = ctypes.pythonapi.PyCFunction_NewEx
        new.restype, new.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.py_object, ctypes.c_void_p]
        self.builtin = new(ctypes.addressof(self._def), fallback, None)
