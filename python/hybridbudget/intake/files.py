"""Finding and sniffing submitted files before any parser sees them (untrusted input)."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..findings import Finding
from .codes import CODE_BY_ID

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # encrypted OOXML and legacy .xls are OLE files
ZIP_MAGIC = b"PK\x03\x04"
MAX_UNCOMPRESSED = 64 * 1024 * 1024  # a template unpacks to well under 1 MB
MAX_PARTS = 500
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def finding(code: str, message: str, file: str = "", **where: str) -> Finding:
    """A finding with the code's registered severity."""
    return Finding(
        code=code, severity=CODE_BY_ID[code].severity, message=message, file=file, **where
    )


@dataclass(frozen=True)
class Candidate:
    path: Path
    rel: str  # path relative to the submissions folder, as shown to people

    def sha256(self) -> str:
        h = hashlib.sha256()
        with self.path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()


LEFTOVER_NAMES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})
OLD_SUFFIXES = (".xls",)


def leftover(rel: str) -> bool:
    """An operating-system or sync leftover: never a submission, skipped and listed as ignored."""
    parts = rel.split("/")
    name = parts[-1]
    return (
        name.lower() in LEFTOVER_NAMES
        or name.startswith(("~$", "."))
        or name.lower().endswith(".tmp")
        or any(p.startswith(".") for p in parts[:-1])
    )


def discover(folder: Path) -> tuple[list[Candidate], list[Finding]]:
    """Every submission file under `folder`, recursively, in a stable order.

    Operating-system and sync leftovers (Office owner files ~$..., Thumbs.db, .DS_Store, *.tmp,
    dot files) are skipped and listed as IGNORED; other files that are not workbooks by name are
    a note (OTHER_FILE); symbolic links that resolve outside the folder are reported and ignored.
    """
    root = folder.resolve()
    found: list[Candidate] = []
    findings: list[Finding] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if leftover(rel):
            if path.is_file():
                findings.append(finding("IGNORED", "an operating-system or sync leftover; "
                                        "ignored", rel))  # fmt: skip
            continue
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(root):
                findings.append(
                    finding(
                        "LINK_OUTSIDE",
                        f"this is a link to {target}, outside the submissions folder; ignored",
                        rel,
                    )
                )
                continue
        if not path.is_file():
            continue
        if not path.name.lower().endswith(WORKBOOK_SUFFIXES + OLD_SUFFIXES):
            findings.append(finding("OTHER_FILE", "not a workbook (.xlsx); left alone and not "
                                    "counted as a submission", rel))  # fmt: skip
            continue
        found.append(Candidate(path, rel))
    return found, findings


def _ole_kind(path: Path) -> str:
    """What an OLE file holds, by its stream names: "encrypted" (an encrypted OOXML package),
    "xls" (a legacy workbook) or "" (neither found)."""
    markers = {"encrypted": "EncryptedPackage".encode("utf-16-le"),
               "xls": "Workbook".encode("utf-16-le")}  # fmt: skip
    width = max(len(m) for m in markers.values())
    found = set()
    with path.open("rb") as f:
        tail = b""
        for chunk in iter(lambda: f.read(1 << 20), b""):
            window = tail + chunk
            found |= {k for k, m in markers.items() if m in window}
            if "encrypted" in found:
                return "encrypted"
            tail = window[-width:]
    return "xls" if found else ""


def sniff(candidate: Candidate) -> Finding | None:
    """A file-level problem that makes parsing pointless or unsafe, or None."""
    rel = candidate.rel
    try:
        with candidate.path.open("rb") as f:
            head = f.read(8)
    except OSError as exc:
        return finding("CORRUPT", f"the file cannot be read ({exc.strerror})", rel)
    kind = _ole_kind(candidate.path) if head.startswith(OLE_MAGIC) else ""
    if head.startswith(OLE_MAGIC) and (
        kind == "xls" or (not kind and rel.lower().endswith(OLD_SUFFIXES))
    ):
        return finding(
            "OLD_XLS",
            "this is an old-format Excel workbook (.xls); open it in Excel, save it as .xlsx "
            "(Excel Workbook) and send it again",
            rel,
        )
    if rel.lower().endswith(OLD_SUFFIXES):
        return finding("NOT_WORKBOOK", "this .xls file is not an Excel workbook; send the budget "
                       "template you received (.xlsx)", rel)  # fmt: skip
    if head.startswith(OLE_MAGIC):
        return finding(
            "ENCRYPTED",
            "the workbook is password-encrypted: save it without a password to open and send it "
            "again",
            rel,
        )
    if not head.startswith(ZIP_MAGIC):
        return finding(
            "NOT_WORKBOOK",
            "this is not an Excel workbook (.xlsx); send the budget template you received",
            rel,
        )
    try:
        with zipfile.ZipFile(candidate.path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return finding("CORRUPT", f"the workbook is damaged and cannot be opened ({exc})", rel)
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED or len(infos) > MAX_PARTS:
        return finding(
            "TOO_LARGE",
            f"the workbook unpacks to {total / 1e6:,.0f} MB in {len(infos)} parts, beyond the "
            f"{MAX_UNCOMPRESSED / 1e6:,.0f} MB cap for a template; it was not opened",
            rel,
            value=str(total),
        )
    if "xl/workbook.xml" not in {i.filename for i in infos}:
        return finding("NOT_WORKBOOK", "this zip file is not an Excel workbook", rel)
    return None
