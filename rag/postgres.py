"""One way to hold a PostgreSQL connection for a store (audit trail, API keys).

psycopg is imported on first use, so SQLite-only installs never load it. The connection is
autocommit, opened on first use and again after it closed or broke; `drop()` forgets it after a
connection-level error so the next call reconnects.
"""

from __future__ import annotations

from typing import Any

from rag.errors import BackendUnavailableError

__all__ = ["PgConnection"]


class PgConnection:
    """A lazily (re)opened autocommit psycopg connection; not thread-safe: callers hold their own lock."""

    def __init__(self, url: str, *, closed_message: str, connect_timeout_s: int = 5) -> None:
        import psycopg  # imported here so SQLite-only installs never load it

        self.psycopg: Any = psycopg
        self.url = url
        self._closed_message = closed_message  # what using it after close() raises
        self._connect_timeout_s = connect_timeout_s
        self._conn: Any = None
        self._closed = False

    def get(self) -> Any:
        """The open connection, reconnecting when there is none or it closed or broke."""
        if self._closed:
            raise BackendUnavailableError(self._closed_message)
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = self.psycopg.connect(self.url, autocommit=True, connect_timeout=self._connect_timeout_s)
        return self._conn

    def drop(self) -> None:
        """Close and forget the connection (after an OperationalError), so the next `get()` reconnects."""
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def close(self) -> None:
        """Close for good: later `get()` raises BackendUnavailableError."""
        self._closed = True
        self.drop()
