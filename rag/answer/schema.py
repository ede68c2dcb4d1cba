"""The answer schema: one JSON shape for every generator, the CLI and HTTP.

`Draft*` models are what a generator (model or extractive) produces: items that cite passages by
their number in the prompt. `Advice` is what clients get after verification: the same items with
checked citations and final confidence, plus triage, sources and provenance.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rag.published import fields_model, read_fields
from rag.types import Passage

__all__ = [
    "Confidence",
    "Urgency",
    "URGENCY_ORDER",
    "DraftCondition",
    "DraftSelfCare",
    "DraftSeekCare",
    "DraftTest",
    "DraftAdvice",
    "RedFlag",
    "OTHER_LANGUAGE_NOTES",
    "Condition",
    "SelfCareItem",
    "SeekCare",
    "SuggestedTest",
    "PassageSource",
    "Citation",
    "GeneratorInfo",
    "Advice",
    "ConsultRequest",
    "more_urgent",
]

Confidence = Literal["high", "medium", "low"]
Urgency = Literal["emergency", "urgent", "soon", "routine", "self_care"]
# most urgent first; max() over this order picks the more urgent of two levels
URGENCY_ORDER: tuple[str, ...] = ("emergency", "urgent", "soon", "routine", "self_care")


def more_urgent(a: str, b: str) -> str:
    """The more urgent of two urgency levels."""
    return a if URGENCY_ORDER.index(a) <= URGENCY_ORDER.index(b) else b


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- what a generator returns (citations are passage numbers, 1-based) ---------------------


class DraftCondition(_Strict):
    name: str = Field(max_length=200)
    rationale: str = Field(max_length=1000)
    confidence: Confidence
    citations: list[int] = Field(max_length=8)


class DraftSelfCare(_Strict):
    advice: str = Field(max_length=1000)
    confidence: Confidence
    citations: list[int] = Field(max_length=8)


class DraftSeekCare(_Strict):
    needed: bool
    urgency: Urgency
    department: str = Field(max_length=200)
    reason: str = Field(max_length=1000)
    citations: list[int] = Field(max_length=8)


class DraftTest(_Strict):
    test: str = Field(max_length=200)
    reason: str = Field(max_length=1000)
    citations: list[int] = Field(max_length=8)


class DraftAdvice(_Strict):
    possible_conditions: list[DraftCondition] = Field(default_factory=list, max_length=6)
    self_care: list[DraftSelfCare] = Field(default_factory=list, max_length=8)
    seek_care: DraftSeekCare
    suggested_tests: list[DraftTest] = Field(default_factory=list, max_length=6)


# --- what clients get ----------------------------------------------------------------------

# The note an answer carries when some of its items quote a guideline in another language than the question's (a
# Chinese complaint answered from the only guideline on it, in English). "all": every quoted passage is in the other
# language; "some": the answer quotes guidelines in both languages. `rag.answer.quality` reads an item in the other
# language as said (not mixed) only when the answer carries one of these notes.
OTHER_LANGUAGE_NOTES: dict[str, dict[str, str]] = {
    "all": {
        "en": "language: no English guideline matched this question; the items quote a guideline in another language.",
        "zh": "语言：没有与您的问题相符的中文指南，以下条目引用英文指南原文。",
    },
    "some": {
        "en": "language: some items quote a guideline in another language (no English guideline covers them).",
        "zh": "语言：部分条目引用英文指南原文（没有与之相符的中文指南内容）。",
    },
}


class RedFlag(_Strict):
    rule_id: str
    label: str
    matched_text: str
    source: str
    rules_version: str = ""
    # which layer found it: "rule" (regex files), "meaning" (clause vs exemplar bank), "guideline" (a retrieved
    # guideline's own red-flag sentence); defaults keep records written before the layers existed valid
    layer: Literal["rule", "meaning", "guideline"] = "rule"
    concept: str = ""
    score: float | None = None  # meaning/guideline layers: the similarity that crossed the threshold
    doc_id: str | None = None  # guideline layer: the document whose red-flag sentence matched
    chunk_id: str | None = None
    quote: str | None = None  # guideline layer: the red-flag sentence, quoted


class Condition(_Strict):
    name: str
    icd10: str | None = Field(None, description="looked up in the bundled ICD-10-CM table, never from a model")
    rationale: str
    confidence: Confidence
    citations: list[int]
    support: float = Field(0.0, description="0..1, how well the cited passages support the item")


class SelfCareItem(_Strict):
    advice: str
    confidence: Confidence
    citations: list[int]
    support: float = 0.0


class SeekCare(_Strict):
    needed: bool
    urgency: Urgency
    department: str
    reason: str
    citations: list[int]


class SuggestedTest(_Strict):
    test: str
    reason: str
    citations: list[int]
    support: float = 0.0


# the passage's fields that say where it came from, as a Passage declares them
_SOURCE_FIELDS = ("chunk_id", "doc_id", "title", "publisher", "version", "source", "section", "pages")


class PassageSource(fields_model(Passage, _Strict, _SOURCE_FIELDS)):  # type: ignore[misc]  # a computed base
    """Which guideline passage, of which document version: what a citation and the passage API both show."""

    @classmethod
    def fields_of(cls, p: Passage) -> dict[str, str]:
        """These fields, read from a retrieved passage."""
        return read_fields(PassageSource, p)


class _Numbered(_Strict):
    n: int


class Citation(PassageSource, _Numbered):  # fields in reverse MRO order: n, then the source, then these
    quote: str
    retrieval_score: float
    support: Literal["supported", "weak", "unsupported", "not_cited"] = "not_cited"
    active: bool = True


class GeneratorInfo(_Strict):
    backend: str
    model: str
    prompt_version: str
    description: str = Field("", description="what produced the text, in plain words")


class Advice(_Strict):
    trace_id: str
    language: Literal["en", "zh"]
    urgency: Urgency
    red_flags: list[RedFlag]
    evidence_sufficient: bool
    possible_conditions: list[Condition]
    self_care: list[SelfCareItem]
    seek_care: SeekCare
    suggested_tests: list[SuggestedTest]
    citations: list[Citation]
    generator: GeneratorInfo
    disclaimer: str
    notes: list[str] = Field(default_factory=list, description="verification and abstention notes")
    status: Literal["ok", "abstained", "degraded"] = Field(
        "ok", description="degraded: a step after triage failed; the answer carries the triage result and urgency only")


# --- what clients send ---------------------------------------------------------------------


class ConsultRequest(_Strict):
    """A patient's consultation request; free text is de-identified before it is logged or stored."""

    symptoms: str = Field(min_length=1, max_length=4000, description="the patient's own words, English or Chinese")
    age: float | None = Field(None, ge=0, le=130, description="age in years (0.1 = about five weeks)")
    sex: Literal["female", "male", "other"] | None = None
    pregnant: bool | None = None
    duration: str | None = Field(None, max_length=200, description="how long, e.g. '3 days', '两周'")
    history: str | None = Field(None, max_length=20_000, description="relevant history; long records are condensed")
    medications: list[str] = Field(default_factory=list, max_length=50)
    allergies: list[str] = Field(default_factory=list, max_length=50)
    language: Literal["en", "zh"] | None = Field(None, description="answer language; default: detected from symptoms")
    session_id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$",
                                   description="earlier turns with the same id are taken into account")
