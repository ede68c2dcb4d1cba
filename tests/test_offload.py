"""Consultations in a child process (api.offload): a real server on loopback, a real `milvus-lite server`, the real
embedder in the child. No timing is asserted: a stopped child (SIGSTOP) stands for one whose CPU is saturated."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.keys import KeyStore
from rag.answer.schema import ConsultRequest
from rag.backends import Backends
from rag.consult import consult
from rag.settings import Settings
from tests.helpers import free_slots, live_server, milvus_lite_server
from tests.test_api import FEVER_EN, FEVER_ZH, THROAT_V1

pytestmark = pytest.mark.slow

FEVER = "I have had a fever and aches for two days"


@dataclass
class Served:
    url: str
    settings: Settings
    app: FastAPI
    consult_key: str
    audit_key: str

    def h(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    @property
    def state(self):  # noqa: ANN201 - api.state.AppState
        return self.app.state.clinrag  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, minilm) -> Iterator[Served]:
    from ingest.run import ingest_paths

    root = tmp_path_factory.mktemp("offload")
    docs = root / "docs"
    docs.mkdir()
    for name, text in (("fever-test.md", FEVER_EN), ("sore-throat-test.md", THROAT_V1), ("fever-zh-test.md", FEVER_ZH)):
        (docs / name).write_text(text, encoding="utf-8")
    lite = root / "lite"
    lite.mkdir()
    with milvus_lite_server(lite) as uri:
        settings = Settings(data_dir=root / "data", milvus_uri=uri, max_concurrency=2, rate_limit_per_min=0, consult_processes=1)
        loader = Backends(settings, _embedder=minilm)
        report = ingest_paths([docs], settings, minilm, loader.store)
        assert report.ok, report.summary()
        loader.close()
        keys = KeyStore(settings.data_dir / "keys.sqlite3")
        consult_key, audit_key = (keys.create(f"test-{role}", [role])[1] for role in ("consult", "audit"))
        keys.close()
        app = create_app(settings)  # its own backends: the consultations go to a child process
        with live_server(app) as url:
            yield Served(url, settings, app, consult_key, audit_key)


def _child(served: Served):  # noqa: ANN202 - api.offload.ConsultProcess
    offload = served.state.offload
    assert offload is not None, "the app runs its consultations in its own threads"
    (proc,) = offload.processes
    return proc


def test_consultation_runs_in_the_child_is_recorded_and_answers_as_in_process(served: Served, minilm) -> None:
    child = _child(served)
    assert child.alive and child.pid != os.getpid()
    with httpx.Client(base_url=served.url, timeout=120) as c:
        assert c.get("/readyz").json()["checks"]["embedder"] == "ok"
        r = c.post("/v1/consultations", json={"symptoms": FEVER, "age": 40}, headers=served.h(served.consult_key))
        assert r.status_code == 200, r.text
        body = r.json()
        assert r.headers["x-trace-id"] == body["trace_id"] and body["status"] == "ok" and body["evidence_sufficient"]
        # the record the child committed before it answered
        rec = c.get(f"/v1/consultations/{body['trace_id']}", headers=served.h(served.audit_key))
        assert rec.status_code == 200, rec.text
        assert rec.json()["payload"]["answer"]["trace_id"] == body["trace_id"]
    # the serving process never loaded a model for it
    assert not served.state.backends.embedder_loaded
    # the same answer as the pipeline run in this process on the same knowledge base (trace id apart)
    here = Backends(served.settings, _embedder=minilm)
    try:
        local = consult(ConsultRequest(symptoms=FEVER, age=40), here, caller="test").advice.model_dump(mode="json")
    finally:
        here.close()
    local.pop("trace_id")
    body.pop("trace_id")
    assert body == local


def test_full_service_answers_503_while_the_child_cannot_run(served: Served) -> None:
    child = _child(served)
    state = served.state
    limit = served.settings.max_concurrency
    answers: list[httpx.Response] = []
    os.kill(child.pid, signal.SIGSTOP)  # as if its CPU were taken: it reads and answers nothing now
    try:

        def one() -> None:
            with httpx.Client(base_url=served.url, timeout=120) as c:
                answers.append(c.post("/v1/consultations", json={"symptoms": FEVER}, headers=served.h(served.consult_key)))

        admitted = [threading.Thread(target=one) for _ in range(limit)]
        for t in admitted:
            t.start()
        while child.pending < limit:  # both admitted and sent to the stopped child
            threading.Event().wait(0.02)
        with httpx.Client(base_url=served.url, timeout=120) as c:
            for _ in range(5):
                r = c.post("/v1/consultations", json={"symptoms": FEVER}, headers=served.h(served.consult_key))
                assert r.status_code == 503, r.text
                assert r.headers["retry-after"] == "1"
                assert r.json() == {
                    "error": {
                        "code": "overloaded",
                        "message": f"the service is at its limit of {limit} concurrent consultations; retry shortly",
                    }
                }
            assert c.get("/healthz").status_code == 200
        assert child.pending == limit and not answers  # refused while the admitted ones still waited for the child
    finally:
        os.kill(child.pid, signal.SIGCONT)
    for t in admitted:
        t.join()
    assert sorted(r.status_code for r in answers) == [200] * limit
    assert child.pending == 0
    assert free_slots(state.slots, limit) == limit  # every slot given back when the child answered


def test_a_lost_child_answers_its_consultation_with_the_triage_result_and_the_server_goes_on(served: Served) -> None:
    # last in this module: the child is gone afterwards
    child = _child(served)
    answers: list[httpx.Response] = []
    os.kill(child.pid, signal.SIGSTOP)

    def one() -> None:
        with httpx.Client(base_url=served.url, timeout=120) as c:
            answers.append(c.post("/v1/consultations", json={"symptoms": FEVER}, headers=served.h(served.consult_key)))

    t = threading.Thread(target=one)
    t.start()
    while child.pending < 1:
        threading.Event().wait(0.02)
    os.kill(child.pid, signal.SIGKILL)
    t.join()
    (r,) = answers
    assert r.status_code == 200, r.text
    assert r.headers["x-clinrag-status"] == "degraded" and r.json()["status"] == "degraded"
    assert r.json()["urgency"]  # the triage result still reaches the patient
    with httpx.Client(base_url=served.url, timeout=120) as c:
        rec = c.get(f"/v1/consultations/{r.json()['trace_id']}", headers=served.h(served.audit_key))
        assert rec.status_code == 200 and rec.json()["status"] == "degraded"
        assert rec.json()["payload"]["failure"]["error_type"] == "ConsultProcessLost"
        # no child left: the serving process runs the next consultation in its own threads
        assert not child.alive
        again = c.post("/v1/consultations", json={"symptoms": FEVER}, headers=served.h(served.consult_key))
        assert again.status_code == 200 and again.json()["status"] == "ok", again.text
    assert served.state.backends.embedder_loaded


def test_offload_only_where_two_processes_can_share_the_backends(tmp_path: Path) -> None:
    from api.offload import offload_wanted

    def wanted(owns: bool = True, **kw: object) -> bool:
        return offload_wanted(Settings(data_dir=tmp_path, **kw), owns)  # type: ignore[arg-type]

    assert wanted(milvus_uri="http://milvus:19530")
    assert not wanted(milvus_uri="http://milvus:19530", consult_processes=0)
    assert not wanted(milvus_uri="http://milvus:19530", workers=2)  # each worker is a process already
    assert not wanted(False, milvus_uri="http://milvus:19530")  # a test's backends live in its own process
    assert not wanted(milvus_uri=str(tmp_path / "milvus.db"))  # a Lite file: one process opens it
    assert not wanted()  # embedded Lite, no server advertised for the folder


def test_consult_processes_default_is_one_per_usable_core_at_most_two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.consult_processes == -1
    for cores, expected in ((1, 1), (2, 2), (16, 2)):
        monkeypatch.setattr(os, "sched_getaffinity", lambda _pid, n=cores: set(range(n)))
        assert settings.consult_process_count() == expected
    # an explicit number is taken as it is, 0 included (consultations in the serving process)
    assert Settings(data_dir=tmp_path, consult_processes=3).consult_process_count() == 3
    assert Settings(data_dir=tmp_path, consult_processes=0).consult_process_count() == 0
