"""POST /v1/consultations and GET /v1/consultations/{trace_id}."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from api.deps import AuditCaller, ConsultCaller, StateDep
from api.errors import ApiError
from api.gate import gated_backends
from api.middleware import take_slot
from api.offload import ConsultProcessLost, RemoteFailure
from api.schemas import ERROR_RESPONSES, AuditRecordOut, ConsultBody
from api.state import AppState
from rag.answer.schema import Advice, ConsultRequest
from rag.audit.record import ConsultationRecord
from rag.consult import ConsultOutcome, consult, triage_only_advice

__all__ = ["router", "TRACE_ID"]

log = logging.getLogger("clinrag.api.consult")
router = APIRouter(prefix="/v1/consultations", tags=["consultations"], responses=ERROR_RESPONSES)

TRACE_ID = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="trace id of a consultation")]


def _run(state: AppState, request: ConsultRequest, caller: str, trace_id: str, deadline: float) -> ConsultOutcome:
    state.metrics.in_flight.inc()
    try:
        return consult(request, gated_backends(state.backends, state.gate), caller=caller, trace_id=trace_id, deadline=deadline)
    finally:
        state.metrics.in_flight.dec()
        state.slots.release()


def _offloaded(state: AppState, body: ConsultBody, caller: str, trace_id: str, deadline: float) -> asyncio.Future[ConsultOutcome] | None:
    """The consultation sent to a consultation process (api.offload); None when there is none running, and it runs
    in this process's pool. The admission slot is given back when the process answers (or is lost)."""
    offload = state.offload
    if offload is None or not offload.alive:
        return None
    try:
        fut: asyncio.Future[ConsultOutcome] = offload.submit(body, caller, trace_id, deadline)
    except (ConsultProcessLost, OSError, RuntimeError) as exc:
        log.error("consultation %s could not be sent to a consultation process (%s); running it here", trace_id,
                  type(exc).__name__)
        return None
    state.metrics.in_flight.inc()

    def ended(f: asyncio.Future[ConsultOutcome]) -> None:
        state.metrics.in_flight.dec()
        state.slots.release()
        if not f.cancelled():
            f.exception()  # retrieved: a late failure after the deadline answer is not an unhandled-exception warning

    fut.add_done_callback(ended)
    return fut


def _overloaded(state: AppState) -> ApiError:
    state.metrics.rejected.labels("overload").inc()
    return ApiError(503, "overloaded", f"the service is at its limit of {state.settings.max_concurrency} concurrent "
                    "consultations; retry shortly", headers={"Retry-After": "1"})


@router.post("", response_model=Advice,
             summary="Advice for a patient's symptoms, every item citing guideline passages")
async def post_consultation(body: ConsultBody, caller: ConsultCaller, state: StateDep, request: Request,
                            response: Response) -> Advice:
    # The pipeline is blocking (torch, Milvus, SQLite) and mostly Python, so it runs in a consultation process
    # (api.offload; its own pool of consult_threads threads) or, without one, in this process's pool; at most
    # max_concurrency consultations are admitted (running or waiting for a thread).
    # Admission is decided on the event loop and without waiting: a full service answers 503 at once instead of
    # queueing requests that would blow their deadline (vLLM itself never says no). api.middleware.AdmissionMiddleware
    # takes the slot on arrival, before routing, the body and the key check, and hands it over here.
    if not take_slot(request.scope, state.slots):
        raise _overloaded(state)
    trace_id = uuid.uuid4().hex
    deadline = time.monotonic() + state.settings.request_deadline_s
    waiter = _offloaded(state, body, caller.audit_name, trace_id, deadline)
    if waiter is None:
        try:
            future = state.consult_pool.submit(_run, state, body, caller.audit_name, trace_id, deadline)
        except RuntimeError:  # pool shut down: the process is stopping
            state.slots.release()
            raise ApiError(503, "overloaded", "the service is shutting down; retry shortly", headers={"Retry-After": "1"}) from None
        waiter = asyncio.wrap_future(future)
    # the slot stays taken until the work ends, even when we stop waiting: concurrency stays bounded
    done, _ = await asyncio.wait({waiter}, timeout=state.settings.request_deadline_s)
    if not done:
        # Safety survives the deadline: the patient still gets the triage result (urgency, red flags and the
        # emergency instruction) with status "degraded", recorded now under the trace id; the late answer is
        # recorded as <trace>-late when the work finishes.
        state.metrics.rejected.labels("deadline").inc()
        log.warning("consultation %s past its deadline of %.1f s; answering with the triage result",
                    trace_id, state.settings.request_deadline_s)
        advice, record = triage_only_advice(body, trace_id, "deadline")
        state.backends.audit.append(trace_id=trace_id, kind="consultation", caller=caller.audit_name,
                                    status="deadline_exceeded", payload=record.to_payload())
        response.headers["X-Trace-Id"] = trace_id
        response.headers["X-Clinrag-Status"] = "degraded"
        return advice
    try:
        outcome = waiter.result()
    except Exception as exc:  # noqa: BLE001 - what consult() could not answer itself (e.g. the audit store failing)
        error_type = exc.type_name if isinstance(exc, RemoteFailure) else type(exc).__name__
        log.error("consultation %s failed outside its steps (%s); answering with the triage result", trace_id, error_type)
        advice, record = triage_only_advice(body, trace_id, "record", error_type,
                                            "the consultation failed outside its steps (details in the server log)")
        try:
            record.answer = advice
            state.backends.audit.append(trace_id=trace_id, kind="consultation", caller=caller.audit_name,
                                        status="degraded", payload=record.to_payload())
        except Exception as audit_exc:  # noqa: BLE001 - the patient still gets the triage result; the log says why
            log.error("consultation %s: the audit record could not be written (%s)", trace_id, type(audit_exc).__name__)
            advice = advice.model_copy(update={"notes": [*advice.notes, "not recorded: the audit trail could not be written"]})
        response.headers["X-Trace-Id"] = trace_id
        response.headers["X-Clinrag-Status"] = "degraded"
        return advice
    advice = outcome.advice
    response.headers["X-Clinrag-Status"] = advice.status
    state.metrics.observe_consultation(outcome.timings_ms, abstained=not advice.evidence_sufficient,
                                       red_flag=bool(advice.red_flags) and advice.urgency == "emergency", urgency=advice.urgency)
    response.headers["X-Trace-Id"] = advice.trace_id
    return advice


@router.get("/{trace_id}", response_model=AuditRecordOut, summary="The audit record of one consultation (audit role)")
def get_consultation(trace_id: TRACE_ID, caller: AuditCaller, state: StateDep) -> AuditRecordOut:
    from rag.errors import NotFoundError

    rec = state.backends.audit.get(trace_id)
    if rec.kind != "consultation":
        raise NotFoundError(f"no consultation with trace id {trace_id!r}")
    data = rec.to_dict()
    data["payload"] = ConsultationRecord.from_payload(rec.payload).to_payload()  # typed; old records load unchanged
    return AuditRecordOut(**data)
