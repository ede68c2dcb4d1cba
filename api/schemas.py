"""HTTP request and response models (strict: unknown fields are rejected).

The consultation request and answer are rag.answer.schema.ConsultRequest and rag.answer.schema.Advice, so the
CLI's `--json` output and the HTTP answer are the same shape.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rag.answer.schema import Advice, ConsultRequest, PassageSource
from rag.audit.trail import AuditRecord
from rag.knowledge.base import DocVersion
from rag.knowledge.milvus import QuarantineEntry
from rag.published import fields_model
from rag.types import Passage

__all__ = [
    "Advice",
    "ConsultRequest",
    "ConsultBody",
    "ErrorBody",
    "ErrorDetail",
    "AuditRecordOut",
    "PassageOut",
    "GuidelineOut",
    "GuidelineList",
    "FlaggedPassageOut",
    "ReviewIn",
    "JobOut",
    "Health",
    "Readiness",
    "ERROR_RESPONSES",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConsultBody(ConsultRequest):
    """The consultation request as HTTP takes it: strict types ("pregnant": 0 or "age": "40" are rejected)."""

    model_config = ConfigDict(extra="forbid", strict=True, title="ConsultRequest")


class ErrorDetail(_Strict):
    code: str = Field(description="stable machine-readable code, e.g. 'rate_limited'")
    message: str = Field(description="what went wrong and how to fix it")
    trace_id: str | None = Field(None, description="audit trace of a consultation that failed after it was recorded")


class ErrorBody(_Strict):
    error: ErrorDetail


def _err(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# documented on every /v1 route so clients (and schemathesis) know every status they may see
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _err("malformed JSON or invalid input"),
    401: _err("missing or invalid API key"),
    403: _err("the key lacks the role this endpoint needs"),
    404: _err("no such id"),
    413: _err("request body too large"),
    422: _err("the request does not match the schema"),
    429: _err("rate limit of this key exceeded; see Retry-After"),
    503: _err("overloaded or a backend is unavailable; see Retry-After"),
    504: _err("a backend or the request ran past its deadline"),
}


class AuditRecordOut(fields_model(AuditRecord, _Strict)):  # type: ignore[misc]  # a computed base
    """One hash-chained audit record: input (de-identified), passages, prompt, model, output, checks."""


class PassageOut(fields_model(Passage, PassageSource, ("page_start", "page_end", "language", "text", "active", "content_hash"),  # type: ignore[misc]
                              required=True, descriptions={
                                  "active": "false when this passage's guideline version was superseded or retired",
                                  "content_hash": "identifies the exact guideline version"})):
    pass  # every field is the Passage's (no docstring: the published schema has no description here)


class GuidelineOut(fields_model(DocVersion, _Strict, omit=("fingerprint",),  # type: ignore[misc]
                                types={"status": Literal["active", "superseded", "retired", "pending"]})):
    # a catalog row (DocVersion) as published: every field but the file fingerprint, then these
    held_back: int = Field(0, description="passages of this version that ingest screening flagged, kept out of search until approved")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> GuidelineOut:
        """From a DocVersion's JSON; fields the store adds later stay internal until published here."""
        return cls(**{k: v for k, v in row.items() if k in cls.model_fields})


class FlaggedPassageOut(fields_model(QuarantineEntry, _Strict,  # type: ignore[misc]
                                      types={"status": Literal["quarantined", "approved", "rejected"]})):
    """A guideline passage that ingest screening held back, with why and the content owner's decision."""


class ReviewIn(_Strict):
    note: str = Field("", max_length=500, description="why, for the audit trail")


class GuidelineList(_Strict):
    active: int = Field(description="number of active documents")
    guidelines: list[GuidelineOut] = Field(description="every stored version, with its status")


class JobOut(_Strict):
    job_id: str
    kind: Literal["ingest"]
    status: Literal["queued", "running", "succeeded", "failed"]
    filename: str
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    caller: str
    error: str | None = None
    report: dict[str, Any] | None = Field(None, description="the ingest report (files, chunks, versions) once finished")
    progress: dict[str, Any] | None = Field(
        None, description="latest progress while running and at the end: files_total, files_done, pages, chunks, "
                          "chunks_per_s, elapsed_s, eta_s (null until a rate is measured)")


class Health(_Strict):
    status: Literal["ok"]


class Readiness(_Strict):
    ready: bool
    checks: dict[str, str] = Field(description="'ok' or the reason a dependency is not ready")
