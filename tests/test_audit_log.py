"""The Audit Log keeps every word of a long entry, in cells Excel can hold."""

from __future__ import annotations

import re

from hybridbudget.control.audit import MAX_DETAIL, audit_sheet, entry, split_entry

EXCEL_CELL = 32_767


def _changes(n: int) -> str:
    return "; ".join(
        f"ACT-{i:04d} H{i:03d}-09100 SAL_RN 2027-01: opened at level 2 (VP Finance)"
        for i in range(1, n + 1)
    )


def test_a_short_entry_is_one_row() -> None:
    e = entry("variance", "variance 2027-01: 3 triggers")
    assert split_entry(e) == [e]


def test_a_long_entry_is_split_between_items_and_nothing_is_lost() -> None:
    # 435 actions: the variance entry of the 10,000-cost-center bench, 30,000 characters
    detail = "variance 2027-01 against Locked Plan v1: 435 triggers; " + _changes(435)
    assert len(detail) > 29_000
    pieces = split_entry(entry("variance", detail, "abc"))
    n = len(pieces)
    assert n == -(-len(detail) // MAX_DETAIL) or n == -(-len(detail) // MAX_DETAIL) + 1
    texts = []
    for i, p in enumerate(pieces, 1):
        head = f"(part {i} of {n}) "
        assert p["detail"].startswith(head) and p["step"] == "variance" and p["sha256"] == "abc"
        body = p["detail"][len(head) :]
        assert len(body) <= MAX_DETAIL < EXCEL_CELL
        assert not body.startswith("; ") and not body.endswith(";")  # cut between items
        texts.append(body)
    assert "; ".join(texts) == detail
    assert re.match(r"ACT-\d{4} ", texts[1])  # the second part starts at an action


def test_one_item_longer_than_the_limit_is_cut_not_dropped() -> None:
    detail = "x" * 25 + "; " + "y" * 50
    pieces = split_entry(entry("lock", detail), limit=20)
    bodies = [p["detail"].split(") ", 1)[1] for p in pieces]
    assert all(len(b) <= 20 for b in bodies)
    assert "".join(bodies) == "x" * 25 + "y" * 50
    assert len(pieces) == 5


def test_the_audit_sheet_holds_the_parts_in_order() -> None:
    detail = "variance 2027-01: 435 triggers; " + _changes(435)
    sheet = audit_sheet(None, entry("variance", detail))
    rows = sheet.blocks[0].rows
    assert len(rows) > 3 and rows.detail.str.len().max() < EXCEL_CELL
    assert rows.detail.iloc[0].startswith(f"(part 1 of {len(rows)}) variance 2027-01")
    assert rows.detail.iloc[-1].endswith("ACT-0435 H435-09100 SAL_RN 2027-01: opened at level 2 "
                                         "(VP Finance)")  # fmt: skip
