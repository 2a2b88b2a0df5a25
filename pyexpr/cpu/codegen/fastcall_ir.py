"""The IR of the fast float call: a CPython builtin's code that evaluates a formula on numbers.

``entry_module(n_args, outputs, dtype)`` is a module of one function with
CPython's ``METH_FASTCALL | METH_KEYWORDS`` signature, shared by every
formula of that shape (``kernel.float_entry``).  Its machine code reads ``n_args`` numbers straight out of their
objects: exact Python floats, Python ints and bools, and numpy's scalars of
every real type (the value at ``abi.FLOAT_OFFSETS``; ``abi.SCALAR_KINDS``),
float32 code an int only where a float holds it exactly; it calls the formula's scalar
function (through the pointer in its ``self``) and returns a new float,
which is what the general path returns for each of these; a program of
several outputs writes them into a new one-dimensional array of the dtype
(from numpy's ``PyArray_Empty``, ``abi.ARRAY_EMPTY_SYMBOL``), as the general path
returns for a formula whose ``out_shape`` is ``(outputs,)``; with ``out=`` an exact,
C-contiguous, writeable ndarray of the dtype and that shape (``()`` for one output),
the values go there and ``out`` is returned (``_into_out``).  Any other call
(an int too large for a double, arrays, strings, a keyword that is no
parameter's...) is passed unchanged to the first item of the builtin's
``self``, the Formula's general call, through ``PyObject_Vectorcall``, so
that path keeps every check and error message.  ``self`` is the tuple
``(general call, parameter names, defaults, lengths, function)``: keywords and left-out
defaults are placed as CPython binds them (``objects_ir.fill``), in the machine code;
``lengths`` is for formulas of fixed-length vectors (``_point``); ``function``
is a one-element int64 array holding the address of the formula's scalar (one
output) or multi function.  ``runtime.fastcall`` makes the builtin of the loaded code.
"""
import functools

from llvmlite import ir

from ..abi import ARRAY_OFFSETS, C_CONTIGUOUS, WRITEABLE, ARRAY_EMPTY_SYMBOL, array_symbols
from .objects_ir import (array_field, counted, fill, float_api, none_object, number_kinds, number_value,
                         tuple_item)

_OBJ = ir.IntType(8).as_pointer()
_I64, _F64 = ir.IntType(64), ir.DoubleType()
def entry_symbol(n_args, outputs, dtype):
    """The name of the float entry shared by programs of ``n_args`` arguments and
    ``outputs`` outputs of ``dtype``."""
    return f"pyexpr_fastcall_{n_args}_{outputs}_{dtype}"


def entry_module(n_args, outputs, dtype):
    """A module of the float entry ``entry_symbol(n_args, outputs, dtype)``.  It depends
    on no formula: it calls the one whose function ``self`` points to (item 4), so it is
    compiled once for all formulas of its shape (``kernel.shared``), and a formula's own
    scalar part holds only its arithmetic (a quarter of the compile time it took with an
    entry of its own)."""
    module = ir.Module(name=entry_symbol(n_args, outputs, dtype))
    define_entry(module, entry_symbol(n_args, outputs, dtype), n_args, outputs, dtype)
    return module


def target_type(n_args, outputs, real):
    """The type of the function the entry calls: the program's scalar function for one
    output, else its multi function (outputs through pointers)."""
    if outputs == 1:
        return ir.FunctionType(real, [real] * n_args)
    return ir.FunctionType(ir.VoidType(), [real] * n_args + [real.as_pointer()] * outputs)


def define_entry(module, name, n_args, outputs=1, dtype="float64"):
    """Define the builtin's function ``name`` in ``module`` (see ``entry_module``)."""
    real = ir.DoubleType() if dtype == "float64" else ir.FloatType()
    api, kinds = float_api(module), number_kinds(module, isinstance(real, ir.DoubleType))
    binder = module.globals.get(binder_symbol(n_args, dtype)) or ir.Function(
        module, _binder_type(real), binder_symbol(n_args, dtype))      # (in a module of its own)
    entry = ir.Function(module, ir.FunctionType(_OBJ, [_OBJ, _OBJ.as_pointer(), _I64, _OBJ]), name)
    own, args, nargs, kwnames = entry.args
    b = ir.IRBuilder(entry.append_basic_block("check"))
    reals = b.alloca(real, max(n_args, 1), name="reals")
    out_at = b.alloca(_OBJ, name="out")
    slow, plain, other, bound, compute = (entry.append_basic_block(n) for n in (
        "slow", "plain", "other", "bound", "compute"))
    b.cbranch(b.and_(b.and_(b.icmp_unsigned("==", nargs, ir.Constant(_I64, n_args)),
                            b.icmp_unsigned("==", kwnames, ir.Constant(_OBJ, None))),
                     b.icmp_unsigned("==", tuple_item(b, own, 3), none_object(module))), plain, other)
    b.position_at_end(plain)            # the call the entry is for: numbers, as many as it takes
    plain_values = []
    for i in range(n_args):
        value = number_value(b, entry, b.load(b.gep(args, [ir.Constant(_I64, i)])), kinds, api, slow, i)
        plain_values.append(value if isinstance(real, ir.DoubleType) else b.fptrunc(value, real))
    plain_end = b.block
    b.branch(compute)
    b.position_at_end(other)            # keywords, defaults, vectors: bound apart (``binder_module``)
    b.cbranch(b.icmp_signed("!=", b.call(binder, [own, args, nargs, kwnames, reals, out_at]),
                            ir.Constant(ir.IntType(32), 0)), bound, slow)
    b.position_at_end(bound)
    bound_values = [b.load(b.gep(reals, [ir.Constant(_I64, i)])) for i in range(n_args)]
    given = b.load(out_at)
    b.branch(compute)
    b.position_at_end(compute)
    values = []
    for i, (mine, theirs) in enumerate(zip(plain_values, bound_values)):
        phi = b.phi(real, f"value{i}")
        phi.add_incoming(mine, plain_end)
        phi.add_incoming(theirs, bound)
        values.append(phi)
    out = b.phi(_OBJ, "out")
    out.add_incoming(ir.Constant(_OBJ, None), plain_end)
    out.add_incoming(given, bound)
    kind = target_type(n_args, outputs, real).as_pointer()
    function = b.load(b.bitcast(array_field(b, tuple_item(b, own, 4), "data", _OBJ), kind.as_pointer()))
    into, new = entry.append_basic_block("out.given"), entry.append_basic_block("out.none")
    b.cbranch(b.icmp_unsigned("==", out, ir.Constant(_OBJ, None)), new, into)
    b.position_at_end(into)
    _into_out(b, entry, module, function, values, out, outputs, real, dtype, slow)
    b.position_at_end(new)
    if outputs == 1:
        result = b.call(function, values)
        b.ret(b.call(api["PyFloat_FromDouble"], [result if isinstance(real, ir.DoubleType) else b.fpext(result, _F64)]))
    else:
        _return_array(b, entry, module, function, values, outputs, real, api, dtype)
    b.position_at_end(slow)
    b.ret(b.call(api["PyObject_Vectorcall"], [tuple_item(b, own, 0), args, nargs, kwnames]))
    return entry


def binder_symbol(n_args, dtype):
    """The name of the float entries' binder for ``n_args`` arguments of ``dtype``."""
    return f"pyexpr_bind_{n_args}_{dtype}"


def _binder_type(real):
    return ir.FunctionType(ir.IntType(32), [_OBJ, _OBJ.as_pointer(), _I64, _OBJ, real.as_pointer(),
                                           _OBJ.as_pointer()])


def binder_module(n_args, dtype):
    """A module of the float entries' binder ``int bind(self, args, nargs, kwnames, reals,
    out)``: a call's keywords and defaults (``fill``; its ``out=`` into ``*out``, else
    NULL there) or a formula's vectors (``_point``) bound into ``reals``; 0 where the
    call is to go to the general path.  It depends only on
    the argument count and dtype, so it is compiled once for all formulas, without
    optimization (``kernel.shared``): the calls it binds are the rarer ones, and in each
    entry's own module it tripled the scalar part's compile time."""
    module = ir.Module(name=binder_symbol(n_args, dtype))
    real = ir.DoubleType() if dtype == "float64" else ir.FloatType()
    api, kinds = float_api(module), number_kinds(module, dtype == "float64")
    binder = ir.Function(module, _binder_type(real), binder_symbol(n_args, dtype))
    i32 = ir.IntType(32)
    own, args, nargs, kwnames, reals, out = binder.args
    b = ir.IRBuilder(binder.append_basic_block("start"))
    slots = b.alloca(_OBJ, max(n_args, 1), name="slots")
    b.store(ir.Constant(_OBJ, None), out)
    out_name = ir.GlobalVariable(module, ir.IntType(8), array_symbols(dtype)["out_name"])
    slow, keyed, read, point, done = (binder.append_basic_block(n) for n in ("slow", "fill", "read", "point", "done"))
    layout = tuple_item(b, own, 3)           # a formula of vectors has their lengths there
    b.cbranch(b.icmp_unsigned("==", layout, none_object(module)), keyed, point)
    b.position_at_end(keyed)
    fill(b, binder, (tuple_item(b, own, 1), tuple_item(b, own, 2)), args, nargs, kwnames, slots, n_args, slow, read,
         (out_name, out))
    b.position_at_end(read)
    with counted(b, binder, ir.Constant(_I64, n_args)) as i:      # (one reader: little code)
        value = number_value(b, binder, b.load(b.gep(slots, [i])), kinds, api, slow, "k")
        b.store(value if isinstance(real, ir.DoubleType) else b.fptrunc(value, real), b.gep(reals, [i]))
    b.branch(done)
    b.position_at_end(point)
    table = (tuple_item(b, own, 1), tuple_item(b, own, 2), slots, (out_name, out))
    _point(b, binder, module, args, nargs, kwnames, layout, reals, n_args, real, dtype, (kinds, api), slow, done,
           table)
    b.position_at_end(done)
    b.ret(ir.Constant(i32, 1))
    b.position_at_end(slow)
    b.ret(ir.Constant(i32, 0))
    return module


def _point(b, entry, module, args, nargs, kwnames, layout, reals, n_args, real, dtype, numbers, slow, done, table):
    """Read a call of one point of a formula of fixed-length vectors into ``reals``: per
    parameter (``layout``, an int64 array: 0 for a number, else the vector's length) a
    number, or an exact C-contiguous one-dimensional array of the dtype and that length,
    whose elements are copied; then go to ``done``; to ``slow`` for anything else.
    ``table`` is ``(names, defaults, slots, out)``: a call with keywords, left-out
    defaults or ``out=`` is bound into ``slots`` first (``objects_ir.fill``; the names and
    defaults are the parameters', padded to ``n_args`` with objects no keyword is)."""
    kinds, api = numbers
    names = array_symbols(dtype)
    array_type, descr = (module.globals.get(names[k]) or ir.GlobalVariable(module, ir.IntType(8), names[k])
                         for k in ("array_type", "descr"))
    field = functools.partial(array_field, b)
    lengths = b.bitcast(field(layout, "data", _OBJ), _I64.as_pointer())
    n_params = b.load(field(layout, "dims", _I64.as_pointer()))
    start, loop, body, number, vector, copy, step, end = (entry.append_basic_block(f"point.{n}") for n in (
        "start", "loop", "body", "number", "vector", "copy", "step", "end"))
    names, defaults, slots, out = table
    plain, keyed, bound = (entry.append_basic_block(f"point.{n}") for n in ("plain", "keyed", "bound"))
    b.cbranch(b.and_(b.icmp_unsigned("==", kwnames, ir.Constant(_OBJ, None)),
                     b.icmp_unsigned("==", nargs, n_params)), plain, keyed)
    b.position_at_end(keyed)            # rhs(t, y=y), rhs(t, y) of rhs(t, y, k=0.04), rhs(t, y, out=o)
    filling = entry.append_basic_block("point.fill")
    b.cbranch(b.icmp_signed("<=", nargs, n_params), filling, slow)
    b.position_at_end(filling)
    fill(b, entry, (names, defaults), args, nargs, kwnames, slots, n_args, slow, bound, out)
    b.position_at_end(bound)
    b.branch(start)
    b.position_at_end(plain)
    b.branch(start)
    b.position_at_end(start)
    items = b.phi(_OBJ.as_pointer(), "items")
    items.add_incoming(args, plain)
    items.add_incoming(slots, bound)
    b.branch(loop)
    b.position_at_end(loop)
    p, c = b.phi(_I64, "p"), b.phi(_I64, "c")           # the parameter, its first component
    p.add_incoming(ir.Constant(_I64, 0), start)
    c.add_incoming(ir.Constant(_I64, 0), start)
    b.cbranch(b.icmp_signed("<", p, n_params), body, end)
    b.position_at_end(body)
    item, length = b.load(b.gep(items, [p])), b.load(b.gep(lengths, [p]))
    b.cbranch(b.icmp_signed("==", length, ir.Constant(_I64, 0)), number, vector)
    b.position_at_end(number)
    fits = entry.append_basic_block("point.fits")
    b.cbranch(b.icmp_signed("<", c, ir.Constant(_I64, n_args)), fits, slow)
    b.position_at_end(fits)
    value = number_value(b, entry, item, kinds, api, slow, "p")
    b.store(value if isinstance(real, ir.DoubleType) else b.fptrunc(value, real), b.gep(reals, [c]))
    b.branch(step)
    b.position_at_end(vector)
    array, shaped = entry.append_basic_block("point.array"), entry.append_basic_block("point.shaped")
    b.cbranch(b.icmp_unsigned("==", field(item, "type", _OBJ), array_type), array, slow)
    b.position_at_end(array)            # (only an array's fields are read)
    i32 = ir.IntType(32)
    flags = b.and_(field(item, "flags", i32), ir.Constant(i32, C_CONTIGUOUS))
    ours = b.and_(b.icmp_unsigned("==", field(item, "descr", _OBJ), descr),
                  b.and_(b.icmp_unsigned("==", flags, ir.Constant(i32, C_CONTIGUOUS)),
                         b.icmp_unsigned("==", field(item, "nd", i32), ir.Constant(i32, 1))))
    b.cbranch(ours, shaped, slow)
    b.position_at_end(shaped)
    fits = b.and_(b.icmp_signed("==", b.load(field(item, "dims", _I64.as_pointer())), length),
                  b.icmp_signed("<=", b.add(c, length), ir.Constant(_I64, n_args)))
    b.cbranch(fits, copy, slow)
    b.position_at_end(copy)             # (a few elements: LLVM makes this a short loop)
    data = b.bitcast(field(item, "data", _OBJ), real.as_pointer())
    with counted(b, entry, length) as j:
        b.store(b.load(b.gep(data, [j])), b.gep(reals, [b.add(c, j)]))
    b.branch(step)
    b.position_at_end(step)
    p.add_incoming(b.add(p, ir.Constant(_I64, 1)), step)
    c.add_incoming(b.add(c, b.select(b.icmp_signed("==", length, ir.Constant(_I64, 0)), ir.Constant(_I64, 1),
                                     length)), step)
    b.branch(loop)
    b.position_at_end(end)
    b.cbranch(b.icmp_signed("==", c, ir.Constant(_I64, n_args)), done, slow)


def _into_out(b, entry, module, function, values, out, outputs, real, dtype, slow):
    """Write the values into ``out`` and return it (a new reference) where it is an exact
    ndarray of the dtype, C-contiguous and writeable, of the result's shape (``()`` for one
    output, ``(outputs,)``); to ``slow`` else (the general path casts, broadcasts or says
    what is wrong)."""
    i32 = ir.IntType(32)
    names = array_symbols(dtype)
    array_type, descr = (module.globals.get(names[k]) or ir.GlobalVariable(module, ir.IntType(8), names[k])
                         for k in ("array_type", "descr"))
    incref = module.globals.get("Py_IncRef") or ir.Function(module, ir.FunctionType(ir.VoidType(), [_OBJ]), "Py_IncRef")
    needed = ir.Constant(i32, C_CONTIGUOUS | WRITEABLE)
    checks = [b.icmp_unsigned("==", array_field(b, out, "type", _OBJ), array_type)]
    layout = entry.append_basic_block("out.layout")
    b.cbranch(checks[0], layout, slow)                  # (only an array's fields are read)
    b.position_at_end(layout)
    fits = b.and_(b.icmp_unsigned("==", array_field(b, out, "descr", _OBJ), descr),
                  b.icmp_unsigned("==", b.and_(array_field(b, out, "flags", i32), needed), needed))
    fits = b.and_(fits, b.icmp_signed("==", array_field(b, out, "nd", i32), ir.Constant(i32, 0 if outputs == 1 else 1)))
    shaped = entry.append_basic_block("out.shaped")
    b.cbranch(fits, shaped, slow)
    b.position_at_end(shaped)
    if outputs > 1:                                     # (a 0-d array has no dims to read)
        sized = entry.append_basic_block("out.sized")
        length = b.load(array_field(b, out, "dims", _I64.as_pointer()))
        b.cbranch(b.icmp_signed("==", length, ir.Constant(_I64, outputs)), sized, slow)
        b.position_at_end(sized)
    data = b.bitcast(array_field(b, out, "data", _OBJ), real.as_pointer())
    if outputs == 1:
        b.store(b.call(function, values), data)
    else:
        b.call(function, values + [b.gep(data, [ir.Constant(_I64, k)]) for k in range(outputs)])
    b.call(incref, [out])
    b.ret(out)


def _return_array(b, entry, module, multi, values, outputs, real, api, dtype):
    """Return a new array of ``outputs`` elements that ``multi`` fills: NULL, with numpy's
    exception set, where the allocator raised."""
    i32 = ir.IntType(32)
    empty = module.globals.get(ARRAY_EMPTY_SYMBOL) or ir.Function(
        module, ir.FunctionType(_OBJ, [i32, _I64.as_pointer(), _OBJ, i32]), ARRAY_EMPTY_SYMBOL)
    incref = module.globals.get("Py_IncRef") or ir.Function(module, ir.FunctionType(ir.VoidType(), [_OBJ]), "Py_IncRef")
    names = array_symbols(dtype)
    descr = module.globals.get(names["descr"]) or ir.GlobalVariable(module, ir.IntType(8), names["descr"])
    dims = b.alloca(_I64, name="dims")
    b.store(ir.Constant(_I64, outputs), dims)
    b.call(incref, [descr])                     # (PyArray_Empty steals it)
    out = b.call(empty, [ir.Constant(i32, 1), dims, descr, ir.Constant(i32, 0)])
    failed, made = entry.append_basic_block("alloc.failed"), entry.append_basic_block("alloc.made")
    b.cbranch(b.icmp_unsigned("==", out, ir.Constant(_OBJ, None)), failed, made)
    b.position_at_end(failed)
    b.ret(ir.Constant(_OBJ, None))
    b.position_at_end(made)
    data_at = b.bitcast(b.gep(out, [ir.Constant(_I64, ARRAY_OFFSETS["data"])]), real.as_pointer().as_pointer())
    data = b.load(data_at)
    b.call(multi, values + [b.gep(data, [ir.Constant(_I64, k)]) for k in range(outputs)])
    b.ret(out)



