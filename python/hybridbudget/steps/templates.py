"""Step 2: one protected driver template per cost center, in a folder per entity."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

from ..control.audit import audit_sheet, entry
from ..control.book import ControlBook, open_control
from ..control.load import load_control
from ..control.register import Issue, register_sheet
from ..control.start_here import with_start_here
from ..engine.targets import CostCenterTarget, build_targets
from ..errors import HybridBudgetError
from ..model.reference import Reference
from ..progress import Progress, silent
from ..templates.guide import template_file_name
from ..templates.layout import Variant, variant_of
from ..templates.stamp import StampError, TemplateStamper
from ..templates.writer import write_template
from .batch import batch_step


@dataclass(frozen=True)
class TemplatesResult:
    paths: list[Path]

    @property
    def count(self) -> int:
        return len(self.paths)


def template_path(out_dir: Path, entity: str, cost_center: str, year: int, version: int) -> Path:
    """A template's path: <out>/<entity>/<cost center>_FY<year>_v<version>.xlsx."""
    return Path(out_dir) / entity / template_file_name(cost_center, year, version)


class _Stampers:
    """The fast writers of one control workbook's templates, one per layout variant (built from
    the first cost center of each; None: write that variant's templates the slow way)."""

    def __init__(self, ref: Reference) -> None:
        self.ref = ref
        self.by_variant: dict[Variant, TemplateStamper | None] = {}

    def write(self, path: Path, t: CostCenterTarget, now: dt.datetime) -> dict[str, str]:
        variant = variant_of(t)
        if variant not in self.by_variant:
            try:
                self.by_variant[variant] = TemplateStamper(self.ref, t)
            except StampError:
                self.by_variant[variant] = None
        stamper = self.by_variant[variant]
        try:
            if stamper is None:
                raise StampError("no prototype")
            return stamper.write(path, t, generated_at=now)
        except StampError:  # values the prototype cannot hold: built cell by cell instead
            return write_template(path, t, self.ref, generated_at=now)


def _issue(meta: dict[str, str], path: Path, out_dir: Path) -> Issue:
    """The issue register's row for a template just written."""
    return Issue(
        cost_center=meta["cost_center"],
        fiscal_year=meta["fiscal_year"],
        version=int(meta["template_version"]),
        issued_at=meta["generated_at"],
        template_id=meta["template_id"],
        file=path.relative_to(out_dir).as_posix(),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )


@batch_step
def generate_templates(
    control: Path | ControlBook,
    out_dir: Path,
    progress: Progress = silent,
    cost_centers: list[str] | None = None,
) -> TemplatesResult:
    """Write the templates of every (or the listed) cost center from the control workbook."""
    book = open_control(control)
    progress(f"reading {book.file}")
    ref, history = load_control(book)
    targets = build_targets(ref, history)
    org, cfg = ref.organization, ref.config
    codes = (
        list(dict.fromkeys(cost_centers))
        if cost_centers
        else [c.cost_center_code for c in org.cost_centers]
    )
    unknown = [c for c in codes if c not in targets.by_cost_center]
    if unknown:
        raise HybridBudgetError(
            f"unknown cost center(s) {', '.join(unknown)}: not on the control workbook's "
            "Organization sheet"
        )
    total = len(codes)
    every = max(1, math.ceil(total / 10))
    now = dt.datetime.now(dt.UTC)
    paths, issued = [], []
    progress(f"writing {total} templates to {out_dir}")
    stampers = _Stampers(ref)
    for i, code in enumerate(codes, start=1):
        path = template_path(
            out_dir, org.entity_of(code).entity_code, code, cfg.fiscal_year, cfg.templates.version
        )
        target = targets.by_cost_center[code]
        meta = stampers.write(path, target, now)
        paths.append(path)
        issued.append(_issue(meta, path, out_dir))
        if i % every == 0 or i == total:
            progress(f"{i}/{total} templates written")
    note = entry("templates", f"{len(paths)} templates (version {cfg.templates.version}) "
                 f"written to {out_dir}")  # fmt: skip
    sheets = with_start_here(
        book,
        [register_sheet(book, issued), audit_sheet(book, note)],
        "templates",
        {"issued": len(paths), "version": cfg.templates.version},
    )
    book.write_sheets(sheets, "templates")
    return TemplatesResult(paths)
