"""Signed checkpoints of the audit chain's head, kept away from the trail.

The hash chain shows edits, swaps and inner deletions, but not the newest records cut off: the
shortened chain is still a valid chain. So every `every` records, and when the process shuts down,
the head (seq, hash) is signed with an HMAC key that is not stored beside the trail and appended to
a separate sink: a JSON-lines file outside the data folder, or a PostgreSQL table of a split
deployment. `check_checkpoint()` compares the trail with the latest checkpoint and says how many
records are missing.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from rag.audit.trail import AuditRecord, AuditStore, VerifyReport
from rag.errors import BackendUnavailableError, ConfigError
from rag.settings import Settings, redact_url

__all__ = [
    "Checkpoint", "CheckpointReport", "CheckpointSink", "FileCheckpointSink", "PostgresCheckpointSink", "CheckpointedAuditStore",
    "Signer", "check_checkpoint", "checkpoint_setup", "default_sink_path", "trail_id",
]

_MIN_KEY = 16


def default_sink_path() -> Path:
    """$XDG_STATE_HOME/clinrag/audit-checkpoints.jsonl (~/.local/state/...): outside any data folder by default."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "clinrag" / "audit-checkpoints.jsonl"


def trail_id(location: str, table: str = "audit_log") -> str:
    """Names one trail in a shared sink: its location (password removed) and table."""
    return hashlib.sha256(f"{redact_url(location)}|{table}".encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain head at one moment, signed: `mac` = HMAC-SHA256(key, canonical JSON of the other fields)."""

    trail: str
    seq: int
    hash: str
    at: str
    key_id: str
    mac: str = ""

    def body(self) -> bytes:
        return json.dumps({"trail": self.trail, "seq": self.seq, "hash": self.hash, "at": self.at, "key_id": self.key_id},
                          sort_keys=True, separators=(",", ":")).encode()

    def to_dict(self) -> dict[str, Any]:
        return {"trail": self.trail, "seq": self.seq, "hash": self.hash, "at": self.at, "key_id": self.key_id, "mac": self.mac}


class Signer:
    """Signs and checks checkpoints with one secret key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < _MIN_KEY:
            raise ConfigError(f"audit checkpoint key is {len(key)} bytes; use at least {_MIN_KEY} random bytes "
                              "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)")
        self._key = key
        self.key_id = hashlib.sha256(b"clinrag-checkpoint-key:" + key).hexdigest()[:8]

    def sign(self, trail: str, seq: int, head_hash: str) -> Checkpoint:
        cp = Checkpoint(trail, seq, head_hash, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), self.key_id)
        return Checkpoint(cp.trail, cp.seq, cp.hash, cp.at, cp.key_id, hmac.new(self._key, cp.body(), hashlib.sha256).hexdigest())

    def valid(self, cp: Checkpoint) -> bool:
        return hmac.compare_digest(hmac.new(self._key, cp.body(), hashlib.sha256).hexdigest(), cp.mac)


class CheckpointSink(Protocol):
    """Where checkpoints go: append-only, separate from the trail."""

    def write(self, cp: Checkpoint) -> None: ...
    def latest(self, trail: str) -> list[Checkpoint]: ...  # this trail's checkpoints, highest seq first (at most 50)
    def close(self) -> None: ...


def _from_dict(d: dict[str, Any]) -> Checkpoint:
    return Checkpoint(str(d["trail"]), int(d["seq"]), str(d["hash"]), str(d["at"]), str(d["key_id"]), str(d["mac"]))


class FileCheckpointSink:
    """JSON lines appended under an exclusive lock and fsynced (several API workers may share the file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackendUnavailableError(f"audit checkpoint file {path} (CLINRAG_AUDIT_CHECKPOINT_SINK): {exc}") from None

    def write(self, cp: Checkpoint) -> None:
        line = (json.dumps(cp.to_dict(), sort_keys=True) + "\n").encode()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise BackendUnavailableError(f"audit checkpoint file {self.path} (CLINRAG_AUDIT_CHECKPOINT_SINK): {exc}") from None

    def latest(self, trail: str) -> list[Checkpoint]:
        if not self.path.exists():
            return []
        found = []
        with self.path.open(encoding="utf-8") as f:
            for line in f:
                try:
                    d = json.loads(line)
                    if d.get("trail") == trail:
                        found.append(_from_dict(d))
                except (ValueError, KeyError, TypeError):
                    continue  # a torn or foreign line; a missing checkpoint shows up as such
        return sorted(found, key=lambda c: c.seq, reverse=True)[:50]

    def close(self) -> None:
        pass


class PostgresCheckpointSink:
    """Checkpoints in a PostgreSQL table (the audit side of a split deployment); no UPDATE or DELETE needed."""

    def __init__(self, url: str, table: str = "audit_checkpoints") -> None:
        import psycopg

        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,39}", table):
            raise ConfigError(f"checkpoint table name {table!r}: use lowercase letters, digits and _")
        self.url, self.table = url, table
        try:
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
            self._conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (trail TEXT NOT NULL, seq BIGINT NOT NULL, hash TEXT NOT NULL, "
                               "at TEXT NOT NULL, key_id TEXT NOT NULL, mac TEXT NOT NULL)")
            self._conn.execute(f"CREATE INDEX IF NOT EXISTS {table}_trail_seq ON {table} (trail, seq)")
        except psycopg.Error as exc:
            raise BackendUnavailableError(f"audit checkpoint sink {redact_url(url)} (CLINRAG_AUDIT_CHECKPOINT_SINK): "
                                          f"{str(exc).strip()}") from None

    def write(self, cp: Checkpoint) -> None:
        self._conn.execute(f"INSERT INTO {self.table} (trail, seq, hash, at, key_id, mac) VALUES (%s, %s, %s, %s, %s, %s)",
                           (cp.trail, cp.seq, cp.hash, cp.at, cp.key_id, cp.mac))

    def latest(self, trail: str) -> list[Checkpoint]:
        rows = self._conn.execute(f"SELECT trail, seq, hash, at, key_id, mac FROM {self.table} WHERE trail = %s "
                                  "ORDER BY seq DESC LIMIT 50", (trail,)).fetchall()
        return [Checkpoint(r[0], int(r[1]), r[2], r[3], r[4], r[5]) for r in rows]

    def close(self) -> None:
        self._conn.close()


def open_sink(spec: str, data_dir: Path | None = None) -> CheckpointSink:
    """'' (default file), '/abs/path.jsonl', 'file:///abs/path.jsonl' or 'postgresql://...'."""
    if spec.startswith(("postgresql://", "postgres://")):
        return PostgresCheckpointSink(spec)
    path = default_sink_path() if not spec else Path(spec[len("file://"):] if spec.startswith("file://") else spec)
    if not path.is_absolute():
        raise ConfigError(f"CLINRAG_AUDIT_CHECKPOINT_SINK={spec!r}: use an absolute file path or a postgresql:// URL")
    if data_dir is not None and path.resolve().is_relative_to(data_dir.resolve()):
        raise ConfigError(f"CLINRAG_AUDIT_CHECKPOINT_SINK={str(path)!r} is inside CLINRAG_DATA_DIR; checkpoints must live "
                          "apart from the trail they guard (another disk, host or database)")
    return FileCheckpointSink(path)


def load_key(settings: Settings) -> bytes | None:
    """The checkpoint key from CLINRAG_AUDIT_CHECKPOINT_KEY or CLINRAG_AUDIT_CHECKPOINT_KEY_FILE; None when neither is set."""
    if settings.audit_checkpoint_key:
        return settings.audit_checkpoint_key.encode()
    if settings.audit_checkpoint_key_file:
        path = Path(settings.audit_checkpoint_key_file)
        if path.resolve().is_relative_to(settings.data_dir.resolve()):
            raise ConfigError(f"CLINRAG_AUDIT_CHECKPOINT_KEY_FILE={str(path)!r} is inside CLINRAG_DATA_DIR; keep the key away "
                              "from the trail (whoever can rewrite the trail must not be able to sign checkpoints)")
        try:
            return path.read_text(encoding="utf-8").strip().encode()
        except OSError as exc:
            raise ConfigError(f"CLINRAG_AUDIT_CHECKPOINT_KEY_FILE={str(path)!r}: {exc}") from None
    return None


def checkpoint_setup(settings: Settings) -> tuple[Signer, CheckpointSink, str] | None:
    """(signer, sink, trail id) when checkpoints are configured (a key is set), else None."""
    key = load_key(settings)
    if key is None:
        return None
    return Signer(key), open_sink(settings.audit_checkpoint_sink, settings.data_dir), trail_id(settings.audit_location())


class CheckpointedAuditStore:
    """An AuditStore that signs the head every `every` records and when closed."""

    def __init__(self, inner: AuditStore, signer: Signer, sink: CheckpointSink, trail: str, every: int = 1) -> None:
        self.inner, self.signer, self.sink, self.trail, self.every = inner, signer, sink, trail, every
        self._last: AuditRecord | None = None

    def append(self, *, trace_id: str, kind: str, caller: str, status: str, payload: dict[str, Any]) -> AuditRecord:
        rec = self.inner.append(trace_id=trace_id, kind=kind, caller=caller, status=status, payload=payload)
        self._last = rec
        if rec.seq % self.every == 0:
            self.sink.write(self.signer.sign(self.trail, rec.seq, rec.hash))
        return rec

    def checkpoint(self) -> Checkpoint | None:
        """Sign the current head of the trail now (None for an empty trail)."""
        head = self.inner.head()
        if head is None:
            return None
        cp = self.signer.sign(self.trail, head.seq, head.hash)
        self.sink.write(cp)
        return cp

    def get(self, trace_id: str) -> AuditRecord:
        return self.inner.get(trace_id)

    def verify(self) -> VerifyReport:
        return self.inner.verify()

    def export(self, since: str | None = None) -> Iterator[AuditRecord]:
        return self.inner.export(since)

    def head(self) -> AuditRecord | None:
        return self.inner.head()

    def record_at(self, seq: int) -> AuditRecord | None:
        return self.inner.record_at(seq)

    def ping(self) -> None:
        self.inner.ping()

    def close(self) -> None:
        try:
            if self._last is not None:
                # sign the newest record this process wrote, which it knows to be genuine, not whatever the
                # database holds now (a trail cut while we ran must not be blessed at shutdown)
                self.sink.write(self.signer.sign(self.trail, self._last.seq, self._last.hash))
        finally:
            self.sink.close()
            self.inner.close()


@dataclass(frozen=True, slots=True)
class CheckpointReport:
    """What the latest valid checkpoint says about the trail's tail."""

    ok: bool
    checkpoint_seq: int | None
    trail_end: int
    missing: int = 0
    problems: list[str] = field(default_factory=list)
    note: str = ""


def check_checkpoint(store: AuditStore, signer: Signer, sink: CheckpointSink, trail: str) -> CheckpointReport:
    """Compare the trail with its latest correctly signed checkpoint: a shorter or rewritten tail is reported."""
    head = store.head()
    end = head.seq if head is not None else 0
    problems: list[str] = []
    cps = sink.latest(trail)
    bad = [c for c in cps if not signer.valid(c)]
    good = [c for c in cps if signer.valid(c)]
    if bad:
        problems.append(f"{len(bad)} checkpoint(s) with a bad signature (sink edited, or signed with another key; "
                        f"newest bad at seq {bad[0].seq})")
    if not good:
        note = "no signed checkpoint for this trail yet" if not cps else "no checkpoint signed with this key"
        return CheckpointReport(ok=not problems, checkpoint_seq=None, trail_end=end, problems=problems, note=note)
    cp = good[0]
    missing = 0
    if end < cp.seq:
        missing = cp.seq - end
        problems.append(f"tail truncated: the checkpoint of {cp.at} covers seq {cp.seq} but the trail ends at seq {end}: "
                        f"{missing} record(s) missing")
    else:
        rec = store.record_at(cp.seq)
        if rec is None:
            problems.append(f"seq {cp.seq} (signed head of {cp.at}) is missing from the trail")
            missing = 1
        elif rec.hash != cp.hash:
            problems.append(f"seq {cp.seq} differs from the signed head of {cp.at}: the records up to it were rewritten")
    note = f"checkpoint at seq {cp.seq} ({cp.at}); {max(end - cp.seq, 0)} record(s) written after it"
    return CheckpointReport(ok=not problems, checkpoint_seq=cp.seq, trail_end=end, missing=missing, problems=problems, note=note)
