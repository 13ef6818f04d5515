"""A minimal zip writer that can copy an entry from another zip as stored (no recompression).

A step rewrites a few sheets of a control workbook that may hold tens of megabytes of other
sheets; copying those parts' compressed bytes as they are keeps a step's write proportional to
what it changes. New parts are deflated at level 1: about three times faster than zipfile's
default (6) on sheets of tens of megabytes, for parts about a quarter larger. Archives that would
need zip64 (4 GB) are out of scope: `copyable` says no, and `Writer.add` refuses them.
"""

from __future__ import annotations

import struct
import time
import zipfile
import zlib
from types import TracebackType
from typing import BinaryIO

LOCAL = struct.Struct("<4s5H3L2H")
CENTRAL = struct.Struct("<4s6H3L5H2L")
END = struct.Struct("<4s4H2LH")
LIMIT = 0xFFFFFFFF
UTF8 = 0x800
DATA_DESCRIPTOR = 0x08
ENCRYPTED = 0x01
LEVEL = 1


def copyable(info: zipfile.ZipInfo) -> bool:
    """True when an entry can be copied as stored: plain deflate or store, no zip64, no crypto."""
    return (
        info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
        and not info.flag_bits & ENCRYPTED
        and max(info.file_size, info.compress_size, info.header_offset) < LIMIT
    )


def _dos_time(date_time: tuple[int, ...]) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time[:6]
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


class Writer:
    """Write a zip file entry by entry; the central directory is written on close."""

    def __init__(self, path: str) -> None:
        self._fp: BinaryIO = open(path, "wb")  # noqa: SIM115 (closed in close())
        self._central: list[bytes] = []

    def __enter__(self) -> Writer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self._fp.close()

    def _entry(self, name: str, method: int, crc: int, size: int, data: bytes,
               date_time: tuple[int, ...], external: int) -> None:  # fmt: skip
        encoded = name.encode("utf-8")
        flags = 0 if name.isascii() else UTF8
        offset = self._fp.tell()
        if max(offset, size, len(data)) >= LIMIT or len(self._central) >= 0xFFFF:
            raise ValueError("a zip64 archive is needed")
        dos_time, dos_date = _dos_time(date_time)
        self._fp.write(LOCAL.pack(b"PK\x03\x04", 20, flags, method, dos_time, dos_date, crc,
                                  len(data), size, len(encoded), 0))  # fmt: skip
        self._fp.write(encoded)
        self._fp.write(data)
        record = CENTRAL.pack(b"PK\x01\x02", 20 | (3 << 8), 20, flags, method, dos_time, dos_date,
                              crc, len(data), size, len(encoded), 0, 0, 0, 0, external, offset)  # fmt: skip
        self._central.append(record + encoded)

    def add(self, name: str, data: bytes) -> None:
        """A new part, deflated."""
        deflate = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
        packed = deflate.compress(data) + deflate.flush()
        stamp = time.localtime(time.time())[:6]
        self._entry(name, zipfile.ZIP_DEFLATED, zlib.crc32(data), len(data), packed, stamp,
                    0o600 << 16)  # fmt: skip

    def copy(self, source: BinaryIO, info: zipfile.ZipInfo) -> None:
        """An entry of another zip file (open in `source`), copied as stored."""
        source.seek(info.header_offset)
        header = source.read(LOCAL.size)
        if len(header) != LOCAL.size or header[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"{info.filename}: bad local header")
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        source.seek(info.header_offset + LOCAL.size + name_length + extra_length)
        data = source.read(info.compress_size)
        if len(data) != info.compress_size:
            raise zipfile.BadZipFile(f"{info.filename}: truncated")
        self._entry(info.filename, info.compress_type, info.CRC, info.file_size, data,
                    info.date_time, info.external_attr)  # fmt: skip

    def close(self) -> None:
        start = self._fp.tell()
        for record in self._central:
            self._fp.write(record)
        size = self._fp.tell() - start
        n = len(self._central)
        self._fp.write(END.pack(b"PK\x05\x06", 0, 0, n, n, size, start, 0))
        self._fp.close()
