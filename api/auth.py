"""API-key authentication, role checks and per-key rate limits.

Keys travel as `Authorization: Bearer <key>` or `X-API-Key: <key>`. The auditor page also accepts
`?key=<key>` (it then sets an HttpOnly cookie and redirects to drop the key from the address bar)
and that cookie. Roles: consult, ingest, audit, admin (admin may do everything).

Every denied access (no key, unknown or revoked key, wrong role) is appended to the audit trail as
kind "access_denied": route template, method, client address, reason and the key id when the
presented key has a well-formed one. Never the secret.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.security import APIKeyCookie, APIKeyHeader, APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.keys import ROLES
from api.state import AppState

__all__ = ["Caller", "COOKIE", "require", "bearer_scheme", "header_scheme", "query_scheme", "cookie_scheme"]

log = logging.getLogger("clinrag.api.auth")

COOKIE = "clinrag_key"
_KEY_ID = re.compile(r"^crk_([0-9a-f]{12})_")

bearer_scheme = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
header_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="the API key")
query_scheme = APIKeyQuery(name="key", auto_error=False, description="auditor page only: the API key (then kept in a cookie)")
cookie_scheme = APIKeyCookie(name=COOKIE, auto_error=False, description="auditor page only: set from ?key=")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: recorded as `caller` in audit records."""

    name: str
    key_id: str
    roles: tuple[str, ...]

    @property
    def audit_name(self) -> str:
        return f"{self.name}#{self.key_id}" if self.key_id else self.name


ANONYMOUS = Caller("anonymous", "", ROLES)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _route(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def _presented_key(request: Request, browser: bool) -> str | None:
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    if browser:
        return request.query_params.get("key") or request.cookies.get(COOKIE) or None
    return None


def _deny(state: AppState, request: Request, status: int, reason: str, key: str | None, caller: str = "anonymous") -> ApiError:
    m = _KEY_ID.match(key or "")
    payload = {"reason": reason, "method": request.method, "route": _route(request), "client": _client(request),
               "key_id": m.group(1) if m else None, "key_presented": key is not None}
    try:
        state.backends.audit.append(trace_id=uuid.uuid4().hex, kind="access_denied", caller=caller, status="denied",
                                    payload=payload)
    except Exception as exc:  # a broken audit store must not turn a 401 into a 500; the log keeps the fact
        log.error("could not record denied access (%s): %s", reason, type(exc).__name__)
    state.metrics.rejected.labels("unauthenticated" if status == 401 else "forbidden").inc()
    if status == 401:
        return ApiError(401, "unauthenticated", reason + "; send `Authorization: Bearer <key>` or `X-API-Key: <key>` "
                        "(an operator creates keys with `clinrag keys create`)", headers={"WWW-Authenticate": "Bearer"})
    return ApiError(403, "forbidden", reason)


def authenticate(state: AppState, request: Request, role: str | tuple[str, ...], *, browser: bool = False) -> Caller:
    """The caller, after key, role and rate-limit checks; raises ApiError 401/403/429."""
    roles = (role,) if isinstance(role, str) else role
    if not state.settings.auth or state.keys is None:
        caller = ANONYMOUS
        limit_key = "ip:" + _client(request)
    else:
        key = _presented_key(request, browser)
        if not key:
            raise _deny(state, request, 401, "no API key", None)
        info = state.keys.authenticate(key)
        if info is None:
            raise _deny(state, request, 401, "invalid or revoked API key", key)
        if not any(info.allows(r) for r in roles):
            needed = " or ".join(repr(r) for r in roles)
            raise _deny(state, request, 403, f"this key (roles {', '.join(info.roles)}) lacks the role {needed}", key,
                        caller=f"{info.name}#{info.key_id}")
        caller = Caller(info.name, info.key_id, info.roles)
        limit_key = "key:" + info.key_id
    decision = state.limiter.hit(limit_key)
    if not decision.allowed:
        state.metrics.rejected.labels("rate_limit").inc()
        raise ApiError(429, "rate_limited", f"more than {state.settings.rate_limit_per_min} requests per minute for this key; "
                       f"retry after {decision.retry_after_s} s", headers={"Retry-After": str(decision.retry_after_s)})
    return caller


def require(role: str | tuple[str, ...], *, browser: bool = False) -> Callable[..., Caller]:
    """A dependency that authenticates the request for `role` (any of several roles when a tuple)."""

    # the scheme parameters only document the accepted credentials in OpenAPI; the key is read from the request
    if browser:
        def dep_browser(request: Request, _b: HTTPAuthorizationCredentials | None = _sec(bearer_scheme),
                        _h: str | None = _sec(header_scheme), _q: str | None = _sec(query_scheme),
                        _c: str | None = _sec(cookie_scheme)) -> Caller:
            return authenticate(request.app.state.clinrag, request, role, browser=True)

        return dep_browser

    def dep(request: Request, _b: HTTPAuthorizationCredentials | None = _sec(bearer_scheme),
            _h: str | None = _sec(header_scheme)) -> Caller:
        return authenticate(request.app.state.clinrag, request, role)

    return dep


def _sec(scheme: object) -> Any:
    from fastapi import Security

    return Security(scheme)  # type: ignore[arg-type]
