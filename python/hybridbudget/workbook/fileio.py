"""Writing files safely: a temporary file in the same folder, then an atomic rename."""

from __future__ import annotations

import os
import stat
import tempfile
import threading
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


_UMASK_LOCK = threading.Lock()


def _umask() -> int:
    # os.umask can only be read by setting it; the lock keeps two threads from racing on it.
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _read_only(path: Path) -> bool:
    """No write permission, by the access check or by the mode bits (root passes the former)."""
    return not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222


def ensure_writable(path: Path) -> None:
    """Refuse, before any work is written, a read-only file or a read-only folder to write it in."""
    path = Path(path)
    if path.is_dir():
        raise HybridBudgetError(
            f"{path}: is a folder, not a file; give a file name (for example "
            f"{path / 'control.xlsx'})"
        )
    if path.exists() and _read_only(path):
        raise HybridBudgetError(
            f"{path}: the file is read-only, so it was left unchanged; make it writable (or "
            "copy it under another name) and run the step again"
        )
    folder = next((p for p in (path.parent, *path.parent.parents) if p.exists()), None)
    if folder is not None and _read_only(folder):
        raise HybridBudgetError(
            f"{folder}: the folder is read-only, so {path.name} cannot be written there; make the "
            "folder writable or choose another one"
        )


def atomic_save(path: Path, save: Callable[[str], object], mode: int | None = None) -> None:
    """Call save(tmp_path), then rename over `path`: a crash leaves the previous file intact.

    The file gets the permissions a normal save gives: an existing file keeps its mode, a new
    one gets 0666 less the umask (mkstemp alone would leave it 0600, unreadable to colleagues on
    a shared drive), or `mode` when given (a backup keeps its original's).
    """
    path = Path(path)
    ensure_writable(path)
    ensure_not_open(path)
    if mode is None:
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o666 & ~_umask()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    except PermissionError as exc:
        raise HybridBudgetError(
            f"{path}: cannot be written (permission denied: {exc.filename}); make the folder "
            "writable or choose another one"
        ) from exc
    os.close(fd)
    try:
        save(tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_save(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
