"""Ingest jobs started by uploads: recorded in SQLite (so every API worker can report any job) and run
one at a time per process in a background thread.

A job whose process died while it ran is reported as failed ("interrupted") rather than running forever.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import NotFoundError
from rag.sqlite import SqliteFile

__all__ = ["Job", "JobStore", "JobRunner"]

log = logging.getLogger("clinrag.api.jobs")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(slots=True)
class Job:
    job_id: str
    kind: str
    status: str  # queued | running | succeeded | failed
    filename: str
    created_at: str
    caller: str
    pid: int
    started_at: str | None = None
    finished_at: str | None = None
    error: str | None = None
    report: dict[str, Any] | None = None
    progress: dict[str, Any] | None = None  # the latest ingest progress event while it runs (ingest.run._Progress)

    def to_json(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "kind": self.kind, "status": self.status, "filename": self.filename,
                "created_at": self.created_at, "started_at": self.started_at, "finished_at": self.finished_at,
                "caller": self.caller, "error": self.error, "report": self.report, "progress": self.progress}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobStore:
    """Jobs table in `<data_dir>/jobs.sqlite3`."""

    _COLS = "job_id, kind, status, filename, created_at, caller, pid, started_at, finished_at, error, report, progress"

    def __init__(self, path: Path) -> None:
        self._db = SqliteFile(path, what="job store")
        with self._db.errors():
            self._db.query("CREATE TABLE IF NOT EXISTS jobs (job_id TEXT PRIMARY KEY, kind TEXT, status TEXT, filename TEXT, "
                           "created_at TEXT, caller TEXT, pid INTEGER, started_at TEXT, finished_at TEXT, error TEXT, report TEXT, "
                           "progress TEXT)")
            columns = {row[1] for row in self._db.query("PRAGMA table_info(jobs)")}
            if "progress" not in columns:  # a jobs file from before progress was recorded
                self._db.query("ALTER TABLE jobs ADD COLUMN progress TEXT")

    def create(self, kind: str, filename: str, caller: str) -> Job:
        job = Job(job_id=uuid.uuid4().hex, kind=kind, status="queued", filename=filename, created_at=_now(), caller=caller,
                  pid=os.getpid())
        with self._db.errors():
            self._db.query(f"INSERT INTO jobs ({self._COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                           (job.job_id, job.kind, job.status, job.filename, job.created_at, job.caller, job.pid,
                            None, None, None, None, None))
        return job

    def update(self, job_id: str, **fields: Any) -> None:
        for key in ("report", "progress"):
            if fields.get(key) is not None:
                fields[key] = json.dumps(fields[key], ensure_ascii=False)
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self._db.errors():
            self._db.query(f"UPDATE jobs SET {sets} WHERE job_id = ?", (*fields.values(), job_id))

    def get(self, job_id: str) -> Job:
        with self._db.errors():
            rows = self._db.query(f"SELECT {self._COLS} FROM jobs WHERE job_id = ?", (job_id,))
        row = rows[0] if rows else None
        if row is None:
            raise NotFoundError(f"no job {job_id!r}; the id comes from POST /v1/guidelines")
        job_id, kind, status, filename, created_at, caller, pid, started_at, finished_at, error, report, progress = row
        job = Job(job_id=job_id, kind=kind, status=status, filename=filename, created_at=created_at, caller=caller, pid=pid,
                  started_at=started_at, finished_at=finished_at, error=error, report=json.loads(report) if report else None,
                  progress=json.loads(progress) if progress else None)
        if job.status in {"queued", "running"} and not _pid_alive(job.pid):
            job.status, job.error = "failed", "interrupted: the API process that ran this job stopped; upload again"
        return job

    def close(self) -> None:
        self._db.close()


class JobRunner:
    """Runs jobs one at a time in a background thread of this process."""

    def __init__(self, store: JobStore) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-job")

    def submit(self, job: Job, work: Callable[[], tuple[bool, dict[str, Any], str | None]],
               on_done: Callable[[Job, bool], None] | None = None) -> None:
        def run() -> None:
            self.store.update(job.job_id, status="running", started_at=_now())
            try:
                ok, report, error = work()
            except Exception as exc:  # a job must always finish with a status
                log.warning("job %s failed: %s", job.job_id, type(exc).__name__)
                ok, report, error = False, {}, f"{type(exc).__name__}: {exc}"
            self.store.update(job.job_id, status="succeeded" if ok else "failed", finished_at=_now(), report=report,
                              error=error)
            if on_done is not None:
                try:
                    on_done(job, ok)
                except Exception:
                    log.exception("job %s: completion hook failed", job.job_id)

        self._pool.submit(run)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
