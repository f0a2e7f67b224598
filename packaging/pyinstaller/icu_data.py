"""A smaller ICU data library for the Linux bundle (used by mailapp.spec).

Qt Core on Linux links ICU, whose data library (libicudata.so.NN, ~32 MB) is the bundle's
largest file. Qt calls only a few ICU services: converters (QStringDecoder for a charset by
name), collation (QCollator, file dialogs' sorting), time-zone display names and case mapping.
So this keeps every converter table, the collation and time-zone data, and the locale bundles
of the languages the app speaks (and root, which every lookup falls back to), and drops what Qt
never opens: break iteration, units, currencies, language and region names, transliteration,
number spelling, stringprep, spoof checking, character names, normalization data Qt has of its
own, and other languages' bundles (~24 MB).

The data is ICU's "common data" package (a header, then a table of contents of named items);
it is rebuilt with the kept items and assembled into a shared library exporting the same symbol
(icudtNN_dat) under the same soname. `mailapp --smoke-test` asks Qt for each of those services,
so a bundle whose ICU lost one of them fails its build.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

# Item folders of the package that Qt never opens (see the module docstring).
DROPPED_TREES = {"brkitr", "unit", "curr", "lang", "region", "translit", "rbnf"}
# Stringprep profiles, confusables, and normalization beyond NFC (which is built into the
# common library) for IDNA and NFKC: Qt has its own IDNA and normalization.
DROPPED_SUFFIXES = (".spp", ".cfu", ".nrm")
DROPPED_FILES = {"unames.icu"}  # Unicode character names
LOCALE = re.compile(r"[a-z]{2,3}(_[A-Za-z0-9]+)*")
SYMBOL = re.compile(rb"icudt\d+_dat")
ALIGN = 16


def _sections(elf: bytes) -> list[tuple[str, int, int, int, int]]:
    """(name, type, address, offset, size, link) of each section of a little-endian ELF64."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise ValueError("not a little-endian 64-bit ELF file")
    shoff = struct.unpack_from("<Q", elf, 0x28)[0]
    entsize, count, names_index = struct.unpack_from("<HHH", elf, 0x3A)
    raw = [struct.unpack_from("<IIQQQQII", elf, shoff + i * entsize) for i in range(count)]
    names_offset = raw[names_index][4]

    def name(at: int) -> str:
        start = names_offset + at
        return elf[start : elf.index(b"\0", start)].decode()

    return [(name(s[0]), s[1], s[3], s[4], s[5], s[6]) for s in raw]  # type: ignore[misc]


def data_blob(library: Path) -> tuple[str, bytes]:
    """The data symbol's name and bytes."""
    elf = library.read_bytes()
    sections = _sections(elf)
    (dynsym,) = [s for s in sections if s[0] == ".dynsym"]
    strings = sections[dynsym[5]][3]
    for at in range(dynsym[3], dynsym[3] + dynsym[4], 24):
        name_at, _info, _other, index, value, size = struct.unpack_from("<IBBHQQ", elf, at)
        start = strings + name_at
        name = elf[start : elf.index(b"\0", start)]
        if SYMBOL.fullmatch(name) and index != 0:
            _name, _type, address, offset, _size, _link = sections[index]
            begin = offset + value - address
            return name.decode(), elf[begin : begin + size]
    raise ValueError(f"{library} exports no icudtNN_dat symbol")


def _items(blob: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    header_size = struct.unpack_from("<H", blob, 0)[0]
    if blob[2:4] != b"\xda\x27" or blob[12:16] != b"CmnD" or header_size % ALIGN:
        raise ValueError("not an ICU common data package")
    toc = blob[header_size:]
    (count,) = struct.unpack_from("<I", toc, 0)
    entries = [struct.unpack_from("<II", toc, 4 + 8 * i) for i in range(count)]
    items = []
    for i, (name_at, data_at) in enumerate(entries):
        end = entries[i + 1][1] if i + 1 < count else len(toc)
        name = toc[name_at : toc.index(b"\0", name_at)].decode()
        items.append((name, toc[data_at:end]))
    return blob[:header_size], items


def wanted(name: str, languages: set[str]) -> bool:
    """Whether an item ("icudt73l/coll/de.res") is kept."""
    _package, *folders, file = name.split("/")
    if folders and folders[0] in DROPPED_TREES:
        return False
    if file.endswith(DROPPED_SUFFIXES) or file in DROPPED_FILES:
        return False
    stem, _dot, suffix = file.rpartition(".")
    if suffix == "res" and LOCALE.fullmatch(stem):
        return stem.split("_")[0] in languages
    return True


def package(blob: bytes, languages: set[str]) -> bytes:
    """The package with only the wanted items, in the same (sorted) order."""
    header, items = _items(blob)
    kept = [(name, data) for name, data in items if wanted(name, languages)]
    names = b"".join(name.encode() + b"\0" for name, _data in kept)
    table_size = 4 + 8 * len(kept)
    data_at = -(-(table_size + len(names)) // ALIGN) * ALIGN
    entries, name_at, chunks = [], table_size, []
    for name, data in kept:
        entries.append(struct.pack("<II", name_at, data_at))
        name_at += len(name.encode()) + 1
        padded = data + b"\0" * (-len(data) % ALIGN)
        chunks.append(padded)
        data_at += len(padded)
    toc = struct.pack("<I", len(kept)) + b"".join(entries) + names
    toc += b"\0" * (-len(toc) % ALIGN)
    return header + toc + b"".join(chunks)


def trimmed_library(library: Path, out: Path, languages: set[str]) -> Path | None:
    """A trimmed copy of `library` in `out` (same file name), or None where it cannot be made
    here (no C compiler, an unknown layout): the bundle then keeps the full library."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        print(f"icu_data: no C compiler; {library.name} is bundled whole")
        return None
    try:
        symbol, blob = data_blob(library)
        smaller = package(blob, languages)
    except (ValueError, IndexError, struct.error) as error:
        print(f"icu_data: {library.name} is bundled whole: {error}")
        return None
    out.mkdir(parents=True, exist_ok=True)
    data = out / f"{symbol}.dat"
    data.write_bytes(smaller)
    source = out / f"{symbol}.S"
    source.write_text(
        "\t.section .rodata\n"
        f"\t.globl {symbol}\n\t.type {symbol}, @object\n\t.balign {ALIGN}\n"
        f'{symbol}:\n\t.incbin "{data}"\n\t.size {symbol}, . - {symbol}\n'
        '\t.section .note.GNU-stack,"",@progbits\n'
    )
    target = out / library.name
    subprocess.run(
        [compiler, "-shared", "-nostdlib", f"-Wl,-soname,{library.name}", "-o", str(target),
         str(source)],
        check=True,
        timeout=120,
    )  # fmt: skip
    print(f"icu_data: {library.name} {len(blob) / 1e6:.1f} MB -> {len(smaller) / 1e6:.1f} MB")
    return target
