"""API key store: hashed secrets, roles, revocation (SQLite, and PostgreSQL when reachable)."""

from __future__ import annotations

import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.keys import ROLES, KeyStore, parse_roles
from rag.errors import InputError, NotFoundError
from tests.test_audit import pg_url


@pytest.fixture(params=["sqlite", "postgresql"])
def keys(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KeyStore]:
    if request.param == "sqlite":
        store = KeyStore(tmp_path / "keys.sqlite3")
        yield store
        store.close()
        return
    import psycopg

    url = pg_url()
    table = f"keys_test_{uuid.uuid4().hex[:12]}"
    store = KeyStore(url, table=table)
    yield store
    store.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {table}")


def test_create_authenticate_list_revoke(keys: KeyStore) -> None:
    info, plaintext = keys.create("triage-ui", ["consult"])
    assert plaintext.startswith(f"crk_{info.key_id}_") and len(plaintext) > 40
    assert info.roles == ("consult",) and info.active and info.revoked_at is None
    assert keys.authenticate(plaintext) == info
    assert info.allows("consult") and not info.allows("ingest") and not info.allows("admin")

    admin, admin_key = keys.create("ops", "admin")
    assert all(admin.allows(r) for r in ROLES)

    listed = keys.list()
    assert {k.key_id for k in listed} == {info.key_id, admin.key_id}
    assert all(not hasattr(k, "secret") for k in listed)

    revoked = keys.revoke("triage-ui")  # by name
    assert revoked.key_id == info.key_id and revoked.revoked_at is not None and not revoked.allows("consult")
    assert keys.authenticate(plaintext) is None
    assert keys.authenticate(admin_key) == admin
    assert keys.revoke(info.key_id).revoked_at == revoked.revoked_at  # by id, idempotent
    assert [k.key_id for k in keys.list(include_revoked=False)] == [admin.key_id]
    with pytest.raises(NotFoundError, match="nobody"):
        keys.revoke("nobody")


def test_wrong_or_malformed_keys_fail(keys: KeyStore) -> None:
    info, plaintext = keys.create("a", ["consult", "ingest"])
    prefix, key_id, secret = plaintext.split("_", 2)
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    for bad in [
        f"crk_{key_id}_{flipped}",
        f"crk_{key_id}_",
        f"crk_000000000000_{secret}",
        f"xyz_{key_id}_{secret}",
        plaintext[:-1],
        "",
        "crk",
        "x" * 10_000,
        None,
    ]:
        assert keys.authenticate(bad) is None, bad  # type: ignore[arg-type]
    assert keys.authenticate(f"  {plaintext}\n") == info  # pasted with whitespace


def test_names_unique_among_active_keys(keys: KeyStore) -> None:
    first, _ = keys.create("ci", ["ingest"])
    with pytest.raises(InputError, match="already|exists"):
        keys.create("ci", ["ingest"])
    keys.revoke("ci")
    second, plaintext = keys.create("ci", ["ingest"])
    assert second.key_id != first.key_id and keys.authenticate(plaintext) == second


def test_roles_validated(keys: KeyStore) -> None:
    with pytest.raises(InputError, match="valid roles: consult, ingest, audit, admin") as err:
        keys.create("x", ["consult", "superuser"])
    assert "superuser" in str(err.value)
    with pytest.raises(InputError, match="at least one role"):
        keys.create("x", [])
    with pytest.raises(InputError, match="name"):
        keys.create("  ", ["consult"])
    assert keys.list() == []
    assert parse_roles(" Audit, consult ") == ("consult", "audit")


def test_secret_never_stored_in_plaintext(tmp_path: Path) -> None:
    path = tmp_path / "keys.sqlite3"
    store = KeyStore(f"sqlite:///{path}")
    secrets_made = [store.create(f"k{i}", ["consult"])[1] for i in range(3)]
    store.close()
    blobs = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("keys.sqlite3"))
    assert blobs
    for plaintext in secrets_made:
        secret = plaintext.split("_", 2)[2]
        assert secret.encode() not in blobs
        assert plaintext.encode() not in blobs
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reopened = KeyStore(path)
    try:
        assert all(reopened.authenticate(p) is not None for p in secrets_made)
    finally:
        reopened.close()
