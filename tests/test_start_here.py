"""Issue 15: the Start here sheet says where the cycle stands and the next action, step by step.

Each step's figures go through the real sheet: written to a file, read back by the next step.
Expected statuses and sentences are written out by hand for each point of the cycle.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import openpyxl
import pytest

from hybridbudget.control import start_here as S
from hybridbudget.control.file_book import FileControlBook
from hybridbudget.workbook.blocks import read_block
from hybridbudget.workbook.xlsx import write_workbook

SHEETS = ["Guardrails", "Targets", "Issued Templates", "Submissions", "Divergence", "Plan"]


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """One second between steps, so that 'ran after' is never a tie."""
    ticks = itertools.count(1)
    monkeypatch.setattr(S, "_now", lambda: f"2027-01-01 09:00:{next(ticks):02d}")


class Cycle:
    """A workbook holding only Start here, rewritten by each step as the real steps do."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "control.xlsx"
        self.book: FileControlBook | None = None

    def run(self, step: str, **figures: object) -> None:
        sheet = S.start_here_sheet(self.book, step, figures, [S.START_HERE, *SHEETS])
        write_workbook(self.path, [sheet])
        self.book = FileControlBook(self.path)

    def table(self, title: str, columns: tuple) -> list[dict]:
        assert self.book is not None
        return read_block(
            self.book.rows(S.START_HERE), S.START_HERE, "f", title, columns, S.TITLES
        ).rows

    def statuses(self) -> list[str]:
        return [r["status"] for r in self.table(S.CYCLE_BLOCK, S.CYCLE_COLUMNS)]

    def figures(self, n: int) -> str:
        return self.table(S.CYCLE_BLOCK, S.CYCLE_COLUMNS)[n - 1]["figures"]

    def next(self) -> str:
        return self.table(S.NEXT_BLOCK, S.NEXT_COLUMNS)[0]["todo"]


D, N, T, R = "Done", "Next", "To do", "Rerun"


def test_each_step_moves_the_cycle_on(tmp_path: Path, clock: None) -> None:
    c = Cycle(tmp_path)
    c.run("init", cost_centers=3, unmapped=1)
    assert c.statuses() == [D, N, T, T, T, T, T, T]
    assert c.figures(1) == "3 cost centers with targets; 1 extract rows not mapped (Import Issues)"
    assert c.next().startswith("Generate the templates")

    c.run("templates", issued=3, version=1)
    assert c.statuses() == [D, D, N, T, T, T, T, T]
    assert c.figures(2) == "3 templates issued (version 1)"

    c.run("validate", **{"intake.received": 3, "intake.valid": 2, "intake.rejected": 1})
    assert c.statuses() == [D, D, N, T, T, T, T, T]  # validated, not yet consolidated
    assert c.figures(3) == "received 3, valid 2, rejected 1"
    assert c.next() == "Run Consolidate on the submissions folder (validation has run)."

    c.run("consolidate", **{"intake.received": 3, "intake.valid": 2, "intake.rejected": 1,
                            "intake.missing": 1})  # fmt: skip
    assert c.statuses() == [D, D, D, N, T, T, T, T]
    assert c.figures(3) == (
        "received 3, valid 2, rejected 1, missing 1 (cost centers without a valid file)"
    )

    c.run("divergence", **{"workshop.beyond": 4, "workshop.undecided": 2})
    assert c.statuses() == [D, D, D, N, T, T, T, T]  # the workshop is still open
    assert c.figures(4) == "4 items beyond tolerance: 2 decided, 2 undecided"
    assert c.next() == (
        "Decide the 2 items still undecided on Divergence (Decision column), then run Apply "
        "decisions."
    )

    c.run("apply-decisions", **{"workshop.undecided": 0}, margin=1234.5, margin_pct=0.05)
    assert c.statuses() == [D, D, D, D, D, N, T, T]
    assert c.figures(4) == "4 items beyond tolerance: 4 decided, 0 undecided"
    assert c.figures(5) == "plan margin 1,234 (5.0% of net revenue); 0 material items undecided"

    c.run("lock", version=1, sheet="Locked Plan v1")
    assert c.statuses() == [D, D, D, D, D, D, N, T]
    assert c.figures(6) == "version 1 locked (Locked Plan v1)"

    c.run("import-actuals", **{"actuals.month": "2027-01"})
    c.run("variance", month="2027-01", triggers=2, open_actions=3)
    assert c.statuses() == [D] * 8
    assert c.figures(8) == "month 2027-01: 2 triggers, 3 open actions"
    assert c.next().startswith("Publish 2027-01: build the dashboard")

    # templates reissued: everything from the submissions on is behind it
    c.run("templates", issued=3, version=2)
    assert c.statuses() == [D, D, N, R, R, R, D, R]
    assert c.next() == "Submissions in is older than the step before it: run Consolidate again."
    # a re-lock does not make an imported month stale, but the variance against it is
    c.run("consolidate", **{"intake.missing": 0})
    assert c.statuses() == [D, D, D, N, R, R, D, R]  # the workshop is behind the new figures
    c.run("divergence", **{"workshop.beyond": 4, "workshop.undecided": 0})
    c.run("apply-decisions", margin=1234.5, margin_pct=0.05)
    c.run("lock", version=2, sheet="Locked Plan v2")
    assert c.statuses() == [D, D, D, D, D, D, D, N]
    assert c.next() == "Variance is older than the step before it: run Variance again."


def test_a_forced_lock_closes_the_workshop(tmp_path: Path, clock: None) -> None:
    c = Cycle(tmp_path)
    for step in ("init", "templates", "consolidate"):
        c.run(step)
    c.run("divergence", **{"workshop.beyond": 5, "workshop.undecided": 5})
    c.run("apply-decisions", **{"workshop.undecided": 5}, margin=0, margin_pct=0)
    assert c.statuses()[3:6] == [N, T, T]
    c.run("lock", version=1, sheet="Locked Plan v1")  # --force with a reason
    assert c.statuses()[3:] == [D, D, D, N, T]


def links(path: Path) -> dict[str, str]:
    """Text of every linked cell on Start here -> the place in the workbook it goes to."""
    ws = openpyxl.load_workbook(path)[S.START_HERE]
    return {c.value: c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink}


def test_links_go_to_sheets_that_exist_and_the_figures_survive_a_rewrite(
    tmp_path: Path, clock: None
) -> None:
    c = Cycle(tmp_path)
    c.run("init", cost_centers=2, unmapped=0)
    c.run("lock", version=3, sheet="Locked Plan v3")  # not in the workbook: no link
    assert links(c.path) == {s: f"'{s}'!A1" for s in SHEETS}
    listed = c.table(S.SHEETS_BLOCK, S.SHEETS_COLUMNS)
    assert [r["sheet"] for r in listed] == SHEETS
    assert {r["sheet"]: r["owner"] for r in listed}["Guardrails"] == "Finance"
    assert c.table(S.CYCLE_BLOCK, S.CYCLE_COLUMNS)[5]["sheet"] == "Locked Plan v3"
    # init's figures were read back from the sheet by the lock and written again
    assert c.figures(1) == "2 cost centers with targets; 0 extract rows not mapped (Import Issues)"


def test_capital_approved_against_the_envelope(tmp_path: Path, clock: None) -> None:
    c = Cycle(tmp_path)
    c.run("apply-decisions", margin=0, margin_pct=0, **{
        "workshop.undecided": 0, "capital.envelope": 500_000_000, "capital.requested": 300_000_000,
        "capital.approved": 125_000_000, "capital.undecided": 2})  # fmt: skip
    assert c.figures(5) == (
        "plan margin 0 (0.0% of net revenue); 0 material items undecided; capital approved "
        "1,250,000 of 3,000,000 requested, within the 5,000,000 envelope (2 requests undecided)"
    )
    c.run("apply-decisions", **{"capital.approved": 500_000_001,  # one cent over
                                "capital.requested": 600_000_000})  # fmt: skip
    assert "capital approved 5,000,000 of 6,000,000 requested, over the 5,000,000" in c.figures(5)
