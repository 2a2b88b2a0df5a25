"""Program -> CUDA C source (text only: no GPU, driver or pycuda needed).

``cuda_source(program, dtype, fastmath, array_mask)`` returns one translation
unit holding

* a few ``__host__ __device__`` helpers giving numpy semantics where the C
  library differs (``min``/``max`` propagate nan, ``mod`` is floored with the
  divisor's sign, ``sign(nan)`` is nan);
* the formula itself as a ``__host__ __device__ inline`` function
  ``pyexpr_<name>``: it takes the argument values and returns the single
  output, or writes several outputs through trailing pointers;
* one ``extern "C" __global__`` elementwise kernel ``pyexpr_<name>_kernel_<mask>``
  with a grid-stride loop over ``long long n`` elements, ``__restrict__``
  pointers and one output pointer per output.  ``array_mask`` says which
  arguments are arrays (``a`` in the name, read at ``[i]``) and which are
  scalars passed by value (``s``); the default is all arrays.

Every value of the Program becomes one ``const`` local; each op is spelled by
the ``SPELLINGS`` table (``{f}`` marks the ``f`` suffix of float32 math
functions), with ``FAST_F32`` overriding it for float32 under ``fastmath``
(CUDA intrinsics on the device, the ordinary function when the same code is
compiled for the host).  float64 has no intrinsics, so ``fastmath`` leaves it
unchanged.  An op missing from the table raises ``LoweringError``.

Constants are printed as Python's shortest round-trip decimal (exact under
the compiler's correctly rounded parsing), nan and inf as ``__builtin_nan("")``
and ``__builtin_inf()``, which nvcc accepts in host and device code alike.

``expand_source`` gives the kernel the runtime uses to broadcast, cast or
compact a device array to a contiguous full-size buffer.

    >>> import sympy
    >>> from pyexpr.ir import from_exprs
    >>> x, y = sympy.symbols("x y")
    >>> print(cuda_source(from_exprs("f", [x, y], [2.5*x + y])))  # doctest: +ELLIPSIS
    /* pyexpr: f(x, y), float64 */
    ...
"""
import re
import string

import numpy as np

from ..errors import LoweringError

CTYPES = {"float64": "double", "float32": "float"}

#: op -> C spelling; ``{0}``.. are operands, ``{f}`` is ``f`` for float32 math functions.
SPELLINGS = {
    "neg": "-{0}", "add": "{0} + {1}", "sub": "{0} - {1}", "mul": "{0} * {1}", "div": "{0} / {1}",
    "lt": "{0} < {1}", "le": "{0} <= {1}", "gt": "{0} > {1}", "ge": "{0} >= {1}",
    "eq": "{0} == {1}", "ne": "{0} != {1}",
    "and": "{0} && {1}", "or": "{0} || {1}", "not": "!{0}",
    "select": "{0} ? {1} : {2}",                 # both sides are plain values: nothing traps
    "min": "pyx_min({0}, {1})", "max": "pyx_max({0}, {1})",
    "mod": "pyx_mod({0}, {1})", "sign": "pyx_sign({0})",
    "pow": "pow{f}({0}, {1})", "atan2": "atan2{f}({0}, {1})", "hypot": "hypot{f}({0}, {1})",
    "copysign": "copysign{f}({0}, {1})", "fmod": "fmod{f}({0}, {1})",
    "remainder": "remainder{f}({0}, {1})", "fdim": "fdim{f}({0}, {1})",
    "fmax": "fmax{f}({0}, {1})", "fmin": "fmin{f}({0}, {1})",
    "fma": "fma{f}({0}, {1}, {2})",           # one rounding, on the device and the host alike
}
SPELLINGS.update({op: f"{op}{{f}}({{0}})" for op in (
    "sqrt cbrt exp exp2 expm1 log log2 log10 log1p sin cos tan asin acos atan sinh cosh tanh "
    "asinh acosh atanh erf erfc tgamma lgamma floor ceil trunc fabs").split()})

#: float32 ``fastmath`` overrides: the intrinsic on the device, libm when compiled for the host.
FAST_F32 = {op: f"PYX_FAST(__{op}f, {op}f)({{0}})" for op in "exp log log2 log10 sin cos tan".split()}
FAST_F32["pow"] = "PYX_FAST(__powf, powf)({0}, {1})"

_FAST_MACRO = """\
#ifdef __CUDA_ARCH__
#define PYX_FAST(intrinsic, libm) intrinsic
#else
#define PYX_FAST(intrinsic, libm) libm
#endif
"""

# numpy semantics the C library lacks; $T is the float type, $f the suffix of its math functions.
_HELPERS = string.Template("""\
/* min/max propagate nan like np.minimum/np.maximum (fmin/fmax would drop it), and order
   -0 below +0 (IEEE 754-2019's minimum and maximum, as the CPU code's llvm.minimum) */
__host__ __device__ inline $T pyx_min($T a, $T b) { return (a != a || a < b || (a == b && signbit(a))) ? a : b; }
__host__ __device__ inline $T pyx_max($T a, $T b) { return (a != a || a > b || (a == b && signbit(b))) ? a : b; }
/* np.mod: floored, result has the divisor's sign; x mod 0 is nan */
__host__ __device__ inline $T pyx_mod($T a, $T b)
{
    $T m = fmod$f(a, b);
    if (m != 0) {
        if ((b < 0) != (m < 0)) m += b;
    } else {
        m = copysign$f(($T)0, b);
    }
    return m;
}
/* np.sign: nan stays nan, zero stays zero */
__host__ __device__ inline $T pyx_sign($T a) { return a > 0 ? ($T)1 : (a < 0 ? ($T)-1 : a); }
""")


def c_identifier(name):
    """``name`` with every character outside ``[A-Za-z0-9_]`` replaced by ``_``."""
    return re.sub(r"[^0-9A-Za-z_]", "_", name)


def function_name(program):
    """The C name of the ``__host__ __device__`` formula function."""
    return "pyexpr_" + c_identifier(program.name)


def kernel_name(program, array_mask=None):
    """The kernel's name: the formula's name, ``_kernel`` and one ``a``/``s`` per argument."""
    suffix = "".join("a" if is_array else "s" for is_array in _mask(program, array_mask))
    return f"{function_name(program)}_kernel" + (f"_{suffix}" if suffix else "")


def _mask(program, array_mask):
    mask = (True,) * program.n_args if array_mask is None else tuple(bool(m) for m in array_mask)
    if len(mask) != program.n_args:
        raise ValueError(f"array_mask has {len(mask)} entries; {program.name} takes {program.n_args} arguments")
    return mask


def _param_names(program):
    # a prefix keeps Python names clear of C keywords, math functions and the v<k> locals
    return [f"arg_{n}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n) else f"arg{i}"
            for i, n in enumerate(program.arg_names)]


def literal(value, dtype="float64"):
    """An exact C literal of ``value`` rounded to ``dtype``."""
    suffix = "f" if dtype == "float32" else ""
    with np.errstate(over="ignore"):
        value = np.float32(value) if dtype == "float32" else np.float64(value)
    if np.isnan(value):
        return f'__builtin_nan{suffix}("")'
    if np.isinf(value):
        return ("-" if value < 0 else "") + f"__builtin_inf{suffix}()"
    text = str(value) if dtype == "float32" else repr(float(value))   # shortest round trip
    if not re.search(r"[.eE]", text):
        text += ".0"
    return text + suffix


def _spelling(op, dtype, fastmath):
    if fastmath and dtype == "float32" and op in FAST_F32:
        return FAST_F32[op]
    try:
        return SPELLINGS[op]
    except KeyError:
        raise LoweringError(f"the CUDA backend has no spelling for the op {op!r}") from None


def _body_lines(program, dtype, fastmath):
    """One ``const`` declaration per instruction; returns (lines, C name of every value)."""
    ctype, params = CTYPES[dtype], _param_names(program)
    names, lines = [], []
    suffix = "f" if dtype == "float32" else ""
    for k, ins in enumerate(program.instrs):
        if ins.op == "arg":
            names.append(params[ins.attr])
            continue
        if ins.op == "const":
            rhs = literal(ins.attr, dtype)
        else:
            rhs = _spelling(ins.op, dtype, fastmath).format(*(names[a] for a in ins.args), f=suffix)
        names.append(f"v{k}")
        lines.append(f"    const {'bool' if ins.type == 'b' else ctype} v{k} = {rhs};")
    return lines, names


def formula_source(program, dtype="float64", fastmath=False):
    """Helpers and the ``__host__ __device__`` formula function (no kernel)."""
    if dtype not in CTYPES:
        raise ValueError(f"dtype must be one of {sorted(CTYPES)}, not {dtype!r}")
    if not program.outputs:
        raise ValueError(f"program {program.name} has no outputs")
    ctype = CTYPES[dtype]
    helpers = _HELPERS.substitute(T=ctype, f="f" if dtype == "float32" else "")
    lines, names = _body_lines(program, dtype, fastmath)
    params = [f"const {ctype} {p}" for p in _param_names(program)]
    outs = [names[o] for o in program.outputs]
    if len(outs) == 1:
        head = f"__host__ __device__ inline {ctype} {function_name(program)}({', '.join(params)})"
        tail = [f"    return {outs[0]};"]
    else:
        params += [f"{ctype} *out{j}" for j in range(len(outs))]
        head = f"__host__ __device__ inline void {function_name(program)}({', '.join(params)})"
        tail = [f"    *out{j} = {name};" for j, name in enumerate(outs)]
    # names are written as identifiers: raw, one holding */ would end the comment
    names = ", ".join(map(c_identifier, program.arg_names))
    title = f"/* pyexpr: {c_identifier(program.name)}({names}), {dtype}{', fastmath' if fastmath else ''} */\n"
    fast = _FAST_MACRO if fastmath and dtype == "float32" else ""
    return title + fast + helpers + "\n" + head + "\n{\n" + "\n".join(lines + tail) + "\n}\n"


def formula_call(program, arg_exprs, out_exprs):
    """A C statement calling the formula function on ``arg_exprs``, storing into the lvalues ``out_exprs``."""
    args = ", ".join(arg_exprs)
    if len(out_exprs) == 1:
        return f"{out_exprs[0]} = {function_name(program)}({args});"
    refs = ", ".join(f"&{o}" for o in out_exprs)
    return f"{function_name(program)}({args}{', ' if args else ''}{refs});"


def kernel_source(program, dtype="float64", array_mask=None):
    """The ``extern "C" __global__`` grid-stride kernel calling the formula function."""
    ctype, mask = CTYPES[dtype], _mask(program, array_mask)
    params = [f"const {ctype} *__restrict__ in{i}" if is_array else f"const {ctype} in{i}"
              for i, is_array in enumerate(mask)]
    n_out = len(program.outputs)
    params += [f"{ctype} *__restrict__ out{j}" for j in range(n_out)] + ["const long long n"]
    call = formula_call(program, [f"in{i}[i]" if a else f"in{i}" for i, a in enumerate(mask)],
                        [f"out{j}[i]" for j in range(n_out)])
    return (f'extern "C" __global__ void {kernel_name(program, mask)}({", ".join(params)})\n'
            "{\n"
            "    const long long stride = (long long)blockDim.x * gridDim.x;\n"
            "    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {\n"
            f"        {call}\n"
            "    }\n"
            "}\n")


def cuda_source(program, dtype="float64", fastmath=False, array_mask=None):
    """The complete CUDA C source for ``program``: helpers, formula function, one kernel."""
    return formula_source(program, dtype, fastmath) + "\n" + kernel_source(program, dtype, array_mask)


#: numpy dtype -> C type of device arrays the expand kernel reads.
SOURCE_CTYPES = {
    "float64": "double", "float32": "float", "int64": "long long", "int32": "int", "int16": "short",
    "int8": "signed char", "uint64": "unsigned long long", "uint32": "unsigned int",
    "uint16": "unsigned short", "uint8": "unsigned char", "bool": "bool",
}

EXPAND_INDEX = """\
/* Element offset in the source of element i of the result.  dims[0:ndim] is the
   result shape, dims[ndim:2*ndim] the source strides in elements (0 where broadcast). */
__host__ __device__ inline long long pyx_expand_offset(long long i, const long long *dims, int ndim)
{
    long long offset = 0;
    for (int d = ndim - 1; d >= 0; --d) {
        offset += (i % dims[d]) * dims[ndim + d];
        i /= dims[d];
    }
    return offset;
}
"""


def expand_name(src_dtype, dst_dtype):
    return f"pyexpr_expand_{np.dtype(src_dtype).name}_{np.dtype(dst_dtype).name}"


def expand_source(src_dtype, dst_dtype):
    """A kernel copying a strided (broadcast, sliced, other-dtype) device array into a contiguous one."""
    src, dst = np.dtype(src_dtype).name, np.dtype(dst_dtype).name
    if src not in SOURCE_CTYPES or dst not in CTYPES:
        raise TypeError(f"cannot convert device arrays of dtype {src} to {dst}")
    return (EXPAND_INDEX + "\n"
            f'extern "C" __global__ void {expand_name(src, dst)}(const {SOURCE_CTYPES[src]} *__restrict__ src, '
            f"{CTYPES[dst]} *__restrict__ dst, const long long *__restrict__ dims, const int ndim, const long long n)\n"
            "{\n"
            "    const long long stride = (long long)blockDim.x * gridDim.x;\n"
            "    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {\n"
            f"        dst[i] = ({CTYPES[dst]})src[pyx_expand_offset(i, dims, ndim)];\n"
            "    }\n"
            "}\n")
