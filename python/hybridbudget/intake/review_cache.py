"""The validated-submission cache: a file already checked is not read and checked again.

Controllers click Consolidate many times while submissions trickle in; most files have not
changed since the last click. The cache lives beside the control workbook
(`.hybridbudget-cache/<control>.submissions.json`) and holds, per file, what checking it gave: its
findings and the submission as later steps read it (metadata, contract values, saved time).

An entry is used only when every part of its key matches this run: the file's SHA-256 and path in
the folder, the engine version (the package version and a digest of its code), the digest of the
reference data the checks consult (organization, guardrails, job classes, account map) and the
digest of what was issued to the file's cost center (its target and its rows in the issue register,
which with the reference data decide finance's copy of its template). Anything else is checked
again: a stale entry is replaced, and a cache file whose checksum or shape is wrong is thrown away
and rebuilt, never trusted. The file holds JSON, not pickles, so reading it runs no code.
`HYBRIDBUDGET_CACHE=0` turns the cache off.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cache
from itertools import chain, repeat
from pathlib import Path
from typing import Any

from .. import __version__
from ..findings import Finding
from ..workbook.fileio import atomic_write_text
from .checks import Context
from .files import Candidate
from .submission import Submission

CACHE_ENV = "HYBRIDBUDGET_CACHE"
FORMAT = "hybridbudget submission cache 2"
PLAIN = (str, int, float, bool, type(None))
Checked = tuple[list[Finding], Submission | None]


def cache_path(control: Path) -> Path:
    """Where the cache of a control workbook lives (beside it, in a hidden folder)."""
    return control.parent / ".hybridbudget-cache" / f"{control.name}.submissions.json"


def enabled() -> bool:
    return os.environ.get(CACHE_ENV, "").strip() != "0"


@cache
def engine_version() -> str:
    """The package version and a digest of its code: any code change empties the cache."""
    h = hashlib.sha256(__version__.encode())
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return f"{__version__}+{h.hexdigest()[:16]}"


def _digest(value: object) -> str:
    # repr of frozen dataclasses, pydantic models, dicts and tuples in their reading order
    return hashlib.sha256(repr(value).encode()).hexdigest()


def context_digest(ctx: Context) -> str:
    """What every check may consult, apart from the cost center's own issued template."""
    # TemplateSettings' repr hides the password (no check reads it) and the finance contact,
    # which every issued template prints: its fields are digested apart
    templates = ctx.reference.config.templates.model_dump(mode="json", exclude={"password"})
    return _digest((ctx.reference, templates))


def issued_digest(ctx: Context, cost_center: str, template_id: str = "") -> str:
    """What was issued to one cost center: its target and its rows in the issue register, and
    the register's row of the template id the file carries (which may be another's: NOT_ISSUED).

    Finance's copy (templates.issued.issued_copy) is not built for this: it is computed from the
    target and the reference data only (writer.budget_cells reads the target, the organization
    and the configuration; the layout and the normalisation are code), and the reference is in
    the context digest and the code in the engine version, so digesting the target is as strong.
    """
    target = ctx.targets.by_cost_center.get(cost_center)
    register = ctx.register.by_cost_center.get(cost_center, ())
    return _digest((target, tuple(register), ctx.register.by_id.get(template_id)))


def slim(sub: Submission) -> Submission:
    """The submission as later steps read it: what only the checks consult is dropped."""
    return Submission(sub.candidate, sub.sha256, sub.modified, sub.meta, sub.values, {}, {},
                      sub.protected, saved=sub.saved)  # fmt: skip


def _plain(value: object) -> bool:
    """JSON gives `value` back as it was: str keys, lists (not tuples), plain scalars."""
    if isinstance(value, dict):
        if not all(map(isinstance, value, repeat(str))):
            return False
        items: Collection[object] = value.values()
    elif isinstance(value, list):  # a tuple would come back from JSON as a list
        items = value
    else:
        return isinstance(value, PLAIN)
    # the usual shapes (meta: scalars; values: ~100 lists of scalars) in C-level passes, not a
    # call per value; anything else is looked at again item by item
    return (
        all(map(isinstance, items, repeat(PLAIN)))
        or (
            all(map(isinstance, items, repeat(list)))
            and all(map(isinstance, chain.from_iterable(items), repeat(PLAIN)))
        )
        or all(map(_plain, items))
    )


def _encode(found: list[Finding], sub: Submission | None) -> dict[str, Any] | None:
    """An entry's body as JSON data, or None when a value would not come back as it was."""
    body = {
        "findings": [f.model_dump(mode="json") for f in found],
        "submission": None
        if sub is None
        else {
            "meta": sub.meta,
            "values": sub.values,
            "protected": sub.protected,
            "saved": sub.saved.isoformat() if sub.saved is not None else None,
        },
    }
    if sub is not None and not (_plain(sub.meta) and _plain(sub.values)):
        return None  # dates and other objects: such a file is simply checked every time
    return body


def _decode(body: dict[str, Any], cand: Candidate, sha256: str) -> Checked:
    found = [Finding.model_validate(f) for f in body["findings"]]
    s = body["submission"]
    if s is None:
        return found, None
    meta, values = s["meta"], s["values"]
    if not (
        isinstance(meta, dict) and isinstance(values, dict) and _plain(meta) and _plain(values)
    ):
        raise ValueError("not a submission")
    saved = dt.datetime.fromisoformat(s["saved"]) if s["saved"] is not None else None
    modified = dt.datetime.fromtimestamp(cand.path.stat().st_mtime, dt.UTC)  # now, not then
    sub = Submission(cand, sha256, modified, meta, values, {}, {}, bool(s["protected"]),
                     saved=saved)  # fmt: skip
    return found, sub


@dataclass
class ReviewCache:
    """The entries of one control workbook's cache, and what this run used or added."""

    path: Path | None
    context: str
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    kept: dict[str, dict[str, Any]] = field(default_factory=dict)
    rebuilt: str = ""  # why the file on disk was not used ("" when it was, or there was none)
    changed: bool = False

    @classmethod
    def load(cls, path: Path | None, ctx: Context) -> ReviewCache:
        """The cache at `path` (None: a cache that remembers nothing); a bad file is set aside."""
        out = cls(path, context_digest(ctx))
        if path is None or not path.is_file():
            return out
        try:
            head, _, text = path.read_bytes().partition(b"\n")
            name, _, checksum = head.decode("ascii").rpartition(" ")
            if name != FORMAT or hashlib.sha256(text).hexdigest() != checksum:
                raise ValueError("checksum")
            entries = json.loads(text)
            if not isinstance(entries, dict) or not all(
                isinstance(e, dict) for e in entries.values()
            ):
                raise ValueError("shape")
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            out.rebuilt = f"the cache {path} was unreadable ({exc}); every file is checked again"
            out.changed = True
            return out
        out.entries = entries
        return out

    @staticmethod
    def key(cand: Candidate, sha256: str) -> str:
        return f"{sha256} {cand.rel}"

    def get(self, cand: Candidate, sha256: str, ctx: Context) -> Checked | None:
        """What checking this file gave, when nothing it was checked against changed."""
        k = self.key(cand, sha256)
        entry = self.entries.get(k)
        if entry is None:
            return None
        try:
            fresh = (
                entry.get("engine") == engine_version()
                and entry.get("context") == self.context
                and entry.get("issued")
                == issued_digest(
                    ctx, str(entry.get("cost_center", "")), str(entry.get("template_id", ""))
                )
            )
            got = _decode(entry["body"], cand, sha256) if fresh else None
        except (KeyError, TypeError, ValueError, OSError):  # a damaged entry: check again
            got = None
        if got is None:
            self.changed = True
            return None
        self.kept[k] = entry
        return got

    def put(self, cand: Candidate, sha256: str, checked: Checked, ctx: Context) -> None:
        found, sub = checked
        body = _encode(found, sub)
        if body is None:
            return
        cc = sub.cost_center if sub is not None else ""
        template_id = sub.meta.get("template_id", "") if sub is not None else ""
        self.kept[self.key(cand, sha256)] = {
            "engine": engine_version(),
            "context": self.context,
            "cost_center": cc,
            "template_id": template_id,
            "issued": issued_digest(ctx, cc, template_id),
            "body": body,
        }
        self.changed = True

    def save(self) -> str:
        """Write this run's entries (files gone from the folder drop out); '' or why it could not."""
        if self.path is None or not (self.changed or self.kept.keys() != self.entries.keys()):
            return ""
        text = json.dumps(self.kept, separators=(",", ":"), allow_nan=True)
        checksum = hashlib.sha256(text.encode()).hexdigest()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, f"{FORMAT} {checksum}\n{text}")
        except OSError as exc:  # a read-only folder: the next run checks every file again
            return f"the cache {self.path} could not be written ({exc})"
        return ""
