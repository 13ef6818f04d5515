"""Finance's own copy of an issued template, regenerated from the control workbook.

Intake never trusts what a submission says about its locked content: it compares the Budget sheet
cell by cell with what finance wrote there. That copy needs no workbook: the fixed layout
(templates.layout) and the cost center's values (writer.budget_cells) say what every locked cell
of the issued template holds, normalised as the fingerprint normalises (templates.fingerprint),
so a save by Excel or LibreOffice compares equal. Formulas are compared by `check_formulas` with
its own, more forgiving normalisation; they are left out here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from openpyxl.utils import get_column_letter

from ..engine.targets import CostCenterTarget
from ..model.reference import Reference
from .contract import NAME_BY_ID, Role
from .fingerprint import normalise
from .layout import DEFAULT, VARIANTS, Variant, layout, variant_of
from .writer import budget_cells


def _coordinate(rc: tuple[int, int]) -> str:
    return f"{get_column_letter(rc[1])}{rc[0]}"


@cache
def locked_cells(variant: Variant = DEFAULT) -> dict[str, tuple[int, int]]:
    """Coordinate -> (row, column) of every locked cell of the layout that is not a formula:
    the cells whose content finance decides (labels, header fields, givens, and inputs a
    variant locks)."""
    out = {}
    for rc, slot in sorted(layout(variant).cells.items()):
        value = slot.value
        if not slot.style.locked or (isinstance(value, str) and value.startswith("=")):
            continue
        out[_coordinate(rc)] = rc
    return out


@cache
def lockable_cells() -> dict[str, tuple[int, int]]:
    """locked_cells of every variant together (row order)."""
    cells = {coord: rc for v in VARIANTS for coord, rc in locked_cells(v).items()}
    return dict(sorted(cells.items(), key=lambda item: item[1]))


@cache
def _dynamic(variant: Variant = DEFAULT) -> dict[str, tuple[int, int]]:
    """The locked cells written per cost center (header fields, givens), by coordinate."""
    written = set(layout().fields.values()) | {
        rc for area in layout().names.values() for rc in area.cells()
    }
    return {coord: rc for coord, rc in locked_cells(variant).items() if rc in written}


@cache
def static_cells() -> dict[str, str]:
    """Coordinate -> normalised text of every locked label that is the same in every template
    (where rows or columns moved, these are the first to be out of place)."""
    out = {}
    for coord, rc in locked_cells().items():
        text = normalise(layout().cells[rc].value)
        if coord not in _dynamic() and text is not None:
            out[coord] = text
    return out


@cache
def name_at() -> dict[str, tuple[str, int]]:
    """Coordinate -> (contract name, position in it) of every cell of a contract name."""
    return {
        _coordinate(rc): (name, i)
        for name, area in layout().names.items()
        for i, rc in enumerate(area.cells())
    }


@cache
def field_at() -> dict[str, str]:
    """Coordinate -> header field key (title, cost center, manager, ...)."""
    return {_coordinate(rc): key for key, rc in layout().fields.items()}


@dataclass(frozen=True)
class IssuedCopy:
    """What finance issued to one cost center: locked content and the givens' values."""

    locked: dict[str, str]  # coordinate -> normalised text, every non-empty locked cell
    givens: dict[str, list[object]]  # given contract name -> its values, row-major


def issued_copy(t: CostCenterTarget, ref: Reference) -> IssuedCopy:
    """Finance's copy of the template it issues to `t`'s cost center (no workbook is built)."""
    variant = variant_of(t)
    # only the names this copy holds: the inputs' prefill, the guide and the footer are not needed
    content = budget_cells(t, ref, _copied_names(variant))
    locked = dict(static_cells())
    for coord, rc in _dynamic(variant).items():
        text = normalise(content.get(rc))
        if text is not None:
            locked[coord] = text
    givens = {
        name: [content.get(rc) for rc in cells] for name, cells in _given_cells(variant).items()
    }
    return IssuedCopy(locked, givens)


@cache
def _copied_names(variant: Variant = DEFAULT) -> frozenset[str]:
    """The names with a cell in the issued copy: a locked cell written per cost center, or a
    given."""
    written = set(_dynamic(variant).values())
    return frozenset(
        name for name, area in layout(variant).names.items() if written.intersection(area.cells())
    ) | frozenset(_given_cells(variant))


@cache
def _given_cells(variant: Variant = DEFAULT) -> dict[str, list[tuple[int, int]]]:
    """The names whose values are finance's: the givens and the inputs a variant locks."""
    lay = layout(variant)
    return {
        name: area.cells()
        for name, area in lay.names.items()
        if NAME_BY_ID[name].role is Role.GIVEN
        or (
            NAME_BY_ID[name].role is Role.INPUT
            and all(lay.cells[rc].style.locked for rc in area.cells())
        )
    }
