"""Generator for an OpenAI-compatible chat server (vLLM, TGI, llama.cpp server, OpenAI).

Talks HTTP with httpx directly. The request carries `response_format: json_schema` (strict), which
vLLM turns into guided decoding, so a well-behaved server returns schema-valid JSON. Bad output
gets ONE repair round trip (the bad text and the validation error go back to the model); after
that the result has `draft=None` and an `error`. Transport failures raise:
BackendTimeoutError when the server is too slow, BackendUnavailableError when it cannot be
reached or keeps answering non-2xx after the bounded retries.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from rag.answer.generators.base import GenerationRequest, GenerationResult, model_result
from rag.answer.generators.parse import parse_draft, repair_messages
from rag.answer.prompt import PROMPT_VERSION, json_schema, tighten_schema
from rag.errors import BackendTimeoutError, BackendUnavailableError, ConfigError, GenerationError

if TYPE_CHECKING:
    import httpx

__all__ = ["OpenAIGenerator"]

_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
_MAX_BACKOFF_S = 2.0


class OpenAIGenerator:
    """One OpenAI-compatible endpoint; safe to share between threads (httpx.Client pools)."""

    backend = "openai"

    def __init__(
        self,
        model: str,
        base_url: str,
        api_key: str = "EMPTY",
        timeout_s: float = 60.0,
        retries: int = 1,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        *,
        seed: int | None = None,
        connect_timeout_s: float = 5.0,
        schema: dict[str, Any] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        import httpx

        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigError(f"CLINRAG_OPENAI_BASE_URL={base_url!r}: expected http(s)://host[:port]/v1")
        if timeout_s <= 0:
            raise ConfigError(f"CLINRAG_LLM_TIMEOUT_S={timeout_s!r}: must be positive")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.host = parts.netloc.rsplit("@", 1)[-1]  # never record credentials in a URL
        self.timeout_s = float(timeout_s)
        self.connect_timeout_s = min(float(connect_timeout_s), self.timeout_s)
        self.retries = max(0, int(retries))
        self.max_tokens = int(max_tokens)
        self.temperature = float(temperature)
        self.seed = seed
        self.schema = schema if schema is not None else json_schema()
        headers = {"Content-Type": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(headers=headers, transport=transport, follow_redirects=False)

    # --- public ------------------------------------------------------------------------------

    @property
    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "host": self.host,
            "timeout_s": self.timeout_s,
            "retries": self.retries,
            "response_format": "json_schema",
            "prompt_version": PROMPT_VERSION,
        }
        if self.seed is not None:
            params["seed"] = self.seed
        return params

    def generate(self, request: GenerationRequest) -> GenerationResult:
        messages = request.messages
        schema = tighten_schema(self.schema, n_passages=len(request.passages))
        raw, info = self._complete(messages, schema)
        params = {**self.params, **info}
        first = self._result_or_error(raw, info, params, attempts=1)
        if not isinstance(first, str):
            return first
        params["first_attempt_error"] = first
        params["first_attempt_output"] = raw[:2000]
        raw2, info2 = self._complete(repair_messages(messages, raw, first), schema)
        params.update({f"repair_{k}": v for k, v in info2.items()})
        second = self._result_or_error(raw2, info2, params, attempts=2)
        if not isinstance(second, str):
            return second
        error = f"unusable output after one repair: {second} (first attempt: {first})"
        return model_result(self, None, raw2, params, error, attempts=2)

    def _result_or_error(self, raw: str, info: dict[str, Any], params: dict[str, Any], *,
                         attempts: int) -> GenerationResult | str:
        """The result of one reply, or why the reply is unusable (naming a cut-off at max_tokens)."""
        try:
            return model_result(self, parse_draft(raw), raw, params, None, attempts=attempts)
        except GenerationError as exc:
            error = str(exc)
        if info.get("finish_reason") == "length":
            error += f"; the reply was cut off at max_tokens={self.max_tokens}"
        return error

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> OpenAIGenerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- internals ---------------------------------------------------------------------------

    @property
    def description(self) -> str:
        return (f"language model {self.model} on an OpenAI-compatible server at {self.host}, "
                "JSON constrained by the answer schema")

    def _body(self, messages: list[dict[str, str]], schema: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stream": False,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "advice", "schema": schema, "strict": True},
            },
        }
        if self.seed is not None:
            body["seed"] = self.seed
        return body

    def _complete(self, messages: list[dict[str, str]], schema: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """One chat completion with bounded retries; returns (content, facts about the call)."""
        import httpx

        url = f"{self.base_url}/chat/completions"
        body = self._body(messages, schema)
        last_problem = ""
        last_retry_after: float | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self._backoff(attempt, last_retry_after))
            last_retry_after = None
            started = time.monotonic()
            timeout = httpx.Timeout(self.timeout_s, connect=self.connect_timeout_s)
            try:
                response = self._post_with_deadline(url, body, timeout, started)
            except httpx.ConnectTimeout:
                last_problem = f"connecting to {self.host} timed out after {self.connect_timeout_s:g}s"
                continue
            except httpx.TimeoutException as exc:
                raise BackendTimeoutError(
                    f"model server {self.host} did not answer within {self.timeout_s:g}s "
                    f"(CLINRAG_LLM_TIMEOUT_S): {type(exc).__name__}"
                ) from None
            except httpx.TransportError as exc:
                last_problem = f"cannot reach model server {self.host}: {type(exc).__name__}: {exc}"
                continue
            if response.status_code in _RETRY_STATUS:
                last_problem = f"model server {self.host} answered HTTP {response.status_code}: {_snippet(response)}"
                last_retry_after = _retry_after(response)
                continue
            if not 200 <= response.status_code < 300:
                raise BackendUnavailableError(
                    f"model server {self.host} answered HTTP {response.status_code}: {_snippet(response)}"
                )
            return self._content(response, attempt + 1, time.monotonic() - started)
        if "timed out" in last_problem:
            raise BackendTimeoutError(f"{last_problem} ({self.retries + 1} attempts)")
        raise BackendUnavailableError(f"{last_problem} (gave up after {self.retries + 1} attempts)")

    def _post_with_deadline(
        self, url: str, body: dict[str, Any], timeout: httpx.Timeout, started: float
    ) -> httpx.Response:
        """POST and read the body, enforcing timeout_s on the whole exchange, not per read."""
        import httpx

        with self._client.stream("POST", url, json=body, timeout=timeout) as response:
            chunks: list[bytes] = []
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                if time.monotonic() - started > self.timeout_s:
                    raise httpx.ReadTimeout("response body exceeded the deadline")
            return httpx.Response(
                response.status_code, headers=response.headers, content=b"".join(chunks), request=response.request
            )

    def _content(self, response: httpx.Response, http_attempts: int, seconds: float) -> tuple[str, dict[str, Any]]:
        try:
            data = response.json()
            choice = data["choices"][0]
            content = choice["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise BackendUnavailableError(
                f"model server {self.host} sent a response that is not an OpenAI chat completion: {_snippet(response)}"
            ) from None
        info: dict[str, Any] = {
            "finish_reason": choice.get("finish_reason"),
            "http_attempts": http_attempts,
            "seconds": round(seconds, 3),
        }
        usage = data.get("usage")
        if isinstance(usage, dict):
            info["usage"] = {k: v for k, v in usage.items() if isinstance(v, int)}
        if data.get("model"):
            info["served_model"] = data["model"]
        if not isinstance(content, str):
            content = str(content)
        return content, info

    @staticmethod
    def _backoff(attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return float(min(max(retry_after, 0.0), _MAX_BACKOFF_S))
        return float(min(0.2 * 2 ** (attempt - 1), _MAX_BACKOFF_S) * (0.5 + random.random() / 2))


def _snippet(response: httpx.Response, n: int = 200) -> str:
    try:
        text = response.text
    except Exception:  # noqa: BLE001 - a body we cannot decode is still worth naming
        return "(undecodable body)"
    text = " ".join(text.split())
    return (text[:n] + "...") if len(text) > n else (text or "(empty body)")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
