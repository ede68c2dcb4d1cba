"""consult(): symptoms in, verified and audited advice out.

    validate -> de-identify -> red-flag triage -> retrieve -> (abstain | prompt -> generate -> verify)
    -> urgency = the more urgent of triage and the model (a model can escalate, never de-escalate a
       red flag) -> audit record committed -> answer
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from rag.answer.schema import Advice, ConsultRequest, GeneratorInfo, SeekCare, more_urgent
from rag.backends import Backends
from rag.errors import BackendUnavailableError, ClinragError
from rag.knowledge.search import PatientContext, Retrieval, retrieve
from rag.text import detect_language, words

__all__ = ["consult", "ConsultOutcome", "condense_history", "DISCLAIMERS"]

log = logging.getLogger("clinrag.consult")

DISCLAIMERS = {
    "en": ("This is general information from clinical guidelines ({what}), not a diagnosis or a substitute for a clinician. "
           "If you think this is an emergency, call your local emergency number now."),
    "zh": ("以上为依据临床指南整理的一般性信息（{what}），不是诊断，也不能替代医生面诊。"
           "如认为情况紧急，请立即拨打120或前往最近的急诊。"),
}
_ABSTAIN = {
    "en": "The knowledge base has no guideline passage that covers this question well enough, so no advice is given. Please see a clinician.",
    "zh": "知识库中没有足以回答此问题的指南内容，因此不提供建议。请咨询医生。",
}
_EMERGENCY = {
    "en": "Warning signs of an emergency were found in your description. Seek emergency care now (call your local emergency number).",
    "zh": "您的描述中出现了急症危险信号。请立即就医（拨打120或前往急诊）。",
}


@dataclass(slots=True)
class ConsultOutcome:
    advice: Advice
    audit_seq: int | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)


def condense_history(history: str, symptoms: str, max_chars: int = 600) -> str:
    """Keep the history sentences that share the most words with the symptoms, in their order."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?。！？；\n])\s*", history) if s.strip()]
    if sum(len(s) for s in sentences) <= max_chars:
        return " ".join(sentences)
    q = set(words(symptoms))
    ranked = sorted(range(len(sentences)), key=lambda i: -len(q & set(words(sentences[i]))))
    keep, used = set(), 0
    for i in ranked:
        if used + len(sentences[i]) > max_chars:
            continue
        keep.add(i)
        used += len(sentences[i])
    return " ".join(sentences[i] for i in sorted(keep))


def _describe(backend: str, model: str, language: str) -> str:
    if backend == "extractive":
        return "抽取式：直接引用指南原文，未使用语言模型" if language == "zh" else "extractive: quoted from guideline passages, no language model"
    if language == "zh":
        return f"由语言模型 {model} 依据所引用指南生成，并经引文核对"
    return f"written by the language model {model} from the cited guideline passages, with citations checked"


def consult(request: ConsultRequest, backends: Backends, *, caller: str = "cli", trace_id: str | None = None,
            deadline: float | None = None) -> ConsultOutcome:
    """Run the whole pipeline; the audit record is committed before the answer is returned.

    `deadline` (a time.monotonic() value) is the caller's: when the answer is ready only after it,
    the record's status is `deadline_exceeded`, because the client was told it failed."""
    from rag.answer.prompt import PROMPT_VERSION, render_prompt
    from rag.safety.deid import scrub
    from rag.safety.triage import triage

    settings = backends.settings
    trace_id = trace_id or uuid.uuid4().hex
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = round((now - since) * 1000, 2)
        return now

    language = request.language or detect_language(request.symptoms)
    symptoms = scrub(request.symptoms)
    context: dict[str, str] = {}
    if request.age is not None:
        context["age"] = f"{request.age:g}"
    if request.sex:
        context["sex"] = request.sex
    if request.pregnant is not None:
        context["pregnant"] = "yes" if request.pregnant else "no"
    if request.duration:
        context["duration"] = scrub(request.duration)
    if request.history:
        context["history"] = condense_history(scrub(request.history), symptoms)
    if request.medications:
        context["medications"] = scrub(", ".join(request.medications))
    if request.allergies:
        context["allergies"] = scrub(", ".join(request.allergies))
    earlier: list[str] = []
    sessions = backends.extra.get("sessions")
    if request.session_id and sessions is not None:
        earlier = sessions.earlier(request.session_id)  # type: ignore[attr-defined]
        if earlier:
            context["earlier turns"] = " | ".join(earlier)
    t = lap("deidentify", t0)

    # triage reads the patient's words as written (never logged); history is excluded on purpose:
    # "had a stroke in 2019" is not an emergency today
    tri = triage(" ".join([request.symptoms, request.duration or "", *earlier]), age=request.age,
                 pregnant=request.pregnant, language=language)
    t = lap("triage", t)

    audit_payload: dict[str, Any] = {
        "request": {"symptoms": symptoms, "language": language, "context": context, "session_id": request.session_id},
        "triage": {"rules_version": tri.rules_version, "red_flags": [f.model_dump() for f in tri.red_flags]},
    }
    status = "ok"
    try:
        query = " ".join([symptoms, context.get("duration", ""), *earlier]).strip()
        patient = PatientContext(age=request.age, sex=request.sex if request.sex in {"female", "male"} else None,
                                 pregnant=request.pregnant)
        found: Retrieval = retrieve(query, backends.embedder, backends.store, settings, patient)
        t = lap("retrieve", t)
        audit_payload["retrieval"] = {
            "best_dense": round(found.best_dense, 4), "sufficient": found.sufficient, "candidates": found.candidates,
            "filtered_out_docs": found.filtered_out_docs,
            "passages": [{"n": i, "chunk_id": p.chunk_id, "doc_id": p.doc_id, "version": p.version,
                          "content_hash": p.content_hash, "score": p.score, "dense": round(p.dense_score, 4),
                          "bm25": round(p.bm25_score, 4)} for i, p in enumerate(found.passages, start=1)],
        }
        gen = backends.generator
        if not found.sufficient:
            advice = _abstain(trace_id, language, tri, gen.backend, gen.model, PROMPT_VERSION,
                              "no guideline passage reached the relevance floor")
            status = "abstained"
        else:
            from rag.answer.generators.base import GenerationRequest

            prompt = render_prompt(query, found.passages, language, context)
            audit_payload["prompt"] = {"template_id": prompt.template_id, "text": prompt.text}
            result = gen.generate(GenerationRequest(query=query, language=language, passages=found.passages,
                                                    messages=prompt.messages, triage_urgency=tri.urgency))
            t = lap("generate", t)
            audit_payload["generation"] = {"backend": result.backend, "model": result.model, "params": result.params,
                                           "raw_output": result.raw_output, "attempts": result.attempts, "error": result.error}
            if result.draft is None:
                advice = _abstain(trace_id, language, tri, result.backend, result.model, prompt.template_id,
                                  f"the model's output could not be used ({result.error})")
                status = "abstained"
            else:
                advice, verdicts = _assemble(trace_id, language, tri, result, found, prompt.template_id)
                audit_payload["verification"] = {"items": verdicts, "notes": advice.notes}
                if not advice.evidence_sufficient:
                    status = "abstained"
            lap("verify", t)
    except (BackendUnavailableError, ClinragError) as exc:
        audit_payload["error"] = f"{type(exc).__name__}: {exc}"
        timings["total"] = round((time.perf_counter() - t0) * 1000, 2)
        audit_payload["latency_ms"] = timings
        backends.audit.append(trace_id=trace_id, kind="consultation", caller=caller, status="error", payload=audit_payload)
        log.warning("consultation %s failed: %s", trace_id, type(exc).__name__)
        exc.trace_id = trace_id  # type: ignore[attr-defined]  # the API puts it in the error body
        raise
    timings["total"] = round((time.perf_counter() - t0) * 1000, 2)
    if deadline is not None and time.monotonic() > deadline:
        status = "deadline_exceeded"  # the client already got a 504; the answer is kept for the audit
    audit_payload["answer"] = advice.model_dump()
    audit_payload["latency_ms"] = timings
    record = backends.audit.append(trace_id=trace_id, kind="consultation", caller=caller, status=status, payload=audit_payload)
    if request.session_id and sessions is not None:
        sessions.add(request.session_id, symptoms)  # type: ignore[attr-defined]
    # no patient text in logs: ids, counts and timings only
    log.info("consultation %s status=%s urgency=%s red_flags=%d passages=%d total_ms=%.0f", trace_id, status,
             advice.urgency, len(advice.red_flags), len(advice.citations), timings["total"])
    return ConsultOutcome(advice=advice, audit_seq=getattr(record, "seq", None), timings_ms=timings)


def _abstain(trace_id: str, language: str, tri: Any, backend: str, model: str, prompt_version: str, why: str) -> Advice:
    emergency = tri.urgency == "emergency"
    reason = _EMERGENCY[language] if emergency else _ABSTAIN[language]
    dept = ("急诊科" if language == "zh" else "Emergency department") if emergency else ("全科/普通内科" if language == "zh" else "Primary care")
    return Advice(
        trace_id=trace_id, language=language, urgency="emergency" if emergency else "soon", red_flags=list(tri.red_flags),
        evidence_sufficient=False, possible_conditions=[], self_care=[], suggested_tests=[], citations=[],
        seek_care=SeekCare(needed=True, urgency="emergency" if emergency else "soon", department=dept, reason=reason, citations=[]),
        generator=GeneratorInfo(backend=backend, model=model, prompt_version=prompt_version, description=_describe(backend, model, language)),
        disclaimer=DISCLAIMERS[language].format(what=_describe(backend, model, language)), notes=[f"abstained: {why}"],
    )


def _assemble(trace_id: str, language: str, tri: Any, result: Any, found: Retrieval,
              prompt_version: str) -> tuple[Advice, list[dict[str, object]]]:
    from rag.safety.verify import verify

    checked = verify(result.draft, found.passages)
    seek = checked.seek_care
    assert seek is not None
    urgency = more_urgent(tri.urgency or "self_care", seek.urgency)
    if tri.urgency == "emergency":
        # red flags win whatever the model said
        seek = SeekCare(needed=True, urgency="emergency", department="急诊科" if language == "zh" else "Emergency department",
                        reason=_EMERGENCY[language] + (" " + seek.reason if seek.reason else ""), citations=seek.citations)
    elif seek.urgency != urgency:
        seek = seek.model_copy(update={"urgency": urgency})
    has_items = bool(checked.conditions or checked.self_care or checked.tests or seek.reason)
    notes = checked.notes
    if not has_items:
        notes = [*notes, "abstained: no generated item survived citation checks"]
        seek = seek.model_copy(update={"needed": True, "reason": seek.reason or _ABSTAIN[language]})
        if urgency in {"routine", "self_care"}:
            urgency = "soon"
            seek = seek.model_copy(update={"urgency": "soon"})
    what = _describe(result.backend, result.model, language)
    advice = Advice(
        trace_id=trace_id, language=language, urgency=urgency, red_flags=list(tri.red_flags), evidence_sufficient=has_items,
        possible_conditions=checked.conditions, self_care=checked.self_care, seek_care=seek, suggested_tests=checked.tests,
        citations=checked.citations, generator=GeneratorInfo(backend=result.backend, model=result.model,
                                                             prompt_version=prompt_version, description=what),
        disclaimer=DISCLAIMERS[language].format(what=what), notes=notes,
    )
    return advice, checked.verdicts

