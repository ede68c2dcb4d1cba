"""model_summary(): a record summary from a language model (openai or transformers backend), grounded afterwards.

The model sees the record's key sections (header, chief complaint, diagnoses, treatment, follow-up; capped in
length) and must answer in the JSON schema below, enforced by the backend's constrained decoding (OpenAI-compatible
`json_schema` response format, xgrammar for transformers). Values must be copied verbatim; we find each one in the
record to give it a span, and the usual checks then drop what is not there. At most one repair; after that (or when
the backend cannot be reached) the extractive summary is returned with a note. The summary sentence itself is always
the extractive one, because free model prose cannot be grounded to spans.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rag.errors import BackendUnavailableError, GenerationError
from rag.records.codes import code_for
from rag.records.entities import fold, recognize
from rag.records.lexicon import load_lexicon
from rag.records.schema import Diagnosis, RecordSummary, Span, Value
from rag.records.sections import split_sections
from rag.records.summary import _DATE, _compose_summary, parse_date, summarize_extractive
from rag.text import detect_language

__all__ = ["ModelSummary", "SUMMARY_SCHEMA", "model_summary", "summary_messages", "locate"]


class _DxOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=120)


class ModelSummary(BaseModel):
    """What the model must return: verbatim excerpts, no spans (we find those)."""

    model_config = ConfigDict(extra="forbid")
    patient_id: str | None = Field(None, max_length=40)
    admission_date: str | None = Field(None, max_length=40)
    discharge_date: str | None = Field(None, max_length=40)
    chief_complaint: str | None = Field(None, max_length=400)
    diagnoses: list[_DxOut] = Field(default_factory=list, max_length=12)
    medications: list[str] = Field(default_factory=list, max_length=30)
    tests: list[str] = Field(default_factory=list, max_length=30)
    treatment_plan: str | None = Field(None, max_length=2000)
    follow_up: str | None = Field(None, max_length=2000)


SUMMARY_SCHEMA: dict[str, Any] = ModelSummary.model_json_schema()
_PROMPT_CHARS = 8000
_KEEP = ("chief_complaint", "diagnoses", "assessment_plan", "treatment", "follow_up")


def summary_messages(text: str, language: str, error: str | None = None, bad: str | None = None) -> list[dict[str, str]]:
    """The chat messages: instructions, then the record's key sections (per-section extraction keeps prompts short)."""
    parts = [text[:1500]]
    for s in split_sections(text):
        if s.kind in _KEEP:
            parts.append(text[max(0, s.start - 30):s.end][:2500])
    excerpt = "\n...\n".join(parts)[:_PROMPT_CHARS]
    system = ("You extract a structured summary from a medical record. Copy every value VERBATIM from the record "
              "(same characters, same language); never paraphrase, never add a diagnosis the record does not state, "
              "leave out diagnoses the record negates or rules out. Dates as written in the record. "
              "Answer with one JSON object only, matching the schema.")
    messages = [{"role": "system", "content": system},
                {"role": "user", "content": f"Record ({language}):\n<<<\n{excerpt}\n>>>\nJSON schema: {json.dumps(SUMMARY_SCHEMA)}"}]
    if error is not None:
        messages += [{"role": "assistant", "content": (bad or "")[:2000]},
                     {"role": "user", "content": f"That output was invalid: {error}. Reply again with one valid JSON object."}]
    return messages


def locate(text: str, value: str, start: int = 0) -> Span | None:
    """The span of `value` in `text`, comparing folded width/case and collapsed whitespace; None when absent."""
    want = " ".join(fold(value).split())
    if not want:
        return None
    folded = fold(text)
    # a regex over the folded record that lets any run of whitespace stand for one space
    pattern = r"\s+".join(re.escape(w) for w in want.split(" "))
    m = re.compile(pattern).search(folded, start)
    return (m.start(), m.end()) if m else None


def _date_value(text: str, raw: str | None) -> Value | None:
    if not raw:
        return None
    parsed = parse_date(raw)
    span = locate(text, raw)
    if parsed is None or span is None:
        return None
    return Value(parsed.isoformat(), [span]) if _DATE.fullmatch(text[span[0]:span[1]]) else None


def _to_summary(text: str, out: ModelSummary, language: str, backend: str) -> RecordSummary:
    s = RecordSummary(language=language, generator=backend)
    missing: list[str] = []

    def one(name: str, raw: str | None) -> Value | None:
        if not raw:
            return None
        span = locate(text, raw)
        if span is None:
            missing.append(name)
            return None
        return Value(text[span[0]:span[1]], [span])

    s.patient_id = one("patient_id", out.patient_id)
    s.admission_date = _date_value(text, out.admission_date)
    s.discharge_date = _date_value(text, out.discharge_date)
    s.chief_complaint = one("chief_complaint", out.chief_complaint)
    s.treatment_plan = one("treatment_plan", out.treatment_plan)
    s.follow_up = one("follow_up", out.follow_up)
    lex = load_lexicon()
    mentions = {(e.start, e.end): e for e in recognize(text) if e.type == "disease"}
    for d in out.diagnoses:
        span = locate(text, d.name)
        if span is None:
            missing.append(f"diagnosis {d.name!r}")
            continue
        ent = mentions.get(span)
        concept = lex.concept(d.name)
        code = ent.icd10 if ent is not None else (code_for(concept.canonical) if concept else code_for(d.name))
        s.diagnoses.append(Diagnosis(text[span[0]:span[1]], code, [span]))
    for name in ("medications", "tests"):
        values: list[Value] = []
        for raw in getattr(out, name):
            v = one(name, raw)
            if v is not None and all(fold(v.value) != fold(x.value) for x in values):
                values.append(v)
        setattr(s, name, values)
    s.summary = _compose_summary(text, s, language)
    if missing:
        s.notes.append("model values not found in the record and dropped: " + ", ".join(missing[:10]))
    return s


def _parse(raw: str) -> ModelSummary:
    from rag.answer.generators.parse import extract_json_object

    data = extract_json_object(raw)
    try:
        return ModelSummary.model_validate(data)
    except ValidationError as exc:
        raise GenerationError(f"the summary JSON does not match the schema: {exc.errors()[0]['msg']}") from None


def _complete(generator: Any, messages: list[dict[str, str]]) -> str:
    """One constrained completion with the generator's own plumbing."""
    if generator.backend == "openai":
        raw, _info = generator._complete(messages, SUMMARY_SCHEMA)
        return str(raw)
    if generator.backend == "transformers":
        with generator._lock:
            grammar = generator._compiler.compile_json_schema(json.dumps(SUMMARY_SCHEMA), any_whitespace=False)
            raw, _info = generator._run(messages, grammar)
        return str(raw)
    raise GenerationError(f"generator backend {generator.backend!r} cannot write record summaries")


def model_summary(text: str, generator: Any, language: str | None = None) -> RecordSummary:
    """The model's summary, grounded; after one failed repair or an unreachable backend, the extractive one with a note."""
    lang = language or detect_language(text[:20000])
    backend = getattr(generator, "backend", "extractive")
    if backend == "extractive":
        return summarize_extractive(text, lang)
    messages = summary_messages(text, lang)
    try:
        raw = _complete(generator, messages)
        try:
            return _to_summary(text, _parse(raw), lang, backend)
        except GenerationError as exc:
            raw2 = _complete(generator, summary_messages(text, lang, str(exc), raw))
            try:
                return _to_summary(text, _parse(raw2), lang, backend)
            except GenerationError as exc2:
                reason = f"unusable model output after one repair ({exc2})"
    except BackendUnavailableError as exc:
        reason = f"model backend unavailable ({type(exc).__name__})"
    fallback = summarize_extractive(text, lang)
    fallback.notes.append(f"{backend} generator: {reason}; this is the extractive summary")
    return fallback
