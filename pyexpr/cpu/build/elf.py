"""Load an x86-64 ELF object file into executable memory, without LLVM.

``engine.compile_ir`` emits relocatable objects for the large code model,
whose references are absolute 64-bit addresses; loading one is a matter of
copying its sections into fresh memory, writing each referenced symbol's
address into the code and making the code executable.  That is all this
module does, so that a process whose kernels all come from the on-disk
cache never compiles, nor imports ``llvmlite.binding`` for MCJIT (tens of
milliseconds).

``load(data, symbols)`` returns an ``Image`` whose ``address(name)`` and
``global_address(name)`` give the addresses of the object's global symbols,
as ``engine.Library`` does.  External symbols resolve through ``symbols``
(a dict name -> address) first, then libm, libc, the running process and
glibc's libmvec.  Anything this loader does not handle -- another machine,
an unknown relocation type or section index, a symbol that does not resolve
-- raises ``Unsupported``, and callers fall back to ``engine.load_object``.
"""
import ctypes
import mmap
import os
import struct
import sys

SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 0x1, 0x2, 0x4
SHT_SYMTAB, SHT_RELA, SHT_NOBITS = 2, 4, 8
SHN_UNDEF, SHN_ABS = 0, 0xFFF1
#: relocation type -> (struct format, PC-relative)
RELOCATIONS = {1: ("<Q", False), 2: ("<i", True), 4: ("<i", True), 24: ("<q", True)}
_SECTION = struct.Struct("<IIQQQQIIQQ")     # name type flags addr offset size link info align entsize
_SYMBOL = struct.Struct("<IBBHQQ")          # name info other shndx value size
_RELA = struct.Struct("<QQq")               # offset info addend
_LIBRARIES = ["libm.so.6", "libc.so.6", None, "libmvec.so.1"]
_handles = []


class Unsupported(Exception):
    """This object (or this machine) is not one the loader handles."""


def supported():
    return sys.platform.startswith("linux") and os.uname().machine == "x86_64"


class Image:
    """One loaded object: its memory and its global symbols' addresses."""

    def __init__(self, memory, exports):
        self._memory, self._exports = memory, exports

    def address(self, name):
        try:
            return self._exports[name]
        except KeyError:
            raise LookupError(f"symbol {name!r} is not defined in the loaded object") from None

    global_address = address


def load(data, symbols=None):
    """Map the ELF relocatable object ``data`` into executable memory: an ``Image``."""
    if not supported() or data[:4] != b"\x7fELF" or data[4:6] != b"\x02\x01" \
            or struct.unpack_from("<HH", data, 16) != (1, 62):
        raise Unsupported("not an x86-64 little-endian relocatable ELF object on x86-64 Linux")
    shoff, = struct.unpack_from("<Q", data, 40)
    shentsize, shnum = struct.unpack_from("<HH", data, 58)
    sections = [_SECTION.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]
    offsets, size, writable_from = _layout(sections)
    memory = mmap.mmap(-1, max(size, 1), prot=mmap.PROT_READ | mmap.PROT_WRITE)
    base = ctypes.addressof(ctypes.c_char.from_buffer(memory))
    for index, start in offsets.items():
        _, kind, _, _, offset, length, *_ = sections[index]
        if kind != SHT_NOBITS:
            memory[start:start + length] = data[offset:offset + length]
    addresses, exports = _symbols(data, sections, offsets, base, symbols or {})
    for _, kind, _, _, offset, length, _, info, _, _ in sections:
        if kind == SHT_RELA and info in offsets:
            _relocate(memory, data[offset:offset + length], offsets[info], base, addresses)
    if writable_from:
        _protect(base, writable_from, mmap.PROT_READ | mmap.PROT_EXEC)
    return Image(memory, exports)


def _layout(sections):
    """Offsets of the allocated sections: code and constants first, writable data on later pages."""
    offsets, end = {}, 0
    allocated = [i for i, s in enumerate(sections) if s[2] & SHF_ALLOC]
    for writable in (False, True):
        if writable:
            end = -(-end // mmap.PAGESIZE) * mmap.PAGESIZE
            writable_from = end
        for i in allocated:
            if bool(sections[i][2] & SHF_WRITE) == writable:
                align = max(sections[i][8], 1)
                offsets[i] = end = -(-end // align) * align
                end += sections[i][5]
    return offsets, end, writable_from


def _symbols(data, sections, offsets, base, given):
    table = next((s for s in sections if s[1] == SHT_SYMTAB), None)
    if table is None:
        raise Unsupported("no symbol table")
    strings = sections[table[6]][4]
    addresses, exports = [], {}
    for k in range(table[5] // _SYMBOL.size):
        name_at, info, _, shndx, value, _ = _SYMBOL.unpack_from(data, table[4] + k * _SYMBOL.size)
        name = data[strings + name_at:data.index(b"\0", strings + name_at)].decode()
        if shndx == SHN_UNDEF:
            address = _resolve(name, given) if name else 0
        elif shndx == SHN_ABS:
            address = value
        elif shndx in offsets:
            address = base + offsets[shndx] + value
        else:
            address = None                  # a section not loaded (debug info): must not be referenced
        addresses.append(address)
        if info >> 4 in (1, 2) and shndx != SHN_UNDEF and address is not None:   # GLOBAL, WEAK
            exports[name] = address
    return addresses, exports


def _resolve(name, given):
    if name in given:
        return given[name]
    if not _handles:
        for library in _LIBRARIES:
            try:
                _handles.append(ctypes.CDLL(library))
            except OSError:
                pass
    for handle in _handles:
        try:
            return ctypes.cast(handle[name], ctypes.c_void_p).value
        except AttributeError:
            continue
    raise Unsupported(f"symbol {name!r} does not resolve")


def _relocate(memory, table, start, base, addresses):
    for k in range(len(table) // _RELA.size):
        offset, info, addend = _RELA.unpack_from(table, k * _RELA.size)
        kind, symbol = info & 0xFFFFFFFF, info >> 32
        if kind not in RELOCATIONS or addresses[symbol] is None:
            raise Unsupported(f"relocation type {kind} against symbol #{symbol}")
        fmt, relative = RELOCATIONS[kind]
        value = addresses[symbol] + addend - (base + start + offset if relative else 0)
        if fmt == "<i" and not -2**31 <= value < 2**31:
            raise Unsupported("a 32-bit relative reference out of range")
        struct.pack_into(fmt, memory, start + offset, value)


def _protect(base, length, prot):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    if libc.mprotect(base, length, prot) != 0:
        raise Unsupported(f"mprotect failed (errno {ctypes.get_errno()}): executable memory refused")
