"""llvmlite's library called directly (``llvmcapi``) against ``llvmlite.binding``, byte for byte."""
import locale
import os
import textwrap
import threading
import time

import pytest
import sympy

from pyexpr.ir import from_exprs
from pyexpr.cpu import kernel as cpu
from pyexpr.cpu.build import engine
from pyexpr.cpu import host
from pyexpr.cpu.codegen import llvm_ir
from pyexpr.cpu.build import llvmcapi

X, Y = sympy.symbols("x y", real=True)
PROGRAMS = [
    from_exprs("wave", [X, Y], [sympy.exp(-X**2) * sympy.sin(Y) + sympy.cos(X * Y)]),
    from_exprs("cheap", [X, Y], [2.5 * X + Y]),
    from_exprs("branch", [X, Y], [sympy.Piecewise((sympy.sqrt(X) * sympy.log(Y), X > Y),
                                                          (X * Y - 1, True))]),
    from_exprs("two", [X, Y], [X * Y, sympy.atan2(Y, X)]),
]
DIRECT = llvmcapi.load()
needs_direct = pytest.mark.skipif(
    DIRECT is None, reason=f"llvmlite {'.'.join(map(str, llvmcapi.version()))} is not one whose "
                           f"C signatures llvmcapi declares ({sorted(llvmcapi.VERSIONS)}); "
                           f"compiles go through llvmlite.binding")


def test_this_llvmlite_is_called_directly():
    """The pinned llvmlite is among ``VERSIONS``; a release outside it skips the tests below."""
    if llvmcapi.version() in llvmcapi.VERSIONS and os.name == "posix":
        assert DIRECT is not None
    else:
        assert DIRECT is None


@needs_direct
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.name)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("part", ["scalar", "array-quick", "array"])
def test_same_ir_and_object_bytes_as_llvmlite_binding(program, dtype, part):
    functions, opt, _ = cpu.PARTS[part]
    target = host.vector_target()
    text = str(llvm_ir.build_module(program, dtype, simd=target, parts=cpu._functions(part)))
    vectorize = cpu._vectorize(part, target)
    assert DIRECT.compile_ir(text, opt, vectorize) == engine.compile_with_binding(text, opt, vectorize), \
        f"SIMD {getattr(target, 'isa', 'none')}"


@needs_direct
def test_host_cpu_as_llvmlite_binding_sees_it():
    llvm = engine.binding()
    assert DIRECT.triple == llvm.get_default_triple()
    assert DIRECT.cpu_name == llvm.get_host_cpu_name()
    assert DIRECT.cpu_features == dict(llvm.get_host_cpu_features())
    assert engine.host_features() == frozenset(n for n, on in llvm.get_host_cpu_features().items() if on)


@needs_direct
def test_bad_ir_raises_as_llvmlite_binding_does():
    with pytest.raises(RuntimeError, match="LLVM IR parsing error"):
        DIRECT.compile_ir("define double @f(double %x) {\n  ret double %y\n}\n", 2, False)
    # parses, but the verifier refuses a use that its definition does not dominate
    unverified = ("define i32 @g(i1 %c) {\nentry:\n  br i1 %c, label %a, label %b\na:\n"
                  "  %v = add i32 1, 2\n  br label %b\nb:\n  ret i32 %v\n}\n")
    with pytest.raises(RuntimeError, match="does not dominate") as direct:
        DIRECT.compile_ir(unverified, 2, False)
    with pytest.raises(RuntimeError) as binding:
        engine.compile_with_binding(unverified, 2, False)
    assert str(direct.value) == str(binding.value)
    assert DIRECT.compile_ir(llvmcapi.WARM_UP, 0, False)[1]     # the pool is still usable


@needs_direct
def test_optimization_level_is_checked():
    with pytest.raises(ValueError, match="0, 1, 2 or 3"):
        DIRECT.compile_ir(llvmcapi.WARM_UP, 4, False)


@needs_direct
def test_calls_wait_for_llvmlite_bindings_lock():
    """Printing a module switches the process's locale, so no two LLVM calls may overlap,
    ours or ``llvmlite.binding``'s (numba's, say)."""
    lock, held = engine.binding().ffi.lib._lock, threading.Event()

    def hold():
        with lock:
            held.set()
            time.sleep(0.3)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()
    start = time.perf_counter()
    DIRECT.compile_ir(llvmcapi.WARM_UP, 0, False)
    waited = time.perf_counter() - start
    holder.join()
    assert waited > 0.2


@needs_direct
def test_compiles_from_many_threads_agree():
    text = {p.name: str(llvm_ir.build_module(p, simd=host.vector_target(), parts=("array",)))
            for p in PROGRAMS}
    expected = {name: DIRECT.compile_ir(t, 3, False) for name, t in text.items()}
    results, errors = [], []

    def work(name):
        try:
            for _ in range(3):
                results.append((name, DIRECT.compile_ir(text[name], 3, False)))
        except Exception as error:                  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(name,)) for name in text for _ in range(2)]
    before = locale.setlocale(locale.LC_ALL)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 3 * len(threads)
    assert locale.setlocale(locale.LC_ALL) == before
    assert all(got == expected[name] for name, got in results)


def test_other_llvmlite_releases_go_through_llvmlite_binding(monkeypatch):
    monkeypatch.setattr(llvmcapi, "version", lambda: (0, 0))
    llvmcapi._load.cache_clear()
    try:
        assert llvmcapi.load() is None and llvmcapi.start_preload() is None
        before = engine.CODEGEN_COUNT
        text = str(llvm_ir.build_module(PROGRAMS[0], parts=("scalar",)))
        assert engine.compile_ir(text, 2, False)[1] == engine.compile_with_binding(text, 2, False)[1]
        assert engine.CODEGEN_COUNT == before + 1
        assert engine.host_features()
    finally:
        monkeypatch.undo()
        llvmcapi._load.cache_clear()


def test_preload_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("PYEXPR_PRELOAD", "0")
    assert llvmcapi.start_preload() is None


def test_preload_never_raises(monkeypatch):
    monkeypatch.setattr(llvmcapi, "library_path", lambda: "/nonexistent/libllvmlite.so")
    assert llvmcapi.preload() is None


@needs_direct
def test_the_front_end_preloads_and_a_first_compile_needs_no_llvmlite_binding(tmp_path, processes):
    """The first decoration that reads a function maps LLVM on a thread it waits for; a
    cold first call then compiles without importing ``llvmlite.binding`` or ``logging``
    (tens of milliseconds).  A second process finds the formula and its kernel in the disk
    cache and maps LLVM not at all."""
    script = textwrap.dedent("""
        import json, sys, threading
        import numpy as np
        import pyexpr as px
        from pyexpr.cpu.build import llvmcapi

        def mapped():
            return any("llvmlite" in line for line in open("/proc/self/maps")) if sys.platform == "linux" else None

        state = {"at import": mapped()}

        @px.jit
        def f(x, y):
            return 2.5 * x + y

        state["mapped"], state["loaded"] = mapped(), llvmcapi._load.cache_info().currsize
        state["threads"] = [t.name for t in threading.enumerate() if t.name.startswith("pyexpr")]
        state["value"] = f(np.arange(3.0), 1.0).tolist()
        state["modules"] = [m for m in ("llvmlite.binding", "logging", "sympy") if m in sys.modules]
        state["after the call"] = mapped()
        print(json.dumps(state))
    """)
    cold, warm = processes(tmp_path, script)
    for run in (cold, warm):
        assert run["at import"] in (False, None) and run["threads"] == []
        assert run["value"] == [1.0, 3.5, 6.0]
    assert cold["mapped"] in (True, None) and cold["loaded"] == 1
    assert cold["modules"] == ["sympy"]
    assert warm["loaded"] == 0 and warm["after the call"] in (False, None) and warm["modules"] == []


def test_a_compile_while_another_thread_imports_logging_does_not_use_the_half_made_module(monkeypatch):
    """A thread pool's first use imports ``logging``; a compile on another thread meanwhile
    saw the module without ``getLogger`` and raised AttributeError (found in a CI run)."""
    import sys
    import types
    from importlib.machinery import ModuleSpec
    half = types.ModuleType("logging")
    half.__spec__ = ModuleSpec("logging", None)
    half.__spec__._initializing = True              # what importlib sets while it runs the module
    monkeypatch.setitem(sys.modules, "logging", half)
    before = engine.CODEGEN_COUNT
    engine.compile_ir(llvmcapi.WARM_UP, 2, True)
    assert engine.CODEGEN_COUNT == before + 1


def test_preload_warms_the_levels_of_first_compiles():
    """A first call on arrays compiles the quick tier, one on floats the scalar part."""
    assert set(llvmcapi.WARM_UP_LEVELS) == {cpu.PARTS["array-quick"][1], cpu.PARTS["scalar"][1]}


COMPILES = """
from pyexpr.cpu.build import engine
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
def compile_some(start):
    for k in range(start, start + 1000):
        engine.compile_ir(f"define double @f{k}(double %x) {{\\n  %y = fmul double %x, {k}.5\\n"
                          f"  ret double %y\\n}}\\n", 2, True)
compile_some(0)
before = rss()
compile_some(1000)
print(rss() - before)
"""


@needs_direct
def test_compiling_thousands_of_modules_keeps_no_memory():
    # each compile's own LLVM context and one pass builder per setting: a builder made and
    # disposed per compile kept about 1.4 KB (a process compiling 10,000 formulas grew 50 MB)
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", COMPILES], capture_output=True, text=True,
                         timeout=300, check=True).stdout
    assert float(out) < 0.7, f"RSS grew {float(out):.2f} MiB over 1,000 compiles"


@needs_direct
def test_a_pass_builder_is_made_anew_and_compiles_the_same_bytes():
    """A kept pass builder gathers each run's instrumentation callbacks and calls them all in
    every later run (the 1,800th formula optimized in 10 ms where the first took 1.5): one
    serves ``BUILDER_RUNS`` runs, and the next one compiles the same bytes."""
    text = str(llvm_ir.build_module(PROGRAMS[0], "float64", simd=host.vector_target(),
                                    parts=cpu._functions("scalar")))
    first = DIRECT.compile_ir(text, 2, False)
    runs = []
    for _ in range(llvmcapi.BUILDER_RUNS + 1):
        assert DIRECT.compile_ir(text, 2, False) == first
        runs.append(DIRECT._builders[(2, False)][1])      # runs of the builder in use
    assert max(runs) == llvmcapi.BUILDER_RUNS and 1 in runs[runs.index(max(runs)):]
