"""Issue 8: a template stamped from the prototype is the template openpyxl builds, part by part.

The only parts allowed to differ are the timestamps of docProps/core.xml (they differ between any
two saves). Cell values, styles, names, validations, protection and the fingerprint on Meta are
in sheet1.xml, sheet2.xml, styles.xml and workbook.xml, which must be byte for byte the same.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import zipfile
from pathlib import Path

import pytest

from hybridbudget.steps.templates import generate_templates
from hybridbudget.templates.layout import Variant, variant_of
from hybridbudget.templates.stamp import StampError, TemplateStamper
from hybridbudget.templates.values import read_meta
from hybridbudget.templates.writer import build_template, sheet_values, template_parts

WHEN = dt.datetime(2026, 10, 1, 8, 30, tzinfo=dt.UTC)
TIMESTAMP = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*")


def slow_parts(t, ref, template_id: str, generated_at: dt.datetime) -> dict[str, bytes]:
    wb, _ = build_template(t, ref, template_id=template_id, generated_at=generated_at)
    parts = template_parts(wb, sheet_values(t, ref))  # formulas with their cached values
    return {n: TIMESTAMP.sub(rb"\1", d) for n, d in parts.items()}


def package(source) -> dict[str, bytes]:
    with zipfile.ZipFile(source) as z:
        return {n: TIMESTAMP.sub(rb"\1", z.read(n)) for n in z.namelist()}


def assert_same_parts(fast: dict[str, bytes], slow: dict[str, bytes]) -> None:
    assert list(fast) == list(slow)
    for name in slow:
        assert fast[name] == slow[name], name


@pytest.fixture(scope="module")
def stamping(control_targets):
    """The reference data, every cost center's target, and a stamper per layout variant (built
    from the first cost center of each)."""
    ref, targets = control_targets
    ts = list(targets.by_cost_center.values())
    stampers: dict[Variant, TemplateStamper] = {}
    for t in ts:
        stampers.setdefault(variant_of(t), TemplateStamper(ref, t))
    assert len(stampers) >= 2  # the sample has hospital-wide volumes and no-revenue centers
    return ref, ts, stampers


def assert_stamped_like_openpyxl(stampers, t, ref, template_id: str) -> None:
    parts, meta = stampers[variant_of(t)].stamp(t, template_id=template_id, generated_at=WHEN)
    assert meta == build_template(t, ref, template_id=template_id, generated_at=WHEN)[1]
    fast = {n: TIMESTAMP.sub(rb"\1", d) for n, d in parts.items()}
    assert_same_parts(fast, slow_parts(t, ref, template_id, WHEN))


def test_stamped_templates_equal_openpyxl_ones(stamping):
    ref, ts, stamper = stamping
    for t in ts[::5]:
        assert_stamped_like_openpyxl(stamper, t, ref, "f00d")


def test_text_that_needs_escaping_is_stamped_as_openpyxl_writes_it(stamping):
    ref, ts, stamper = stamping
    awkward = {
        "cost_center_name": " A&B <ICU> \"west\" '2'\r\n\tunit \x01é😀 ",
        "owner_name": "",
        "owner_email": "a&b@<x>",
        "uos": "  visits  ",
    }
    t = dataclasses.replace(ts[3], cost_center=ts[3].cost_center.model_copy(update=awkward))
    assert_stamped_like_openpyxl(stamper, t, ref, "beef")


def test_a_value_the_prototype_cannot_hold_is_refused(stamping):
    _, ts, stamper = stamping
    prior = dataclasses.replace(ts[1].prior, supplies_per_uos=math.nan)
    with pytest.raises(StampError):
        stamper[variant_of(ts[1])].stamp(dataclasses.replace(ts[1], prior=prior))
    other = next(t for t in ts if variant_of(t) != variant_of(ts[1]))
    with pytest.raises(StampError):  # another variant's styles: not this prototype's
        stamper[variant_of(ts[1])].stamp(other)


def test_generated_templates_equal_openpyxl_ones(tmp_path: Path, control_copy, control_targets):
    ref, targets = control_targets
    made = generate_templates(control_copy, tmp_path / "templates")
    assert made.count == len(targets.by_cost_center)
    for path in made.paths[::7]:
        meta = read_meta(path)
        t = targets.by_cost_center[meta["cost_center"]]
        when = dt.datetime.fromisoformat(meta["generated_at"].replace("Z", "+00:00"))
        assert_same_parts(package(path), slow_parts(t, ref, meta["template_id"], when))
