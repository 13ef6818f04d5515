"""The sample health system's archetypes: data only, read by `generator`.

Magnitudes follow the CMS cost report (HCRIS 2021) medians of short-term acute care hospitals
with 200-300 beds; cost center names and codes follow CMS form 2552-10, worksheet A.
"""

from __future__ import annotations

from dataclasses import dataclass

SYSTEM_NAME = "Riverbend Health System"
FISCAL_YEAR = 2027  # the budget year; the history extracts are calendar FISCAL_YEAR - 1
EMAIL_DOMAIN = "riverbendhealth.org"


@dataclass(frozen=True, slots=True)
class Staff:
    """One payroll job code in a cost center: worked hours per unit of service and hourly wage."""

    job_code: str
    hours_per_uos: float
    wage: float


@dataclass(frozen=True, slots=True)
class Spend:
    """A non-payroll GL account: dollars per unit of service.

    fixed=False: the month's amount follows the month's volume; fixed=True: a steady monthly
    amount (annual = per_uos x annual volume) that does not flex with volume.
    """

    account: str
    per_uos: float
    fixed: bool = False


@dataclass(frozen=True, slots=True)
class Archetype:
    """A kind of cost center: unit of service, seasonality, staffing and spending per UOS."""

    cost_center_type: str  # inpatient | outpatient | ancillary | support
    uos: str
    stat_code: str
    season: str  # key of SEASONS
    staff: tuple[Staff, ...]
    revenue_per_uos: float = 0.0  # net patient revenue per UOS
    inpatient_share: float = 1.0  # share of revenue posted to the inpatient revenue account
    outpatient_account: str = "4100"
    spend: tuple[Spend, ...] = ()
    overtime: float = 0.045  # overtime hours, share of employed worked hours
    pto: float = 0.10  # paid time off, share of paid hours
    agency: float = 0.0  # agency (contract) share of RN worked hours
    agency_premium: float = 1.85  # agency hourly cost / staff RN hourly wage


@dataclass(frozen=True, slots=True)
class Unit:
    """A cost center of an entity template."""

    name: str
    cms_code: str  # CMS 2552-10 standard code the name follows
    service_line: str  # key of SERVICE_LINES
    archetype: str  # key of ARCHETYPES
    volume: int  # annual units of service (history year)
    agency: float | None = None  # overrides the archetype's agency share
    wage_factor: float = 1.0  # local wage level


@dataclass(frozen=True, slots=True)
class EntityTemplate:
    code: str
    name: str
    entity_type: str  # hospital | clinic network
    beds: int
    units: tuple[Unit, ...]


# -- staffing ----------------------------------------------------------------------------------

# job_class, job_class_name, fte_band_low, fte_band_high, wage_min, wage_max
JOB_CLASSES: tuple[tuple[str, str, float, float, float, float], ...] = (
    ("RN", "Registered nurse", 0.80, 1.25, 32.00, 90.00),
    ("LPN", "Licensed practical nurse", 0.80, 1.25, 20.00, 42.00),
    ("CNA", "Certified nursing assistant", 0.80, 1.25, 14.00, 36.00),
    ("TECH", "Technician / technologist", 0.80, 1.25, 20.00, 90.00),
    ("CLER", "Clerical", 0.80, 1.25, 15.00, 45.00),
    ("MGMT", "Management", 0.90, 1.10, 35.00, 130.00),
)

# job_code, job_title, job_class
JOB_CODES: tuple[tuple[str, str, str], ...] = (
    ("RN100", "Staff Nurse", "RN"),
    ("RN200", "Charge Nurse", "RN"),
    ("RN300", "Nurse Practitioner", "RN"),
    ("LPN100", "Licensed Practical Nurse", "LPN"),
    ("LPN200", "Clinic Licensed Practical Nurse", "LPN"),
    ("CNA100", "Certified Nursing Assistant", "CNA"),
    ("CNA200", "Patient Care Technician", "CNA"),
    ("CNA300", "Surgical Technician", "CNA"),
    ("CNA400", "Medical Assistant", "CNA"),
    ("TECH100", "Imaging Technologist", "TECH"),
    ("TECH200", "Clinical Laboratory Scientist", "TECH"),
    ("TECH300", "Respiratory / Rehabilitation Therapist", "TECH"),
    ("TECH400", "Pharmacist", "TECH"),
    ("CLER100", "Administrative Support Specialist", "CLER"),
    ("CLER200", "Patient Access Representative", "CLER"),
    ("CLER300", "Environmental and Facilities Services Worker", "CLER"),
    ("CLER400", "Food Service Worker", "CLER"),
    ("MGMT100", "Department Manager", "MGMT"),
    ("MGMT200", "Supervisor", "MGMT"),
    ("MGMT300", "Director", "MGMT"),
)

# Share of a job class's worked hours that does not flex with the month's volume.
FIXED_HOURS_SHARE: dict[str, float] = {
    "RN": 0.25,
    "LPN": 0.25,
    "CNA": 0.25,
    "TECH": 0.30,
    "CLER": 0.60,
    "MGMT": 1.00,
}
SUPPORT_FIXED_HOURS_SHARE = 0.85  # support departments staff mostly to a fixed schedule
NO_OVERTIME_CLASSES: frozenset[str] = frozenset({"MGMT"})  # exempt (salaried) staff

OVERTIME_PREMIUM = 1.5  # overtime hours are paid at 1.5x the hourly wage

# -- chart of accounts -------------------------------------------------------------------------

SALARY_ACCOUNTS: dict[str, str] = {
    "RN": "6010",
    "LPN": "6020",
    "CNA": "6030",
    "TECH": "6040",
    "CLER": "6050",
    "MGMT": "6060",
}
AGENCY_ACCOUNT = "6500"
INPATIENT_REVENUE_ACCOUNT = "4000"

# account, account_name, line_item
ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("4000", "Inpatient net patient revenue", "REV"),
    ("4100", "Outpatient net patient revenue", "REV"),
    ("4200", "Clinic net patient revenue", "REV"),
    ("6010", "Salaries - registered nurses", "SAL_RN"),
    ("6020", "Salaries - licensed practical nurses", "SAL_LPN"),
    ("6030", "Salaries - nursing assistants and technicians", "SAL_CNA"),
    ("6040", "Salaries - technologists, therapists and pharmacists", "SAL_TECH"),
    ("6050", "Salaries - clerical and support", "SAL_CLER"),
    ("6060", "Salaries - management", "SAL_MGMT"),
    ("6100", "FICA and Medicare tax", "BEN"),
    ("6110", "Health and dental insurance", "BEN"),
    ("6120", "Retirement plan contributions", "BEN"),
    ("6130", "Workers' compensation insurance", "BEN"),
    ("6140", "Life, disability and other benefits", "BEN"),
    ("6500", "Contract labor - agency staff", "AGY"),
    ("7000", "Medical and surgical supplies", "SUP"),
    ("7010", "Implants and prosthetics", "SUP"),
    ("7020", "Laboratory and imaging supplies", "SUP"),
    ("7030", "Food and dietary supplies", "SUP"),
    ("7040", "Office and general supplies", "SUP"),
    ("7100", "Pharmaceuticals", "DRG"),
    ("7200", "Physician and professional fees", "PUR"),
    ("7210", "Contracted services", "PUR"),
    ("7220", "Repairs and maintenance contracts", "PUR"),
    ("7230", "Software and IT services", "PUR"),
    ("7240", "Reference laboratory services", "PUR"),
    ("7250", "Laundry and linen services", "PUR"),
    ("7260", "Consulting, legal and audit fees", "PUR"),
    ("7500", "Utilities", "OTH"),
    ("7510", "Insurance", "OTH"),
    ("7520", "Leases and rentals", "OTH"),
    ("7600", "Dues and subscriptions", "OTH"),
    ("7610", "Travel and meetings", "OTH"),
    ("7620", "Education and training", "OTH"),
    ("7630", "Printing and forms", "OTH"),
    ("7640", "Postage and freight", "OTH"),
    ("7650", "Minor equipment", "OTH"),
    ("7660", "Licenses and fees", "OTH"),
    ("7670", "Recruitment and advertising", "OTH"),
    ("7900", "Depreciation and amortization", "OTH"),
)

# Benefit accounts: share of the cost center's salaries (REG + OT + PTO earnings); 27% in all.
BENEFITS: tuple[tuple[str, float], ...] = (
    ("6100", 0.0765),
    ("6110", 0.1320),
    ("6120", 0.0420),
    ("6130", 0.0110),
    ("6140", 0.0085),
)

# Rarely used accounts: account, typical annual amount, chance a cost center uses the account,
# chance of a posting in a given month.
RARE_ACCOUNTS: tuple[tuple[str, float, float, float], ...] = (
    ("7600", 2400.0, 0.55, 0.20),
    ("7610", 5200.0, 0.70, 0.35),
    ("7620", 3800.0, 0.65, 0.30),
    ("7630", 1500.0, 0.50, 0.30),
    ("7640", 900.0, 0.45, 0.40),
    ("7650", 7000.0, 0.40, 0.15),
    ("7660", 1800.0, 0.35, 0.15),
    ("7670", 4200.0, 0.30, 0.15),
)

# -- seasonality: relative daily activity by calendar month (Jan..Dec) ---------------------------

SEASONS: dict[str, tuple[float, ...]] = {
    # inpatient census: winter respiratory season peak, summer low
    "inpatient": (1.09, 1.08, 1.04, 1.00, 0.97, 0.95, 0.94, 0.95, 0.97, 0.99, 1.01, 1.04),
    # scheduled outpatient work: dips in July and December (vacations, holidays)
    "outpatient": (1.00, 1.03, 1.04, 1.02, 1.02, 1.00, 0.88, 1.01, 1.02, 1.04, 1.00, 0.86),
    # ancillaries serve both
    "ancillary": (1.05, 1.05, 1.04, 1.01, 1.00, 0.98, 0.91, 0.98, 1.00, 1.02, 1.01, 0.95),
    "emergency": (1.06, 1.04, 1.00, 0.98, 1.00, 1.01, 1.02, 1.01, 0.98, 0.97, 0.97, 1.00),
    "births": (0.96, 0.94, 0.97, 0.97, 1.00, 1.02, 1.06, 1.07, 1.05, 1.00, 0.97, 0.98),
    "urgent": (1.16, 1.12, 1.03, 0.97, 0.95, 0.93, 0.90, 0.97, 1.00, 1.00, 1.02, 0.98),
    "support": (1.03, 1.03, 1.02, 1.00, 0.99, 0.98, 0.97, 0.98, 0.99, 1.00, 1.00, 1.01),
}

# Paid time off by calendar month relative to the year's average (summer and holidays).
PTO_SEASON: tuple[float, ...] = (
    0.92, 0.85, 0.92, 0.95, 1.00, 1.12, 1.22, 1.15, 0.95, 0.92, 0.95, 1.25,
)  # fmt: skip

# -- archetypes --------------------------------------------------------------------------------

_S = Staff
_P = Spend

# fmt: off
ARCHETYPES: dict[str, Archetype] = {
    "medsurg": Archetype(
        "inpatient", "patient days", "PTDAY", "inpatient",
        (_S("RN100", 7.00, 48.69), _S("RN200", 0.75, 53.48), _S("LPN100", 0.35, 28.10),
         _S("CNA100", 3.10, 20.50), _S("CLER100", 0.50, 22.25), _S("MGMT100", 0.22, 66.04),
         _S("MGMT200", 0.10, 54.08)),
        revenue_per_uos=1620.0,
        spend=(_P("7000", 96.0), _P("7100", 17.0), _P("7040", 3.5), _P("7220", 6.0, True),
               _P("7210", 9.0, True), _P("7200", 58.0, True)),
        overtime=0.045, pto=0.10,
    ),
    "progressive": Archetype(
        "inpatient", "patient days", "PTDAY", "inpatient",
        (_S("RN100", 8.60, 49.84), _S("RN200", 0.80, 54.42), _S("CNA100", 2.60, 20.71),
         _S("CNA200", 0.60, 21.83), _S("CLER100", 0.50, 22.25), _S("MGMT100", 0.22, 67.60),
         _S("MGMT200", 0.10, 55.12)),
        revenue_per_uos=2093.0,
        spend=(_P("7000", 124.0), _P("7100", 24.0), _P("7040", 3.5), _P("7220", 9.0, True),
               _P("7210", 9.0, True), _P("7200", 58.0, True)),
        overtime=0.055, agency=0.04,
    ),
    "oncology": Archetype(
        "inpatient", "patient days", "PTDAY", "inpatient",
        (_S("RN100", 7.60, 50.14), _S("RN200", 0.75, 54.94), _S("CNA100", 2.70, 20.60),
         _S("CLER100", 0.50, 22.25), _S("MGMT100", 0.24, 66.56), _S("MGMT200", 0.08, 54.08)),
        revenue_per_uos=1956.0,
        spend=(_P("7000", 110.0), _P("7100", 76.0), _P("7040", 3.5), _P("7220", 6.0, True),
               _P("7210", 9.0, True), _P("7200", 58.0, True)),
        overtime=0.04,
    ),
    "icu": Archetype(
        "inpatient", "patient days", "PTDAY", "inpatient",
        (_S("RN100", 17.40, 52.22), _S("RN200", 1.50, 56.80), _S("CNA100", 2.00, 21.01),
         _S("CLER100", 0.55, 22.66), _S("MGMT100", 0.40, 71.76), _S("MGMT200", 0.18, 58.24)),
        revenue_per_uos=3776.0,
        spend=(_P("7000", 255.0), _P("7100", 95.0), _P("7040", 4.0), _P("7220", 28.0, True),
               _P("7210", 18.0, True)),
        overtime=0.07, agency=0.12, agency_premium=1.90,
    ),
    "labor_delivery": Archetype(
        "inpatient", "deliveries", "DELIV", "births",
        (_S("RN100", 21.00, 51.60), _S("RN200", 2.00, 55.98), _S("CNA300", 3.20, 28.15),
         _S("CLER100", 1.60, 22.45), _S("MGMT100", 1.00, 69.68), _S("MGMT200", 0.50, 56.16)),
        revenue_per_uos=4232.0,
        spend=(_P("7000", 360.0), _P("7100", 85.0), _P("7040", 6.0), _P("7220", 40.0, True),
               _P("7200", 260.0, True)),
        overtime=0.05,
    ),
    "mother_baby": Archetype(
        "inpatient", "patient days", "PTDAY", "births",
        (_S("RN100", 6.10, 49.32), _S("RN200", 0.55, 53.90), _S("CNA100", 2.20, 20.50),
         _S("CLER100", 0.50, 22.25), _S("MGMT100", 0.25, 66.56)),
        revenue_per_uos=1365.0,
        spend=(_P("7000", 62.0), _P("7100", 9.0), _P("7040", 3.0), _P("7210", 6.0, True)),
        overtime=0.04,
    ),
    "nursery": Archetype(
        "inpatient", "patient days", "PTDAY", "births",
        (_S("RN100", 3.80, 49.10), _S("CNA100", 0.80, 20.40), _S("CLER100", 0.20, 22.25),
         _S("MGMT100", 0.15, 65.52)),
        revenue_per_uos=783.0,
        spend=(_P("7000", 38.0), _P("7100", 6.0), _P("7040", 1.5)),
        overtime=0.035,
    ),
    "nicu": Archetype(
        "inpatient", "patient days", "PTDAY", "births",
        (_S("RN100", 13.20, 52.44), _S("RN200", 1.10, 57.02), _S("CNA100", 0.80, 20.81),
         _S("CLER100", 0.50, 22.66), _S("MGMT100", 0.45, 72.80)),
        revenue_per_uos=3458.0,
        spend=(_P("7000", 170.0), _P("7100", 60.0), _P("7040", 3.0), _P("7220", 20.0, True),
               _P("7200", 180.0, True)),
        overtime=0.06, agency=0.05,
    ),
    "birthing_center": Archetype(
        "inpatient", "patient days", "PTDAY", "births",
        (_S("RN100", 10.20, 49.52), _S("RN200", 0.90, 53.68), _S("CNA100", 2.40, 20.20),
         _S("CLER100", 0.80, 21.84), _S("MGMT100", 0.50, 65.52)),
        revenue_per_uos=2275.0,
        spend=(_P("7000", 150.0), _P("7100", 30.0), _P("7040", 3.0), _P("7200", 120.0, True)),
        overtime=0.05,
    ),
    "emergency": Archetype(
        "outpatient", "visits", "VISIT", "emergency",
        (_S("RN100", 1.44, 52.12), _S("RN200", 0.14, 56.60), _S("CNA200", 0.46, 21.62),
         _S("CLER200", 0.42, 22.04), _S("MGMT100", 0.05, 72.80), _S("MGMT200", 0.04, 58.24)),
        revenue_per_uos=628.0,
        inpatient_share=0.0,
        spend=(_P("7000", 58.0), _P("7100", 24.0), _P("7040", 2.0), _P("7200", 118.0, True),
               _P("7220", 6.0, True), _P("7210", 9.0, True)),
        overtime=0.065, agency=0.10, agency_premium=1.85,
    ),
    "operating_room": Archetype(
        "ancillary", "cases", "SURGCS", "outpatient",
        (_S("RN100", 7.10, 53.68), _S("RN200", 0.80, 58.06), _S("CNA300", 5.40, 28.97),
         _S("CNA200", 1.40, 21.01), _S("CLER100", 0.90, 22.87), _S("MGMT100", 0.45, 76.96),
         _S("MGMT300", 0.20, 91.52)),
        revenue_per_uos=4459.0,
        inpatient_share=0.55,
        spend=(_P("7000", 1250.0), _P("7010", 1150.0), _P("7100", 105.0), _P("7040", 6.0),
               _P("7200", 420.0, True), _P("7220", 95.0, True), _P("7210", 40.0, True)),
        overtime=0.055, agency=0.08, agency_premium=1.90,
    ),
    "pacu": Archetype(
        "ancillary", "cases", "SURGCS", "outpatient",
        (_S("RN100", 3.30, 52.22), _S("CNA100", 0.40, 20.81), _S("CLER100", 0.20, 22.45),
         _S("MGMT100", 0.14, 68.64)),
        revenue_per_uos=564.0,
        inpatient_share=0.55,
        spend=(_P("7000", 42.0), _P("7100", 18.0), _P("7040", 1.0)),
        overtime=0.05,
    ),
    "ambulatory_surgery": Archetype(
        "outpatient", "cases", "SURGCS", "outpatient",
        (_S("RN100", 3.10, 50.78), _S("CNA100", 0.80, 20.60), _S("CLER200", 0.60, 21.84),
         _S("MGMT100", 0.20, 68.64)),
        revenue_per_uos=837.0,
        inpatient_share=0.0,
        spend=(_P("7000", 96.0), _P("7100", 22.0), _P("7040", 2.0), _P("7210", 15.0, True)),
        overtime=0.03,
    ),
    "cath_lab": Archetype(
        "ancillary", "procedures", "PROC", "outpatient",
        (_S("RN100", 5.40, 53.90), _S("TECH100", 4.40, 40.94), _S("CLER100", 0.60, 22.66),
         _S("MGMT100", 0.50, 76.96)),
        revenue_per_uos=4823.0,
        inpatient_share=0.45,
        spend=(_P("7000", 2900.0), _P("7100", 60.0), _P("7040", 5.0), _P("7220", 180.0, True)),
        overtime=0.06, agency=0.05,
    ),
    "cardiology": Archetype(
        "ancillary", "tests", "TEST", "ancillary",
        (_S("TECH100", 0.44, 36.87), _S("CLER100", 0.12, 22.25), _S("MGMT100", 0.03, 66.56)),
        revenue_per_uos=168.0,
        inpatient_share=0.45,
        spend=(_P("7000", 6.0), _P("7040", 0.5), _P("7220", 4.0, True), _P("7200", 12.0, True)),
        overtime=0.03,
    ),
    "radiology": Archetype(
        "ancillary", "procedures", "PROC", "ancillary",
        (_S("TECH100", 0.62, 36.05), _S("RN100", 0.04, 50.56), _S("CNA200", 0.05, 20.20),
         _S("CLER200", 0.14, 22.04), _S("MGMT100", 0.03, 68.64), _S("MGMT300", 0.01, 89.44)),
        revenue_per_uos=144.0,
        inpatient_share=0.35,
        spend=(_P("7020", 11.0), _P("7000", 3.0), _P("7040", 0.6), _P("7220", 9.0, True),
               _P("7520", 3.0, True)),
        overtime=0.04,
    ),
    "ct_scan": Archetype(
        "ancillary", "procedures", "PROC", "ancillary",
        (_S("TECH100", 0.55, 39.31), _S("CLER200", 0.08, 22.04), _S("MGMT100", 0.03, 68.64)),
        revenue_per_uos=423.0,
        inpatient_share=0.40,
        spend=(_P("7020", 31.0), _P("7040", 0.5), _P("7220", 24.0, True)),
        overtime=0.045,
    ),
    "mri": Archetype(
        "ancillary", "procedures", "PROC", "outpatient",
        (_S("TECH100", 1.15, 41.96), _S("CLER200", 0.15, 22.04), _S("MGMT100", 0.06, 68.64)),
        revenue_per_uos=669.0,
        inpatient_share=0.25,
        spend=(_P("7020", 46.0), _P("7040", 0.8), _P("7220", 62.0, True)),
        overtime=0.035,
    ),
    "laboratory": Archetype(
        "ancillary", "tests", "TEST", "ancillary",
        (_S("TECH200", 0.070, 36.26), _S("CNA200", 0.024, 19.99), _S("CLER100", 0.006, 22.04),
         _S("MGMT100", 0.0025, 70.72), _S("MGMT200", 0.002, 54.08)),
        revenue_per_uos=19.1,
        inpatient_share=0.45,
        spend=(_P("7020", 4.5), _P("7000", 0.5), _P("7040", 0.1), _P("7240", 1.1, True),
               _P("7220", 0.6, True)),
        overtime=0.045,
    ),
    "pharmacy": Archetype(
        "ancillary", "doses", "DOSE", "ancillary",
        (_S("TECH400", 0.021, 66.57), _S("CNA200", 0.030, 21.62), _S("CLER100", 0.003, 22.25),
         _S("MGMT300", 0.0018, 87.36)),
        revenue_per_uos=25.9,
        inpatient_share=0.60,
        spend=(_P("7100", 26.5), _P("7000", 0.4), _P("7040", 0.05), _P("7230", 0.3, True)),
        overtime=0.035,
    ),
    "respiratory": Archetype(
        "ancillary", "treatments", "TREAT", "inpatient",
        (_S("TECH300", 0.48, 38.09), _S("CLER100", 0.02, 22.25), _S("MGMT100", 0.02, 68.64)),
        revenue_per_uos=50.1,
        inpatient_share=0.80,
        spend=(_P("7000", 8.5), _P("7100", 2.0), _P("7220", 1.5, True)),
        overtime=0.06,
    ),
    "rehabilitation": Archetype(
        "ancillary", "treatments", "TREAT", "outpatient",
        (_S("TECH300", 0.92, 42.57), _S("CNA200", 0.10, 19.79), _S("CLER200", 0.12, 21.84),
         _S("MGMT100", 0.05, 68.64)),
        revenue_per_uos=102.0,
        inpatient_share=0.35,
        spend=(_P("7000", 4.0), _P("7040", 0.5), _P("7520", 6.0, True)),
        overtime=0.02,
    ),
    "administration": Archetype(
        "support", "adjusted patient days", "ADJPD", "support",
        (_S("CLER100", 1.90, 28.50), _S("MGMT100", 0.14, 66.56), _S("MGMT300", 0.12, 101.92)),
        spend=(_P("7260", 36.0, True), _P("7210", 80.0, True), _P("7510", 60.0, True),
               _P("7900", 190.0, True), _P("7520", 22.0, True), _P("7040", 2.5)),
        overtime=0.01,
    ),
    "community_administration": Archetype(
        "support", "adjusted patient days", "ADJPD", "support",
        (_S("CLER100", 1.95, 27.20), _S("CLER200", 0.45, 21.00), _S("MGMT100", 0.18, 66.00),
         _S("MGMT300", 0.14, 100.00), _S("RN200", 0.15, 53.04)),
        spend=(_P("7260", 30.0, True), _P("7210", 60.0, True), _P("7230", 95.0, True),
               _P("7510", 60.0, True), _P("7900", 180.0, True), _P("7520", 20.0, True),
               _P("7040", 3.0)),
        overtime=0.015,
    ),
    "information_systems": Archetype(
        "support", "adjusted patient days", "ADJPD", "support",
        (_S("CLER100", 0.38, 38.00), _S("MGMT100", 0.05, 74.88), _S("MGMT300", 0.02, 99.84)),
        spend=(_P("7230", 100.0, True), _P("7220", 8.0, True), _P("7040", 0.8)),
        overtime=0.02,
    ),
    "patient_access": Archetype(
        "support", "registrations", "REGIS", "support",
        (_S("CLER200", 0.50, 21.42), _S("MGMT100", 0.02, 62.40), _S("MGMT200", 0.02, 47.84)),
        spend=(_P("7040", 0.4), _P("7210", 3.5, True)),
        overtime=0.03,
    ),
    "plant_operations": Archetype(
        "support", "adjusted patient days", "ADJPD", "support",
        (_S("CLER300", 0.46, 32.50), _S("MGMT100", 0.03, 68.64)),
        spend=(_P("7500", 50.0, True), _P("7220", 28.0, True), _P("7040", 1.5)),
        overtime=0.05,
    ),
    "housekeeping": Archetype(
        "support", "adjusted patient days", "ADJPD", "support",
        (_S("CLER300", 1.12, 19.36), _S("MGMT200", 0.05, 45.76), _S("MGMT100", 0.02, 60.32)),
        spend=(_P("7040", 4.0), _P("7250", 9.0)),
        overtime=0.04,
    ),
    "dietary": Archetype(
        "support", "meals", "MEALS", "support",
        (_S("CLER400", 0.40, 19.16), _S("MGMT200", 0.02, 45.76), _S("MGMT100", 0.012, 60.32)),
        spend=(_P("7030", 5.2), _P("7040", 0.2)),
        overtime=0.035,
    ),
    "nursing_administration": Archetype(
        "support", "adjusted patient days", "ADJPD", "support",
        (_S("MGMT200", 0.24, 60.32), _S("MGMT300", 0.05, 99.84), _S("RN200", 0.20, 54.10),
         _S("CLER100", 0.10, 24.31)),
        spend=(_P("7040", 0.5), _P("7210", 2.0, True)),
        overtime=0.01,
    ),
    "network_administration": Archetype(
        "support", "visits", "VISIT", "support",
        (_S("CLER100", 0.22, 27.19), _S("MGMT100", 0.02, 66.56), _S("MGMT300", 0.02, 99.84)),
        spend=(_P("7230", 7.5, True), _P("7260", 2.0, True), _P("7510", 3.0, True),
               _P("7040", 0.3)),
        overtime=0.01,
    ),
    "primary_care": Archetype(
        "outpatient", "visits", "VISIT", "outpatient",
        (_S("RN300", 0.26, 61.61), _S("RN100", 0.10, 44.53), _S("LPN200", 0.28, 27.60),
         _S("CNA400", 0.60, 19.79), _S("CLER200", 0.48, 21.01), _S("MGMT100", 0.05, 58.24)),
        revenue_per_uos=178.0,
        inpatient_share=0.0,
        outpatient_account="4200",
        spend=(_P("7200", 88.0, True), _P("7000", 6.5), _P("7100", 3.0), _P("7040", 1.2),
               _P("7520", 14.0, True), _P("7500", 3.0, True)),
        overtime=0.02, pto=0.095,
    ),
    "urgent_care": Archetype(
        "outpatient", "visits", "VISIT", "urgent",
        (_S("RN300", 0.30, 63.44), _S("RN100", 0.18, 46.40), _S("TECH100", 0.08, 34.22),
         _S("CNA400", 0.48, 19.99), _S("CLER200", 0.44, 21.01), _S("MGMT100", 0.05, 60.32)),
        revenue_per_uos=186.0,
        inpatient_share=0.0,
        outpatient_account="4200",
        spend=(_P("7200", 66.0, True), _P("7000", 9.0), _P("7100", 5.0), _P("7040", 1.2),
               _P("7520", 12.0, True), _P("7500", 3.0, True)),
        overtime=0.04, pto=0.095,
    ),
    "specialty_clinic": Archetype(
        "outpatient", "visits", "VISIT", "outpatient",
        (_S("RN100", 0.24, 48.06), _S("LPN200", 0.20, 28.20), _S("CNA400", 0.55, 20.20),
         _S("CLER200", 0.55, 21.42), _S("MGMT100", 0.06, 62.40)),
        revenue_per_uos=280.0,
        inpatient_share=0.0,
        outpatient_account="4200",
        spend=(_P("7200", 158.0, True), _P("7000", 8.0), _P("7100", 4.0), _P("7040", 1.5),
               _P("7520", 16.0, True), _P("7500", 3.5, True)),
        overtime=0.02, pto=0.10,
    ),
}
# fmt: on

# -- service lines and entities ----------------------------------------------------------------

SERVICE_LINES: dict[str, str] = {
    "MED": "Medical/Surgical",
    "CRIT": "Critical Care",
    "WCH": "Women & Children",
    "EMER": "Emergency Services",
    "SURG": "Surgical Services",
    "CARD": "Heart & Vascular",
    "IMAG": "Imaging",
    "LAB": "Laboratory",
    "PHAR": "Pharmacy",
    "THER": "Therapies",
    "PRIM": "Primary Care",
    "URG": "Urgent Care",
    "SPEC": "Specialty Care",
    "SUPP": "Support Services",
}

_U = Unit

MEDICAL_CENTER = EntityTemplate(
    "RMC", "Riverbend Medical Center", "hospital", 250,
    (
        _U("4 West Medical/Surgical", "03000", "MED", "medsurg", 9200),
        _U("4 East Medical/Surgical", "03000", "MED", "medsurg", 8800, wage_factor=0.99),
        _U("5 West Orthopedics/Surgical", "03000", "MED", "medsurg", 8200, wage_factor=1.01),
        _U("5 East Progressive Care", "03000", "MED", "progressive", 7800),
        _U("6 West Medical Oncology", "03000", "MED", "oncology", 5800),
        _U("Intensive Care Unit", "03100", "CRIT", "icu", 5400),
        _U("Coronary Care Unit", "03200", "CRIT", "icu", 2500, agency=0.08),
        _U("Labor & Delivery", "05200", "WCH", "labor_delivery", 1900),
        _U("Mother/Baby Unit", "03000", "WCH", "mother_baby", 4300),
        _U("Newborn Nursery", "04300", "WCH", "nursery", 3200),
        _U("Neonatal Intensive Care Unit", "02060", "WCH", "nicu", 2400),
        _U("Emergency Department", "09100", "EMER", "emergency", 52000),
        _U("Operating Room", "05000", "SURG", "operating_room", 9500),
        _U("Post-Anesthesia Care Unit", "05100", "SURG", "pacu", 9200),
        _U("Ambulatory Surgery", "07500", "SURG", "ambulatory_surgery", 5800),
        _U("Cardiac Catheterization Lab", "05900", "CARD", "cath_lab", 3200),
        _U("Noninvasive Cardiology", "06900", "CARD", "cardiology", 38000),
        _U("Diagnostic Radiology", "05400", "IMAG", "radiology", 72000),
        _U("CT Scan", "05700", "IMAG", "ct_scan", 30000),
        _U("MRI", "05800", "IMAG", "mri", 8500),
        _U("Laboratory", "06000", "LAB", "laboratory", 1050000),
        _U("Pharmacy", "01500", "PHAR", "pharmacy", 1300000),
        _U("Respiratory Therapy", "06500", "THER", "respiratory", 95000),
        _U("Physical Therapy", "06600", "THER", "rehabilitation", 28000),
        _U("Administration", "00500", "SUPP", "administration", 115000),
        _U("Information Systems", "00550", "SUPP", "information_systems", 115000),
        _U("Patient Access", "00570", "SUPP", "patient_access", 190000),
        _U("Plant Operations", "00700", "SUPP", "plant_operations", 115000),
        _U("Housekeeping", "00900", "SUPP", "housekeeping", 115000),
        _U("Dietary", "01000", "SUPP", "dietary", 270000),
        _U("Nursing Administration", "01300", "SUPP", "nursing_administration", 115000),
    ),
)  # fmt: skip

COMMUNITY_HOSPITAL = EntityTemplate(
    "LCH", "Lakeshore Community Hospital", "hospital", 110,
    (
        _U("2 North Medical/Surgical", "03000", "MED", "medsurg", 9300, wage_factor=0.97),
        _U("2 South Medical/Surgical", "03000", "MED", "medsurg", 8600, wage_factor=0.97),
        _U("Intensive Care Unit", "03100", "CRIT", "icu", 3000, agency=0.15, wage_factor=0.98),
        _U("Family Birthing Center", "03070", "WCH", "birthing_center", 3000, wage_factor=0.97),
        _U("Emergency Department", "09100", "EMER", "emergency", 33000, wage_factor=0.98),
        _U("Operating Room", "05000", "SURG", "operating_room", 5400, wage_factor=0.98),
        _U("Diagnostic Imaging", "05400", "IMAG", "radiology", 55000, wage_factor=0.97),
        _U("CT Scan", "05700", "IMAG", "ct_scan", 17000, wage_factor=0.97),
        _U("Laboratory", "06000", "LAB", "laboratory", 560000, wage_factor=0.97),
        _U("Pharmacy", "01500", "PHAR", "pharmacy", 640000, wage_factor=0.98),
        _U("Administration", "00500", "SUPP", "community_administration", 54000,
           wage_factor=0.97),
        _U("Plant Operations", "00700", "SUPP", "plant_operations", 54000, wage_factor=0.97),
        _U("Housekeeping", "00900", "SUPP", "housekeeping", 54000, wage_factor=0.97),
        _U("Dietary", "01000", "SUPP", "dietary", 105000, wage_factor=0.97),
    ),
)  # fmt: skip

PHYSICIAN_NETWORK = EntityTemplate(
    "RPN", "Riverbend Physician Network", "clinic network", 0,
    (
        _U("Riverbend Family Medicine - Downtown", "04040", "PRIM", "primary_care", 24000),
        _U("Riverbend Family Medicine - Northgate", "04040", "PRIM", "primary_care", 21000),
        _U("Lakeshore Primary Care", "04040", "PRIM", "primary_care", 18000, wage_factor=0.97),
        _U("Riverbend Pediatrics", "09000", "PRIM", "primary_care", 19000),
        _U("Riverbend Urgent Care - Westfield", "09000", "URG", "urgent_care", 22000),
        _U("Lakeshore Urgent Care", "09000", "URG", "urgent_care", 16000, wage_factor=0.97),
        _U("Riverbend Heart & Vascular Clinic", "09000", "SPEC", "specialty_clinic", 11000),
        _U("Riverbend Orthopedics & Sports Medicine", "09000", "SPEC", "specialty_clinic", 13000),
        _U("Network Administration", "00500", "SUPP", "network_administration", 144000),
    ),
)  # fmt: skip

# The curated system, and the cycle of templates a generated system of N cost centers repeats.
CURATED_ENTITIES: tuple[EntityTemplate, ...] = (
    MEDICAL_CENTER,
    COMMUNITY_HOSPITAL,
    PHYSICIAN_NETWORK,
)
GENERATED_CYCLE: tuple[tuple[EntityTemplate, str], ...] = (
    (MEDICAL_CENTER, "Hospital {n} Medical Center"),
    (COMMUNITY_HOSPITAL, "Hospital {n} Community Hospital"),
    (PHYSICIAN_NETWORK, "Clinic Network {n}"),
)

# -- history noise and actuals trends ----------------------------------------------------------

# Lognormal sigma of month-to-month noise.
NOISE_HISTORY: dict[str, float] = {"volume": 0.030, "hours": 0.025, "rate": 0.020, "spend": 0.040}
NOISE_ACTUALS: dict[str, float] = {"volume": 0.040, "hours": 0.030, "rate": 0.025, "spend": 0.050}

# Yearly change from the history year to an actuals year (actual results, not the guardrails).
ACTUALS_VOLUME_GROWTH: dict[str, float] = {
    "inpatient": 0.018,
    "outpatient": 0.032,
    "ancillary": 0.025,
    "support": 0.018,
}
ACTUALS_PRICE_CHANGE: dict[str, float] = {
    "REV": 0.026,
    "WAGE": 0.038,
    "BEN": 0.055,
    "SUP": 0.045,
    "DRG": 0.075,
    "PUR": 0.032,
    "OTH": 0.028,
}

# -- fictional managers ------------------------------------------------------------------------

FIRST_NAMES: tuple[str, ...] = (
    "Alicia", "Benjamin", "Carmen", "Daniel", "Elena", "Francis", "Grace", "Henry", "Irene",
    "Jamal", "Karen", "Luis", "Monica", "Nathan", "Olivia", "Patrick", "Quinn", "Rachel",
    "Samuel", "Teresa", "Umar", "Victoria", "Walter", "Ximena", "Yusuf", "Zoe", "Adrian",
    "Beatrice", "Caleb", "Diana", "Ethan", "Fiona", "Gabriel", "Hannah", "Isaac", "Julia",
    "Kevin", "Laura", "Marcus", "Nadia", "Oscar", "Priya", "Raymond", "Sofia", "Thomas",
    "Ursula", "Vincent", "Whitney", "Xavier", "Yvonne", "Zachary", "Andrea", "Brian",
    "Celeste", "Derek", "Esther", "Felix", "Gloria", "Hector", "Ingrid", "Joel", "Kimberly",
    "Leon", "Miriam",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Abbott", "Alvarez", "Barnes", "Bennett", "Brooks", "Castillo", "Chen", "Coleman",
    "Dalton", "Delgado", "Ellis", "Espinoza", "Fischer", "Foster", "Garrison", "Gupta",
    "Hale", "Harper", "Hoffman", "Ibarra", "Jensen", "Johansson", "Kaplan", "Keller",
    "Kowalski", "Lambert", "Lindqvist", "Lopez", "Marsh", "McCarthy", "Mendez", "Morrow",
    "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Ortega", "Palmer", "Patel", "Pierce",
    "Quintero", "Ramirez", "Reyes", "Rhodes", "Santos", "Schmidt", "Shah", "Sinclair",
    "Sullivan", "Tanaka", "Thornton", "Torres", "Underwood", "Valdez", "Vance", "Wagner",
    "Walsh", "Weber", "Whitaker", "Xu", "Yamamoto", "Young", "Zimmerman", "Adeyemi",
    "Bishop", "Carver", "Dunn", "Eriksen", "Farrell", "Gallagher", "Hartman", "Iverson",
    "Jacobs", "Kerr", "Lowell", "Mahoney", "Nash", "Osei", "Prescott", "Quinlan", "Rowe",
    "Stanton", "Tran", "Ulrich", "Voss", "Winslow", "Yates", "Zeller", "Ashford", "Bauer",
    "Calloway", "Drummond", "Everett", "Fairbanks", "Goodwin", "Holloway",
)  # fmt: skip
