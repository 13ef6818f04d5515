"""Where the add-in reads and writes: beside the control workbook unless its settings sheet says.

Templates go to `<workbook folder>/templates`, submissions are read from
`<workbook folder>/submissions` and monthly actuals extracts from `<workbook folder>/actuals`.
An optional sheet "Add-in Settings" in the control workbook overrides this: a setting name in
column A, its value in column B (a header row "Setting" and blank rows are fine). Relative
folders are taken from the workbook folder. "Workbook folder" is needed only where Excel cannot
say where the workbook is saved (OneDrive/SharePoint links, a new unsaved book). "Actuals month"
(YYYY-MM) is the month Import Actuals reads, and Variance and Dashboard show (default there: the
newest month imported).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..control.book import ControlBook
from ..errors import HybridBudgetError

SETTINGS_SHEET = "Add-in Settings"
WORKBOOK_FOLDER = "Workbook folder"
TEMPLATES_FOLDER = "Templates folder"
SUBMISSIONS_FOLDER = "Submissions folder"
ACTUALS_FOLDER = "Actuals folder"
CHASE_FOLDER = "Chase folder"
ACTUALS_MONTH = "Actuals month"
DEFAULTS: dict[str, str] = {
    TEMPLATES_FOLDER: "templates",
    SUBMISSIONS_FOLDER: "submissions",
    ACTUALS_FOLDER: "actuals",
    CHASE_FOLDER: "chase",
}
KNOWN = (WORKBOOK_FOLDER, TEMPLATES_FOLDER, SUBMISSIONS_FOLDER, ACTUALS_FOLDER, CHASE_FOLDER,
         ACTUALS_MONTH)  # fmt: skip
HEADERS = frozenset({"setting", "settings", "key"})


@dataclass(frozen=True)
class AddinSettings:
    """The settings found on the sheet (setting name -> value); defaults for the rest."""

    values: dict[str, str] = field(default_factory=dict)

    @property
    def workbook_folder(self) -> Path | None:
        value = self.values.get(WORKBOOK_FOLDER)
        return Path(value).expanduser() if value else None

    @property
    def month(self) -> str | None:
        return self.values.get(ACTUALS_MONTH)

    def folder(self, book: ControlBook, setting: str) -> Path:
        """A folder setting as an absolute path (relative ones from the workbook's folder)."""
        path = Path(self.values.get(setting, DEFAULTS[setting])).expanduser()
        return path if path.is_absolute() else book.folder / path


def read_settings(book: ControlBook) -> AddinSettings:
    """The Add-in Settings sheet, if the workbook has one; an unknown setting is refused."""
    if SETTINGS_SHEET not in book.sheet_names:
        return AddinSettings()
    values: dict[str, str] = {}
    known = {k.casefold(): k for k in KNOWN}
    for i, row in enumerate(book.rows(SETTINGS_SHEET), start=1):
        key = str(row[0]).strip() if row and row[0] is not None else ""
        if not key or key.casefold() in HEADERS:
            continue
        name = known.get(key.casefold())
        if name is None:
            raise HybridBudgetError(
                f"{book.file}: sheet {SETTINGS_SHEET}, cell A{i}: unknown setting {key!r} "
                f"(the settings are: {', '.join(KNOWN)})"
            )
        value = row[1] if len(row) > 1 else None
        if isinstance(value, dt.date):  # Excel turns a typed 2027-03 into a date
            value = value.strftime("%Y-%m")
        if value is not None and str(value).strip():
            values[name] = str(value).strip()
    folder = values.get(WORKBOOK_FOLDER)
    if folder and not Path(folder).expanduser().is_absolute():
        raise HybridBudgetError(
            f"{book.file}: sheet {SETTINGS_SHEET}: the {WORKBOOK_FOLDER} must be a full path "
            f"(found {folder!r})"
        )
    return AddinSettings(values)
