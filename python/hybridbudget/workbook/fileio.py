"""Writing files safely: a temporary file in the same folder, then an atomic rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import HybridBudgetError


def excel_lock_file(path: Path) -> Path:
    """The owner file Excel keeps beside a workbook it has open (`~$name.xlsx`)."""
    return path.with_name("~$" + path.name[2:] if len(path.name) > 2 else "~$" + path.name)


def ensure_not_open(path: Path) -> None:
    for lock in (path.with_name("~$" + path.name), excel_lock_file(path)):
        if lock.exists():
            raise HybridBudgetError(
                f"{path}: the workbook is open in Excel ({lock.name} is present); "
                "close it and run the step again"
            )


def atomic_save(path: Path, save: Callable[[str], object]) -> None:
    """Call save(tmp_path), then rename over `path`: a crash leaves the previous file intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ensure_not_open(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_save(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
