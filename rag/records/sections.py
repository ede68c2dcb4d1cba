"""split_sections(): the headed sections of an admission/discharge record or clinic note, with character spans.

A header starts a line (after optional Markdown #, 【, or numbering like "一、" / "1.") and ends with a colon, 】 or the
line end: 主诉, 现病史, 既往史, 体格检查, 辅助检查, 诊断, 治疗经过, 出院医嘱; Chief complaint, HPI, PMH, Exam,
Investigations, Assessment, Plan, Discharge instructions, with their usual variants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Section", "split_sections", "SECTION_KINDS"]

# kind -> header names (matched case-insensitively, whole header)
_HEADERS: dict[str, tuple[str, ...]] = {
    "chief_complaint": ("主诉", "chief complaint", "cc", "presenting complaint", "reason for admission", "reason for visit"),
    "hpi": ("现病史", "history of present illness", "hpi", "history of presenting complaint", "present illness"),
    "pmh": ("既往史", "个人史", "婚育史", "家族史", "过敏史", "past medical history", "pmh", "past history", "medical history",
            "social history", "family history", "allergies", "medications on admission", "home medications"),
    "exam": ("体格检查", "查体", "入院查体", "专科检查", "physical examination", "physical exam", "examination", "exam",
             "on examination", "vital signs"),
    "tests": ("辅助检查", "实验室检查", "检查结果", "入院后检查", "investigations", "labs", "labs/imaging", "laboratory",
              "laboratory results", "results", "imaging", "diagnostics", "studies", "pertinent results"),
    "progress": ("病程记录", "日常病程记录", "查房记录", "hospital course", "progress notes", "progress note", "course in hospital",
                 "clinical course"),
    "diagnoses": ("出院诊断", "入院诊断", "诊断", "初步诊断", "最后诊断", "assessment", "diagnosis", "diagnoses", "impression",
                  "discharge diagnosis", "discharge diagnoses", "final diagnosis", "admission diagnosis", "problem list"),
    "assessment_plan": ("assessment and plan", "assessment & plan", "assessment/plan", "impression and plan"),
    "treatment": ("治疗经过", "诊疗经过", "住院经过", "诊治经过", "治疗方案", "治疗", "处理", "处理意见", "处置", "plan", "treatment",
                  "management", "treatment plan", "brief hospital course"),
    "follow_up": ("出院医嘱", "出院建议", "出院指导", "医嘱", "随访", "建议", "随诊", "discharge instructions", "discharge plan",
                  "follow-up", "follow up", "followup", "followup instructions", "follow-up instructions",
                  "follow up instructions", "instructions", "disposition"),
    "medications": ("出院带药", "discharge medications", "medications on discharge"),
    "other": ("入院情况", "出院情况", "discharge condition", "condition on discharge", "subjective", "objective"),
}
SECTION_KINDS: tuple[str, ...] = tuple(_HEADERS)
_BY_NAME = {name: kind for kind, names in _HEADERS.items() for name in names}
_NAMES = "|".join(re.escape(n) for n in sorted(_BY_NAME, key=len, reverse=True))
_HEADER = re.compile(
    rf"^[ \t]*(?:#{{1,6}}[ \t]*)?(?:[一二三四五六七八九十]+[、.．]|\d{{1,2}}[.、)][ \t]*)?[【\[]?(?P<name>{_NAMES})[】\]]?"
    rf"[ \t]*(?:[:：][ \t]*|[ \t]*$)",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True, slots=True)
class Section:
    """One section: its kind, the header as written, and the span of its body (header excluded, edges trimmed)."""

    kind: str
    header: str
    start: int
    end: int


def split_sections(text: str) -> list[Section]:
    """Sections in reading order; text before the first header (identifiers, dates) is not a section."""
    heads = []
    for m in _HEADER.finditer(text):
        name = m.group("name")
        # "cc", "exam", "plan" and friends start a section only with a colon or alone on their line, which the
        # pattern demands; a bare "Plan" inside a sentence never matches because it must start the line
        heads.append((m.start(), m.end(), _BY_NAME[name.lower()], name))
    out: list[Section] = []
    for i, (_, body_start, kind, name) in enumerate(heads):
        body_end = heads[i + 1][0] if i + 1 < len(heads) else len(text)
        s, e = body_start, body_end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        out.append(Section(kind, name, s, e))
    return out
