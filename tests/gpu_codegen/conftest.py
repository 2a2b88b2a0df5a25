"""Build every generated source once per session: host library and PTX, in parallel.

Two nvcc processes run side by side (one for the host shared library, one
for the device PTX of every kernel variant, one for a standalone cubin as
pycuda compiles it); without nvcc every test that needs them is skipped.
"""
import pytest

import cuda_corpus
import cuda_host
from cuda_corpus import VARIANTS, renamed, tag
from pyexpr.gpu import cuda_c

def all_programs():
    """{name: Program}: one per op, one per realistic case, and the constants program."""
    programs = {f"op_{op}": p for op, p in cuda_corpus.op_programs().items()}
    programs.update({c.name: c.program() for c in cuda_corpus.CASES})
    programs["consts"] = cuda_corpus.constants_program()
    return programs


def _ptx_variants(programs):
    variants = []
    for name, program in programs.items():
        for dtype, fast in VARIANTS:
            variants.append((renamed(program, tag(dtype, fast)), dtype, fast, None))
        if program.n_args > 1:             # first argument scalar, and everything but the last scalar
            n = program.n_args
            variants.append((renamed(program, "f64"), "float64", False, (False,) + (True,) * (n - 1)))
            variants.append((renamed(program, "f32"), "float32", False, (False,) * (n - 1) + (True,)))
    return variants


def _expand_kernels():
    pairs = [(src, dst) for src in cuda_c.SOURCE_CTYPES for dst in cuda_c.CTYPES]
    return "\n".join(f"namespace pyx_e{k} {{\n{cuda_c.expand_source(*pair)}}}\n" for k, pair in enumerate(pairs))


EXPAND_WRAPPER = """
extern "C" long long pyx_test_expand_offset(long long i, const long long *dims, int ndim)
{
    return pyx_expand_offset(i, dims, ndim);
}
"""


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """(HostLibrary loaded, PTX text, variants compiled to PTX, programs)."""
    if cuda_host.NVCC is None:
        pytest.skip("nvcc is not installed: the CUDA code generator tests need it to compile the generated C")
    workdir = tmp_path_factory.mktemp("cuda")
    programs = all_programs()
    entries = {f"{name}_{tag(d, f)}": (p, d, f) for name, p in programs.items() for d, f in VARIANTS}
    host = cuda_host.HostLibrary(entries)
    host_source = host.source() + "\nnamespace pyx_expand {\n" + cuda_c.EXPAND_INDEX + EXPAND_WRAPPER + "}\n"
    variants = _ptx_variants(programs)
    ptx_source = cuda_host.ptx_source(variants) + "\n" + _expand_kernels()
    standalone = cuda_c.cuda_source(programs["tails"], "float32", True, (True, False))
    jobs = [cuda_host.start_nvcc(host_source, workdir, "host", cuda_host.HostLibrary.FLAGS),
            cuda_host.start_nvcc(ptx_source, workdir, "kernels", ["--ptx", "-arch=sm_90"])]
    # exactly as pycuda's SourceModule compiles a module (no extern "C" wrapper added)
    jobs.append(cuda_host.start_nvcc(standalone, workdir, "standalone", ["--cubin", "-arch", "sm_90"]))
    host_so, ptx, _ = (cuda_host.finish_nvcc(job) for job in jobs)
    return host.load(host_so), ptx.read_text(), variants, programs
