"""Record summaries: the extractive generator (sections + entities + dates, no model) and the output checks.

summarize_extractive(text) finds the sections, extracts each field from the section it belongs in, and merges
duplicates keeping the first span. check_summary(text, summary) runs the three layers every generator's output
goes through (schema is the dataclass itself; required fields and date order; grounding: every value found at its
span after folding whitespace and full/half width, diagnoses not negated there, codes in the table) and drops what
fails, with a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from rag.records.codes import code_exists, code_for
from rag.records.entities import Entity, _negated, fold, recognize
from rag.records.lexicon import load_lexicon
from rag.records.schema import Diagnosis, RecordSummary, Span, Value
from rag.records.sections import Section, split_sections
from rag.text import detect_language

__all__ = ["summarize_extractive", "check_summary", "check_grounding", "GroundingReport", "parse_date", "ground_text"]

# --- dates ----------------------------------------------------------------------------------------------------------

_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_MON = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    r"(?P<ymd>(?P<y1>(?:19|20)\d{2})\s*(?:年|[-/.])\s*(?P<m1>\d{1,2})\s*(?:月|[-/.])\s*(?P<d1>\d{1,2})\s*[日号]?)"
    rf"|(?P<dmy>(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m2>{_MON})\s*,?\s+(?P<y2>(?:19|20)\d{{2}}))"
    rf"|(?P<mdy>(?P<m3>{_MON})\s+(?P<d3>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y3>(?:19|20)\d{{2}}))"
    r"|(?P<us>(?P<m4>\d{1,2})/(?P<d4>\d{1,2})/(?P<y4>(?:19|20)\d{2}))",
    re.IGNORECASE,
)
_ADMIT = re.compile(r"(入院日期|入院时间|住院日期|admission date|date of admission|admitted(?: on)?|admit date)\s*[:：]?\s*", re.I)
_DISCHARGE = re.compile(r"(出院日期|出院时间|discharge date|date of discharge|discharged(?: on)?)\s*[:：]?\s*", re.I)
_PATIENT_ID = re.compile(
    r"(住院号|病历号|病案号|门诊号|登记号|ID号|MRN|medical record (?:number|no\.?)|patient id|hospital (?:number|no\.?))"
    r"\s*[:：#]?\s*(?P<v>[A-Za-z0-9][A-Za-z0-9-]{2,24})", re.I)


def parse_date(s: str) -> date | None:
    """The calendar date a date string as written in a record names, or None."""
    m = _DATE.fullmatch(s.strip())
    if not m:
        return None
    try:
        if m.group("ymd"):
            return date(int(m.group("y1")), int(m.group("m1")), int(m.group("d1")))
        if m.group("dmy"):
            return date(int(m.group("y2")), _MONTHS[m.group("m2")[:3].lower()], int(m.group("d2")))
        if m.group("mdy"):
            return date(int(m.group("y3")), _MONTHS[m.group("m3")[:3].lower()], int(m.group("d3")))
        return date(int(m.group("y4")), int(m.group("m4")), int(m.group("d4")))
    except (ValueError, KeyError):
        return None


def _labelled_date(text: str, label: re.Pattern[str]) -> Value | None:
    head = text[:4000]  # the record header; a date label deep in a progress note is not the admission date
    for m in label.finditer(head):
        d = _DATE.match(text, m.end())
        if d and (parsed := parse_date(d.group(0))):
            return Value(parsed.isoformat(), [(d.start(), d.end())])
    return None


# --- extraction -----------------------------------------------------------------------------------------------------

_DX_KINDS = ("diagnoses", "assessment_plan")
_PLAN_KINDS = ("treatment", "assessment_plan")
_ALLERGY = re.compile(r"(过敏|allerg|intoleran)", re.I)


def _section(sections: list[Section], kinds: tuple[str, ...], prefer: tuple[str, ...] = ()) -> Section | None:
    for kind in kinds:
        found = [s for s in sections if s.kind == kind and s.end > s.start]
        for p in prefer:
            for s in found:
                if p in s.header:
                    return s
        if found:
            return found[-1]  # the last one: a discharge record repeats admission sections before its final ones
    return None


_SIGNATURE = re.compile(r"^[ \t]*(?:医师签名|医生签名|主治医师|记录者|签名|electronically signed|signed|dictated by|attending physician)",
                        re.I | re.M)


def _value(text: str, s: Section | None) -> Value | None:
    """The section body, without a signature block that follows the last section."""
    if s is None:
        return None
    end = s.end
    sig = _SIGNATURE.search(text, s.start, end)
    if sig:
        end = sig.start()
        while end > s.start and text[end - 1].isspace():
            end -= 1
    return Value(text[s.start:end], [(s.start, end)]) if end > s.start else None


def _allergen(text: str, e: Entity) -> bool:
    """A drug named as an allergy ("青霉素过敏", "Allergy: sulfa drugs", "allergic to penicillin") is not a medication."""
    clause_start = max(text.rfind(c, 0, e.start) for c in "\n。；;.") + 1
    before = text[max(clause_start, e.start - 30):e.start]
    after = text[e.end:e.end + 12].lstrip("（( ")
    return bool(_ALLERGY.search(before) or _ALLERGY.match(after))


_ADMITTED_FOR = re.compile(r"因[“\"「]([^”\"」\n]{2,80})[”\"」]\s*(?:入院|收入|就诊|来院)")


def _admitted_for(text: str) -> Value | None:
    """A discharge summary without a 主诉 section often quotes it: 患者因“反复上腹痛3年”入院."""
    m = _ADMITTED_FOR.search(text[:6000])
    return Value(m.group(1), [(m.start(1), m.end(1))]) if m else None


def _unique(values: list[Value]) -> list[Value]:
    seen: dict[str, Value] = {}
    for v in values:
        key = " ".join(fold(v.value).split())
        if key in seen:
            seen[key].spans.extend(v.spans)
        else:
            seen[key] = v
    return list(seen.values())


def summarize_extractive(text: str, language: str | None = None) -> RecordSummary:
    """Sections + entities + dates, no model: every value is a span of the record."""
    lang = language or detect_language(text[:20000])
    sections = split_sections(text)
    entities = recognize(text)
    out = RecordSummary(language=lang, generator="extractive")
    pid = _PATIENT_ID.search(text[:4000])
    if pid:
        out.patient_id = Value(pid.group("v"), [(pid.start("v"), pid.end("v"))])
    out.admission_date = _labelled_date(text, _ADMIT)
    out.discharge_date = _labelled_date(text, _DISCHARGE)
    out.chief_complaint = _value(text, _section(sections, ("chief_complaint",))) or _admitted_for(text)
    out.treatment_plan = _value(text, _section(sections, _PLAN_KINDS))
    out.follow_up = _value(text, _section(sections, ("follow_up",)))
    dx_sec = _section(sections, _DX_KINDS, prefer=("出院", "discharge", "final", "最后"))
    in_dx = [e for e in entities if e.type == "disease" and not e.negated
             and (dx_sec is None or dx_sec.start <= e.start < dx_sec.end)]
    if dx_sec is None:
        out.notes.append("no diagnosis section found: diagnoses are the disease mentions of the whole record that are not negated")
    by_concept: dict[str, Diagnosis] = {}
    for e in in_dx:
        d = by_concept.get(e.canonical)
        if d is None:
            by_concept[e.canonical] = Diagnosis(e.text, e.icd10, [(e.start, e.end)])
        elif ground_text(e.text) == ground_text(d.name):  # a synonym (尿路感染/急性肾盂肾炎) is the same diagnosis
            d.spans.append((e.start, e.end))
    out.diagnoses = list(by_concept.values())
    out.medications = _unique([Value(e.text, [(e.start, e.end)]) for e in entities
                               if e.type == "drug" and not _allergen(text, e)])
    out.tests = _unique([Value(e.text, [(e.start, e.end)]) for e in entities if e.type == "test"])
    out.summary = _compose_summary(text, out, lang)
    return out


def _first_sentence(text: str, v: Value | None, limit: int) -> tuple[str, Span] | None:
    if v is None:
        return None
    s, e = v.spans[0]
    body = text[s:e]
    m = re.search(r"[。；;\n]|\.\s", body)
    cut = m.start() if m else len(body)
    if cut > limit:  # too long: end at the last comma before the limit, never inside a word
        commas = [c.start() for c in re.finditer(r"[，,、]", body[:limit])]
        if not commas:
            return None
        cut = commas[-1]
    piece = body[:cut].strip()
    if not piece:
        return None
    off = s + body.index(piece)
    return piece, (off, off + len(piece))


def _compose_summary(text: str, s: RecordSummary, lang: str) -> Value | None:
    """A short summary made only of record pieces (chief complaint, diagnoses, first plan sentence) and fixed glue."""
    pieces: list[tuple[str, Span]] = []
    zh = lang == "zh"
    cc = _first_sentence(text, s.chief_complaint, 40 if zh else 120)
    if cc:
        pieces.append(cc)
    for d in s.diagnoses[:4]:
        pieces.append((d.name, d.spans[0]))
    plan = _first_sentence(text, s.treatment_plan, 60 if zh else 200)
    if zh:
        parts = []
        if cc:
            parts.append(f"因{cc[0]}入院")
        if s.diagnoses:
            parts.append("诊断" + "、".join(d.name for d in s.diagnoses[:4]))
        if plan:
            parts.append(plan[0])
        value = "，".join(parts) + ("。" if parts else "")
        if len(value) > 150 and plan:
            plan, value = None, "，".join(parts[:-1]) + "。"
        if plan:
            pieces.append(plan)
    else:
        parts = []
        if cc:
            parts.append(f"Presented with: {cc[0].rstrip('.')}.")
        if s.diagnoses:
            parts.append("Diagnoses: " + "; ".join(d.name for d in s.diagnoses[:4]) + ".")
        if plan:
            parts.append(f"Treatment: {plan[0].rstrip('.')}.")
        value = " ".join(parts)
        if len(value.split()) > 80 and plan:
            value, plan = " ".join(parts[:-1]), None
        if plan:
            pieces.append(plan)
    if not value.strip():
        return None
    return Value(value, [p[1] for p in pieces])


# --- checks -----------------------------------------------------------------------------------------------------------


def ground_text(s: str) -> str:
    """The form values and spans are compared in: full/half width and case folded, whitespace collapsed."""
    return " ".join(fold(s).split())


@dataclass(slots=True)
class GroundingReport:
    """How many returned values check out at their spans, negated diagnoses returned, and what failed."""

    values: int = 0
    grounded: int = 0
    negated_diagnoses: int = 0
    problems: list[str] = field(default_factory=list)


def _span_ok(text: str, span: Span) -> bool:
    s, e = span
    return isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(text)


def _value_ok(text: str, v: Value, kind: str) -> bool:
    if not v.spans or not all(_span_ok(text, sp) for sp in v.spans):
        return False
    if kind == "date":
        d = parse_date(text[v.spans[0][0]:v.spans[0][1]])
        return d is not None and d.isoformat() == v.value
    if kind == "summary":
        target = ground_text(v.value)
        return all(ground_text(text[s:e]) in target for s, e in v.spans)
    want = ground_text(v.value)
    return all(ground_text(text[s:e]) == want for s, e in v.spans)


def _diagnosis_problem(text: str, d: Diagnosis) -> str | None:
    if not d.spans or not all(_span_ok(text, sp) for sp in d.spans):
        return "span outside the record"
    for s, e in d.spans:
        if ground_text(text[s:e]) != ground_text(d.name):
            return "not found at its span"
        zh = bool(re.search("[\u3400-\u9fff]", text[max(0, s - 3):e + 3]))
        if _negated(text, s, e, zh):
            return "negated in the record"
    return None


def _code_ok(d: Diagnosis) -> bool:
    if d.icd10 is None:
        return True
    concept = load_lexicon().concept(d.name)
    allowed = {code_for(d.name)} | ({code_for(concept.canonical)} if concept is not None else set())
    return d.icd10 in allowed and code_exists(d.icd10)


def check_grounding(text: str, s: RecordSummary) -> GroundingReport:
    """Count the values of `s` that are found at their spans in `text` (does not change `s`)."""
    r = GroundingReport()
    singles = (("patient_id", "text"), ("admission_date", "date"), ("discharge_date", "date"), ("chief_complaint", "text"),
               ("treatment_plan", "text"), ("follow_up", "text"), ("summary", "summary"))
    for name, kind in singles:
        v = getattr(s, name)
        if v is None:
            continue
        r.values += 1
        if _value_ok(text, v, kind):
            r.grounded += 1
        else:
            r.problems.append(f"{name}: {v.value[:40]!r} not found at its span")
    for name in ("medications", "tests"):
        for v in getattr(s, name):
            r.values += 1
            if _value_ok(text, v, "text"):
                r.grounded += 1
            else:
                r.problems.append(f"{name}: {v.value[:40]!r} not found at its span")
    for d in s.diagnoses:
        r.values += 1
        problem = _diagnosis_problem(text, d)
        if problem == "negated in the record":
            r.negated_diagnoses += 1
        if problem is None and _code_ok(d):
            r.grounded += 1
        else:
            r.problems.append(f"diagnosis {d.name[:40]!r}: {problem or 'code not in the table'}")
    return r


def check_summary(text: str, s: RecordSummary) -> RecordSummary:
    """Drop every value that fails its check, with a note; the checks are the same for every generator."""
    singles = (("patient_id", "text"), ("admission_date", "date"), ("discharge_date", "date"), ("chief_complaint", "text"),
               ("treatment_plan", "text"), ("follow_up", "text"), ("summary", "summary"))
    for name, kind in singles:
        v = getattr(s, name)
        if v is not None and not _value_ok(text, v, kind):
            setattr(s, name, None)
            s.notes.append(f"{name} dropped: not found at its span in the record")
    for name in ("medications", "tests"):
        kept = [v for v in getattr(s, name) if _value_ok(text, v, "text")]
        if len(kept) != len(getattr(s, name)):
            s.notes.append(f"{len(getattr(s, name)) - len(kept)} {name} dropped: not found at their spans")
        setattr(s, name, kept)
    dx = []
    for d in s.diagnoses:
        problem = _diagnosis_problem(text, d)
        if problem:
            s.notes.append(f"diagnosis {d.name!r} dropped: {problem}")
            continue
        if not _code_ok(d):
            s.notes.append(f"ICD-10 code {d.icd10!r} of {d.name!r} dropped: not the alias table's code for it")
            d.icd10 = None
        dx.append(d)
    s.diagnoses = dx
    if s.admission_date and s.discharge_date and s.admission_date.value > s.discharge_date.value:
        s.notes.append("discharge date dropped: it is before the admission date")
        s.discharge_date = None
    if s.summary is not None:
        limit_ok = len(s.summary.value) <= 150 if s.language == "zh" else len(s.summary.value.split()) <= 80
        if not limit_ok:
            s.notes.append("summary dropped: longer than 150 characters / 80 words")
            s.summary = None
    for name in ("chief_complaint", "admission_date", "discharge_date"):
        if getattr(s, name) is None:
            s.notes.append(f"{name} not found in the record")
    if not s.diagnoses:
        s.notes.append("no diagnosis found in the record")
    return s
