"""The look shared by every sheet we write: colours and fonts (openpyxl objects)."""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

NAVY = "1F3864"
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # pale yellow: type here
LOCKED_FILL = PatternFill("solid", fgColor="F2F2F2")  # light grey: given, not editable
COMPUTED_FILL = PatternFill("solid", fgColor="DDEBF7")  # pale blue: computed by formula
HEADER_FILL = PatternFill("solid", fgColor=NAVY)
HEADING_FILL = PatternFill("solid", fgColor="D9E1F2")  # pale navy band: a group's heading row
WARN_FILL = PatternFill("solid", fgColor="F8CBAD")
TITLE_FONT = Font(name="Calibri", size=14, bold=True, color=NAVY)
BLOCK_FONT = Font(name="Calibri", size=11, bold=True, color=NAVY)
HEADER_FONT = Font(name="Calibri", size=10, bold=True, color="FFFFFF")
BODY_FONT = Font(name="Calibri", size=10)
LINK_FONT = Font(name="Calibri", size=10, color="0563C1", underline="single")
BOLD_FONT = Font(name="Calibri", size=10, bold=True)
GUIDE_FONT = Font(name="Calibri", size=11)  # instructions: 11 pt prints at >= 10 pt
GUIDE_SECTION_FONT = Font(name="Calibri", size=12, bold=True, color=NAVY)
NOTE_FONT = Font(name="Calibri", size=9, italic=True, color="595959")
THIN = Side(style="thin", color="BFBFBF")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TOP_RULE = Border(top=Side(style="thin", color="000000"))
TOTAL_GRID = Border(left=THIN, right=THIN, top=Side(style="thin", color="000000"), bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")
UNLOCKED = Protection(locked=False)


def solid(rgb: str) -> PatternFill:
    """A solid fill of colour `rgb` (hex, no #)."""
    return PatternFill("solid", fgColor=rgb)
