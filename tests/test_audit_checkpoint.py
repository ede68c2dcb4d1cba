"""Signed checkpoints: random edits, swaps, deletions and tail truncations of a real SQLite trail are all reported."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from rag.audit.checkpoint import (
    CheckpointedAuditStore,
    FileCheckpointSink,
    Signer,
    check_checkpoint,
    open_sink,
    trail_id,
)
from rag.audit.trail import GENESIS_HASH, SqliteAuditStore, record_hash
from rag.errors import ConfigError

KEY = b"k" * 32
N = 48


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple[Path, FileCheckpointSink, str]:
    """A 48-record trail written through the checkpointing store (every 7 records and at close)."""
    root = tmp_path_factory.mktemp("cp")
    db = root / "audit.sqlite3"
    sink = FileCheckpointSink(root / "elsewhere" / "checkpoints.jsonl")
    trail = trail_id(f"sqlite:///{db}")
    store = CheckpointedAuditStore(SqliteAuditStore(db), Signer(KEY), sink, trail, every=7)
    for i in range(1, N + 1):
        store.append(trace_id=f"t{i}", kind="consultation", caller="key1", status="ok", payload={"i": i, "q": f"question {i}"})
    store.close()
    seqs = [json.loads(line)["seq"] for line in sink.path.read_text().splitlines()]
    assert seqs == [7, 14, 21, 28, 35, 42, 48]  # every 7th, and the head at shutdown
    return db, sink, trail


def _raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    return conn


def _tamper(conn: sqlite3.Connection, kind: str, r: random.Random) -> int:
    """Apply one tampering; returns how many records are missing at the tail (0 when none)."""
    cols = "trace_id, created_at, kind, caller, status, payload, prev_hash, hash"
    if kind == "edit":
        seq = r.randint(1, N)
        field, value = r.choice([("status", "abstained"), ("caller", "someone-else"), ("payload", '{"i": -1}')])
        conn.execute(f"UPDATE audit_log SET {field} = ? WHERE seq = ?", (value, seq))
    elif kind == "swap":
        a, b = r.sample(range(1, N + 1), 2)
        ra = conn.execute(f"SELECT {cols} FROM audit_log WHERE seq = ?", (a,)).fetchone()
        rb = conn.execute(f"SELECT {cols} FROM audit_log WHERE seq = ?", (b,)).fetchone()
        conn.execute("UPDATE audit_log SET trace_id = trace_id || '-x' WHERE seq IN (?, ?)", (a, b))
        for seq, row in ((a, rb), (b, ra)):
            conn.execute(f"UPDATE audit_log SET ({cols}) = (?, ?, ?, ?, ?, ?, ?, ?) WHERE seq = ?", (*row, seq))
    elif kind == "delete":
        conn.execute("DELETE FROM audit_log WHERE seq = ?", (r.randint(1, N - 1),))
    elif kind == "truncate":
        k = r.randint(1, 12)
        conn.execute("DELETE FROM audit_log WHERE seq > ?", (N - k,))
        return k
    elif kind == "rewrite_tail":
        # cut the tail and append a forged, correctly chained one: the chain alone looks intact
        k = r.randint(1, 12)
        conn.execute("DELETE FROM audit_log WHERE seq > ?", (N - k,))
        prev = conn.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        prev_hash = prev[0] if prev else GENESIS_HASH
        for seq in range(N - k + 1, N + 1):
            fields = dict(seq=seq, trace_id=f"forged{seq}", created_at="2026-01-01T00:00:00.000000Z", kind="consultation",
                          caller="key1", status="ok", payload={"i": seq}, prev_hash=prev_hash)
            h = record_hash(**fields)  # type: ignore[arg-type]
            conn.execute(f"INSERT INTO audit_log (seq, {cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (seq, fields["trace_id"], fields["created_at"], "consultation", "key1", "ok", json.dumps({"i": seq}, separators=(",", ":")),
                          prev_hash, h))
            prev_hash = h
    return 0


KINDS = ["edit", "swap", "delete", "truncate", "rewrite_tail"]


def test_every_random_tampering_is_reported(pristine, tmp_path: Path) -> None:
    db, sink, trail = pristine
    r = random.Random(20261130)
    signer = Signer(KEY)
    missed, counts = [], dict.fromkeys(KINDS, 0)
    trials = 125
    for n in range(trials):
        kind = KINDS[n % len(KINDS)]
        copy = tmp_path / f"t{n}.sqlite3"
        shutil.copy(db, copy)
        conn = _raw(copy)
        truncated = _tamper(conn, kind, r)
        conn.close()
        store = SqliteAuditStore(copy)
        chain = store.verify()
        cp = check_checkpoint(store, signer, sink, trail)
        store.close()
        counts[kind] += 1
        if chain.ok and cp.ok:
            missed.append((n, kind))
        if kind == "truncate":
            assert cp.missing == truncated, (n, cp)
            assert chain.ok  # the chain alone cannot see it: the checkpoint does
    assert counts == dict.fromkeys(KINDS, 25)
    assert missed == []


def test_intact_trail_passes(pristine) -> None:
    db, sink, trail = pristine
    store = SqliteAuditStore(db)
    cp = check_checkpoint(store, Signer(KEY), sink, trail)
    assert cp.ok and cp.checkpoint_seq == N and cp.missing == 0, cp
    store.close()


def test_forged_or_foreign_checkpoints_are_reported(pristine, tmp_path: Path) -> None:
    db, sink, trail = pristine
    forged = FileCheckpointSink(tmp_path / "forged.jsonl")
    lines = sink.path.read_text().splitlines()
    last = json.loads(lines[-1])
    last["seq"] = 40  # someone shortens the signed head to match a truncated trail
    forged.path.write_text("\n".join([*lines[:-1], json.dumps(last)]) + "\n")
    store = SqliteAuditStore(db)
    rep = check_checkpoint(store, Signer(KEY), forged, trail)
    assert not rep.ok and "bad signature" in rep.problems[0]
    other = check_checkpoint(store, Signer(b"another key of 32 bytes........"), sink, trail)
    assert not other.ok and other.checkpoint_seq is None
    store.close()


def test_sink_and_key_must_live_outside_the_data_folder(tmp_path: Path) -> None:
    from rag.audit.checkpoint import load_key
    from rag.settings import Settings

    with pytest.raises(ConfigError, match="inside CLINRAG_DATA_DIR"):
        open_sink(str(tmp_path / "data" / "cp.jsonl"), tmp_path / "data")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "key").write_text("x" * 32)
    with pytest.raises(ConfigError, match="CHECKPOINT_KEY_FILE"):
        load_key(Settings(data_dir=tmp_path / "data", audit_checkpoint_key_file=str(tmp_path / "data" / "key")))
    with pytest.raises(ConfigError, match="at least 16"):
        Signer(b"short")


def test_cli_verify_names_the_missing_records(tmp_path: Path, monkeypatch, capsys) -> None:
    from clinrag.cli import main
    from rag.backends import Backends
    from rag.settings import Settings

    data, sink_path = tmp_path / "data", tmp_path / "state" / "cp.jsonl"
    env = {"CLINRAG_DATA_DIR": str(data), "CLINRAG_AUDIT_CHECKPOINT_KEY": "s3cret-key-for-tests-0123456789",
           "CLINRAG_AUDIT_CHECKPOINT_SINK": str(sink_path)}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    b = Backends(Settings())  # settings from the environment, as `clinrag serve` builds them
    for i in range(10):
        b.audit.append(trace_id=f"c{i}", kind="consultation", caller="cli", status="ok", payload={"i": i})
    b.close()
    assert main(["audit", "verify"]) == 0
    assert "checkpoint at seq 10" in capsys.readouterr().out
    conn = _raw(data / "audit.sqlite3")
    conn.execute("DELETE FROM audit_log WHERE seq > 7")
    conn.close()
    assert main(["audit", "verify", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["missing"] == 3 and not out["ok"], out
    assert any("tail truncated" in p for p in out["problems"])


def test_postgres_sink_of_a_split_deployment(tmp_path: Path) -> None:
    import uuid

    from rag.audit.checkpoint import PostgresCheckpointSink
    from tests.test_audit import pg_url

    url = pg_url()  # skips when no PostgreSQL is reachable
    table = f"cp_{uuid.uuid4().hex[:12]}"
    db = tmp_path / "audit.sqlite3"
    trail = trail_id(f"sqlite:///{db}")
    sink = PostgresCheckpointSink(url, table=table)
    try:
        store = CheckpointedAuditStore(SqliteAuditStore(db), Signer(KEY), sink, trail, every=5)
        for i in range(12):
            store.append(trace_id=f"p{i}", kind="consultation", caller="k", status="ok", payload={"i": i})
        store.close()  # signs seq 12 at shutdown; also closes the sink
        sink = PostgresCheckpointSink(url, table=table)
        assert [c.seq for c in sink.latest(trail)] == [12, 10, 5]
        conn = _raw(db)
        conn.execute("DELETE FROM audit_log WHERE seq > 9")
        conn.close()
        s = SqliteAuditStore(db)
        rep = check_checkpoint(s, Signer(KEY), sink, trail)
        s.close()
        assert not rep.ok and rep.missing == 3, rep
    finally:
        sink._conn.execute(f"DROP TABLE IF EXISTS {table}")
        sink.close()
