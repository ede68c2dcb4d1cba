"""Answer quality on labelled vignettes (`clinrag eval answers`).

A vignette is one JSON line: {"symptoms", "age", "sex", "pregnant", "docs": [doc ids related to the
complaint], "must": [phrases a good answer contains], "must_not": [phrases it must not contain],
"abstain": true for questions outside what the guidelines cover}. Each runs through the whole
consultation pipeline; the answer's items are then read back against the labels.

Language (issue 12: "an answer never mixes languages unless it says it quotes a guideline in another language"):
- an item in the other language than the answer (an English self-care line in a Chinese answer) is *said* when the
  answer carries the other-language note (`OTHER_LANGUAGE_NOTES`), and *mixed* otherwise;
- an item in the answer's language whose own wording, outside quotation marks and 《titles》, holds a run of three or
  more words of the other language (an English explanation inside a Chinese seek-care reason) is *mixed wording*:
  no note covers it, since it is no quotation.
`mixed_language_items` counts the mixed and the mixed-wording items (the violations; `mixed_language_breakdown` splits
them); `other_language_items_noted` counts the said ones apart. Before round 9 of docs/answers.md the measure was the
other-language items whether said or not, and no mixed wording: that is `other_language_not_noted` plus
`other_language_items_noted`.

Translations: the starter set names a guideline's Chinese version `<id>-zh` (burns and burns-zh). By default a label
names the guideline, whichever language it is cited in: a Chinese answer that cites burns-zh for a vignette labelled
`burns` (written before the Chinese version existed) cites the right guideline. `translations=False` scores the labels
as written.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from rag.answer.schema import OTHER_LANGUAGE_NOTES, Advice, ConsultRequest
from rag.text import CJK_RANGE

__all__ = ["Vignette", "ItemView", "answer_items", "adult_only", "mixed_wording", "says_other_language", "score_answer",
           "evaluate_answers", "load_vignettes", "same_guidelines"]

_CJK = re.compile(f"[{CJK_RANGE}]")
# quotations and titles: a quoted guideline sentence or a 《title》 keeps its own language
_QUOTED = re.compile(r"“[^”]*”|《[^》]*》|\"[^\"]*\"")
_EN_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ,]+[A-Za-z][A-Za-z'’-]*){2,}")
_NOTES = {text for by_language in OTHER_LANGUAGE_NOTES.values() for text in by_language.values()}
# adult-only wording, kept apart from the generator's own filter so the measure does not grade itself
_ADULT_EN = re.compile(r"\badults?\b|\bgrown-ups?\b|\b(?:men|women) over\b", re.I)
_CHILD_EN = re.compile(r"\bchild|\bchildren|\bkids?\b|\bbab(?:y|ies)\b|\binfants?\b|\bteen|\bunder-?\d+s?\b|\baged? \d", re.I)
_ADULT_ZH = re.compile(r"成人|成年人")
_CHILD_ZH = re.compile(r"儿童|孩子|婴儿|宝宝|小儿|岁以上|岁以下")


@dataclass(frozen=True, slots=True)
class Vignette:
    """One labelled consultation."""

    symptoms: str
    age: float | None = None
    sex: str | None = None
    pregnant: bool | None = None
    docs: tuple[str, ...] = ()
    must: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    abstain: bool = False


@dataclass(frozen=True, slots=True)
class ItemView:
    """One answer item flattened to text with the documents it cites."""

    role: str  # condition | self_care | seek_care | test
    text: str
    docs: tuple[str, ...]


def load_vignettes(lines: Iterable[str]) -> list[Vignette]:
    """Parse JSON lines; a bad line raises ValueError naming the line and the expected shape."""
    import json

    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out.append(Vignette(symptoms=str(row["symptoms"]), age=row.get("age"), sex=row.get("sex"),
                                pregnant=row.get("pregnant"), docs=tuple(row.get("docs", [])), must=tuple(row.get("must", [])),
                                must_not=tuple(row.get("must_not", [])), abstain=bool(row.get("abstain", False))))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"line {n}: {exc!s}; expected {{\"symptoms\": ..., \"age\", \"sex\", \"pregnant\", "
                             f"\"docs\": [...], \"must\": [...], \"must_not\": [...]}}") from exc
    return out


def answer_items(advice: Advice) -> list[ItemView]:
    """Every item of an answer with the document ids its citations point to."""
    doc_of = {c.n: c.doc_id for c in advice.citations}

    def docs(ns: list[int]) -> tuple[str, ...]:
        return tuple(sorted({doc_of[n] for n in ns if n in doc_of}))

    items = [ItemView("condition", f"{c.name}: {c.rationale}", docs(c.citations)) for c in advice.possible_conditions]
    items += [ItemView("self_care", s.advice, docs(s.citations)) for s in advice.self_care]
    if advice.seek_care.citations:
        items.append(ItemView("seek_care", advice.seek_care.reason, docs(advice.seek_care.citations)))
    items += [ItemView("test", f"{t.test}: {t.reason}", docs(t.citations)) for t in advice.suggested_tests]
    return items


def adult_only(text: str) -> bool:
    """True when the text addresses adults and names no child group."""
    if _ADULT_EN.search(text) and not _CHILD_EN.search(text):
        return True
    return bool(_ADULT_ZH.search(text) and not _CHILD_ZH.search(text))


def says_other_language(advice: Advice) -> bool:
    """True when the answer's notes say that items quote a guideline in another language."""
    return any(n in _NOTES for n in advice.notes)


def mixed_wording(text: str, language: str) -> bool:
    """True when an item written in the answer's language holds the other language outside quotations and titles."""
    outside = _QUOTED.sub(" ", text)
    return bool(_EN_RUN.search(outside)) if language == "zh" else bool(_CJK.search(outside))


def _answer_text(advice: Advice) -> str:
    parts = [f"{c.name} {c.rationale}" for c in advice.possible_conditions]
    parts += [s.advice for s in advice.self_care]
    parts += [advice.seek_care.department, advice.seek_care.reason]
    parts += [f"{t.test} {t.reason}" for t in advice.suggested_tests]
    return "\n".join(parts).lower()


@dataclass(slots=True)
class AnswerScore:
    """What one answer did against its labels."""

    cited_right_doc: bool | None  # None when the vignette names no document
    must_found: list[str] = field(default_factory=list)
    must_missing: list[str] = field(default_factory=list)
    must_not_found: list[str] = field(default_factory=list)
    unrelated_items: list[str] = field(default_factory=list)
    adult_items_for_child: list[str] = field(default_factory=list)
    mixed_language_items: list[str] = field(default_factory=list)  # in the other language, not said
    mixed_wording_items: list[str] = field(default_factory=list)  # the answer's language with the other one inside
    other_language_items_noted: list[str] = field(default_factory=list)
    emergency_self_care: int = 0
    abstained: bool = False
    roles: Counter[str] = field(default_factory=Counter)
    support: Counter[str] = field(default_factory=Counter)


def same_guidelines(doc_ids: Iterable[str]) -> set[str]:
    """The ids with their other-language versions by the starter set's naming (`burns` and `burns-zh`)."""
    out: set[str] = set()
    for d in doc_ids:
        out |= {d, d.removesuffix("-zh") if d.endswith("-zh") else f"{d}-zh"}
    return out


def score_answer(v: Vignette, advice: Advice, translations: bool = True) -> AnswerScore:
    """Compare one answer with its vignette's labels (see the module docstring for `translations`)."""
    items = answer_items(advice)
    text = _answer_text(advice)
    cited = {d for it in items for d in it.docs}
    related = same_guidelines(v.docs) if translations else set(v.docs)
    s = AnswerScore(cited_right_doc=bool(cited & related) if v.docs else None)
    for phrase in v.must:
        (s.must_found if phrase.lower() in text else s.must_missing).append(phrase)
    s.must_not_found = [p for p in v.must_not if p.lower() in text]
    noted = says_other_language(advice)
    for it in items:
        s.roles[it.role] += 1
        if v.docs and it.docs and not set(it.docs) & related:
            s.unrelated_items.append(f"{it.role} from {','.join(it.docs)}: {it.text[:120]}")
        if v.age is not None and v.age < 18 and adult_only(it.text):
            s.adult_items_for_child.append(f"{it.role}: {it.text[:120]}")
        zh_item = bool(_CJK.search(it.text))
        if zh_item != (advice.language == "zh"):
            (s.other_language_items_noted if noted else s.mixed_language_items).append(f"{it.role}: {it.text[:80]}")
        elif mixed_wording(it.text, advice.language):
            s.mixed_wording_items.append(f"{it.role}: {it.text[:160]}")
    for c in advice.citations:
        if c.support != "not_cited":
            s.support[c.support] += 1
    s.emergency_self_care = len(advice.self_care) if advice.urgency == "emergency" else 0
    s.abstained = not advice.evidence_sufficient
    return s


def evaluate_answers(vignettes: list[Vignette], answer: Callable[[ConsultRequest], Advice],
                     translations: bool = True) -> dict[str, Any]:
    """Run every vignette through `answer` and aggregate the measures (see the module docstring)."""
    rows: list[dict[str, Any]] = []
    roles: Counter[str] = Counter()
    support: Counter[str] = Counter()
    with_docs = right = must_total = must_hit = must_not_hits = 0
    unrelated = adult = mixed = wording = noted = emergency_answers = emergency_with_self_care = 0
    offtopic = offtopic_abstained = ontopic_abstained = 0
    for v in vignettes:
        req = ConsultRequest.model_validate({"symptoms": v.symptoms, "age": v.age, "sex": v.sex, "pregnant": v.pregnant})
        advice = answer(req)
        s = score_answer(v, advice, translations)
        roles.update(s.roles)
        support.update(s.support)
        if v.docs:
            with_docs += 1
            right += bool(s.cited_right_doc)
            ontopic_abstained += s.abstained
        if v.abstain:
            offtopic += 1
            offtopic_abstained += s.abstained
        must_total += len(v.must)
        must_hit += len(s.must_found)
        must_not_hits += len(s.must_not_found)
        unrelated += len(s.unrelated_items)
        adult += len(s.adult_items_for_child)
        mixed += len(s.mixed_language_items)
        wording += len(s.mixed_wording_items)
        noted += len(s.other_language_items_noted)
        if advice.urgency == "emergency":
            emergency_answers += 1
            emergency_with_self_care += s.emergency_self_care > 0
        problems = {k: val for k, val in {
            "right_doc_not_cited": v.docs if s.cited_right_doc is False else None,
            "must_missing": s.must_missing, "must_not_found": s.must_not_found, "unrelated_items": s.unrelated_items,
            "adult_items_for_child": s.adult_items_for_child, "mixed_language_items": s.mixed_language_items,
            "mixed_wording_items": s.mixed_wording_items, "other_language_items_noted": s.other_language_items_noted,
            "off_topic_answered": True if v.abstain and not s.abstained else None,
        }.items() if val}
        rows.append({"symptoms": v.symptoms, "age": v.age, "urgency": advice.urgency, "abstained": s.abstained,
                     "roles": dict(s.roles), **problems})
    n = len(vignettes)
    return {
        "vignettes": n,
        "right_guideline_cited": round(right / with_docs, 4) if with_docs else None,
        "must_recall": round(must_hit / must_total, 4) if must_total else None,
        "must_not_violations": must_not_hits,
        "items_from_unrelated_documents": unrelated,
        "adult_only_items_for_children": adult,
        "mixed_language_items": mixed + wording,
        "mixed_language_breakdown": {"other_language_not_noted": mixed, "mixed_wording": wording},
        "other_language_items_noted": noted,
        "emergency_answers_with_self_care": f"{emergency_with_self_care}/{emergency_answers}",
        "off_topic_abstained": f"{offtopic_abstained}/{offtopic}",
        "on_topic_abstained": f"{ontopic_abstained}/{with_docs}",
        "items_per_role": {k: round(c / n, 2) for k, c in sorted(roles.items())} if n else {},
        "support_verdicts": dict(sorted(support.items())),
        "answers": rows,
    }
