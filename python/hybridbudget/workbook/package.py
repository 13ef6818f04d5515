"""Lossless sheet updates: replace or add whole sheets inside an existing .xlsx/.xlsm package.

openpyxl drops charts, pivot tables, macros and more when it re-saves a workbook it loaded. A step
that owns some sheets of the control workbook therefore renders them into a scratch workbook and
transplants only those sheets' parts into the original package; every other part (the user's own
sheets, charts, pivots, comments, VBA, conditional formats) is copied byte for byte.

The transplant remaps the scratch sheets' style indices into the target's styles.xml (fonts,
fills, borders, number formats, cell formats, differential formats are appended as needed),
inlines shared strings, carries sheet relationships (hyperlinks) and sheet-local defined names
(print titles, filters), and drops calcChain.xml so Excel rebuilds it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from .deferred import DeferredRows, Unrenderable
from .parts import (
    CALC_CHAIN_REL,
    CT_NS,
    PKG_REL,
    R_NS,
    WORKSHEET_CT,
    WORKSHEET_REL,
    _dump,
    _Package,
    _parse,
    _rels_name,
    _resolve,
    q,
)
from .spec import Sheet
from .xlsx import scratch_workbook


class _StyleMerger:
    """Appends the scratch workbook's cell formats to the target's styles.xml, remapping ids."""

    def __init__(self, target: bytes, source: bytes) -> None:
        self.original = target
        self.changed = False  # nothing appended: styles.xml is kept byte for byte
        self.dst = _parse(target)
        self.src = _parse(source)
        self.xf_map: dict[int, int] = {}
        self.dxf_map: dict[int, int] = {}
        self._merge()

    def _section(self, root: etree._Element, tag: str) -> etree._Element:
        node = root.find(q(tag))
        if node is None:
            node = etree.Element(q(tag))
            order = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs",
                     "cellStyles", "dxfs", "tableStyles", "colors", "extLst"]  # fmt: skip
            later = [root.find(q(t)) for t in order[order.index(tag) + 1 :]]
            anchor = next((n for n in later if n is not None), None)
            if anchor is not None:
                anchor.addprevious(node)
            else:
                root.append(node)
        return node

    def _append(self, tag: str, element: etree._Element) -> int:
        """Index of an equal element in the target section, appending it if new."""
        section = self._section(self.dst, tag)
        key = etree.tostring(element, method="c14n")
        for i, existing in enumerate(section):
            if etree.tostring(existing, method="c14n") == key:
                return i
        section.append(_parse(etree.tostring(element)))
        section.set("count", str(len(section)))
        self.changed = True
        return len(section) - 1

    def _numfmt(self, fmt_id: int) -> int:
        if fmt_id < 164:
            return fmt_id  # built-in
        src = self.src.find(q("numFmts"))
        code = next(
            (
                n.get("formatCode")
                for n in (src if src is not None else [])
                if int(n.get("numFmtId")) == fmt_id
            ),
            None,
        )
        if code is None:
            return 0
        dst = self._section(self.dst, "numFmts")
        for n in dst:
            if n.get("formatCode") == code:
                return int(n.get("numFmtId"))
        new_id = max([int(n.get("numFmtId")) for n in dst] + [163]) + 1
        etree.SubElement(dst, q("numFmt"), numFmtId=str(new_id), formatCode=code)
        dst.set("count", str(len(dst)))
        self.changed = True
        return new_id

    def _component(self, tag: str, index: int) -> int:
        section = self.src.find(q(tag))
        return self._append(tag, section[index]) if section is not None else 0

    def _merge(self) -> None:
        src_xfs = self.src.find(q("cellXfs"))
        for i, xf in enumerate(src_xfs if src_xfs is not None else []):
            new = _parse(etree.tostring(xf))
            new.set("numFmtId", str(self._numfmt(int(xf.get("numFmtId", "0")))))
            new.set("fontId", str(self._component("fonts", int(xf.get("fontId", "0")))))
            new.set("fillId", str(self._component("fills", int(xf.get("fillId", "0")))))
            new.set("borderId", str(self._component("borders", int(xf.get("borderId", "0")))))
            new.set("xfId", "0")
            self.xf_map[i] = self._append("cellXfs", new)
        src_dxfs = self.src.find(q("dxfs"))
        for i, dxf in enumerate(src_dxfs if src_dxfs is not None else []):
            self.dxf_map[i] = self._append("dxfs", dxf)

    def styles(self) -> bytes:
        return _dump(self.dst) if self.changed else self.original


def _shared_strings(pkg: _Package) -> list[str]:
    part = "xl/sharedStrings.xml"
    if part not in pkg.parts:
        return []
    root = _parse(pkg.parts[part])
    return ["".join(t.text or "" for t in si.iter(q("t"))) for si in root.iter(q("si"))]


def _rewrite_sheet(data: bytes, styles: _StyleMerger, strings: list[str]) -> bytes:
    root = _parse(data)
    for c in root.iter(q("c")):
        if "s" in c.attrib:
            c.set("s", str(styles.xf_map.get(int(c.get("s")), 0)))
        if c.get("t") == "s":
            v = c.find(q("v"))
            text = strings[int(v.text)] if v is not None and v.text else ""
            if v is not None:
                c.remove(v)
            c.set("t", "inlineStr")
            is_ = etree.SubElement(c, q("is"))
            t = etree.SubElement(is_, q("t"))
            t.text = text
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    for tag in ("row", "col"):
        for el in root.iter(q(tag)):
            if "s" in el.attrib:
                el.set("s", str(styles.xf_map.get(int(el.get("s")), 0)))
    for rule in root.iter(q("cfRule")):
        if "dxfId" in rule.attrib:
            rule.set("dxfId", str(styles.dxf_map.get(int(rule.get("dxfId")), 0)))
    return _dump(root)


def _drop_calc_chain(pkg: _Package, wb_part: str) -> None:
    rels_part = _rels_name(wb_part)
    rels = _parse(pkg.parts[rels_part])
    for rel in list(rels):
        if rel.get("Type") == CALC_CHAIN_REL:
            pkg.parts.pop(_resolve(wb_part, rel.get("Target", "")), None)
            rels.remove(rel)
    pkg.parts[rels_part] = _dump(rels)
    ct = _parse(pkg.parts["[Content_Types].xml"])
    for o in list(ct):
        if o.get("PartName", "").endswith("/calcChain.xml"):
            ct.remove(o)
    pkg.parts["[Content_Types].xml"] = _dump(ct)


def replace_sheets(target: Path, sheets: Iterable[Sheet]) -> None:
    """Replace (by name) or append these sheets in `target`, leaving every other part untouched."""
    sheets = list(sheets)
    if not sheets:
        return
    try:
        _replace(target, sheets, DeferredRows())
    except Unrenderable:  # values only openpyxl writes exactly: every cell through openpyxl
        _replace(target, sheets, None)


def replace_sheets_openpyxl(target: Path, sheets: Iterable[Sheet]) -> None:
    """replace_sheets with every cell written by openpyxl (the reference the fast path matches)."""
    sheets = list(sheets)
    if sheets:
        _replace(target, sheets, None)


def _replace(target: Path, sheets: list[Sheet], deferred: DeferredRows | None) -> None:
    with tempfile.TemporaryDirectory(prefix="hb-sheets-") as tmp:
        scratch = Path(tmp) / "scratch.xlsx"
        scratch_workbook(scratch, sheets, deferred)
        src = _Package.read(scratch, lazy=False)
    dst = _Package.read(target)
    transplant(dst, src, [s.name for s in sheets], deferred)
    dst.write(target)


def transplant(
    dst: _Package, src: _Package, names: list[str], deferred: DeferredRows | None = None
) -> None:
    """Move the named sheets of `src` into `dst` (in memory); `deferred` fills their data rows."""
    wb_part = dst.workbook_part()
    src_wb_part = src.workbook_part()
    styles = _StyleMerger(dst.parts["xl/styles.xml"], src.parts["xl/styles.xml"])
    strings = _shared_strings(src)
    src_sheets = src.sheets()
    src_wb = _parse(src.parts[src_wb_part])
    src_index = {s.get("name"): i for i, s in enumerate(src_wb.iter(q("sheet")))}

    wb = _parse(dst.parts[wb_part])
    wb_rels_part = _rels_name(wb_part)
    wb_rels = _parse(dst.parts[wb_rels_part])
    ct = _parse(dst.parts["[Content_Types].xml"])
    sheets_el = wb.find(q("sheets"))
    existing = dst.sheets()
    dst_index = {s.get("name"): i for i, s in enumerate(sheets_el)}
    defined = wb.find(q("definedNames"))

    for name in names:
        if name in existing:
            part = existing[name]
            old_rels = _rels_name(part)
            dst.parts.pop(old_rels, None)
            local = dst_index[name]
            if defined is not None:  # our sheet-local names (print titles, filters) are rewritten
                for dn in list(defined):
                    if dn.get("localSheetId") == str(local):
                        defined.remove(dn)
        else:
            used = {p for p in dst.parts}
            n = 1
            while f"xl/worksheets/sheet{n}.xml" in used:
                n += 1
            part = f"xl/worksheets/sheet{n}.xml"
            rel_ids = {r.get("Id") for r in wb_rels}
            k = 1
            while f"rId{k}" in rel_ids:
                k += 1
            rid = f"rId{k}"
            etree.SubElement(
                wb_rels,
                q("Relationship", PKG_REL),
                Id=rid,
                Type=WORKSHEET_REL,
                Target="/" + part,
            )
            sheet_ids = [int(s.get("sheetId")) for s in sheets_el]
            el = etree.SubElement(sheets_el, q("sheet"))
            el.set("name", name)
            el.set("sheetId", str(max(sheet_ids, default=0) + 1))
            el.set(q("id", R_NS), rid)
            etree.SubElement(
                ct, q("Override", CT_NS), PartName="/" + part, ContentType=WORKSHEET_CT
            )
            local = len(sheets_el) - 1
            dst_index[name] = local
        src_part = src_sheets[name]
        data = _rewrite_sheet(src.parts[src_part], styles, strings)
        if deferred is not None:
            data = deferred.splice(name, data, lambda i: styles.xf_map.get(i, 0), raw=False)
        dst.parts[part] = data
        src_rels = _rels_name(src_part)
        if src_rels in src.parts:  # hyperlinks to files are external: the rels carry over as is
            dst.parts[_rels_name(part)] = src.parts[src_rels]
        src_defined = src_wb.find(q("definedNames"))
        for dn in src_defined if src_defined is not None else []:
            if dn.get("localSheetId") == str(src_index[name]):
                if defined is None:
                    defined = etree.Element(q("definedNames"))
                    sheets_el.addnext(defined)
                copy = _parse(etree.tostring(dn))
                copy.set("localSheetId", str(local))
                defined.append(copy)

    dst.parts[wb_part] = _dump(wb)
    dst.parts[wb_rels_part] = _dump(wb_rels)
    dst.parts["[Content_Types].xml"] = _dump(ct)
    dst.parts["xl/styles.xml"] = styles.styles()
    _drop_calc_chain(dst, wb_part)


def sheet_xml(path: Path, name: str) -> bytes:
    """The raw XML of one sheet (tests compare untouched sheets byte for byte)."""
    pkg = _Package.read(path)
    return pkg.parts[pkg.sheets()[name]]
