"""Shared fixtures: the bundled sample and a control workbook built from it (once per worker)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from hybridbudget.paths import BUNDLED_SAMPLE
from hybridbudget.workbook.libreoffice import soffice

# The command as a fresh clone runs it: the interpreter running the tests, no activated environment
# and no `hybridbudget` on PATH needed (an older install on PATH would test the wrong code).
CLI = (sys.executable, "-m", "hybridbudget")

needs_libreoffice = pytest.mark.skipif(
    soffice() is None, reason="LibreOffice headless (soffice) is not installed"
)


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    assert (BUNDLED_SAMPLE / "system.toml").is_file(), "the bundled sample is missing"
    return BUNDLED_SAMPLE


@pytest.fixture(scope="session")
def control_path(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> Path:
    """A control workbook built from the bundled sample (read-only: copy before editing)."""
    from hybridbudget.steps.init import init_control

    out = tmp_path_factory.mktemp("control") / "control.xlsx"
    init_control(sample_dir, out)
    return out


@pytest.fixture()
def sample_copy(tmp_path: Path, sample_dir: Path) -> Path:
    """A writable copy of the bundled sample."""
    dst = tmp_path / "sample"
    shutil.copytree(sample_dir, dst)
    return dst


@pytest.fixture(scope="session")
def control_targets(control_path: Path):
    """The control workbook's reference data and top-down targets (read-only)."""
    from hybridbudget.control.load import load_control
    from hybridbudget.engine.targets import build_targets

    ref, history = load_control(control_path)
    return ref, build_targets(ref, history)


@pytest.fixture(scope="session")
def templates_dir(tmp_path_factory: pytest.TempPathFactory, control_path: Path) -> Path:
    """Every cost center's template, generated once (read-only: copy before editing)."""
    from hybridbudget.steps.templates import generate_templates

    out = tmp_path_factory.mktemp("templates")
    generate_templates(control_path, out)
    return out


@pytest.fixture()
def control_copy(tmp_path: Path, control_path: Path) -> Path:
    """A writable copy of the control workbook."""
    dst = tmp_path / "control.xlsx"
    shutil.copyfile(control_path, dst)
    return dst
