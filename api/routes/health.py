"""Liveness, readiness and Prometheus metrics (no authentication: probes and scrapers call them)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from api.deps import StateDep
from api.metrics import CONTENT_TYPE_LATEST
from api.schemas import Health, Readiness

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, summary="Milvus, the audit store and the embedder are usable",
            responses={503: {"model": Readiness, "description": "not ready; `checks` says why"}})
def readyz(state: StateDep) -> JSONResponse:
    b = state.backends
    checks: dict[str, str] = {}
    offload = state.offload
    if offload is not None and offload.alive:  # the consultation processes loaded theirs before they said ready
        checks["embedder"] = "ok"
    else:
        checks["embedder"] = "ok" if b.embedder_loaded else "not loaded"
    probes: tuple[tuple[str, Callable[[], None]], ...] = (("store", b.store.ping), ("audit", b.audit.ping))
    for name, probe in probes:
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:  # any failure means not ready; say which
            checks[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(Readiness(ready=ready, checks=checks).model_dump(), status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus text format"}})
def metrics(state: StateDep) -> Response:
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
