"""Feedback copies: a rejected file sent back to its manager with the reasons on its first sheet.

The copy opens on "Why this came back": each error in plain words, a link to its cell and what to
do. The cells at fault are filled in their own colour (not the orange of "explain required") and
carry the finding as a comment. Locked cells and formulas a file changed get finance's content
back (the layout and `writer.sheet_values`, finance's copy), so the rest of the copy is the valid
template and the manager only fixes the marked inputs and sends it again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import quote_sheetname
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet.hyperlink import Hyperlink

from ..findings import Finding, Severity
from ..intake.checks import Context
from ..intake.codes import CODE_BY_ID
from ..templates.contract import BUDGET_SHEET
from ..templates.guide import FEEDBACK_SHEET, due_text
from ..templates.layout import layout
from ..templates.writer import sheet_values
from ..workbook import styles
from ..workbook.fileio import atomic_save, atomic_write_text

LINK = Font(name="Calibri", size=11, color="0563C1", underline="single")
FEEDBACK_FILL = PatternFill("solid", fgColor="D9C3E9")  # lavender: fix this cell
RESTORED = ("LOCKED_EDITED", "FORMULA_CHANGED")  # finance's content is put back in the copy
# what a manager does about each error, in plain words (codes not listed: GENERIC)
TO_DO: dict[str, str] = {
    "REQUIRED_BLANK": "Type a value in the marked cell.",
    "NOT_A_NUMBER": "Type a number only: no text, units or spaces.",
    "NEGATIVE": "Type zero or a positive number.",
    "OUT_OF_RANGE": "Type a value within the range the cell's message gives (click the cell).",
    "RATIONALE_MISSING": "Write in the marked Rationale cell why your budget departs from the "
    "target, or bring the section within tolerance.",
    "DRIVER_IMPLAUSIBLE": "Check the figure: it is far from both the prior year and the target. "
    "Correct it (a typing slip?).",
    "CAPITAL_INCOMPLETE": "Give the request its item, amount, priority and justification, or "
    "clear the whole row.",
    "MONTHS_NOT_ANNUAL": "Make the months add up to the year.",
    "LOCKED_EDITED": "Nothing to do: this copy has finance's value back in the locked cell.",
    "FORMULA_CHANGED": "Nothing to do: this copy has the formula back; check the figures it shows.",
    "LAYOUT_CHANGED": "Fill in the template finance sent you without moving rows, columns or "
    "names; copy your figures into it.",
    "NOT_ISSUED": "Fill in the template finance sent you (the newest one) and send that.",
    "STALE_VERSION": "Fill in the newest template finance sent you and send that.",
    "WRONG_FISCAL_YEAR": "Fill in this year's template finance sent you and send that.",
}
GENERIC = "Correct it and send the file again."
WIDTHS = (4, 16, 62, 50)  # columns of the Why sheet, in characters (fits landscape at 100%)


def _lines(text: str, width: float) -> int:
    """About how many lines a wrapped text takes in a column (rows get no automatic height)."""
    return max(1, -(-len(text) // int(width * 1.05)))


def _mark(wb: Workbook, sheet: str, coords: set[str]) -> None:
    """Fill the cells in the feedback colour, above the sheet's own conditional formats (a
    Rationale cell is otherwise painted "explain required" orange over the mark)."""
    if not coords:
        return
    ws = wb[sheet]
    ranges = []
    for coord in sorted(coords):
        ws[coord].fill = FEEDBACK_FILL
        merged = next((m for m in ws.merged_cells.ranges if coord in m), None)
        ranges.append(merged.coord if merged else coord)
    # first and top priority: Excel goes by priority, LibreOffice by order in the file
    old, ws.conditional_formatting = ws.conditional_formatting, ConditionalFormattingList()
    mark = FormulaRule(formula=["TRUE"], fill=FEEDBACK_FILL, stopIfTrue=True)
    ws.conditional_formatting.add(" ".join(ranges), mark)
    for cf in old:
        for rule in cf.rules:
            ws.conditional_formatting.add(str(cf.sqref), rule)
            rule.priority += 1
    mark.priority = 1


def _cell(f: Finding) -> str:
    """The finding's cell on a sheet of the workbook, or '' when it has none."""
    return f.cell if f.sheet and f.cell and f.cell[0].isalpha() else ""


def _restore(wb: Workbook, ctx: Context | None, cost_center: str, coords: set[str]) -> None:
    """Put finance's content back into locked cells and formulas the file changed."""
    t = ctx.targets.by_cost_center.get(cost_center) if ctx else None
    if t is None or ctx is None or BUDGET_SHEET not in wb.sheetnames:
        return
    issued = sheet_values(t, ctx.reference)
    lay, content = layout(issued.variant), issued.cells
    ws = wb[BUDGET_SHEET]
    for coord in coords:
        rc = coordinate_to_tuple(coord)
        slot = lay.cells.get(rc)
        if slot is not None and slot.style.locked:
            ws[coord].value = content.get(rc, slot.value)


def _why_sheet(wb: Workbook, file: str, errors: list[Finding], ctx: Context | None) -> None:
    """The first sheet: each error, a link to its cell, what to do."""
    ws = wb.create_sheet(FEEDBACK_SHEET, 0)
    for col, width in zip("ABCD", WIDTHS, strict=True):
        ws.column_dimensions[col].width = width
    ws["A1"] = f"Why {Path(file).name} came back"
    ws["A1"].font = styles.TITLE_FONT
    contact = ctx.reference.config.templates.finance_contact if ctx else "your finance contact"
    due = f" by {due_text(ctx.reference)}" if ctx else ""
    ws["A2"] = (
        f"Finance could not use this file: {len(errors)} problem(s) below. Fix each cell marked "
        f"in lavender, save as .xlsx with the same file name and send it again to {contact}{due}."
    )
    ws["A2"].font, ws["A2"].alignment = styles.GUIDE_SECTION_FONT, styles.WRAP
    ws.merge_cells("A2:D2")
    ws.row_dimensions[2].height = 34
    for col, text in enumerate(("#", "Where (click to go)", "Problem", "What to do"), start=1):
        cell = ws.cell(row=4, column=col, value=text)
        cell.font, cell.fill, cell.alignment = (
            styles.HEADER_FONT, styles.HEADER_FILL, styles.HEADER_ALIGN
        )  # fmt: skip
    for i, f in enumerate(errors, start=1):
        row = 4 + i
        ws.cell(row=row, column=1, value=i)
        where = ws.cell(row=row, column=2)
        coord = _cell(f)
        if coord and f.sheet in wb.sheetnames:
            where.value = f"{f.sheet}!{coord}"
            # an internal link (#'Budget'!C45): a location in this workbook, no relationship
            where.hyperlink = Hyperlink(
                ref=where.coordinate, location=f"{quote_sheetname(f.sheet)}!{coord}"
            )
            where.font = LINK
        else:
            where.value = "the whole file"
        texts = (f.message, TO_DO.get(f.code, GENERIC))
        for col, text in enumerate(texts, start=3):
            cell = ws.cell(row=row, column=col, value=text)
            cell.alignment, cell.font = styles.WRAP, styles.GUIDE_FONT
        ws.row_dimensions[row].height = 15 * max(
            _lines(t, w) for t, w in zip(texts, WIDTHS[2:], strict=True)
        )
        for col in (1, 2):
            ws.cell(row=row, column=col).alignment = styles.TOP
        ws.cell(row=row, column=1).font = styles.GUIDE_FONT
        if where.hyperlink is None:
            where.font = styles.GUIDE_FONT
    ws.sheet_view.showGridLines = False
    ws.sheet_properties.tabColor = FEEDBACK_FILL.fgColor.rgb[-6:]
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False
    ws.sheet_view.tabSelected = True


def feedback_copy(
    src: Path, dst: Path, file: str, found: list[Finding], ctx: Context | None
) -> None:
    """Write the feedback copy of one readable rejected file."""
    wb = load_workbook(src)
    errors = [f for f in found if f.severity is Severity.ERROR]
    restored = {_cell(f) for f in errors if f.code in RESTORED and f.sheet == BUDGET_SHEET}
    _restore(wb, ctx, next((f.cost_center for f in found if f.cost_center), ""), restored - {""})
    marked: dict[str, set[str]] = {}
    for f in found:
        coord = _cell(f)
        if not coord or f.sheet not in wb.sheetnames:
            continue
        cell = wb[f.sheet][coord]
        if f.severity is Severity.ERROR:
            marked.setdefault(f.sheet, set()).add(coord)
        text = (cell.comment.text + "\n" if cell.comment else "") + f.message
        cell.comment = Comment(text, "hybridbudget validate", width=300, height=120)
    for sheet, coords in marked.items():
        _mark(wb, sheet, coords)
    _why_sheet(wb, file, errors, ctx)
    atomic_save(dst, wb.save)


def write_feedback_copies(
    folder: Path, out_dir: Path, rejected: set[str], findings: list[Finding], ctx: Context | None
) -> list[Path]:
    """For each rejected file: its feedback copy (an unreadable one as it came, with a text of
    its findings beside it)."""
    written = []
    for rel in sorted(rejected):
        found = [f for f in findings if f.file == rel]
        src, dst = folder / rel, out_dir / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        refused = any(CODE_BY_ID[f.code].category == "file" for f in found if f.code in CODE_BY_ID)
        try:
            if refused:  # refused before parsing (too large, not a workbook, encrypted, .xls)
                raise ValueError("never parsed")
            feedback_copy(src, dst, rel, found, ctx)
        except Exception:  # unreadable: send back as it came, with the findings beside it
            shutil.copyfile(src, dst)
            atomic_write_text(dst.with_suffix(".findings.txt"), "\n".join(f.message for f in found))
        written.append(dst)
    return written
