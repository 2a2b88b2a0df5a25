"""The generated LLVM IR is unchanged: digests of ``build_module``'s text on a corpus sample.

Refactoring the code generators must not change the code they generate: these
digests were taken before ``lower/`` became ``ir/`` and ``cpu/`` and hold
since.  The vector targets are fixed (every libmvec symbol of the ISA taken
as present), so the text depends on no host.  A deliberate change of the
generated code updates them with ``python tests/lower/test_golden_ir.py
--update`` and says why in its commit.
"""
import hashlib
import json
import sys
from pathlib import Path

import pytest

import pyexpr as px
from pyexpr.cpu.codegen import fastcall_ir, llvm_ir, vector_abi

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import corpus  # noqa: E402
from lower.helpers import all_ops_program  # noqa: E402

GOLDEN = Path(__file__).with_name("golden") / "ir_digests.json"
CASES = 12
PARTS = {"scalar": ("scalar",), "array": ("array", "stream", "arraycall"), "quick": ("array",)}


def programs():
    planck = px.jit(corpus.planck)
    found = [all_ops_program(), planck.grad().program, planck.hessian().program]
    return found + [px.jit(case.func).program for case in corpus.CASES[:CASES]]


def digests():
    targets = [None] + [vector_abi.VectorTarget(isa, frozenset(vector_abi.all_symbols(isa)))
                        for isa in ("avx2", "avx512")]
    found = {}
    for program in programs():
        for dtype in ("float64", "float32"):
            for simd in targets:
                for label, parts in PARTS.items():
                    text = str(llvm_ir.build_module(program, dtype, False, simd=simd, parts=parts))
                    key = f"{program.name} {dtype} {simd.isa if simd else 'no-simd'} {label}"
                    found[key] = hashlib.sha256(text.encode()).hexdigest()
    for n, m, dtype in [(0, 1, "float64"), (2, 1, "float64"), (3, 3, "float64"), (2, 1, "float32")]:
        text = str(fastcall_ir.entry_module(n, m, dtype))          # shared by every formula of a shape
        found[f"float entry {n} {m} {dtype}"] = hashlib.sha256(text.encode()).hexdigest()
    return found


def test_generated_ir_is_unchanged():
    want = json.loads(GOLDEN.read_text())
    got = digests()
    changed = sorted(k for k in want if got.get(k) != want[k])
    assert set(got) == set(want), f"sample changed: {sorted(set(got) ^ set(want))[:5]}"
    assert not changed, f"{len(changed)} of {len(want)} modules generate other IR, e.g. {changed[:3]}"


if __name__ == "__main__" and "--update" in sys.argv:
    GOLDEN.write_text(json.dumps(digests(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
elif __name__ == "__main__":
    pytest.main([__file__])
