"""One table from error class to HTTP status and stable error code, and the handlers that use it.

Every error response has the body ``{"error": {"code": "<stable code>", "message": "<what to do>"}}``;
clients branch on ``code``, people read ``message``. Tracebacks never reach a client.

    ClinragError tree (rag.errors)   -> HTTP
    ├── InputError                   -> 400 invalid_input
    │   └── DocumentError            -> 422 document_rejected
    ├── NotFoundError                -> 404 not_found
    ├── BackendUnavailableError      -> 503 backend_unavailable  (Retry-After)
    │   └── BackendTimeoutError      -> 504 backend_timeout
    ├── GenerationError              -> 502 generation_failed
    ├── AuditIntegrityError          -> 500 audit_integrity
    └── ConfigError                  -> 500 misconfigured
    RequestValidationError           -> 422 validation_error  (400 malformed_json for unparseable JSON)
    HTTPException(status)            -> status, code from HTTP_CODES
    anything else                    -> 500 internal_error

POST /v1/consultations is the exception after triage: once the red-flag triage has run, a failure of
retrieval, generation, verification or the request deadline is answered 200 with the triage-only
answer (`status: "degraded"`, header `X-Clinrag-Status: degraded`, urgency, red flags, the emergency
instruction, `evidence_sufficient: false`, a note naming the failed step), and audited. Errors
before triage (invalid input, auth, rate limit, overload) and of the audit store keep the table above.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.errors import (
    AuditIntegrityError,
    BackendTimeoutError,
    BackendUnavailableError,
    ClinragError,
    ConfigError,
    DocumentError,
    GenerationError,
    InputError,
    NotFoundError,
)

__all__ = ["ERROR_TABLE", "HTTP_CODES", "ApiError", "error_body", "install_error_handlers", "status_for"]

log = logging.getLogger("clinrag.api")

# most specific class first: the first isinstance match wins
ERROR_TABLE: tuple[tuple[type[ClinragError], int, str], ...] = (
    (DocumentError, 422, "document_rejected"),
    (InputError, 400, "invalid_input"),
    (NotFoundError, 404, "not_found"),
    (BackendTimeoutError, 504, "backend_timeout"),
    (BackendUnavailableError, 503, "backend_unavailable"),
    (GenerationError, 502, "generation_failed"),
    (AuditIntegrityError, 500, "audit_integrity"),
    (ConfigError, 500, "misconfigured"),
    (ClinragError, 500, "internal_error"),
)

# codes for errors the HTTP layer itself raises
HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "overloaded",
    504: "deadline_exceeded",
}


class ApiError(HTTPException):
    """An HTTP error with a stable code, raised by routes, dependencies and middleware."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def status_for(exc: ClinragError) -> tuple[int, str]:
    for cls, status, code in ERROR_TABLE:
        if isinstance(exc, cls):
            return status, code
    return 500, "internal_error"


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"} and len(parts) > 1:
        return ".".join(parts[1:]) if parts[0] == "body" else f"{parts[0]} parameter {'.'.join(parts[1:])}"
    return ".".join(parts) or "body"


def _validation_message(errors: list[dict[str, Any]]) -> str:
    problems = []
    for err in errors[:10]:
        msg = str(err.get("msg", "invalid"))
        if err.get("type") == "extra_forbidden":
            msg = "unknown field; remove it (see the OpenAPI schema at /openapi.json)"
        elif err.get("type") == "missing":
            msg = "required field is missing"
        problems.append(f"{_field(err.get('loc', ()))}: {msg}")
    more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
    return "; ".join(problems) + more


async def _on_clinrag_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ClinragError)
    status, code = status_for(exc)
    headers = {"Retry-After": "5"} if status in (503, 504) else None
    if status >= 500:
        # class name only: messages of some errors can quote request data
        log.warning("%s %s -> %d %s (%s)", request.method, _route(request), status, code, type(exc).__name__)
    message = str(exc) if status < 500 or status in (502, 503, 504) else _PUBLIC_500.get(code, "internal error")
    body = error_body(code, message)
    trace_id = getattr(exc, "trace_id", None)  # set by consult() on errors it recorded in the audit trail
    if isinstance(trace_id, str) and trace_id:
        body["error"]["trace_id"] = trace_id
    return JSONResponse(body, status_code=status, headers=headers)


_PUBLIC_500 = {
    "misconfigured": "the service is misconfigured; the operator has to fix a CLINRAG_* setting (see the server log)",
    "audit_integrity": "the audit trail failed its integrity check; the operator must run `clinrag audit verify`",
    "internal_error": "internal error; the server log has details",
}


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        ctx = next((e.get("ctx") or {} for e in errors if e.get("type") == "json_invalid"), {})
        detail = f": {ctx['error']}" if isinstance(ctx, dict) and ctx.get("error") else ""
        return JSONResponse(error_body("malformed_json", f"the request body is not valid JSON{detail}"), status_code=400)
    return JSONResponse(error_body("validation_error", _validation_message(errors)), status_code=422)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = getattr(exc, "code", None) or HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = "no such endpoint; see /docs for the API"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed here; see /docs for the API"
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s -> 500 (%s)", request.method, _route(request), type(exc).__name__)
    return JSONResponse(error_body("internal_error", _PUBLIC_500["internal_error"]), status_code=500)


def _route(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ClinragError, _on_clinrag_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
