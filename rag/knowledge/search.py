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

import re
import threading
from dataclasses import dataclass, field, replace
from functools import lru_cache

from rag.knowledge.base import DocVersion, Hit, Scope, SearchStore
from rag.knowledge.embedders.base import Embedder
from rag.knowledge.query import understand
from rag.settings import Settings
from rag.text import chinese_content_words, detect_language, guideline_words, has_cjk
from rag.types import ADOLESCENT_FROM, Passage, age_group

__all__ = ["Candidates", "PatientContext", "Retrieval", "abstains", "allowed_documents", "candidates", "read_passages", "retrieve"]

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


def _age_fits(age: float | None, ages: set[str]) -> bool:
    """Whether a document declared for these age groups suits a patient of this age (unknown: it does)."""
    group = age_group(age)
    if not group or not ages or group in ages:
        return True
    # a children's document ([child] or [child, infant]) is for babies too; one for children and adults alike
    # ([adult, child]) is for everyone past infancy, not a two-week-old girl; "adolescent" is a child aged 10 or
    # more (WHO's adolescence), so [adult, adolescent] (periods, early pregnancy) is not for a girl of 3
    if group == "infant":
        return "child" in ages and "adult" not in ages
    return group == "child" and "adolescent" in ages and age is not None and age >= ADOLESCENT_FROM


def allowed_documents(active: list[DocVersion], patient: PatientContext) -> tuple[list[DocVersion], list[str]]:
    """Skip documents whose declared patient groups exclude this patient, judging only what we know."""
    keep: list[DocVersion] = []
    dropped: list[DocVersion] = []
    for doc in active:
        groups = set(doc.groups)
        sexes = groups & {"female", "male"}
        ok = _age_fits(patient.age, groups & {"adult", "child", "infant", "adolescent"})
        if patient.sex in {"female", "male"} and sexes and patient.sex not in sexes:
            ok = False
        if "pregnant" in groups and (patient.pregnant is False or patient.sex == "male"):
            ok = False
        (keep if ok else dropped).append(doc)
    return keep, [d.doc_id for d in dropped]


# Work that depends on stored guideline text only (never on the query), done once per process: the same passages
# come back request after request (docs/architecture.md, "Serving throughput"). Bounded; a new version's text is a
# new key, so nothing needs invalidating.
@lru_cache(maxsize=8192)
def _passage_zh_words(text: str) -> frozenset[str]:
    return frozenset(chinese_content_words(text))


_TOKENS: dict[tuple[str, str], int] = {}  # (embedder name, passage text) -> its token count
_TOKENS_MAX = 8192
_tokens_lock = threading.Lock()


def _passage_tokens(embedder: Embedder, text: str) -> int:
    """embedder.count_tokens of a stored passage's text, counted once per process and embedder (a tokenizer call
    each time before, and a round trip to the embedder process with --workers N)."""
    key = (str(embedder.name), text)
    n = _TOKENS.get(key)
    if n is None:
        n = embedder.count_tokens(text)
        with _tokens_lock:
            if len(_TOKENS) >= _TOKENS_MAX:
                _TOKENS.clear()
            _TOKENS[key] = n
    return n


def _near_duplicate(a: str, b: str) -> bool:
    """Two passages' texts (guideline text: their word sets are cached)."""
    wa, wb = guideline_words(a), guideline_words(b)
    if not wa or not wb:
        return a.strip() == b.strip()
    return len(wa & wb) / len(wa | wb) >= 0.8


def _chinese_overlap(query: str, passages: list[Passage], expansions: tuple[str, ...] = ()) -> bool:
    """For Chinese queries, at least one content word must occur in the top passages.

    MiniLM was trained on English: it gives unrelated Chinese texts cosine ~0.6, so the dense
    floor cannot tell a Chinese off-topic question from a real one. A lexical check can."""
    if detect_language(query) != "zh":
        return True
    words = chinese_content_words(query) | {w for e in expansions if has_cjk(e) for w in chinese_content_words(e)}
    english = [e.lower() for e in expansions if not has_cjk(e)]
    if not words and not english:
        return False
    have: set[str] = set()
    for p in passages:
        have |= _passage_zh_words(p.text)
    # an English term counts when it occurs whole in a passage (a cross-language match)
    return bool(words & have) or any(re.search(rf"\b{re.escape(e)}\b", p.text.lower()) for e in english for p in passages)


@dataclass(slots=True)
class Candidates:
    """Fused hits of one query, best first, before any passage text is read."""

    hits: list[tuple[Hit, float]]  # (hit, fused score)
    versions: dict[str, DocVersion]  # the allowed active versions, by content hash
    dropped: list[str]  # documents left out for this patient
    best_dense: float
    vector: tuple[float, ...] = ()  # the query's embedding
    expansions: tuple[str, ...] = ()  # terms query understanding added (English ones let Chinese queries match English text)
    text: str = ""  # the question as embedded (after query understanding)
    bm25_text: str = ""  # what BM25 matched (with the expansions)


def _dense_for_fusion(hits: list[Hit], active: list[DocVersion]) -> dict[str, float]:
    """A Chinese question's dense score for each Chinese passage: the question's mean over its Chinese hits.

    MiniLM does not read Chinese: a Chinese question is ~0.5-0.6 similar to any Chinese passage, relevant or
    not, which ordered Chinese passages by noise and gave every Chinese guideline a head start over the English
    one a question's English terms found. The mean keeps the level (a Chinese guideline that answers as well
    still comes first) and leaves BM25 to order the Chinese passages (docs/ranking.md, round 4). The hits keep
    their own dense scores (audit, abstention floor). Used for document ranking only: on the dev sets it raised
    Chinese document recall@5 (starter 0.9655 -> 0.9828) but lowered passage MRR (0.786 -> 0.776 starter,
    0.777 -> 0.728 and 0.734 -> 0.721 Chinese over English), and the consultation path ranks passages."""
    zh_docs = {d.content_hash for d in active if d.language == "zh"}
    zh_hits = [h for h in hits if h.content_hash in zh_docs]
    if not zh_hits:
        return {}
    level = sum(h.dense for h in zh_hits) / len(zh_hits)
    return {h.chunk_id: level for h in zh_hits}


def candidates(query: str, embedder: Embedder, store: SearchStore, settings: Settings, patient: PatientContext | None,
               n: int, *, documents: bool = False) -> Candidates:
    """Search both engines within the documents allowed for this patient and fuse their scores.

    `documents`: for document ranking (retrieve_documents), where a Chinese question's Chinese passages fuse with
    its mean dense score over them (`_dense_for_fusion`, CLINRAG_ZH_DENSE_LEVEL); passage retrieval keeps their own."""
    snap = store.snapshot()
    active, dropped = allowed_documents(snap.active, patient or PatientContext())
    if not active:
        return Candidates([], {}, dropped, 0.0)
    # exclude the few hashes that must not be seen rather than list every active one: the filter
    # stays short as the knowledge base grows
    dropped_hashes = {d.content_hash for d in snap.active} - {d.content_hash for d in active}
    scope = Scope(active, [*snap.inactive_hashes, *sorted(dropped_hashes)], snap.blocked)
    q = (understand(query, store.searcher.spell, topic_only=documents, embed_lay=settings.embed_lay_terms)
         if settings.query_understanding else None)
    vector = embedder.embed_query(q.text if q else query)
    zh = detect_language(query) == "zh"
    w = settings.dense_weight_zh if zh else settings.dense_weight
    hits = store.searcher.search(vector, (q.bm25 if q else query) if w < 1.0 else "", n, scope)
    english = [e for e in q.expansions if not has_cjk(e)] if q is not None and zh and settings.cross_language else []
    if english:
        # a Chinese question over English guidelines: a second dense search with its English terms
        # alone (MiniLM reads English; a Chinese text is ~0.6 similar to any Chinese text), each
        # chunk keeping its better dense score
        extra = store.searcher.search(embedder.embed_query(", ".join(english)), "", n, scope)
        merged = {h.chunk_id: h for h in hits}
        for h in extra:
            old = merged.get(h.chunk_id)
            # discounted: an English passage must not outrank a Chinese one that answers as well
            dense = settings.cross_language_weight * h.dense
            merged[h.chunk_id] = replace(h, dense=dense) if old is None else replace(old, dense=max(old.dense, dense))
        hits = list(merged.values())
    max_bm25 = max((h.bm25 for h in hits), default=0.0) or 1.0
    level = _dense_for_fusion(hits, active) if documents and zh and settings.zh_dense_level else {}
    fused = sorted(((h, round(w * level.get(h.chunk_id, h.dense) + (1 - w) * h.bm25 / max_bm25, 6)) for h in hits),
                   key=lambda x: (-x[1], x[0].chunk_id))
    return Candidates(fused, {d.content_hash: d for d in active}, dropped, max((h.dense for h in hits), default=0.0),
                      tuple(vector), q.expansions if q else (), q.text if q else query, q.bm25 if q else query)


def read_passages(store: SearchStore, found: Candidates, hits: list[tuple[Hit, float]]) -> list[Passage]:
    """The passages of these hits, scores attached, in one read; hits whose chunk is gone are skipped."""
    stored = store.searcher.passages([h.chunk_id for h, _ in hits])
    out = []
    for h, score in hits:
        p = stored.get(h.chunk_id)
        if p is None:  # deleted since the copy was loaded
            continue
        info = found.versions.get(p.content_hash)
        p.score, p.dense_score, p.bm25_score, p.patient_groups = score, h.dense, h.bm25, info.groups if info else ()
        out.append(p)
    return out


def abstains(query: str, best_dense: float, top: list[Passage], settings: Settings, expansions: tuple[str, ...] = ()) -> bool:
    """Below the dense floor, or a Chinese query sharing no content word (or English term of its
    words) with the top passages."""
    return best_dense < settings.relevance_floor or not _chinese_overlap(query, top, expansions)


def retrieve(query: str, embedder: Embedder, store: SearchStore, settings: Settings,
             patient: PatientContext | None = None, *, top_k: int | None = None, collapse_duplicates: bool = True) -> Retrieval:
    """Hybrid search over active guideline versions allowed for this patient."""
    k = top_k or settings.top_k
    found = candidates(query, embedder, store, settings, patient, max(settings.candidate_k, k))
    if not found.versions:
        return Retrieval([], 0.0, False, 0, found.dropped)
    passages = read_passages(store, found, found.hits)  # the one read of passage text
    best_dense = max((p.dense_score for p in passages), default=0.0)
    if abstains(query, best_dense, passages[: max(k, 5)], settings, found.expansions):
        return Retrieval([], best_dense, False, len(passages), found.dropped)
    chosen: list[Passage] = []
    used = 0
    for p in passages:
        if len(chosen) >= k:
            break
        if collapse_duplicates and any(_near_duplicate(p.text, c.text) for c in chosen):
            continue
        cost = _passage_tokens(embedder, p.text)
        if chosen and used + cost > settings.prompt_token_budget:
            continue
        chosen.append(p)
        used += cost
    return Retrieval(chosen, best_dense, bool(chosen), len(passages), found.dropped)
