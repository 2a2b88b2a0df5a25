"""``LoopProgram`` -> CUDA C: one kernel per stage (text only, no GPU needed).

``loops_source(lp, dtype, fastmath)`` returns one translation unit.  Each
stage ``s`` has, in its own namespace ``pyx_s<s>`` (the helpers of
``cuda_c`` repeat there), its body as ``cuda_c``'s ``__host__ __device__``
formula function, and one ``__host__ __device__`` function for one index
``i``: ``item`` (a vector output: row ``i``'s outputs stored at
``out[i*m + k]``) or ``term`` (a reduction: the body's outputs at ``i``).
It reads ``known[k]`` (the scalars so far, in device memory), the index
and each load ``vecs[v][a*i + offset]`` (a matrix's at ``row*cols + col``),
the integers that do not move with the index computed on the host from the
lengths (``ir.loops.stage_params``); an inner reduction (a double sum, a row
of ``A @ x``) is a loop in that function, its terms added in order.  The
kernels around them:

* ``<name>_stage<s>`` for ``"elements"`` and ``"cells"`` (a grid-stride loop over
  ``lo <= i < hi``; a matrix output's row ``i`` loops over its columns in ``item``)
  and ``"scalar"`` (one thread, ``i = 0``);
* ``<name>_stage<s>_partials`` and ``<name>_stage<s>_total`` for a
  reduction, in a fixed order that no device or launch changes: the grid is
  always ``GRID`` blocks of ``BLOCK`` threads; thread ``t`` adds the terms
  ``i - lo = t, t + GRID*BLOCK, ...`` in turn; a block combines its threads
  by halving (thread ``k`` takes ``k + h`` for ``h = BLOCK/2, ..., 1``);
  ``_total`` (one thread) adds the blocks' partials in block order, from 0,
  into ``known``.

The host functions are what ``tests/gpu_codegen`` compiles for the CPU and
checks against the LLVM loops.
"""
from ..ir.loops import REDUCING
from . import cuda_c

#: the fixed launch of reductions: the summation order depends on these, never on the device
GRID, BLOCK = 256, 256


def stage_name(lp, s, suffix=""):
    return f"{cuda_c.function_name(lp)}_stage{s}{suffix}"


def _read(ld, at, index, outer=None, lane=None):
    """The C read of ``ld`` at ``index``, its integers at ``offsets[at:at + 3]`` (the layout of
    ``ir.loops.stage_params``); inside an inner reduction the bounds move with ``outer``, in
    a matrix output's cell sum with the column ``lane`` too."""
    def moved(bound):
        return (f" + {bound.outer}LL * {outer}" if bound.outer and outer else "") + \
            (f" + {bound.lane}LL * {lane}" if bound.lane and lane else "")
    column = f"{ld.a}LL * {index} + offsets[{at + 1}]{moved(ld.offset)}"
    if ld.row is None:
        return f"vecs[{ld.vector}][{column}]"
    row_a, row_offset, _ = ld.row
    row = f"{row_a}LL * {index} + offsets[{at}]{moved(row_offset)}"
    return f"vecs[{ld.vector}][({row}) * offsets[{at + 2}] + {column}]"


def _arguments(stage, ctype):
    """``(statements, arguments)``: the inner reductions' loops, then the C expressions of
    the body's arguments: the known scalars, the index, the loads, the inner results (of a
    ``"cells"`` stage: the row ``i``, the column ``k`` the loads move with, after the
    column range's integers)."""
    n_known = stage.known_count
    if stage.kind == "cells":
        args = [f"known[{k}]" for k in range(n_known)] + [f"({ctype})i", f"({ctype})c"]
        args += [_read(ld, 3 * k, "c", "i") for k, ld in enumerate(stage.loads)]
        at = 3 * len(stage.loads) + 3
    else:
        args = [f"known[{k}]" for k in range(n_known)] + [f"({ctype})i"]
        args += [_read(ld, 3 * k, "i") for k, ld in enumerate(stage.loads)]
        at = 3 * len(stage.loads)
    lines = []
    for q, inner in enumerate(stage.inner):
        lo = f"offsets[{at}]" + (f" + {inner.lo.outer}LL * i" if inner.lo.outer else "")
        hi = f"offsets[{at + 1}]" + (f" + {inner.hi.outer}LL * i" if inner.hi.outer else "")
        inner_args = [f"known[{k}]" for k in range(n_known)] + [f"({ctype})i", f"({ctype})k"]
        inner_args += [_read(ld, at + 2 + 3 * m, "k", "i") for m, ld in enumerate(inner.loads)]
        inner_args += [f"s{u}" for u in inner.uses]     # the sums before it that it reads
        call = f"pyx_q{q}::{cuda_c.function_name(inner.body)}({', '.join(inner_args)})"
        lines.append(f"    {ctype} s{q} = {unit_c(inner.kind, ctype)};\n"
                     f"    for (long long k = {lo}; k < {hi}; ++k) {combine_c(inner.kind, f's{q}', call)}")
        args.append(f"s{q}")
        at += 2 + 3 * len(inner.loads)
    for q, inner in enumerate(stage.cell_inner):       # in the column loop: see _stage_functions
        args.append(f"t{q}")
    return lines, args


def _cell_sums(stage, ctype):
    """The C loops of a matrix output's sums along both indices, for row ``i``, column ``c``."""
    n_known, at = stage.known_count, 3 * len(stage.loads) + 3 + sum(2 + 3 * len(q.loads) for q in stage.inner)
    lines = []
    for q, inner in enumerate(stage.cell_inner):
        lo = f"offsets[{at}]" + (f" + {inner.lo.outer}LL * i" if inner.lo.outer else "")
        hi = f"offsets[{at + 1}]" + (f" + {inner.hi.outer}LL * i" if inner.hi.outer else "")
        args = [f"known[{k}]" for k in range(n_known)] + [f"({ctype})i", f"({ctype})c", f"({ctype})k"]
        args += [_read(ld, at + 2 + 3 * m, "k", "i", "c") for m, ld in enumerate(inner.loads)]
        call = f"pyx_c{q}::{cuda_c.function_name(inner.body)}({', '.join(args)})"
        lines.append(f"{ctype} t{q} = {unit_c(inner.kind, ctype)}; "
                     f"for (long long k = {lo}; k < {hi}; ++k) {combine_c(inner.kind, f't{q}', call)}")
        at += 2 + 3 * len(inner.loads)
    return " ".join(lines)


def _inner_functions(stage, dtype, fastmath):
    return "".join(f"namespace pyx_q{q} {{\n{cuda_c.formula_source(inner.body, dtype, fastmath)}}}\n"
                   for q, inner in enumerate(stage.inner)) + \
        "".join(f"namespace pyx_c{q} {{\n{cuda_c.formula_source(inner.body, dtype, fastmath)}}}\n"
                for q, inner in enumerate(stage.cell_inner))


_PARAMS = ("const {T} *__restrict__ known, const {T} *const *__restrict__ vecs, "
           "const long long *__restrict__ offsets")


def _stage_functions(stage, ctype):
    """``item`` or ``term`` of one stage (inside its namespace)."""
    params = _PARAMS.format(T=ctype)
    m = len(stage.body.outputs)
    lines, args = _arguments(stage, ctype)
    head = "".join(line + "\n" for line in lines)
    if stage.kind in REDUCING:
        outs = [f"terms[{k}]" for k in range(m)]
        call = cuda_c.formula_call(stage.body, args, outs)
        return (f"__host__ __device__ inline void term(long long i, {params}, {ctype} *terms)\n"
                f"{{\n{head}    {call}\n}}\n")
    if stage.kind == "cells":                   # row i: its sums, then each column c
        at = 3 * len(stage.loads)
        lo, hi = (f"offsets[{at + k}]" + (f" + {b.outer}LL * i" if b.outer else "") for k, b in enumerate(stage.cols))
        call = cuda_c.formula_call(stage.body, args, [f"out[i * offsets[{at + 2}] + c]"])
        sums = _cell_sums(stage, ctype)
        return (f"__host__ __device__ inline void item(long long i, {params}, {ctype} *__restrict__ out)\n"
                f"{{\n{head}    for (long long c = {lo}; c < {hi}; ++c) {{ {sums} {call} }}\n}}\n")
    outs = [f"out[i * {m}LL + {k}]" for k in range(m)]
    call = cuda_c.formula_call(stage.body, args, outs)
    return (f"__host__ __device__ inline void item(long long i, {params}, {ctype} *__restrict__ out)\n"
            f"{{\n{head}    {call}\n}}\n")


def _kernels(lp, s, stage, ctype):
    params = _PARAMS.format(T=ctype)
    ns = f"pyx_s{s}"
    if stage.kind == "scalar":
        return (f'extern "C" __global__ void {stage_name(lp, s)}({params}, long long lo, long long hi, '
                f"{ctype} *__restrict__ out)\n"
                f"{{\n    if (blockIdx.x == 0 && threadIdx.x == 0) {ns}::item(0, known, vecs, offsets, out);\n}}\n")
    if stage.kind in ("elements", "cells"):
        return (f'extern "C" __global__ void {stage_name(lp, s)}({params}, long long lo, long long hi, '
                f"{ctype} *__restrict__ out)\n"
                "{\n"
                "    const long long stride = (long long)blockDim.x * gridDim.x;\n"
                "    for (long long i = lo + (long long)blockIdx.x * blockDim.x + threadIdx.x; i < hi; i += stride)\n"
                f"        {ns}::item(i, known, vecs, offsets, out);\n"
                "}\n")
    m, kind, unit = len(stage.body.outputs), stage.kind, unit_c(stage.kind, ctype)
    return (f'extern "C" __global__ void {stage_name(lp, s, "_partials")}({params}, long long lo, '
            f"long long hi, {ctype} *__restrict__ partials)\n"
            "{\n"
            f"    __shared__ {ctype} shared[{m}][{BLOCK}];\n"
            f"    {ctype} acc[{m}], terms[{m}];\n"
            f"    for (int k = 0; k < {m}; ++k) acc[k] = {unit};\n"
            f"    const long long stride = {GRID}LL * {BLOCK};\n"
            f"    for (long long i = lo + (long long)blockIdx.x * {BLOCK} + threadIdx.x; i < hi; i += stride) {{\n"
            f"        {ns}::term(i, known, vecs, offsets, terms);\n"
            f"        for (int k = 0; k < {m}; ++k) {combine_c(kind, 'acc[k]', 'terms[k]')}\n"
            "    }\n"
            f"    for (int k = 0; k < {m}; ++k) shared[k][threadIdx.x] = acc[k];\n"
            "    __syncthreads();\n"
            f"    for (int h = {BLOCK} / 2; h > 0; h >>= 1) {{\n"
            "        if (threadIdx.x < h)\n"
            f"            for (int k = 0; k < {m}; ++k) "
            f"{combine_c(kind, 'shared[k][threadIdx.x]', 'shared[k][threadIdx.x + h]')}\n"
            "        __syncthreads();\n"
            "    }\n"
            "    if (threadIdx.x == 0)\n"
            f"        for (int k = 0; k < {m}; ++k) partials[blockIdx.x * {m} + k] = shared[k][0];\n"
            "}\n\n"
            f'extern "C" __global__ void {stage_name(lp, s, "_total")}(const {ctype} *__restrict__ partials, '
            f"{ctype} *__restrict__ known, int at)\n"
            "{\n"
            "    if (blockIdx.x != 0 || threadIdx.x != 0) return;\n"
            f"    for (int k = 0; k < {m}; ++k) {{\n"
            f"        {ctype} total = {unit};\n"
            f"        for (int b = 0; b < {GRID}; ++b) {combine_c(kind, 'total', f'partials[b * {m} + k]')}\n"
            "        known[at + k] = total;\n"
            "    }\n"
            "}\n")


def unit_c(kind, ctype):
    """The C value a reduction of ``kind`` starts from (``ir.loops.REDUCING``)."""
    return f"({ctype}){cuda_c.literal(REDUCING[kind])}"


def combine_c(kind, acc, term):
    """The C statement combining ``term`` into ``acc`` (a reduction of ``kind``): numpy's
    max and min keep a nan of either side (a nan ``acc`` compares false with itself)."""
    if kind in ("max", "min"):
        beyond = ">" if kind == "max" else "<"
        return (f"{{ const auto v = {term}; "
                f"if ({acc} == {acc} && (v != v || v {beyond} {acc})) {acc} = v; }}")
    return f"{acc} {'*=' if kind == 'prod' else '+='} {term};"


def loops_source(lp, dtype="float64", fastmath=False):
    """The CUDA C of every stage of ``lp`` (see the module docstring)."""
    ctype = cuda_c.CTYPES[dtype]
    parts = [f"/* pyexpr: {cuda_c.c_identifier(lp.name)}, loops over vectors of any length, {dtype} */\n"]
    for s, stage in enumerate(lp.stages):
        parts.append(f"namespace pyx_s{s} {{\n{cuda_c.formula_source(stage.body, dtype, fastmath)}\n"
                     f"{_inner_functions(stage, dtype, fastmath)}{_stage_functions(stage, ctype)}}}\n")
        parts.append(_kernels(lp, s, stage, ctype))
    return "\n".join(parts)
