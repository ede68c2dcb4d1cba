"""Earlier turns of a consultation (de-identified symptoms only), per caller and session id.

A session belongs to the caller (API key) that wrote its first turn: the same `session_id` sent
by another key is a different session and sees none of these turns. Turns older than `ttl_s` are
deleted, not just hidden.
"""

from __future__ import annotations

import time
from pathlib import Path

from rag.sqlite import SqliteFile

__all__ = ["SessionMemory"]


class SessionMemory:
    """SQLite-backed; turns older than `ttl_s` are deleted on every write (and by `purge()`)."""

    def __init__(self, path: Path, *, ttl_s: float = 24 * 3600, max_turns: int = 5) -> None:
        self._db = SqliteFile(path, what="session memory")
        self.ttl_s, self.max_turns = ttl_s, max_turns
        with self._db.errors(), self._db.write() as conn:
            cols = {r[1] for r in conn.execute("PRAGMA table_info(turns)").fetchall()}
            if cols and "owner" not in cols:
                # turns written before sessions had owners cannot be given one: forget them
                conn.execute("DROP TABLE turns")
            conn.execute("CREATE TABLE IF NOT EXISTS turns (owner TEXT NOT NULL, session TEXT NOT NULL, at REAL NOT NULL, "
                         "text TEXT NOT NULL)")
            conn.execute("DROP INDEX IF EXISTS turns_session")
            conn.execute("CREATE INDEX IF NOT EXISTS turns_owner_session ON turns (owner, session, at)")
            conn.execute("CREATE INDEX IF NOT EXISTS turns_at ON turns (at)")

    def earlier(self, session_id: str, *, owner: str) -> list[str]:
        """The latest unexpired turns of `owner`'s session, oldest first."""
        with self._db.errors():
            rows = self._db.query(
                "SELECT text FROM turns WHERE owner = ? AND session = ? AND at > ? ORDER BY at DESC LIMIT ?",
                (owner, session_id, time.time() - self.ttl_s, self.max_turns),
            )
        return [r[0] for r in reversed(rows)]

    def add(self, session_id: str, deidentified_text: str, *, owner: str) -> None:
        """Record one turn for `owner`'s session and delete every expired turn."""
        now = time.time()
        with self._db.errors(), self._db.write() as conn:
            conn.execute("INSERT INTO turns (owner, session, at, text) VALUES (?, ?, ?, ?)", (owner, session_id, now, deidentified_text))
            conn.execute("DELETE FROM turns WHERE at <= ?", (now - self.ttl_s,))

    def purge(self) -> int:
        """Delete expired turns now; how many went."""
        with self._db.errors(), self._db.write() as conn:
            return conn.execute("DELETE FROM turns WHERE at <= ?", (time.time() - self.ttl_s,)).rowcount

    def close(self) -> None:
        self._db.close()
