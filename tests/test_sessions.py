"""Sessions per caller: owners isolate turns, expired turns are deleted; isolation checked over real HTTP."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rag.audit.sessions import SessionMemory


def test_same_session_id_from_another_owner_is_a_new_session(tmp_path: Path) -> None:
    mem = SessionMemory(tmp_path / "s.sqlite3")
    mem.add("shared", "fever since yesterday", owner="alice#k1")
    mem.add("shared", "now a rash", owner="alice#k1")
    assert mem.earlier("shared", owner="alice#k1") == ["fever since yesterday", "now a rash"]
    assert mem.earlier("shared", owner="bob#k2") == []
    mem.add("shared", "headache", owner="bob#k2")
    assert mem.earlier("shared", owner="bob#k2") == ["headache"]
    assert mem.earlier("shared", owner="alice#k1") == ["fever since yesterday", "now a rash"]
    mem.close()


def test_expired_turns_are_deleted_not_just_hidden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.sqlite3"
    mem = SessionMemory(path, ttl_s=60)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now - 120)
    mem.add("s1", "old turn", owner="a")
    monkeypatch.setattr(time, "time", lambda: now)
    assert mem.earlier("s1", owner="a") == []  # expired: not given to triage
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 1
    mem.add("s2", "new turn", owner="b")  # any write deletes what expired
    with sqlite3.connect(path) as raw:
        assert [r[0] for r in raw.execute("SELECT text FROM turns")] == ["new turn"]
    monkeypatch.setattr(time, "time", lambda: now + 61)
    assert mem.purge() == 1
    mem.close()


def test_old_table_without_owners_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE turns (session TEXT, at REAL, text TEXT)")
        raw.execute("INSERT INTO turns VALUES ('s', ?, 'ownerless turn')", (time.time(),))
    mem = SessionMemory(path)
    assert mem.earlier("s", owner="anyone") == []
    mem.close()


def test_ttl_setting_reaches_the_memory(tmp_path: Path) -> None:
    from rag.backends import Backends
    from rag.settings import Settings

    b = Backends(Settings(data_dir=tmp_path, session_ttl_s=90, session_max_turns=2))
    assert (b.sessions.ttl_s, b.sessions.max_turns) == (90, 2)
    b.close()


# --- over HTTP, two API keys ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_keys(tmp_path_factory, minilm) -> Iterator[tuple[str, str, str, Path]]:
    from api.app import create_app
    from api.keys import KeyStore
    from ingest.run import ingest_paths
    from rag.backends import Backends
    from rag.settings import Settings
    from tests.helpers import live_server
    from tests.test_api import FEVER_EN

    root = tmp_path_factory.mktemp("sessions")
    docs = root / "docs"
    docs.mkdir()
    (docs / "fever-test.md").write_text(FEVER_EN, encoding="utf-8")
    settings = Settings(data_dir=root / "data", rate_limit_per_min=0)
    backends = Backends(settings, _embedder=minilm)
    assert ingest_paths([docs], settings, minilm, backends.store).ok
    keys = KeyStore(settings.data_dir / "keys.sqlite3")
    alice, bob = keys.create("alice", ["consult"])[1], keys.create("bob", ["consult", "audit"])[1]
    keys.close()
    with live_server(create_app(settings, backends)) as url:
        yield url, alice, bob, settings.data_dir
    backends.close()


@pytest.mark.slow
def test_session_isolation_across_two_keys_over_http(two_keys: tuple[str, str, str, Path]) -> None:
    url, alice, bob, _ = two_keys

    def ask(key: str, symptoms: str) -> dict:
        r = httpx.post(f"{url}/v1/consultations", json={"symptoms": symptoms, "session_id": "family-1", "age": 4},
                       headers={"Authorization": f"Bearer {key}"}, timeout=120)
        assert r.status_code == 200, r.text
        return r.json()

    first = ask(alice, "my 4 year old has had a high temperature since yesterday")
    assert first["urgency"] != "emergency"
    # bob reuses alice's session id: he must not inherit her fever turn
    rash = "now there is a rash that does not fade when pressed with a glass"
    bob_turn = ask(bob, rash)
    alice_turn = ask(alice, rash)
    assert alice_turn["urgency"] == "emergency"  # fever (alice's earlier turn) + non-blanching rash
    audit = httpx.get(f"{url}/v1/consultations/{bob_turn['trace_id']}", headers={"Authorization": f"Bearer {bob}"}, timeout=60)
    assert audit.status_code == 200, audit.text
    context = audit.json()["payload"]["request"]["context"]
    assert "earlier turns" not in context, context  # nothing of alice's reached bob's consultation
    mine = httpx.get(f"{url}/v1/consultations/{alice_turn['trace_id']}", headers={"Authorization": f"Bearer {bob}"}, timeout=60)
    assert "temperature" in mine.json()["payload"]["request"]["context"]["earlier turns"]
