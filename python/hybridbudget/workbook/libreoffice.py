"""LibreOffice headless as a spreadsheet oracle: recalculate and convert files we write."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import HybridBudgetError

RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    """The LibreOffice binary, or None where it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(files: Sequence[Path], to: str, out_dir: Path, timeout: float = 300) -> list[Path]:
    """Convert files with LibreOffice headless (recalculating every formula on load).

    `to` is a LibreOffice filter spec such as "xlsx" or "pdf". Returns the output paths in input
    order; a file LibreOffice could not convert raises (soffice itself exits 0 in that case).
    """
    binary = soffice()
    if binary is None:
        raise HybridBudgetError("LibreOffice (soffice) is not installed")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hb-lo-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
        env = os.environ | {"HOME": profile}
        cmd = [
            binary,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            to,
            "--outdir",
            str(out_dir),
            *[str(f) for f in files],
        ]
        subprocess.run(cmd, env=env, capture_output=True, timeout=timeout, check=False)
    ext = to.split(":")[0]
    outs = [out_dir / f"{Path(f).stem}.{ext}" for f in files]
    missing = [str(o) for o in outs if not o.is_file()]
    if missing:
        raise HybridBudgetError(f"LibreOffice could not convert: {', '.join(missing)}")
    return outs


def render_png(workbook: Path, out_dir: Path, dpi: int = 80) -> list[Path]:
    """A workbook as a manager would see it printed: LibreOffice -> PDF -> one PNG per page."""
    if not Path(workbook).is_file():
        raise HybridBudgetError(
            f"{workbook}: file not found; give the path of a workbook (.xlsx) to render"
        )
    pdf = convert([workbook], "pdf", out_dir)[0]
    if shutil.which("pdftoppm") is None:
        raise HybridBudgetError("pdftoppm (poppler-utils) is not installed")
    prefix = out_dir / workbook.stem
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(prefix)], check=True, timeout=300
    )
    return sorted(out_dir.glob(f"{workbook.stem}*.png"))
