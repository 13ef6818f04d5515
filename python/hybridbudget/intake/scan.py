"""A strict scanner for worksheet XML in the shapes templates, Excel and LibreOffice write.

`scan_sheet` splits a worksheet part into its cells, as raw attribute and child texts, and the
rest of the document, with regular expressions instead of an element tree: a Budget sheet of
450 cells costs a few regex passes instead of 2,000 element objects. Only the rest of the
document (views, validations, protection, merges: a fraction of the part) goes through lxml,
which proves it well formed. It stays exact by declining: anything outside the few shapes it knows returns None (other
attributes or children of a cell, whitespace between elements, comments, processing
instructions, CDATA, entities beyond XML's five named ones, carriage returns, characters XML
forbids, a namespace other than SpreadsheetML's, an encoding other than UTF-8), and the caller
parses the whole part with lxml, as it did before this scanner existed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import unescape

from lxml import etree

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ROW_TAG, SHEET_DATA_TAG = f"{{{MAIN}}}row", f"{{{MAIN}}}sheetData"
ROOT = re.compile(rf'(?:<\?xml[^>]*\?>\s*)?<worksheet\s[^>]*?\bxmlns="{re.escape(MAIN)}"')
DECLARED = re.compile(r'<\?xml[^>]*encoding="(?!utf-8")', re.IGNORECASE)
# the sheetData with every cell replaced by one NUL: nothing but rows around them
ROWS = re.compile(r'(?:<row(?: [A-Za-z][\w:.-]*="[^"<&]*")*(?:/>|>\x00*</row>))*')
# one cell: reference, style, type; then formula, value and inline text, as written (tags kept
# where an element that is present but empty must differ from one that is absent)
CELL = re.compile(
    r'<c r="([A-Z]{1,3}[1-9][0-9]{0,6})"(?: s="([0-9]{1,9})")?(?: t="([A-Za-z]{1,9})")?'
    r'(?:/>|>(<f(?: aca="(?:false|true)")?>[^<]*</f>|<f/>)?(?:<v>([^<]*)</v>|<v/>)?'
    r'(<is><t(?: xml:space="preserve")?>[^<]*</t></is>)?</c>)'
)
# what the scanner leaves to lxml inside the sheetData: it could not read them the same way
DECLINED = ("<!", "<?", "]]>", "xmlns")
# bytes XML 1.0 forbids (and carriage returns, which parsers turn into line feeds)
CONTROL = bytes(b for b in range(32) if b not in (9, 10))
NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")  # U+FFFE, U+FFFF
FIELDS = 6  # groups of CELL
UNKNOWN_ENTITY = re.compile(r"&(?!(?:amp|lt|gt|quot|apos);)")
ENTITIES = {"&quot;": '"', "&apos;": "'"}
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                         remove_comments=True, remove_pis=True, huge_tree=False)  # fmt: skip

# r, s, t, formula, value, inline text (fastread's lxml reading: a rich inline string's element)
RawCell = tuple[str, str, str, str | None, str, "str | etree._Element | None"]


@dataclass(frozen=True)
class ScannedSheet:
    cells: list[RawCell]  # in document order
    rest: etree._Element  # the worksheet with an empty sheetData: protection, merges


def scan_sheet(data: bytes) -> ScannedSheet | None:
    """The cells and the rest of a worksheet part, or None where lxml must read it.

    Raises etree.XMLSyntaxError when the rest of the document is not well formed."""
    if not data.startswith(b"<") or DECLARED.match(data[:200].decode("latin-1")):
        return None
    if len(data.translate(None, CONTROL)) != len(data) or any(c in data for c in NONCHARACTERS):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    start, end = text.find("<sheetData>"), text.find("</sheetData>")
    if start < 0 or end < start or not ROOT.match(text) or text.count("<sheetData") != 1:
        return None  # <sheetData/> is rare: lxml reads that sheet
    body = text[start + len("<sheetData>") : end]
    if any(s in body for s in DECLINED) or UNKNOWN_ENTITY.search(body):
        return None
    split = CELL.split(body)  # text between the cells, then each cell's groups, in turn
    if not ROWS.fullmatch("\x00".join(split[:: FIELDS + 1])):
        return None  # something that is not a row or a cell of a known shape
    columns = (split[i :: FIELDS + 1] for i in range(1, FIELDS + 1))
    cells = [_cell(*c) for c in zip(*columns, strict=True)]
    rest = etree.fromstring(
        (text[:start] + "<sheetData/>" + text[end + len("</sheetData>") :]).encode("utf-8"), PARSER
    )
    sheet_data = rest.find(SHEET_DATA_TAG)
    if sheet_data is None or len(sheet_data) or next(rest.iter(ROW_TAG), None) is not None:
        return None  # the sheetData found was not the worksheet's own
    return ScannedSheet(cells, rest)


def _cell(ref: str, style: str | None, kind: str | None, formula: str | None, value: str | None,
          inline: str | None) -> RawCell:  # fmt: skip
    """A cell's texts with entities resolved, its style and type as defaulted when absent (0, n);
    the formula and inline text None when absent."""
    f = None if not formula else "" if formula == "<f/>" else formula[formula.index(">") + 1 : -4]
    t = None if not inline else inline[inline.index(">", 4) + 1 : -9]
    value = value or ""
    if "&" in value:
        value = unescape(value, ENTITIES)
    if f and "&" in f:
        f = unescape(f, ENTITIES)
    if t and "&" in t:
        t = unescape(t, ENTITIES)
    return ref, style or "0", kind or "n", f, value, t
