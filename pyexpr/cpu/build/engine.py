"""The only module that compiles LLVM IR: optimize, codegen, load.

* ``compile_ir(ir_text, opt=3, vectorize=True)`` parses and verifies LLVM
  IR, optimizes it for the host CPU with the new pass manager at level
  ``opt`` (loop and SLP vectorization on or off; loop unrolling off: the
  vector loops unroll themselves where it pays, and unrolling the
  per-output loops around them took half of a large module's compile,
  2.4 of 4.9 s for a 10x10 Hessian) and emits an object file:
  ``(optimized_ir_text, object_bytes)``.  It goes through ``llvmcapi``
  (llvmlite's library called directly, which spares importing
  ``llvmlite.binding``) where that supports the installed llvmlite, and
  through ``llvmlite.binding`` otherwise; both give the same bytes.  Each call is
  one real code generation: it increments ``CODEGEN_COUNT``, so tests can
  prove that a cache hit did none, and logs a DEBUG line on the
  ``pyexpr.cpu.build.engine`` logger (where ``logging`` is in use: importing it
  would cost a first compile 4 ms).
* ``load_object(object_bytes, symbols)`` links an object into a fresh MCJIT
  engine and returns a ``Library`` that resolves symbol addresses and keeps
  the code alive: the fallback of ``elf.load``.  libm and libmvec functions
  resolve against the running process.
* ``host_features()`` and ``check_target(vector_target)``: LLVM's view of
  the CPU, and a check that it agrees with ``host.vector_target``'s.

``llvmlite.binding`` is imported only where it is used.  Compiling from
several threads is safe: ``llvmcapi`` serializes its calls, and on the
``llvmlite.binding`` path each thread has its own LLVM context and target
machines (and llvmlite serializes each call); loading into MCJIT is
serialized by a lock.
"""
import sys
import threading
from functools import lru_cache

from . import llvmcapi
from ..codegen.vector_abi import ISAS



def _debug(message, *args):
    # Not imported, or still being imported by another thread (a thread pool's first use
    # imports it): no handler can be listening yet, and the half-made module has no getLogger.
    logging = sys.modules.get("logging")
    if logging is not None and not getattr(logging.__spec__, "_initializing", False):
        logging.getLogger(__name__).debug(message, *args)


#: Number of real LLVM optimization + code generation runs in this process.
CODEGEN_COUNT = 0
LIBMVEC = "libmvec.so.1"

_LOCK = threading.RLock()           # MCJIT engines and the process-wide symbol table
_COUNT_LOCK = threading.Lock()
_local = threading.local()


@lru_cache(maxsize=None)
def binding():
    """``llvmlite.binding``, imported and its native target initialized."""
    import llvmlite.binding as llvm
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    return llvm


def _new_target_machine(opt=3):
    llvm = binding()
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                        features=llvm.get_host_cpu_features().flatten(),
                                        opt=opt, reloc="default", codemodel="jitdefault")


def _machine(opt):
    """This thread's target machine for code generation level ``opt``.

    LLVM may compile on several threads at once as long as each has its own
    context and target machine, so ``compile_ir`` takes no lock.
    """
    machines = _local.__dict__.setdefault("machines", {})
    if opt not in machines:
        machines[opt] = _new_target_machine(opt)
    return machines[opt]


def host_features():
    """The CPU features LLVM enables for this host (a frozenset of names like "avx2")."""
    direct = llvmcapi.load()
    if direct is not None:
        return frozenset(name for name, on in direct.cpu_features.items() if on)
    with _LOCK:
        return frozenset(name for name, on in binding().get_host_cpu_features().items() if on)


def check_target(target):
    """Raise ``RuntimeError`` unless LLVM's host features allow ``target``'s vector ISA (or None)."""
    if target is None:
        return
    missing = [f for f in ISAS[target.isa].features if f not in host_features()]
    if missing:
        raise RuntimeError(f"the CPU reports {target.isa} but LLVM does not enable {', '.join(missing)} "
                           f"for it; set PYEXPR_SIMD to a narrower ISA or to 'none'")


def compile_ir(ir_text, opt=3, vectorize=True):
    """Optimize and compile LLVM IR text: ``(optimized_ir_text, object_bytes)``."""
    global CODEGEN_COUNT
    direct = llvmcapi.load()
    if direct is not None:
        optimized, obj = direct.compile_ir(ir_text, opt, vectorize)
    else:
        optimized, obj = compile_with_binding(ir_text, opt, vectorize)
    with _COUNT_LOCK:
        CODEGEN_COUNT += 1
    _debug("codegen #%d: %s, O%d, %d bytes of object code", CODEGEN_COUNT,
              "llvmlite's library" if direct else "llvmlite.binding", opt, len(obj))
    return optimized, obj


def compile_with_binding(ir_text, opt=3, vectorize=True):
    """``compile_ir`` through ``llvmlite.binding``."""
    tm = _machine(opt)
    # a context of each compile's own, as llvmcapi's (a context keeps every constant and type)
    context = binding().create_context()
    try:
        module = binding().parse_assembly(ir_text, context)
        try:
            module.triple = tm.triple
            module.data_layout = str(tm.target_data)
            module.verify()
            _optimize(module, tm, opt, vectorize)
            return str(module), tm.emit_object(module)
        finally:
            module.close()
    finally:
        context.close()


def _optimize(module, tm, opt, vectorize):
    llvm = binding()
    options = llvm.create_pipeline_tuning_options(speed_level=opt)
    options.loop_vectorization = vectorize
    options.slp_vectorization = vectorize
    options.loop_unrolling = False
    builder = llvm.create_pass_builder(tm, options)
    builder.getModulePassManager().run(module, builder)


class Library:
    """Object code loaded into an MCJIT engine; owns the engine, hence the code."""

    def __init__(self, obj):
        llvm = binding()
        with _LOCK:
            # the engine takes ownership of (and destroys) its target machine
            self._engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), _new_target_machine())
            self._bytes = obj            # the loaded object file points into these bytes
            self._object = llvm.ObjectFileRef.from_data(obj)
            self._engine.add_object_file(self._object)
            self._engine.finalize_object()

    def address(self, name):
        """The address of the function ``name``; ``LookupError`` if absent."""
        with _LOCK:
            addr = self._engine.get_function_address(name)
        if not addr:
            raise LookupError(f"symbol {name!r} is not defined in the compiled object")
        return addr

    def global_address(self, name):
        """The address of the global variable ``name``; ``LookupError`` if absent."""
        with _LOCK:
            addr = self._engine.get_global_value_address(name)
        if not addr:
            raise LookupError(f"global {name!r} is not defined in the compiled object")
        return addr


def add_symbol(name, address):
    """Make ``name`` resolve to ``address`` in code loaded afterwards (CPython API symbols)."""
    with _LOCK:
        binding().add_symbol(name, address)


def load_object(obj, symbols=None):
    """A ``Library`` holding the object code ``obj`` (bytes from ``compile_ir``).

    ``symbols`` (name -> address) are added first; libmvec is made visible.
    """
    for name, address in (symbols or {}).items():
        add_symbol(name, address)
    _load_libmvec()
    return Library(obj)


@lru_cache(maxsize=None)
def _load_libmvec():
    try:
        binding().load_library_permanently(LIBMVEC)
    except RuntimeError:
        _debug("no %s: kernels call scalar libm only", LIBMVEC)
