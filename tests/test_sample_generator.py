"""The sample health-system generator: layout, determinism, tie-outs and calibration."""

from __future__ import annotations

import filecmp
import time
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from hybridbudget.sample import write_actuals, write_sample

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "budget_workbooks" / "sample"
HISTORY_YEAR = 2026
MONEY = r"^-?\d+\.\d{2}$"

COLUMNS = {
    rel: columns.split(",")
    for rel, columns in {
        "organization/entities.csv": "entity_code,entity_name,entity_type,beds",
        "organization/service_lines.csv": "service_line_code,service_line_name,entity_code",
        "organization/cost_centers.csv": "cost_center_code,cost_center_name,service_line_code,"
        "cost_center_type,uos,stat_code,cms_code,owner_name,owner_email",
        "staffing/job_classes.csv": "job_class,job_class_name,fte_band_low,fte_band_high,"
        "wage_min,wage_max",
        "staffing/job_codes.csv": "job_code,job_title,job_class",
        "finance/account_map.csv": "account,account_name,line_item",
        f"extracts/ehr_volumes_{HISTORY_YEAR}.csv": "DEPT_ID,PERIOD,STAT_CODE,STAT_DESC,VOLUME",
        f"extracts/payroll_{HISTORY_YEAR}.csv": "PERIOD,COST_CENTER,JOB_CODE,EARN_TYPE,"
        "HOURS,AMOUNT",
        f"extracts/gl_actuals_{HISTORY_YEAR}.csv": "PERIOD,COST_CENTER,ACCOUNT,AMOUNT",
    }.items()
}
LINE_ITEMS = {
    "REV",
    "SAL_RN",
    "SAL_LPN",
    "SAL_CNA",
    "SAL_TECH",
    "SAL_CLER",
    "SAL_MGMT",
    "AGY",
    "BEN",
    "SUP",
    "DRG",
    "PUR",
    "OTH",
}


def read(folder: Path, rel: str) -> pd.DataFrame:
    return pd.read_csv(folder / rel, dtype=str, keep_default_na=False)


def cents(text: pd.Series) -> pd.Series:
    """Exact integer cents of amounts written with exactly two decimals."""
    assert text.str.fullmatch(MONEY).all()
    return text.str.replace(".", "", regex=False).astype("int64")


class Sample:
    """A written sample folder, read back as text tables."""

    def __init__(self, folder: Path, counts: dict[str, int], seconds: float = 0.0) -> None:
        self.folder = folder
        self.counts = counts
        self.seconds = seconds
        self.cc = read(folder, "organization/cost_centers.csv")
        self.sl = read(folder, "organization/service_lines.csv")
        self.ent = read(folder, "organization/entities.csv")
        self.codes = read(folder, "staffing/job_codes.csv")
        self.accounts = read(folder, "finance/account_map.csv")
        self.ehr = read(folder, f"extracts/ehr_volumes_{HISTORY_YEAR}.csv")
        self.pay = read(folder, f"extracts/payroll_{HISTORY_YEAR}.csv")
        self.gl = read(folder, f"extracts/gl_actuals_{HISTORY_YEAR}.csv")
        self.gl["line"] = self.gl["ACCOUNT"].map(
            dict(zip(*self.accounts[["account", "line_item"]].to_numpy().T, strict=True))
        )
        self.gl["cents"] = cents(self.gl["AMOUNT"])
        self.pay["cents"] = cents(self.pay["AMOUNT"])
        self.pay["hours"] = cents(self.pay["HOURS"]) / 100
        self.pay["job_class"] = self.pay["JOB_CODE"].map(
            dict(zip(self.codes["job_code"], self.codes["job_class"], strict=True))
        )


@pytest.fixture(scope="module")
def curated(tmp_path_factory) -> Sample:
    folder = tmp_path_factory.mktemp("curated")
    return Sample(folder, write_sample(folder))


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> Sample:
    folder = tmp_path_factory.mktemp("n2000")
    start = time.perf_counter()
    counts = write_sample(folder, cost_centers=2000, seed=11)
    return Sample(folder, counts, time.perf_counter() - start)


def files_of(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


# -- layout -------------------------------------------------------------------------------------


def test_layout_and_columns_follow_the_format_spec(curated):
    assert files_of(curated.folder) == sorted(["system.toml", *COLUMNS])
    for rel, columns in COLUMNS.items():
        assert list(read(curated.folder, rel).columns) == columns, rel
    config = tomllib.loads((curated.folder / "system.toml").read_text(encoding="utf-8"))
    assert config["system"]["fiscal_year"] == HISTORY_YEAR + 1
    assert config["guardrails"]["operating_margin_target"] == 0.03
    assert [e["level"] for e in config["escalation"]] == [1, 2, 3]


def test_counts_match_the_files(curated):
    c = curated.counts
    assert c["entities"] == len(curated.ent) == 3
    assert c["service_lines"] == len(curated.sl)
    assert c["cost_centers"] == len(curated.cc)
    assert c["ehr_volumes"] == len(curated.ehr)
    assert c["payroll"] == len(curated.pay)
    assert c["gl_actuals"] == len(curated.gl)


def test_bundled_sample_is_what_the_generator_writes(curated):
    assert files_of(BUNDLED) == files_of(curated.folder)
    for rel in files_of(curated.folder):
        assert filecmp.cmp(BUNDLED / rel, curated.folder / rel, shallow=False), rel


def test_curated_organization(curated):
    cc, sl = curated.cc, curated.sl
    assert list(curated.ent["entity_code"]) == ["RMC", "LCH", "RPN"]
    assert curated.ent.set_index("entity_code")["entity_type"].to_dict() == {
        "RMC": "hospital",
        "LCH": "hospital",
        "RPN": "clinic network",
    }
    assert 45 <= len(cc) <= 55
    per_entity = cc["cost_center_code"].str.split("-").str[0].value_counts()
    assert 28 <= per_entity["RMC"] <= 32 and 12 <= per_entity["LCH"] <= 15
    assert 8 <= per_entity["RPN"] <= 10
    kinds = sl["service_line_code"].str.split("-").str[1]
    assert kinds.nunique() >= 8
    assert sl["service_line_code"].is_unique and cc["cost_center_code"].is_unique
    assert cc["service_line_code"].isin(sl["service_line_code"]).all()
    assert sl["entity_code"].isin(curated.ent["entity_code"]).all()
    assert cc["cost_center_code"].str.fullmatch(r"[A-Z]+-\d{5}").all()
    assert cc["cms_code"].str.fullmatch(r"\d{5}").all()
    assert set(cc["cost_center_type"]) == {"inpatient", "outpatient", "ancillary", "support"}
    assert cc["owner_email"].str.fullmatch(r"[a-z.]+@riverbendhealth\.org").all()
    assert cc["owner_email"].is_unique
    names = set(cc["cost_center_name"])
    for name in (
        "Intensive Care Unit",
        "Emergency Department",
        "Operating Room",
        "Laboratory",
        "Pharmacy",
        "Housekeeping",
        "Dietary",
        "4 West Medical/Surgical",
    ):
        assert name in names


def test_reference_tables(curated):
    classes = read(curated.folder, "staffing/job_classes.csv")
    assert list(classes["job_class"]) == ["RN", "LPN", "CNA", "TECH", "CLER", "MGMT"]
    lo, hi = classes["fte_band_low"].astype(float), classes["fte_band_high"].astype(float)
    assert ((lo < 1) & (hi > 1)).all()
    assert (classes["wage_min"].astype(float) < classes["wage_max"].astype(float)).all()
    per_class = curated.codes.groupby("job_class").size()
    assert set(per_class.index) == set(classes["job_class"])
    assert per_class.between(2, 4).all()
    accounts = curated.accounts
    assert accounts["account"].str.fullmatch(r"\d{4}").all() and accounts["account"].is_unique
    assert set(accounts["line_item"]) == LINE_ITEMS
    assert (accounts["line_item"] == "OTH").sum() >= 6


# -- determinism -------------------------------------------------------------------------------


def test_same_arguments_give_the_same_bytes(tmp_path, curated):
    write_sample(tmp_path / "again")
    assert files_of(tmp_path / "again") == files_of(curated.folder)
    for rel in files_of(curated.folder):
        assert filecmp.cmp(tmp_path / "again" / rel, curated.folder / rel, shallow=False), rel
    write_sample(tmp_path / "a", cost_centers=70, seed=5)
    write_sample(tmp_path / "b", cost_centers=70, seed=5)
    write_sample(tmp_path / "c", cost_centers=70, seed=6)
    rel = f"extracts/payroll_{HISTORY_YEAR}.csv"
    assert filecmp.cmp(tmp_path / "a" / rel, tmp_path / "b" / rel, shallow=False)
    assert not filecmp.cmp(tmp_path / "a" / rel, tmp_path / "c" / rel, shallow=False)


# -- extracts ----------------------------------------------------------------------------------


def check_extracts(s: Sample) -> None:
    """Every row maps, every cost center reports, and the GL ties to payroll to the cent."""
    codes = set(s.cc["cost_center_code"])
    assert set(s.ehr["DEPT_ID"]) == codes
    assert set(s.pay["COST_CENTER"]) == codes
    assert set(s.gl["COST_CENTER"]) == codes
    periods = {f"{HISTORY_YEAR}-{m:02d}" for m in range(1, 13)}
    for frame in (s.ehr, s.pay, s.gl):
        assert set(frame["PERIOD"]) == periods
    assert len(s.ehr) == 12 * len(codes)
    stat_of = dict(zip(s.cc["cost_center_code"], s.cc["stat_code"], strict=True))
    assert (s.ehr["DEPT_ID"].map(stat_of) == s.ehr["STAT_CODE"]).all()
    assert s.ehr["VOLUME"].str.fullmatch(r"\d+").all()
    assert not s.ehr.duplicated(["DEPT_ID", "PERIOD", "STAT_CODE"]).any()

    assert s.gl["ACCOUNT"].isin(s.accounts["account"]).all()
    assert s.gl["line"].notna().all()
    assert s.pay["JOB_CODE"].isin(s.codes["job_code"]).all()
    assert set(s.pay["EARN_TYPE"]) == {"REG", "OT", "PTO", "AGY"}
    assert s.pay["HOURS"].str.fullmatch(r"\d+\.\d{2}").all()
    assert (s.pay["hours"] > 0).all() and (s.pay["cents"] > 0).all()
    assert not s.pay.duplicated(["PERIOD", "COST_CENTER", "JOB_CODE", "EARN_TYPE"]).any()
    assert not s.gl.duplicated(["PERIOD", "COST_CENTER", "ACCOUNT"]).any()

    keys = ["COST_CENTER", "PERIOD", "line"]
    employed = s.pay[s.pay["EARN_TYPE"] != "AGY"]
    payroll = pd.concat(
        [
            employed.assign(line="SAL_" + employed["job_class"]).groupby(keys)["cents"].sum(),
            s.pay[s.pay["EARN_TYPE"] == "AGY"].assign(line="AGY").groupby(keys)["cents"].sum(),
        ]
    ).sort_index()
    labor = s.gl[s.gl["line"].str.startswith("SAL_") | (s.gl["line"] == "AGY")]
    gl = labor.groupby(keys)["cents"].sum().sort_index()
    pd.testing.assert_series_equal(gl, payroll, check_names=False)

    rev = s.gl[s.gl["line"] == "REV"]
    assert (rev["cents"] < 0).all() and (s.gl.loc[s.gl["line"] != "REV", "cents"] > 0).all()
    support = set(s.cc.loc[s.cc["cost_center_type"] == "support", "cost_center_code"])
    earning = codes - support
    assert not rev["COST_CENTER"].isin(support).any()
    assert set(rev["COST_CENTER"]) == earning


def test_curated_extracts_tie_out(curated):
    check_extracts(curated)


def test_rare_accounts_are_sporadic(curated):
    oth = curated.gl[curated.gl["ACCOUNT"].isin(["7600", "7610", "7630", "7640", "7650"])]
    months = oth.groupby(["COST_CENTER", "ACCOUNT"])["PERIOD"].nunique()
    assert len(months) > 20 and (months < 12).mean() > 0.8
    assert oth["cents"].median() < 100_000  # small amounts: under $1,000 per posting


def test_seasonality(curated):
    ehr = curated.ehr.assign(v=curated.ehr["VOLUME"].astype(int), m=curated.ehr["PERIOD"].str[-2:])
    kind = ehr["DEPT_ID"].map(
        dict(zip(curated.cc["cost_center_code"], curated.cc["cost_center_type"], strict=True))
    )
    inpatient = ehr[ehr["STAT_CODE"] == "PTDAY"].groupby("m")["v"].sum()
    assert inpatient["01"] / 31 > 1.08 * inpatient["07"] / 31
    line = ehr["DEPT_ID"].map(
        dict(zip(curated.cc["cost_center_code"], curated.cc["service_line_code"], strict=True))
    )
    scheduled = (kind == "outpatient") & line.str.endswith(("-PRIM", "-SPEC"))
    clinics = ehr[scheduled].groupby("m")["v"].sum()
    assert clinics["07"] < 0.95 * clinics.mean() and clinics["12"] < 0.95 * clinics.mean()


def test_medical_center_magnitudes_follow_calibration(curated):
    gl, pay, ehr = curated.gl, curated.pay, curated.ehr
    rmc = gl["COST_CENTER"].str.startswith("RMC-")
    patient_days = (
        ehr.loc[ehr["DEPT_ID"].str.startswith("RMC-") & (ehr["STAT_CODE"] == "PTDAY"), "VOLUME"]
        .astype(int)
        .sum()
    )
    revenue = -gl.loc[rmc & (gl["line"] == "REV"), "cents"].sum() / 100
    expense = gl.loc[rmc & (gl["line"] != "REV"), "cents"].sum() / 100
    salaries = gl.loc[rmc & gl["line"].str.startswith("SAL_"), "cents"].sum() / 100
    agency = gl.loc[rmc & (gl["line"] == "AGY"), "cents"].sum() / 100
    benefits = gl.loc[rmc & (gl["line"] == "BEN"), "cents"].sum() / 100
    rmc_pay = pay[pay["COST_CENTER"].str.startswith("RMC-")]
    paid = rmc_pay.loc[rmc_pay["EARN_TYPE"] != "AGY", "hours"].sum()
    fte = paid / 2080
    assert 55_000 <= patient_days <= 60_000
    assert 300e6 <= revenue <= 350e6
    assert 1_100 <= fte <= 1_400
    assert 85e6 <= salaries <= 110e6
    assert 80_000 <= salaries / fte <= 85_000
    assert 1e6 <= agency <= 6e6
    assert 0.25 <= benefits / salaries <= 0.29
    assert 0.0 < (revenue - expense) / revenue < 0.06

    pto = rmc_pay.loc[rmc_pay["EARN_TYPE"] == "PTO", "hours"].sum() / paid
    worked = rmc_pay.loc[rmc_pay["EARN_TYPE"].isin(["REG", "OT"]), "hours"].sum()
    overtime = rmc_pay.loc[rmc_pay["EARN_TYPE"] == "OT", "hours"].sum() / worked
    assert 0.09 <= pto <= 0.11 and 0.03 <= overtime <= 0.08
    straight = rmc_pay[rmc_pay["EARN_TYPE"].isin(["REG", "PTO"])].groupby("job_class")
    wage = straight["cents"].sum() / 100 / straight["hours"].sum()
    assert 45 <= wage["RN"] <= 52 and 17 <= wage["CNA"] <= 24 and 55 <= wage["MGMT"] <= 75

    lch = gl["COST_CENTER"].str.startswith("LCH-")
    lch_revenue = -gl.loc[lch & (gl["line"] == "REV"), "cents"].sum() / 100
    assert 0.38 <= lch_revenue / revenue <= 0.47


def test_system_margin_is_slightly_positive(curated):
    gl = curated.gl
    revenue = -gl.loc[gl["line"] == "REV", "cents"].sum()
    expense = gl.loc[gl["line"] != "REV", "cents"].sum()
    assert 0.0 < (revenue - expense) / revenue < 0.02


# -- generated systems -------------------------------------------------------------------------


@pytest.mark.slow
def test_generated_system_of_2000_cost_centers(large):
    # how long it takes is measured by bench/run.py, never by a timed test
    assert large.counts["cost_centers"] == 2000
    assert len(large.cc) == 2000 and large.cc["cost_center_code"].is_unique
    assert large.ent["entity_code"].is_unique and large.sl["service_line_code"].is_unique
    assert large.cc["service_line_code"].isin(large.sl["service_line_code"]).all()
    assert "Hospital 03 Medical Center" in set(large.ent["entity_name"])
    assert set(large.ent["entity_type"]) == {"hospital", "clinic network"}
    check_extracts(large)


@pytest.mark.parametrize("n", [1, 7, 54, 60])
def test_generated_systems_have_exactly_n_cost_centers(tmp_path, n):
    counts = write_sample(tmp_path, cost_centers=n)
    cc = read(tmp_path, "organization/cost_centers.csv")
    assert counts["cost_centers"] == len(cc) == n
    assert cc["cost_center_code"].is_unique
    assert set(read(tmp_path, f"extracts/ehr_volumes_{HISTORY_YEAR}.csv")["DEPT_ID"]) == set(
        cc["cost_center_code"]
    )


def test_no_cost_centers_is_refused(tmp_path):
    with pytest.raises(ValueError):
        write_sample(tmp_path, cost_centers=0)


# -- actuals -----------------------------------------------------------------------------------


def test_write_actuals_writes_three_files_per_month(tmp_path, curated):
    paths = write_actuals(curated.folder, 2027, [3, 1, 2], tmp_path / "act")
    assert [p.name for p in paths] == [
        f"{stem}_2027-{m:02d}.csv"
        for m in (1, 2, 3)
        for stem in ("ehr_volumes", "payroll", "gl_actuals")
    ]
    history = {
        k: COLUMNS[f"extracts/{k}_{HISTORY_YEAR}.csv"]
        for k in ("ehr_volumes", "payroll", "gl_actuals")
    }
    for path in paths:
        stem, period = path.stem.rsplit("_", 1)
        frame = read(path.parent, path.name)
        assert list(frame.columns) == history[stem]
        assert set(frame["PERIOD"]) == {period}
        assert len(frame) > 0

    jan = {k: read(tmp_path / "act", f"{k}_2027-01.csv") for k in history}
    gl = jan["gl_actuals"]
    assert gl["ACCOUNT"].isin(curated.accounts["account"]).all()
    assert jan["payroll"]["JOB_CODE"].isin(curated.codes["job_code"]).all()
    assert set(jan["ehr_volumes"]["DEPT_ID"]) == set(curated.cc["cost_center_code"])
    pay = jan["payroll"].assign(cents=cents(jan["payroll"]["AMOUNT"]))
    agency_pay = pay.loc[pay["EARN_TYPE"] == "AGY"].groupby("COST_CENTER")["cents"].sum()
    agency_gl = gl[gl["ACCOUNT"] == "6500"].assign(cents=lambda f: cents(f["AMOUNT"]))
    assert agency_gl.set_index("COST_CENTER")["cents"].sort_index().equals(agency_pay.sort_index())
    rn_pay = pay[pay["JOB_CODE"].str.startswith("RN") & (pay["EARN_TYPE"] != "AGY")]
    rn_gl = gl[gl["ACCOUNT"] == "6010"].assign(cents=lambda f: cents(f["AMOUNT"]))
    assert (
        rn_gl.set_index("COST_CENTER")["cents"]
        .sort_index()
        .equals(rn_pay.groupby("COST_CENTER")["cents"].sum().sort_index())
    )

    # deterministic, and each month is the same whatever else is asked for
    again = write_actuals(curated.folder, 2027, [2], tmp_path / "again")
    assert [p.name for p in again] == [p.name for p in paths[3:6]]
    for p in again:
        assert filecmp.cmp(p, tmp_path / "act" / p.name, shallow=False)


def test_actuals_grow_from_history_and_drift_shifts_volume(tmp_path, curated):
    base = write_actuals(curated.folder, 2027, list(range(1, 13)), tmp_path / "base")
    more = write_actuals(curated.folder, 2027, list(range(1, 13)), tmp_path / "more", drift=0.08)

    def volume(paths: list[Path]) -> int:
        return sum(
            int(read(p.parent, p.name)["VOLUME"].astype(int).sum())
            for p in paths
            if p.name.startswith("ehr_volumes")
        )

    history = int(curated.ehr["VOLUME"].astype(int).sum())
    assert 1.0 < volume(base) / history < 1.06
    assert 1.05 < volume(more) / volume(base) < 1.11


def test_write_actuals_refuses_bad_months(tmp_path, curated):
    with pytest.raises(ValueError):
        write_actuals(curated.folder, 2027, [13], tmp_path)
    with pytest.raises(ValueError):
        write_actuals(curated.folder, 2027, [], tmp_path)
