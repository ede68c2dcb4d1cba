"""Audit store contract, run against SQLite and (when reachable) PostgreSQL."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rag.audit.trail import GENESIS_HASH, AuditStore, open_audit_store, verify_records
from rag.errors import BackendUnavailableError, ConfigError, InputError, NotFoundError

PG_URLS = [
    u
    for u in (
        os.environ.get("CLINRAG_TEST_PG_URL", ""),
        "postgresql://postgres@127.0.0.1:5432/test",
        "postgresql://root@127.0.0.1:5432/test",
    )
    if u
]
_pg_probe: dict[str, Any] = {}


def _run_threads(work, n: int) -> None:
    """Run work(0) … work(n-1) in n threads at once and wait for all of them."""
    threads = [threading.Thread(target=work, args=(w,)) for w in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


def pg_url() -> str:
    """First reachable PostgreSQL URL, or skip the test saying what was tried."""
    if "url" not in _pg_probe:
        errors = []
        _pg_probe["url"] = None
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover
            errors.append(f"psycopg missing: {exc}")
        else:
            for url in PG_URLS:
                try:
                    with psycopg.connect(url, connect_timeout=3) as conn:
                        conn.execute("SELECT 1")
                    _pg_probe["url"] = url
                    break
                except psycopg.Error as exc:
                    errors.append(f"{url}: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}")
        _pg_probe["why"] = "; ".join(errors)
    if _pg_probe["url"] is None:
        pytest.skip(f"no PostgreSQL server reachable (tried {', '.join(PG_URLS)}): {_pg_probe['why']}")
    return _pg_probe["url"]


def _append_many(location: str, table: str, prefix: str, n: int) -> None:
    """Worker for the multi-process test (module level so spawn can import it)."""
    store = open_audit_store(location, table=table)
    try:
        for i in range(n):
            store.append(trace_id=f"{prefix}-{i}", kind="consultation", caller=prefix, status="ok", payload={"i": i})
    finally:
        store.close()


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll until `condition` holds; a guard against hanging, not a timing assertion."""
    deadline = time.monotonic() + 120
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.005)


def _fill(store: AuditStore, n: int, prefix: str = "t") -> list[Any]:
    return [
        store.append(trace_id=f"{prefix}{i}", kind="consultation", caller="key1", status="ok", payload={"i": i, "q": f"question {i}"})
        for i in range(1, n + 1)
    ]


class AuditContract:
    """Behaviour every AuditStore backend must have; subclasses supply `target` and raw SQL access."""

    @pytest.fixture
    def target(self) -> Iterator[tuple[str, str]]:  # (location, table)
        raise NotImplementedError

    @pytest.fixture
    def store(self, target: tuple[str, str]) -> Iterator[AuditStore]:
        s = open_audit_store(target[0], table=target[1])
        yield s
        s.close()

    def sql(self, target: tuple[str, str], statement: str, *params: Any) -> list[tuple[Any, ...]]:
        """Run raw SQL ({t} = table, ? = parameter) in its own committed transaction."""
        raise NotImplementedError

    def drop_triggers(self, target: tuple[str, str]) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ basics

    def test_append_get_export(self, store: AuditStore) -> None:
        recs = _fill(store, 3)
        assert [r.seq for r in recs] == [1, 2, 3]
        assert recs[0].prev_hash == GENESIS_HASH
        assert recs[1].prev_hash == recs[0].hash and recs[2].prev_hash == recs[1].hash
        assert all(r.hash == r.computed_hash() and len(r.hash) == 64 for r in recs)
        assert all(r.created_at.endswith("Z") for r in recs)
        assert store.get("t2") == recs[1]
        assert list(store.export()) == recs
        later = list(store.export(since=recs[1].created_at))
        assert recs[1] in later and recs[2] in later
        assert all(r.created_at >= recs[1].created_at for r in later)
        assert list(store.export(since="2999-01-01T00:00:00Z")) == []
        assert list(store.export(since="2000-01-01")) == recs

    def test_unknown_trace_and_bad_input(self, store: AuditStore) -> None:
        _fill(store, 1)
        with pytest.raises(NotFoundError, match="nope"):
            store.get("nope")
        with pytest.raises(InputError, match="already has an audit record"):
            store.append(trace_id="t1", kind="consultation", caller="k", status="ok", payload={})
        with pytest.raises(InputError, match="payload"):
            store.append(trace_id="x1", kind="consultation", caller="k", status="ok", payload=["not", "a", "dict"])  # type: ignore[arg-type]
        with pytest.raises(InputError, match="JSON"):
            store.append(trace_id="x2", kind="consultation", caller="k", status="ok", payload={"bad": "\ud800"})
        with pytest.raises(InputError, match="trace_id"):
            store.append(trace_id="", kind="consultation", caller="k", status="ok", payload={})
        with pytest.raises(InputError, match="since"):
            list(store.export(since="yesterday"))
        assert store.verify().ok and store.verify().records == 1

    def test_odd_payload_values_are_coerced_not_rejected(self, store: AuditStore) -> None:
        when = datetime(2025, 1, 31, 8, 0, tzinfo=UTC)
        payload = {"score": float("nan"), "top": float("inf"), "at": when, "pair": (1, 2), 3: "int key"}
        rec = store.append(trace_id="odd", kind="consultation", caller="k", status="ok", payload=payload)
        expected = {"score": "nan", "top": "inf", "at": str(when), "pair": [1, 2], "3": "int key"}
        assert rec.payload == expected and store.get("odd").payload == expected
        assert store.verify().ok

    def test_chinese_payload_round_trips(self, store: AuditStore, target: tuple[str, str]) -> None:
        payload = {
            "request": {"question": "成人社区获得性肺炎的首选抗生素是什么？", "age_group": "adult"},
            "answer": "阿莫西林 [1]",
            "passages": [{"id": "cap-2019#3", "text": "推荐阿莫西林 1 g 每日三次"}],
            "latency_ms": {"retrieve": 12.5, "generate": 840},
            "flags": [True, None, 0],
        }
        rec = store.append(trace_id="zh-1", kind="consultation", caller="key1", status="ok", payload=payload)
        assert rec.payload == payload
        assert store.get("zh-1").payload == payload
        raw = self.sql(target, "SELECT payload FROM {t} WHERE trace_id = ?", "zh-1")[0][0]
        assert "阿莫西林" in raw  # stored as readable UTF-8, not \\u escapes
        assert json.loads(raw) == payload
        assert store.verify().ok

    def test_verify_intact_chain(self, store: AuditStore) -> None:
        empty = store.verify()
        assert empty.ok and empty.records == 0 and empty.head_hash == GENESIS_HASH
        recs = _fill(store, 5)
        report = store.verify()
        assert report.ok, report.problems
        assert report.records == 5 and report.problems == [] and report.head_hash == recs[-1].hash
        report.raise_for_problems()
        assert verify_records(store.export()).ok

    def test_ping_and_close(self, target: tuple[str, str]) -> None:
        s = open_audit_store(target[0], table=target[1])
        s.ping()
        s.close()
        with pytest.raises(BackendUnavailableError):
            s.ping()

    def test_reopen_continues_chain(self, store: AuditStore, target: tuple[str, str]) -> None:
        _fill(store, 2)
        again = open_audit_store(target[0], table=target[1])
        try:
            rec = again.append(trace_id="after-reopen", kind="ingest", caller="cli", status="ok", payload={})
            assert rec.seq == 3 and rec.prev_hash == store.get("t2").hash
        finally:
            again.close()
        assert store.verify().ok

    # ------------------------------------------------------------------ append-only

    def test_triggers_reject_update_and_delete(self, store: AuditStore, target: tuple[str, str]) -> None:
        _fill(store, 2)
        with pytest.raises(Exception, match="append-only"):
            self.sql(target, "UPDATE {t} SET status = 'error' WHERE seq = 1")
        with pytest.raises(Exception, match="append-only"):
            self.sql(target, "DELETE FROM {t} WHERE seq = 2")
        assert not hasattr(store, "delete") and not hasattr(store, "update")
        assert store.get("t1").status == "ok"
        assert store.verify().ok

    # ------------------------------------------------------------------ tampering

    def test_verify_detects_edited_payload(self, store: AuditStore, target: tuple[str, str]) -> None:
        recs = _fill(store, 4)
        self.drop_triggers(target)
        edited = json.dumps({"i": 2, "q": "a different question"})
        self.sql(target, "UPDATE {t} SET payload = ? WHERE seq = 2", edited)
        report = store.verify()
        assert not report.ok and report.records == 4
        assert len(report.problems) == 1, report.problems
        assert "seq 2" in report.problems[0] and recs[1].trace_id in report.problems[0] and "edited" in report.problems[0]
        with pytest.raises(Exception, match="seq 2"):
            report.raise_for_problems()

    def test_verify_detects_unparseable_payload_and_edited_status(self, store: AuditStore, target: tuple[str, str]) -> None:
        _fill(store, 3)
        self.drop_triggers(target)
        self.sql(target, "UPDATE {t} SET payload = ? WHERE seq = 1", "{not json")
        self.sql(target, "UPDATE {t} SET status = 'error' WHERE seq = 3")
        problems = store.verify().problems
        assert any("seq 1" in p and "edited" in p for p in problems), problems
        assert any("seq 3" in p and "edited" in p for p in problems), problems

    def test_verify_detects_deleted_record(self, store: AuditStore, target: tuple[str, str]) -> None:
        _fill(store, 4)
        self.drop_triggers(target)
        self.sql(target, "DELETE FROM {t} WHERE seq = 2")
        report = store.verify()
        assert not report.ok and report.records == 3
        assert any("deleted" in p and "seq 2" in p and "seq 3 (trace t3)" in p for p in report.problems), report.problems

    def test_verify_detects_deleted_first_record(self, store: AuditStore, target: tuple[str, str]) -> None:
        _fill(store, 3)
        self.drop_triggers(target)
        self.sql(target, "DELETE FROM {t} WHERE seq = 1")
        report = store.verify()
        assert not report.ok
        assert any("deleted" in p and "seq 1" in p for p in report.problems), report.problems

    def test_verify_detects_swapped_order(self, store: AuditStore, target: tuple[str, str]) -> None:
        _fill(store, 4)
        self.drop_triggers(target)
        self.sql(target, "UPDATE {t} SET seq = -1 WHERE seq = 2")
        self.sql(target, "UPDATE {t} SET seq = 2 WHERE seq = 3")
        self.sql(target, "UPDATE {t} SET seq = 3 WHERE seq = -1")
        report = store.verify()
        assert not report.ok and report.records == 4
        text = "\n".join(report.problems)
        assert "reordered" in text, text
        assert "seq 2 (trace t3)" in text and "seq 3 (trace t2)" in text, text
        assert any("seq 4 (trace t4)" in p for p in report.problems), text

    def test_verify_detects_swapped_contents(self, store: AuditStore, target: tuple[str, str]) -> None:
        """Swap every column except seq between two rows: the other way to reorder."""
        _fill(store, 3)
        self.drop_triggers(target)
        cols = "trace_id, created_at, kind, caller, status, payload, prev_hash, hash"
        a = self.sql(target, f"SELECT {cols} FROM {{t}} WHERE seq = 1")[0]
        b = self.sql(target, f"SELECT {cols} FROM {{t}} WHERE seq = 2")[0]
        self.sql(target, "UPDATE {t} SET trace_id = 'tmp' WHERE seq = 1")
        assign = ", ".join(f"{c} = ?" for c in cols.split(", "))
        self.sql(target, f"UPDATE {{t}} SET {assign} WHERE seq = 2", *a)
        self.sql(target, f"UPDATE {{t}} SET {assign} WHERE seq = 1", *b)
        report = store.verify()
        text = "\n".join(report.problems)
        assert not report.ok and "reordered" in text and "trace t1" in text and "trace t2" in text, text

    # ------------------------------------------------------------------ concurrency

    def test_concurrent_threads_keep_one_chain(self, store: AuditStore) -> None:
        errors: list[BaseException] = []

        def work(w: int) -> None:
            try:
                for i in range(20):
                    store.append(trace_id=f"w{w}-{i}", kind="consultation", caller=f"w{w}", status="ok", payload={"i": i})
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        _run_threads(work, 8)
        assert not errors, errors
        recs = list(store.export())
        assert [r.seq for r in recs] == list(range(1, 161))
        assert len({r.trace_id for r in recs}) == 160
        report = store.verify()
        assert report.ok and report.records == 160, report.problems

    def test_concurrent_processes_keep_one_chain(self, store: AuditStore, target: tuple[str, str]) -> None:
        ctx = multiprocessing.get_context("spawn")
        procs = [ctx.Process(target=_append_many, args=(target[0], target[1], f"p{w}", 15)) for w in range(4)]
        for p in procs:
            p.start()
        store.append(trace_id="parent", kind="consultation", caller="parent", status="ok", payload={})
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0, 0, 0, 0]
        recs = list(store.export())
        assert [r.seq for r in recs] == list(range(1, 62))
        report = store.verify()
        assert report.ok and report.records == 61, report.problems


    # ------------------------------------------------------------------ group commit

    def _readable(self, target: tuple[str, str], trace_id: str) -> bool:
        """Whether a fresh connection (as another process would open) sees the record."""
        return bool(self.sql(target, "SELECT seq FROM {t} WHERE trace_id = ?", trace_id))

    def test_group_commit_threads_each_durable_before_return(self, store: AuditStore, target: tuple[str, str]) -> None:
        problems: list[str] = []

        def work(w: int) -> None:
            try:
                for i in range(6):
                    rec = store.append(trace_id=f"g{w}-{i}", kind="consultation", caller=f"w{w}", status="ok", payload={"i": i})
                    if not self._readable(target, rec.trace_id):
                        problems.append(f"{rec.trace_id} returned before it was readable")
            except BaseException as exc:  # pragma: no cover - reported below
                problems.append(repr(exc))

        _run_threads(work, 10)
        assert not problems, problems
        recs = list(store.export())
        assert [r.seq for r in recs] == list(range(1, 61))
        assert store.verify().ok
        group = store._group  # type: ignore[attr-defined]
        assert group.records == 60 and 1 <= group.transactions <= 60

    def _hold_first_transaction(self, store: AuditStore) -> tuple[threading.Event, threading.Event]:
        """Make the next transaction wait until `release` is set; `entered` is set once it is waiting."""
        group = store._group  # type: ignore[attr-defined]
        real = group._write
        entered, release = threading.Event(), threading.Event()
        calls = {"n": 0}

        def write(batch: list[Any]) -> Any:
            calls["n"] += 1
            if calls["n"] == 1:
                entered.set()
                assert release.wait(120), "test never released the first transaction"
            return real(batch)

        group._write = write
        return entered, release

    def _start_queued(self, store: AuditStore, ids: list[str], results: dict[str, Any]) -> list[threading.Thread]:
        def work(tid: str) -> None:
            try:
                results[tid] = store.append(trace_id=tid, kind="consultation", caller="q", status="ok", payload={"t": tid})
            except BaseException as exc:
                results[tid] = exc

        threads = [threading.Thread(target=work, args=(tid,)) for tid in ids]
        for th in threads:
            th.start()
        group = store._group  # type: ignore[attr-defined]
        _wait_until(lambda: group.queued() == len(ids), f"{len(ids)} queued records")
        return threads

    def test_group_commit_writes_queued_records_in_one_transaction(self, store: AuditStore, target: tuple[str, str]) -> None:
        _fill(store, 1, prefix="old")
        entered, release = self._hold_first_transaction(store)
        results: dict[str, Any] = {}
        first = threading.Thread(target=lambda: results.__setitem__("lead", store.append(
            trace_id="lead", kind="consultation", caller="q", status="ok", payload={})))
        first.start()
        assert entered.wait(60)
        queued = self._start_queued(store, [f"q{i}" for i in range(6)] + ["old1"], results)  # old1: a trace id already used
        release.set()
        for th in [first, *queued]:
            th.join()
        group = store._group  # type: ignore[attr-defined]
        assert group.transactions == 3  # old1, then lead alone, then the seven queued behind it together
        assert isinstance(results["old1"], InputError)  # only the duplicate is refused; the rest of its transaction commits
        seqs = {tid: r.seq for tid, r in results.items() if tid != "old1"}
        assert seqs["lead"] == 2 and sorted(seqs.values()) == list(range(2, 9))
        assert all(self._readable(target, tid) for tid in seqs)
        recs = list(store.export())
        assert [r.trace_id for r in recs][:2] == ["old1", "lead"] and len(recs) == 8
        report = store.verify()
        assert report.ok and report.records == 8, report.problems

    def test_failed_group_commit_fails_every_record_in_it(self, store: AuditStore, target: tuple[str, str]) -> None:
        entered, release = self._hold_first_transaction(store)
        results: dict[str, Any] = {}
        first = threading.Thread(target=lambda: results.__setitem__("lead", store.append(
            trace_id="lead", kind="consultation", caller="q", status="ok", payload={})))
        first.start()
        assert entered.wait(60)
        dialect = store._d  # type: ignore[attr-defined]
        real_appending = dialect.appending
        opened = {"n": 0}

        @contextmanager
        def failing_appending() -> Iterator[Any]:
            opened["n"] += 1
            with real_appending() as q:
                def run(sql: str, args: tuple[Any, ...]) -> Any:
                    rows = q(sql, args)
                    if sql.startswith("INSERT") and opened["n"] > 1:  # written, then the disk fills up before the commit
                        raise BackendUnavailableError("simulated: no space left on device")
                    return rows

                yield run

        ids = [f"q{i}" for i in range(5)]
        queued = self._start_queued(store, ids, results)
        dialect.appending = failing_appending  # the lead's transaction commits; the next one fails
        release.set()
        for th in [first, *queued]:
            th.join()
        assert results["lead"].seq == 1
        for tid in ids:
            assert isinstance(results[tid], BackendUnavailableError), results[tid]
            assert "no space left" in str(results[tid])
            assert not self._readable(target, tid)
        assert store._group.transactions == 2  # type: ignore[attr-defined]
        dialect.appending = real_appending
        after = store.append(trace_id="after", kind="consultation", caller="q", status="ok", payload={})
        assert after.seq == 2 and after.prev_hash == results["lead"].hash
        report = store.verify()
        assert report.ok and report.records == 2, report.problems


class TestSqliteAudit(AuditContract):
    @pytest.fixture
    def target(self, tmp_path: Path) -> Iterator[tuple[str, str]]:
        yield f"sqlite://{tmp_path / 'audit.sqlite3'}", "audit_log"

    def _path(self, target: tuple[str, str]) -> str:
        return target[0][len("sqlite://") :]

    def sql(self, target: tuple[str, str], statement: str, *params: Any) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self._path(target))
        try:
            with conn:
                return conn.execute(statement.format(t=target[1]), params).fetchall()
        finally:
            conn.close()

    def drop_triggers(self, target: tuple[str, str]) -> None:
        names = self.sql(target, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '{t}'")
        assert names
        for (name,) in names:
            self.sql(target, f"DROP TRIGGER {name}")

    def test_wal_and_full_sync(self, store: AuditStore, target: tuple[str, str]) -> None:
        _fill(store, 1)
        assert self.sql(target, "PRAGMA journal_mode")[0][0] == "wal"
        conn = store._conn()  # type: ignore[attr-defined]
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL

    def test_four_slash_url_from_settings(self, tmp_path: Path) -> None:
        # Settings.audit_location() writes f"sqlite:///{absolute path}", i.e. four slashes
        s = open_audit_store(f"sqlite:///{tmp_path / 'sub' / 'a.sqlite3'}")
        try:
            s.append(trace_id="a", kind="ingest", caller="cli", status="ok", payload={})
        finally:
            s.close()
        assert (tmp_path / "sub" / "a.sqlite3").is_file()


class TestPostgresAudit(AuditContract):
    @pytest.fixture
    def target(self) -> Iterator[tuple[str, str]]:
        import psycopg

        url = pg_url()
        table = f"audit_test_{uuid.uuid4().hex[:12]}"
        yield url, table
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")

    def sql(self, target: tuple[str, str], statement: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(target[0]) as conn:  # commits on clean exit
            cur = conn.execute(statement.format(t=target[1]).replace("?", "%s"), params)
            return cur.fetchall() if cur.description else []

    def drop_triggers(self, target: tuple[str, str]) -> None:
        names = self.sql(
            target, "SELECT tgname FROM pg_trigger WHERE tgrelid = '{t}'::regclass AND NOT tgisinternal"
        )
        assert len(names) == 2
        for (name,) in names:
            self.sql(target, f"DROP TRIGGER {name} ON {{t}}")

    def test_truncate_rejected(self, store: AuditStore, target: tuple[str, str]) -> None:
        _fill(store, 1)
        with pytest.raises(Exception, match="append-only"):
            self.sql(target, "TRUNCATE {t}")


# ---------------------------------------------------------------------- factory


@pytest.mark.parametrize("location", ["mysql://x@y/z", "", "audit.sqlite3", "sqlite://", "sqlite:///:memory:"])
def test_bad_location_names_the_setting(location: str) -> None:
    with pytest.raises(ConfigError, match="CLINRAG_AUDIT_URL"):
        open_audit_store(location)


def test_bad_table_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="table"):
        open_audit_store(f"sqlite://{tmp_path / 'a.sqlite3'}", table="x; DROP TABLE y")


def test_unreachable_postgres_is_backend_unavailable() -> None:
    with pytest.raises(BackendUnavailableError, match="CLINRAG_AUDIT_URL") as err:
        open_audit_store("postgresql://nobody:s3cret@127.0.0.1:1/none")
    assert "s3cret" not in str(err.value)


def test_offline_verify_of_an_export(tmp_path: Path) -> None:
    store = open_audit_store(f"sqlite://{tmp_path / 'a.sqlite3'}")
    try:
        recs = _fill(store, 3)
    finally:
        store.close()
    assert verify_records(recs).ok
    forged = [recs[0], recs[2]]
    report = verify_records(forged)
    assert not report.ok and "deleted" in report.problems[0] and "seq 2" in report.problems[0]


def test_hash_formula_is_the_one_old_records_were_sealed_with(tmp_path: Path) -> None:
    """Sealing and verifying share AuditRecord.computed_hash: pin it to the documented formula and to a hash
    written by the earlier code, so that old records keep verifying."""
    import hashlib

    from rag.audit.trail import AuditRecord

    old = AuditRecord(7, "trace-7", "2025-01-31T08:00:00.123456Z", "consultation", "cli", "ok",
                      {"request": {"symptoms": "发烧 38.5"}, "n": [1, 2.5]}, "ab" * 32, "")
    assert old.computed_hash() == "425bf440ec7eaf82a96d17b45fd23fd952cf86c3ebe885d63b6d195c12927365"
    store = open_audit_store(f"sqlite://{tmp_path / 'a.sqlite3'}")
    try:
        rec = store.append(trace_id="t1", kind="consultation", caller="cli", status="ok", payload={"b": 1, "a": "é"})
    finally:
        store.close()
    body = {k: v for k, v in rec.to_dict().items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    assert rec.hash == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_record_parts_store_the_keys_they_always_stored() -> None:
    """A retrieved passage is stored with its scores and no `via`; one the prompt added, with `via` and no scores;
    the urgency part with every key, its passage named when it has one."""
    from rag.audit.record import ConsultationRecord, RetrievalPart, RetrievedPassage, UrgencyPart
    from rag.safety.urgency import Criterion, Match, UrgencyDecision
    from rag.types import Passage

    p = Passage(chunk_id="c1", doc_id="d1", title="Fever", publisher="us", version="2", source="fever.md", section="Self-care",
                page_start=1, page_end=1, text="Drink fluids.", language="en", score=0.5, dense_score=0.612345,
                bm25_score=7.123456, content_hash="h1")
    rec = ConsultationRecord(retrieval=RetrievalPart(passages=[RetrievedPassage.of(1, p),
                                                               RetrievedPassage.of(2, p, via="matched document")]))
    found, added = rec.to_payload()["retrieval"]["passages"]
    base = {"chunk_id": "c1", "doc_id": "d1", "version": "2", "content_hash": "h1", "score": 0.5}
    assert found == {"n": 1, **base, "dense": 0.6123, "bm25": 7.1235}
    assert added == {"n": 2, **base, "via": "matched document"}

    crit = Criterion(text="See a GP if the fever lasts " + "x" * 300, level="soon", level_why="w", passage=p, clauses=())
    match = Match(criterion=crit, clause="c", level="soon", level_why="w", grounds="g")
    rec = ConsultationRecord(urgency=UrgencyPart.of(UrgencyDecision("soon", "why", "criterion", p, "quoted", (match,)), "urgent"))
    assert rec.to_payload()["urgency"] == {"level": "soon", "basis": "criterion", "reason": "why", "quote": "quoted",
                                           "doc_id": "d1", "chunk_id": "c1", "model_level": "urgent",
                                           "matches": [f"soon: {crit.text[:200]}"]}
    bare = UrgencyPart.of(UrgencyDecision("soon", "why", "no_criterion"), None)
    assert ConsultationRecord(urgency=bare).to_payload()["urgency"] == {
        "level": "soon", "basis": "no_criterion", "reason": "why", "quote": "", "doc_id": "", "chunk_id": "",
        "model_level": None, "matches": []}
