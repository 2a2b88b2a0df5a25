"""Compile once: the process memo and the on-disk object cache."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import sympy

from pyexpr.lower import cache, compile_cpu, cpu, engine
from pyexpr.lower.program import Program

X, Y = sympy.symbols("x y", real=True)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PYEXPR_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cpu, "_MEMO", {})          # forget this process's compilations
    return tmp_path


def _program(tag):
    return Program.from_exprs(f"cached_{tag}", [X, Y], [sympy.exp(X) * Y - sympy.Mod(X, 3)])


def test_process_memo_compiles_once(monkeypatch):
    monkeypatch.setattr(cpu, "_MEMO", {})
    before = engine.CODEGEN_COUNT
    a = compile_cpu(_program("memo"), cache=False)
    b = compile_cpu(_program("memo"), cache=False, parallel=False)
    assert engine.CODEGEN_COUNT == before + 1 and a._compiled is b._compiled
    compile_cpu(_program("memo"), "float32", cache=False)
    assert engine.CODEGEN_COUNT == before + 2


def test_second_process_does_no_codegen(tmp_path):
    script = textwrap.dedent("""
        import json, sympy
        from pyexpr.lower import compile_cpu, engine
        from pyexpr.lower.program import Program
        x, y = sympy.symbols("x y", real=True)
        k = compile_cpu(Program.from_exprs("two_procs", [x, y], [sympy.sin(x) * y]))
        print(json.dumps({"codegen": engine.CODEGEN_COUNT, "value": k.scalar(0.5, 2.0)[0],
                          "ir": len(k.llvm_ir)}))
    """)
    env = {**os.environ, "PYEXPR_CACHE_DIR": str(tmp_path)}
    runs = [json.loads(subprocess.run([sys.executable, "-c", script], env=env, check=True,
                                      capture_output=True, text=True).stdout) for _ in range(2)]
    assert runs[0]["codegen"] == 1 and runs[1]["codegen"] == 0
    assert runs[0]["value"] == runs[1]["value"] == np.sin(0.5) * 2.0
    assert runs[0]["ir"] == runs[1]["ir"] > 0
    assert len(list(tmp_path.glob("*.o"))) == 1


@pytest.mark.parametrize("damage", ["truncate", "flip_byte", "garbage", "empty"])
def test_corrupt_entry_warns_and_recompiles(cache_dir, damage, monkeypatch):
    program = _program(damage)
    first = compile_cpu(program).scalar(1.5, 2.0)
    (entry,) = cache_dir.glob("*.o")
    data = entry.read_bytes()
    entry.write_bytes({"truncate": data[:len(data) // 2], "flip_byte": data[:-9] + bytes([data[-9] ^ 0xFF]) + data[-8:],
                       "garbage": b"not a cache entry", "empty": b""}[damage])
    monkeypatch.setattr(cpu, "_MEMO", {})
    before = engine.CODEGEN_COUNT
    with pytest.warns(UserWarning, match="corrupt cache entry"):
        again = compile_cpu(program).scalar(1.5, 2.0)
    assert again == first and engine.CODEGEN_COUNT == before + 1
    monkeypatch.setattr(cpu, "_MEMO", {})
    assert compile_cpu(program).scalar(1.5, 2.0) == first     # the entry was rewritten
    assert engine.CODEGEN_COUNT == before + 1


def test_unreadable_entry_and_unwritable_dir_never_crash(cache_dir, monkeypatch):
    program = _program("unreadable")
    ir_text = str(cpu.llvm_ir.build_module(program, "float64", False))
    key = cache.entry_key(ir_text, engine.host_fingerprint())
    (cache_dir / f"{key}.o").mkdir()               # a folder where the file should be
    with pytest.warns(UserWarning, match="cannot"):
        kernel = compile_cpu(program)
    assert kernel.scalar(0.0, 1.0) == (1.0,)


def test_cache_false_writes_nothing(cache_dir):
    compile_cpu(_program("nocache"), cache=False)
    assert not list(cache_dir.iterdir())


def test_key_depends_on_host_and_ir():
    assert cache.entry_key("ir", "host-a") != cache.entry_key("ir", "host-b")
    assert cache.entry_key("ir-1", "host") != cache.entry_key("ir-2", "host")
    assert cache.entry_key("ab", "c") != cache.entry_key("a", "bc")
