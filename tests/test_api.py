"""The HTTP API through real HTTP: uvicorn on loopback, Milvus Lite, SQLite audit, the real MiniLM embedder."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.keys import KeyStore
from rag.audit.trail import SqliteAuditStore
from rag.backends import Backends
from rag.settings import Settings
from tests.helpers import free_slots, live_server

pytestmark = pytest.mark.slow

FEVER_EN = """---
id: fever-test
title: Fever in adults (test)
publisher: Test Health Service
version: "1.0"
language: en
---

# Fever in adults

## Self-care at home

Rest and drink plenty of fluids so your urine stays pale. Paracetamol or ibuprofen can ease aches and
make you feel more comfortable; follow the dose on the label. Wear light clothing and keep the room cool.

## When to see a doctor

See a doctor if a fever lasts more than 3 days, keeps coming back, or you are getting worse instead of better.
A fever with a stiff neck, a rash that does not fade under a glass, confusion or difficulty breathing needs
emergency care.
"""

THROAT_V1 = """---
id: sore-throat-test
title: Sore throat (test)
publisher: Test Health Service
version: "1.0"
language: en
---

# Sore throat

## Self-care

Most sore throats are caused by viruses and get better on their own within a week. Gargling with warm salty
water, drinking plenty of fluids and sucking ice lollies can soothe the throat. Paracetamol or ibuprofen
relieve the pain.

## When to see a doctor

See a doctor if the sore throat lasts longer than one week, if you have a high temperature with white spots
on the tonsils, or if you have a weakened immune system.
"""

THROAT_V2 = THROAT_V1.replace('version: "1.0"', 'version: "2.0"').replace(
    "within a week", "within 7 to 10 days").replace("longer than one week", "longer than 10 days")

FEVER_ZH = """---
id: fever-zh-test
title: 成人发热（测试）
publisher: 测试卫生服务
version: "1.0"
language: zh
---

# 成人发热

## 居家护理

注意休息，多喝水，保持小便颜色清淡。对乙酰氨基酚或布洛芬可以缓解发热引起的全身酸痛，请按说明书用量服用。
穿着宽松轻薄的衣服，保持室内凉爽通风。

## 何时就医

发热超过3天、反复发热或症状加重时，请到医院发热门诊或全科就诊。发热伴颈部僵硬、皮疹按压不褪色、
意识模糊或呼吸困难时，请立即拨打120。
"""

MARKER = "zebrafinch"  # a word that must never show up in logs or metrics


@dataclass
class Api:
    url: str
    settings: Settings
    admin: str
    consult: str
    audit: str
    ingest: str
    limited: str
    docs: Path
    app: object = None  # the FastAPI app served (its state holds the admission slots)

    def h(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def audit_store(self) -> SqliteAuditStore:
        return SqliteAuditStore(self.settings.data_dir / "audit.sqlite3")


@pytest.fixture(scope="module")
def api(tmp_path_factory, minilm) -> Iterator[Api]:
    from ingest.run import ingest_paths

    root = tmp_path_factory.mktemp("api")
    docs = root / "docs"
    docs.mkdir()
    (docs / "fever-test.md").write_text(FEVER_EN, encoding="utf-8")
    (docs / "sore-throat-test.md").write_text(THROAT_V1, encoding="utf-8")
    (docs / "fever-zh-test.md").write_text(FEVER_ZH, encoding="utf-8")
    settings = Settings(data_dir=root / "data", max_body_kb=16, rate_limit_per_min=40, max_concurrency=2,
                        max_upload_mb=1.0)
    backends = Backends(settings, _embedder=minilm)
    report = ingest_paths([docs], settings, minilm, backends.store)
    assert report.ok, report.summary()
    keys = KeyStore(settings.data_dir / "keys.sqlite3")
    made = {role: keys.create(f"test-{role}", [role])[1] for role in ("admin", "consult", "audit", "ingest")}
    limited = keys.create("test-limited", ["consult"])[1]
    keys.close()
    app = create_app(settings, backends)
    with live_server(app) as url:
        yield Api(url, settings, made["admin"], made["consult"], made["audit"], made["ingest"], limited, docs, app)
    backends.close()


@pytest.fixture
def client(api: Api) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api.url, timeout=60) as c:
        yield c


def _consult(client: httpx.Client, api: Api, symptoms: str, **extra: object) -> httpx.Response:
    return client.post("/v1/consultations", json={"symptoms": symptoms, **extra}, headers=api.h(api.consult))


def test_consultation_english_cites_guideline(api: Api, client: httpx.Client) -> None:
    r = _consult(client, api, f"I have had a fever and aches for two days ({MARKER})", age=40)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["language"] == "en"
    assert body["evidence_sufficient"] is True
    assert r.headers["x-trace-id"] == body["trace_id"]
    assert body["citations"] and any(c["doc_id"] == "fever-test" for c in body["citations"])
    items = body["possible_conditions"] + body["self_care"]
    assert items and all(i["citations"] for i in items)


def test_consultation_chinese(api: Api, client: httpx.Client) -> None:
    r = _consult(client, api, "我发烧两天了，全身酸痛")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["language"] == "zh"
    assert body["evidence_sufficient"] is True
    assert any(c["doc_id"] == "fever-zh-test" for c in body["citations"])


def test_red_flag_escalates(api: Api, client: httpx.Client) -> None:
    r = _consult(client, api, "fever with a stiff neck and I am confused and cannot breathe properly")
    assert r.status_code == 200
    assert r.json()["urgency"] == "emergency"


def test_trace_needs_audit_role_and_denials_are_audited(api: Api, client: httpx.Client) -> None:
    trace = _consult(client, api, "fever since yesterday").json()["trace_id"]
    ok = client.get(f"/v1/consultations/{trace}", headers=api.h(api.audit))
    assert ok.status_code == 200
    rec = ok.json()
    assert rec["trace_id"] == trace and rec["kind"] == "consultation" and rec["payload"]["answer"]["trace_id"] == trace
    assert client.get(f"/v1/consultations/{trace}", headers={"X-API-Key": api.admin}).status_code == 200

    denied = client.get(f"/v1/consultations/{trace}", headers=api.h(api.consult))
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "forbidden"
    assert client.get(f"/v1/consultations/{trace}").status_code == 401
    bad = client.get(f"/v1/consultations/{trace}", headers={"X-API-Key": "crk_0123456789ab_not-the-secret"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
    assert client.get("/v1/consultations/" + "f" * 32, headers=api.h(api.audit)).status_code == 404

    store = api.audit_store()
    denials = [r for r in store.export() if r.kind == "access_denied"]
    store.close()
    reasons = [d.payload["reason"] for d in denials]
    assert "no API key" in reasons and "invalid or revoked API key" in reasons
    assert any("lacks the role" in x for x in reasons)
    assert any(d.payload.get("key_id") == "0123456789ab" for d in denials)
    dump = json.dumps([d.to_dict() for d in denials])
    for secret in ("not-the-secret", api.consult.split("_", 2)[2]):
        assert secret not in dump


def test_missing_key_is_401(api: Api, client: httpx.Client) -> None:
    r = client.post("/v1/consultations", json={"symptoms": "fever"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"


def test_body_too_large_is_413(api: Api, client: httpx.Client) -> None:
    big = {"symptoms": "fever", "history": "x" * 19_000}  # valid for the schema, above max_body_kb=16
    r = client.post("/v1/consultations", json=big, headers=api.h(api.consult))
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the streamed bytes are counted
        yield b'{"symptoms": "fever", "history": "'
        for _ in range(40):
            yield b"y" * 1024
        yield b'"}'

    r = client.post("/v1/consultations", content=chunks(), headers={**api.h(api.consult), "Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"


def test_extra_field_422_and_malformed_json_400(api: Api, client: httpx.Client) -> None:
    r = client.post("/v1/consultations", json={"symptoms": "fever", "diagnosis": "flu"}, headers=api.h(api.consult))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "validation_error" and "diagnosis" in err["message"]
    r = client.post("/v1/consultations", json={"age": 30}, headers=api.h(api.consult))
    assert r.status_code == 422 and "symptoms" in r.json()["error"]["message"]
    r = client.post("/v1/consultations", content=b'{"symptoms": "fev', headers={**api.h(api.consult), "Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "malformed_json"
    assert "Traceback" not in r.text


def test_rate_limit_429(api: Api, client: httpx.Client) -> None:
    statuses = [client.get("/v1/guidelines", headers=api.h(api.limited)).status_code for _ in range(api.settings.rate_limit_per_min + 1)]
    assert statuses[:-1] == [200] * api.settings.rate_limit_per_min
    r = client.get("/v1/guidelines", headers=api.h(api.limited))
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["error"]["code"] == "rate_limited"


def test_overload_answers_503_with_retry_after(api: Api) -> None:
    results: list[httpx.Response] = []
    barrier = threading.Barrier(10)

    def one() -> None:
        with httpx.Client(base_url=api.url, timeout=60) as c:
            barrier.wait()
            results.append(c.post("/v1/consultations", json={"symptoms": "fever and a sore throat for three days"},
                                  headers=api.h(api.admin)))

    threads = [threading.Thread(target=one) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert set(codes) <= {200, 503}, codes
    assert 200 in codes
    for r in results:
        if r.status_code == 503:
            assert r.headers["retry-after"] == "1" and r.json()["error"]["code"] == "overloaded"


def test_full_service_says_503_before_body_and_key_checks(api: Api) -> None:
    state = api.app.state.clinrag  # type: ignore[attr-defined]
    assert free_slots(state.slots, api.settings.max_concurrency) == api.settings.max_concurrency  # an earlier answer's slot back
    taken = 0
    while state.slots.acquire(blocking=False):  # every admission slot held, as by running consultations
        taken += 1
    assert taken == api.settings.max_concurrency
    try:
        before = (state.metrics.registry.get_sample_value("clinrag_rejected_total", {"reason": "overload"}) or 0.0)
        with httpx.Client(base_url=api.url, timeout=60) as c:
            answers = [
                c.post("/v1/consultations", json={"symptoms": "fever for two days"}, headers=api.h(api.consult)),
                c.post("/v1/consultations", json={"symptoms": "fever for two days"}),  # no key: still 503, not 401
                c.post("/v1/consultations/", content=b'{"symptoms": "fev'),  # malformed: 503, not 400
                c.post("/v1/summaries", json={"text": "Patient has a fever."}, headers=api.h(api.consult)),
            ]
            for r in answers:
                assert r.status_code == 503, (r.request.url, r.status_code, r.text)
                assert r.headers["retry-after"] == "1" and r.json()["error"]["code"] == "overloaded"
                assert f"limit of {api.settings.max_concurrency} concurrent" in r.json()["error"]["message"]
            # what the pool does not run is not turned away, and the connection stays usable
            assert c.get("/v1/guidelines", headers=api.h(api.consult)).status_code == 200
            assert c.get("/healthz").status_code == 200
        assert (state.metrics.registry.get_sample_value("clinrag_rejected_total", {"reason": "overload"}) or 0.0) == before + 4
    finally:
        for _ in range(taken):
            state.slots.release()
    with httpx.Client(base_url=api.url, timeout=60) as c:  # free again: the checks after admission apply as before
        assert c.post("/v1/consultations", json={"symptoms": "fever for two days"}).status_code == 401
        assert c.post("/v1/consultations", json={"symptoms": "fever for two days"}, headers=api.h(api.consult)).status_code == 200


def test_refusal_while_the_pool_spins_and_failed_checks_give_their_slot_back(api: Api) -> None:
    state = api.app.state.clinrag  # type: ignore[attr-defined]
    limit = api.settings.max_concurrency
    # an admitted request that fails a later check (no key, a malformed body) gives back the slot the middleware
    # took for it on arrival: afterwards every slot is free again
    with httpx.Client(base_url=api.url, timeout=60) as c:
        for _ in range(limit + 2):
            assert c.post("/v1/consultations", json={"symptoms": "fever for two days"}).status_code == 401
            assert c.post("/v1/consultations", content=b'{"symptoms": "fev').status_code in {400, 401, 422}
            assert c.post("/v1/summaries", json={"text": "x"}).status_code == 401
    assert free_slots(state.slots, limit) == limit

    # the pool saturated with Python work (as by running consultations, which hold the slots) and every slot held:
    # a consultation is still refused, on the event loop, while the spinning tasks go on
    stop = threading.Event()
    spinning = threading.Event()

    def spin() -> int:
        spinning.set()
        n = 0
        while not stop.is_set():
            n += 1
        return n

    held = 0
    while state.slots.acquire(blocking=False):
        held += 1
    spinners = [state.consult_pool.submit(spin) for _ in range(limit)]
    try:
        assert spinning.wait(60)
        with httpx.Client(base_url=api.url, timeout=60) as c:
            for _ in range(5):
                r = c.post("/v1/consultations", json={"symptoms": "fever for two days"}, headers=api.h(api.consult))
                assert r.status_code == 503 and r.json()["error"]["code"] == "overloaded"
        assert not any(f.done() for f in spinners)  # answered while the pool was still busy
    finally:
        stop.set()
        for f in spinners:
            f.result(60)
        for _ in range(held):
            state.slots.release()
    with httpx.Client(base_url=api.url, timeout=60) as c:
        assert c.post("/v1/consultations", json={"symptoms": "fever for two days"}, headers=api.h(api.consult)).status_code == 200


def _wait_job(client: httpx.Client, api: Api, job_id: str, timeout_s: float = 120) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}", headers=api.h(api.ingest)).json()
        if job["status"] in {"succeeded", "failed"}:
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish")


def _cited_chunk(client: httpx.Client, api: Api, symptoms: str, doc_id: str) -> str:
    body = _consult(client, api, symptoms).json()
    return next(c["chunk_id"] for c in body["citations"] if c["doc_id"] == doc_id)


def test_passages_upload_supersede_and_retire(api: Api, client: httpx.Client) -> None:
    question = "sore throat for a few days, painful to swallow"
    old_chunk = _cited_chunk(client, api, question, "sore-throat-test")
    p = client.get(f"/v1/passages/{old_chunk}", headers=api.h(api.consult))
    assert p.status_code == 200
    passage = p.json()
    assert passage["active"] is True and passage["version"] == "1.0" and passage["doc_id"] == "sore-throat-test"
    assert passage["title"] == "Sore throat (test)" and passage["pages"] == "1" and passage["section"]

    # the content team uploads version 2.0 (consult keys may not)
    files = {"file": ("sore-throat-test.md", THROAT_V2.encode(), "text/markdown")}
    assert client.post("/v1/guidelines", files=files, headers=api.h(api.consult)).status_code == 403
    up = client.post("/v1/guidelines", files=files, data={"publisher": "Test Health Service"}, headers=api.h(api.ingest))
    assert up.status_code == 202, up.text
    assert up.headers["location"] == f"/v1/jobs/{up.json()['job_id']}"
    job = _wait_job(client, api, up.json()["job_id"])
    assert job["status"] == "succeeded", job
    assert job["report"]["files"][0]["replaced_version"] == "1.0"
    progress = job["progress"]  # the last progress event the job recorded
    assert (progress["files_done"], progress["files_total"], progress["ingested"]) == (1, 1, 1)
    assert progress["chunks"] == job["report"]["chunks"] > 0 and progress["eta_s"] is None

    old = client.get(f"/v1/passages/{old_chunk}", headers=api.h(api.audit)).json()
    assert old["active"] is False and old["version"] == "1.0"  # superseded, still readable for audits
    new_chunk = _cited_chunk(client, api, question, "sore-throat-test")
    new = client.get(f"/v1/passages/{new_chunk}", headers=api.h(api.consult)).json()
    assert new["active"] is True and new["version"] == "2.0"
    listing = client.get("/v1/guidelines", headers=api.h(api.consult)).json()
    status = {(g["doc_id"], g["version"]): g["status"] for g in listing["guidelines"]}
    assert status[("sore-throat-test", "1.0")] == "superseded" and status[("sore-throat-test", "2.0")] == "active"

    # retire: queries stop citing it, its passages stay readable
    assert client.delete("/v1/guidelines/sore-throat-test", headers=api.h(api.consult)).status_code == 403
    r = client.delete("/v1/guidelines/sore-throat-test", headers=api.h(api.ingest))
    assert r.status_code == 200 and r.json()["status"] == "retired"
    assert client.delete("/v1/guidelines/sore-throat-test", headers=api.h(api.ingest)).status_code == 404
    body = _consult(client, api, question).json()
    assert all(c["doc_id"] != "sore-throat-test" for c in body["citations"])
    assert client.get(f"/v1/passages/{new_chunk}", headers=api.h(api.audit)).json()["active"] is False
    assert client.get("/v1/passages/" + "0" * 32, headers=api.h(api.audit)).status_code == 404


def test_upload_rejects_wrong_type_and_size(api: Api, client: httpx.Client) -> None:
    r = client.post("/v1/guidelines", files={"file": ("notes.exe", b"MZ", "application/octet-stream")}, headers=api.h(api.ingest))
    assert r.status_code == 415
    big = b"# Big\n\n" + b"word " * 300_000  # 1.5 MB > max_upload_mb=1
    r = client.post("/v1/guidelines", files={"file": ("big.md", big, "text/markdown")}, headers=api.h(api.ingest))
    assert r.status_code == 413
    r = client.post("/v1/guidelines", files={"file": ("bad.md", b"\x00\x01", "text/markdown")}, headers=api.h(api.ingest))
    assert r.status_code == 202
    job = _wait_job(client, api, r.json()["job_id"])
    assert job["status"] == "failed" and job["error"]
    assert client.get("/v1/jobs/" + "a" * 32, headers=api.h(api.ingest)).status_code == 404


def test_health_ready_metrics(api: Api, client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "checks": {"embedder": "ok", "store": "ok", "audit": "ok"}}
    _consult(client, api, f"fever again, {MARKER} tea did not help")
    m = client.get("/metrics")
    assert m.status_code == 200
    text = m.text
    assert 'clinrag_http_requests_total{method="POST",route="/v1/consultations",status="200"}' in text
    assert 'route="/v1/consultations/{trace_id}"' in text  # templates, never raw ids
    assert "clinrag_consult_stage_seconds_bucket" in text and 'stage="retrieve"' in text
    assert "clinrag_abstentions_total" in text and "clinrag_red_flag_escalations_total" in text
    assert MARKER not in text and "fever" not in text.lower()


def test_every_successful_consultation_has_an_audit_record(api: Api, client: httpx.Client) -> None:
    traces = []
    for symptoms in ("fever for three days", "发烧三天", "sore throat", "a completely unrelated question about car tyres"):
        r = _consult(client, api, symptoms)
        assert r.status_code == 200
        traces.append(r.json()["trace_id"])
    store = api.audit_store()
    try:
        for t in traces:
            rec = store.get(t)
            assert rec.kind == "consultation" and rec.status in {"ok", "abstained"}
        assert store.verify().ok
    finally:
        store.close()


def test_unknown_route_and_method_use_the_error_shape(api: Api, client: httpx.Client) -> None:
    r = client.get("/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.put("/v1/consultations", json={}, headers=api.h(api.consult))
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


def test_search_passages_and_documents(api: Api, client: httpx.Client) -> None:
    h = api.h(api.consult)
    r = client.post("/v1/search", json={"query": "fever for two days with aches", "k": 3}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["documents"] is False and body["sufficient"] and 1 <= len(body["passages"]) <= 3
    assert body["passages"][0]["doc_id"] == "fever-test" and body["passages"][0]["content_hash"]
    r = client.get("/v1/search", params={"q": "fever for two days with aches", "k": 2, "documents": "true"}, headers=h)
    assert r.status_code == 200, r.text
    docs = r.json()["results"]
    assert docs[0]["doc_id"] == "fever-test" and len(docs) <= 2
    assert docs[0]["passages"] and all(p["doc_id"] == "fever-test" for p in docs[0]["passages"])
    assert client.post("/v1/search", json={"query": ""}, headers=h).status_code == 422
    assert client.get("/v1/search", params={"q": "fever"}).status_code == 401
