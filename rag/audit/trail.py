"""Append-only, hash-chained audit trail stored in SQLite or PostgreSQL.

Every record carries `prev_hash` (the previous record's `hash`; 64 zeros for the first) and
`hash` = sha256 of the canonical JSON of all its other fields. `verify()` walks the chain and
names each record that was edited, deleted or moved. Triggers reject UPDATE and DELETE, but the
chain is the real protection: it still catches tampering by someone who drops the triggers.
It cannot by itself catch someone who rewrites every later record too, or who deletes only the
newest records: rag/audit/checkpoint.py signs the head into a separate sink to close that gap.

Appends are group-committed: the records of concurrent callers are sealed in arrival order and
written in one transaction (one fsync for SQLite, one WAL flush for PostgreSQL) by whichever caller
found the store idle (the leader); the others wait. Every caller returns only once the transaction
holding its own record has committed, and when that transaction fails, every caller in it gets the
error: no record is acknowledged before it is durable.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from rag.errors import AuditIntegrityError, BackendUnavailableError, ConfigError, InputError, NotFoundError
from rag.postgres import PgConnection
from rag.settings import redact_url
from rag.sqlite import SqliteFile

__all__ = [
    "GENESIS_HASH",
    "AuditRecord",
    "VerifyReport",
    "AuditStore",
    "SqliteAuditStore",
    "PostgresAuditStore",
    "open_audit_store",
    "record_hash",
    "verify_records",
]

GENESIS_HASH = "0" * 64
_BATCH = 500
_GROUP_MAX = 64  # records per group commit (9 parameters each: far below SQLite's and psycopg's limits)
_MAX_PROBLEMS = 200
_MAX_FIELD = 200
_MOVE_SEARCH = 32  # how far verify looks for the seq a moved record was sealed with
_TABLE_RE = re.compile(r"[a-z_][a-z0-9_]{0,39}")
_COLUMNS = "seq, trace_id, created_at, kind, caller, status, payload, prev_hash, hash"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def record_hash(
    *, seq: int, trace_id: str, created_at: str, kind: str, caller: str, status: str, payload: dict[str, Any], prev_hash: str
) -> str:
    """Sha256 (hex) of the canonical JSON of every record field except `hash`."""
    body = {
        "seq": seq,
        "trace_id": trace_id,
        "created_at": created_at,
        "kind": kind,
        "caller": caller,
        "status": status,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(_canonical(body).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One committed audit entry; `hash` seals its other fields and the previous record's hash."""

    seq: int
    trace_id: str
    created_at: str  # ISO 8601 UTC, e.g. 2025-01-31T08:00:00.123456Z
    kind: str  # "consultation" | "access_denied" | "ingest" | ...
    caller: str  # API key id or name, "cli", "anonymous"
    status: str  # "ok" | "abstained" | "error" | "denied" | ...
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def computed_hash(self, seq: int | None = None) -> str:
        """The hash these fields should have (at position `seq`, default its own); differs from `hash`
        when the record was edited or moved."""
        sealed = self.to_dict()
        del sealed["hash"]
        if seq is not None:
            sealed["seq"] = seq
        return record_hash(**sealed)

    def to_dict(self) -> dict[str, Any]:
        """All fields as a JSON-ready dict, in their order (the export line format)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Outcome of walking the chain: `problems` names each bad record by seq and trace id."""

    ok: bool
    records: int
    problems: list[str] = field(default_factory=list)
    head_hash: str = GENESIS_HASH  # hash of the last record; keep it elsewhere to detect tail deletion

    def raise_for_problems(self) -> None:
        """Raise AuditIntegrityError listing the problems when the chain is broken."""
        if not self.ok:
            raise AuditIntegrityError(f"audit chain broken ({len(self.problems)} problem(s)): " + "; ".join(self.problems[:10]))


class AuditStore(Protocol):
    """Where audit records go; every backend keeps one chain and offers no update or delete."""

    def append(self, *, trace_id: str, kind: str, caller: str, status: str, payload: dict[str, Any]) -> AuditRecord: ...
    def get(self, trace_id: str) -> AuditRecord: ...
    def verify(self) -> VerifyReport: ...
    def export(self, since: str | None = None) -> Iterator[AuditRecord]: ...
    def head(self) -> AuditRecord | None: ...
    def record_at(self, seq: int) -> AuditRecord | None: ...
    def ping(self) -> None: ...
    def close(self) -> None: ...


# --------------------------------------------------------------------------- helpers


def _now() -> str:
    return datetime.now(UTC).strftime(_TIME_FORMAT)


def _normalize_since(since: str | None) -> str:
    if since is None or since == "":
        return ""
    try:
        when = datetime.fromisoformat(since.strip())
    except (ValueError, AttributeError):
        raise InputError(f"since={since!r}: use an ISO 8601 time such as 2025-01-31T00:00:00Z") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime(_TIME_FORMAT)


def _check_field(name: str, value: object, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise InputError(f"audit {name} must be a string, got {type(value).__name__}")
    if not value and not allow_empty:
        raise InputError(f"audit {name} must not be empty")
    if len(value) > _MAX_FIELD or not value.isprintable():
        raise InputError(f"audit {name} must be printable text of at most {_MAX_FIELD} characters")
    return value


def _jsonable(obj: Any, keys: list[bool] | None = None) -> Any:
    """Make NaN/Infinity and non-str keys JSON-safe (as strings); other odd values are str()-ed by the encoder.
    `keys`: gets a True appended where a key was not a string (two keys can then become one)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                k = str(k)
                if keys is not None:
                    keys.append(True)
            out[k] = _jsonable(v, keys)
        return out
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v, keys) for v in obj]
    return obj


def _hash_with_payload_text(rec: AuditRecord, payload_text: str) -> str:
    """`rec.computed_hash()` for a record whose payload is `json.loads(payload_text)` and whose payload_text is the
    canonical JSON of that payload: the canonical JSON of the record is written around the text instead of encoding
    the payload a second time (the keys in their sorted order: caller, created_at, kind, payload, prev_hash, seq,
    status, trace_id)."""
    head = _canonical({"caller": rec.caller, "created_at": rec.created_at, "kind": rec.kind})
    tail = _canonical({"prev_hash": rec.prev_hash, "seq": rec.seq, "status": rec.status, "trace_id": rec.trace_id})
    return hashlib.sha256(f'{head[:-1]},"payload":{payload_text},{tail[1:]}'.encode()).hexdigest()


def _prepare(trace_id: str, kind: str, caller: str, status: str, payload: dict[str, Any]) -> tuple[AuditRecord, str, bool]:
    """The record before it is sealed (no seq, time or hashes yet), its payload as the text to store, and whether
    that text is the canonical JSON of the payload read back from it (every key a string: the hash can be written
    around the text, `_hash_with_payload_text`)."""
    if not isinstance(payload, dict):
        raise InputError(f"audit payload must be a dict, got {type(payload).__name__}")
    odd_keys: list[bool] = []
    try:
        # an audit write must not fail on a stray datetime or NaN score: coerce, then hash what is stored
        text = json.dumps(
            _jsonable(payload, odd_keys), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
            default=str
        )
        text.encode("utf-8")
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        raise InputError(f"audit payload cannot be stored as JSON text: {exc}") from None
    unsealed = AuditRecord(
        seq=0,
        trace_id=_check_field("trace_id", trace_id),
        created_at="",
        kind=_check_field("kind", kind),
        caller=_check_field("caller", caller, allow_empty=True),
        status=_check_field("status", status),
        payload=json.loads(text),  # what we hash is exactly what we read back
        prev_hash="",
        hash="",
    )
    return unsealed, text, not odd_keys


def _row_to_record(row: tuple[Any, ...]) -> AuditRecord:
    seq, trace_id, created_at, kind, caller, status, payload, prev_hash, hash_ = row
    return AuditRecord(int(seq), trace_id, created_at, kind, caller, status, json.loads(payload), prev_hash, hash_)


def _check_table(table: str) -> str:
    if not _TABLE_RE.fullmatch(table):
        raise ConfigError(f"audit table name {table!r}: use lowercase letters, digits and _ (at most 40, not starting with a digit)")
    return table




class _ChainChecker:
    """Feeds records in stored order and collects what is wrong with the chain."""

    def __init__(self, locate: Callable[[str], int | None]) -> None:
        self._locate = locate  # hash -> seq of the record now stored with that hash, or None
        self.count = 0
        self.prev_seq = 0
        self.prev_hash = GENESIS_HASH
        self.problems: list[str] = []
        self._dropped = 0

    def _add(self, problem: str) -> None:
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self._dropped += 1

    def feed(self, rec: AuditRecord, unreadable: str | None = None) -> None:
        self.count += 1
        who = f"seq {rec.seq} (trace {rec.trace_id})"
        content_ok = unreadable is None and rec.computed_hash() == rec.hash
        link_ok = rec.prev_hash == self.prev_hash
        # where the record says it was written: right after `origin` (0 = first record); looked up only when needed
        origin: int | None = None
        if not (content_ok and link_ok):
            origin = 0 if rec.prev_hash == GENESIS_HASH else self._locate(rec.prev_hash)
        moved = False
        if unreadable is not None:
            self._add(f"{who}: edited: {unreadable}")
        elif not content_ok:
            written_as = self._written_as(rec, origin) if len(self.problems) < _MAX_PROBLEMS else None
            if written_as is not None:
                moved = True
                self._add(f"{who}: reordered: written as seq {written_as}, now stored as seq {rec.seq}")
            else:
                self._add(f"{who}: edited: its content does not match its stored hash")
        if rec.seq <= self.prev_seq:
            self._add(f"{who}: reordered: seq does not increase after seq {self.prev_seq}")
        elif not link_ok:
            if origin is not None and origin != self.prev_seq:
                if not moved:
                    where = "as the first record" if origin == 0 else f"after the record now at seq {origin}"
                    self._add(f"{who}: reordered: it was chained {where}, but is stored after seq {self.prev_seq}")
            elif rec.seq > self.prev_seq + 1:
                self._add(f"{who}: deleted: {self._gap(rec.seq)} missing before it")
            else:
                self._add(
                    f"{who}: deleted or replaced: prev_hash does not match the hash of seq {self.prev_seq}"
                    if self.prev_seq
                    else f"{who}: deleted: the first record's prev_hash should be {GENESIS_HASH[:8]}…"
                )
        elif rec.seq > self.prev_seq + 1:
            self._add(f"{who}: renumbered: {self._gap(rec.seq)} missing but the chain links")
        self.prev_seq = max(self.prev_seq, rec.seq)
        self.prev_hash = rec.hash

    def _gap(self, seq: int) -> str:
        first, last = self.prev_seq + 1, seq - 1
        return f"seq {first}" if first == last else f"seq {first}..{last}"

    def _written_as(self, rec: AuditRecord, origin: int | None) -> int | None:
        """The seq under which an otherwise intact record was sealed, if it is near where it is now."""
        near = [origin + 1] if origin is not None else []
        near += [rec.seq + d for d in range(-_MOVE_SEARCH, _MOVE_SEARCH + 1) if d]
        for seq in dict.fromkeys(near):
            if seq != rec.seq and seq > 0 and rec.computed_hash(seq) == rec.hash:
                return seq
        return None

    def report(self) -> VerifyReport:
        problems = list(self.problems)
        if self._dropped:
            problems.append(f"... and {self._dropped} more problem(s)")
        return VerifyReport(ok=not problems, records=self.count, problems=problems, head_hash=self.prev_hash)


def verify_records(records: Iterable[AuditRecord]) -> VerifyReport:
    """Verify an exported chain offline (records in seq order, e.g. from `export()`)."""
    recs = list(records)
    where: dict[str, int] = {}
    for r in recs:
        where.setdefault(r.hash, r.seq)
    checker = _ChainChecker(where.get)
    for r in recs:
        checker.feed(r)
    return checker.report()


# --------------------------------------------------------------------------- group commit


class _Pending:
    """One caller's record on its way into a group commit, and what became of it."""

    __slots__ = ("unsealed", "payload_text", "canonical", "done", "outcome", "shared")

    def __init__(self, unsealed: AuditRecord, payload_text: str, canonical: bool = False) -> None:
        self.unsealed, self.payload_text = unsealed, payload_text
        self.canonical = canonical  # payload_text is the canonical JSON of unsealed.payload (_prepare)
        self.done = False
        self.outcome: AuditRecord | BaseException | None = None
        self.shared = False  # outcome is the error of the whole transaction


class _GroupCommit:
    """Leader/follower group commit without a thread of its own.

    A caller queues its record; if no transaction is running it becomes the leader: it takes every
    queued record (at most `max_batch`), writes them with `write` in one transaction and, only after
    that returns (committed), hands each waiting caller its outcome. Records queued meanwhile go in
    the next transaction, led by one of their own callers. If `write` raises, every record of that
    transaction gets the exception and none is in the store (the transaction rolled back)."""

    def __init__(self, write: Callable[[list[_Pending]], list[AuditRecord | Exception]], max_batch: int = _GROUP_MAX) -> None:
        self._write = write
        self._max = max_batch
        self._cv = threading.Condition(threading.Lock())
        self._queue: list[_Pending] = []
        self._busy = False
        self.transactions = 0  # committed or failed; the tests read these
        self.records = 0

    def queued(self) -> int:
        """Records waiting for a transaction (not counting one being written)."""
        with self._cv:
            return len(self._queue)

    def submit(self, item: _Pending) -> AuditRecord:
        with self._cv:
            self._queue.append(item)
            while True:
                while self._busy and not item.done:
                    self._cv.wait()
                if item.done:
                    break
                self._busy = True  # lead one transaction (it may not reach this item when the queue is long)
                batch, self._queue = self._queue[: self._max], self._queue[self._max :]
                self._cv.release()
                try:
                    outcomes: list[AuditRecord | BaseException] = []
                    shared = False
                    try:
                        outcomes = list(self._write(batch))
                    except BaseException as exc:  # the whole transaction failed: so did every record in it
                        outcomes, shared = [exc] * len(batch), True
                finally:
                    self._cv.acquire()
                for pending, outcome in zip(batch, outcomes, strict=True):
                    pending.outcome, pending.shared, pending.done = outcome, shared, True
                self.transactions += 1
                self.records += len(batch)
                self._busy = False
                self._cv.notify_all()
        if isinstance(item.outcome, BaseException):
            if item.shared:  # one exception for the whole transaction: each thread raises its own copy
                raise _copy_error(item.outcome) from item.outcome
            raise item.outcome
        assert isinstance(item.outcome, AuditRecord)
        return item.outcome


def _copy_error(exc: BaseException) -> BaseException:
    try:
        return copy.copy(exc)
    except Exception:  # an exception type that cannot be rebuilt from its args
        return BackendUnavailableError(f"audit store: the transaction holding this record failed: {exc}")


# --------------------------------------------------------------------------- one store, two dialects


def _table_ddl(t: str, *, seq_type: str, if_not_exists: bool) -> list[str]:
    """The audit table and its indexes, the same columns in both dialects (only the seq type differs)."""
    maybe = "IF NOT EXISTS " if if_not_exists else ""
    return [
        f"CREATE TABLE {maybe}{t} ("
        f"seq {seq_type} PRIMARY KEY, trace_id TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, "
        "kind TEXT NOT NULL, caller TEXT NOT NULL, status TEXT NOT NULL, payload TEXT NOT NULL, "
        "prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
        f"CREATE INDEX {maybe}{t}_created_at ON {t}(created_at)",
        f"CREATE INDEX {maybe}{t}_hash ON {t}(hash)",
    ]


class _Dialect(Protocol):
    """What differs between SQLite and PostgreSQL: connections, locking, schema, errors and the placeholder."""

    ph: str  # the driver's parameter placeholder

    def reading(self) -> AbstractContextManager[Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]]: ...
    def appending(self) -> AbstractContextManager[Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]]: ...
    def ping(self) -> None: ...
    def close(self) -> None: ...


class _SqlAuditStore:
    """append / get / export / verify written once; the dialect supplies connections, locks and errors."""

    table: str
    _d: _Dialect
    _group: _GroupCommit

    def append(self, *, trace_id: str, kind: str, caller: str, status: str, payload: dict[str, Any]) -> AuditRecord:
        """Add one record at the end of the chain; committed (and, for SQLite, fsynced) when this returns.

        Concurrent calls share one transaction (group commit); each returns its own record or raises
        the error that stopped its transaction."""
        unsealed, payload_text, canonical = _prepare(trace_id, kind, caller, status, payload)
        return self._group.submit(_Pending(unsealed, payload_text, canonical))

    def _write_batch(self, batch: list[_Pending]) -> list[AuditRecord | Exception]:
        """Seal and insert `batch` in arrival order in one transaction; per record its sealed form or the
        InputError that kept it out (a trace id already used). Raises when the transaction fails."""
        t, ph = self.table, self._d.ph
        out: list[AuditRecord | Exception] = []
        with self._d.appending() as q:
            ids = [p.unsealed.trace_id for p in batch]
            taken = {r[0] for r in q(f"SELECT trace_id FROM {t} WHERE trace_id IN ({', '.join([ph] * len(ids))})", tuple(ids))}
            last = q(f"SELECT seq, hash FROM {t} ORDER BY seq DESC LIMIT 1", ())
            seq, prev = (int(last[0][0]) + 1, last[0][1]) if last else (1, GENESIS_HASH)
            values: list[Any] = []
            for p in batch:
                if p.unsealed.trace_id in taken:
                    out.append(InputError(f"trace {p.unsealed.trace_id!r} already has an audit record; use a new trace id"))
                    continue
                taken.add(p.unsealed.trace_id)
                rec = _seal(p.unsealed, seq, prev, p.payload_text if p.canonical else None)
                values += (rec.seq, rec.trace_id, rec.created_at, rec.kind, rec.caller, rec.status, p.payload_text, rec.prev_hash,
                           rec.hash)
                out.append(rec)
                seq, prev = seq + 1, rec.hash
            if values:
                row = f"({', '.join([ph] * 9)})"
                q(f"INSERT INTO {t} ({_COLUMNS}) VALUES {', '.join([row] * (len(values) // 9))}", tuple(values))
        return out

    def _one(self, where: str, arg: Any) -> AuditRecord | None:
        with self._d.reading() as q:
            rows = q(f"SELECT {_COLUMNS} FROM {self.table} {where}", (arg,) if arg is not None else ())
        return _row_to_record(rows[0]) if rows else None

    def get(self, trace_id: str) -> AuditRecord:
        """The record of one trace; NotFoundError when there is none."""
        rec = self._one(f"WHERE trace_id = {self._d.ph}", trace_id)
        if rec is None:
            raise NotFoundError(f"no audit record for trace {trace_id!r}")
        return rec

    def head(self) -> AuditRecord | None:
        """The record with the highest seq, or None for an empty trail."""
        return self._one("ORDER BY seq DESC LIMIT 1", None)

    def record_at(self, seq: int) -> AuditRecord | None:
        """The record stored with this seq, or None."""
        return self._one(f"WHERE seq = {self._d.ph}", seq)

    def export(self, since: str | None = None) -> Iterator[AuditRecord]:
        """Records in seq order, optionally only those created at or after `since` (ISO time)."""
        start = _normalize_since(since)
        after, ph = 0, self._d.ph
        while True:
            with self._d.reading() as q:
                rows = q(f"SELECT {_COLUMNS} FROM {self.table} WHERE seq > {ph} AND created_at >= {ph} ORDER BY seq LIMIT {ph}",
                         (after, start, _BATCH))
            for row in rows:
                yield _row_to_record(row)
            if len(rows) < _BATCH:
                return
            after = int(rows[-1][0])

    def verify(self) -> VerifyReport:
        """Walk the whole chain and report edited, deleted and reordered records."""
        with self._d.reading() as q:
            return _verify_chain(q, self.table, self._d.ph)

    def ping(self) -> None:
        """Raise BackendUnavailableError unless the store accepts writes."""
        self._d.ping()

    def close(self) -> None:
        """Close every connection; later calls raise BackendUnavailableError."""
        self._d.close()


class _SqliteDialect:
    ph = "?"

    def __init__(self, path: Path, table: str, busy_timeout_s: float) -> None:
        self.db = SqliteFile(path, what="audit store", setting="CLINRAG_AUDIT_URL", busy_timeout_s=busy_timeout_s)
        self.table = table

    @staticmethod
    def _runner(conn: sqlite3.Connection) -> Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]:
        return lambda sql, args: conn.execute(sql, args).fetchall()

    @contextmanager
    def reading(self) -> Iterator[Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]]:
        with self.db.errors():
            yield self._runner(self.db.conn())

    @contextmanager
    def appending(self) -> Iterator[Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]]:
        with self.db.errors(), self.db.write() as conn:
            yield self._runner(conn)

    def create_schema(self) -> None:
        t = self.table
        with self.appending() as q:
            for ddl in _table_ddl(t, seq_type="INTEGER", if_not_exists=True):
                q(ddl, ())
            for op in ("UPDATE", "DELETE"):
                q(f"CREATE TRIGGER IF NOT EXISTS {t}_no_{op.lower()} BEFORE {op} ON {t} "
                  f"BEGIN SELECT RAISE(ABORT, 'audit log {t} is append-only: {op} rejected'); END", ())

    def ping(self) -> None:
        """Raise BackendUnavailableError unless the file can be locked for writing."""
        with self.appending():
            pass

    def close(self) -> None:
        self.db.close()


class SqliteAuditStore(_SqlAuditStore):
    """Audit trail in one SQLite file (WAL, synchronous=FULL); one chain across threads and processes."""

    def __init__(self, path: str | Path, *, table: str = "audit_log", busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.table = _check_table(table)
        dialect = _SqliteDialect(self.path, self.table, busy_timeout_s)
        self._d = dialect
        self._group = _GroupCommit(self._write_batch)
        dialect.create_schema()

    def _conn(self) -> sqlite3.Connection:
        return self._d.db.conn()  # type: ignore[attr-defined, no-any-return]

    def __enter__(self) -> SqliteAuditStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _PostgresDialect:
    ph = "%s"

    def __init__(self, url: str, table: str, connect_timeout_s: int) -> None:
        self.url, self.table = url, table
        self._pg = PgConnection(url, closed_message=f"audit store {redact_url(url)} is closed",
                                connect_timeout_s=connect_timeout_s)
        self._lock_key = int.from_bytes(hashlib.sha256(f"clinrag-audit:{table}".encode()).digest()[:8], "big", signed=True)
        self._lock = threading.RLock()

    def _connection(self) -> Any:
        return self._pg.get()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        pg = self._pg.psycopg
        try:
            yield
        except pg.errors.UniqueViolation as exc:
            raise InputError(f"audit store: {exc}".strip()) from None
        except pg.Error as exc:
            if isinstance(exc, pg.OperationalError):
                self._pg.drop()
            raise BackendUnavailableError(f"audit store {redact_url(self.url)} (CLINRAG_AUDIT_URL): {str(exc).strip()}") from None

    @staticmethod
    def _runner(conn: Any) -> Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]:
        def run(sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
            cur = conn.execute(sql, args) if args else conn.execute(sql)  # no args: a literal % stays literal
            return list(cur.fetchall()) if cur.description else []

        return run

    @contextmanager
    def reading(self) -> Iterator[Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]]:
        with self._lock, self._errors():
            yield self._runner(self._connection())

    @contextmanager
    def appending(self) -> Iterator[Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]]:
        # appends from every process serialize on a transaction-scoped advisory lock
        with self._lock, self._errors():
            conn = self._connection()
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key,))
                yield self._runner(conn)

    def create_schema(self) -> None:
        t = self.table
        with self.appending() as q:
            # DDL only for what is missing, so an app role that may only INSERT and SELECT can open it
            if q("SELECT to_regclass(%s)", (t,))[0][0] is None:
                for ddl in _table_ddl(t, seq_type="BIGINT", if_not_exists=False):
                    q(ddl, ())
            if q("SELECT to_regprocedure(%s)", (f"{t}_append_only()",))[0][0] is None:
                q(f"CREATE FUNCTION {t}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
                  f"BEGIN RAISE EXCEPTION 'audit log {t} is append-only: % rejected', TG_OP; END $$", ())
            have = {r[0] for r in q("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", (t,))}
            if f"{t}_no_update_delete" not in have:
                q(f"CREATE TRIGGER {t}_no_update_delete BEFORE UPDATE OR DELETE ON {t} "
                  f"FOR EACH ROW EXECUTE FUNCTION {t}_append_only()", ())
            if f"{t}_no_truncate" not in have:
                q(f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION {t}_append_only()", ())

    def ping(self) -> None:
        """Raise BackendUnavailableError unless the server accepts writes to the audit table."""
        with self.reading() as q:
            in_recovery, can_insert = q("SELECT pg_is_in_recovery(), has_table_privilege(%s, 'INSERT')", (self.table,))[0]
        if in_recovery or not can_insert:
            why = "the server is a read-only replica" if in_recovery else f"this user may not INSERT into {self.table}"
            raise BackendUnavailableError(f"audit store {redact_url(self.url)} (CLINRAG_AUDIT_URL) is not writable: {why}")

    def close(self) -> None:
        with self._lock:
            self._pg.close()


class PostgresAuditStore(_SqlAuditStore):
    """Audit trail in one PostgreSQL table; appends serialize on a transaction-scoped advisory lock."""

    def __init__(self, url: str, *, table: str = "audit_log", connect_timeout_s: int = 5) -> None:
        self.url = url
        self.table = _check_table(table)
        dialect = _PostgresDialect(url, self.table, connect_timeout_s)
        self._d = dialect
        self._group = _GroupCommit(self._write_batch)
        dialect.create_schema()

    def __enter__(self) -> PostgresAuditStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _seal(unsealed: AuditRecord, seq: int, prev_hash: str, payload_text: str | None = None) -> AuditRecord:
    """The record placed at `seq` after `prev_hash`, now, and sealed by the same hash verify() recomputes
    (`payload_text`: the canonical JSON of its payload, when known: the payload is then not encoded again)."""
    placed = replace(unsealed, seq=seq, created_at=_now(), prev_hash=prev_hash)
    digest = placed.computed_hash() if payload_text is None else _hash_with_payload_text(placed, payload_text)
    return replace(placed, hash=digest)


def _verify_chain(query: Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]], table: str, ph: str) -> VerifyReport:
    """The chain walk both SQL stores share; `ph` is the driver's placeholder ('?' or '%s')."""

    def locate(h: str) -> int | None:
        rows = query(f"SELECT seq FROM {table} WHERE hash = {ph} ORDER BY seq LIMIT 1", (h,))
        return int(rows[0][0]) if rows else None

    checker = _ChainChecker(locate)
    top = query(f"SELECT MAX(seq) FROM {table}", ())
    last = int(top[0][0]) if top and top[0][0] is not None else 0
    after = -(2**62)
    while True:
        rows = query(f"SELECT {_COLUMNS} FROM {table} WHERE seq > {ph} AND seq <= {ph} ORDER BY seq LIMIT {ph}",
                     (after, last, _BATCH))
        for row in rows:
            _feed_row(checker, row)
        if len(rows) < _BATCH:
            return checker.report()
        after = int(rows[-1][0])


def _feed_row(checker: _ChainChecker, row: tuple[Any, ...]) -> None:
    try:
        rec = _row_to_record(row)
    except (ValueError, TypeError) as exc:
        seq, trace_id, created_at, kind, caller, status, _payload, prev_hash, hash_ = row
        rec = AuditRecord(int(seq), str(trace_id), str(created_at), str(kind), str(caller), str(status), {}, str(prev_hash), str(hash_))
        checker.feed(rec, unreadable=f"payload is not valid JSON ({exc})")
        return
    if not isinstance(rec.payload, dict):
        checker.feed(rec, unreadable="payload is not a JSON object")
        return
    checker.feed(rec)


# --------------------------------------------------------------------------- factory


def open_audit_store(location: str, *, table: str = "audit_log") -> AuditStore:
    """Open (creating if needed) the store at 'sqlite:///abs/path.sqlite3' or 'postgresql://...'."""
    if location.startswith("sqlite://"):
        rest = location[len("sqlite://") :]
        path = "/" + rest.lstrip("/") if rest.startswith("/") else ""
        if path in ("", "/") or ":memory:" in rest:
            raise ConfigError(f"CLINRAG_AUDIT_URL={location!r}: expected an absolute file path, e.g. sqlite:///var/lib/clinrag/audit.sqlite3")
        return SqliteAuditStore(path, table=table)
    if location.startswith(("postgresql://", "postgres://")):
        return PostgresAuditStore(location, table=table)
    raise ConfigError(
        f"CLINRAG_AUDIT_URL={redact_url(location)!r}: expected 'sqlite:///abs/path.sqlite3' or "
        "'postgresql://user@host:5432/db' (empty selects SQLite in CLINRAG_DATA_DIR)"
    )
