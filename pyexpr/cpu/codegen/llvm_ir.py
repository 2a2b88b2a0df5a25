"""Program -> LLVM IR, built with ``llvmlite.ir`` only (no JIT, no target).

``build_module(program, dtype, fastmath, simd, parts)`` returns an
``ir.Module`` defining, for a program ``f`` with ``n`` arguments and ``m``
outputs (symbol names from ``entry_names``; ``T`` is ``double`` or ``float``):

* ``T pyexpr_f(T, ...)`` -- the first output (the scalar entry point);
* ``void pyexpr_f_multi(T, ..., T *out0, ...)`` -- every output, through pointers;
* ``PyObject *pyexpr_f_arraycall(self, args, nargs, kwnames)`` -- only when
  asked for, with one output and at least one argument: a builtin's code for
  small arrays (``arraycall``);
* ``void pyexpr_f_array_stream(...)`` -- only when asked for: the array
  kernel again, storing with non-temporal stores
  (``vector_ir.define_streaming``), for memory-bound programs with explicit
  SIMD only (``vector_ir.has_stream``);
* ``void pyexpr_f_array(i64 rows, i64 cols, i64 *ptrs, i64 *strides)`` -- the
  array kernel.  ``ptrs`` holds ``n + m`` base addresses (inputs, then outputs);
  ``strides`` holds ``n + m`` byte strides along a row (columns), then ``n + m``
  byte strides between rows.  Element ``(r, c)`` of operand ``k`` lives at
  ``ptrs[k] + r*strides[n+m+k] + c*strides[k]``.

The program's body is emitted once per part: in the scalar part, the entry
point that does not hold it calls the one that does; in the array part, only
the contiguous loop holds it.  A row whose operands are all unit-stride runs
that loop over ``noalias`` pointers directly: explicit SIMD code from
``vector_ir`` when ``simd`` names a vector target, else a scalar loop that
LLVM may vectorize.  Any other row runs it block by block: broadcast inputs
(stride 0) are splatted into a stack block once, other strided inputs are
gathered into stack blocks and strided outputs scattered back.

Each op is spelled by ``context``'s tables; semantics are numpy's (see there).

    >>> import sympy
    >>> from pyexpr.ir import from_exprs
    >>> x = sympy.Symbol("x", real=True)
    >>> 'call double @"llvm.sin.f64"' in str(build_module(from_exprs("g", [x], [sympy.sin(x)])))
    True
"""
import re

from llvmlite import ir

from ..abi import entry_names
from . import arraycall_ir, layout_ir, vector_ir
from .context import I64, Context, emit_body, for_range, function

def build_module(program, dtype="float64", fastmath=False, simd=None, parts=("scalar", "array")):
    """The ``ir.Module`` of ``program`` (see the module docstring).

    ``parts`` picks the functions: ``"scalar"`` (scalar and multi entry
    points; the float entry that calls them is shared, ``fastcall_ir``), ``"array"`` (the array kernel), ``"stream"`` and
    ``"arraycall"`` (with "array": the streaming kernel, and for a single
    output the entry of ``arraycall``), so that each can be compiled on its
    own.  ``simd`` is a ``vector_abi.VectorTarget``: the contiguous loop
    is then explicit vector code (``vector_ir``); with None it is a scalar
    loop that LLVM may vectorize.
    """
    module = ir.Module(name=entry_names(program)["scalar"])   # a name, not text: it is written raw
    ctx = Context(module, dtype, fastmath)
    names = entry_names(program)
    if "scalar" in parts:
        _define_entry_points(ctx, program, names)
    if "array" in parts:
        if simd is None:
            contig = _define_contig(ctx, program, names["array"] + ".contig")
        else:
            contig = vector_ir.define_contig(ctx, program, names["array"] + ".contig", simd)
        blocked = layout_ir.define_blocked(ctx, program, names["array"] + ".blocked", contig)
        layout_ir.define_array(ctx, program, names["array"], contig, blocked)
        if "arraycall" in parts and len(program.outputs) == 1 and program.n_args:
            arraycall_ir.define_entry(module, contig, module.globals[names["array"]], program.n_args, dtype,
                                      names["arraycall"])
        if "stream" in parts and simd is not None:
            if vector_ir.has_stream(program):
                stream = vector_ir.define_streaming(ctx, program, names["stream"] + ".contig", simd, contig)
                layout_ir.define_array(ctx, program, names["stream"], stream, blocked)
    return module


def _define_entry_points(c, program, names):
    """The scalar and multi entry points: one holds the body, the other calls it.  Returns the scalar one."""
    if len(program.outputs) == 1:
        body = _define_scalar(c, program, names["scalar"], None)
        body.attributes.add("noinline")
        _define_multi(c, program, names["multi"], body)
        return body
    body = _define_multi(c, program, names["multi"], None)
    body.attributes.add("noinline")
    return _define_scalar(c, program, names["scalar"], body)


def _define_scalar(c, program, name, multi):
    """The first output; a single-output program's body lives here, else it calls ``multi``."""
    fn, b = function(c, name, c.ftype, [c.ftype] * program.n_args)
    for i, (arg, arg_name) in enumerate(zip(fn.args, program.arg_names)):
        arg.name = arg_name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", arg_name) else f"arg.{i}"
    if multi is None:
        b.ret(emit_body(c, b, program, list(fn.args))[0])
        return fn
    outs = [b.alloca(c.ftype) for _ in program.outputs]
    b.call(multi, list(fn.args) + outs)
    b.ret(b.load(outs[0]))
    return fn


def _define_multi(c, program, name, scalar):
    """Every output through pointers; a single-output program's calls ``scalar``."""
    n, m = program.n_args, len(program.outputs)
    fn, b = function(c, name, ir.VoidType(), [c.ftype] * n + [c.fptr] * m)
    values = [b.call(scalar, fn.args[:n])] if scalar else emit_body(c, b, program, list(fn.args[:n]))
    for value, ptr in zip(values, fn.args[n:]):
        b.store(value, ptr)
    b.ret_void()
    return fn


def _define_contig(c, program, name):
    """``(i64 len, T *noalias in..., T *noalias out...)``: unit strides, vectorizable."""
    n, m = program.n_args, len(program.outputs)
    fn, b = function(c, name, ir.VoidType(), [I64] + [c.fptr] * (n + m), internal=True)
    for ptr in fn.args[1:]:
        ptr.add_attribute("noalias")

    def body(i):
        args = [b.load(b.gep(p, [i], inbounds=True)) for p in fn.args[1:n + 1]]
        for value, p in zip(emit_body(c, b, program, args), fn.args[n + 1:]):
            b.store(value, b.gep(p, [i], inbounds=True))
    for_range(b, fn.args[0], body)
    b.ret_void()
    return fn
