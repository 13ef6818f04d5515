"""Updating the control workbook safely: one writer at a time, a backup first, only owned sheets."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import HybridBudgetError
from ..workbook.fileio import atomic_save, ensure_not_open, ensure_writable
from ..workbook.package import replace_sheets
from ..workbook.spec import Sheet

LOCK_WAIT_SECONDS = 10.0


def backup_dir(control: Path) -> Path:
    return control.parent / ".hybridbudget-backups"


def lock_path(control: Path) -> Path:
    return control.with_name(f".{control.name}.lock")


@contextlib.contextmanager
def control_lock(control: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the control workbook's lock; a second run waits, then refuses with a clear message."""
    wait = LOCK_WAIT_SECONDS if wait is None else wait
    path = lock_path(control)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
            break
        except FileExistsError:
            holder = (
                path.read_text(encoding="utf-8", errors="replace").strip() if path.exists() else ""
            )
            pid = int(holder) if holder.isdigit() else 0
            if pid and not _alive(pid):
                path.unlink(missing_ok=True)  # left by a run that was killed
                continue
            if time.monotonic() >= deadline:
                raise HybridBudgetError(
                    f"{control}: another hybridbudget step is updating this control workbook "
                    f"(process {pid or 'unknown'}); wait for it to finish and run again"
                ) from None
            time.sleep(0.2)
    try:
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        yield
    finally:
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def backup(control: Path, step: str) -> Path:
    """Copy the current control workbook into the backups folder (newest last by name)."""
    folder = backup_dir(control)
    folder.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    dst = folder / f"{control.stem}.{stamp}.{step}{control.suffix}"
    atomic_save(dst, lambda tmp: shutil.copy2(control, tmp), mode=control.stat().st_mode & 0o7777)
    return dst


def backups(control: Path) -> list[Path]:
    folder = backup_dir(control)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{control.stem}.*{control.suffix}"))


Stamp = tuple[int, int, int]


def file_stamp(path: Path) -> Stamp:
    """What changes when a file is saved or replaced: inode, size, modification time."""
    st = Path(path).stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


def ensure_unchanged(control: Path, stamp: Stamp) -> None:
    """Refuse to go on when the control workbook was deleted or replaced since the step read it."""
    if not control.is_file():
        raise HybridBudgetError(
            f"{control}: the control workbook was deleted or moved while the step ran, so nothing "
            "was written; put it back (hybridbudget undo restores the last backup) and run the "
            "step again"
        )
    if file_stamp(control) != stamp:
        raise HybridBudgetError(
            f"{control}: the control workbook was replaced or saved by someone else while the "
            "step ran, so nothing was written; run the step again"
        )


def update_control(
    control: Path, sheets: Iterable[Sheet], step: str, expected: Stamp | None = None
) -> Path:
    """Replace or add the step's own sheets; everything else in the workbook is kept as it was.

    With `expected` (the stamp of the file the step read), refuse if the file changed since.
    Returns the backup of the previous version.
    """
    control = Path(control)
    if expected is not None:
        ensure_unchanged(control, expected)
    if not control.is_file():
        raise HybridBudgetError(f"{control}: control workbook not found (run hybridbudget init)")
    ensure_writable(control)
    ensure_not_open(control)
    with control_lock(control):
        if expected is not None:
            ensure_unchanged(control, expected)
        saved = backup(control, step)
        replace_sheets(control, sheets)
    return saved


def undo(control: Path) -> Path:
    """Restore the newest backup; the restored backup is removed so a second undo goes further back."""
    control = Path(control)
    if not backups(control):
        raise HybridBudgetError(f"{control}: no backup to restore")
    ensure_writable(control)
    ensure_not_open(control)
    with control_lock(control):
        history = backups(control)
        if not history:
            raise HybridBudgetError(f"{control}: no backup to restore")
        last = history[-1]
        atomic_save(control, lambda tmp: shutil.copy2(last, tmp))
        last.unlink()
    return last
