"""Retrieval and triage metrics on labelled JSON lines (used by `clinrag eval` and the tests)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any

from rag.backends import Backends
from rag.knowledge.search import retrieve
from rag.types import Passage

__all__ = ["section_passage", "starter_passages", "ranked_sources", "retrieval_metrics", "passage_metrics", "evaluate_retrieval", "evaluate_triage", "evaluate_urgency"]


def section_passage(chunk_id: str, doc_id: str, section: str, text: str, language: str, *, title: str = "",
                    publisher: str = "clinrag", version: str = "1") -> Passage:
    """A passage built by hand (no store, no pages): for calibrating and testing the guideline layer."""
    return Passage(chunk_id=chunk_id, doc_id=doc_id, title=title or doc_id, publisher=publisher, version=version,
                   source="", section=section, page_start=0, page_end=0, text=text, language=language)


def starter_passages(folder: Path) -> list[Passage]:
    """One passage per `## ` section of each starter guideline (folder/<language>/*.md), its heading as the section."""
    out = []
    for f in sorted(folder.glob("*/*.md")):
        if f.name == "README.md":
            continue
        for i, sec in enumerate(re.split(r"\n(?=## )", f.read_text(encoding="utf-8"))):
            out.append(section_passage(f"{f.stem}#{i}", f.stem, sec.split("\n", 1)[0].lstrip("# "), sec, f.parent.name))
    return out


def _stem(name: str) -> str:
    # a Markdown source and the PDF rendered from it are the same document
    return PurePath(name).stem


def ranked_sources(passages: Iterable[Any]) -> list[str]:
    """Source file stems in rank order, each once (document-level ranking)."""
    out: list[str] = []
    for p in passages:
        if _stem(p.source) not in out:
            out.append(_stem(p.source))
    return out


def retrieval_metrics(ranked: list[str], relevant: set[str], k: int) -> dict[str, float]:
    top = ranked[:k]
    hits = [1.0 if s in relevant else 0.0 for s in top]
    recall = sum(hits) / len(relevant) if relevant else 0.0
    rr = next((1.0 / (i + 1) for i, s in enumerate(ranked) if s in relevant), 0.0)
    dcg = sum(h / math.log2(i + 2) for i, h in enumerate(hits))
    idcg = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return {"recall": recall, "mrr": rr, "ndcg": dcg / idcg if idcg else 0.0}


def passage_metrics(passages: list[Any], relevant: set[str], k: int) -> dict[str, float]:
    """Passage level: share of the top k passages from a relevant document, and MRR of the first such passage."""
    top = [1.0 if _stem(p.source) in relevant else 0.0 for p in passages[:k]]
    rr = next((1.0 / (i + 1) for i, p in enumerate(passages) if _stem(p.source) in relevant), 0.0)
    return {"passage_precision": sum(top) / k, "passage_mrr": rr}


def evaluate_retrieval(rows: list[dict[str, Any]], backends: Backends, *, k: int = 5) -> dict[str, Any]:
    """Document level (clinrag's document mode): recall@k, MRR and nDCG@k; passage level: precision@k and
    MRR of passages from a relevant document; overall and per language."""
    from rag.knowledge.documents import retrieve_documents

    # ranking quality is measured without the abstention floor and the prompt's token budget
    settings = backends.settings.model_copy(update={"relevance_floor": 0.0, "prompt_token_budget": 100_000})
    per: dict[str, list[dict[str, float]]] = {}
    misses = []
    for row in rows:
        relevant = {_stem(s) for s in row["relevant_sources"]}
        docs = retrieve_documents(row["query"], backends.embedder, backends.store, settings, k=max(k * 4, 20), per_document=1)
        ranked = [_stem(d.source) for d in docs.documents]
        m = retrieval_metrics(ranked, relevant, k)
        found = retrieve(row["query"], backends.embedder, backends.store, settings, top_k=k, collapse_duplicates=False)
        m |= passage_metrics(found.passages, relevant, k)
        lang = row.get("language", "en")
        per.setdefault(lang, []).append(m)
        per.setdefault("all", []).append(m)
        if m["recall"] < 1.0:
            misses.append({"query": row["query"], "expected": row["relevant_sources"], "got": ranked[:k]})
    report: dict[str, Any] = {"k": k, "queries": len(rows)}
    for group, ms in sorted(per.items()):
        for name in ("recall", "mrr", "ndcg", "passage_precision", "passage_mrr"):
            report[f"{group}.{name}" if name.endswith("mrr") else f"{group}.{name}@{k}"] = round(sum(m[name] for m in ms) / len(ms), 4)
        report[f"{group}.n"] = len(ms)
    report["misses"] = misses
    return report


def evaluate_triage(rows: list[dict[str, Any]], embedder: Any | None = None) -> dict[str, Any]:
    """Emergency recall (must be 1.0) and over-triage rate on vignettes, with misses and false alarms per concept.

    ``embedder``: passed to triage so the English meaning layer runs (bundled MiniLM only)."""
    from rag.safety.triage import triage

    tp = fn = fp = tn = 0
    failures = []
    by_concept: dict[str, dict[str, Any]] = {}
    by_layer: dict[str, int] = {}
    for row in rows:
        res = triage(row["query"], age=row.get("age"), pregnant=row.get("pregnant"), language=row.get("language"),
                     embedder=embedder)
        fired = res.urgency == "emergency"
        want = row["expect"] == "emergency"
        concept = str(row.get("concept") or row.get("rule") or "unlabelled")
        c = by_concept.setdefault(concept, {"emergencies": 0, "missed": 0, "look_alikes": 0, "false_alarms": 0})
        c["emergencies" if want else "look_alikes"] += 1
        layers = sorted({f.layer for f in res.red_flags})
        if want and fired:
            tp += 1
            for layer in layers:
                by_layer[layer] = by_layer.get(layer, 0) + 1
        elif want:
            fn += 1
            c["missed"] += 1
            failures.append({"query": row["query"], "concept": concept, "expected": "emergency", "got": "none"})
        elif fired:
            fp += 1
            c["false_alarms"] += 1
            failures.append({"query": row["query"], "concept": concept, "expected": row["expect"],
                             "got": [f"{f.layer}:{f.concept or f.rule_id}" for f in res.red_flags]})
        else:
            tn += 1
    return {"emergencies": tp + fn, "look_alikes": fp + tn, "recall": round(tp / (tp + fn), 4) if tp + fn else None,
            "over_triage_rate": round(fp / (fp + tn), 4) if fp + tn else None, "missed": fn, "false_alarms": fp,
            "meaning_layer": embedder is not None, "emergencies_found_by_layer": by_layer,
            "by_concept": dict(sorted(by_concept.items())), "failures": failures}


def evaluate_urgency(rows: list[dict[str, Any]], backends: Backends) -> dict[str, Any]:
    """Urgency ladder on labelled vignettes: within the accepted levels, under/over-triage, right guideline cited."""
    from rag.answer.quality import same_guidelines
    from rag.answer.schema import URGENCY_ORDER, ConsultRequest
    from rag.consult import consult

    within = under = over = cited = 0
    misses: list[dict[str, Any]] = []
    # strictest accepted level -> level given -> count (a confusion table that shows no patient text)
    table: dict[str, dict[str, int]] = {}
    for row in rows:
        request = ConsultRequest.model_validate({"symptoms": row["symptoms"], "age": row.get("age"), "sex": row.get("sex"),
                                                 "pregnant": row.get("pregnant")})
        advice = consult(request, backends, caller="eval").advice
        accept = [str(a) for a in row["accept"]]
        got_docs = sorted({c.doc_id for c in advice.citations})
        doc_ok = bool(set(got_docs) & same_guidelines(row.get("docs", [])))  # burns-zh is the burns guideline
        cited += doc_ok
        rank = URGENCY_ORDER.index(advice.urgency)
        strictest = min(accept, key=URGENCY_ORDER.index)
        row_counts = table.setdefault(strictest, {})
        row_counts[advice.urgency] = row_counts.get(advice.urgency, 0) + 1
        if advice.urgency in accept:
            within += 1
            verdict = "ok"
        elif rank > max(URGENCY_ORDER.index(a) for a in accept):
            under += 1  # less urgent than the least urgent accepted level
            verdict = "under"
        else:
            over += 1
            verdict = "over"
        if verdict != "ok" or not doc_ok:
            misses.append({"symptoms": row["symptoms"], "accept": accept, "got": advice.urgency, "verdict": verdict,
                           "reason": advice.seek_care.reason[:300], "docs_expected": row.get("docs", []), "docs_cited": got_docs})
    n = len(rows)
    emerg = [r for r in rows if "emergency" in r["accept"] and len(r["accept"]) == 1]
    return {"vignettes": n, "within_accepted": within, "within_accepted_rate": round(within / n, 4) if n else None,
            "under_triage": under, "over_triage": over, "right_guideline_cited": cited, "emergencies": len(emerg),
            "by_level": {lvl: table[lvl] for lvl in URGENCY_ORDER if lvl in table}, "misses": misses}
