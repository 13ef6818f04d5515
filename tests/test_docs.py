"""Documentation tests: every command and every finding code is documented (a new one fails here)."""

from __future__ import annotations

import re
from pathlib import Path

from hybridbudget.cli import parser
from hybridbudget.intake.codes import CODES

ROOT = Path(__file__).resolve().parents[1]


def commands() -> list[str]:
    sub = next(a for a in parser()._actions if a.dest == "command")
    return sorted(sub.choices)


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing = [c for c in commands() if f"hybridbudget {c}" not in readme]
    assert not missing, f"undocumented commands: {missing}"


def test_every_command_has_help():
    sub = next(a for a in parser()._actions if a.dest == "command")
    for name, p in sub.choices.items():
        assert p.description, name


def test_every_finding_code_is_documented():
    text = (ROOT / "docs" / "findings.md").read_text()
    missing = [c.code for c in CODES if f"`{c.code}`" not in text]
    assert not missing, f"undocumented finding codes: {missing}"
    for code in ("UNMAPPED_GL", "CONTROL_CELL", "BAD_DECISION", "INTERNAL"):
        assert f"`{code}`" in text


README_COMMANDS = (
    "bash scripts/setup.sh && .venv/bin/hybridbudget demo --out out",
    "bash scripts/setup.sh && .venv/bin/python -m pytest -q -n 2",
)


def test_readme_names_the_two_setup_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    for command in README_COMMANDS:
        assert f"\n{command}\n" in readme, command
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip()]
    assert ci[-1] == README_COMMANDS[1]  # exactly the README's test command, nothing after it


def test_setup_uses_its_own_virtual_environment():
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert '"$PYTHON" -m venv .venv' in setup and "apt_install python3-venv" in setup
    assert '.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"' in setup
    assert "libreoffice-calc poppler-utils" in setup
    assert "python3 -m pip" not in setup  # never the system Python (externally managed)


def test_architecture_names_every_package_folder_and_engine_module():
    text = (ROOT / "docs" / "architecture.md").read_text()
    package = ROOT / "python" / "hybridbudget"
    folders = sorted(p.name for p in package.iterdir() if (p / "__init__.py").is_file())
    assert [f for f in folders if f"`{f}/`" not in text] == []
    engine = sorted(p.name for p in (package / "engine").glob("*.py") if p.name != "__init__.py")
    assert [m for m in engine if f"`{m}`" not in text] == []
    for path in re.findall(r"`((?:[a-z_]+/)+[a-z_]+\.py)", text):
        assert (package / path).is_file() or (ROOT / path).is_file(), f"{path} is not in the tree"
