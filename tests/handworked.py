"""The hand-worked fixture system (tests/fixtures/handworked/), loaded through the real readers.

Three cost centers in two entities, every figure of which is worked out by hand in the
tests/test_handworked_*.py tables:

| cost center | name                  | type      | service line | entity | UOS            |
|-------------|-----------------------|-----------|--------------|--------|----------------|
| HWH-03000   | Medical/Surgical Unit | inpatient | HWH-MED      | HWH    | patient days   |
| HWH-08000   | Laundry               | support   | HWH-OPS      | HWH    | hundred pounds |
| HWC-04100   | Outpatient Imaging    | ancillary | HWC-IMG      | HWC    | procedures     |

The extracts book each account's whole year in December. The targets use annual totals, and
only volumes are monthly. Tolerance: 5% and $1,000. Decision Guide: level 1 at 5% and $1,000,
level 2 at 10% and $5,000, level 3 at 20% and $20,000.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hybridbudget.engine.drivers import Drivers
from hybridbudget.engine.history import History, build_history
from hybridbudget.engine.targets import Targets, build_targets
from hybridbudget.model.reference import Reference
from hybridbudget.sources.readers import load_sources

FIXTURE = Path(__file__).parent / "fixtures" / "handworked"
MEDSURG, LAUNDRY, IMAGING = "HWH-03000", "HWH-08000", "HWC-04100"


@dataclass(frozen=True)
class System:
    reference: Reference
    history: History
    targets: Targets


def load_system() -> System:
    sources = load_sources(FIXTURE)
    history, findings = build_history(sources)
    assert findings == [], findings  # every fixture row maps
    return System(sources.reference, history, build_targets(sources.reference, history))


def driver(d: Drivers, key: str) -> float:
    """A driver by table key: 'benefits_load', or 'RN.fte' for a job class's driver."""
    if "." in key:
        job_class, attr = key.split(".")
        return getattr(d.staff(job_class), attr)
    return getattr(d, key)


def check_table(rows: list[tuple[str, str, float]], actual: dict[str, float]) -> None:
    """Each (key, arithmetic, expected) row must equal the engine's figure exactly."""
    wrong = [(k, how, want, actual[k]) for k, how, want in rows if actual[k] != want]
    assert not wrong, "\n".join(f"{k}: {how} = {w}, engine {a}" for k, how, w, a in wrong)
