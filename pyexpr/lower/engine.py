"""The only module that touches ``llvmlite.binding``: optimize, codegen, load.

* ``compile_ir(ir_text)`` parses and verifies LLVM IR, optimizes it for the
  host CPU with the new pass manager (O3, loop and SLP vectorization on) and
  emits an object file: ``(optimized_ir_text, object_bytes)``.  Each call is
  one real code generation: it increments ``CODEGEN_COUNT`` and logs a DEBUG
  line on the ``pyexpr.lower.engine`` logger, so tests can prove that a cache
  hit did none.
* ``load_object(object_bytes)`` links an object into a fresh MCJIT engine and
  returns a ``Library`` that resolves symbol addresses and keeps the code
  alive.  libm functions resolve against the running process.
* ``host_fingerprint()`` names everything the object code depends on besides
  the IR: llvmlite/LLVM version, target triple, CPU name and features.

LLVM calls are serialized by a lock: compiling from several threads is safe.
"""
import logging
import threading
from functools import lru_cache

import llvmlite
import llvmlite.binding as llvm

log = logging.getLogger(__name__)

#: Number of real LLVM optimization + code generation runs in this process.
CODEGEN_COUNT = 0
OPT_LEVEL = 3

_LOCK = threading.RLock()


def _new_target_machine():
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                        features=llvm.get_host_cpu_features().flatten(),
                                        opt=OPT_LEVEL, reloc="default", codemodel="jitdefault")


@lru_cache(maxsize=None)
def _target_machine():
    """The target machine of ``compile_ir``; never handed to an engine."""
    return _new_target_machine()


@lru_cache(maxsize=None)
def host_fingerprint():
    """A string that changes whenever object code built here may not run or match."""
    with _LOCK:
        _target_machine()
        return "|".join([llvmlite.__version__, ".".join(map(str, llvm.llvm_version_info)),
                         llvm.get_process_triple(), llvm.get_host_cpu_name(),
                         llvm.get_host_cpu_features().flatten(), f"O{OPT_LEVEL}"])


def compile_ir(ir_text):
    """Optimize and compile LLVM IR text: ``(optimized_ir_text, object_bytes)``."""
    global CODEGEN_COUNT
    with _LOCK:
        tm = _target_machine()
        module = llvm.parse_assembly(ir_text)
        module.triple = tm.triple
        module.data_layout = str(tm.target_data)
        module.verify()
        _optimize(module, tm)
        optimized, obj = str(module), tm.emit_object(module)
        CODEGEN_COUNT += 1
    log.debug("codegen #%d: module %s, %d bytes of object code", CODEGEN_COUNT, module.name, len(obj))
    return optimized, obj


def _optimize(module, tm):
    options = llvm.create_pipeline_tuning_options(speed_level=OPT_LEVEL)
    options.loop_vectorization = True
    options.slp_vectorization = True
    builder = llvm.create_pass_builder(tm, options)
    builder.getModulePassManager().run(module, builder)


class Library:
    """Object code loaded into an MCJIT engine; owns the engine, hence the code."""

    def __init__(self, obj):
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
        llvm.add_symbol(name, address)


def load_object(obj):
    """A ``Library`` holding the object code ``obj`` (bytes from ``compile_ir``)."""
    return Library(obj)
