"""API keys: `crk_<keyid>_<secret>`, stored only as a salted HMAC-SHA256 of the secret.

The plaintext is returned once by `KeyStore.create` and never stored. Roles are a subset of
consult, ingest, audit and admin; admin implies all the others.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag.errors import BackendUnavailableError, ConfigError, InputError, NotFoundError
from rag.postgres import PgConnection
from rag.sqlite import SqliteFile

__all__ = ["ROLES", "KEY_PREFIX", "KeyInfo", "KeyStore", "parse_roles"]

ROLES: tuple[str, ...] = ("consult", "ingest", "audit", "admin")
KEY_PREFIX = "crk"
_KEY_ID_RE = re.compile(r"[0-9a-f]{12}")
_TABLE_RE = re.compile(r"[a-z_][a-z0-9_]{0,39}")
_MAX_NAME = 100
_MAX_PLAINTEXT = 256
_DUMMY_SALT = bytes(16)
_COLUMNS = "key_id, name, roles, created_at, revoked_at"


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What is known about one key; never its secret."""

    key_id: str
    name: str
    roles: tuple[str, ...]
    created_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        """True until the key is revoked."""
        return self.revoked_at is None

    def allows(self, role: str) -> bool:
        """Whether this (unrevoked) key may act in `role`; admin may do everything."""
        return self.active and ("admin" in self.roles or role in self.roles)


def parse_roles(roles: Iterable[str] | str) -> tuple[str, ...]:
    """Normalize roles (an iterable or a comma-separated string); InputError names the valid ones."""
    items = roles.split(",") if isinstance(roles, str) else list(roles)
    wanted = {str(r).strip().lower() for r in items} - {""}
    unknown = sorted(wanted - set(ROLES))
    if unknown:
        raise InputError(f"unknown role(s) {', '.join(map(repr, unknown))}; valid roles: {', '.join(ROLES)}")
    if not wanted:
        raise InputError(f"give a key at least one role: {', '.join(ROLES)}")
    return tuple(r for r in ROLES if r in wanted)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _digest(salt: bytes, secret: str) -> str:
    return hmac.new(salt, secret.encode("utf-8"), hashlib.sha256).hexdigest()


def _row_to_info(row: tuple[Any, ...]) -> KeyInfo:
    key_id, name, roles, created_at, revoked_at = row
    return KeyInfo(key_id, name, tuple(r for r in roles.split(",") if r), created_at, revoked_at)


class KeyStore:
    """API keys in a SQLite file (a path or sqlite:///path) or a PostgreSQL table (postgresql://...)."""

    def __init__(self, location: str | Path, *, table: str = "api_keys") -> None:
        if not _TABLE_RE.fullmatch(table):
            raise ConfigError(f"key table name {table!r}: use lowercase letters, digits and _")
        self.table = table
        self._lock = threading.RLock()
        self._closed = False
        self._pg: PgConnection | None = None
        loc = str(location)
        self._location = loc
        self.path: Path | None = None  # the SQLite file; None for PostgreSQL
        if loc.startswith(("postgresql://", "postgres://")):
            self._pg = PgConnection(loc, closed_message="key store is closed")
        else:
            if loc.startswith("sqlite://"):
                loc = "/" + loc[len("sqlite://") :].lstrip("/")
            self.path = Path(loc)
            self._location = loc
            self._db = SqliteFile(self.path, what="key store", private=True)  # hashes only, but nobody else's business
        with self._errors():
            self._create_schema()

    # database plumbing ----------------------------------------------------

    def _connection(self) -> Any:
        if self._closed:
            raise BackendUnavailableError("key store is closed")
        if self._pg is not None:
            return self._pg.get()
        return self._db.conn()

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self._pg is not None:
            sql = sql.replace("?", "%s")
        cur = self._connection().execute(sql, params)
        return list(cur.fetchall()) if cur.description else []

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        conn = self._connection()
        if self._pg is None:
            with self._db.write():
                yield
            return
        with conn.transaction():
            yield

    @contextmanager
    def _errors(self) -> Iterator[None]:
        where = self._location if self._pg is None else "PostgreSQL"
        with self._lock:
            try:
                yield
            except (InputError, NotFoundError, BackendUnavailableError):
                raise
            except sqlite3.IntegrityError as exc:
                raise InputError(f"key store {where}: {exc}") from None
            except (sqlite3.Error, OSError) as exc:
                raise BackendUnavailableError(f"key store {where}: {exc}") from None
            except Exception as exc:
                if self._pg is not None and isinstance(exc, self._pg.psycopg.Error):
                    if isinstance(exc, self._pg.psycopg.errors.UniqueViolation):
                        raise InputError(f"key store: {str(exc).strip()}") from None
                    if isinstance(exc, self._pg.psycopg.OperationalError):
                        self._pg.drop()
                    raise BackendUnavailableError(f"key store {where}: {str(exc).strip()}") from None
                raise

    def _create_schema(self) -> None:
        t = self.table
        with self._transaction():
            self._run(
                f"CREATE TABLE IF NOT EXISTS {t} (key_id TEXT PRIMARY KEY, name TEXT NOT NULL, roles TEXT NOT NULL, "
                "salt TEXT NOT NULL, digest TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)"
            )
            self._run(f"CREATE UNIQUE INDEX IF NOT EXISTS {t}_active_name ON {t}(name) WHERE revoked_at IS NULL")

    # public API -----------------------------------------------------------

    def create(self, name: str, roles: Iterable[str] | str) -> tuple[KeyInfo, str]:
        """Make a key; returns its info and the plaintext `crk_<keyid>_<secret>`, shown only this once."""
        name = name.strip() if isinstance(name, str) else ""
        if not name or len(name) > _MAX_NAME or not name.isprintable():
            raise InputError(f"key name must be 1 to {_MAX_NAME} printable characters")
        wanted = parse_roles(roles)
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        info = KeyInfo(key_id, name, wanted, _now())
        t = self.table
        with self._errors(), self._transaction():
            if self._run(f"SELECT 1 FROM {t} WHERE name = ? AND revoked_at IS NULL", (name,)):
                raise InputError(f"an active key named {name!r} exists; revoke it first or choose another name")
            self._run(
                f"INSERT INTO {t} (key_id, name, roles, salt, digest, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (key_id, name, ",".join(wanted), salt.hex(), _digest(salt, secret), info.created_at),
            )
        return info, f"{KEY_PREFIX}_{key_id}_{secret}"

    def list(self, *, include_revoked: bool = True) -> list[KeyInfo]:
        """Every key's info, oldest first; secrets are never stored, so never listed."""
        where = "" if include_revoked else " WHERE revoked_at IS NULL"
        with self._errors():
            rows = self._run(f"SELECT {_COLUMNS} FROM {self.table}{where} ORDER BY created_at, key_id")
        return [_row_to_info(r) for r in rows]

    def revoke(self, key_id_or_name: str) -> KeyInfo:
        """Revoke by key id or by the name of an active key; revoking twice is harmless."""
        t = self.table
        with self._errors(), self._transaction():
            rows = self._run(f"SELECT {_COLUMNS} FROM {t} WHERE key_id = ?", (key_id_or_name,))
            if not rows:
                rows = self._run(f"SELECT {_COLUMNS} FROM {t} WHERE name = ? AND revoked_at IS NULL", (key_id_or_name,))
            if not rows:
                rows = self._run(
                    f"SELECT {_COLUMNS} FROM {t} WHERE name = ? ORDER BY revoked_at DESC LIMIT 1", (key_id_or_name,)
                )
            if not rows:
                raise NotFoundError(f"no API key with id or name {key_id_or_name!r}; `list` shows them")
            info = _row_to_info(rows[0])
            if info.revoked_at is None:
                info = KeyInfo(info.key_id, info.name, info.roles, info.created_at, _now())
                self._run(f"UPDATE {t} SET revoked_at = ? WHERE key_id = ?", (info.revoked_at, info.key_id))
        return info

    def authenticate(self, plaintext: str) -> KeyInfo | None:
        """The key's info when `plaintext` is a valid unrevoked key, else None (constant-time compare)."""
        key_id, secret = "", ""
        if isinstance(plaintext, str) and len(plaintext) <= _MAX_PLAINTEXT:
            parts = plaintext.strip().split("_", 2)
            if len(parts) == 3 and parts[0] == KEY_PREFIX and _KEY_ID_RE.fullmatch(parts[1]) and parts[2]:
                key_id, secret = parts[1], parts[2]
        row = None
        if key_id:
            with self._errors():
                rows = self._run(f"SELECT {_COLUMNS}, salt, digest FROM {self.table} WHERE key_id = ?", (key_id,))
            row = rows[0] if rows else None
        if row is None:
            hmac.compare_digest(_digest(_DUMMY_SALT, secret), "0" * 64)  # same work for unknown keys
            return None
        salt, digest = bytes.fromhex(row[5]), row[6]
        if not hmac.compare_digest(_digest(salt, secret), digest):
            return None
        info = _row_to_info(row[:5])
        return info if info.active else None

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._closed = True
            if self._pg is not None:
                self._pg.close()
            else:
                self._db.close()

    def __enter__(self) -> KeyStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
