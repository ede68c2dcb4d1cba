"""A content owner's decision on quarantined guideline passages, recorded in the audit trail.

Shared by `clinrag guidelines approve|reject` and `POST /v1/guidelines/{target}/approve|reject`.
"""

from __future__ import annotations

import uuid

from rag.audit.trail import AuditStore
from rag.errors import NotFoundError
from rag.knowledge.milvus import MilvusStore, QuarantineEntry

__all__ = ["decide"]


def decide(store: MilvusStore, audit: AuditStore, target: str, status: str, by: str, note: str = "") -> list[QuarantineEntry]:
    """Approve or reject one flagged passage (by id) or every flagged passage of a document's active version.

    Returns the updated entries (empty when the document has none); raises NotFoundError for an
    unknown target. The audit record names who decided, what, and each passage's previous status."""
    if status not in {"approved", "rejected"}:
        raise ValueError(f"status {status!r}: use approved or rejected")
    entries = store.quarantine_entries(chunk_id=target)
    if not entries:
        current = store.active_version(target)
        if current is None:
            raise NotFoundError(f"{target!r} is neither a flagged passage id nor an active document id; "
                                "`clinrag guidelines flagged` (GET /v1/guidelines/flagged) lists them")
        entries = store.quarantine_entries(doc_id=target, content_hash=current.content_hash)
        if not entries:
            return []
    updated = store.decide_quarantine(entries, status, by, note)
    audit.append(trace_id=uuid.uuid4().hex, kind="guideline_review", caller=by, status=status, payload={
        "target": target, "note": note,
        "chunks": [{"chunk_id": e.chunk_id, "doc_id": e.doc_id, "content_hash": e.content_hash, "previous": old.status,
                    "reasons": list(e.reasons)} for e, old in zip(updated, entries, strict=True)]})
    return updated
