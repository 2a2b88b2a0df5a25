"""llvmlite's compiled library, called directly for one job: LLVM IR text in, object code out.

Importing ``llvmlite.binding`` runs some twenty Python modules (15-25 ms,
the largest fixed cost of a first compile), while a compile needs about
thirty of the C functions behind them.  ``load()`` binds just those with
ctypes and returns a ``Compiler``; ``engine`` uses it where it can and
``llvmlite.binding`` otherwise.

A wrong C declaration would crash instead of raising, so ``load()`` binds
only the llvmlite releases in ``VERSIONS``, whose bindings the declarations
in ``_FUNCTIONS`` were read from, and returns None for any other.  Tests
check that both paths emit the same bytes.

Calls are serialized, as ``llvmlite.binding`` serializes its own: under
``_LOCK`` and, where ``llvmlite.binding`` is loaded (numba, or pyexpr's
fallbacks), under its lock too.  Not all of LLVM's C API is safe to run
concurrently: printing a module switches the process's locale and back.

``preload()`` maps the library and runs LLVM's one-time setup (target
initialization, a first target machine and code generation) in calls that
release the GIL; the first decoration that reads a function's source runs
it on a thread (``start_preload``) while sympy and the front end import, and
waits for it when that import ends, so a first compile starts warm and no
thread outlives the front end's import.
"""
import ctypes
import os
import sys
import threading
from contextlib import contextmanager
from ctypes import POINTER, c_bool, c_char_p, c_int, c_size_t, c_uint, c_void_p
from functools import lru_cache

_LOCK = threading.RLock()
#: optimization runs a pass builder serves before it is made anew (``Compiler._builder``)
BUILDER_RUNS = 64

#: llvmlite releases (major, minor) whose C signatures ``_FUNCTIONS`` matches.
VERSIONS = {(0, 50)}

_REF, _OUT = c_void_p, POINTER(c_void_p)      # an opaque LLVM object; an out-parameter string
#: LLVMPY_<name>: (restype, argtypes), as llvmlite 0.50's binding declares them.
_FUNCTIONS = {
    "GetVersionInfo": (c_uint, ()),
    "InitializeNativeTarget": (None, ()),
    "InitializeNativeAsmPrinter": (None, ()),
    "DisposeString": (None, (c_void_p,)),
    "GetDefaultTargetTriple": (None, (_OUT,)),
    "GetHostCPUName": (None, (_OUT,)),
    "GetHostCPUFeatures": (c_int, (_OUT,)),
    "GetTargetFromTriple": (_REF, (c_char_p, _OUT)),
    # target, triple, cpu, features, opt, reloc, code model, print MC, JIT, ABI name
    "CreateTargetMachine": (_REF, (_REF, c_char_p, c_char_p, c_char_p, c_int, c_char_p, c_char_p,
                                   c_int, c_int, c_char_p)),
    "CreateTargetMachineData": (_REF, (_REF,)),
    "CopyStringRepOfTargetData": (None, (_REF, _OUT)),
    "DisposeTargetData": (None, (_REF,)),
    "ContextCreate": (_REF, ()),
    "ContextDispose": (None, (_REF,)),
    "ParseAssembly": (_REF, (_REF, c_char_p, _OUT)),
    "DisposeModule": (None, (_REF,)),
    "SetTarget": (None, (_REF, c_char_p)),
    "SetDataLayout": (None, (_REF, c_char_p)),
    "VerifyModule": (c_bool, (_REF, _OUT)),
    "PrintModuleToString": (None, (_REF, _OUT)),
    "CreatePipelineTuningOptions": (_REF, ()),
    "PTOSetLoopVectorization": (None, (_REF, c_bool)),
    "PTOSetSLPVectorization": (None, (_REF, c_bool)),
    "PTOSetLoopUnrolling": (None, (_REF, c_bool)),
    "DisposePipelineTuningOptions": (None, (_REF,)),
    "CreatePassBuilder": (_REF, (_REF, _REF)),
    "DisposePassBuilder": (None, (_REF,)),
    "buildPerModuleDefaultPipeline": (_REF, (_REF, c_int)),
    "RunNewModulePassManager": (None, (_REF, _REF, _REF)),
    "DisposeNewModulePassManger": (None, (_REF,)),
    "TargetMachineEmitToMemory": (_REF, (_REF, _REF, c_int, _OUT)),
    "GetBufferStart": (c_void_p, (_REF,)),
    "GetBufferSize": (c_size_t, (_REF,)),
    "DisposeMemoryBuffer": (None, (_REF,)),
}


def library_path():
    """The path of llvmlite's shared library, found without importing ``llvmlite.binding``."""
    import llvmlite
    from llvmlite.utils import get_library_name
    return os.path.join(os.path.dirname(llvmlite.__file__), "binding", get_library_name())


def version():
    """The installed llvmlite's (major, minor)."""
    import llvmlite
    return tuple(int(part) for part in llvmlite.__version__.split(".")[:2])


def start_preload():
    """A started thread running ``preload``, or None where there is nothing to preload
    (or ``$PYEXPR_PRELOAD`` is ``0``)."""
    try:
        if os.environ.get("PYEXPR_PRELOAD") == "0" or version() not in VERSIONS or os.name != "posix":
            return None
        thread = threading.Thread(target=preload, name="pyexpr-llvm-preload", daemon=True)
        thread.start()
        return thread
    except (ImportError, RuntimeError, ValueError):
        return None


def preload():
    """Load and warm up LLVM ahead of a first compile (see the module docstring); never raises.

    The library is mapped by the C library's ``dlopen`` called through ctypes,
    which, unlike ``ctypes.CDLL``, releases the GIL while the loader works;
    ``load()`` then finds it mapped.
    """
    try:
        libc = ctypes.CDLL(None)
        libc.dlopen.restype, libc.dlopen.argtypes = c_void_p, (c_char_p, c_int)
        libc.dlopen(os.fsencode(library_path()), os.RTLD_NOW | os.RTLD_LOCAL)  # kept open, as CDLL does
        compiler = load()
        if compiler is not None:
            for opt in WARM_UP_LEVELS:
                compiler.compile_ir(WARM_UP, opt, False)
    except Exception:           # a failure here shows up, with its real error, on the first compile
        pass


#: The levels a first compile uses (``cpu.PARTS``: arrays start at O0, calls on floats
#: at O2), each warmed up by ``preload`` with its own target machine.
WARM_UP_LEVELS = (0, 2)
#: The smallest module, compiled once per level by ``preload`` to set up code generation.
WARM_UP = "define double @warm_up(double %x) {\n  %y = fmul double %x, %x\n  ret double %y\n}\n"


@contextmanager
def serialized():
    """Hold ``_LOCK``, and ``llvmlite.binding``'s lock where that module is loaded."""
    with _LOCK:
        binding = sys.modules.get("llvmlite.binding")
        lock = getattr(getattr(getattr(binding, "ffi", None), "lib", None), "_lock", None)
        if lock is None:
            yield
        else:
            with lock:
                yield


def load():
    """The ``Compiler`` over llvmlite's library, or None for releases outside ``VERSIONS``
    or where the library cannot be loaded."""
    with serialized():            # preload's thread and a first compile may ask at once
        return _load()


@lru_cache(maxsize=None)
def _load():
    try:
        if version() not in VERSIONS or os.name != "posix":
            return None
        return Compiler(ctypes.CDLL(library_path()))
    except (OSError, AttributeError, ValueError):
        return None


class Compiler:
    """The C functions of ``_FUNCTIONS`` (attributes without their ``LLVMPY_`` prefix) and
    the compile built from them."""

    def __init__(self, cdll):
        for name, (restype, argtypes) in _FUNCTIONS.items():
            function = getattr(cdll, "LLVMPY_" + name)
            function.restype, function.argtypes = restype, argtypes
            setattr(self, name, function)
        self.InitializeNativeTarget()
        self.InitializeNativeAsmPrinter()
        self._machines, self._builders = {}, {}
        self.triple = self._text(self.GetDefaultTargetTriple)[1]
        self.cpu_name = self._text(self.GetHostCPUName)[1]
        found, features = self._text(self.GetHostCPUFeatures)
        flags = dict((f[1:], f[0] == "+") for f in features.split(",") if f) if found else {}
        self.cpu_features = flags                       # name -> enabled, as LLVM sees the host
        self._features = ",".join(("+" if on else "-") + name for name, on in sorted(flags.items()))

    def _text(self, function, *args):
        """``(result, string)`` of a C function whose last argument receives a string to free."""
        out = c_void_p()
        result = function(*args, ctypes.byref(out))
        if not out.value:
            return result, ""
        try:
            return result, ctypes.string_at(out.value).decode("utf-8")
        finally:
            self.DisposeString(out)

    def _machine(self, opt):
        """``(target machine, data layout)`` for code generation level ``opt``, made once."""
        machines = self._machines
        if opt not in machines:
            target, error = self._text(self.GetTargetFromTriple, self.triple.encode())
            if not target:
                raise RuntimeError(error)
            machine = self.CreateTargetMachine(target, self.triple.encode(), self.cpu_name.encode(),
                                               self._features.encode(), opt, b"default", b"jitdefault",
                                               0, 0, b"")
            if not machine:
                raise RuntimeError("Cannot create target machine")
            data = self.CreateTargetMachineData(machine)
            layout = self._text(self.CopyStringRepOfTargetData, data)[1]
            self.DisposeTargetData(data)
            machines[opt] = machine, layout
        return machines[opt]

    def compile_ir(self, ir_text, opt, vectorize):
        """``(optimized_ir_text, object_bytes)``: parsed, verified, optimized at ``opt`` with
        loop and SLP vectorization on or off, and compiled for the host CPU."""
        if opt not in (0, 1, 2, 3):               # LLVM would reach llvm_unreachable
            raise ValueError(f"LLVM optimization level must be 0, 1, 2 or 3, not {opt!r}")
        with serialized():
            return self._compile(ir_text, opt, vectorize)

    def _compile(self, ir_text, opt, vectorize):
        machine, layout = self._machine(opt)
        # a context of its own: a context keeps every constant and type it has seen, so
        # one shared by all compiles grows with every distinct formula (5 MB a thousand)
        context = self.ContextCreate()
        try:
            return self._compile_in(context, machine, layout, ir_text, opt, vectorize)
        finally:
            self.ContextDispose(context)

    def _compile_in(self, context, machine, layout, ir_text, opt, vectorize):
        module, error = self._text(self.ParseAssembly, context, ir_text.encode("utf-8"))
        if not module or error:
            if module:
                self.DisposeModule(module)
            raise RuntimeError(f"LLVM IR parsing error\n{error}")
        try:
            self.SetTarget(module, self.triple.encode())
            self.SetDataLayout(module, layout.encode())
            failed, error = self._text(self.VerifyModule, module)
            if failed:
                raise RuntimeError(error)
            self._optimize(module, machine, opt, vectorize)
            return self._text(self.PrintModuleToString, module)[1], self._emit(machine, module)
        finally:
            self.DisposeModule(module)

    def _optimize(self, module, machine, opt, vectorize):
        builder = self._builder(machine, opt, vectorize)
        passes = self.buildPerModuleDefaultPipeline(builder, opt)     # a pipeline runs once
        try:
            self.RunNewModulePassManager(passes, module, builder)
        finally:
            self.DisposeNewModulePassManger(passes)

    def _builder(self, machine, opt, vectorize):
        """The pass builder for ``opt`` and ``vectorize``, made anew every ``BUILDER_RUNS``
        runs.  Each run registers its instrumentation callbacks with the builder, and every
        later run calls them all: a builder kept for good made the 1,800th formula's
        optimization 10 ms where the first took 1.5.  Each builder made and disposed keeps
        about 1.4 KB, so one a run would grow the process by 50 MB over 10,000 formulas.
        Compiles are serialized, and each run makes its own analysis managers."""
        key = opt, vectorize
        builder, runs = self._builders.get(key, (None, 0))
        if builder is not None and runs >= BUILDER_RUNS:
            self.DisposePassBuilder(builder)
            builder = None
        if builder is None:
            options = self.CreatePipelineTuningOptions()
            self.PTOSetLoopVectorization(options, vectorize)
            self.PTOSetSLPVectorization(options, vectorize)
            self.PTOSetLoopUnrolling(options, False)      # see engine.compile_ir
            builder, runs = self.CreatePassBuilder(machine, options), 0
            self.DisposePipelineTuningOptions(options)    # the builder holds a copy
        self._builders[key] = builder, runs + 1
        return builder

    def _emit(self, machine, module):
        buffer, error = self._text(self.TargetMachineEmitToMemory, machine, module, 1)
        if not buffer:
            raise RuntimeError(error)
        try:
            return ctypes.string_at(self.GetBufferStart(buffer), self.GetBufferSize(buffer))
        finally:
            self.DisposeMemoryBuffer(buffer)
