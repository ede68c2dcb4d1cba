"""The consultation audit record as a typed model: written by consult(), read by the CLI, the API and the
auditor page. The stored JSON keeps its shape: the same keys as the dicts written before this model
existed, new sections only added; every section is optional and unknown keys are kept, so old records
load unchanged (and their hashes still verify, since stored JSON is never rewritten)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from rag.answer.schema import Advice

if TYPE_CHECKING:
    from rag.safety.urgency import UrgencyDecision
    from rag.types import Passage

__all__ = [
    "ConsultationRecord",
    "RequestPart",
    "TriagePart",
    "RetrievedPassage",
    "RetrievalPart",
    "PromptPart",
    "GenerationPart",
    "VerificationPart",
    "UrgencyPart",
    "FailurePart",
]


class _Part(BaseModel):
    # extra="allow": a record written by a newer or older version keeps every key it had
    model_config = ConfigDict(extra="allow")


class RequestPart(_Part):
    symptoms: str = ""
    language: str = ""
    context: dict[str, str] = Field(default_factory=dict)
    session_id: str | None = None
    condensed_away: list[str] = Field(default_factory=list, description="history sentences left out of the prompt")


class TriagePart(_Part):
    rules_version: str = ""
    red_flags: list[dict[str, Any]] = Field(default_factory=list)


class RetrievedPassage(_Part):
    n: int
    chunk_id: str
    doc_id: str
    version: str = ""
    content_hash: str = ""
    score: float = 0.0
    dense: float = 0.0
    bm25: float = 0.0
    via: str = ""  # "matched document": added from the matched guideline's own sections, not by retrieval

    @classmethod
    def of(cls, n: int, p: Passage, *, via: str = "") -> RetrievedPassage:
        """Passage `n` of the prompt: found by retrieval (with its dense and BM25 scores), or added `via` another
        route (then without scores, which it never had)."""
        how: dict[str, Any] = {"via": via} if via else {"dense": round(p.dense_score, 4), "bm25": round(p.bm25_score, 4)}
        return cls(n=n, chunk_id=p.chunk_id, doc_id=p.doc_id, version=p.version, content_hash=p.content_hash,
                   score=p.score, **how)


class RetrievalPart(_Part):
    best_dense: float = 0.0
    sufficient: bool = False
    candidates: int = 0
    filtered_out_docs: list[str] = Field(default_factory=list)
    passages: list[RetrievedPassage] = Field(default_factory=list)


class PromptPart(_Part):
    template_id: str = ""
    text: str = ""


class GenerationPart(_Part):
    backend: str = ""
    model: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    raw_output: str = ""
    attempts: int = 1
    error: str | None = None


class VerificationPart(_Part):
    items: list[dict[str, Any]] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class UrgencyPart(_Part):
    """How the urgency ladder decided: the level, on what basis, and the criterion it quoted."""

    level: str
    basis: str
    reason: str
    quote: str = ""
    doc_id: str = ""
    chunk_id: str = ""
    model_level: str | None = None
    matches: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, decision: UrgencyDecision, model_level: str | None) -> UrgencyPart:
        """The record of `decision`, with the level the generator proposed (None: it proposed none)."""
        p = decision.passage
        return cls(level=decision.level, basis=decision.basis, reason=decision.reason, quote=decision.quote,
                   doc_id=p.doc_id if p else "", chunk_id=p.chunk_id if p else "", model_level=model_level,
                   matches=[f"{m.level}: {m.criterion.text[:200]}" for m in decision.matches[:5]])


class FailurePart(_Part):
    """A step that failed after triage; the answer then carries the triage result only."""

    step: str
    error_type: str
    message: str


class ConsultationRecord(_Part):
    """Everything needed to replay and review one consultation."""

    request: RequestPart = Field(default_factory=RequestPart)
    triage: TriagePart = Field(default_factory=TriagePart)
    retrieval: RetrievalPart | None = None
    prompt: PromptPart | None = None
    generation: GenerationPart | None = None
    verification: VerificationPart | None = None
    urgency: UrgencyPart | None = None
    failure: FailurePart | None = None
    guard: list[dict[str, Any]] | None = None  # items the serve-time guard dropped, with why
    answer: Advice | dict[str, Any] | None = None
    latency_ms: dict[str, float] = Field(default_factory=dict)
    error: str | None = None

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ConsultationRecord:
        """Load a stored payload of any version."""
        return cls.model_validate(payload)

    def to_payload(self) -> dict[str, Any]:
        """The JSON stored in the trail: sections that were never set are left out, as before."""
        return self.model_dump(mode="json", exclude_unset=True)

    def answer_dict(self) -> dict[str, Any]:
        """The answer as plain JSON whatever version wrote it ({} when none was recorded)."""
        if isinstance(self.answer, Advice):
            return self.answer.model_dump(mode="json")
        return dict(self.answer or {})
