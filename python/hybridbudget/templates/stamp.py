"""Fast template writing: one template built by openpyxl, every other one stamped from its XML.

Every cost center's template has the same layout, styles, names, validations and protection; only
the values of the contract names and header fields, the volume cap of one validation rule, the
page footer and the Meta sheet differ (`writer.SheetValues`, `writer.template_meta`). The stamper
builds one prototype with `writer.assemble_template`, giving each of those a unique sentinel,
saves it, and cuts its parts at the sentinels. A template is then the prototype's parts with each
hole filled exactly as openpyxl writes that value (`_number_cell`, `_text_cell`), and the
fingerprint is taken over the same locked lines `fingerprint.locked_lines` would read. The result
holds the same parts as `writer.write_template` produces (tests compare them part by part); only
the timestamps in docProps/core.xml differ, as they do between any two saves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter

from ..engine.targets import CostCenterTarget
from ..model.reference import Reference
from ..workbook.deferred import escape
from ..workbook.formula_values import cached_cell, save_parts
from .contract import META_KEYS
from .fingerprint import locked_lines, normalise
from .guide import GUIDE_ROLES
from .layout import layout
from .writer import (
    BUDGET_PART,
    SheetValues,
    assemble_template,
    budget_cached_values,
    sheet_values,
    template_meta,
)

GUIDE_PART = "xl/worksheets/sheet2.xml"  # the Instructions sheet
META_PART = "xl/worksheets/sheet3.xml"
CORE_PART = "docProps/core.xml"
CAP = 987_654_321_012_345  # sentinel volume cap: renders as itself and with thousands separators
FIRST_NUMBER = 7_000_000_000_000_000  # sentinel numbers: 16 digits, exact as floats
TIMESTAMP = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:)")


class StampError(RuntimeError):
    """The prototype does not cut cleanly at its sentinels (the caller writes the slow way)."""


def _coordinate(rc: tuple[int, int]) -> str:
    return f"{get_column_letter(rc[1])}{rc[0]}"


def _escape(text: str) -> str:
    """Text escaped as openpyxl's writer writes it (ASCII, character references beyond)."""
    return escape(text, ascii_only=True)


def _number_cell(start: str, value: object) -> str:
    """A number cell as openpyxl writes it (`start` is its start tag, from the prototype)."""
    return f"{start}<v>{safe_string(value)}</v></c>"


def _text_cell(start: str, value: str) -> str:
    """An inline string cell as openpyxl writes it."""
    if value == "":
        return f"{start}</c>"
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f"{start}<is><t{space}>{_escape(value)}</t></is></c>"


@dataclass(frozen=True)
class _Hole:
    """A place in a part to fill: a whole cell (by coordinate) or a literal sentinel."""

    key: object
    start: int
    end: int
    tag: str = ""  # a cell's start tag
    formula: str = ""  # a formula cell's <f> element


class _Cut:
    """A part cut at its holes: render by joining the static pieces with the filled holes."""

    def __init__(
        self,
        xml: str,
        cells: dict[str, object],
        tokens: dict[str, object],
        formulas: frozenset[str] = frozenset(),
    ) -> None:
        holes: list[_Hole] = []
        for coord, key in [*cells.items(), *((c, ("formula", c)) for c in formulas)]:
            start = _unique(xml, f'<c r="{coord}"')
            end = xml.index("</c>", start) + len("</c>")
            tag = xml[start : xml.index(">", start) + 1]
            f_at = xml.find("<f>", start, end)
            formula = xml[f_at : xml.index("</f>", f_at) + 4] if f_at >= 0 else ""
            holes.append(_Hole(key, start, end, tag, formula))
        for token, key in tokens.items():
            start = _unique(xml, token)
            holes.append(_Hole(key, start, start + len(token)))
        holes.sort(key=lambda h: h.start)
        self.pieces: list[str] = []
        self.holes: list[_Hole] = holes
        at = 0
        for h in holes:
            if h.start < at:
                raise StampError("overlapping sentinels")
            self.pieces.append(xml[at : h.start])
            at = h.end
        self.pieces.append(xml[at:])

    def render(self, fill: Callable[[_Hole], str]) -> bytes:
        out = [self.pieces[0]]
        for hole, piece in zip(self.holes, self.pieces[1:], strict=True):
            out.append(fill(hole))
            out.append(piece)
        return "".join(out).encode("utf-8")


def _kinds(content: SheetValues) -> dict[tuple[int, int], type]:
    """Which cells hold text and which numbers (a non-finite number fits no prototype)."""
    out: dict[tuple[int, int], type] = {}
    for rc, value in content.cells.items():
        if isinstance(value, str):
            out[rc] = str
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[rc] = float if math.isfinite(value) else type(None)
        else:
            out[rc] = type(value)
    return out


def _unique(xml: str, token: str) -> int:
    if xml.count(token) != 1:
        raise StampError(f"sentinel {token!r} found {xml.count(token)} times")
    return xml.index(token)


class TemplateStamper:
    """Writes any cost center's template of one control workbook by stamping a prototype.

    `sample` is any cost center's target: it tells which cells hold numbers and which text.
    """

    def __init__(self, ref: Reference, sample: CostCenterTarget) -> None:
        self.ref = ref
        self.password = ref.config.templates.password
        first = sheet_values(sample, ref)
        self.variant = first.variant  # one prototype per layout variant
        self._kinds = _kinds(first)
        if not set(self._kinds.values()) <= {str, float}:
            raise StampError("the sample cost center has values no prototype can hold")
        cells: dict[tuple[int, int], object] = {}
        for i, (rc, kind) in enumerate(self._kinds.items()):
            cells[rc] = FIRST_NUMBER + 1000 * i if kind is float else f"HBSTAMP{i}X"
        footer = "HBSTAMPFOOTERX"
        guide = tuple(f"HBSTAMPGUIDE{i}X" for i in range(len(GUIDE_ROLES)))
        meta = {key: f"HBSTAMPMETA{i}X" for i, key in enumerate(META_KEYS) if key != "fingerprint"}
        prototype = SheetValues(cells, CAP, footer, guide, self.variant)
        wb, meta = assemble_template(prototype, meta, self.password)
        self._locked = self._locked_plan(locked_lines(wb.worksheets[0]), cells)
        buffer = io.BytesIO()
        wb.save(buffer)
        with zipfile.ZipFile(buffer) as z:
            self._parts = {i.filename: z.read(i) for i in z.infolist()}
        self._budget = _Cut(
            self._parts[BUDGET_PART].decode("utf-8"),
            {_coordinate(rc): rc for rc in cells},
            {f"{CAP:.15g}": "cap", f"{CAP:,.15g}": "cap_text", footer: "footer"},
            frozenset(layout().formulas()),
        )
        self._guide = _Cut(
            self._parts[GUIDE_PART].decode("utf-8"),
            {f"A{i}": i - 1 for i in range(1, len(guide) + 1)},
            {},
        )
        self._meta = _Cut(
            self._parts[META_PART].decode("utf-8"),
            {f"B{i}": key for i, key in enumerate(META_KEYS, start=2)},
            {},
        )

    @staticmethod
    def _locked_plan(
        lines: list[str], cells: dict[tuple[int, int], object]
    ) -> list[tuple[str, tuple[int, int] | None, str]]:
        """The fingerprint's lines: (coordinate, dynamic cell or None, static normalised text)."""
        dynamic = {_coordinate(rc): rc for rc in cells}
        plan = []
        for line in lines:
            coord, text = line.split("=", 1)
            plan.append((coord, dynamic.get(coord), text))
        return plan

    def _fingerprint(self, content: SheetValues) -> str:
        lines = []
        for coord, rc, text in self._locked:
            if rc is not None:
                text = normalise(content.cells.get(rc))
                if text is None:
                    continue
            lines.append(f"{coord}={text}")
        return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()

    def stamp(
        self,
        t: CostCenterTarget,
        template_id: str | None = None,
        generated_at: dt.datetime | None = None,
    ) -> tuple[dict[str, bytes], dict[str, str]]:
        """One cost center's template parts (in package order) and its metadata."""
        content = sheet_values(t, self.ref)
        if content.variant != self.variant or _kinds(content) != self._kinds:
            raise StampError(f"{t.cost_center.cost_center_code}: values do not fit the prototype")
        meta = template_meta(t, self.ref, template_id, generated_at)
        meta["fingerprint"] = self._fingerprint(content)

        cached = budget_cached_values(content)

        def budget(hole: _Hole) -> str:
            if hole.formula:
                return cached_cell(hole.tag, hole.formula, cached[hole.key[1]])
            if hole.key == "cap":
                return f"{content.cap:.15g}"
            if hole.key == "cap_text":
                return f"{content.cap:,.15g}"
            if hole.key == "footer":
                return _escape(content.footer)
            value = content.cells[hole.key]
            if isinstance(value, str):
                return _text_cell(hole.tag, value)
            return _number_cell(hole.tag, value)

        def meta_cell(hole: _Hole) -> str:
            return _text_cell(hole.tag, meta[hole.key])

        def guide_cell(hole: _Hole) -> str:
            return _text_cell(hole.tag, content.guide[hole.key])

        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
        parts = dict(self._parts)  # package order kept
        parts[BUDGET_PART] = self._budget.render(budget)
        parts[GUIDE_PART] = self._guide.render(guide_cell)
        parts[META_PART] = self._meta.render(meta_cell)
        parts[CORE_PART] = TIMESTAMP.sub(rb"\g<1>" + now + rb"\g<2>", parts[CORE_PART])
        return parts, meta

    def write(
        self,
        path: Path,
        t: CostCenterTarget,
        template_id: str | None = None,
        generated_at: dt.datetime | None = None,
    ) -> dict[str, str]:
        """Write one template atomically (as `writer.write_template` does); returns its metadata."""
        parts, meta = self.stamp(t, template_id, generated_at)
        save_parts(path, parts)
        return meta
