"""An OOXML package in memory: its parts (read lazily, copied as stored) and relationships."""

from __future__ import annotations

import contextlib
import posixpath
import zipfile
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ..errors import HybridBudgetError
from . import zipio
from .fileio import atomic_save

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
WORKSHEET_REL = R_NS + "/worksheet"
CALC_CHAIN_REL = R_NS + "/calcChain"
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
# a control workbook is ours: a sanity bound, not a zip-bomb cap (10,000 cost centers' control
# workbook unpacks to about 2.5 GB of sheet XML)
MAX_UNCOMPRESSED = 12_000_000_000


def q(tag: str, ns: str = NS) -> str:
    return f"{{{ns}}}{tag}"


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    return etree.fromstring(data, parser)


def _dump(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _resolve(base_part: str, target: str) -> str:
    """A relationship target as a part name without the leading slash."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def _rels_name(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


class _Parts(MutableMapping[str, bytes]):
    """A package's parts by name, in order; untouched parts stay compressed in the source file.

    Reading a part decompresses it once; a part that was never replaced is copied into the new
    package as it is stored (no decompress and recompress of sheets a step does not own).
    """

    def __init__(self, source: Path | None = None, infos: list[zipfile.ZipInfo] = ()) -> None:
        self.source = source
        self._stored = {i.filename: i for i in infos}  # not replaced since reading
        self._data: dict[str, bytes] = {}
        self._order = [i.filename for i in infos]

    def __getitem__(self, name: str) -> bytes:
        if name not in self._data:
            if name not in self._stored or self.source is None:
                raise KeyError(name)
            with zipfile.ZipFile(self.source) as z:
                self._data[name] = z.read(self._stored[name])
        return self._data[name]

    def __setitem__(self, name: str, data: bytes) -> None:
        if name not in self._data and name not in self._stored:
            self._order.append(name)
        self._stored.pop(name, None)
        self._data[name] = data

    def __delitem__(self, name: str) -> None:
        if name not in self._data and name not in self._stored:
            raise KeyError(name)
        self._data.pop(name, None)
        self._stored.pop(name, None)
        self._order.remove(name)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._order))

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, name: object) -> bool:
        return name in self._data or name in self._stored

    def stored(self, name: str) -> zipfile.ZipInfo | None:
        """The source's entry for a part never replaced (copied as stored), else None."""
        return self._stored.get(name)


@dataclass
class _Package:
    """An open package: its parts as bytes, in their original order."""

    parts: MutableMapping[str, bytes]

    @classmethod
    def read(cls, path: Path, lazy: bool = True) -> _Package:
        """The package at `path`; lazy: parts are read when used (the file must stay in place)."""
        try:
            with zipfile.ZipFile(path) as z:
                infos = z.infolist()
                if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
                    raise HybridBudgetError(f"{path}: workbook is too large to update")
                if not lazy or len({i.filename for i in infos}) != len(infos):
                    return cls({n: z.read(n) for n in z.namelist()})
                return cls(_Parts(Path(path), infos))
        except zipfile.BadZipFile as exc:
            raise HybridBudgetError(f"{path}: not an .xlsx/.xlsm workbook ({exc})") from exc

    def workbook_part(self) -> str:
        rels = _parse(self.parts["_rels/.rels"])
        for rel in rels:
            if rel.get("Type", "").endswith("/officeDocument"):
                return _resolve("", rel.get("Target", ""))
        raise HybridBudgetError("the workbook package has no workbook part")

    def sheets(self) -> dict[str, str]:
        """Sheet name -> worksheet part name."""
        wb_part = self.workbook_part()
        wb = _parse(self.parts[wb_part])
        rels = {
            r.get("Id"): _resolve(wb_part, r.get("Target", ""))
            for r in _parse(self.parts[_rels_name(wb_part)])
        }
        return {s.get("name"): rels[s.get(q("id", R_NS))] for s in wb.iter(q("sheet"))}

    def write(self, path: Path) -> None:
        atomic_save(path, self._save)

    def _save(self, tmp: str) -> None:
        parts = self.parts
        source = parts.source if isinstance(parts, _Parts) else None
        with contextlib.ExitStack() as stack:
            raw = stack.enter_context(open(source, "rb")) if source is not None else None
            writer = stack.enter_context(zipio.Writer(tmp))
            for name in parts:
                info = parts.stored(name) if isinstance(parts, _Parts) else None
                if info is not None and raw is not None and zipio.copyable(info):
                    writer.copy(raw, info)
                else:
                    writer.add(name, parts[name])
