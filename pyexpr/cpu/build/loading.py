"""Object code to loaded code: from the disk cache where it is, else compiled and stored.

``load_or_compile(key, make, symbols)`` is how every part of a kernel, every loop
module and every shared binder reaches memory (``kernel``, ``loops``): the cached
entry loaded by pyexpr's own ELF loader (``elf``), or ``make()`` compiled, stored
and loaded.
"""
import warnings

from . import cache, elf


def load(obj, symbols=None):
    """Loaded object code just compiled: ``elf.load``, or ``engine.load_object`` where that cannot."""
    try:
        return elf.load(obj, symbols)
    except elf.Unsupported:
        return _load_object(obj, symbols)


def _load_object(obj, symbols):
    from . import engine
    return engine.load_object(obj, symbols)


def load_or_compile(key, make, symbols=None, use_cache=True, compile=True):
    """``(optimized_ir_text, loaded code)`` of the disk cache's entry ``key``, else of
    ``make()`` (a compilation, then stored under ``key``); None where the entry is
    missing and not ``compile``.

    Cached code is loaded by ``elf.load`` alone, whose checks stand between the
    file and executable memory; LLVM's loader, which trusts its input (garbage can
    crash it), gets only code compiled in this process, or cached code where the
    ELF loader does not run at all (another system or machine).  An entry the ELF
    loader refuses (``elf.Malformed``, or any ``Unsupported``) is recompiled and
    stored over, with a warning -- unless compiling gives the very same bytes: then
    the entry was sound, and only the ELF loader cannot take it.
    """
    hit = cache.load(key) if use_cache else None
    refused = None
    if hit is not None:
        try:
            return hit[0], elf.load(hit[1], symbols)
        except elf.Unsupported as exc:
            if not elf.supported():
                return hit[0], _load_object(hit[1], symbols)
            refused = exc
    elif not compile:
        return None
    fresh = make()
    if refused is not None and fresh[1] != hit[1]:
        warnings.warn(f"pyexpr: cache entry {cache.cache_dir() / (key + '.o')} is malformed "
                      f"({refused}); recompiling", stacklevel=2)
    if use_cache:
        cache.store(key, *fresh)
    return fresh[0], load(fresh[1], symbols)
