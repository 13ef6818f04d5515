"""The add-in's Python entry functions: one per ribbon button (vba/HybridBudgetRibbon.bas).

Each runs the same engine step as the CLI on the control workbook that called from Excel, or on
`book` when given (tests pass a book of xlwings' remote engine). Errors end in a message box; the
details go to the log file (Help > Open Log). All logic lives in `hybridbudget.addin.buttons`.
"""

from __future__ import annotations

from typing import Any

from hybridbudget.addin.buttons import run


def generate_templates(book: Any = None) -> None:
    """Setup > Generate Templates."""
    run("generate_templates", book)


def validate(book: Any = None) -> None:
    """Collect > Validate."""
    run("validate", book)


def consolidate(book: Any = None) -> None:
    """Collect > Consolidate."""
    run("consolidate", book)


def chase(book: Any = None) -> None:
    """Collect > Chase."""
    run("chase", book)


def divergence(book: Any = None) -> None:
    """Reconcile > Divergence."""
    run("divergence", book)


def apply_decisions(book: Any = None) -> None:
    """Reconcile > Apply Decisions."""
    run("apply_decisions", book)


def lock_plan(book: Any = None) -> None:
    """Lock & Monitor > Lock Plan."""
    run("lock_plan", book)


def import_actuals(book: Any = None) -> None:
    """Lock & Monitor > Import Actuals."""
    run("import_actuals", book)


def variance(book: Any = None) -> None:
    """Lock & Monitor > Variance."""
    run("variance", book)


def dashboard(book: Any = None) -> None:
    """Lock & Monitor > Dashboard."""
    run("dashboard", book)


def about(book: Any = None) -> None:
    """Help > About."""
    run("about", book)


def open_log(book: Any = None) -> None:
    """Help > Open Log."""
    run("open_log", book)
