"""A small MS-OVBA writer: a vbaProject.bin from VBA module sources, with no compiled code.

The project carries source only (the _VBA_PROJECT stream says version 0xFFFF and no performance
cache, MS-OVBA 2.3.4.1), so Excel compiles the modules when it opens the add-in. Streams: PROJECT
(text), PROJECTwm (module names), VBA/_VBA_PROJECT, VBA/dir (compressed records) and one
compressed source stream per module, packed in a compound file by `cfb.compound_file`.

Written because the `ms-ovba` package (0.0.1) corrupts longer modules: its compressor garbles
xlwings' 45 KB module (olevba reads back nonsense from the second line on).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .cfb import compound_file

CODEPAGE = 1252
ENCODING = "cp1252"
CHUNK = 4096
ModuleKind = Literal["standard", "class", "document"]

# Type libraries every Excel project references; Office holds IRibbonControl.
REFERENCES: tuple[tuple[str, str], ...] = (
    (
        "stdole",
        r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb"
        "#OLE Automation",
    ),
    (
        "Office",
        r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\Program Files\Common Files"
        r"\Microsoft Shared\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library",
    ),
)


@dataclass(frozen=True)
class Module:
    """One VBA module as the project stores it: source text including its Attribute lines."""

    name: str
    kind: ModuleKind
    code: str

    def source(self) -> bytes:
        text = self.code.replace("\r\n", "\n").replace("\n", "\r\n")
        return text.encode(ENCODING)


# --- compression (MS-OVBA 2.4.1) ---------------------------------------------------------------


def _token_format(position: int) -> tuple[int, int]:
    """(bit count of the offset, maximum match length) at `position` bytes into a chunk."""
    bits = max((position - 1).bit_length(), 4)
    return bits, (0xFFFF >> bits) + 3


def _compress_chunk(data: bytes) -> bytes:
    out = bytearray()
    heads: dict[bytes, list[int]] = {}
    pos, n = 0, len(data)
    while pos < n:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= n:
                break
            best_len, best_off = 0, 0
            if pos > 0:
                bits, max_len = _token_format(pos)
                limit = min(max_len, n - pos)
                for cand in reversed(heads.get(data[pos : pos + 3], [])[-64:]):
                    length = 0
                    while length < limit and data[cand + length] == data[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, pos - cand
                        if length == limit:
                            break
            if best_len >= 3:
                token = ((best_off - 1) << (16 - bits)) | (best_len - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                step = best_len
            else:
                out.append(data[pos])
                step = 1
            for p in range(pos, pos + step):
                heads.setdefault(data[p : p + 3], []).append(p)
            pos += step
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """MS-OVBA compression: a signature byte, then one chunk per 4,096 bytes of input."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        chunk = data[start : start + CHUNK]
        packed = _compress_chunk(chunk)
        if len(packed) <= CHUNK:
            out += struct.pack("<H", 0xB000 | (len(packed) - 1)) + packed
        else:  # incompressible: a raw chunk is always 4,096 bytes
            out += struct.pack("<H", 0x3FFF) + chunk.ljust(CHUNK, b"\0")
    return bytes(out)


# --- obfuscation of the PROJECT stream's CMG, DPB and GC values (MS-OVBA 2.4.3) ----------------


def encrypt(project_id: str, data: bytes, seed: int) -> str:
    """Data Encryption as hex text; `seed` (0-255) stands in for the random byte."""
    key = sum(project_id.encode(ENCODING)) & 0xFF
    version_enc, key_enc = seed ^ 2, seed ^ key
    out = bytearray([seed, version_enc, key_enc])
    unencrypted1, encrypted1, encrypted2 = key, key_enc, version_enc

    def put(byte: int) -> None:
        nonlocal unencrypted1, encrypted1, encrypted2
        enc = byte ^ ((encrypted2 + unencrypted1) & 0xFF)
        out.append(enc)
        encrypted2, encrypted1, unencrypted1 = encrypted1, enc, byte

    for _ in range((seed & 6) // 2):
        put(0)
    for byte in struct.pack("<I", len(data)) + data:
        put(byte)
    return out.hex().upper()


def decrypt(text: str) -> bytes:
    """The data behind a CMG, DPB or GC value (MS-OVBA 2.4.3.3)."""
    enc = bytes.fromhex(text)
    seed, version_enc, key_enc = enc[0], enc[1], enc[2]
    if seed ^ version_enc != 2:
        raise ValueError("not MS-OVBA encrypted data (version is not 2)")
    unencrypted1, encrypted1, encrypted2 = seed ^ key_enc, key_enc, version_enc
    plain = bytearray()
    for byte in enc[3:]:
        value = byte ^ ((encrypted2 + unencrypted1) & 0xFF)
        plain.append(value)
        encrypted2, encrypted1, unencrypted1 = encrypted1, byte, value
    body = plain[(seed & 6) // 2 :]
    length = struct.unpack("<I", body[:4])[0]
    return bytes(body[4 : 4 + length])


# --- streams ------------------------------------------------------------------------------------


def _record(rid: int, data: bytes) -> bytes:
    return struct.pack("<HI", rid, len(data)) + data


def _text_record(rid: int, unicode_rid: int, text: str) -> bytes:
    return _record(rid, text.encode(ENCODING)) + _record(unicode_rid, text.encode("utf-16-le"))


def _dir_stream(name: str, modules: Sequence[Module]) -> bytes:
    out = _record(0x0001, struct.pack("<I", 1))  # SYSKIND: 32-bit Windows
    out += _record(0x0002, struct.pack("<I", 0x0409))  # LCID
    out += _record(0x0014, struct.pack("<I", 0x0409))  # LCIDINVOKE
    out += _record(0x0003, struct.pack("<H", CODEPAGE))
    out += _record(0x0004, name.encode(ENCODING))
    out += _text_record(0x0005, 0x0040, "")  # DOCSTRING
    out += _text_record(0x0006, 0x003D, "")  # HELPFILEPATH
    out += _record(0x0007, struct.pack("<I", 0))  # HELPCONTEXT
    out += _record(0x0008, struct.pack("<I", 0))  # LIBFLAGS
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # VERSION: size 4, then major (4) minor (2)
    out += _text_record(0x000C, 0x003C, "")  # CONSTANTS
    for ref_name, libid in REFERENCES:
        out += _text_record(0x0016, 0x003E, ref_name)
        lib = libid.encode(ENCODING)
        out += _record(0x000D, struct.pack("<I", len(lib)) + lib + struct.pack("<IH", 0, 0))
    out += _record(0x000F, struct.pack("<H", len(modules)))
    out += _record(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE
    for m in modules:
        out += _record(0x0019, m.name.encode(ENCODING))
        out += _record(0x0047, m.name.encode("utf-16-le"))
        out += _text_record(0x001A, 0x0032, m.name)  # stream name
        out += _text_record(0x001C, 0x0048, "")  # docstring
        out += _record(0x0031, struct.pack("<I", 0))  # source at offset 0: no p-code
        out += _record(0x001E, struct.pack("<I", 0))  # help context
        out += _record(0x002C, struct.pack("<H", 0xFFFF))  # cookie
        out += _record(0x0021 if m.kind == "standard" else 0x0022, b"")
        out += _record(0x002B, b"")  # terminator
    out += _record(0x0010, b"")
    return out


def _project_stream(name: str, project_id: str, modules: Sequence[Module]) -> bytes:
    kind = {"standard": "Module={}", "class": "Class={}", "document": "Document={}/&H00000000"}
    seed = hashlib.sha256(project_id.encode()).digest()
    lines = [f'ID="{project_id}"']
    lines += [kind[m.kind].format(m.name) for m in modules]
    lines += [
        f'Name="{name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{encrypt(project_id, bytes(4), seed[0])}"',  # not protected
        f'DPB="{encrypt(project_id, bytes(1), seed[1])}"',  # no password
        f'GC="{encrypt(project_id, bytes([0xFF]), seed[2])}"',  # visible
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
    ]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in modules]
    return ("\r\n".join(lines) + "\r\n").encode(ENCODING)


def _project_wm(modules: Sequence[Module]) -> bytes:
    return (
        b"".join(
            m.name.encode(ENCODING) + b"\0" + m.name.encode("utf-16-le") + b"\0\0" for m in modules
        )
        + b"\0\0"
    )


def vba_project(
    modules: Sequence[Module],
    name: str = "VBAProject",
    project_id: str = "{5A1D2B9E-7C3F-4E61-9B8A-2F4D6C1E8A37}",
) -> bytes:
    """The bytes of a vbaProject.bin holding these modules (source only)."""
    names = [m.name for m in modules]
    if len(set(n.lower() for n in names)) != len(names):
        raise ValueError(f"duplicate module names in {names}")
    streams = {
        "PROJECT": _project_stream(name, project_id, modules),
        "PROJECTwm": _project_wm(modules),
        "VBA/_VBA_PROJECT": struct.pack("<HHBH", 0x61CC, 0xFFFF, 0, 3),
        "VBA/dir": compress(_dir_stream(name, modules)),
    }
    for m in modules:
        streams[f"VBA/{m.name}"] = compress(m.source())
    return compound_file(streams)
