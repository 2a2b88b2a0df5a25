"""Damaged copies of a real ELF object, for the loader's checks and the cache's.

``DAMAGES`` maps a name to ``(damage, match)``: ``damage(obj)`` patches the bytes
of an object ``engine.compile_ir`` made (fields at their ELF64 offsets) and
``match`` is a pattern of the message ``elf.load`` refuses it with -- as
``elf.Malformed``, but for the two that are no ELF object at all (``NOT_ELF``),
which are only ``elf.Unsupported`` (on another system they could be its objects).
"""
import random
import struct

from pyexpr.cpu.build import elf

#: offsets of the fields in an ELF64 section header, and its size
SH = dict(name=0, type=4, flags=8, addr=16, offset=24, size=32, link=40, info=44, align=48, entsize=56)
SH_SIZE, SYM_SIZE, RELA_SIZE = 64, 24, 24
NOT_ELF = {"random bytes", "empty"}


def section_headers(obj):
    """``[(offset of the header in obj, elf.Section)]`` of every section."""
    shoff, = struct.unpack_from("<Q", obj, 40)
    shnum, = struct.unpack_from("<H", obj, 60)
    return [(shoff + i * SH_SIZE, elf.Section(*struct.unpack_from("<IIQQQQIIQQ", obj, shoff + i * SH_SIZE)))
            for i in range(shnum)]


def _find(obj, test):
    """(index, header offset, section) of the first section passing ``test``."""
    return next((i, at, s) for i, (at, s) in enumerate(section_headers(obj)) if test(s))


def _set(obj, fmt, at, value):
    data = bytearray(obj)
    struct.pack_into(fmt, data, at, value)
    return bytes(data)


def _set_section(obj, test, field, value, fmt="<Q"):
    _, at, _ = _find(obj, test)
    return _set(obj, "<I" if SH[field] in (4, 40, 44) else fmt, at + SH[field], value)


def _symbols(obj):
    """(symbol table section, [(offset of the entry in obj, name offset, shndx, value)])."""
    _, _, table = _find(obj, lambda s: s.type == elf.SHT_SYMTAB)
    entries = []
    for k in range(table.size // SYM_SIZE):
        at = table.offset + k * SYM_SIZE
        name, _, _, shndx, value, _ = struct.unpack_from("<IBBHQQ", obj, at)
        entries.append((at, name, shndx, value))
    return table, entries


def _named_symbol(obj):
    """The entry of the symbol whose name lies last in the string table."""
    return max(_symbols(obj)[1], key=lambda e: e[1])


def _defined_symbol(obj):
    """The first symbol defined in a loaded section, and that section's size."""
    sections = [s for _, s in section_headers(obj)]
    at, _, shndx, _ = next(e for e in _symbols(obj)[1] if 0 < e[2] < len(sections)
                           and sections[e[2]].flags & elf.SHF_ALLOC and sections[e[2]].size)
    return at, sections[shndx].size


def _relocation(obj):
    """(offset in obj of the first relocation of a loaded section, that section's size)."""
    sections = [s for _, s in section_headers(obj)]
    rela = next(s for s in sections if s.type == elf.SHT_RELA and sections[s.info].flags & elf.SHF_ALLOC
                and s.size)
    return rela.offset, sections[rela.info].size


def _name_without_nul(obj):
    # the string table ends where the last name's NUL was: that name runs off its end
    table, _ = _symbols(obj)
    strings = section_headers(obj)[table.link][1]
    name_at = _named_symbol(obj)[1]
    end = obj.index(b"\0", strings.offset + name_at) - strings.offset
    return _set_section(obj, lambda s: s == strings, "size", end)


def _not_utf8(obj):
    table, _ = _symbols(obj)
    strings = section_headers(obj)[table.link][1]
    return _set(obj, "<B", strings.offset + _named_symbol(obj)[1], 0xFF)


def _code(s):
    return s.flags & elf.SHF_EXECINSTR and s.size > 0


def _rela(s):
    return s.type == elf.SHT_RELA


def _symtab(s):
    return s.type == elf.SHT_SYMTAB


DAMAGES = {
    "e_shoff past the end": (lambda o: _set(o, "<Q", 40, len(o) + 8), "section header table"),
    "e_shnum huge": (lambda o: _set(o, "<H", 60, 0xFFFF), "section header table"),
    "e_shentsize wrong": (lambda o: _set(o, "<H", 58, 40), "section headers of 40 bytes"),
    "header cut short": (lambda o: o[:40], "shorter than an ELF header"),
    "section offset past the end": (lambda o: _set_section(o, _code, "offset", len(o)), r"section #\d+ .*past"),
    "section size past the end": (lambda o: _set_section(o, _code, "size", len(o)), r"section #\d+ .*past"),
    "symtab sh_link out of range": (lambda o: _set_section(o, _symtab, "link", 999), "string table"),
    "symtab sh_link not a string table": (lambda o: _set_section(o, _symtab, "link", 0), "string table"),
    "symtab entsize wrong": (lambda o: _set_section(o, _symtab, "entsize", 16), "symbols of 16 bytes"),
    "symbol name past the strtab": (lambda o: _set(o, "<I", _named_symbol(o)[0], 1 << 20),
                                    "past the .*string table"),
    "symbol name without a NUL": (_name_without_nul, "no NUL"),
    "symbol name not UTF-8": (_not_utf8, "not UTF-8"),
    "symbol shndx out of range": (lambda o: _set(o, "<H", _defined_symbol(o)[0] + 6, 999),
                                  "section of symbol"),
    "symbol value past its section": (lambda o: _set(o, "<Q", _defined_symbol(o)[0] + 8,
                                                     _defined_symbol(o)[1] + 1), "past the end of its"),
    "relocation symbol out of range": (lambda o: _set(o, "<I", _relocation(o)[0] + 12, 1 << 20),
                                       "symbol of relocation"),
    "relocation offset past its section": (lambda o: _set(o, "<Q", _relocation(o)[0], _relocation(o)[1] - 2),
                                           r"relocation #0 .* writes bytes"),
    "RELA sh_info out of range": (lambda o: _set_section(o, _rela, "info", 999), "target of relocation"),
    "RELA sh_link not the symtab": (lambda o: _set_section(o, _rela, "link", 0), "refers to symbol table"),
    "alignment of 3": (lambda o: _set_section(o, _code, "align", 3), "alignment of 3"),
    "alignment beyond a page": (lambda o: _set_section(o, _code, "align", 1 << 21), "alignment of"),
    "NOBITS of 2**40": (lambda o: _set_section(_set_section(o, _code, "type", elf.SHT_NOBITS),
                                               lambda s: s.type == elf.SHT_NOBITS, "size", 2**40),
                        "bytes of memory"),
    "random bytes": (lambda o: random.Random(len(o)).randbytes(len(o)), "not an x86-64"),
    "truncated to half": (lambda o: o[:len(o) // 2], "past the end"),
    "empty": (lambda o: b"", "not an x86-64"),
}
