"""The IR of the fast float call: a CPython builtin's code that evaluates a formula on floats.

``define_entry(module, scalar, name)`` adds to a kernel's scalar module (see
``kernel.PARTS``) a function with CPython's ``METH_FASTCALL | METH_KEYWORDS``
signature.  Its machine code reads ``n_args`` exact Python floats straight
out of their objects (``abi.FLOAT_OFFSETS``), calls the program's scalar
function (inlinable: it is in the same module) and returns a new float.  Any
other call (another argument count, keywords, ints, arrays, strings...) is
passed unchanged to the builtin's ``self``, the Formula's general call,
through ``PyObject_Vectorcall``, so that path keeps every check and error
message.  ``runtime.fastcall`` makes the builtin of the loaded code.
"""
from llvmlite import ir

from ..abi import FLOAT_API, FLOAT_OFFSETS


def define_entry(module, scalar, name):
    """Define the builtin's function ``name`` in ``module``, calling the function ``scalar``."""
    obj = ir.IntType(8).as_pointer()
    i64, f64 = ir.IntType(64), ir.DoubleType()
    real = scalar.function_type.return_type
    n_args = len(scalar.args)
    float_type = ir.GlobalVariable(module, ir.IntType(8), "PyFloat_Type")
    from_double = ir.Function(module, ir.FunctionType(obj, [f64]), FLOAT_API[0])
    vectorcall = ir.Function(module, ir.FunctionType(obj, [obj, obj.as_pointer(), i64, obj]),
                             FLOAT_API[1])
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
        ob_type = b.load(b.bitcast(b.gep(item, [ir.Constant(i64, FLOAT_OFFSETS["type"])]), obj.as_pointer()))
        is_float = entry.append_basic_block(f"float{i}")
        b.cbranch(b.icmp_unsigned("==", ob_type, float_type), is_float, slow)
        b.position_at_end(is_float)          # ob_fval is read only from a float
        fval = b.load(b.bitcast(b.gep(item, [ir.Constant(i64, FLOAT_OFFSETS["value"])]), f64.as_pointer()))
        values.append(fval if isinstance(real, ir.DoubleType) else b.fptrunc(fval, real))
        plain = ir.Constant(ir.IntType(1), 1)
    result = b.call(scalar, values)
    b.ret(b.call(from_double, [result if isinstance(real, ir.DoubleType) else b.fpext(result, f64)]))
    b.position_at_end(slow)
    b.ret(b.call(vectorcall, [fallback, args, nargs, kwnames]))
    return entry
