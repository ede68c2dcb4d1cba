"""Query -> fused, filtered, de-duplicated, budgeted passages, or nothing below the relevance floor.

Fusion:

    score = w * dense + (1 - w) * bm25 / max(bm25 over the candidates)

`dense` is the cosine similarity of query and passage, exact for every candidate (passages found
only by BM25 get theirs from their stored vectors, fetched by id). w = CLINRAG_DENSE_WEIGHT (0.95)
for English and CLINRAG_DENSE_WEIGHT_ZH (0.7) for Chinese queries, chosen with bench/fusion.py on
the starter set and MEDIQA 2019 (bench/RESULTS.md). The abstention floor applies to the best
*dense* similarity, an absolute measure, unlike BM25 scores or ranks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.knowledge.base import DocVersion, Scope, SearchStore
from rag.knowledge.embedders.base import Embedder
from rag.settings import Settings
from rag.text import chinese_content_words, detect_language, words
from rag.types import Passage, age_group

__all__ = ["PatientContext", "Retrieval", "retrieve", "allowed_documents"]

@dataclass(frozen=True, slots=True)
class PatientContext:
    age: float | None = None
    sex: str | None = None  # "female" | "male"
    pregnant: bool | None = None


@dataclass(slots=True)
class Retrieval:
    passages: list[Passage]
    best_dense: float
    sufficient: bool
    candidates: int
    filtered_out_docs: list[str] = field(default_factory=list)


def allowed_documents(active: list[DocVersion], patient: PatientContext) -> tuple[list[DocVersion], list[str]]:
    """Skip documents whose declared patient groups exclude this patient, judging only what we know."""
    group = age_group(patient.age)
    keep: list[DocVersion] = []
    dropped: list[DocVersion] = []
    for doc in active:
        groups = set(doc.groups)
        ages = groups & {"adult", "child", "infant"}
        sexes = groups & {"female", "male"}
        ok = True
        if group and ages and group not in ages and not (group == "infant" and "child" in ages):
            ok = False
        if patient.sex in {"female", "male"} and sexes and patient.sex not in sexes:
            ok = False
        if "pregnant" in groups and (patient.pregnant is False or patient.sex == "male"):
            ok = False
        (keep if ok else dropped).append(doc)
    return keep, [d.doc_id for d in dropped]


def _near_duplicate(a: str, b: str) -> bool:
    wa, wb = set(words(a)), set(words(b))
    if not wa or not wb:
        return a.strip() == b.strip()
    return len(wa & wb) / len(wa | wb) >= 0.8


def _chinese_overlap(query: str, passages: list[Passage]) -> bool:
    """For Chinese queries, at least one content word must occur in the top passages.

    MiniLM was trained on English: it gives unrelated Chinese texts cosine ~0.6, so the dense
    floor cannot tell a Chinese off-topic question from a real one. A lexical check can."""
    if detect_language(query) != "zh":
        return True
    words = chinese_content_words(query)
    if not words:
        return False
    have: set[str] = set()
    for p in passages:
        have |= chinese_content_words(p.text)
    return bool(words & have)


def retrieve(query: str, embedder: Embedder, store: SearchStore, settings: Settings,
             patient: PatientContext | None = None, *, top_k: int | None = None, collapse_duplicates: bool = True) -> Retrieval:
    """Hybrid search over active guideline versions allowed for this patient."""
    k = top_k or settings.top_k
    snap = store.snapshot()
    active, dropped = allowed_documents(snap.active, patient or PatientContext())
    if not active:
        return Retrieval([], 0.0, False, 0, dropped)
    # exclude the few hashes that must not be seen rather than list every active one: the filter
    # stays short as the knowledge base grows
    dropped_hashes = {d.content_hash for d in snap.active} - {d.content_hash for d in active}
    scope = Scope(active, [*snap.inactive_hashes, *sorted(dropped_hashes)])
    vector = embedder.embed_query(query)
    n = max(settings.candidate_k, k)
    zh = detect_language(query) == "zh"
    w = settings.dense_weight_zh if zh else settings.dense_weight
    hits = store.searcher.search(vector, query if w < 1.0 else "", n, scope)
    found = store.searcher.passages([h.chunk_id for h in hits])  # the one read of passage text
    groups = {d.content_hash: d.groups for d in active}
    candidates: list[Passage] = []
    for h in hits:
        p = found.get(h.chunk_id)
        if p is None:  # deleted since the copy was loaded
            continue
        p.dense_score, p.bm25_score, p.patient_groups = h.dense, h.bm25, groups.get(p.content_hash, ())
        candidates.append(p)
    best_dense = max((p.dense_score for p in candidates), default=0.0)
    max_bm25 = max((p.bm25_score for p in candidates), default=0.0) or 1.0
    for p in candidates:
        p.score = round(w * p.dense_score + (1 - w) * p.bm25_score / max_bm25, 6)
    candidates.sort(key=lambda p: (-p.score, p.chunk_id))
    if best_dense < settings.relevance_floor or not _chinese_overlap(query, candidates[: max(k, 5)]):
        return Retrieval([], best_dense, False, len(candidates), dropped)
    chosen: list[Passage] = []
    used = 0
    for p in candidates:
        if len(chosen) >= k:
            break
        if collapse_duplicates and any(_near_duplicate(p.text, c.text) for c in chosen):
            continue
        cost = embedder.count_tokens(p.text)
        if chosen and used + cost > settings.prompt_token_budget:
            continue
        chosen.append(p)
        used += cost
    return Retrieval(chosen, best_dense, bool(chosen), len(candidates), dropped)
