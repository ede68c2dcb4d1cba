"""Faults through real HTTP: model server down or hanging, the API process killed mid-request, and a
second `clinrag ingest` while `clinrag serve` holds the Milvus Lite data."""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.keys import KeyStore
from rag.answer.generators.openai import OpenAIGenerator
from rag.audit.trail import SqliteAuditStore
from rag.backends import Backends
from rag.knowledge.milvus import lite_server_address
from rag.settings import Settings
from tests.helpers import free_port, live_server
from tests.test_api import FEVER_EN, FEVER_ZH, THROAT_V1

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


# --- the model server is down or hangs ----------------------------------------------------------


class _SlowHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        time.sleep(4)  # past CLINRAG_LLM_TIMEOUT_S=1
        try:
            self.send_response(500)
            self.end_headers()
        except OSError:
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def kb(tmp_path_factory, minilm) -> Iterator[tuple[Settings, Backends, str]]:
    from ingest.run import ingest_paths

    root = tmp_path_factory.mktemp("faults")
    docs = root / "docs"
    docs.mkdir()
    (docs / "fever-test.md").write_text(FEVER_EN, encoding="utf-8")
    settings = Settings(data_dir=root / "data", llm_timeout_s=1, llm_retries=0)
    base = Backends(settings, _embedder=minilm)
    assert ingest_paths([docs], settings, minilm, base.store).ok
    keys = KeyStore(settings.data_dir / "keys.sqlite3")
    key = keys.create("frontend", ["consult"])[1]
    keys.close()
    yield settings, base, key
    base.close()


def _llm_app(settings: Settings, base: Backends, base_url: str):  # type: ignore[no-untyped-def]
    gen = OpenAIGenerator("x", base_url=base_url, timeout_s=1, retries=0, connect_timeout_s=1)
    backends = Backends(settings, _embedder=base.embedder, _store=base.store, _audit=base.audit, _generator=gen)
    return create_app(settings.model_copy(update={"generator": "openai:x", "openai_base_url": base_url}), backends)


def _last_consultation(settings: Settings):  # type: ignore[no-untyped-def]
    store = SqliteAuditStore(settings.data_dir / "audit.sqlite3")
    try:
        return [r for r in store.export() if r.kind == "consultation"][-1]
    finally:
        store.close()


@pytest.mark.parametrize("fault", ["closed_port", "hanging_server"])
def test_llm_fault_gives_triage_only_answer_and_degraded_audit_record(kb, fault: str) -> None:
    # changed with the urgency work: a model fault after triage answers 200 with the triage result
    # (status "degraded"), not 503/504, so a patient never gets an error instead of the urgency
    settings, base, key = kb
    slow = None
    if fault == "closed_port":
        base_url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
        error = "BackendUnavailableError"
    else:
        slow = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
        threading.Thread(target=slow.serve_forever, daemon=True).start()
        base_url = f"http://127.0.0.1:{slow.server_address[1]}/v1"
        error = "BackendTimeoutError"
    try:
        with live_server(_llm_app(settings, base, base_url)) as url:
            t0 = time.monotonic()
            r = httpx.post(f"{url}/v1/consultations", json={"symptoms": "fever and aches for two days"},
                           headers={"X-API-Key": key}, timeout=30)
            elapsed = time.monotonic() - t0
    finally:
        if slow is not None:
            slow.shutdown()
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "degraded" and body["evidence_sufficient"] is False
    assert body["urgency"] and body["seek_care"]["reason"] and isinstance(body["red_flags"], list)
    assert "Traceback" not in r.text
    assert elapsed < 10
    rec = _last_consultation(settings)
    assert rec.status == "degraded"
    assert error in rec.payload["error"] and rec.payload["failure"]["step"] == "generate"


class _SlowValidHandler(http.server.BaseHTTPRequestHandler):
    """A model that answers correctly, but only after 3 s."""

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(3)
        draft = {"possible_conditions": [], "self_care": [], "suggested_tests": [],
                 "seek_care": {"needed": True, "urgency": "routine", "department": "Primary care", "reason": "", "citations": []}}
        body = json.dumps({"id": "x", "object": "chat.completion", "model": "x",
                           "choices": [{"index": 0, "message": {"role": "assistant", "content": json.dumps(draft)},
                                        "finish_reason": "stop"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_answer_after_the_deadline_is_audited_as_deadline_exceeded(kb) -> None:
    # changed with the urgency work: past the deadline the client gets the triage-only answer (200,
    # status "degraded") recorded as deadline_exceeded; the late answer is recorded as <trace>-late
    settings, base, key = kb
    slow = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowValidHandler)
    threading.Thread(target=slow.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{slow.server_address[1]}/v1"
    gen = OpenAIGenerator("x", base_url=base_url, timeout_s=10, retries=0)
    backends = Backends(settings, _embedder=base.embedder, _store=base.store, _audit=base.audit, _generator=gen)
    app = create_app(settings.model_copy(update={"request_deadline_s": 1.0, "generator": "openai:x", "openai_base_url": base_url}),
                     backends)
    try:
        with live_server(app) as url:
            r = httpx.post(f"{url}/v1/consultations", json={"symptoms": "fever and aches for two days"},
                           headers={"X-API-Key": key}, timeout=30)
            assert r.status_code == 200 and r.json()["status"] == "degraded", r.text
            trace = r.headers["x-trace-id"]
            assert base.audit.get(trace).status == "deadline_exceeded"
            deadline = time.monotonic() + 30
            rec = None
            while time.monotonic() < deadline:  # the consultation finishes in the background
                try:
                    rec = base.audit.get(f"{trace}-late")
                    break
                except Exception:
                    time.sleep(0.3)
    finally:
        slow.shutdown()
    assert rec is not None and rec.status == "completed_after_deadline"


# --- clinrag serve as a process ------------------------------------------------------------------


def _cli(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clinrag.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def _start_serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "clinrag.cli", "serve", "--port", str(port)], env=env, cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"clinrag serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise AssertionError(f"clinrag serve not ready in time:\n{log.read_text()[-3000:]}")


def test_serve_with_concurrent_ingest_then_killed_mid_request(tmp_path: Path) -> None:
    data, docs = tmp_path / "data", tmp_path / "docs"
    docs.mkdir()
    (docs / "fever-test.md").write_text(FEVER_EN, encoding="utf-8")
    (docs / "fever-zh-test.md").write_text(FEVER_ZH, encoding="utf-8")
    env = {**os.environ, "CLINRAG_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", "CLINRAG_RATE_LIMIT_PER_MIN": "0",
           "CLINRAG_MAX_CONCURRENCY": "4"}
    first = _cli(env, "ingest", str(docs))
    assert first.returncode == 0, first.stderr
    made = _cli(env, "keys", "create", "--name", "frontend", "--role", "consult")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    port = free_port()
    log = tmp_path / "serve.log"
    serve = _start_serve(env, port, log)
    url = f"http://127.0.0.1:{port}"
    try:
        assert lite_server_address(data) is not None  # serve advertises its Milvus Lite server
        # a second process ingests while serve holds the data folder: it goes through serve's server
        throat = tmp_path / "sore-throat-test.md"
        throat.write_text(THROAT_V1, encoding="utf-8")
        second = _cli(env, "ingest", str(throat))
        assert second.returncode == 0, second.stdout + second.stderr
        r = httpx.post(f"{url}/v1/consultations", json={"symptoms": "sore throat, it hurts to swallow"},
                       headers={"X-API-Key": key}, timeout=60)
        assert r.status_code == 200
        assert any(c["doc_id"] == "sore-throat-test" for c in r.json()["citations"])

        # now kill the API process while requests are in flight
        answers: list[tuple[int, str | None]] = []
        stop = threading.Event()

        def client() -> None:
            with httpx.Client(base_url=url, timeout=30) as c:
                while not stop.is_set():
                    try:
                        resp = c.post("/v1/consultations", json={"symptoms": "fever and aches for two days"},
                                      headers={"X-API-Key": key})
                    except httpx.HTTPError:
                        answers.append((0, None))
                        continue
                    trace = resp.json().get("trace_id") if resp.status_code == 200 else None
                    answers.append((resp.status_code, trace))

        threads = [threading.Thread(target=client) for _ in range(6)]
        for t in threads:
            t.start()
        time.sleep(3)
        serve.send_signal(signal.SIGKILL)
        serve.wait(timeout=30)
        time.sleep(1)
        stop.set()
        for t in threads:
            t.join(timeout=60)
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
    ok = [trace for status, trace in answers if status == 200]
    assert ok, answers
    assert any(status == 0 for status, _ in answers)  # some requests were cut off by the kill
    store = SqliteAuditStore(data / "audit.sqlite3")
    try:
        for trace in ok:
            assert store.get(trace).kind == "consultation"  # no 2xx without a committed audit record
        assert store.verify().ok
    finally:
        store.close()

    # the Milvus Lite server died with serve (no orphan holding the lock): serve starts again on the same data
    deadline = time.monotonic() + 30
    while lite_server_address(data) is not None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert lite_server_address(data) is None
    again = _start_serve(env, port, log)
    try:
        r = httpx.post(f"{url}/v1/consultations", json={"symptoms": "fever for two days"}, headers={"X-API-Key": key}, timeout=60)
        assert r.status_code == 200
    finally:
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=60) == 0
    assert not (data / "milvus-server.json").exists()  # a clean stop removes the advertisement


def test_serve_reports_a_locked_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    env = {**os.environ, "CLINRAG_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pymilvus import MilvusClient; "
                               f"MilvusClient({str(data / 'milvus.db')!r}); print('open', flush=True); time.sleep(120)"],
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        r = _cli(env, "serve", "--port", str(free_port()), timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert r.returncode == 2
    assert "locked by another process" in r.stderr
