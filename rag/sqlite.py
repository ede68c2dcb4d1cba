"""One way to open a SQLite file for every store (audit, sessions, API keys, jobs).

WAL journal, synchronous=FULL, a busy timeout, one connection per thread (closed together),
explicit BEGIN IMMEDIATE write transactions, and driver errors turned into our error tree with
the file and the setting that chose it named.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rag.errors import BackendUnavailableError, InputError

__all__ = ["SqliteFile"]


class SqliteFile:
    """A SQLite database file shared by the threads of one process (and other processes, through WAL)."""

    def __init__(self, path: str | Path, *, what: str, setting: str = "CLINRAG_DATA_DIR", busy_timeout_s: float = 30.0,
                 private: bool = False) -> None:
        self.path = Path(path)
        self.what = what  # "audit store", "session memory", ... for messages
        self.setting = setting
        self._busy_timeout_s = busy_timeout_s
        self._private = private
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackendUnavailableError(f"{what} {self.path}: cannot create its folder: {exc}") from None

    def conn(self) -> sqlite3.Connection:
        """This thread's connection (autocommit; use `write()` for transactions)."""
        if self._closed:
            raise BackendUnavailableError(f"{self.what} {self.path} is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            fresh = not self.path.exists()
            conn = sqlite3.connect(str(self.path), timeout=self._busy_timeout_s, isolation_level=None, check_same_thread=False)
            if fresh and self._private:
                os.chmod(self.path, 0o600)  # nobody else's business
            conn.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_s * 1000)}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement; its rows (empty for statements without results)."""
        cur = self.conn().execute(sql, params)
        return list(cur.fetchall()) if cur.description else []

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A BEGIN IMMEDIATE transaction: committed when the block ends, rolled back when it raises."""
        conn = self.conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Driver errors as InputError (constraint) or BackendUnavailableError (anything else), naming the file."""
        try:
            yield
        except sqlite3.IntegrityError as exc:
            raise InputError(f"{self.what} {self.path}: {exc}") from None
        except (sqlite3.Error, OSError) as exc:
            raise BackendUnavailableError(f"{self.what} {self.path} ({self.setting}): {exc}") from None

    def close(self) -> None:
        """Close every connection opened here (in any thread); later use raises BackendUnavailableError."""
        self._closed = True
        with self._conns_lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            try:
                conn.close()
            except sqlite3.Error:
                pass
