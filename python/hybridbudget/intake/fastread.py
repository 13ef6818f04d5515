"""Reading a submission straight from its package XML: the same data openpyxl gives, faster.

`read_package` returns exactly what `read_submission` builds from `openpyxl.load_workbook` (meta,
contract values with formulas as text, formula cells, sheet protection, locked cells),
for the files it fully understands, and raises `Unsupported` for anything else, so the caller reads
that file with openpyxl instead. How it stays exact:

- The parts every template shares (content types, workbook.xml and its relationships, styles.xml)
  are interpreted by openpyxl itself, once per distinct content (`_Static`, cached): sheet names and
  parts, defined names, the epoch, and per cell format the locked flag and date formats.
- The worksheets are split into cells by a strict scanner (intake.scan) where their XML has a
  shape it knows, and are otherwise parsed with lxml; the shared strings with lxml. Cell by cell,
  both are read as openpyxl's WorkSheetParser does (numbers, shared and inline strings, booleans,
  errors, formula text; merged cells hide all but their first cell). Shared or array formulas, dates, unknown cell types, a DTD,
  a part beyond what a template holds, or any parse error raise `Unsupported`.
- docProps are checked with openpyxl's own readers. The one place it is more lenient than
  openpyxl: worksheet elements intake does not use (page setup, views, validations, formats) are
  not parsed, so a malformed one there does not make the file unreadable.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from lxml import etree
from openpyxl.cell.text import Text
from openpyxl.packaging.core import DocumentProperties
from openpyxl.packaging.custom import CustomPropertyList
from openpyxl.reader.excel import SUPPORTED_FORMATS, ExcelReader
from openpyxl.reader.strings import read_string_table
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
from openpyxl.xml.constants import SHARED_STRINGS
from openpyxl.xml.functions import fromstring

from ..templates.contract import BUDGET_SHEET, META_SHEET, NAMES
from ..templates.fingerprint import expected_formulas, normalise
from ..templates.issued import lockable_cells, locked_cells
from ..templates.layout import VARIANTS, layout
from ..templates.values import NameRange, name_ranges
from .scan import MAIN, PARSER, RawCell, scan_sheet

ROW, CELL, VALUE, FORMULA = (f"{{{MAIN}}}{t}" for t in ("row", "c", "v", "f"))
INLINE, TEXT = f"{{{MAIN}}}is", f"{{{MAIN}}}t"
MERGE, PROTECTION, STRING_ITEM = (f"{{{MAIN}}}{t}" for t in ("mergeCell", "sheetProtection", "si"))
STATIC_PARTS = ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                "xl/styles.xml")  # fmt: skip
# parts a template, a filled template or a file saved by Excel or LibreOffice may hold
KNOWN_PART = re.compile(
    r"\[Content_Types\]\.xml|_rels/\.rels|docProps/(app|core|custom)\.xml|xl/workbook\.xml"
    r"|xl/_rels/workbook\.xml\.rels|xl/styles\.xml|xl/theme/theme\d+\.xml"
    r"|xl/worksheets/sheet\d+\.xml|xl/sharedStrings\.xml|xl/calcChain\.xml"
    r"|xl/printerSettings/printerSettings\d+\.bin"
)
EMPTY_SHEET = f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>'.encode()
EMPTY_STRINGS = f'<sst xmlns="{MAIN}"/>'.encode()
CELL_TYPES = frozenset({"n", "s", "str", "b", "e", "inlineStr"})
DOCUMENT_PROPERTIES = (("docProps/core.xml", DocumentProperties),
                       ("docProps/custom.xml", CustomPropertyList))  # fmt: skip
CACHE_SIZE = 64
CACHE_COORDINATES = 50_000


class Unsupported(Exception):
    """This file needs openpyxl (something the fast reader does not reproduce exactly)."""


@dataclass(frozen=True)
class _Static:
    """What openpyxl makes of the parts that are the same in every copy of a template."""

    sheets: dict[str, str]  # sheet name -> worksheet part, in workbook order
    strings: str | None  # the shared strings part
    names: dict[str, list[NameRange] | None]  # contract name -> where it points
    locked: tuple[bool, ...]  # per cell format: is the cell locked
    dates: frozenset[int]  # cell formats openpyxl turns numbers into dates with
    plain: frozenset[int]  # cell formats of the template's own number formats (never dates)

    @cached_property
    def formats(self) -> dict[str, int]:
        """A cell's s attribute -> its cell format, for every format that exists ("0" .. "n-1";
        another spelling of a number, such as "07", is left to openpyxl)."""
        return {str(i): i for i in range(len(self.locked))}


_STATIC: OrderedDict[tuple, _Static | None] = OrderedDict()
_COORDINATES: dict[str, tuple[int, int]] = {}  # "B14" -> (14, 2), shared by every file
_SHARED: dict[str, str] = {}
SHARED_TEXTS = 100_000


def _static(z: zipfile.ZipFile, names: list[str]) -> _Static:
    """Interpret the shared parts with openpyxl, once per distinct content (None: unsupported)."""
    key = (tuple(z.read(p) if p in names else b"" for p in STATIC_PARTS), tuple(sorted(names)))
    if key in _STATIC:
        _STATIC.move_to_end(key)
        found = _STATIC[key]
    else:
        try:
            found = _interpret(z, names)
        except Exception:  # openpyxl fails on these parts: it will say so on the real file
            found = None
        _STATIC[key] = found
        if len(_STATIC) > CACHE_SIZE:
            _STATIC.popitem(last=False)
    if found is None:
        raise Unsupported("the workbook's structure needs openpyxl")
    return found


def _interpret(z: zipfile.ZipFile, names: list[str]) -> _Static | None:
    """Load a skeleton of the package with openpyxl: the shared parts, empty sheets and strings."""
    skeleton = io.BytesIO()
    with zipfile.ZipFile(skeleton, "w") as out:
        for name in names:
            if name.startswith("xl/worksheets/sheet"):
                out.writestr(name, EMPTY_SHEET)
            elif name == "xl/sharedStrings.xml":
                out.writestr(name, EMPTY_STRINGS)
            elif name in STATIC_PARTS:
                out.writestr(name, z.read(name))
    reader = ExcelReader(skeleton, data_only=False)
    reader.read()
    wb = reader.wb
    parts = []
    for _sheet, rel in reader.parser.find_sheets():
        if rel.target not in reader.valid_files:
            continue
        if "chartsheet" in rel.Type:
            return None
        parts.append(rel.target)
    if len(parts) != len(wb.worksheets) or wb.chartsheets:
        return None
    strings = reader.package.find(SHARED_STRINGS)
    locked = tuple(wb._protections[s.protectionId].locked for s in wb._cell_styles)
    codes = [
        BUILTIN_FORMATS.get(s.numFmtId, "")
        if s.numFmtId < BUILTIN_FORMATS_MAX_SIZE
        else wb._number_formats[s.numFmtId - BUILTIN_FORMATS_MAX_SIZE]
        for s in wb._cell_styles
    ]
    return _Static(
        sheets={ws.title: part for ws, part in zip(wb.worksheets, parts, strict=True)},
        strings=strings.PartName[1:] if strings is not None else None,
        names={n.name: name_ranges(wb, n.name) for n in NAMES},
        locked=locked,
        dates=frozenset(wb._date_formats),
        plain=frozenset(i for i, code in enumerate(codes) if code in _plain_formats()),
    )


@cache
def _plain_formats() -> frozenset[str]:
    """Number formats no reader takes for dates: General and those of the template's numbers."""
    formats = {s.style.fmt for v in VARIANTS for s in layout(v).cells.values()}
    return frozenset({"General"} | formats - {"@"})


def _xml(z: zipfile.ZipFile, part: str) -> etree._Element:
    return _parse(part, _checked(z, part))


def _checked(z: zipfile.ZipFile, part: str) -> bytes:
    data = z.read(part)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise Unsupported("a DTD")
    return data


def _parse(part: str, data: bytes) -> etree._Element:
    try:
        return etree.fromstring(data, PARSER)
    except etree.XMLSyntaxError as exc:
        raise Unsupported(f"{part}: {exc}") from exc


def _strings(z: zipfile.ZipFile, part: str | None) -> tuple[list[str], bool]:
    """The shared strings as openpyxl's read_string_table reads them, and whether every one is
    plain text (one <t>, nothing another reader could read differently)."""
    if part is None:
        return [], True
    root = _xml(z, part)
    items = root.findall(STRING_ITEM)
    if sum(1 for _ in root.iter(STRING_ITEM)) != len(items):
        raise Unsupported("nested shared strings")
    out = []
    for si in items:
        text = _plain(si)
        if text is None:  # runs, phonetics: openpyxl's own reading
            return read_string_table(io.BytesIO(z.read(part))), False
        out.append(text.replace("x005F_", ""))
    return out, True


def _plain(node: etree._Element) -> str | None:
    """The text of an <si> or <is> holding one plain <t>; None for any other shape."""
    if len(node) != 1:
        return None
    t = node[0]
    if t.tag != TEXT or len(t):
        return None
    return t.text or ""


@dataclass
class _Sheet:
    """One worksheet's cells as openpyxl would hold them (values only, formulas as text)."""

    values: dict[tuple[int, int], Any]
    styles: dict[tuple[int, int], int]
    protected: bool
    raw: dict[tuple[int, int], RawCell]  # each cell's texts, for its stored result
    repeated: set[tuple[int, int]]  # cells written twice: their stored result is unsure
    strings: _Strings
    static: _Static

    def get(self, row: int, col: int) -> Any:
        return self.values.get((row, col))

    def stored(self, rc: tuple[int, int]) -> Any:
        """What a reader of stored results sees in a cell (ASK: unsure)."""
        if rc in self.repeated:
            return ASK
        found = self.raw.get(rc)
        if found is None:
            return None
        _coord, _style, kind, _formula, text, inline = found
        return _stored(kind, text, inline, self.styles[rc], self.strings, self.static)


def _number(text: str) -> int | float:
    """openpyxl's _cast_number."""
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


def _protected(root: etree._Element) -> bool:
    """ws.protection.sheet: the last sheetProtection element's `sheet`, as openpyxl's Bool reads it."""
    value: Any = False
    for el in root.iter(PROTECTION):
        raw = el.get("sheet")
        value = False if raw is None or raw in ("false", "f", "0") else bool(raw)
        if el.get("password") is not None:  # openpyxl sets the password, which protects
            value = True
    return value


def _merged(root: etree._Element) -> list[tuple[int, int, int, int]]:
    out = []
    for el in root.iter(MERGE):
        try:
            min_col, min_row, max_col, max_row = range_boundaries(el.get("ref") or "")
        except (ValueError, TypeError) as exc:
            raise Unsupported("a merge openpyxl may not read") from exc
        if None in (min_col, min_row, max_col, max_row):
            raise Unsupported("a merge of whole rows or columns")
        out.append((min_row, min_col, max_row, max_col))
    return out


def _sheet(z: zipfile.ZipFile, part: str, strings: _Strings, static: _Static) -> _Sheet:
    data = _checked(z, part)
    try:
        scanned = scan_sheet(data)
    except etree.XMLSyntaxError as exc:
        raise Unsupported(f"{part}: {exc}") from exc
    if scanned is None:
        root = _parse(part, data)
        cells: Iterable[RawCell] = map(_cell, _cells(root))
    else:
        root, cells = scanned.rest, scanned.cells
    values: dict[tuple[int, int], Any] = {}
    styles: dict[tuple[int, int], int] = {}
    raw: dict[tuple[int, int], RawCell] = {}
    repeated = set()
    for cell in cells:
        rc, value, style = _decode(cell, strings, static)
        if rc in values:
            repeated.add(rc)
        values[rc] = value
        styles[rc] = style
        raw[rc] = cell
    for min_row, min_col, max_row, max_col in _merged(root):
        # openpyxl keeps only the first cell of a merge: the others become empty MergedCells
        rows, cols = range(min_row, max_row + 1), range(min_col, max_col + 1)
        if len(rows) * len(cols) <= len(values):
            inside = [(r, c) for r in rows for c in cols]
        else:
            inside = [(r, c) for r, c in values if r in rows and c in cols]
        for rc in inside:
            if rc != (min_row, min_col) and rc in values:
                values[rc] = None
    return _Sheet(values, styles, _protected(root), raw, repeated, strings, static)


_Strings = tuple[list[str], bool]  # shared strings, and whether all are plain
ASK = object()  # a stored result only python-calamine itself can say
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def _stored_text(text: str | None) -> Any:
    """Text as python-calamine returns it, where that is certain ("" reads as None)."""
    if text is None or "_x" in text or text != text.strip() or "\r" in text:
        return ASK  # unescaping and trimming rules another reader may apply
    return text or None


def _stored(kind: str, text: str, inline: Any, style: int, strings: _Strings,
            static: _Static) -> Any:  # fmt: skip
    """A cell's stored result as python-calamine reads it (intake's `_cached`), or ASK."""
    if kind == "inlineStr":
        return _stored_text(inline if isinstance(inline, str) else None)
    if not text:
        return None  # no stored result: a formula never calculated, an empty cell
    if kind == "n":
        return float(text) if style in static.plain and NUMBER.fullmatch(text) else ASK
    if kind == "b":
        return {"0": False, "1": True}.get(text, ASK)
    if kind == "e":
        return None
    if kind == "str":
        return _stored_text(text)
    items, plain = strings
    if kind == "s" and plain and text.isdigit() and int(text) < len(items):
        return _stored_text(items[int(text)])
    return ASK


def _cells(root: etree._Element) -> Iterator[etree._Element]:
    for row in root.iter(ROW):
        for c in row:
            if c.tag != CELL:
                raise Unsupported("a row holding something other than cells")
            yield c


def _cell(c: etree._Element) -> RawCell:
    """One cell element's texts, as scan.RawCell holds them (a rich inline string: its element)."""
    get = c.get
    formula = inline = text = None
    for child in c:  # the first of each, as find() and findtext() take it
        tag = child.tag
        if tag == VALUE:
            if text is None:
                text = child.text or ""
        elif tag == FORMULA:
            if formula is None:
                formula = child
        elif tag == INLINE:
            if inline is None:
                inline = child
        else:  # python-calamine may refuse the sheet: openpyxl's reading decides
            raise Unsupported("a cell holding something other than a value or formula")
    if formula is not None and formula.get("t") not in (None, "normal"):
        raise Unsupported("a shared, array or data table formula")
    plain = None if inline is None else _plain(inline)
    return (
        get("r") or "",
        get("s", "0"),
        get("t", "n"),
        None if formula is None else formula.text or "",
        text or "",
        inline if plain is None else plain,
    )


def _decode(cell: RawCell, strings: _Strings, static: _Static) -> tuple[tuple[int, int], Any, int]:
    """A cell as WorkSheetParser.parse_cell reads it with data_only=False: (row, column), value
    (formulas as text), cell format."""
    coord, raw_style, kind, formula, text, inline = cell
    style = static.formats.get(raw_style)
    if style is None or kind not in CELL_TYPES or not coord:
        raise Unsupported("a cell openpyxl reads differently, or a format that does not exist")
    rc = _COORDINATES.get(coord)
    if rc is None:
        rc = coordinate_to_tuple(coord)
        if len(_COORDINATES) < CACHE_COORDINATES:
            _COORDINATES[coord] = rc
    if formula is not None:
        return rc, _share("=" + formula), style
    if kind == "inlineStr":
        if inline is None or isinstance(inline, str):
            return rc, inline, style
        return rc, Text.from_tree(inline).content, style
    if not text:
        return rc, None, style
    try:
        if kind == "n":
            if style in static.dates:
                raise Unsupported("a date")
            return rc, _number(text), style
        if kind == "s":
            return rc, strings[0][int(text)], style
        if kind == "b":
            return rc, bool(int(text)), style
    except (ValueError, IndexError) as exc:
        raise Unsupported("a value openpyxl may not read") from exc
    return rc, text, style  # str, e: the text as stored


@dataclass(frozen=True)
class PackageRead:
    """The parts of a Submission that come from the workbook's content."""

    meta: dict[str, str]
    values: dict[str, list[Any]]
    cells: dict[str, Any]
    protected: bool
    locked: dict[str, str]
    cached: dict[str, list[Any]] | None  # stored results, None where python-calamine must say
    names: dict[str, list[NameRange] | None]  # where the file's own contract names point
    saved: Any = None  # the workbook's own last-saved time (docProps/core.xml), if any


def _meta(sheet: _Sheet) -> dict[str, str]:
    """read_meta: column A keys and column B values from row 2 down."""
    meta: dict[str, str] = {}
    for r in sorted({r for r, c in sheet.values if r >= 2 and c <= 2}):
        key, value = sheet.get(r, 1), sheet.get(r, 2)
        if key is not None:
            meta[_share(str(key).strip())] = _share("" if value is None else str(value).strip())
    return meta


def _share(text: str) -> str:
    """One str object for equal texts met in many files (labels, formulas, coordinates).

    A chunk of submissions then pickles each such text once on its way back from a worker, and
    the parent holds one copy instead of one per file.
    """
    found = _SHARED.get(text)
    if found is None:
        if len(_SHARED) >= SHARED_TEXTS:
            return text
        found = _SHARED[text] = text
    return found


def read_package(path_name: str, data: bytes) -> PackageRead:
    """A submission's content from its bytes; Unsupported when openpyxl must read it instead."""
    if not path_name.lower().endswith(SUPPORTED_FORMATS[:2]):
        raise Unsupported("a file name openpyxl treats differently")
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        names = z.namelist()
        if len(set(names)) != len(names) or not all(KNOWN_PART.fullmatch(n) for n in names):
            raise Unsupported("parts beyond a template's")
        saved = None
        for part, model in DOCUMENT_PROPERTIES:  # openpyxl reads these too, and may refuse them
            if part in names:
                props = model.from_tree(fromstring(z.read(part)))
                if isinstance(props, DocumentProperties):
                    saved = props.modified
        static = _static(z, names)
        strings = _strings(z, static.strings)
        sheets = {name: _sheet(z, part, strings, static) for name, part in static.sheets.items()}
    except Unsupported:
        raise
    except Exception as exc:  # whatever fails here, openpyxl reports it its own way
        raise Unsupported(f"a damaged package: {exc!r}") from exc
    meta = _meta(sheets[META_SHEET]) if META_SHEET in sheets else {}
    budget = sheets.get(BUDGET_SHEET)
    if budget is None:
        return PackageRead(meta, {}, {}, False, {}, {}, static.names, saved)
    got = budget.values.get
    # at the contract's cells of the issued layout, wherever the file's names point
    values = {name: [got(rc) for rc in cells] for name, cells in _contract_cells()}
    cells = {coord: got(rc) for coord, rc in _formula_cells()}
    locked = {}
    always, styles, is_locked = locked_cells(), budget.styles, static.locked
    for coord, rc in lockable_cells().items():
        if coord not in always and (rc not in styles or not is_locked[styles[rc]]):
            continue  # an input unlocked here (a variant locks it: finance's copy says so)
        text = normalise(got(rc))
        if text is not None:
            locked[coord] = _share(text)
    return PackageRead(
        meta,
        values,
        cells,
        bool(budget.protected),
        locked,
        _cached(budget),
        static.names,
        saved,
    )


@cache
def _contract_cells() -> tuple[tuple[str, list[tuple[int, int]]], ...]:
    """Every contract name and its cells in the issued layout, row-major."""
    return tuple((name, area.cells()) for name, area in layout().names.items())


@cache
def _formula_cells() -> tuple[tuple[str, tuple[int, int]], ...]:
    return tuple((coord, coordinate_to_tuple(coord)) for coord in expected_formulas())


def _cached(sheet: _Sheet) -> dict[str, list[Any]] | None:
    """submission._cached without python-calamine: every contract cell's stored result, read
    from a grid that starts at A1 (the title is there), or None when any of them is unsure."""
    title = sheet.stored((1, 1))
    if title is ASK or not isinstance(title, str):
        return None
    out: dict[str, list[Any]] = {}
    for name, cells in _contract_cells():
        stored = [sheet.stored(rc) for rc in cells]
        if any(v is ASK for v in stored):
            return None
        out[name] = stored
    return out
