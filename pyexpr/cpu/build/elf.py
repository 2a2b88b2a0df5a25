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
-- raises ``Unsupported``, and callers fall back to ``engine.load_object``
for code they have just compiled.

Every offset, size and index read from the object is checked against what
it points into before any memory is mapped: the section header table and
each section's bytes lie inside the file, alignments are powers of two up
to a page, the sections add up to at most ``MAX_IMAGE``, the symbol table's
string table exists, names lie inside it (NUL-terminated, UTF-8), symbols
lie inside their sections, and relocations name existing symbols and write
inside their section.  An object failing any of these raises ``Malformed``
(an ``Unsupported``).  Callers loading from the disk cache take any refusal
for a bad entry and compile afresh (``loading.load_or_compile``): cached bytes
never reach LLVM's loader, which trusts what it is given.
"""
import ctypes
import mmap
import os
import struct
import sys
import threading
from collections import namedtuple

SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 0x1, 0x2, 0x4
SHT_SYMTAB, SHT_STRTAB, SHT_RELA, SHT_NOBITS = 2, 3, 4, 8
SHN_UNDEF, SHN_LORESERVE, SHN_ABS = 0, 0xFF00, 0xFFF1
#: relocation type -> (struct format, PC-relative)
RELOCATIONS = {1: ("<Q", False), 2: ("<i", True), 4: ("<i", True), 24: ("<q", True)}
#: more than the sections of any kernel add up to (NOBITS included): beyond it an object is damage
MAX_IMAGE = 1 << 30
_HEADER = 64                                # bytes of the ELF64 file header
_SECTION = struct.Struct("<IIQQQQIIQQ")
_SYMBOL = struct.Struct("<IBBHQQ")          # name info other shndx value size
_RELA = struct.Struct("<QQq")               # offset info addend
Section = namedtuple("Section", "name type flags addr offset size link info align entsize")
_LIBRARIES = ["libm.so.6", "libc.so.6", None, "libmvec.so.1"]
_handles = []
_handles_lock = threading.Lock()


class Unsupported(Exception):
    """This object (or this machine) is not one the loader handles."""


class Malformed(Unsupported):
    """The object is damaged: an offset, size or index in it points outside what it holds."""


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
            or data[16:20] != struct.pack("<HH", 1, 62):
        raise Unsupported("not an x86-64 little-endian relocatable ELF object on x86-64 Linux")
    # everything is read and checked before anything is mapped
    sections = _sections(data)
    offsets, size, writable_from = _layout(sections)
    symtab, entries = _symbol_table(data, sections)
    relocations = _relocations(data, sections, symtab, len(entries))
    given = symbols or {}
    externals = {name: _resolve(name, given)
                 for name, _, shndx, _ in entries if name and shndx == SHN_UNDEF}
    memory = mmap.mmap(-1, max(size, 1), prot=mmap.PROT_READ | mmap.PROT_WRITE)
    base = ctypes.addressof(ctypes.c_char.from_buffer(memory))
    for index, start in offsets.items():
        s = sections[index]
        if s.type != SHT_NOBITS:
            memory[start:start + s.size] = data[s.offset:s.offset + s.size]
    addresses, exports = [], {}
    for name, info, shndx, value in entries:
        if shndx == SHN_UNDEF:
            address = externals.get(name, 0)
        elif shndx == SHN_ABS:
            address = value
        elif shndx in offsets:
            address = base + offsets[shndx] + value
        else:
            address = None                  # a section not loaded (debug info): must not be referenced
        addresses.append(address)
        if info >> 4 in (1, 2) and shndx != SHN_UNDEF and address is not None:   # GLOBAL, WEAK
            exports[name] = address
    for target, table in relocations:
        _relocate(memory, table, offsets[target], base, addresses)
    if writable_from:
        _protect(base, writable_from, mmap.PROT_READ | mmap.PROT_EXEC)
    return Image(memory, exports)


# --- the checks: each names what is wrong, in terms of the object ---------------------------

def _check(ok, what):
    if not ok:
        raise Malformed(what)


def _check_span(data, offset, length, what):
    """``length`` bytes at ``offset`` lie inside ``data`` (ints are unbounded: no wrap-around)."""
    _check(offset + length <= len(data), f"{what} (bytes {offset}..{offset + length}) lies past "
                                         f"the end of the {len(data)}-byte object")


def _check_index(index, count, what):
    _check(0 <= index < count, f"{what} is #{index}, of {count}")


def _string(data, table, at, what):
    """The NUL-terminated UTF-8 string at ``at`` in the string table section ``table``."""
    _check(at < table.size, f"{what} starts at {at}, past the {table.size}-byte string table")
    end = data.find(b"\0", table.offset + at, table.offset + table.size)
    _check(end >= 0, f"{what} has no NUL inside the string table")
    try:
        return data[table.offset + at:end].decode()
    except UnicodeDecodeError:
        raise Malformed(f"{what} is not UTF-8") from None


def _sections(data):
    _check(len(data) >= _HEADER, f"{len(data)} bytes, shorter than an ELF header")
    shoff, = struct.unpack_from("<Q", data, 40)
    shentsize, shnum = struct.unpack_from("<HH", data, 58)
    _check(shentsize == _SECTION.size, f"section headers of {shentsize} bytes, not {_SECTION.size}")
    _check(shnum > 0, "no section headers")         # (0 would mean a count elsewhere: LLVM never needs it)
    _check_span(data, shoff, shnum * _SECTION.size, "the section header table")
    sections = [Section(*_SECTION.unpack_from(data, shoff + i * _SECTION.size)) for i in range(shnum)]
    for i, s in enumerate(sections):
        if s.type != SHT_NOBITS:
            _check_span(data, s.offset, s.size, f"section #{i}")
        # the memory is page-aligned: larger alignments could not be honoured, nor could 0 < x not 2**k
        _check(not s.flags & SHF_ALLOC or (s.align & (s.align - 1) == 0 and s.align <= mmap.PAGESIZE),
               f"section #{i} asks for an alignment of {s.align}, not a power of two up to a page")
    return sections


def _layout(sections):
    """Offsets of the allocated sections: code and constants first, writable data on later pages."""
    offsets, end = {}, 0
    allocated = [i for i, s in enumerate(sections) if s.flags & SHF_ALLOC]
    for writable in (False, True):
        if writable:
            end = -(-end // mmap.PAGESIZE) * mmap.PAGESIZE
            writable_from = end
        for i in allocated:
            if bool(sections[i].flags & SHF_WRITE) == writable:
                align = max(sections[i].align, 1)
                offsets[i] = end = -(-end // align) * align
                end += sections[i].size
    _check(end <= MAX_IMAGE, f"the sections need {end} bytes of memory, more than {MAX_IMAGE}")
    return offsets, end, writable_from


def _symbol_table(data, sections):
    """The symbol table's index and its entries, ``(name, info, shndx, value)``."""
    index = next((i for i, s in enumerate(sections) if s.type == SHT_SYMTAB), None)
    _check(index is not None, "no symbol table")
    table = sections[index]
    _check(table.entsize == _SYMBOL.size, f"symbols of {table.entsize} bytes, not {_SYMBOL.size}")
    _check_index(table.link, len(sections), "the symbol table's string table")
    strings = sections[table.link]
    _check(strings.type == SHT_STRTAB,
           f"the symbol table's string table #{table.link} is of type {strings.type}")
    entries = []
    for k in range(table.size // _SYMBOL.size):
        name_at, info, _, shndx, value, _ = _SYMBOL.unpack_from(data, table.offset + k * _SYMBOL.size)
        name = _string(data, strings, name_at, f"the name of symbol #{k}")
        if shndx < SHN_LORESERVE:               # a section's (reserved indices: ABS, COMMON, ...)
            _check_index(shndx, len(sections), f"the section of symbol #{k} ({name!r})")
            _check(value <= sections[shndx].size, f"symbol #{k} ({name!r}) is at {value}, past the "
                                                  f"end of its {sections[shndx].size}-byte section #{shndx}")
        entries.append((name, info, shndx, value))
    return index, entries


def _relocations(data, sections, symtab, count):
    """``(target section index, [(offset, type, symbol, addend)])`` of each relocation
    section that applies to a loaded section, every entry inside its target."""
    found = []
    for i, s in enumerate(sections):
        if s.type != SHT_RELA:
            continue
        _check(s.entsize == _RELA.size, f"relocation section #{i} has entries of {s.entsize} bytes")
        _check(s.link == symtab, f"relocation section #{i} refers to symbol table #{s.link}, not #{symtab}")
        _check_index(s.info, len(sections), f"the target of relocation section #{i}")
        target = sections[s.info]
        if not target.flags & SHF_ALLOC:
            continue                            # debug info: not loaded, so not relocated
        table = []
        for k in range(s.size // _RELA.size):
            offset, info, addend = _RELA.unpack_from(data, s.offset + k * _RELA.size)
            kind, symbol = info & 0xFFFFFFFF, info >> 32
            if kind not in RELOCATIONS:
                raise Unsupported(f"relocation type {kind} against symbol #{symbol}")
            _check_index(symbol, count, f"the symbol of relocation #{k} of section #{i}")
            width = struct.calcsize(RELOCATIONS[kind][0])
            _check(offset + width <= target.size, f"relocation #{k} of section #{i} writes bytes "
                   f"{offset}..{offset + width} of a {target.size}-byte section")
            table.append((offset, kind, symbol, addend))
        found.append((s.info, table))
    return found


def _resolve(name, given):
    if name in given:
        return given[name]
    if not _handles:
        with _handles_lock:         # one thread opens them; no other sees a partial list
            if not _handles:
                handles = []
                for library in _LIBRARIES:
                    try:
                        handles.append(ctypes.CDLL(library))
                    except OSError:
                        pass
                _handles[:] = handles
    for handle in _handles:
        try:
            return ctypes.cast(handle[name], ctypes.c_void_p).value
        except AttributeError:
            continue
    raise Unsupported(f"symbol {name!r} does not resolve")


def _relocate(memory, table, start, base, addresses):
    for offset, kind, symbol, addend in table:
        if addresses[symbol] is None:
            raise Unsupported(f"relocation type {kind} against symbol #{symbol}, in a section not loaded")
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
