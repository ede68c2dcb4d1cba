"""Measure the recogniser and the summariser against gold JSON lines (tests/data/records/*.jsonl).

Entities: exact span + type match -> precision/recall/F1 per type and language, and negation accuracy on matched
disease/symptom mentions. Summaries: per-field exact match and token F1, diagnosis and ICD-10 precision/recall, date
exactness, and the share of returned values whose span checks out in the record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from rag.records.lexicon import ENTITY_TYPES, normalize
from rag.text import words

__all__ = ["evaluate_entities", "evaluate_summaries", "token_f1"]


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "fp": fp, "fn": fn}


def evaluate_entities(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Entity P/R/F1 per type, per language and overall; negation accuracy; a sample of misses."""
    from rag.records.entities import recognize

    counts: dict[tuple[str, str], Counter[str]] = {}
    neg_ok = neg_total = 0
    misses: list[dict[str, Any]] = []
    n = 0
    for row in rows:
        n += 1
        lang = row.get("language", "en")
        gold = {(e["start"], e["end"], e["type"]): e for e in row["entities"]}
        pred = {(e.start, e.end, e.type): e for e in recognize(row["text"])}
        for key in set(gold) | set(pred):
            etype = key[2]
            c = counts.setdefault((lang, etype), Counter())
            if key in gold and key in pred:
                c["tp"] += 1
                if etype in ("disease", "symptom"):
                    neg_total += 1
                    if gold[key]["negated"] == pred[key].negated:
                        neg_ok += 1
                    elif len(misses) < 200:
                        misses.append({"id": row.get("id"), "kind": "negation", "text": gold[key]["text"], "gold": gold[key]["negated"]})
            elif key in pred:
                c["fp"] += 1
                if len(misses) < 200:
                    misses.append({"id": row.get("id"), "kind": "fp", "type": etype, "text": pred[key].text})
            else:
                c["fn"] += 1
                if len(misses) < 200:
                    misses.append({"id": row.get("id"), "kind": "fn", "type": etype, "text": gold[key]["text"]})
    per: dict[str, Any] = {}
    for lang in sorted({k[0] for k in counts}):
        per[lang] = {t: _prf(**{k: counts.get((lang, t), Counter())[k] for k in ("tp", "fp", "fn")}) for t in ENTITY_TYPES}
    overall = {t: _prf(**{k: sum(counts.get((lang, t), Counter())[k] for lang in per) for k in ("tp", "fp", "fn")})
               for t in ENTITY_TYPES}
    return {"records": n, "per_type": overall, "per_language": per,
            "negation_accuracy": round(neg_ok / neg_total, 4) if neg_total else None, "misses": misses}


def token_f1(pred: str, gold: str) -> float:
    """Word-unit F1 (Latin words, single Chinese characters), the SQuAD-style overlap score."""
    p, g = Counter(words(pred)), Counter(words(gold))
    if not p and not g:
        return 1.0
    common = sum((p & g).values())
    if not common:
        return 0.0
    prec, rec = common / sum(p.values()), common / sum(g.values())
    return 2 * prec * rec / (prec + rec)


def _norm(s: str) -> str:
    return " ".join(normalize(s).split())


_TEXT_FIELDS = ("patient_id", "admission_date", "discharge_date", "chief_complaint", "treatment_plan", "follow_up")


def evaluate_summaries(rows: Iterable[dict[str, Any]], summarize: Callable[[str], Any]) -> dict[str, Any]:
    """Field scores of `summarize(text) -> RecordSummary` against each row's gold fields."""
    from rag.records.summary import check_grounding

    n = 0
    exact: Counter[str] = Counter()
    f1: dict[str, float] = Counter()  # type: ignore[assignment]
    dx = Counter[str]()
    code = Counter[str]()
    lists = {"medications": Counter[str](), "tests": Counter[str]()}
    grounded = values = negated_dx = 0
    misses: list[dict[str, Any]] = []
    for row in rows:
        n += 1
        gold = row["gold"]
        s = summarize(row["text"])
        for f in _TEXT_FIELDS:
            got = getattr(s, f).value if getattr(s, f) is not None else ""
            want = gold.get(f) or ""
            if _norm(got) == _norm(want):
                exact[f] += 1
            elif len(misses) < 100:
                misses.append({"id": row.get("id"), "field": f, "got": got[:120], "want": want[:120]})
            f1[f] += token_f1(got, want)
        g_dx = {_norm(d["name"]) for d in gold["diagnoses"]}
        p_dx = {_norm(d.name) for d in s.diagnoses}
        dx["tp"] += len(g_dx & p_dx)
        dx["fp"] += len(p_dx - g_dx)
        dx["fn"] += len(g_dx - p_dx)
        if p_dx != g_dx and len(misses) < 100:
            misses.append({"id": row.get("id"), "field": "diagnoses", "got": sorted(p_dx), "want": sorted(g_dx)})
        g_codes = {d["icd10"] for d in gold["diagnoses"] if d.get("icd10")}
        p_codes = {d.icd10 for d in s.diagnoses if d.icd10}
        code["tp"] += len(g_codes & p_codes)
        code["fp"] += len(p_codes - g_codes)
        code["fn"] += len(g_codes - p_codes)
        for f, c in lists.items():
            g = {_norm(x) for x in gold.get(f, [])}
            p = {_norm(v.value) for v in getattr(s, f)}
            c["tp"] += len(g & p)
            c["fp"] += len(p - g)
            c["fn"] += len(g - p)
        report = check_grounding(row["text"], s)
        grounded += report.grounded
        values += report.values
        negated_dx += report.negated_diagnoses
    return {
        "records": n,
        "fields": {f: {"exact": round(exact[f] / n, 4) if n else 0.0, "token_f1": round(f1[f] / n, 4) if n else 0.0}
                   for f in _TEXT_FIELDS},
        "dates_exact": round((exact["admission_date"] + exact["discharge_date"]) / (2 * n), 4) if n else 0.0,
        "diagnoses": _prf(dx["tp"], dx["fp"], dx["fn"]),
        "icd10": _prf(code["tp"], code["fp"], code["fn"]),
        "medications": _prf(lists["medications"]["tp"], lists["medications"]["fp"], lists["medications"]["fn"]),
        "tests": _prf(lists["tests"]["tp"], lists["tests"]["fp"], lists["tests"]["fn"]),
        "grounded_share": round(grounded / values, 4) if values else 1.0,
        "values": values,
        "negated_diagnoses_returned": negated_dx,
        "misses": misses,
    }
