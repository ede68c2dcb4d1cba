"""POST /v1/entities, POST /v1/summaries (JSON text), POST /v1/summaries/file (PDF/text upload), GET /v1/summaries/{id}.

Same roles, limits and error shape as consultations: the consult role may call them, work runs in the bounded
consultation pool (503 when full), bad records are 400 invalid_input with the reason and the fix. Identifiers are
de-identified in the answer unless the key also has the admin role and the request sets include_identifiers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Caller
from api.deps import AuditCaller, AuditPageCaller, ConsultCaller, StateDep
from api.errors import ApiError
from api.gate import gated_backends
from api.middleware import take_slot
from api.routes.audit import JSON_ERRORS, PAGE_RESPONSES, PAGE_TRACE_ID, audit_record_of
from api.schemas import ERROR_RESPONSES, AuditRecordOut
from api.state import AppState

__all__ = ["router"]

router = APIRouter(tags=["records"], responses=ERROR_RESPONSES)
T = TypeVar("T")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntitiesBody(_Strict):
    text: str = Field(description="text of a record or note, Chinese or English (up to ~100k characters)")


class EntityOut(_Strict):
    start: int
    end: int
    text: str
    type: Literal["disease", "symptom", "drug", "test", "body"]
    canonical: str = Field(description="canonical English name of the concept")
    negated: bool = Field(description="the text says it is absent ('no fever', '否认胸痛')")
    icd10: str | None = Field(description="ICD-10-CM code of a disease from the alias table; null when not in the table")


class EntitiesOut(_Strict):
    trace_id: str
    entities: list[EntityOut]


class SummaryBody(_Strict):
    text: str = Field(description="the record: plain text or Markdown, Chinese or English, up to ~100k characters")
    language: Literal["en", "zh"] | None = Field(None, description="record language (default: detected)")
    include_identifiers: bool = Field(False, description="return patient id and dates as written (needs the admin role)")


class ValueOut(_Strict):
    value: str
    spans: list[list[int]] = Field(description="[start, end) character offsets in the record the value comes from")


class DiagnosisOut(_Strict):
    name: str
    icd10: str | None = Field(description="from the ICD-10-CM alias table, never invented; null when not in it")
    spans: list[list[int]]


class SummaryOut(_Strict):
    trace_id: str
    identifiers: Literal["included", "de-identified"]
    language: str
    generator: str
    patient_id: ValueOut | None
    admission_date: ValueOut | None = Field(description="ISO date; span of the date as written")
    discharge_date: ValueOut | None
    chief_complaint: ValueOut | None
    diagnoses: list[DiagnosisOut] = Field(description="negated or ruled-out diagnoses are never listed")
    medications: list[ValueOut]
    tests: list[ValueOut]
    treatment_plan: ValueOut | None
    follow_up: ValueOut | None
    summary: ValueOut | None = Field(description="<= 150 Chinese characters or <= 80 English words, made of record pieces")
    notes: list[str] = Field(description="what was dropped by the checks or not found, and why")


async def _in_pool(state: AppState, request: Request, fn: Callable[[], T]) -> T:
    if not take_slot(request.scope, state.slots):  # taken by api.middleware.AdmissionMiddleware on arrival
        state.metrics.rejected.labels("overload").inc()
        raise ApiError(503, "overloaded", f"the service is at its limit of {state.settings.max_concurrency} concurrent "
                       "requests; retry shortly", headers={"Retry-After": "1"})

    def run() -> T:
        try:
            return fn()
        finally:
            state.slots.release()

    try:
        future = state.consult_pool.submit(run)
    except RuntimeError:
        state.slots.release()
        raise ApiError(503, "overloaded", "the service is shutting down; retry shortly", headers={"Retry-After": "1"}) from None
    done, _ = await asyncio.wait({asyncio.wrap_future(future)}, timeout=state.settings.request_deadline_s)
    if not done:
        raise ApiError(504, "deadline_exceeded", f"no answer within {state.settings.request_deadline_s:g} s", headers={"Retry-After": "5"})
    return future.result()


def _generator(state: AppState) -> Any:
    return None if state.settings.generator.startswith("extractive") else state.backends.generator


def _allowed_identifiers(caller: Caller, asked: bool) -> bool:
    if asked and "admin" not in caller.roles:
        raise ApiError(403, "forbidden", "include_identifiers needs a key with the admin role; leave it out to get the "
                       "de-identified summary")
    return asked


@router.post("/v1/entities", response_model=EntitiesOut, summary="Diseases, symptoms, drugs, tests and body parts with spans")
async def post_entities(body: EntitiesBody, caller: ConsultCaller, state: StateDep, request: Request,
                        response: Response) -> EntitiesOut:
    from rag.records.service import audit_entities, entities_for, record_from_text

    def work() -> EntitiesOut:
        record = record_from_text(body.text)
        found = entities_for(record)
        trace = audit_entities(record, found, audit=gated_backends(state.backends, state.gate).audit, caller=caller.audit_name)
        return EntitiesOut(trace_id=trace, entities=[EntityOut(**e.to_json()) for e in found])

    out = await _in_pool(state, request, work)
    response.headers["X-Trace-Id"] = out.trace_id
    return out


async def _summarize(state: AppState, caller: Caller, make_record: Callable[[], Any], language: str | None,
                     include_identifiers: bool, request: Request, response: Response) -> SummaryOut:
    from rag.records.service import summarize_record

    allowed = _allowed_identifiers(caller, include_identifiers)

    def work() -> dict[str, Any]:
        outcome = summarize_record(make_record(), audit=gated_backends(state.backends, state.gate).audit, caller=caller.audit_name,
                                   generator=_generator(state), language=language, include_identifiers=allowed)
        return outcome.output

    data = await _in_pool(state, request, work)
    response.headers["X-Trace-Id"] = data["trace_id"]
    return SummaryOut(**data)


@router.post("/v1/summaries", response_model=SummaryOut, summary="Structured summary of a record, every value with its spans")
async def post_summary(body: SummaryBody, caller: ConsultCaller, state: StateDep, request: Request,
                       response: Response) -> SummaryOut:
    from rag.records.service import record_from_text

    return await _summarize(state, caller, lambda: record_from_text(body.text), body.language, body.include_identifiers,
                            request, response)


@router.post("/v1/summaries/file", response_model=SummaryOut, summary="Summary of an uploaded record (PDF, Markdown or text)")
async def post_summary_file(
    file: Annotated[UploadFile, File(description="the record: PDF with a text layer, Markdown or plain text")],
    caller: ConsultCaller, state: StateDep, request: Request, response: Response,
    language: Annotated[Literal["en", "zh"] | None, Form()] = None,
    include_identifiers: Annotated[bool, Form()] = False,
) -> SummaryOut:
    from rag.records.service import record_from_bytes

    data = await file.read()
    name = file.filename or "record"
    return await _summarize(state, caller, lambda: record_from_bytes(data, name), language, include_identifiers, request,
                            response)


@router.get("/v1/summaries/{trace_id}", response_model=AuditRecordOut, summary="The audit record of one summary (audit role)")
def get_summary(trace_id: PAGE_TRACE_ID, caller: AuditCaller, state: StateDep) -> AuditRecordOut:
    return AuditRecordOut(**audit_record_of(state, trace_id, "record_summary", "record summary").to_dict())


# the page answers HTML, its errors JSON (as the consultation page documents them)
@router.get("/audit/summaries/{trace_id}", response_class=HTMLResponse, responses={**JSON_ERRORS, **PAGE_RESPONSES},
            tags=["audit"],
            summary="Auditor page for one record summary: the de-identified record with each field's spans (audit role)")
def summary_page(trace_id: PAGE_TRACE_ID, request: Request, caller: AuditPageCaller, state: StateDep) -> Response:
    from api.records_page import PAGE_CSS, render_summary_page
    from api.routes.audit import html_page, key_from_address

    if (moved := key_from_address(request, state, f"/audit/summaries/{trace_id}")) is not None:
        return moved
    return html_page(render_summary_page(audit_record_of(state, trace_id, "record_summary", "record summary")), PAGE_CSS)
