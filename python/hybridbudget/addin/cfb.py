"""A minimal compound file (MS-CFB, version 3) writer: streams in storages, nothing else.

Enough for a vbaProject.bin: 512-byte sectors, streams under 4,096 bytes in the mini stream, one
FAT of at most 109 sectors (files up to about 6 MB), no DIFAT sectors. Every directory entry is
black, siblings form a balanced binary search tree in the order MS-CFB 2.6.4 defines (shorter
name first, then the upper-cased names; the specification allows an all-black tree), and a
storage's start sector and size are 0 (MS-CFB 2.6.3).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
STORAGE, STREAM, ROOT = 1, 2, 5
BLACK = 1
MAX_FAT_SECTORS = 109


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: dict[str, _Entry] = field(default_factory=dict)
    sid: int = 0
    start: int = ENDOFCHAIN
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM

    def sort_key(self) -> tuple[int, str]:
        return len(self.name), self.name.upper()


def _tree(streams: Mapping[str, bytes]) -> _Entry:
    root = _Entry("Root Entry", ROOT)
    for path, data in streams.items():
        *storages, name = path.split("/")
        node = root
        for part in storages:
            # MS-CFB 2.6.3: a storage's start sector and size are zero, as Excel writes them
            node = node.children.setdefault(part, _Entry(part, STORAGE, start=0))
            if node.kind != STORAGE:
                raise ValueError(f"{path}: {part} is a stream, not a storage")
        if name in node.children:
            raise ValueError(f"{path}: given twice")
        if len(name) > 31:
            raise ValueError(f"{path}: names are at most 31 characters")
        node.children[name] = _Entry(name, STREAM, bytes(data))
    return root


def _number(root: _Entry) -> list[_Entry]:
    """Directory order: root first, then each storage's children (depth first)."""
    out = [root]
    todo = [root]
    while todo:
        node = todo.pop(0)
        for child in sorted(node.children.values(), key=_Entry.sort_key):
            child.sid = len(out)
            out.append(child)
            todo.append(child)
    return out


def _link(node: _Entry) -> None:
    """Set child/left/right ids: each storage's children as a balanced search tree."""

    def build(items: list[_Entry]) -> int:
        if not items:
            return NOSTREAM
        mid = len(items) // 2
        items[mid].left = build(items[:mid])
        items[mid].right = build(items[mid + 1 :])
        return items[mid].sid

    node.child = build(sorted(node.children.values(), key=_Entry.sort_key))
    for child in node.children.values():
        _link(child)


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i + 1 < count else ENDOFCHAIN


def _pad(data: bytes, size: int) -> bytes:
    return data + b"\0" * (-len(data) % size)


def _dir_entry(e: _Entry, size: int) -> bytes:
    name = (e.name + "\0").encode("utf-16-le")
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name,
        len(name),
        e.kind,
        BLACK,
        e.left,
        e.right,
        e.child,
        b"\0" * 16,
        0,
        0,
        0,
        e.start,
        size,
    )


def compound_file(streams: Mapping[str, bytes]) -> bytes:
    """A compound file holding these streams; keys are paths such as "VBA/dir"."""
    root = _tree(streams)
    entries = _number(root)
    _link(root)
    small = [e for e in entries if e.kind == STREAM and len(e.data) < MINI_CUTOFF]
    big = [e for e in entries if e.kind == STREAM and len(e.data) >= MINI_CUTOFF]

    mini = b""
    minifat: list[int] = []
    for e in small:
        count = -(-len(e.data) // MINI_SECTOR)
        e.start = len(minifat) if e.data else ENDOFCHAIN
        minifat.extend([0] * count)
        _chain(minifat, e.start, count)
        mini += _pad(e.data, MINI_SECTOR)

    sectors: list[bytes] = []
    content_fat: list[int] = []

    def place(data: bytes) -> int:
        count = -(-len(data) // SECTOR)
        if not count:
            return ENDOFCHAIN
        first = len(sectors)
        padded = _pad(data, SECTOR)
        sectors.extend(padded[i : i + SECTOR] for i in range(0, len(padded), SECTOR))
        content_fat.extend([0] * count)
        _chain(content_fat, first, count)
        return first

    for e in big:
        e.start = place(e.data)
    root.start = place(mini)
    minifat_start = place(b"".join(struct.pack("<I", n) for n in minifat))
    minifat_sectors = -(-len(minifat) * 4 // SECTOR)
    sizes = {id(e): len(e.data) for e in entries}
    sizes[id(root)] = len(mini)
    directory = b"".join(_dir_entry(e, sizes[id(e)]) for e in entries)
    free = struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM,
                       b"", 0, 0, 0, 0, 0)  # fmt: skip
    directory += free * (-len(entries) % (SECTOR // 128))
    dir_start = place(directory)

    n_fat = 1
    while (len(sectors) + n_fat) > n_fat * (SECTOR // 4):
        n_fat += 1
    if n_fat > MAX_FAT_SECTORS:
        raise ValueError("compound file too large for a FAT without DIFAT sectors")
    fat_start = len(sectors)
    fat = content_fat + [FATSECT] * n_fat
    fat += [FREESECT] * (n_fat * (SECTOR // 4) - len(fat))
    fat_bytes = b"".join(struct.pack("<I", n) for n in fat)
    sectors.extend(fat_bytes[i : i + SECTOR] for i in range(0, len(fat_bytes), SECTOR))

    difat = [fat_start + i for i in range(n_fat)] + [FREESECT] * (MAX_FAT_SECTORS - n_fat)
    header = SIGNATURE + b"\0" * 16
    header += struct.pack("<HHHHH6sIIIIIIIII", 0x003E, 0x0003, 0xFFFE, 9, 6, b"", 0, n_fat,
                          dir_start, 0, MINI_CUTOFF,
                          minifat_start if minifat else ENDOFCHAIN, minifat_sectors,
                          ENDOFCHAIN, 0)  # fmt: skip
    header += b"".join(struct.pack("<I", n) for n in difat)
    assert len(header) == SECTOR
    return header + b"".join(sectors)
