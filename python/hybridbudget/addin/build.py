"""Assemble HybridBudget.xlam from text sources, on any system (no Excel needed).

Sources: the ribbon `xlwings_addin/customUI14.xml`, our VBA `vba/*.bas`, and xlwings' own
open-source VBA from the installed xlwings package: the custom add-in module (it runs Python for
the active workbook, not for the add-in) and the Dictionary class it needs on the Mac. xlwings'
project name becomes "hybridbudget", so its settings sheet in the add-in is "hybridbudget.conf"
and its per-user settings file is ~/.hybridbudget/hybridbudget.conf. The VBA project is written
by `ovba.vba_project`; the package is a zip of hand-written parts with fixed timestamps, so the
same sources give the same file.

The default build holds no path of the building machine: which Python runs and where
hybridbudget_addin.py lies are per-user settings (`hybridbudget addin install` writes them into
the per-user settings file), so IT builds once, signs once and deploys one file. A key set into
the add-in's own sheet (`--set`) wins over the per-user file for everyone; xlwings expands
environment variables in every value (%LOCALAPPDATA% on Windows, a leading $HOME on the Mac).
The versions of hybridbudget and xlwings that built the add-in are custom document properties,
so `addin doctor` can tell whether the installed add-in matches the installed xlwings.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from .. import __version__
from ..errors import HybridBudgetError
from ..paths import REPO_ROOT
from ..workbook.fileio import atomic_save
from .ovba import Module, vba_project

ADDIN_DIR = REPO_ROOT / "xlwings_addin"
VBA_DIR = REPO_ROOT / "vba"
RIBBON = ADDIN_DIR / "customUI14.xml"
ENTRY_MODULE = ADDIN_DIR / "hybridbudget_addin.py"
DEFAULT_OUT = ADDIN_DIR / "HybridBudget.xlam"
PROJECT = "hybridbudget"  # xlwings' PROJECT_NAME: names the .conf sheet and settings file
VBA_PROJECT_NAME = "HybridBudget"
CONFIG_SHEET = f"{PROJECT}.conf"
RIBBON_NS = "http://schemas.microsoft.com/office/2009/07/customui"
XLWINGS_NAME_LINE = 'Public Const PROJECT_NAME As String = "myaddin"'
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
SHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"

# The settings the add-in's config sheet documents (xlwings reads column A and B; C explains).
SETTING_NOTES: dict[str, str] = {
    "ADD_WORKBOOK_TO_PYTHONPATH": "true: the folders of the control workbook and of this add-in "
    "are on Python's path, so hybridbudget_addin.py beside the .xlam is found",
    "INTERPRETER_WIN": "Windows: python.exe of the environment where hybridbudget is installed, "
    "for every user (it wins over the per-user file); environment variables are expanded, e.g. "
    "%LOCALAPPDATA%\\HybridBudget\\venv\\Scripts\\python.exe",
    "INTERPRETER_MAC": "Mac: bin/python of that environment, for every user; a leading $HOME is "
    "expanded, e.g. $HOME/.hybridbudget/venv/bin/python",
    "PYTHONPATH": "the folder holding hybridbudget_addin.py (the xlwings_addin folder), for every "
    "user; one folder, environment variables expanded",
    "CONDA PATH": "Windows with Anaconda: its folder, e.g. %USERPROFILE%\\anaconda3",
    "CONDA ENV": "Windows with Anaconda: the environment's name",
    "SHOW CONSOLE": "true: show the Python console window while a button runs (Windows)",
}

PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
CUSTOM_PART = "docProps/custom.xml"
VERSION_PROPERTIES = ("hybridbudget", "xlwings")


@dataclass(frozen=True)
class BuildResult:
    path: Path
    modules: list[str]
    buttons: list[str]
    settings: dict[str, str]


# --- the VBA modules ----------------------------------------------------------------------------


def module_name(code: str, source: str) -> str:
    match = re.search(r'^Attribute VB_Name = "([^"]+)"', code, re.MULTILINE)
    if match is None:
        raise HybridBudgetError(f"{source}: no 'Attribute VB_Name = \"...\"' line")
    return match.group(1)


def standard_module(path: Path) -> Module:
    code = path.read_text(encoding="cp1252")
    return Module(module_name(code, str(path)), "standard", code)


def class_module(path: Path) -> Module:
    """A class module from a VBE export (.cls): the stored source has no VERSION/BEGIN header."""
    lines = path.read_text(encoding="cp1252").replace("\r\n", "\n").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("Attribute VB_Name"))
    body = [lines[start], f'Attribute VB_Base = "{CLASS_BASE}"']
    for line in lines[start + 1 :]:
        body.append(line)
        if line.startswith("Attribute VB_Exposed"):
            body += ["Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = False"]
    code = "\n".join(body)
    return Module(module_name(code, str(path)), "class", code)


def document_module(name: str, base: str) -> Module:
    attributes = [
        f'VB_Name = "{name}"',
        f'VB_Base = "{base}"',
        "VB_GlobalNameSpace = False",
        "VB_Creatable = False",
        "VB_PredeclaredId = True",
        "VB_Exposed = True",
        "VB_TemplateDerived = False",
        "VB_Customizable = True",
    ]
    return Module(name, "document", "".join(f"Attribute {a}\n" for a in attributes))


def xlwings_dir() -> Path:
    import xlwings

    return Path(xlwings.__file__).parent


def xlwings_module() -> Module:
    """xlwings' custom add-in module, its PROJECT_NAME set to ours."""
    path = xlwings_dir() / "xlwings_custom_addin.bas"
    code = path.read_text(encoding="cp1252")
    if code.count(XLWINGS_NAME_LINE) != 1:
        raise HybridBudgetError(
            f"{path}: the line {XLWINGS_NAME_LINE!r} is not there once; this xlwings version "
            "changed its custom add-in module: update hybridbudget.addin.build"
        )
    code = code.replace(XLWINGS_NAME_LINE, XLWINGS_NAME_LINE.replace("myaddin", PROJECT))
    return Module(module_name(code, str(path)), "standard", code)


def modules(vba_dir: Path = VBA_DIR) -> list[Module]:
    """Every module of the add-in's VBA project, documents first."""
    ours = sorted(vba_dir.glob("*.bas"))
    if not ours:
        raise HybridBudgetError(
            f"{vba_dir}: no .bas files (run from a hybridbudget source checkout)"
        )
    return [
        document_module("ThisWorkbook", WORKBOOK_BASE),
        document_module("Sheet1", SHEET_BASE),
        xlwings_module(),
        class_module(xlwings_dir() / "addin" / "Dictionary.cls"),
        *(standard_module(p) for p in ours),
    ]


# --- consistency: ribbon -> VBA callbacks -> Python entry functions ------------------------------


def ribbon_callbacks(xml: bytes) -> dict[str, str]:
    """Button id -> the onAction macro it calls (customUI XML)."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    if root.tag != f"{{{RIBBON_NS}}}customUI":
        raise HybridBudgetError(f"ribbon XML: the root must be customUI in {RIBBON_NS}")
    return {b.get("id"): b.get("onAction") for b in root.iter(f"{{{RIBBON_NS}}}button")}


def vba_subs(code: str) -> dict[str, str]:
    """Public Sub name -> its parameter list, in one module's source."""
    pattern = r"^(?:Public\s+)?Sub\s+(\w+)\s*\(([^)]*)\)"
    return {m.group(1): m.group(2).strip() for m in re.finditer(pattern, code, re.M | re.I)}


def run_python_calls(code: str) -> list[str]:
    """The Python statements of each literal RunPython call in a module."""
    return re.findall(r'^\s*RunPython\s+"([^"]*)"', code, re.MULTILINE)


def check_ribbon(xml: bytes, project: Sequence[Module]) -> list[str]:
    """Problems: an onAction naming no `Sub X(control As IRibbonControl)` in the named module."""
    problems = []
    by_name = {m.name: vba_subs(m.code) for m in project}
    for button, action in ribbon_callbacks(xml).items():
        module, _, sub = (action or "").rpartition(".")
        candidates = [by_name.get(module, {})] if module else list(by_name.values())
        params = next((subs[sub] for subs in candidates if sub in subs), None)
        if params is None:
            problems.append(f"button {button}: onAction {action!r} names no Sub")
        elif not re.fullmatch(r"(ByRef\s+)?control\s+As\s+IRibbonControl", params, re.I):
            problems.append(
                f"button {button}: {action}({params}) is not (control As IRibbonControl)"
            )
    return problems


# --- the package --------------------------------------------------------------------------------


def default_settings() -> dict[str, str]:
    """The add-in's own settings: the same on every machine, no path (the rest is per user)."""
    return {"ADD_WORKBOOK_TO_PYTHONPATH": "true"}


ABSOLUTE = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\|/|~)")


def machine_paths(settings: Mapping[str, str]) -> dict[str, str]:
    """The settings whose value names a path of one machine (drive, UNC, /, ~), not a variable."""
    return {
        key: value
        for key, value in settings.items()
        if any(ABSOLUTE.match(part.strip()) for part in value.split(";"))
    }


def built_versions(xlam: Path) -> dict[str, str]:
    """The versions that built an add-in ("hybridbudget", "xlwings"); {} for another file."""
    try:
        with zipfile.ZipFile(xlam) as z:
            xml = z.read(CUSTOM_PART)
    except (OSError, KeyError, zipfile.BadZipFile):
        return {}
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    return {
        p.get("name"): "".join(p.itertext()).strip()
        for p in root.iter(f"{{{CUSTOM_NS}}}property")
        if p.get("name") in VERSION_PROPERTIES
    }


def addin_settings(xlam: Path) -> dict[str, str]:
    """The hybridbudget.conf sheet of a built add-in: column A -> column B ({} if unreadable)."""
    try:
        with zipfile.ZipFile(xlam) as z:
            xml = z.read("xl/worksheets/sheet1.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return {}
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    out = {}
    for row in root.iter(f"{{{MAIN_NS}}}row"):
        cells = ["".join(c.itertext()) for c in row.iterfind(f"{{{MAIN_NS}}}c")]
        if len(cells) >= 2 and cells[0]:
            out[cells[0].upper()] = cells[1]
    return out


def is_signed(xlam: Path) -> bool:
    """Whether the VBA project carries a digital signature (Excel adds vbaProjectSignature*.bin)."""
    try:
        with zipfile.ZipFile(xlam) as z:
            return any(n.startswith("xl/vbaProjectSignature") for n in z.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def custom_properties(versions: Mapping[str, str]) -> bytes:
    """docProps/custom.xml: the build's versions (File > Info > Properties > Advanced > Custom)."""
    fmtid = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the one FMTID of custom properties
    props = "".join(
        f'<property fmtid="{fmtid}" pid="{pid}" name="{escape(name)}">'
        f"<vt:lpwstr>{escape(value)}</vt:lpwstr></property>"
        for pid, (name, value) in enumerate(versions.items(), start=2)
    )
    vt = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Properties xmlns="{CUSTOM_NS}" xmlns:vt="{vt}">{props}</Properties>'
    ).encode()


def build_versions() -> dict[str, str]:
    import xlwings

    return {"hybridbudget": __version__, "xlwings": xlwings.__version__}


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def config_sheet(settings: Mapping[str, str]) -> bytes:
    """The hybridbudget.conf sheet: key (A), value (B), what it is (C)."""
    rows = []
    for r, (key, value) in enumerate(settings.items(), start=1):
        note = SETTING_NOTES.get(key, "")
        cells = _cell(f"A{r}", key) + _cell(f"B{r}", value) + (note and _cell(f"C{r}", note))
        rows.append(f'<row r="{r}">{cells}</row>')
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN_NS}">'
        '<sheetPr codeName="Sheet1"/><cols><col min="1" max="1" width="30" customWidth="1"/>'
        '<col min="2" max="2" width="50" customWidth="1"/>'
        '<col min="3" max="3" width="100" customWidth="1"/></cols>'
        f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
    ).encode()


STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{MAIN_NS}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
).encode()


def package_parts(
    ribbon: bytes,
    vba_bin: bytes,
    settings: Mapping[str, str],
    versions: Mapping[str, str] | None = None,
) -> dict[str, bytes]:
    """Every part of the .xlam, [Content_Types].xml first."""
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    ct = "http://schemas.openxmlformats.org/package/2006/content-types"
    types = (
        f'{head}<Types xmlns="{ct}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.addin.macroEnabled.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        '<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>'
        "</Types>"
    )  # fmt: skip
    root_rels = (
        f'{head}<Relationships xmlns="{PACKAGE_REL}">'
        f'<Relationship Id="rId1" Type="{DOC_REL}/officeDocument" Target="xl/workbook.xml"/>'
        f'<Relationship Id="rId2" Type="{PACKAGE_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{DOC_REL}/extended-properties" Target="docProps/app.xml"/>'
        '<Relationship Id="rId4" Type="http://schemas.microsoft.com/office/2007/relationships/ui/extensibility" '
        'Target="customUI/customUI14.xml"/>'
        f'<Relationship Id="rId5" Type="{DOC_REL}/custom-properties" Target="docProps/custom.xml"/>'
        "</Relationships>"
    )  # fmt: skip
    core = (
        f'{head}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Hybrid Budget</dc:title>'
        "<dc:description>Ribbon buttons that run the hybridbudget engine on the open control "
        "workbook.</dc:description><dc:creator>hybridbudget</dc:creator></cp:coreProperties>"
    )  # fmt: skip
    app = (
        f'{head}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        "<Application>Microsoft Excel</Application></Properties>"
    )  # fmt: skip
    workbook = (
        f'{head}<workbook xmlns="{MAIN_NS}" xmlns:r="{DOC_REL}"><workbookPr codeName="ThisWorkbook"/>'
        '<bookViews><workbookView visibility="hidden"/></bookViews>'
        f'<sheets><sheet name="{CONFIG_SHEET}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )  # fmt: skip
    workbook_rels = (
        f'{head}<Relationships xmlns="{PACKAGE_REL}">'
        f'<Relationship Id="rId1" Type="{DOC_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{DOC_REL}/styles" Target="styles.xml"/>'
        '<Relationship Id="rId3" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
        'Target="vbaProject.bin"/></Relationships>'
    )  # fmt: skip
    return {
        "[Content_Types].xml": types.encode(),
        "_rels/.rels": root_rels.encode(),
        "docProps/core.xml": core.encode(),
        "docProps/app.xml": app.encode(),
        CUSTOM_PART: custom_properties(versions or build_versions()),
        "customUI/customUI14.xml": ribbon,
        "xl/workbook.xml": workbook.encode(),
        "xl/_rels/workbook.xml.rels": workbook_rels.encode(),
        "xl/worksheets/sheet1.xml": config_sheet(settings),
        "xl/styles.xml": STYLES,
        "xl/vbaProject.bin": vba_bin,
    }


def build_addin(out: Path = DEFAULT_OUT, overrides: Mapping[str, str] | None = None) -> BuildResult:
    """Write the .xlam; `overrides` set config sheet keys (an empty value removes the key)."""
    if not RIBBON.is_file():
        raise HybridBudgetError(f"{RIBBON}: missing (run from a hybridbudget source checkout)")
    settings = default_settings()
    for key, value in (overrides or {}).items():
        settings.pop(key.upper(), None)
        if value:
            settings[key.upper()] = value
    project = modules()
    ribbon = RIBBON.read_bytes()
    problems = check_ribbon(ribbon, project)
    if problems:
        raise HybridBudgetError(f"{RIBBON}: " + "; ".join(problems))
    vba_bin = vba_project(project, VBA_PROJECT_NAME)
    parts = package_parts(ribbon, vba_bin, settings, build_versions())

    def save(tmp: str) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in parts.items():
                z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data,
                           compress_type=zipfile.ZIP_DEFLATED)  # fmt: skip

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_save(out, save)
    return BuildResult(out, [m.name for m in project], list(ribbon_callbacks(ribbon)), settings)
