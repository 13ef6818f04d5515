"""Issue 22: the top-down targets method worked by hand, step by step, on the fixture system.

Every expected value below is a literal worked out with pencil and calculator from the fixture's
extracts (tests/fixtures/handworked/) and the README method. Money is rounded half away from zero
to the cent, rates as displayed (money per unit 2 decimals, FTEs 2, shares 4), volumes to whole
units. Growth: inpatient and support 2.5%, ancillary (2.5% + 4%) / 2 = 3.25%. Labor intensity -2%,
net revenue rate +3%. Inflation: wages 3.5%, benefits 6%, supplies 4%, drugs 7%, purchased
services 3%, other 2.5%. 2,080 paid hours per FTE; overtime hours are paid at 1.5x.
"""

from __future__ import annotations

import numpy as np
import pytest

from handworked import IMAGING, LAUNDRY, MEDSURG, System, check_table, driver, load_system
from hybridbudget.engine.money import cents, cents_array, phase, round_to, sum_cents
from hybridbudget.engine.rollup import phase_lines


@pytest.fixture(scope="module")
def system() -> System:
    return load_system()


# --- step 1: volume ----------------------------------------------------------------------------
# prior-year month x (1 + growth), rounded to whole units, half away from zero
VOLUME = {
    MEDSURG: (
        "inpatient, 1.025: Jan 340 x 1.025 = 348.5 -> 349; 300 x 1.025 = 307.5 -> 308; "
        "Mar, Dec 320 x 1.025 = 328.0; year 349 + 9 x 308 + 2 x 328 = 3,777 (prior 3,680)",
        (349, 308, 328, 308, 308, 308, 308, 308, 308, 308, 308, 328),
    ),
    LAUNDRY: (
        "support grows with admissions, 1.025: 720 -> 738.0; 680 -> 697.0; 700 -> 717.5 -> 718; "
        "year 3 x 738 + 4 x 697 + 5 x 718 = 8,592 (prior 8,380)",
        (738, 697, 718, 718, 718, 697, 697, 697, 718, 718, 738, 738),
    ),
    IMAGING: (
        "ancillary, 1.0325: 180 -> 185.85 -> 186; 200 -> 206.5 -> 207; 220 -> 227.15 -> 227; "
        "year 3 x 186 + 6 x 207 + 3 x 227 = 2,481 (prior 2,400)",
        (186, 207, 227, 207, 207, 207, 186, 186, 207, 227, 227, 207),
    ),
}


def test_step1_volume_by_month(system: System) -> None:
    for code, (how, months) in VOLUME.items():
        assert system.targets.by_cost_center[code].drivers.volume == months, (code, how)


# --- prior-year drivers, from the extracts ------------------------------------------------------
PRIOR = {
    MEDSURG: [
        # driver               inputs and arithmetic                                   expected
        ("revenue_per_uos",    "GL 4000 3,680,000.00 / 3,680 patient days",            1000.00),
        ("productive_ratio",   "worked RN 20,000 + 1,000 OT + CLER 1,920 = 22,920; "
                               "paid + PTO 2,000 + 160 = 25,080; 0.913876",            0.9139),
        ("benefits_load",      "GL 6100 245,400.00 / salaries (940,000 + 41,600)",      0.25),
        ("supplies_per_uos",   "GL 7000 202,400.00 / 3,680",                           55.00),
        ("drugs_per_uos",      "GL 7100 46,000.00 / 3,680",                            12.50),
        ("purchased_services", "GL 7200",                                              24000.00),
        ("other_expense",      "GL 7500",                                              10000.00),
        ("RN.fte",             "(20,000 + 1,000 + 2,000) / 2,080 = 11.0577",           11.06),
        ("RN.wage_rate",       "(800,000 REG + 80,000 PTO) / (20,000 + 2,000) hours",  40.00),
        ("RN.overtime_pct",    "1,000 OT / 21,000 worked = 0.047619",                  0.0476),
        ("RN.agency_fte",      "1,040 agency hours / 2,080",                            0.50),
        ("RN.agency_rate",     "93,600.00 / 1,040",                                    90.00),
        ("CLER.fte",           "(1,920 + 160) / 2,080",                                 1.00),
        ("CLER.wage_rate",     "(38,400 + 3,200) / 2,080",                             20.00),
    ],
    LAUNDRY: [
        ("revenue_per_uos",    "no revenue",                                            0.00),
        ("productive_ratio",   "4,000 worked / 4,160 paid = 0.961538",                  0.9615),
        ("benefits_load",      "22,464.00 / 74,880.00",                                 0.30),
        ("supplies_per_uos",   "12,570.00 / 8,380",                                     1.50),
        ("other_expense",      "GL 7500",                                             1200.00),
        ("TECH.fte",           "4,160 / 2,080",                                         2.00),
        ("TECH.wage_rate",     "(72,000 + 2,880) / 4,160",                             18.00),
    ],
    IMAGING: [
        ("revenue_per_uos",    "600,000.00 / 2,400 procedures",                       250.00),
        ("productive_ratio",   "worked 6,000 + 240 + 1,880 = 8,120 / paid 8,920 = 0.910314",
                                                                                        0.9103),
        ("benefits_load",      "81,048.00 / (243,600 + 124,800)",                       0.22),
        ("supplies_per_uos",   "72,000.00 / 2,400",                                    30.00),
        ("drugs_per_uos",      "4,800.00 / 2,400",                                      2.00),
        ("TECH.fte",           "(6,000 + 240 + 600) / 2,080 = 3.2885",                  3.29),
        ("TECH.wage_rate",     "(210,000 + 21,000) / 6,600",                           35.00),
        ("TECH.overtime_pct",  "240 / 6,240 = 0.038462",                                0.0385),
        ("MGMT.fte",           "(1,880 + 200) / 2,080",                                 1.00),
        ("MGMT.wage_rate",     "(112,800 + 12,000) / 2,080",                           60.00),
    ],
}  # fmt: skip


def test_prior_year_drivers(system: System) -> None:
    for code, rows in PRIOR.items():
        prior = system.targets.by_cost_center[code].prior
        check_table(rows, {k: driver(prior, k) for k, _, _ in rows})


# --- steps 2 to 5: target drivers --------------------------------------------------------------
TARGET_DRIVERS = {
    MEDSURG: [
        # step 2, net revenue per UOS
        ("revenue_per_uos",    "1,000.00 x 1.03",                                     1030.00),
        # step 3, staffing: RN worked hours per UOS x 0.98 x target volume, to paid FTEs
        ("RN.fte",             "21,000 / 3,680 x 0.98 x 3,777 = 21,122.46 worked hours; "
                               "/ 0.9139 / 2,080 = 11.1118",                           11.11),
        ("CLER.fte",           "clerical is fixed: prior year",                         1.00),
        ("RN.wage_rate",       "40.00 x 1.035",                                        41.40),
        ("CLER.wage_rate",     "20.00 x 1.035",                                        20.70),
        ("RN.overtime_pct",    "as prior year",                                         0.0476),
        ("RN.agency_fte",      "0.50 x 3,777 / 3,680 = 0.5132 (flexes with volume)",    0.51),
        ("RN.agency_rate",     "90.00 x 1.035",                                        93.15),
        ("productive_ratio",   "as prior year",                                         0.9139),
        # step 4, benefits: load x (1 + benefits inflation) / (1 + wage inflation)
        ("benefits_load",      "0.25 x 1.06 / 1.035 = 0.256039",                        0.2560),
        # step 5, supplies and drugs per UOS, purchased services and other
        ("supplies_per_uos",   "55.00 x 1.04",                                         57.20),
        ("drugs_per_uos",      "12.50 x 1.07 = 13.375 (half case)",                    13.38),
        ("purchased_services", "24,000.00 x 1.03",                                  24720.00),
        ("other_expense",      "10,000.00 x 1.025",                                 10250.00),
    ],
    LAUNDRY: [
        ("TECH.fte",           "4,000 / 8,380 x 0.98 x 8,592 = 4,019.17; / 0.9615 / 2,080 "
                               "= 2.0097",                                              2.01),
        ("TECH.wage_rate",     "18.00 x 1.035",                                        18.63),
        ("benefits_load",      "0.30 x 1.06 / 1.035 = 0.307246",                        0.3072),
        ("supplies_per_uos",   "1.50 x 1.04",                                           1.56),
        ("other_expense",      "1,200.00 x 1.025",                                   1230.00),
    ],
    IMAGING: [
        ("revenue_per_uos",    "250.00 x 1.03",                                       257.50),
        ("TECH.fte",           "6,240 / 2,400 x 0.98 x 2,481 = 6,321.59; / 0.9103 / 2,080 "
                               "= 3.3387",                                              3.34),
        ("MGMT.fte",           "management is fixed: prior year",                       1.00),
        ("TECH.wage_rate",     "35.00 x 1.035 = 36.225 (half case)",                   36.23),
        ("MGMT.wage_rate",     "60.00 x 1.035",                                        62.10),
        ("TECH.overtime_pct",  "as prior year",                                         0.0385),
        ("benefits_load",      "0.22 x 1.06 / 1.035 = 0.225314",                        0.2253),
        ("supplies_per_uos",   "30.00 x 1.04",                                         31.20),
        ("drugs_per_uos",      "2.00 x 1.07",                                           2.14),
        ("purchased_services", "36,000.00 x 1.03",                                  37080.00),
        ("other_expense",      "6,000.00 x 1.025",                                   6150.00),
    ],
}  # fmt: skip


def test_target_drivers(system: System) -> None:
    for code, rows in TARGET_DRIVERS.items():
        drivers = system.targets.by_cost_center[code].drivers
        check_table(rows, {k: driver(drivers, k) for k, _, _ in rows})


# --- the budget the target drivers imply -------------------------------------------------------
TARGET_LINES = {
    MEDSURG: [
        ("REV",      "3,777 x 1,030.00",                                          3890310.00),
        ("SAL_RN",   "paid 11.11 x 2,080 = 23,108.8 h x 41.40 = 956,704.32; OT 23,108.8 x "
                     "0.9139 x 0.0476 = 1,005.2707 h x 41.40 x 0.5 = 20,809.10",    977513.42),
        ("SAL_CLER", "2,080 x 20.70",                                               43056.00),
        ("SAL_LPN",  "no LPN staff",                                                    0.00),
        ("AGY",      "0.51 x 2,080 = 1,060.8 h x 93.15",                            98813.52),
        ("BEN",      "salaries 977,513.42 + 43,056.00 = 1,020,569.42 x 0.2560 "
                     "= 261,265.7715",                                             261265.77),
        ("SUP",      "3,777 x 57.20",                                              216044.40),
        ("DRG",      "3,777 x 13.38",                                               50536.26),
        ("PUR",      "purchased services driver",                                   24720.00),
        ("OTH",      "other expense driver",                                        10250.00),
        ("expense",  "sum of the expense lines",                                  1682199.37),
        ("fte",      "11.11 + 1.00 + agency 0.51",                                     12.62),
        ("worked_hours", "(11.11 + 1.00) x 2,080 x 0.9139 + 0.51 x 2,080 = 24,080.8443", 24080.84),
    ],
    LAUNDRY: [
        ("REV",      "no revenue",                                                      0.00),
        ("SAL_TECH", "2.01 x 2,080 = 4,180.8 h x 18.63 = 77,888.304",               77888.30),
        ("BEN",      "77,888.30 x 0.3072 = 23,927.2858",                            23927.29),
        ("SUP",      "8,592 x 1.56",                                                13403.52),
        ("DRG",      "no drugs",                                                        0.00),
        ("OTH",      "other expense driver",                                         1230.00),
        ("expense",  "77,888.30 + 23,927.29 + 13,403.52 + 1,230.00",               116449.11),
    ],
    IMAGING: [
        ("REV",      "2,481 x 257.50",                                             638857.50),
        ("SAL_TECH", "3.34 x 2,080 = 6,947.2 h x 36.23 = 251,697.06; OT 6,947.2 x 0.9103 x "
                     "0.0385 = 243.4754 h x 36.23 x 0.5 = 4,410.56 (sum 256,107.6127)",
                                                                                   256107.61),
        ("SAL_MGMT", "2,080 x 62.10",                                              129168.00),
        ("BEN",      "(256,107.61 + 129,168.00) x 0.2253 = 86,802.5949",            86802.59),
        ("SUP",      "2,481 x 31.20",                                               77407.20),
        ("DRG",      "2,481 x 2.14",                                                 5309.34),
        ("PUR",      "purchased services driver",                                   37080.00),
        ("OTH",      "other expense driver",                                         6150.00),
        ("expense",  "sum of the expense lines",                                   598024.74),
    ],
}  # fmt: skip


def test_target_budget_lines(system: System) -> None:
    for code, rows in TARGET_LINES.items():
        fig = system.targets.by_cost_center[code].figures
        actual = fig.lines | {
            "expense": fig.expense,
            "fte": fig.fte,
            "worked_hours": fig.worked_hours,
        }
        check_table(rows, actual)


def test_system_margin_against_the_margin_target(system: System) -> None:
    assert system.targets.margin_reconciliation() == {
        "revenue": 4529167.50,  # 3,890,310.00 + 0 + 638,857.50
        "expense": 2396673.22,  # 1,682,199.37 + 116,449.11 + 598,024.74
        "margin": 2132494.28,  # 4,529,167.50 - 2,396,673.22
        "margin_pct": pytest.approx(0.470836, abs=1e-6),  # 2,132,494.28 / 4,529,167.50
        "target_margin_pct": 0.03,
        "target_margin": 135875.03,  # 4,529,167.50 x 0.03 = 135,875.025, a half case
        "gap": 1996619.25,  # 2,132,494.28 - 135,875.03
    }


# --- rounding policy: half away from zero, as Excel's ROUND ------------------------------------
HALF_CASES = [
    # value                      to the cent   why it is a trap
    (2.675, 2.68),  # stored as 2.67499999999999982236431605997495353221893310546875
    (-0.005, -0.01),  # away from zero, not up: -0.01
    (0.125, 0.13),  # exact in binary; half-even would give 0.12
    (35 * 1.035, 36.23),  # 36.225 computed as 36.224999999999994
    (0.285, 0.29),
    (-2.675, -2.68),
    (1.005, 1.01),
]


@pytest.mark.parametrize(("value", "expected"), HALF_CASES)
def test_money_is_rounded_half_away_from_zero(value: float, expected: float) -> None:
    assert cents(value) == expected
    assert round_to(value, 2) == expected
    assert cents_array(np.array([value]))[0] == expected


def test_whole_units_and_shares_round_half_away_from_zero() -> None:
    assert round_to(348.5, 0) == 349 and round_to(206.5, 0) == 207 and round_to(-0.5, 0) == -1
    assert round_to(0.25625, 4) == 0.2563  # a share to 4 decimals
    assert round_to(100 * 1.025, 0) == 103  # 102.5 computed as 102.49999999999999


def test_totals_add_rounded_lines_in_integer_cents() -> None:
    assert sum_cents([0.1] * 10) == 1.00  # floats would give 0.9999999999999999
    assert sum_cents([977513.42, 43056.00, 98813.52, 261265.77]) == 1380648.71


# --- phasing: a largest-remainder split --------------------------------------------------------
def test_largest_remainder_split_small() -> None:
    # 10 cents over weights 2 : 3 : 4 -> 2.222, 3.333, 4.444 cents; floors 2 + 3 + 4 = 9; the one
    # cent left goes to the largest remainder (0.444, the third)
    assert phase(0.10, [2, 3, 4]) == [0.02, 0.03, 0.05]
    assert phase(-0.10, [1, 1, 1]) == [-0.03, -0.03, -0.04]  # floors -4 each, 2 cents back


IMAGING_WEIGHTS = (186, 207, 227, 207, 207, 207, 186, 186, 207, 227, 227, 207)  # sum 2,481


def test_largest_remainder_split_of_a_year() -> None:
    # 10,000 cents x w / 2,481: 227 -> 914.954, 186 -> 749.698, 207 -> 834.341 cents.
    # Floors 3 x 914 + 3 x 749 + 6 x 834 = 9,993; 7 cents left go to the largest remainders:
    # the three 227 months (.954), the three 186 months (.698), then the first 207 month (Feb:
    # equal remainders go in month order).
    expected = [7.50, 8.35, 9.15, 8.34, 8.34, 8.34, 7.50, 7.50, 8.34, 9.15, 9.15, 8.34]
    assert phase(100.00, IMAGING_WEIGHTS) == expected
    assert phase_lines([100.00, 0.10], IMAGING_WEIGHTS) == [
        expected,
        [0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.00, 0.00, 0.01, 0.01, 0.01, 0.01],
    ]  # 10 cents: every floor is 0; by remainder the three 227 months (.915) and the six 207
    # months (.834) take 9 cents, the tenth goes to the first 186 month (.750), January


def test_laundry_other_expense_by_month(system: System) -> None:
    # 123,000 cents over Laundry's target months (sum 8,592): 738 -> 10,564.944; 697 -> 9,978.003;
    # 718 -> 10,278.631. Floors 3 x 10,564 + 4 x 9,978 + 5 x 10,278 = 122,994; 6 cents left: the
    # three 738 months (Jan, Nov, Dec), then three of the five 718 months in month order (Mar,
    # Apr, May); Sep and Oct keep the floor.
    months = system.targets.by_cost_center[LAUNDRY].figures.monthly()["OTH"]
    assert months == [105.65, 99.78, 102.79, 102.79, 102.79, 99.78, 99.78, 99.78, 102.78, 102.78,
                      105.65, 105.65]  # fmt: skip
