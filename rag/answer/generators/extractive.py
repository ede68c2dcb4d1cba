"""The default generator: no language model. Advice is composed of sentences copied verbatim from
the retrieved passages, chosen by overlap with the patient's words and by the section they come
from (self-care, when to seek care, tests). Every item cites the passage its sentence came from.
Deterministic: the same passages and question always give the same answer."""

from __future__ import annotations

import re

from rag.answer.generators.base import GenerationRequest, GenerationResult
from rag.answer.schema import Confidence, DraftAdvice, DraftCondition, DraftSeekCare, DraftSelfCare, DraftTest
from rag.text import QUESTION_STOP, content_words, words
from rag.types import Passage

__all__ = ["ExtractiveGenerator", "split_sentences", "DESCRIPTION"]

DESCRIPTION = "extractive: sentences quoted from the cited guideline passages, no language model"
_SENT = re.compile(r"(?<=[.!?。！？；])\s+|(?<=[。！？；])|\n+")
_ROLES = {
    "self_care": ("self-care", "self care", "at home", "home care", "居家", "自我护理", "护理"),
    "seek_care": ("when to see", "seek", "clinician", "which department", "何时就诊", "就诊", "科室", "就医"),
    "tests": ("test", "investigation", "检查", "化验"),
    "red_flags": ("red flag", "emergency", "危险信号", "急诊"),
    "assessment": ("assessment", "who this applies", "overview", "评估", "适用", "概述"),
}
_DEPARTMENTS = [
    ("emergency department", "Emergency department"), ("urgent care", "Urgent care"), ("cardiolog", "Cardiology"),
    ("neurolog", "Neurology"), ("dermatolog", "Dermatology"), ("gastroenterolog", "Gastroenterology"),
    ("obstetric", "Obstetrics"), ("paediatric", "Paediatrics"), ("pediatric", "Paediatrics"), ("endocrinolog", "Endocrinology"),
    ("pulmonolog", "Pulmonology"), ("respiratory", "Respiratory medicine"), ("mental health", "Mental health services"),
    ("sexual health", "Sexual health clinic"), ("urolog", "Urology"), ("orthop", "Orthopaedics"),
    ("primary care", "Primary care"), ("family doctor", "Primary care"), ("general practi", "Primary care"),
    ("发热门诊", "发热门诊"), ("急诊", "急诊科"), ("心内科", "心内科"), ("神经内科", "神经内科"), ("消化内科", "消化内科"),
    ("内分泌科", "内分泌科"), ("呼吸内科", "呼吸内科"), ("皮肤科", "皮肤科"), ("儿科", "儿科"), ("全科", "全科"),
]


_SOFT_BREAK = re.compile(r"\n(?!\n)(?!\s*(?:[-*•]|\d+[.)])\s)")


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage (English and Chinese punctuation), list markers stripped."""
    out = []
    # a single line break inside a paragraph is layout (hard-wrapped text), not a sentence end
    for s in _SENT.split(_SOFT_BREAK.sub(" ", text)):
        s = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", s).strip()
        # a sentence that introduces a list ("See a doctor if:") says nothing on its own;
        # questions ("How many days has it lasted?") guide the clinician; they are not advice
        if len(words(s)) >= 4 and not s.startswith("#") and not s.rstrip().endswith((":", "：", "?", "？")):
            out.append(s)
    return out


def _words(text: str) -> set[str]:
    return set(content_words(text, QUESTION_STOP))


def _role(p: Passage) -> str:
    section = p.section.lower()
    leaf = section.split(" > ")[-1]
    for role, keys in _ROLES.items():
        if any(k in leaf for k in keys):
            return role
    return "other"


def _department(texts: list[str], language: str) -> str:
    joined = " ".join(texts).lower()
    for key, name in _DEPARTMENTS:
        if key in joined and (language == "zh") == bool(re.search(r"[\u4e00-\u9fff]", name)):
            return name
    return "全科/普通内科" if language == "zh" else "Primary care"


class ExtractiveGenerator:
    """Grounded by construction: it can only repeat what the passages say."""

    backend = "extractive"
    model = "none"

    def generate(self, request: GenerationRequest) -> GenerationResult:
        q = _words(request.query)
        by_role: dict[str, list[tuple[float, str, int]]] = {}
        for n, p in enumerate(request.passages, start=1):
            role = _role(p)
            for s in split_sentences(p.text):
                overlap = len(q & _words(s)) / (len(_words(s)) ** 0.5 or 1.0)
                by_role.setdefault(role, []).append((overlap + p.score, s, n))
        for items in by_role.values():
            items.sort(key=lambda t: (-t[0], t[2], t[1]))

        def level(score: float) -> Confidence:
            return "high" if score >= 0.9 else "medium" if score >= 0.6 else "low"

        conditions: list[DraftCondition] = []
        describing = by_role.get("assessment", []) + by_role.get("other", [])
        describing.sort(key=lambda t: (-t[0], t[2], t[1]))
        seen_docs: set[str] = set()
        for p in request.passages:
            if p.doc_id in seen_docs or len(conditions) >= 3:
                continue
            seen_docs.add(p.doc_id)
            # the rationale must describe the condition (assessment text), not say where to go
            best = next((t for t in describing if request.passages[t[2] - 1].doc_id == p.doc_id), None)
            if best is None:
                continue
            conditions.append(DraftCondition(name=p.title, rationale=best[1][:1000], confidence=level(p.score + 0.3),
                                             citations=[best[2]]))
        self_care = [DraftSelfCare(advice=s[:1000], confidence=level(score), citations=[n])
                     for score, s, n in by_role.get("self_care", [])[:4]]
        tests = [DraftTest(test=s[:200], reason=s[:1000], citations=[n]) for _, s, n in by_role.get("tests", [])[:3]]
        seek = by_role.get("seek_care", [])[:2]
        urgency = "emergency" if request.triage_urgency == "emergency" else ("soon" if seek else "routine")
        seek_care = DraftSeekCare(
            needed=True, urgency=urgency,
            department=_department([s for _, s, _ in seek], request.language) if urgency != "emergency" else
            ("急诊科" if request.language == "zh" else "Emergency department"),
            reason=" ".join(s for _, s, _ in seek)[:1000], citations=sorted({n for _, _, n in seek}),
        )
        draft = DraftAdvice(possible_conditions=conditions, self_care=self_care, seek_care=seek_care, suggested_tests=tests)
        return GenerationResult(draft=draft, raw_output=draft.model_dump_json(), backend=self.backend, model=self.model,
                                params={}, description=DESCRIPTION)
