"""The audit record's hash written around its stored payload text (rag/audit/trail.py, issue 14 round 11): the same
hash as encoding the payload again, and the old way wherever the text may not be the payload's canonical JSON."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from rag.audit import trail
from rag.audit.trail import SqliteAuditStore

PAYLOADS: list[dict[str, Any]] = [
    {},
    {"request": {"symptoms": "chest pain 胸痛 \u2019quoted\u2019 \"q\" back\\slash\nnew line", "language": "en"},
     "scores": [0.1, -0.0, 1e300, 1e-300, 3.14159, 10**30, -7], "flags": [True, False, None], "nested": {"z": {"a": [{}]}}},
    {"nan": float("nan"), "inf": [float("inf"), -float("inf")], "when": dt.datetime(2026, 12, 2, 12, 0), "t": (1, "x")},
    {"emoji": "\U0001f600", "ctrl": "\x00\x1f\x7f", "zh": "头痛三天，伴有发热。"},
]
ODD_KEYS: list[dict[Any, Any]] = [{1: "a", "b": 2}, {"x": {True: 1, None: 2}}, {"1": "text", 1: "int"}, {"l": [{2.5: 0}]}]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hash_around_the_text_is_the_hash_of_the_record(payload: dict[str, Any]) -> None:
    unsealed, text, canonical = trail._prepare("t-1", "consultation", "key-1", "ok", payload)
    assert canonical
    assert trail._canonical(json.loads(text)) == text  # the reason the shortcut holds
    for seq, prev in ((1, trail.GENESIS_HASH), (12345, "ab" * 32)):
        rec = trail._seal(unsealed, seq, prev, text)
        old = trail._seal(unsealed, seq, prev)  # encodes the payload again (stamped with its own time)
        assert rec.hash == rec.computed_hash() and old.hash == old.computed_hash()
        assert rec.hash == trail._hash_with_payload_text(rec, trail._canonical(rec.payload))
        assert trail._hash_with_payload_text(old, text) == old.hash


@pytest.mark.parametrize("payload", ODD_KEYS)
def test_keys_that_are_not_strings_take_the_old_way(payload: dict[Any, Any]) -> None:
    _unsealed, _text, canonical = trail._prepare("t-2", "consultation", "", "ok", payload)
    assert not canonical


def test_a_trail_written_both_ways_verifies(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = SqliteAuditStore(tmp_path / "audit.sqlite3")
    try:
        written = [store.append(trace_id=f"t{i}", kind="consultation", caller="c", status="ok", payload=p)
                   for i, p in enumerate([*PAYLOADS, *ODD_KEYS])]
        report = store.verify()
        assert report.ok and report.records == len(written), report.problems
        for rec in written:
            stored = store.get(rec.trace_id)
            assert stored.hash == rec.hash == stored.computed_hash()
    finally:
        store.close()
