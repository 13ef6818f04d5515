"""Issue 22: roll-up, divergence bridge, tolerance and escalation worked by hand on the fixture.

The expected values are literals worked out by hand (see tests/handworked.py for the system and
test_handworked_targets.py for its targets). Tolerance is 5% and $1,000. The Decision Guide:
level 1 (service line director) at 5% and $1,000, level 2 (VP Finance) at 10% and $5,000, and
level 3 (CFO) at 20% and $20,000. A line is beyond tolerance when its gap exceeds both
thresholds (>). It escalates to the highest level whose both thresholds it reaches (>=).
"""

from __future__ import annotations

import dataclasses

import pytest

from handworked import IMAGING, LAUNDRY, MEDSURG, System, load_system
from hybridbudget.engine.drivers import Figures, StaffDrivers
from hybridbudget.engine.escalation import EscalationRule
from hybridbudget.engine.gaps import explain_gap, line_gaps
from hybridbudget.engine.rollup import BottomUp, monthly_lines, rollup
from hybridbudget.model.line_items import LINE_ITEM_CODES
from hybridbudget.steps.divergence import divergence_frames

DIRECTOR, VP, CFO = "Service line director", "VP Finance", "CFO"


@pytest.fixture(scope="module")
def system() -> System:
    return load_system()


# --- roll-up: cost center -> service line -> entity -> system, month by month -------------------
# Each cost center's target lines are phased by its target volume. REV and SUP are rate x volume,
# so each month is exactly rate x the month's volume. OTH and SAL_RN leave remainders, which a
# largest-remainder split hands out (ties in month order).
#   Med/Surg REV 1,030.00 x (349, 308, 328): 359,470.00 / 317,240.00 / 337,840.00
#   Med/Surg SUP 57.20 x (349, 308, 328): 19,962.80 / 17,617.60 / 18,761.60
#   Laundry SUP 1.56 x (738, 697, 718): 1,151.28 / 1,087.32 / 1,120.08
#   Imaging REV 257.50 x (186, 207, 227): 47,895.00 / 53,302.50 / 58,452.50
#   Imaging SUP 31.20 x (186, 207, 227): 5,803.20 / 6,458.40 / 7,082.40
#   Med/Surg SAL_RN 97,751,342 cents x (349, 308, 328) / 3,777: 9,032,358.58 / 7,971,250.55 /
#     8,488,864.22; floors leave 8 cents: Jan (.58) and the first seven 308 months (.55) get one
ROLLUP = {
    # (level code, line): (annual, Jan .. Dec)
    ("", "REV"): (4529167.50, (407365.00, 370542.50, 396292.50, 370542.50, 370542.50, 370542.50,
                               365135.00, 365135.00, 370542.50, 375692.50, 375692.50, 391142.50)),
    ("", "SUP"): (306855.12, (26917.28, 25163.32, 26964.08, 25196.08, 25196.08, 25163.32,
                              24508.12, 24508.12, 25196.08, 25820.08, 25851.28, 26371.28)),
    ("", "OTH"): (17630.00, (1513.82, 1448.75, 1555.61, 1451.76, 1451.76, 1448.75, 1396.69,
                             1396.69, 1451.75, 1501.33, 1504.20, 1508.89)),
    ("HWH", "REV"): (3890310.00, (359470.00, 317240.00, 337840.00, 317240.00, 317240.00,
                                  317240.00, 317240.00, 317240.00, 317240.00, 317240.00,
                                  317240.00, 337840.00)),
    ("HWH", "SUP"): (229447.92, (21114.08, 18704.92, 19881.68, 18737.68, 18737.68, 18704.92,
                                 18704.92, 18704.92, 18737.68, 18737.68, 18768.88, 19912.88)),
    ("HWH", "OTH"): (11480.00, (1052.76, 935.63, 992.91, 938.64, 938.64, 935.63, 935.63, 935.63,
                                938.63, 938.63, 941.50, 995.77)),
    ("HWC", "REV"): (638857.50, (47895.00, 53302.50, 58452.50, 53302.50, 53302.50, 53302.50,
                                 47895.00, 47895.00, 53302.50, 58452.50, 58452.50, 53302.50)),
    ("HWC", "OTH"): (6150.00, (461.06, 513.12, 562.70, 513.12, 513.12, 513.12, 461.06, 461.06,
                               513.12, 562.70, 562.70, 513.12)),
    ("HWH-MED", "SAL_RN"): (977513.42, (90323.59, 79712.51, 84888.64, 79712.51, 79712.51,
                                        79712.51, 79712.51, 79712.50, 79712.50, 79712.50,
                                        79712.50, 84888.64)),
    ("HWH-MED", "OTH"): (10250.00, (947.11, 835.85, 890.12, 835.85, 835.85, 835.85, 835.85,
                                    835.85, 835.85, 835.85, 835.85, 890.12)),
    ("HWH-OPS", "SUP"): (13403.52, (1151.28, 1087.32, 1120.08, 1120.08, 1120.08, 1087.32,
                                    1087.32, 1087.32, 1120.08, 1120.08, 1151.28, 1151.28)),
    ("HWH-OPS", "OTH"): (1230.00, (105.65, 99.78, 102.79, 102.79, 102.79, 99.78, 99.78, 99.78,
                                   102.78, 102.78, 105.65, 105.65)),
    ("HWC-IMG", "SUP"): (77407.20, (5803.20, 6458.40, 7082.40, 6458.40, 6458.40, 6458.40,
                                    5803.20, 5803.20, 6458.40, 7082.40, 7082.40, 6458.40)),
    ("HWH-08000", "REV"): (0.00, (0.00,) * 12),
    ("HWC-04100", "SUP"): (77407.20, (5803.20, 6458.40, 7082.40, 6458.40, 6458.40, 6458.40,
                                      5803.20, 5803.20, 6458.40, 7082.40, 7082.40, 6458.40)),
    ("HWH-03000", "SUP"): (216044.40, (19962.80, 17617.60, 18761.60, 17617.60, 17617.60,
                                       17617.60, 17617.60, 17617.60, 17617.60, 17617.60,
                                       17617.60, 18761.60)),
}  # fmt: skip
MONTHS = tuple(f"m{i:02d}" for i in range(1, 13))


def test_rollup_month_by_month_at_every_level(system: System) -> None:
    figures = {c: t.figures for c, t in system.targets.by_cost_center.items()}
    table = rollup(monthly_lines(figures), system.reference, figures)
    outline = table.drop_duplicates("code")[["level", "code", "included"]]
    assert [tuple(r) for r in outline.itertuples(index=False)] == [
        ("System", "", "3 of 3"),
        ("Entity", "HWH", "2 of 2"),
        ("Service line", "HWH-MED", "1 of 1"),
        ("Cost center", "HWH-03000", "1 of 1"),
        ("Service line", "HWH-OPS", "1 of 1"),
        ("Cost center", "HWH-08000", "1 of 1"),
        ("Entity", "HWC", "1 of 1"),
        ("Service line", "HWC-IMG", "1 of 1"),
        ("Cost center", "HWC-04100", "1 of 1"),
    ]
    rows = table.set_index(["code", "line_item"])
    for (code, line), (annual, months) in ROLLUP.items():
        row = rows.loc[(code, line)]
        assert row["annual"] == annual, (code, line)
        assert tuple(row[list(MONTHS)]) == months, (code, line)
    assert len(table) == 9 * len(LINE_ITEM_CODES)


def test_rollup_counts_only_included_cost_centers(system: System) -> None:
    # Laundry sent nothing: its rows are left out and counted as missing, not as zero
    figures = {c: t.figures for c, t in system.targets.by_cost_center.items() if c != LAUNDRY}
    table = rollup(monthly_lines(figures), system.reference, figures)
    included = dict(zip(table.code, table.included, strict=False))
    assert included == {"": "2 of 3", "HWH": "1 of 2", "HWH-MED": "1 of 1",
                        "HWH-03000": "1 of 1", "HWH-OPS": "0 of 1", "HWC": "1 of 1",
                        "HWC-IMG": "1 of 1", "HWC-04100": "1 of 1"}  # fmt: skip
    sup = table[table.line_item == "SUP"].set_index("code")
    # HWH SUP is Med/Surg alone now: 19,962.80 in January (was 21,114.08 with Laundry)
    assert sup.loc["HWH", "m01"] == 19962.80 and sup.loc["HWH-OPS", "annual"] == 0.00
    assert sup.loc["", "annual"] == 293451.60  # 216,044.40 + 77,407.20


# --- the divergence bridge ---------------------------------------------------------------------
def medsurg_bottom_up(system: System):
    """Med/Surg's submission: more days, more RN FTEs, fewer agency, higher wages and supplies."""
    td = system.targets.by_cost_center[MEDSURG].drivers
    return dataclasses.replace(
        td,
        volume=(360, 320, 340, 320, 320, 320, 320, 320, 320, 320, 320, 340),  # 3,920 days
        staffing={
            "RN": StaffDrivers(
                fte=11.80, wage_rate=42.00, overtime_pct=0.04, agency_fte=0.40, agency_rate=95.00
            ),
            "CLER": StaffDrivers(fte=1.00, wage_rate=21.00),
        },
        supplies_per_uos=58.00,
        drugs_per_uos=13.00,
        purchased_services=26000.00,
        other_expense=11250.01,
    )


# Substitute the bottom-up drivers into the top-down ones in a fixed order; recompute the expense
# after each step. The volume ratio is 3,920 / 3,777 = 1.0378607.
BRIDGE = [
    # effect      substitution and the expense it gives                              effect $
    ("volume",    "3,920 days; RN FTEs 11.11 x 1.0378607 = 11.530633, agency 0.51 x 1.0378607 "
                  "= 0.529309 (clerical fixed). SAL_RN 1,014,522.80, AGY 102,554.67, BEN "
                  "270,740.17, SUP 3,920 x 57.20 = 224,224.00, DRG 3,920 x 13.38 = 52,449.60: "
                  "expense 1,742,517.24 - 1,682,199.37",                              60317.87),
    ("intensity", "RN 11.80 FTEs, agency 0.40: SAL_RN 1,038,223.08, AGY 0.40 x 2,080 x 93.15 = "
                  "77,500.80, BEN 276,807.44: expense 1,747,230.92 - 1,742,517.24",    4713.68),
    ("wage_rate", "RN 42.00, OT 4%, agency 95.00, CLER 21.00: SAL_RN 1,049,689.84, SAL_CLER "
                  "43,680.00, AGY 79,040.00, BEN 279,902.68: 1,763,956.12 - 1,747,230.92",
                                                                                      16725.20),
    ("supplies",  "58.00 and 13.00 per day: SUP 227,360.00, DRG 50,960.00: 1,765,602.52 - "
                  "1,763,956.12",                                                      1646.40),
    ("other",     "PUR 26,000.00 (+1,280.00), OTH 11,250.01 (+1,000.01): 1,767,882.53 - "
                  "1,765,602.52",                                                      2280.01),
]  # fmt: skip


def test_divergence_bridge_effect_by_effect(system: System) -> None:
    td = system.targets.by_cost_center[MEDSURG].drivers
    effects = explain_gap(td, medsurg_bottom_up(system))
    assert effects == {key: value for key, _, value in BRIDGE}
    # the gap: 1,767,882.53 - 1,682,199.37 = 85,683.16
    assert BottomUp.of(MEDSURG, medsurg_bottom_up(system), {}).figures.expense == 1767882.53


def test_volume_step_flexes_variable_staff_only(system: System) -> None:
    # 10% more days every month, staff left at the target: the volume step flexes the variable
    # RN FTEs (11.11 x 1.1 = 12.221) and agency (0.51 x 1.1 = 0.561), not the clerk
    td = system.targets.by_cost_center[MEDSURG].drivers
    more = dataclasses.replace(td, volume=tuple(v * 1.1 for v in td.volume))
    effects = explain_gap(td, more)
    # volume: SAL_RN 977,513.4235 (unrounded) x 1.1 = 1,075,264.77 (+97,751.35); SAL_CLER +0.00;
    # AGY 98,813.52 x 1.1 = 108,694.87 (+9,881.35); BEN (1,075,264.77 + 43,056.00) x 0.2560 =
    # 286,290.12 (+25,024.35); SUP 4,154.7 x 57.20 = 237,648.84 (+21,604.44); DRG 4,154.7 x
    # 13.38 = 55,589.89 (+5,053.63): 97,751.35 + 9,881.35 + 25,024.35 + 21,604.44 + 5,053.63
    assert effects["volume"] == 159315.12
    # intensity: the submission keeps 11.11 RN and 0.51 agency FTEs, so it takes back the flexed
    # staff: -(97,751.35 + 9,881.35 + 25,024.35)
    assert effects["intensity"] == -132657.05
    assert effects["wage_rate"] == effects["supplies"] == effects["other"] == 0.0


# --- tolerance: beyond both thresholds (>) -----------------------------------------------------
def figures(**lines: float) -> Figures:
    return Figures(dict.fromkeys(LINE_ITEM_CODES, 0.0) | lines, volume=1.0, fte=0.0,
                   worked_hours=0.0)  # fmt: skip


TOLERANCE = [
    # line, top-down, bottom-up, why                                     gap $, beyond
    ("SUP", 100000.00, 105000.00, "5% of 100,000 = 5,000: at, not beyond", 5000.00, False),
    ("SUP", 100000.00, 105000.01, "5,000.01 > 5,000 and > 1,000", 5000.01, True),
    ("SUP", 100000.00, 104999.99, "just below 5%", 4999.99, False),
    ("SUP", 100000.00, 94999.99, "-5,000.01: the size counts", -5000.01, True),
    ("PUR", 10000.00, 11000.00, "5% is 500; $1,000 binds: at", 1000.00, False),
    ("PUR", 10000.00, 11000.01, "1,000.01 > 1,000 and > 500", 1000.01, True),
    ("PUR", 10000.00, 10999.99, "just below $1,000", 999.99, False),
    ("PUR", 10000.00, 8999.99, "-1,000.01", -1000.01, True),
    ("OTH", 0.00, 1000.01, "no target: 5% of 0 is 0; beyond $1,000", 1000.01, True),
    ("DRG", 0.00, 0.00, "nothing either side", 0.00, False),
]


def test_tolerance_at_just_below_and_just_above_each_threshold() -> None:
    for line, target, value, why, gap, beyond in TOLERANCE:
        td, bu = figures(**{line: target}), figures(**{line: value})
        got = {r[0]: r for r in line_gaps(td, bu, 0.05, 1000.00)}[line]
        assert (got[3], got[5]) == (gap, beyond), (line, target, value, why)


ESCALATION = [
    # gap $, target, why                                                          level reached
    (5000.00, 100000.00, "5% and >= $1,000: level 1 (>=)", DIRECTOR),
    (4999.99, 100000.00, "below 5%", ""),
    (9999.99, 100000.00, "just below 10%", DIRECTOR),
    (10000.00, 100000.00, "10% and >= $5,000", VP),
    (10000.01, 100000.00, "just above 10%", VP),
    (19999.99, 100000.00, "just below 20%", VP),
    (20000.00, 100000.00, "20% and >= $20,000", CFO),
    (-20000.01, 100000.00, "size counts, not sign", CFO),
    (999.99, 10000.00, "9.99% but below $1,000", ""),
    (1000.00, 10000.00, "10% and $1,000: level 1; level 2 needs $5,000", DIRECTOR),
    (4999.99, 30000.00, "16.7% but below $5,000", DIRECTOR),
    (5000.00, 30000.00, "16.7% and $5,000", VP),
    (19999.99, 60000.00, "33% but below $20,000", VP),
    (20000.00, 60000.00, "33% and $20,000", CFO),
]


def test_escalation_at_just_below_and_just_above_each_level(system: System) -> None:
    levels = system.reference.config.escalation
    for gap, target, why, role in ESCALATION:
        assert EscalationRule(tuple(levels), "both").role(gap, target) == role, (gap, target, why)


def test_divergence_agenda_flags_and_escalates(system: System) -> None:
    """Med/Surg and Imaging submit; Laundry does not (not on the agenda)."""
    targets = system.targets
    imaging = dataclasses.replace(
        targets.by_cost_center[IMAGING].drivers,
        purchased_services=38934.00,  # 37,080.00 x 1.05: exactly 5%, and > $1,000: at, not beyond
        other_expense=7150.00,  # 6,150.00 + 1,000.00: exactly $1,000 (16%): at, not beyond
    )
    bus = {
        MEDSURG: BottomUp.of(MEDSURG, medsurg_bottom_up(system), {}),
        IMAGING: BottomUp.of(IMAGING, imaging, {}),
    }
    agenda = divergence_frames(system.reference, targets, bus).agenda
    got = {
        (r.cost_center, r.line_item): (r.gap, r.flag, r.escalate_to)
        for r in agenda.itertuples(index=False)
        if r.gap
    }
    assert got == {
        # Med/Surg, bottom-up - top-down
        (MEDSURG, "REV"): (147290.00, "", ""),  # 4,037,600 - 3,890,310: 3.79%, within 5%
        (MEDSURG, "SAL_RN"): (72176.42, "Yes", DIRECTOR),  # 7.38%
        (MEDSURG, "SAL_CLER"): (624.00, "", ""),  # 1.45% and below $1,000
        (MEDSURG, "AGY"): (-19773.52, "Yes", VP),  # 79,040.00 - 98,813.52: 20.01% but < $20,000
        (MEDSURG, "BEN"): (18636.91, "Yes", DIRECTOR),  # 7.13%
        (MEDSURG, "SUP"): (11315.60, "Yes", DIRECTOR),  # 227,360.00 - 216,044.40: 5.24%
        (MEDSURG, "DRG"): (423.74, "", ""),  # 50,960.00 - 50,536.26: below $1,000
        (MEDSURG, "PUR"): (1280.00, "Yes", DIRECTOR),  # 5.18% and > $1,000
        (MEDSURG, "OTH"): (1000.01, "Yes", DIRECTOR),  # 9.76%, one cent beyond $1,000
        (IMAGING, "PUR"): (1854.00, "", ""),  # exactly 5% of 37,080.00
        (IMAGING, "OTH"): (1000.00, "", ""),  # exactly $1,000
    }
    assert set(agenda.cost_center) == {MEDSURG, IMAGING}
    assert len(agenda) == len(got)  # zero-gap lines are left out of the agenda (issue 16)
