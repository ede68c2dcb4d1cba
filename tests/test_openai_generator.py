"""OpenAIGenerator against a real HTTP server on 127.0.0.1 speaking /v1/chat/completions."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from rag.answer.generators.base import GenerationRequest
from rag.answer.generators.openai import OpenAIGenerator
from rag.answer.prompt import render_prompt
from rag.answer.schema import DraftAdvice
from rag.errors import BackendTimeoutError, BackendUnavailableError
from rag.types import Passage

VALID = {
    "possible_conditions": [
        {"name": "Viral upper respiratory infection", "rationale": "Cough and fever for 4 days.", "confidence": "medium", "citations": [1]}
    ],
    "self_care": [{"advice": "Rest and drink fluids.", "confidence": "high", "citations": [1]}],
    "seek_care": {"needed": False, "urgency": "routine", "department": "general practice", "reason": "Mild symptoms.", "citations": [1]},
    "suggested_tests": [],
}


@dataclass
class Reply:
    status: int = 200
    content: str | None = None  # message content; None with status 200 means "VALID"
    sleep_s: float = 0.0
    raw_body: bytes | None = None


@dataclass
class FakeServer:
    """Replies are consumed in order; when the script runs out, the last one repeats."""

    url: str
    script: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    def next_reply(self) -> Reply:
        return self.script.pop(0) if len(self.script) > 1 else (self.script[0] if self.script else Reply())


def _completion(content: str) -> bytes:
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": "served-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
    }
    return json.dumps(body).encode()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    state = FakeServer(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep pytest output clean
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", "0"))
            state.requests.append(json.loads(self.rfile.read(length)))
            state.headers.append(dict(self.headers))
            state.paths.append(self.path)
            reply = state.next_reply()
            if reply.sleep_s:
                time.sleep(reply.sleep_s)
            if reply.raw_body is not None:
                payload = reply.raw_body
            elif reply.status == 200:
                payload = _completion(reply.content if reply.content is not None else json.dumps(VALID))
            else:
                payload = json.dumps({"error": {"message": f"status {reply.status}"}}).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def request() -> GenerationRequest:
    passages = [
        Passage(chunk_id="c1", doc_id="d1", title="Acute cough", publisher="NICE", version="2019", source="cough.md",
                section="1 Managing cough", page_start=2, page_end=2, text="Most coughs resolve in 3 weeks.", language="en")
    ]
    prompt = render_prompt("cough and fever for 4 days", passages, "en", {"age": "34"})
    return GenerationRequest(query="cough and fever", language="en", passages=passages, messages=prompt.messages)


def generator(url: str, **kw: Any) -> OpenAIGenerator:
    options: dict[str, Any] = dict(model="test-model", base_url=url, api_key="sk-test", timeout_s=5.0, retries=1,
                                   max_tokens=321, temperature=0.0)
    options.update(kw)
    return OpenAIGenerator(**options)


def test_valid_answer_gives_a_draft_and_sends_the_schema(server: FakeServer) -> None:
    server.script = [Reply()]
    with generator(server.url, seed=7) as gen:
        result = gen.generate(request())
    assert isinstance(result.draft, DraftAdvice)
    assert result.draft.possible_conditions[0].citations == [1]
    assert result.error is None and result.attempts == 1
    assert result.backend == "openai" and result.model == "test-model"
    assert result.params["temperature"] == 0.0 and result.params["max_tokens"] == 321
    assert result.params["host"] == server.url.split("//")[1].split("/")[0]
    assert result.params["seed"] == 7
    assert "sk-test" not in json.dumps(result.params)

    assert server.paths == ["/v1/chat/completions"]
    body = server.requests[0]
    assert body["model"] == "test-model" and body["max_tokens"] == 321 and body["seed"] == 7
    assert body["messages"] == request().messages
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "advice" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert set(schema["properties"]) == set(DraftAdvice.model_fields)
    # citations are limited to the one passage shown
    assert schema["properties"]["seek_care"]["properties"]["citations"]["items"]["maximum"] == 1
    assert server.headers[0].get("Authorization") == "Bearer sk-test"


def test_fenced_json_with_leading_text_is_accepted(server: FakeServer) -> None:
    server.script = [Reply(content="Here is the answer:\n```json\n" + json.dumps(VALID) + "\n```")]
    result = generator(server.url).generate(request())
    assert result.draft is not None and result.attempts == 1


def test_broken_then_repaired(server: FakeServer) -> None:
    server.script = [Reply(content='{"possible_conditions": [{"name": "flu"'), Reply()]
    result = generator(server.url).generate(request())
    assert isinstance(result.draft, DraftAdvice)
    assert result.attempts == 2 and result.error is None
    assert "not valid JSON" in result.params["first_attempt_error"]
    assert len(server.requests) == 2
    repair = server.requests[1]["messages"]
    assert repair[: len(request().messages)] == request().messages
    assert repair[-2]["role"] == "assistant" and repair[-2]["content"].startswith('{"possible_conditions"')
    assert repair[-1]["role"] == "user" and "not valid JSON" in repair[-1]["content"]
    assert server.requests[1]["response_format"]["type"] == "json_schema"


def test_schema_invalid_then_still_invalid_gives_no_draft(server: FakeServer) -> None:
    bad = dict(VALID, seek_care={"needed": "maybe", "urgency": "whenever"})
    server.script = [Reply(content=json.dumps(bad)), Reply(content="I cannot answer that.")]
    result = generator(server.url).generate(request())
    assert result.draft is None
    assert result.attempts == 2
    assert result.error and "after one repair" in result.error and "no JSON object" in result.error
    assert "seek_care" in result.error  # the first problem is reported too
    assert result.raw_output == "I cannot answer that."
    assert len(server.requests) == 2


def test_server_slower_than_timeout_raises_timeout(server: FakeServer) -> None:
    server.script = [Reply(sleep_s=3.0)]
    gen = generator(server.url, timeout_s=0.5, retries=0)
    with pytest.raises(BackendTimeoutError, match="did not answer within 0.5s"):
        gen.generate(request())
    assert len(server.requests) == 1  # a read timeout is not retried


def test_connection_refused_raises_unavailable() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gen = generator(f"http://127.0.0.1:{port}/v1", retries=2)
    with pytest.raises(BackendUnavailableError, match="cannot reach") as info:
        gen.generate(request())
    assert not isinstance(info.value, BackendTimeoutError)
    assert "3 attempts" in str(info.value)


def test_500_then_200_is_retried(server: FakeServer) -> None:
    server.script = [Reply(status=500), Reply()]
    result = generator(server.url, retries=1).generate(request())
    assert result.draft is not None and result.attempts == 1
    assert result.params["http_attempts"] == 2
    assert len(server.requests) == 2


def test_persistent_503_raises_unavailable_after_retries(server: FakeServer) -> None:
    server.script = [Reply(status=503)]
    with pytest.raises(BackendUnavailableError, match="HTTP 503"):
        generator(server.url, retries=2).generate(request())
    assert len(server.requests) == 3


def test_client_error_is_not_retried(server: FakeServer) -> None:
    server.script = [Reply(status=400)]
    with pytest.raises(BackendUnavailableError, match="HTTP 400"):
        generator(server.url, retries=3).generate(request())
    assert len(server.requests) == 1


def test_non_openai_body_raises_unavailable(server: FakeServer) -> None:
    server.script = [Reply(raw_body=b"<html>proxy error</html>")]
    with pytest.raises(BackendUnavailableError, match="not an OpenAI chat completion"):
        generator(server.url).generate(request())
