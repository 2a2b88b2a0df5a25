"""The stated accuracy of the SIMD functions (docs/accuracy.md), pinned on a sample.

For every vectorized op and both dtypes, a few hundred random points over
the op's wide domains plus the special values of ``accuracy.SPECIALS`` go
through the contiguous (SIMD, libmvec) path and the scalar entry (libm):

* finite results: both within ``BOUND`` ulps of mpmath's exact value;
* the two paths within ``BOUND`` ulps of each other;
* special values (signed zeros, infinities, nan, domain errors, overflow and
  underflow to 0 or inf): the SIMD result equals the scalar one exactly.

``python -m tests.lower.accuracy --points 20000`` measures the same on a
larger sample (the docs' table).
"""
import numpy as np
import pytest

from pyexpr.cpu import host
from pyexpr.cpu.codegen import vector_abi
from pyexpr.cpu.codegen.vector_abi import VECTOR_FUNCTIONS

from . import accuracy
from .helpers import assert_ulp_close

#: the ISA of the SIMD path measured here, named in every message
ISA = getattr(host.vector_target(), "isa", "no SIMD (scalar libm)")
#: the documented bound, every function, both dtypes: glibc states 4 ulps for libmvec
BOUND = 4.0
POINTS = 300


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("op", sorted(VECTOR_FUNCTIONS))
def test_ulp_bound_and_special_values(op, dtype):
    result = accuracy.measure(op, dtype, POINTS, seed=1)
    assert result["finite"] >= POINTS // 2, "the sample should be mostly ordinary values"
    assert result["simd"] <= BOUND, f"{op} {dtype} {ISA}: {result['simd']:.2f} ulps at {result['worst']}"
    assert result["scalar"] <= BOUND, f"{op} {dtype} scalar libm: {result['scalar']:.2f} ulps"
    assert not result["mismatches"], f"{op} {dtype} {ISA}: special values differ: {result['mismatches'][:5]}"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_simd_and_scalar_paths_agree(dtype):
    kernel = accuracy._kernels(dtype, fastmath=False)
    for op in VECTOR_FUNCTIONS:
        x, y = accuracy.sample(op, dtype, POINTS, seed=2)
        k = accuracy.FLOAT_OPS.index(op)
        simd = accuracy.run_kernel(kernel, x, y)[k]
        scalar = np.array([kernel.scalar(float(a), float(b))[k] for a, b in zip(x, y)], dtype)
        assert_ulp_close(simd, scalar, BOUND, what=f"{op} {dtype}: SIMD ({ISA}) against scalar")


def test_the_sample_exercises_simd():
    if host.vector_target() is None:
        pytest.skip("no libmvec on this machine: both paths are scalar libm")
    letter = vector_abi.ISAS[ISA].letter
    assert f"_ZGV{letter}" in accuracy._kernels("float64", fastmath=False).llvm_ir, ISA
