"""Earlier turns of a consultation (de-identified symptoms only), keyed by session id."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

__all__ = ["SessionMemory"]


class SessionMemory:
    """SQLite-backed; turns older than `ttl_s` are forgotten."""

    def __init__(self, path: Path, *, ttl_s: float = 24 * 3600, max_turns: int = 5) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS turns (session TEXT, at REAL, text TEXT)")
        self._db.execute("CREATE INDEX IF NOT EXISTS turns_session ON turns (session, at)")
        self._lock = threading.Lock()
        self.ttl_s, self.max_turns = ttl_s, max_turns

    def earlier(self, session_id: str) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT text FROM turns WHERE session = ? AND at > ? ORDER BY at DESC LIMIT ?",
                (session_id, time.time() - self.ttl_s, self.max_turns),
            ).fetchall()
        return [r[0] for r in reversed(rows)]

    def add(self, session_id: str, deidentified_text: str) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT INTO turns VALUES (?, ?, ?)", (session_id, time.time(), deidentified_text))

    def close(self) -> None:
        self._db.close()
