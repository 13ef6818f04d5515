"""Custom document properties of an .xlsx (File > Info > Properties > Advanced > Custom in Excel).

A setting that must not show on any sheet (the template protection password) lives here: it
travels with the file, finance can change it in Excel, and no cell holds it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from .fileio import atomic_save

CUSTOM_PART = "docProps/custom.xml"
_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the one id Office uses for user properties


def _properties(data: bytes | None) -> dict[str, str]:
    if not data:
        return {}
    root = etree.fromstring(data)
    return {
        str(p.get("name")): "".join(p.itertext())
        for p in root.iter(f"{{{_NS}}}property")
        if p.get("name")
    }


def read_property(path: Path, name: str) -> str | None:
    """The text of custom property `name`, or None when the file has none by that name."""
    try:
        with zipfile.ZipFile(path) as z:
            data = z.read(CUSTOM_PART) if CUSTOM_PART in z.namelist() else None
    except (OSError, zipfile.BadZipFile):
        return None
    return _properties(data).get(name)


def _custom_xml(props: dict[str, str]) -> bytes:
    items = "".join(
        f'<property fmtid="{_FMTID}" pid="{pid}" name="{escape(k, {chr(34): "&quot;"})}">'
        f"<vt:lpwstr>{escape(v)}</vt:lpwstr></property>"
        for pid, (k, v) in enumerate(props.items(), start=2)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Properties xmlns="{_NS}" xmlns:vt="{_VT}">{items}</Properties>'
    ).encode()


def _with_override(content_types: bytes) -> bytes:
    if b"/docProps/custom.xml" in content_types:
        return content_types
    tag = f'<Override PartName="/{CUSTOM_PART}" ContentType="{_CT}"/>'.encode()
    return content_types.replace(b"</Types>", tag + b"</Types>")


def _with_relationship(rels: bytes) -> bytes:
    if _REL.encode() in rels:
        return rels
    root = etree.fromstring(rels)
    ids = {r.get("Id") for r in root}
    rid = next(f"rId{n}" for n in range(1, len(ids) + 2) if f"rId{n}" not in ids)
    tag = f'<Relationship Id="{rid}" Type="{_REL}" Target="{CUSTOM_PART}"/>'.encode()
    return rels.replace(b"</Relationships>", tag + b"</Relationships>")


def write_property(path: Path, name: str, value: str) -> None:
    """Set custom property `name` to `value` (text); every other part stays byte for byte."""
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        parts = {i.filename: z.read(i.filename) for i in infos}
    props = _properties(parts.get(CUSTOM_PART))
    if props.get(name) == value:
        return
    props[name] = value
    parts[CUSTOM_PART] = _custom_xml(props)
    parts["[Content_Types].xml"] = _with_override(parts["[Content_Types].xml"])
    parts["_rels/.rels"] = _with_relationship(parts["_rels/.rels"])
    order = [i.filename for i in infos] + (
        [CUSTOM_PART] if CUSTOM_PART not in (i.filename for i in infos) else []
    )

    def save(tmp: str) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            for part in order:
                out.writestr(part, parts[part])

    atomic_save(path, save)
