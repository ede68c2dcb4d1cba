"""Guideline catalog, uploads (background ingest jobs), retirement, and passages by id."""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import time
import uuid
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Path, Request, Response, UploadFile

from api.auth import Caller
from api.deps import IngestCaller, ReaderCaller, StateDep
from api.errors import ApiError
from api.schemas import (
    ERROR_RESPONSES,
    ErrorBody,
    FlaggedPassageOut,
    GuidelineList,
    GuidelineOut,
    JobOut,
    PassageOut,
    ReviewIn,
)
from api.state import AppState
from rag.knowledge.milvus import DocVersion
from rag.published import read_fields

__all__ = ["router", "guideline_rows"]

log = logging.getLogger("clinrag.api.guidelines")
router = APIRouter(tags=["guidelines"], responses=ERROR_RESPONSES)

_SUFFIXES = (".pdf", ".md", ".markdown", ".txt")
_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)
DOC_ID = Annotated[str, Path(min_length=1, max_length=256, pattern=r"^[^\x00-\x1f\x7f\"\\]+$", description="document id")]
CHUNK_ID = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="passage (chunk) id, as cited in an answer")]
JOB_ID = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="job id from POST /v1/guidelines")]


def guideline_rows(state: AppState) -> list[dict[str, Any]]:
    """Every stored version with its status: active, superseded or retired."""
    return state.backends.store.version_rows()


@router.get("/v1/guidelines", response_model=GuidelineList, summary="Guideline documents and versions with their status")
def list_guidelines(caller: ReaderCaller, state: StateDep) -> GuidelineList:
    rows = guideline_rows(state)
    return GuidelineList(active=sum(1 for r in rows if r["status"] == "active"), guidelines=[GuidelineOut.from_row(r) for r in rows])


def _safe_name(filename: str | None) -> str:
    name = FsPath((filename or "").replace("\\", "/")).name
    name = _UNSAFE.sub("_", name).strip(" .")[:200]
    if not name or not name.lower().endswith(_SUFFIXES):
        raise ApiError(415, "unsupported_media_type",
                       f"file {filename!r}: upload a guideline as .pdf, .md, .markdown or .txt (the name must end so)")
    return name


@router.post("/v1/guidelines", response_model=JobOut, status_code=202,
             responses={415: {"model": ErrorBody, "description": "not a .pdf, .md, .markdown or .txt file"}},
             summary="Upload a guideline file; it is ingested by a background job (ingest role)")
def upload_guideline(
    caller: IngestCaller,
    state: StateDep,
    response: Response,
    file: Annotated[UploadFile, File(description="PDF, Markdown or text file")],
    title: Annotated[str, Form(max_length=500, description="default: front matter, sidecar or PDF metadata")] = "",
    publisher: Annotated[str, Form(max_length=250, description="issuing body")] = "",
    version: Annotated[str, Form(max_length=120, description="version label, e.g. 2024 or 3.1")] = "",
    language: Annotated[str, Form(pattern=r"^(en|zh)?$", description="en or zh; empty: detected")] = "",
    license: Annotated[str, Form(max_length=250, description="licence of the document")] = "",
) -> JobOut:
    settings = state.settings
    name = _safe_name(file.filename)
    limit = int(settings.max_upload_mb * 1024 * 1024)
    job = state.jobs.create("ingest", name, caller.audit_name)
    folder = settings.data_dir / "uploads" / job.job_id
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / name
    digest = hashlib.sha256()
    size = 0
    with dest.open("wb") as out:
        while chunk := file.file.read(1 << 20):
            size += len(chunk)
            if size > limit:
                out.close()
                shutil.rmtree(folder, ignore_errors=True)
                state.jobs.update(job.job_id, status="failed", error="upload too large")
                raise ApiError(413, "payload_too_large", f"file larger than CLINRAG_MAX_UPLOAD_MB={settings.max_upload_mb:g} MB")
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        shutil.rmtree(folder, ignore_errors=True)
        state.jobs.update(job.job_id, status="failed", error="empty file")
        raise ApiError(422, "validation_error", "file: the uploaded file is empty")
    overrides = {k: v.strip() for k, v in {"title": title, "publisher": publisher, "version": version, "language": language,
                                            "license": license}.items() if v and v.strip()}
    sha = digest.hexdigest()

    def work() -> tuple[bool, dict[str, Any], str | None]:
        from ingest.run import ingest_paths

        b = state.backends
        last = [0.0]

        def progress(event: dict[str, Any]) -> None:  # at most ~2 writes a second, and always the last one
            now = time.monotonic()
            if now - last[0] >= 0.5 or event["files_done"] == event["files_total"]:
                last[0] = now
                state.jobs.update(job.job_id, progress=event)

        report = ingest_paths([dest], settings, b.embedder, b.store, overrides=overrides, on_progress=progress)
        data = report.to_json()
        failed = [f["error"] for f in data["files"] if f["status"] == "failed"]
        b.audit.append(trace_id=job.job_id, kind="ingest", caller=caller.audit_name, status="ok" if report.ok else "failed",
                       payload={"file": name, "sha256": sha, "bytes": size, "overrides": overrides, "report": data})
        return report.ok, data, (failed[0] if failed else None)

    def done(_job: Any, ok: bool) -> None:
        state.metrics.ingest_jobs.labels("succeeded" if ok else "failed").inc()

    state.runner.submit(job, work, done)
    response.headers["Location"] = f"/v1/jobs/{job.job_id}"
    return JobOut(**state.jobs.get(job.job_id).to_json())


@router.get("/v1/jobs/{job_id}", response_model=JobOut, summary="Status and report of an ingest job")
def get_job(job_id: JOB_ID, caller: IngestCaller, state: StateDep) -> JobOut:
    return JobOut(**state.jobs.get(job_id).to_json())


@router.delete("/v1/guidelines/{doc_id}", response_model=GuidelineOut,
               summary="Retire a guideline: queries stop using it; its passages stay readable for audits (ingest role)")
def retire_guideline(doc_id: DOC_ID, caller: IngestCaller, state: StateDep) -> GuidelineOut:
    info: DocVersion = state.backends.store.retire(doc_id)
    state.backends.audit.append(trace_id=uuid.uuid4().hex, kind="retire", caller=caller.audit_name, status="ok",
                                payload={"doc_id": info.doc_id, "version": info.version, "content_hash": info.content_hash})
    return GuidelineOut.from_row({**info.to_json(), "status": "retired"})


@router.get("/v1/guidelines/flagged", response_model=list[FlaggedPassageOut],
            summary="Passages ingest screening held back from search, with reasons and decisions (ingest role)")
def list_flagged(caller: IngestCaller, state: StateDep, request: Request, doc_id: str | None = None) -> list[FlaggedPassageOut]:
    if len(request.query_params.getlist("doc_id")) > 1:
        raise HTTPException(422, "doc_id given more than once: give one document id, or none for every flagged passage")
    entries = state.backends.store.quarantine_entries(doc_id=doc_id) if doc_id else state.backends.store.quarantine_entries()
    return [FlaggedPassageOut(**e.to_json()) for e in entries]


REVIEW_TARGET = Annotated[str, Path(min_length=1, max_length=256, pattern=r"^[^\x00-\x1f\x7f\"\\/]+$",
                                    description="a document id (all flagged passages of its active version) or one passage id")]


def _review(target: str, status: str, caller: Caller, state: AppState, body: ReviewIn | None) -> list[FlaggedPassageOut]:
    from rag.safety.review import decide

    updated = decide(state.backends.store, state.backends.audit, target, status, caller.audit_name, body.note if body else "")
    return [FlaggedPassageOut(**e.to_json()) for e in updated]


@router.post("/v1/guidelines/{target}/approve", response_model=list[FlaggedPassageOut],
             summary="Approve flagged passages: they become searchable (ingest role; audited)")
def approve_flagged(target: REVIEW_TARGET, caller: IngestCaller, state: StateDep, body: ReviewIn | None = None) -> list[FlaggedPassageOut]:
    return _review(target, "approved", caller, state, body)


@router.post("/v1/guidelines/{target}/reject", response_model=list[FlaggedPassageOut],
             summary="Reject flagged passages: they stay out of search (ingest role; audited)")
def reject_flagged(target: REVIEW_TARGET, caller: IngestCaller, state: StateDep, body: ReviewIn | None = None) -> list[FlaggedPassageOut]:
    return _review(target, "rejected", caller, state, body)


@router.get("/v1/passages/{chunk_id}", response_model=PassageOut, summary="One guideline passage by id, active or not")
def get_passage(chunk_id: CHUNK_ID, caller: ReaderCaller, state: StateDep) -> PassageOut:
    p = state.backends.store.get_passage(chunk_id)
    return PassageOut(**read_fields(PassageOut, p))

