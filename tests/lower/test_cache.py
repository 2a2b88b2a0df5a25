"""Compile once: the process memo and the on-disk object cache."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import sympy

from pyexpr.ir import from_exprs
from pyexpr.cpu.build import cache
from pyexpr.cpu import compile_cpu
from pyexpr.cpu import kernel as cpu
from pyexpr.cpu.build import elf, engine
from pyexpr.cpu import host

from .elf_damage import DAMAGES

X, Y = sympy.symbols("x y", real=True)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PYEXPR_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cpu, "_MEMO", {})          # forget this process's compilations
    return tmp_path


def _program(tag):
    return from_exprs(f"cached_{tag}", [X, Y], [sympy.exp(X) * Y - sympy.Mod(X, 3)])


def test_process_memo_compiles_each_part_once_when_first_used(monkeypatch):
    monkeypatch.setattr(cpu, "_MEMO", {})
    monkeypatch.setattr(cpu, "TIERED", False)
    for dtype in ("float64", "float32"):        # (the float entries' binders: once a process)
        cpu.binder(2, dtype, use_cache=False)
    before = engine.CODEGEN_COUNT
    a = compile_cpu(_program("memo"), cache=False)
    b = compile_cpu(_program("memo"), cache=False, parallel=False)
    assert engine.CODEGEN_COUNT == before and a._compiled is b._compiled      # lazy
    assert a.scalar(1.0, 2.0) == b.scalar(1.0, 2.0)
    assert engine.CODEGEN_COUNT == before + 1                                 # the scalar part only
    out = np.empty(3)
    a.run([np.ones(3), np.ones(3)], [out])
    b.run([np.ones(3), np.ones(3)], [out])
    assert engine.CODEGEN_COUNT == before + 2                                 # then the array part
    compile_cpu(_program("memo"), "float32", cache=False).scalar(1.0, 2.0)
    assert engine.CODEGEN_COUNT == before + 3


def test_second_process_does_no_codegen(tmp_path):
    script = textwrap.dedent("""
        import json, sys, sympy
        import numpy as np
        from pyexpr.cpu import compile_cpu
        from pyexpr.ir import from_exprs
        x, y = sympy.symbols("x y", real=True)
        k = compile_cpu(from_exprs("two_procs", [x, y], [sympy.sin(x) * y]))
        value = k.scalar(0.5, 2.0)[0]
        out = np.empty(3)
        k.run([np.full(3, 0.5), np.full(3, 2.0)], [out])
        compiled = "pyexpr.cpu.build.engine" in sys.modules  # before llvm_ir, which may compile
        ir = len(k.llvm_ir)
        engine = sys.modules.get("pyexpr.cpu.build.engine")
        print(json.dumps({"codegen": engine.CODEGEN_COUNT if engine else 0, "value": value, "ir": ir,
                          "array": out.tolist(), "compiled": compiled}))
    """)
    env = {**os.environ, "PYEXPR_CACHE_DIR": str(tmp_path)}
    runs = [json.loads(subprocess.run([sys.executable, "-c", script], env=env, check=True,
                                      capture_output=True, text=True).stdout) for _ in range(2)]
    # the scalar part (the kernel's own calls need no float entry), the quick array tier
    # for 3 elements, then llvm_ir needs the optimized one
    assert runs[0]["codegen"] == 3 and runs[1]["codegen"] == 0
    assert runs[0]["value"] == runs[1]["value"] == np.sin(0.5) * 2.0
    assert runs[0]["array"] == runs[1]["array"]
    assert runs[0]["ir"] == runs[1]["ir"] > 0
    assert runs[0]["compiled"] and not runs[1]["compiled"]   # a warm process never compiles
    assert len(list(tmp_path.glob("*.o"))) == 3             # scalar, quick and optimized array parts


@pytest.mark.parametrize("damage", ["truncate", "flip_byte", "garbage", "empty"])
def test_corrupt_entry_warns_and_recompiles(cache_dir, damage, monkeypatch):
    program = _program(damage)
    first = compile_cpu(program).scalar(1.5, 2.0)
    (entry,) = cache_dir.glob("*.o")                 # the scalar part's
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
    for part in cpu.PARTS:
        key = cpu.part_key(program, part, "float64", False, host.vector_target())
        (cache_dir / f"{key}.o").mkdir()               # a folder where the file should be
    kernel = compile_cpu(program)
    with pytest.warns(UserWarning, match="cannot"):
        assert kernel.scalar(0.0, 1.0) == (1.0,)
    out = np.empty(2)
    with pytest.warns(UserWarning, match="cannot"):
        kernel.run([np.zeros(2), np.ones(2)], [out])
    assert out.tolist() == [1.0, 1.0]


def test_cache_false_writes_nothing(cache_dir):
    compile_cpu(_program("nocache"), cache=False)
    assert not list(cache_dir.iterdir())


def test_key_depends_on_every_field():
    assert cache.entry_key("ir", "host-a") != cache.entry_key("ir", "host-b")
    assert cache.entry_key("ir-1", "host") != cache.entry_key("ir-2", "host")
    assert cache.entry_key("ab", "c") != cache.entry_key("a", "bc")
    program = _program("key")
    keys = {cpu.part_key(program, "scalar", dtype, fastmath, None)
            for dtype in ("float64", "float32") for fastmath in (False, True)}
    assert len(keys) == 4


def test_generator_digest_covers_every_source_file_of_the_generators(tmp_path):
    """The digest is of the files themselves, so no code generator can be left out of it:
    every module of ``pyexpr.ir`` and ``pyexpr.cpu`` (codegen, abi, build) is under
    ``GENERATORS``, and a change to any file, or a new one, changes the digest."""
    import pyexpr.cpu.abi, pyexpr.cpu.codegen.llvm_ir, pyexpr.cpu.runtime.driver, pyexpr.ir.ops  # noqa: E401
    folders = [Path(f).resolve() for f in cpu.GENERATORS]
    for module in (pyexpr.cpu.abi, pyexpr.cpu.codegen.llvm_ir, pyexpr.cpu.runtime.driver, pyexpr.ir.ops):
        assert any(folder in Path(module.__file__).resolve().parents for folder in folders), module
    tree = tmp_path / "gen"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.py").write_text("A = 1\n")
    (tree / "sub" / "b.py").write_text("B = 1\n")
    first = cache.code_digest((tree,))
    assert cache.code_digest.__wrapped__((tree,)) == first             # deterministic
    (tree / "sub" / "b.py").write_text("B = 2\n")
    second = cache.code_digest.__wrapped__((tree,))
    (tree / "sub" / "c.py").write_text("")
    third = cache.code_digest.__wrapped__((tree,))
    assert len({first, second, third}) == 3


def test_array_part_tiers(cache_dir, monkeypatch):
    monkeypatch.setattr(cpu, "TIERED", True)
    monkeypatch.setattr(cpu, "UPGRADE_ELEMENTS", 2500)
    program = _program("tiers")
    kernel = compile_cpu(program)
    x, y = np.linspace(-3, 3, 1001), np.linspace(0, 2, 1001)
    results = []
    before = engine.CODEGEN_COUNT
    for expected_parts in (["array-quick"], ["array-quick"], ["array", "array-quick"], ["array", "array-quick"]):
        out = np.empty(1001)
        kernel.run([x, y], [out])                      # 1001, 2002, 3003 (upgrade), 4004 elements
        results.append(out.tobytes())
        assert sorted(kernel._compiled._parts) == expected_parts
    assert engine.CODEGEN_COUNT == before + 2
    assert len(set(results)) == 1                      # the tiers agree bit for bit
    assert len(list(cache_dir.glob("*.o"))) == 2       # both tiers are cached
    monkeypatch.setattr(cpu, "_MEMO", {})
    kernel = compile_cpu(program)                      # a new process, in effect
    kernel.run([x, y], [out])
    assert sorted(kernel._compiled._parts) == ["array"]            # the optimized tier, from disk
    assert engine.CODEGEN_COUNT == before + 2 and out.tobytes() == results[0]
    monkeypatch.setattr(cpu, "_MEMO", {})
    big = np.linspace(0, 1, 3000)
    compile_cpu(_program("tiers_big")).run([big, big], [np.empty(3000)])
    assert engine.CODEGEN_COUNT == before + 3                       # a large first call: one tier


def test_fastmath_compiles_one_tier(monkeypatch):
    monkeypatch.setattr(cpu, "_MEMO", {})
    kernel = compile_cpu(_program("fast_tier"), fastmath=True, cache=False)
    before = engine.CODEGEN_COUNT
    kernel.run([np.ones(5), np.ones(5)], [np.empty(5)])
    assert list(kernel._compiled._parts) == ["array"] and engine.CODEGEN_COUNT == before + 1


# --- a cache that trusts nothing it has not checked -----------------------------------------

def test_another_formulas_entry_under_this_key_is_recompiled(cache_dir, monkeypatch):
    a, b = _program("swap_a"), from_exprs("cached_swap_b", [X, Y], [X - Y])
    want_a, want_b = compile_cpu(a).scalar(1.5, 2.0), compile_cpu(b).scalar(1.5, 2.0)
    key_a = cpu.part_key(a, "scalar", "float64", False, host.vector_target())
    key_b = cpu.part_key(b, "scalar", "float64", False, host.vector_target())
    entry_a, entry_b = cache_dir / f"{key_a}.o", cache_dir / f"{key_b}.o"
    data_a, data_b = entry_a.read_bytes(), entry_b.read_bytes()
    entry_a.write_bytes(data_b)
    entry_b.write_bytes(data_a)                       # valid entries, each under the other's key
    monkeypatch.setattr(cpu, "_MEMO", {})
    with pytest.warns(UserWarning, match="another key's entry"):
        assert compile_cpu(a).scalar(1.5, 2.0) == want_a
    with pytest.warns(UserWarning, match="another key's entry"):
        assert compile_cpu(b).scalar(1.5, 2.0) == want_b


FAULT = """
import json, os, sys, sympy
from pyexpr.cpu import kernel as cpu
from pyexpr.cpu import compile_cpu
from pyexpr.cpu import host
from pyexpr.ir import from_exprs
x, y = sympy.symbols("x y", real=True)
program = from_exprs("fault", [x, y], [sympy.exp(x) * y])
key = cpu.part_key(program, "scalar", "float64", False, host.vector_target())
path = os.path.join(os.environ["PYEXPR_CACHE_DIR"], key + ".o")
os.makedirs(os.environ["PYEXPR_CACHE_DIR"], mode=0o700, exist_ok=True)
{make}
import warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    value = compile_cpu(program).scalar(1.0, 2.0)[0]
print(json.dumps({{"value": value, "warnings": [str(w.message) for w in caught]}}))
"""


@pytest.mark.parametrize("fault, make", [
    ("fifo", "os.mkfifo(path)"),
    ("link to /dev/zero", "os.symlink('/dev/zero', path)"),
    ("link out of the folder", "os.symlink(sys.executable, path)"),
    ("device", "os.symlink('/dev/urandom', path)"),
])
def test_entries_that_are_not_regular_files_are_refused_never_waited_on(tmp_path, fault, make):
    got = _fault(tmp_path / "cache", make)
    assert got["value"] == pytest.approx(2.0 * np.e)
    assert any("cannot read cache entry" in w for w in got["warnings"]), got["warnings"]


def _fault(folder, make):
    """FAULT's result in a new process whose cache is ``folder``: a crash or a hang fails."""
    env = {**os.environ, "PYEXPR_CACHE_DIR": str(folder)}
    result = subprocess.run([sys.executable, "-c", FAULT.format(make=make)], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


FAULT_KEY = (from_exprs("fault", [X, Y], [sympy.exp(X) * Y]), "scalar", "float64", False)  # FAULT's part
#: in the FAULT process: LLVM's loader must never be reached (code compiled there loads without it)
NO_LLVM_LOADER = """
from pyexpr.cpu.build import engine
def refuse(*args, **kwargs):
    raise SystemExit("a cache entry reached LLVM's loader")
engine.load_object = refuse
"""


@pytest.mark.skipif(not elf.supported(), reason="the ELF loader is for x86-64 Linux")
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_malformed_objects_with_a_valid_checksum_are_recompiled_never_loaded(tmp_path, damage, monkeypatch):
    ir_text, obj = cpu._compile(*FAULT_KEY, host.vector_target())
    (tmp_path / "damaged").write_bytes(DAMAGES[damage][0](obj))
    store = ("from pyexpr.cpu.build import cache\n"
             f"cache.store(key, 'damaged', open({str(tmp_path / 'damaged')!r}, 'rb').read())")
    got = _fault(tmp_path / "cache", store + NO_LLVM_LOADER)
    assert got["value"] == pytest.approx(2.0 * np.e)
    # an empty object is refused by the cache's own length check, any other by the ELF loader's
    expected = "corrupt cache entry" if damage == "empty" else "is malformed"
    assert any(expected in w and "recompiling" in w for w in got["warnings"]), got["warnings"]
    monkeypatch.setenv("PYEXPR_CACHE_DIR", str(tmp_path / "cache"))
    assert cache.load(cpu.part_key(*FAULT_KEY, host.vector_target())) == (ir_text, obj)   # stored over


@pytest.mark.skipif(not elf.supported(), reason="the ELF loader is for x86-64 Linux")
def test_every_kind_of_entry_is_checked_before_it_is_loaded(cache_dir, monkeypatch):
    """The scalar part, the optimized array part (looked up before the quick tier would be
    compiled), a vector formula's loops and the binders their entries share: each damaged
    entry is recompiled with a warning, gives the same numbers and is stored over."""
    import pyexpr as px
    from pyexpr.cpu import loops
    import corpus
    import open_formulas
    monkeypatch.setattr(cpu, "UPGRADE_CALLS", 2)
    kept = []                                        # (loaded binders stay mapped while code uses them)

    def run():
        monkeypatch.setattr(cpu, "_MEMO", {})
        monkeypatch.setattr(loops, "_MEMO", {})
        kept.append(cpu._SHARED)
        monkeypatch.setattr(cpu, "_SHARED", {})      # the binders read from this cache too
        kernel, x = compile_cpu(_program("every_part")), np.linspace(0.5, 2, 5)
        results = [kernel.scalar(1.5, 2.0)]
        for _ in range(3):                           # the quick tier, then the optimized one
            out = np.empty(5)
            kernel.run([x, x], [out])
            results.append(out.tolist())
        pair = px.jit(corpus.planck, cache=True)
        return results + [px.jit(open_formulas.rosen, cache=True)(x), pair(1e14, 300.0), pair(2e14, 300.0)]
    first = run()
    entries = {path.stem: cache.load(path.stem) for path in cache_dir.glob("*.o")}
    entries = {key: entry for key, entry in entries.items() if entry[0].startswith("; ModuleID")}   # (not formulas')
    # scalar, quick and optimized array parts, loops and their binder; a formula's scalar
    # part, the float entry of its shape and that entry's binder
    assert len(entries) == 8
    damage, _ = DAMAGES["relocation offset past its section"]
    for key, (ir_text, obj) in entries.items():
        cache.store(key, ir_text, damage(obj))
    with pytest.warns(UserWarning, match="is malformed") as caught:
        assert run() == first
    malformed = [str(w.message) for w in caught if "is malformed" in str(w.message)]
    assert len(malformed) == 7, malformed            # the quick tier is not needed: not read
    quick = cpu.part_key(_program("every_part"), "array-quick", "float64", False, host.vector_target())
    assert {key: cache.load(key) for key in entries if key != quick} == \
        {key: entry for key, entry in entries.items() if key != quick}


def test_a_vector_formulas_program_is_the_same_in_every_process():
    """Its loads are in a fixed order, not a set's (which hashes order differently in each
    process): the disk cache's key is the same, so a later process finds the entry."""
    script = ("import open_formulas as o, pyexpr as px\n"
              "for f in (o.rosen, o.pair_energy, o.running, o.least_squares):\n"
              "    print(px.jit(f).program, px.jit(f).program, px.jit(f).grad('x').program)\n")
    root = Path(cpu.__file__).parents[2]            # the pyexpr under test, and beside it
    tests = Path(__file__).resolve().parents[1]     # the tests (apart where it is installed)
    texts = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                            timeout=120, env={**os.environ, "PYTHONHASHSEED": str(seed),
                                              "PYTHONPATH": f"{root}{os.pathsep}{tests}"}).stdout
             for seed in range(3)}
    assert len(texts) == 1


def test_a_cache_folder_others_can_write_is_not_used(tmp_path, monkeypatch):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    monkeypatch.setenv("PYEXPR_CACHE_DIR", str(folder))
    monkeypatch.setattr(cpu, "_MEMO", {})
    monkeypatch.setattr(cache, "_WARNED", set())
    with pytest.warns(UserWarning, match="not using the kernel cache .* can be written by others"):
        assert compile_cpu(_program("shared")).scalar(0.0, 1.0) == (1.0,)
    assert not list(folder.iterdir())                   # nothing written there either


def test_the_cache_folder_is_created_private(tmp_path, monkeypatch):
    folder = tmp_path / "new" / "cache"
    monkeypatch.setenv("PYEXPR_CACHE_DIR", str(folder))
    monkeypatch.setattr(cpu, "_MEMO", {})
    compile_cpu(_program("private")).scalar(0.0, 1.0)
    assert folder.stat().st_mode & 0o077 == 0 and list(folder.glob("*.o"))
