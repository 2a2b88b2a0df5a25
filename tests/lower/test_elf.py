"""The ELF loader against LLVM's own (MCJIT), and the cases it must hand back."""
import ctypes
import functools
import mmap
import struct
import threading
import time
import types
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import sympy
from llvmlite import ir

from pyexpr.ir import from_exprs
from pyexpr.cpu import kernel as cpu
from pyexpr.cpu import abi
from pyexpr.cpu.runtime import driver
from pyexpr.cpu.build import elf
from pyexpr.cpu.build import engine, loading
from pyexpr.cpu.codegen import llvm_ir

from .elf_damage import DAMAGES, NOT_ELF

X, Y = sympy.symbols("x y", real=True)
PROGRAM = from_exprs("elf", [X, Y], [sympy.exp(-X**2) * sympy.sin(Y) + sympy.Mod(X, Y) + sympy.gamma(X)])

pytestmark = pytest.mark.skipif(not elf.supported(), reason="the ELF loader is for x86-64 Linux")


@functools.lru_cache(maxsize=None)
def _object(part):
    text = str(llvm_ir.build_module(PROGRAM, simd=cpu.host.vector_target(), parts=(part,)))
    return engine.compile_ir(text, 2, False)[1]


_HALF = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double)(lambda v: v / 2)


def _calling(name):
    """An object whose ``double f(double)`` calls the external function ``name``."""
    module = ir.Module("calls")
    double = ir.DoubleType()
    callee = ir.Function(module, ir.FunctionType(double, [double]), name)
    f = ir.Function(module, ir.FunctionType(double, [double]), "f")
    b = ir.IRBuilder(f.append_basic_block())
    b.ret(b.call(callee, f.args))
    return engine.compile_ir(str(module), 1, False)[1]


def test_loaded_code_matches_mcjit_bit_for_bit():
    obj = _object("array")
    ours, theirs = elf.load(obj), engine.load_object(obj)
    x, y = np.linspace(-4, 4, 1003), np.linspace(0.5, 3, 1003)
    results = []
    for image in (ours, theirs):
        out = np.empty(1003)
        driver.run(abi.KERNEL_TYPE(image.address("pyexpr_elf_array")), [x, y[::-1]], [out], 1)
        results.append(out.tobytes())
    assert results[0] == results[1]
    scalar = elf.load(_object("scalar"))
    f = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double, ctypes.c_double)(scalar.address("pyexpr_elf"))
    assert f(0.5, 2.0) == pytest.approx(np.exp(-0.25) * np.sin(2.0) + 0.5 + 1.7724538509055159, rel=1e-14)


def _permissions(address):
    with open("/proc/self/maps") as maps:
        for line in maps:
            span, perms = line.split()[:2]
            start, end = (int(v, 16) for v in span.split("-"))
            if start <= address < end:
                return perms[:3]
    raise LookupError(hex(address))


def _with_counter():
    """An object whose ``f`` counts its calls in a zero-initialized global (.bss)."""
    module = ir.Module("counter")
    i64 = ir.IntType(64)
    count = ir.GlobalVariable(module, i64, "count")
    count.initializer = ir.Constant(i64, 0)
    f = ir.Function(module, ir.FunctionType(i64, []), "f")
    b = ir.IRBuilder(f.append_basic_block())
    value = b.add(b.load(count), ir.Constant(i64, 1))
    b.store(value, count)
    b.ret(value)
    return engine.compile_ir(str(module), 1, False)[1]


def test_code_is_executable_not_writable_and_data_is_writable():
    image = loading.load(_with_counter())
    assert isinstance(image, elf.Image)
    count = image.global_address("count")
    assert _permissions(image.address("f")) == "r-x"
    assert _permissions(count) == "rw-"
    ctypes.c_int64.from_address(count).value = 1234                # .bss
    assert ctypes.CFUNCTYPE(ctypes.c_int64)(image.address("f"))() == 1235


def test_shared_float_entry_loads_with_its_symbols():
    from pyexpr.cpu.codegen import fastcall_ir
    from pyexpr.cpu.runtime import fastcall
    text = str(fastcall_ir.entry_module(2, 1, "float64"))
    symbols = {**fastcall.symbols(1, "float64"), fastcall_ir.binder_symbol(2, "float64"): cpu.binder(2, "float64")}
    image = loading.load(engine.compile_ir(text, 2, False)[1], symbols)
    assert isinstance(image, elf.Image)
    assert _permissions(image.address(fastcall_ir.entry_symbol(2, 1, "float64"))) == "r-x"


def test_unknown_symbols_and_foreign_objects_are_refused():
    obj = _object("scalar")
    assert b"llvm.sin" not in obj
    with pytest.raises(elf.Unsupported, match="not an x86-64"):
        elf.load(b"not an object file at all")
    arm = bytearray(obj)
    struct.pack_into("<H", arm, 18, 183)                            # e_machine = AArch64
    with pytest.raises(elf.Unsupported):
        elf.load(bytes(arm))
    with pytest.raises(elf.Unsupported, match="does not resolve"):
        elf.load(_calling("pyexpr_no_such_symbol"))
    image = elf.load(_calling("pyexpr_given"), {"pyexpr_given": ctypes.cast(_HALF, ctypes.c_void_p).value})
    f = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double)(image.address("f"))
    assert f(3.0) == 1.5
    with pytest.raises(LookupError):
        elf.load(obj).address("no_such_function")


def test_cpu_load_falls_back_to_mcjit(monkeypatch):
    def refuse(data, symbols=None):
        raise elf.Unsupported("pretend this is another machine")
    monkeypatch.setattr(elf, "load", refuse)
    library = loading.load(_object("scalar"))
    assert isinstance(library, engine.Library)
    f = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double, ctypes.c_double)(library.address("pyexpr_elf"))
    assert np.isfinite(f(0.5, 2.0))


# --- a damaged object is refused, naming what is wrong, before any memory is mapped ---------

@pytest.mark.parametrize("damage", list(DAMAGES))
def test_damaged_objects_are_refused_before_memory_is_mapped(damage, monkeypatch):
    obj = _object("scalar")
    make, match = DAMAGES[damage]
    bad = make(obj)
    assert bad != obj and isinstance(elf.load(obj), elf.Image)

    def no_memory(*args, **kwargs):
        raise AssertionError("memory was mapped for a damaged object")
    fields = {name: getattr(mmap, name) for name in ("PAGESIZE", "PROT_READ", "PROT_WRITE", "PROT_EXEC")}
    monkeypatch.setattr(elf, "mmap", types.SimpleNamespace(mmap=no_memory, **fields))
    with pytest.raises(elf.Unsupported, match=match) as caught:
        elf.load(bad)
    # bytes that are no ELF object at all could be another system's objects: only Unsupported
    assert isinstance(caught.value, elf.Malformed) == (damage not in NOT_ELF)


def test_the_damages_leave_the_rest_of_the_object_as_it_was():
    obj = _object("scalar")
    for damage, (make, _) in DAMAGES.items():
        bad = make(obj)
        if damage in NOT_ELF or len(bad) != len(obj):
            continue
        changed = [i for i in range(len(obj)) if obj[i] != bad[i]]
        assert changed and changed[-1] - changed[0] < 64, damage         # one section header at most


def test_first_symbol_lookups_from_many_threads_all_resolve(monkeypatch):
    """The libraries are opened once, by one thread; no other sees them half opened."""
    target = cpu.host.vector_target()
    name = target.symbol("sin", "float64") if target is not None else None
    if name is None:
        pytest.skip("no libmvec here: nothing opened last to miss")
    real = ctypes.CDLL

    def slow(*args, **kwargs):
        time.sleep(0.02)                # widen the window a partly filled list would be seen in
        return real(*args, **kwargs)
    monkeypatch.setattr(elf, "_handles", [])
    monkeypatch.setattr(ctypes, "CDLL", slow)
    barrier = threading.Barrier(8)

    def look_up(k):
        barrier.wait()
        time.sleep(0.01 * k)                        # arriving while the first opens them
        return elf._resolve(name, {})              # Unsupported where a thread saw half the list
    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(look_up, range(8)))
    assert len(set(found)) == 1 and found[0]
