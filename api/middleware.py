"""Pure ASGI middleware: admission of the pooled routes, request body limits, and metrics plus access logs by
route template."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, error_body
from api.metrics import Metrics

__all__ = ["AdmissionMiddleware", "BodyLimitMiddleware", "ObserveMiddleware", "Slot", "take_slot"]

access_log = logging.getLogger("clinrag.api.access")


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "payload_too_large", f"request body larger than {limit} bytes; send less "
                         "(limits: CLINRAG_MAX_BODY_KB for JSON, CLINRAG_MAX_UPLOAD_MB for uploads)")
        self.limit = limit


async def _send_json(send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            (b"connection", b"close"), *(headers or [])]})
    await send({"type": "http.response.body", "body": data})


class _Route:
    """Stands in for the route a refused request never reached, so metrics and the access log name its template."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path


class AdmissionMiddleware:
    """Admission of the pooled routes (consultations, records): a request takes its slot here, on arrival, or gets
    503 at once.

    It answers before routing, body parsing, the key check and FastAPI's dependency machinery: under overload the
    event loop shares the GIL with the consultation threads, and every bit of Python on the refusal path waits for
    it again. The slot taken here is handed to the route (`take_slot`), which gives it to the pooled work; a request
    that ends before the route takes it (401, 400, 413) gives it back here. Until round 7 the middleware only looked
    at the slots and the route took one after the key check: each slot freed by a finished consultation then let
    every request that arrived during the next request's key check through to the route, where all but one got
    their 503 late (0.5-3 s under a 3x overload; bench/RESULTS.md, "Overload 503s, round 7"). The request body is
    not read on a refusal; uvicorn discards it and keeps the connection."""

    def __init__(self, app: ASGIApp, paths: Mapping[str, str]) -> None:
        self.app = app
        self.paths = paths  # POST path -> what the 503 says the limit counts ("consultations", "requests")
        self._bodies: dict[tuple[int, str], bytes] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path = scope["path"].rstrip("/") or "/"
            what = self.paths.get(path, "")
            state = getattr(scope["app"].state, "clinrag", None) if what else None
            if state is not None:
                if not state.slots.acquire(blocking=False):
                    await self._refuse(scope, send, state, path, what)
                    return
                slot = scope[SLOT_KEY] = Slot(state.slots)
                try:
                    await self.app(scope, receive, send)
                finally:
                    slot.give_back()
                return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, send: Send, state: Any, path: str, what: str) -> None:
        state.metrics.rejected.labels("overload").inc()
        scope["route"] = _Route(path)
        limit = state.settings.max_concurrency
        body = self._bodies.get((limit, what))
        if body is None:
            body = self._bodies[(limit, what)] = json.dumps(error_body(
                "overloaded", f"the service is at its limit of {limit} concurrent {what}; retry shortly")).encode()
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"retry-after", b"1")]})
        await send({"type": "http.response.body", "body": body})


SLOT_KEY = "clinrag.slot"


class Slot:
    """An admission slot taken by AdmissionMiddleware for one request, until the route takes it over."""

    __slots__ = ("_sem", "_held")

    def __init__(self, sem: Any) -> None:
        self._sem, self._held = sem, True

    def take(self) -> bool:
        """The route takes the slot over (it releases it when its work ends); False when there is none to take."""
        held, self._held = self._held, False
        return held

    def give_back(self) -> None:
        if self._held:
            self._held = False
            self._sem.release()


def take_slot(scope: Mapping[str, Any], slots: Any) -> bool:
    """For a pooled route: the slot the middleware took for this request, else (an app without the middleware, a
    path it does not know) one taken now without waiting; False when the service is full."""
    slot = scope.get(SLOT_KEY)
    if isinstance(slot, Slot) and slot.take():
        return True
    return bool(slots.acquire(blocking=False))


class BodyLimitMiddleware:
    """413 when Content-Length says too much, or when the streamed bytes exceed the limit.

    `limit_for(scope)` returns the byte limit of a request (uploads get a bigger one than JSON).
    """

    def __init__(self, app: ASGIApp, limit_for: Callable[[Scope], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_json(send, 400, error_body("bad_request", "Content-Length is not a number"))
                    return
                if declared > limit:
                    scope.setdefault("state", {})["rejected"] = "body_too_large"
                    exc = BodyTooLarge(limit)
                    await _send_json(send, 413, error_body(exc.code, str(exc.detail)))
                    return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    scope.setdefault("state", {})["rejected"] = "body_too_large"
                    raise BodyTooLarge(limit)  # FastAPI re-raises HTTPExceptions from body reading as they are
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracking_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await _send_json(send, 413, error_body(exc.code, str(exc.detail)))


class ObserveMiddleware:
    """Counts and times every request by route template (never the raw path) and logs one line per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = 500

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope.get("method", "GET")
            elapsed = time.perf_counter() - t0
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            if (scope.get("state") or {}).get("rejected") == "body_too_large":
                self.metrics.rejected.labels("body_too_large").inc()
            # route template, not the path: paths carry trace ids and the auditor page's query carries a key
            access_log.info("%s %s %d %.1fms", method, route, status, elapsed * 1000)
