"""Citation and support checks, and the final confidence of every item.

For each item of a draft:

1. Citations must be numbers of passages that were given; others are dropped (and noted).
2. support = max over cited passages of
       1.0                               if the item's text is quoted verbatim in the passage
       |words(item) ∩ words(passage)| / |words(item)|   otherwise (stop words ignored)
   An item with no valid citation, or support < 0.5, is dropped ("unsupported").
   Support in [0.5, 0.75) keeps the item but lowers its confidence one level ("weak").
3. Every number in the item (doses, thresholds, durations) must appear in a cited passage,
   else the item is dropped: a number we cannot trace is never shown to a patient.
4. Final confidence = min(model level, evidence level), where the evidence level comes from
   e = support * r with r = the best retrieval score among its cited passages, clamped to [0, 1]:
   e >= 0.6 -> high, e >= 0.4 -> medium, else low. Then the weak-support downgrade applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.answer.schema import (
    Citation,
    Condition,
    Confidence,
    DraftAdvice,
    SeekCare,
    SelfCareItem,
    SuggestedTest,
)
from rag.text import content_words
from rag.types import Passage

__all__ = ["Verified", "verify", "support_score", "numbers_traceable"]

_NUM = re.compile(r"\d+(?:[.,]\d+)?")
_LEVELS = ("low", "medium", "high")


@dataclass(slots=True)
class Verified:
    conditions: list[Condition] = field(default_factory=list)
    self_care: list[SelfCareItem] = field(default_factory=list)
    seek_care: SeekCare | None = None
    tests: list[SuggestedTest] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    verdicts: list[dict[str, object]] = field(default_factory=list)  # one per item, for the audit trail


def _words(text: str) -> list[str]:
    return content_words(text)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def support_score(item: str, passage: str) -> float:
    """1.0 for a verbatim quote, else the share of the item's words found in the passage."""
    if not item.strip():
        return 0.0
    if _norm(item) in _norm(passage):
        return 1.0
    words = _words(item)
    if not words:
        return 0.0
    have = set(_words(passage))
    return sum(1 for w in words if w in have) / len(words)


def numbers_traceable(item: str, passages: list[str]) -> bool:
    """Every number in the item appears in at least one of the cited passages."""
    nums = set(_NUM.findall(item))
    if not nums:
        return True
    have = set()
    for p in passages:
        have.update(_NUM.findall(p))
    return nums <= have


def _evidence_level(e: float) -> str:
    return "high" if e >= 0.6 else "medium" if e >= 0.4 else "low"


def _min_level(a: str, b: str) -> str:
    return _LEVELS[min(_LEVELS.index(a), _LEVELS.index(b))]


def _lower(level: str) -> str:
    return _LEVELS[max(0, _LEVELS.index(level) - 1)]


def verify(draft: DraftAdvice, passages: list[Passage]) -> Verified:
    """Keep only items whose cited passages support them; attach numbered citations."""
    out = Verified()
    n_max = len(passages)
    cited_support: dict[int, float] = {}

    def check(kind: str, text: str, cites: list[int], model_level: str) -> tuple[list[int], float, Confidence] | None:
        valid = sorted({c for c in cites if 1 <= c <= n_max})
        bad = sorted(set(cites) - set(valid))
        if bad:
            out.notes.append(f"{kind}: citations {bad} name no given passage and were dropped")
        verdict: dict[str, object] = {"kind": kind, "text": text[:300], "citations": valid}
        out.verdicts.append(verdict)
        if not valid:
            verdict["verdict"] = "dropped: no valid citation"
            out.notes.append(f"{kind} dropped: no valid citation")
            return None
        scores = {c: support_score(text, passages[c - 1].text) for c in valid}
        support = max(scores.values())
        verdict["support"] = round(support, 3)
        if support < 0.5:
            verdict["verdict"] = "dropped: unsupported by cited passages"
            out.notes.append(f"{kind} dropped: not supported by its cited passages (support {support:.2f})")
            return None
        if not numbers_traceable(text, [passages[c - 1].text for c in valid]):
            verdict["verdict"] = "dropped: number not in cited passages"
            out.notes.append(f"{kind} dropped: a number in it does not appear in its cited passages")
            return None
        kept = [c for c in valid if scores[c] >= 0.5] or valid
        for c in kept:
            cited_support[c] = max(cited_support.get(c, 0.0), scores[c])
        retrieval = max(min(1.0, max(passages[c - 1].score, 0.0)) for c in kept)
        level = _min_level(model_level, _evidence_level(support * retrieval))
        if support < 0.75:
            level = _lower(level)
            verdict["verdict"] = "kept: weak support, confidence lowered"
        else:
            verdict["verdict"] = "kept: supported"
        verdict["confidence"] = level
        return kept, support, level

    for c in draft.possible_conditions:
        r = check("possible_condition", c.rationale, c.citations, c.confidence)
        if r:
            from rag.answer.icd10 import lookup_icd10  # the table loads on first use

            out.conditions.append(Condition(name=c.name, icd10=lookup_icd10(c.name), rationale=c.rationale,
                                            confidence=r[2], citations=r[0], support=round(r[1], 3)))
    for s in draft.self_care:
        r = check("self_care", s.advice, s.citations, s.confidence)
        if r:
            out.self_care.append(SelfCareItem(advice=s.advice, confidence=r[2], citations=r[0], support=round(r[1], 3)))
    for t in draft.suggested_tests:
        r = check("suggested_test", f"{t.test} {t.reason}" if t.test not in t.reason else t.reason, t.citations, "high")
        if r:
            out.tests.append(SuggestedTest(test=t.test, reason=t.reason, citations=r[0], support=round(r[1], 3)))
    sc = draft.seek_care
    reason, cites = sc.reason, sc.citations
    if sc.reason.strip():
        r = check("seek_care", sc.reason, sc.citations, "high")
        if r is None:
            reason, cites = "", []
        else:
            cites = r[0]
    out.seek_care = SeekCare(needed=sc.needed, urgency=sc.urgency, department=sc.department, reason=reason, citations=cites)
    for n, p in enumerate(passages, start=1):
        s = cited_support.get(n)
        verdict = "not_cited" if s is None else "supported" if s >= 0.75 else "weak"
        out.citations.append(Citation(
            n=n, chunk_id=p.chunk_id, doc_id=p.doc_id, title=p.title, publisher=p.publisher, version=p.version,
            source=p.source, section=p.section, pages=p.pages, quote=p.text, retrieval_score=round(p.score, 4),
            support=verdict, active=p.active,
        ))
    return out
