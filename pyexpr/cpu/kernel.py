"""``compile_cpu``: a Program -> a ``CPUKernel`` of machine code for this CPU.

A kernel is made of parts (``PARTS``), separate LLVM modules each built,
compiled and loaded the first time it is needed: the *scalar* part (the
scalar and multi-output entry points, what a call on floats needs) and the
*array* part (the array kernel, with explicit SIMD loops from ``vector_ir``
where ``host.vector_target`` finds libmvec, else with LLVM's loop
vectorizer), which has a quickly compiled first tier (``TIERED``).  Each
part goes ``cache.load`` (keyed without building anything, see
``part_key``) or else ``llvm_ir.build_module`` -> ``engine.compile_ir`` ->
``cache.store``; then ``elf.load`` maps the object code (``engine.load_object``
where it cannot, for code just compiled; a cache entry it refuses is
recompiled, see ``load_or_compile``).  So a process whose kernels are all in
the disk cache never imports LLVM.  Compiled code is memoized per process by
``(program.key(), dtype, fastmath, vector target)`` while any kernel of it
lives (and for the last ``RECENT`` compiled): each part compiles at most once
per process while it is used, and at most once per machine with the disk
cache on.  Its code is unmapped when no kernel, fast-call builtin or ctypes
pointer of it is left (each holds it).

    >>> import sympy
    >>> from pyexpr.ir import from_exprs
    >>> x, y = sympy.symbols("x y", real=True)
    >>> k = compile_cpu(from_exprs("f", [x, y], [2.5*x + y]), cache=False)
    >>> k.scalar(2.0, 1.0)
    (6.0,)
"""
import collections
import ctypes
import math
import os
import threading
import weakref
from pathlib import Path

import numpy as np

from ..ir.ops import OPS
from . import host
from .abi import KERNEL_TYPE, entry_names
from .build import cache
from .build.loading import load_or_compile
from .runtime import arraycall, driver, fastcall

_CTYPES = {"float64": ctypes.c_double, "float32": ctypes.c_float}
#: compiled programs shared by the kernels of equal formulas, while any of them lives, and
#: the last RECENT compiled, so that a formula made again and again is not compiled again
_MEMO = weakref.WeakValueDictionary()
RECENT = 64
_RECENT = collections.deque(maxlen=RECENT)
_MEMO_LOCK = threading.Lock()
#: part -> (llvm_ir.build_module parts, LLVM optimization level, loop and SLP
#: vectorizers on: None = only without explicit SIMD).  O2 without loop
#: unrolling compiles in about half the time of O3 and runs these loops as
#: fast; "array-quick" is the array part's first tier (see ``TIERED``).
PARTS = {"scalar": (("scalar",), 2, False),
         "array": (("array", "stream", "arraycall"), 2, None),
         "array-quick": (("array",), 0, False)}
#: Tiered compilation of the array part.  Until a kernel has processed
#: UPGRADE_ELEMENTS elements, or been called UPGRADE_CALLS times, it runs
#: "array-quick": the same IR compiled without optimization and with fast
#: instruction selection, in a few ms instead of tens, and within about
#: 10-40% of full speed (the vector loop's time goes to libmvec).  The call
#: that reaches either (the first, if it is that large) compiles the
#: optimized part first, and so does a fully optimized part already in the
#: disk cache.  Only the optimized part has the small-array entry (``arraycall``)
#: and the streaming kernel: the quick tier serves small calls, which need neither.  The tiers compute
#: bit-identical results but for the sign and payload of a nan made where two nans meet (which
#: operand x86 passes on depends on instruction selection); with fast-math there is one tier.
TIERED = os.environ.get("PYEXPR_TIERED", "1") != "0"
UPGRADE_ELEMENTS, UPGRADE_CALLS = 1 << 20, 100
#: Threads pay off for calls whose single-thread work would take at least this
#: long: waking pool threads and splitting the work cost 0.1-0.4 ms on the
#: 2-core test machine (a virtual one), so below that the second thread loses.
PARALLEL_SECONDS = 1e-3
#: Rough single-thread costs, in seconds per element, that ``seconds_per_element``
#: adds up (measured on the 2-core AVX2 test machine, SIMD loops): moving one
#: operand through memory, an op that is an instruction, a function call on a
#: vector, a function called lane by lane (tgamma, lgamma); which ops are
#: instructions is the registry's cost column (``ir.ops``).
COSTS = {"operand": 0.25e-9, "instruction": 0.1e-9, "vector call": 1.1e-9, "lane call": 15e-9}


def seconds_per_element(program, target, dtype="float64"):
    """The estimated single-thread time per element of ``program``'s array loop: a
    function libmvec lacks (or any, without a vector target) runs lane by lane.

    ``COSTS`` are float64's; float32 moves half the bytes and fits twice the
    lanes in a vector, so all but lane-by-lane calls cost half (measured on
    2^18 elements: 0.34-0.5x for the benchmark's three formulas)."""
    scale = np.dtype(dtype).itemsize / 8
    vector = COSTS["operand"] * (program.n_args + len(program.outputs))
    lanes = 0.0
    for ins in program.instrs:
        if OPS[ins.op].cost == "instruction":
            vector += COSTS["instruction"]
        elif target is not None and target.symbol(ins.op, dtype) is not None:
            vector += COSTS["vector call"]
        else:
            lanes += COSTS["lane call"]
    return vector * scale + lanes
#: the packages whose source shapes the object code: the IR and everything under
#: ``pyexpr.cpu`` (code generation, the calling convention, the compiler's
#: settings), read from the files themselves (``cache.code_digest``) so that no
#: change to generated code can meet a cache entry of the old one
GENERATORS = (Path(__file__).parents[1] / "ir", Path(__file__).parent)


def compile_cpu(program, dtype="float64", *, fastmath=False, parallel=True, cache=True, simd=None):
    """The ``CPUKernel`` of ``program`` for ``dtype`` ("float64" or "float32").

    ``simd`` picks the vector ISA of array loops (see ``host.vector_target``:
    None means ``$PYEXPR_SIMD`` or the host's widest; ``"none"`` turns
    explicit SIMD off).  Nothing is compiled until a part is used.
    """
    dtype = np.dtype(dtype)
    if dtype.name not in _CTYPES:
        raise TypeError(f"compile_cpu: dtype must be float64 or float32, not {dtype.name}")
    target = host.vector_target(simd)
    key = (program.key(), dtype.name, bool(fastmath), target)
    with _MEMO_LOCK:
        compiled = _MEMO.get(key)
        if compiled is None:
            compiled = _MEMO[key] = _Compiled(program, dtype.name, bool(fastmath), cache, target)
            _RECENT.append(compiled)
    return CPUKernel(compiled, parallel)


class _Compiled:
    """The machine code of one (program, dtype, fastmath, target), loaded part by part."""

    def __init__(self, program, dtype, fastmath, use_cache, target):
        self.program, self.dtype = program, np.dtype(dtype)
        self._options = dict(dtype=dtype, fastmath=fastmath, target=target)
        self._use_cache = use_cache
        self._parts, self._ir, self._functions = {}, {}, {}
        self._work, self._calls, self._cache_checked = 0, 0, False
        self.seconds_per_element = seconds_per_element(program, target, dtype)
        self._lock = threading.RLock()
        self._names = entry_names(program)
        self._real = _CTYPES[dtype]

    def _part(self, part):
        """The loaded part: from the disk cache, else compiled (and cached)."""
        with self._lock:
            if part not in self._parts:
                self._load(part)
            return self._parts[part]

    def _load(self, part, compile=True):
        """Load ``part`` (see ``load_or_compile``); where it is not in the disk cache and
        not ``compile``, nothing."""
        loaded = load_or_compile(part_key(self.program, part, **self._options),
                                 lambda: _compile(self.program, part, **self._options),
                                 _symbols(part, self.dtype.name),
                                 self._use_cache, compile)
        if loaded is not None:
            self._ir[part], self._parts[part] = loaded

    def array_for(self, size):
        """``(array, stream)``: the array kernels to run on ``size`` more elements (see
        ``TIERED``); ``stream`` is None unless the part exports one (``vector_ir.has_stream``)."""
        with self._lock:
            self._work += size
            self._calls += 1
            if "array" not in self._parts:
                if not TIERED or self._options["fastmath"] or self._work >= UPGRADE_ELEMENTS \
                        or self._calls >= UPGRADE_CALLS:
                    self._part("array")
                elif not self._cache_checked:
                    self._cache_checked = True
                    self._load("array", compile=False)      # the optimized tier, if on disk
            part = "array" if "array" in self._parts else "array-quick"
            return self._function(part, "array", KERNEL_TYPE), self._stream(part)

    def _stream(self, part):
        if (part, "stream") not in self._functions:
            try:
                code = self._part(part)
                stream = self._functions[part, "stream"] = KERNEL_TYPE(code.address(self._names["stream"]))
                stream.code = code
            except LookupError:
                self._functions[part, "stream"] = None
        return self._functions[part, "stream"]

    def _function(self, part, name, prototype):
        """The compiled function ``name`` of ``part``; ``prototype`` is its ctypes type, or
        a function making it (called once: a ctypes type costs a microsecond to make)."""
        fn = self._functions.get((part, name))
        if fn is not None:
            return fn
        with self._lock:
            fn = self._functions.get((part, name))
            if fn is None:
                code = self._part(part)
                if not isinstance(prototype, type):
                    prototype = prototype()
                fn = self._functions[part, name] = prototype(code.address(self._names[name]))
                fn.code = code          # a kept pointer (f.ctypes, a LowLevelCallable) keeps it mapped
            return fn

    @property
    def scalar(self):
        n, real = self.program.n_args, self._real
        return self._function("scalar", "scalar", lambda: ctypes.CFUNCTYPE(real, *[real] * n))

    @property
    def multi(self):
        n, m, real = self.program.n_args, len(self.program.outputs), self._real
        return self._function("scalar", "multi",
                              lambda: ctypes.CFUNCTYPE(None, *[real] * n, *[ctypes.POINTER(real)] * m))

    @property
    def array(self):
        return self.array_for(0)[0]

    @property
    def array_entry(self):
        """(address of the builtin entry of ``arraycall``, its code) once the optimized array
        part is loaded, else None."""
        part = self._parts.get("array")
        if part is None or len(self.program.outputs) != 1 or not self.program.n_args \
                or "arraycall" not in _functions("array"):
            return None
        return part.address(self._names["arraycall"]), part

    @property
    def fast_entry(self):
        """``(entry, code, function)``: the address of the float entry of this program's
        shape (``float_entry``), the loaded scalar part, and the address in it of the
        function the entry is to call; None where this interpreter has no float entry."""
        if not fastcall.available():
            return None
        part, m, n = self._part("scalar"), len(self.program.outputs), self.program.n_args
        entry = float_entry(n, m, self.dtype.name, self._use_cache)
        return entry, part, part.address(self._names["scalar" if m == 1 else "multi"])

    @property
    def llvm_ir(self):
        """The optimized IR of the scalar part and the (fully optimized) array part."""
        for part in ("scalar", "array"):
            self._part(part)
        return self._ir["scalar"] + "\n" + self._ir["array"]


_ENTRIES = {"arraycall": arraycall}


def _functions(part):
    """The functions ``llvm_ir.build_module`` defines in ``part``: the builtin entries
    (``_ENTRIES``) only where this interpreter allows them."""
    return tuple(f for f in PARTS[part][0] if f not in _ENTRIES or _ENTRIES[f].available())


def _symbols(part, dtype="float64"):
    """The external symbols that loading ``part`` needs (those of its builtin entry)."""
    return arraycall.symbols(dtype) if "arraycall" in _functions(part) else None


#: symbol -> the loaded code of a shared function (a binder), kept for the process
_SHARED = {}
_SHARED_LOCK = threading.Lock()


def shared(symbol, build, symbols, opt=0, use_cache=True):
    """The address of ``symbol``, the one function of the module ``build()`` makes (an
    entry or binder that formulas of every kind call), loaded with the symbols
    ``symbols()`` gives (asked for only when it is loaded): compiled at ``opt`` once a
    machine (cached on disk), loaded once a process."""
    code = _SHARED.get(symbol)              # (loaded: no lock, no symbols looked up)
    if code is not None:
        return code.address(symbol)
    needed = symbols()                      # (outside the lock: they may be shared code too)
    with _SHARED_LOCK:
        code = _SHARED.get(symbol)
        if code is None:
            key = cache.entry_key(host.fingerprint(), cache.code_digest(GENERATORS), "shared", symbol, f"O{opt}")
            _, code = load_or_compile(key, lambda: _compile_shared(build, opt), needed, use_cache)
            _SHARED[symbol] = code
    return code.address(symbol)


def binder(n_args, dtype, use_cache=True):
    """The address of the float entries' binder for ``n_args`` arguments of ``dtype``
    (``fastcall_ir.binder_module``), compiled without optimization: the calls it binds
    are the rarer ones."""
    from .codegen.fastcall_ir import binder_module, binder_symbol
    return shared(binder_symbol(n_args, dtype), lambda: binder_module(n_args, dtype),
                  lambda: fastcall.symbols(1, dtype), 0, use_cache)


def float_entry(n_args, outputs, dtype, use_cache=True):
    """The address of the float entry of every program of ``n_args`` arguments and
    ``outputs`` outputs of ``dtype`` (``fastcall_ir.entry_module``), fully optimized."""
    from .codegen.fastcall_ir import binder_symbol, entry_module, entry_symbol
    symbols = lambda: {**fastcall.symbols(outputs, dtype),  # noqa: E731
                       binder_symbol(n_args, dtype): binder(n_args, dtype, use_cache)}
    return shared(entry_symbol(n_args, outputs, dtype), lambda: entry_module(n_args, outputs, dtype),
                  symbols, 2, use_cache)


def _compile_shared(build, opt):
    from .build import engine
    return engine.compile_ir(str(build()), opt, False)


def _vectorize(part, target):
    vectorize = PARTS[part][2]
    return target is None if vectorize is None else vectorize   # explicit SIMD needs no vectorizer


def part_key(program, part, dtype, fastmath, target):
    """The cache key of one part; computing it builds nothing and loads no LLVM."""
    _, opt, _ = PARTS[part]
    simd = "none" if part == "scalar" or target is None else f"{target.isa}:{sorted(target.available)}"
    return cache.entry_key(host.fingerprint(), cache.code_digest(GENERATORS), str(program), part,
                           _functions(part), dtype, fastmath, simd, f"O{opt}", _vectorize(part, target))


def _compile(program, part, dtype, fastmath, target):
    """``(optimized_ir_text, object_bytes)`` of one part."""
    from .build import engine
    from .codegen import llvm_ir
    functions, opt = _functions(part), PARTS[part][1]
    if "array" in functions:
        engine.check_target(target)
    ir_text = str(llvm_ir.build_module(program, dtype, fastmath, simd=target, parts=functions))
    return engine.compile_ir(ir_text, opt, _vectorize(part, target))


class CPUKernel:
    """Machine code for one program and dtype.

    ``scalar(*floats)`` -> tuple of floats; ``run(inputs, outs)`` fills
    ``outs`` elementwise (inputs already broadcast, same dtype; see
    ``driver``); ``llvm_ir`` is the optimized text of the scalar and array
    modules (compiling them if needed); ``ctypes`` is the scalar function
    pointer of a single-output program.
    """

    def __init__(self, compiled, parallel=True):
        self._compiled = compiled
        self.dtype = compiled.dtype
        self.n_outputs = len(compiled.program.outputs)
        self.parallel = parallel

    @property
    def llvm_ir(self):
        return self._compiled.llvm_ir

    @property
    def fast_entry(self):
        """(address, owner) of the builtin entry for float calls (``fastcall``), or None."""
        return self._compiled.fast_entry

    @property
    def array_entry(self):
        """(address, owner) of the builtin entry for small arrays (``arraycall``), or None."""
        return self._compiled.array_entry

    @property
    def ctypes(self):
        if self.n_outputs != 1:
            raise TypeError(f"{self._compiled.program.name} has {self.n_outputs} outputs; "
                            f"a ctypes scalar function exists for single-output formulas only")
        return self._compiled.scalar

    @property
    def array_function(self):
        """The optimized array kernel (``abi.KERNEL_TYPE``), its code kept mapped by it."""
        with self._compiled._lock:
            self._compiled._part("array")
        return self._compiled._function("array", "array", KERNEL_TYPE)

    def scalar(self, *values):
        if self.n_outputs == 1:
            return (self._compiled.scalar(*values),)
        real = self._compiled._real
        outs = [real() for _ in range(self.n_outputs)]
        self._compiled.multi(*values, *(ctypes.byref(o) for o in outs))
        return tuple(o.value for o in outs)

    def run(self, inputs, outs):
        size = math.prod(outs[0].shape)
        array, stream = self._compiled.array_for(size)
        driver.run(array, inputs, outs, self._threads(size), stream)

    def _threads(self, size):
        """Threads for a call on ``size`` elements: several only where the work, as
        ``seconds_per_element`` estimates it, outweighs starting them (``PARALLEL_SECONDS``)."""
        if size < driver.MIN_PARALLEL or not self.parallel:
            return 1
        if self._compiled.seconds_per_element * size < PARALLEL_SECONDS:
            return 1
        return driver.thread_count(self.parallel)
