"""GET /audit/{trace_id}: the auditor page (audit role).

Browsers cannot send headers from a link, so the page also accepts `?key=<API key>`: the key is
checked, stored in an HttpOnly, SameSite=Strict cookie scoped to /audit, and the browser is
redirected to the same page without the key in its address (so it stays out of history and logs).
"""

from __future__ import annotations

import base64
import functools
import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auditor import _CSS, PassageView, render_audit_page
from api.auth import COOKIE
from api.deps import AuditPageCaller, StateDep
from api.routes.guidelines import guideline_rows
from api.schemas import ERROR_RESPONSES
from api.state import AppState
from rag.audit.trail import AuditRecord
from rag.errors import NotFoundError

__all__ = ["router"]

# the pages answer HTML, their errors JSON: say so, or the errors would be documented as text/html
JSON_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {**spec, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    for status, spec in ERROR_RESPONSES.items()}
PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "HTML page"},
    303: {"description": "key accepted from ?key=; continue without it (cookie set)"},
}
PAGE_TRACE_ID = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
router = APIRouter(tags=["audit"], responses=JSON_ERRORS)



@functools.cache
def page_csp(css: str) -> str:
    """The Content-Security-Policy of a page whose only style is `css` (no scripts, no other sources)."""
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def html_page(html: str, css: str) -> HTMLResponse:
    return HTMLResponse(html, headers={"Content-Security-Policy": page_csp(css), "Cache-Control": "no-store",
                                       "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


def key_from_address(request: Request, state: AppState, path: str) -> Response | None:
    """A key that authenticated from `?key=` goes into an HttpOnly cookie scoped to /audit and the page
    reloads without it (a key in an address ends up in histories and logs); None when there is none."""
    key = request.query_params.get("key")
    from_query = key and "authorization" not in request.headers and "x-api-key" not in request.headers
    if not (from_query and state.settings.auth):
        return None
    assert key is not None
    resp = RedirectResponse(path, status_code=303)
    resp.set_cookie(COOKIE, key, max_age=3600, httponly=True, samesite="strict", path="/audit",
                    secure=request.url.scheme == "https")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def audit_record_of(state: AppState, trace_id: str, kind: str, what: str) -> AuditRecord:
    """The audit record of trace_id when it is of this kind; NotFoundError ("no {what} with trace id ...") otherwise."""
    rec = state.backends.audit.get(trace_id)
    if rec.kind != kind:
        raise NotFoundError(f"no {what} with trace id {trace_id!r}")
    return rec


@router.get("/audit/{trace_id}", response_class=HTMLResponse, summary="Auditor page for one consultation (audit role)",
            responses=PAGE_RESPONSES)
def audit_page(trace_id: PAGE_TRACE_ID, request: Request, caller: AuditPageCaller, state: StateDep) -> Response:
    if (moved := key_from_address(request, state, f"/audit/{trace_id}")) is not None:
        return moved
    rec = audit_record_of(state, trace_id, "consultation", "consultation")
    store = state.backends.store
    statuses = {(r["doc_id"], r["content_hash"]): r["status"] for r in guideline_rows(state)}

    def lookup(chunk_id: str) -> PassageView | None:
        try:
            p = store.get_passage(chunk_id)
        except NotFoundError:
            return None
        status = "active" if p.active else statuses.get((p.doc_id, p.content_hash), "superseded")
        return PassageView(text=p.text, active=p.active, status=status)

    return html_page(render_audit_page(rec, lookup), _CSS)
