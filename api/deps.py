"""Annotated dependency aliases used by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.auth import Caller, require
from api.state import AppState
from rag.backends import Backends
from rag.settings import Settings

__all__ = [
    "StateDep",
    "SettingsDep",
    "BackendsDep",
    "ConsultCaller",
    "IngestCaller",
    "AuditCaller",
    "ReaderCaller",
    "AuditPageCaller",
]


def get_state(request: Request) -> AppState:
    return request.app.state.clinrag  # type: ignore[no-any-return]


def get_settings(request: Request) -> Settings:
    return get_state(request).settings


def get_backends(request: Request) -> Backends:
    return get_state(request).backends


async def _state(request: Request) -> AppState:
    return get_state(request)  # async: resolved on the event loop, not handed to a thread (and back) per request


StateDep = Annotated[AppState, Depends(_state)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
BackendsDep = Annotated[Backends, Depends(get_backends)]

ConsultCaller = Annotated[Caller, Depends(require("consult"))]
IngestCaller = Annotated[Caller, Depends(require("ingest"))]
AuditCaller = Annotated[Caller, Depends(require("audit"))]
# reading guideline passages and the catalog: frontends (consult), content team (ingest) and auditors
ReaderCaller = Annotated[Caller, Depends(require(("consult", "ingest", "audit")))]
AuditPageCaller = Annotated[Caller, Depends(require("audit", browser=True))]
