"""Issue 19: managers need nothing. A template is a plain .xlsx that Excel for the web computes.

Checked on generated template packages: no VBA project, no external links or data connections,
no ActiveX or embedded objects, no relationship leaving the package, no trace of the add-in, and
every formula (cells, conditional formats, data validations, names) uses only worksheet
functions on the allow-list below: functions of Excel's core library that Excel for the web and
Excel with macros disabled compute alike. The functions the layout's formulas use are listed
from `templates/layout.py` and must be the ones the package holds.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from hybridbudget.templates.layout import layout

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# Core worksheet functions that Excel for the web calculates the same way as Excel on Windows and
# Mac, with or without macros. Not on it on purpose: add-in or VBA functions (UDFs), _xll. and
# other dotted names, WEBSERVICE and FILTERXML (not in Excel for the web), RTD, CALL, CUBE*
# (a data connection), INFO and CELL (answers differ by platform), INDIRECT and OFFSET (volatile).
ALLOWED = frozenset({
    "ABS", "AND", "AVERAGE", "COUNT", "COUNTA", "COUNTBLANK", "COUNTIF", "COUNTIFS", "IF",
    "IFERROR", "INDEX", "ISBLANK", "ISNUMBER", "ISTEXT", "LEN", "MATCH", "MAX", "MIN", "MOD",
    "NOT", "OR", "ROUND", "ROUNDDOWN", "ROUNDUP", "SUM", "SUMIF", "SUMIFS", "SUMPRODUCT", "TEXT",
    "TRIM",
})  # fmt: skip
FORBIDDEN_PARTS = ("xl/vbaProject", "xl/externalLinks/", "customUI", "xl/activeX/",
                   "xl/embeddings/", "xl/connections.xml", "xl/queryTables/", "xl/ctrlProps/")  # fmt: skip
ADDIN_TRACES = (b"xlwings", b"RunPython", b"hybridbudget_addin", b"_xll.", b"HybridBudget.xlam")
CODES = ["RMC-03000", "RMC-09100", "RMC-05000", "RMC-00500"]  # one of each cost center type


def functions(formula: str) -> set[str]:
    """The function names a formula calls (upper case), string literals left out."""
    code = re.sub(r'"(?:[^"]|"")*"', '""', formula)
    return {m.upper() for m in re.findall(r"(?<![\w.$!'\]])([A-Za-z_][\w.]*)\s*\(", code)}


def layout_formulas() -> list[str]:
    lay = layout()
    return list(lay.formulas().values()) + [h.formula for h in lay.highlights]


def package_formulas(z: zipfile.ZipFile) -> list[str]:
    """Every formula of a package: cells, conditional formats, validations, defined names."""
    out = []
    for name in z.namelist():
        if name.startswith("xl/worksheets/") or name == "xl/workbook.xml":
            root = etree.fromstring(z.read(name))
            for tag in ("f", "formula", "formula1", "formula2", "definedName"):
                out += [e.text for e in root.iter(f"{{{MAIN}}}{tag}") if e.text]
    return out


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory, control_path: Path) -> list[Path]:
    from hybridbudget.steps.templates import generate_templates

    out = tmp_path_factory.mktemp("standalone")
    return generate_templates(control_path, out, cost_centers=CODES).paths


def test_function_names_are_found_and_judged() -> None:
    assert functions('=ROUND(SUM(B14:M14)*$B$17,2)+IF(A1="SUM(x)",1,0)') == {"ROUND", "SUM", "IF"}
    assert functions("=hybridbudget_addin.forecast(A1)+_xll.Budget(2)+Sheet1!A1") == {
        "HYBRIDBUDGET_ADDIN.FORECAST",
        "_XLL.BUDGET",
    }
    assert functions('=_xlfn.IFS(A1>0,1)+WEBSERVICE("http://x")') == {"_XLFN.IFS", "WEBSERVICE"}
    assert not {"WEBSERVICE", "_XLL.BUDGET", "_XLFN.IFS", "INDIRECT", "CUBEVALUE"} & ALLOWED


def test_layout_uses_only_functions_excel_for_the_web_computes() -> None:
    used = set().union(*map(functions, layout_formulas()))
    assert used == {"ABS", "AND", "IF", "LEN", "ROUND", "SUM", "TRIM"}  # listed: a change shows
    assert used <= ALLOWED


def test_template_package_needs_no_macro_no_link_no_addin(packages: list[Path]) -> None:
    assert len(packages) == len(CODES)
    expected = set().union(*map(functions, layout_formulas()))
    for path in packages:
        assert path.suffix == ".xlsx", path
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            assert not [n for n in names if n.startswith(FORBIDDEN_PARTS)], path
            types = z.read("[Content_Types].xml").decode()
            assert "spreadsheetml.sheet.main+xml" in types
            for word in ("macroEnabled", "vbaProject", "externalLink", "activeX"):
                assert word not in types, (path, word)
            for rels in (n for n in names if n.endswith(".rels")):
                assert b'TargetMode="External"' not in z.read(rels), (path, rels)
            everything = b"".join(z.read(n) for n in names)
            assert not [t for t in ADDIN_TRACES if t in everything], path
            formulas = package_formulas(z)
            workbook = z.read("xl/workbook.xml").decode()
        assert len(formulas) > 50, path
        assert not [f for f in formulas if "[" in f or ".xls" in f.lower()], "external reference"
        used = set().union(*map(functions, formulas))
        assert used <= ALLOWED, (path, used - ALLOWED)
        assert used == expected, path
        assert 'fullCalcOnLoad="1"' in workbook, "computed when opened, with no cached values"
