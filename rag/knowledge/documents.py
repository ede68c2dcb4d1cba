"""Document-level ranking: documents scored by an aggregate of their passages, each with the passages that support it.

    doc score = (1 - a) * best passage + a * document vector + share * second best passage
    a = CLINRAG_DOC_VECTOR_WEIGHT * min(1, CLINRAG_DOC_VECTOR_CHUNKS / the document's chunk count)

"best passage" and "second best" are fused passage scores; "document vector" is the cosine of the
query with the document's mean passage vector (what the whole document is about, which one
strong sentence of an otherwise unrelated document cannot fake). The weight is full (0.7) for
documents of up to 2 chunks and falls with length: a short answer's mean vector is what it says,
a long guideline's mean blurs sections a question asks about one of (the starter guidelines, 6-8
chunks each, lost recall with the full weight). 0 for Chinese questions. share =
CLINRAG_DOC_SECOND_SHARE (0: adding the second passage lowered MEDIQA nDCG). Chosen on the MEDIQA
2019 dev part and the starter set (docs/ranking.md). Where the searcher has no document
vectors (Milvus' own search) the best passage stands in for it. Only the supporting passages of
the documents returned are read from the store.

For English questions the first documents (the weights file's depth: 50 in round 6's, 100 in round 5's) are re-ordered by the
feature-based reranker (rag/knowledge/rerank.py, CLINRAG_DOC_RERANK; docs/ranking.md rounds 3-6); each keeps its
formula score. Those questions draw CLINRAG_RERANK_CANDIDATES (100) passages per engine, the others
CLINRAG_DOCUMENT_CANDIDATES (50).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rag.knowledge.base import Hit, SearchStore
from rag.knowledge.embedders.base import Embedder
from rag.knowledge.rerank import WEIGHTS, Reranker, document_features, load_reranker, title_field
from rag.knowledge.search import Candidates, PatientContext, abstains, candidates, read_passages
from rag.settings import Settings
from rag.text import detect_language
from rag.types import Passage

__all__ = ["DocumentHit", "DocumentRetrieval", "aggregate", "rerank", "retrieve_documents"]


@dataclass(slots=True)
class DocumentHit:
    doc_id: str
    title: str
    source: str
    version: str
    score: float  # the formula's document score; with the reranker on, the order is the reranker's
    passages: list[Passage] = field(default_factory=list)  # supporting passages, best first


@dataclass(slots=True)
class DocumentRetrieval:
    documents: list[DocumentHit]
    best_dense: float
    sufficient: bool
    candidates: int  # passages considered
    filtered_out_docs: list[str] = field(default_factory=list)


def aggregate(hits: list[tuple[Hit, float]], share: float, doc_scores: dict[str, float] | None = None,
              doc_weight: float = 0.0, chunk_counts: Mapping[str, int] | None = None,
              full_weight_chunks: int = 0) -> list[tuple[str, float, list[tuple[Hit, float]]]]:
    """(content hash, document score, its hits best first) per document version, best document first.

    With `full_weight_chunks` > 0, a document of n chunks (from `chunk_counts`) gets the document
    vector's weight times min(1, full_weight_chunks / n)."""
    by_doc: dict[str, list[tuple[Hit, float]]] = {}
    for h, s in hits:
        by_doc.setdefault(h.content_hash, []).append((h, s))
    out = []
    for content_hash, own in by_doc.items():
        own.sort(key=lambda x: (-x[1], x[0].chunk_id))
        best = own[0][1]
        whole = (doc_scores or {}).get(content_hash, best)
        n = (chunk_counts or {}).get(content_hash, 0)
        a = doc_weight * min(1.0, full_weight_chunks / n) if full_weight_chunks > 0 and n > 0 else doc_weight
        score = (1 - a) * best + a * whole + (share * own[1][1] if len(own) > 1 else 0.0)
        out.append((content_hash, round(score, 6), own))
    out.sort(key=lambda x: (-x[1], x[0]))
    return out


def rerank(ranked: list[tuple[str, float, list[tuple[Hit, float]]]], found: Candidates, store: SearchStore,
           doc_scores: dict[str, float], model: Reranker) -> list[tuple[str, float, list[tuple[Hit, float]]]]:
    """`aggregate()`'s documents, the first `model.depth` re-ordered by the reranker (scores unchanged). Features are
    measured against every candidate (ranks, gaps, z-scores), as in training (bench/rerank.py)."""
    wants_coverage = {"term_coverage", "rare_coverage"} & set(model.features)
    coverage = (store.searcher.term_coverage(found.bm25_text or found.text, [h for h, _, _ in ranked[: model.depth]])
                if wants_coverage else {})
    titles = {h: v.title for h, v in found.versions.items()}
    counts = {h: v.chunk_count for h, v in found.versions.items()}
    # the title field: title and the front matter's declared topic, with statistics over every version searched
    field = title_field({h: f"{v.title} {v.topic}" for h, v in found.versions.items()}) if "title_bm25" in model.features else None
    features = document_features(ranked, doc_scores, coverage, counts, titles, found.text, field)
    return [ranked[i] for i in model.order(features)]


def retrieve_documents(query: str, embedder: Embedder, store: SearchStore, settings: Settings,
                       patient: PatientContext | None = None, *, k: int = 10, per_document: int = 3) -> DocumentRetrieval:
    """The k best documents for a query, each with up to `per_document` supporting passages."""
    # trained on English questions (MEDIQA): Chinese questions are not reranked, and keep the shallower pool
    reranks = settings.doc_rerank and detect_language(query) != "zh"
    depth = settings.rerank_candidates if reranks else settings.document_candidates
    found = candidates(query, embedder, store, settings, patient, max(settings.candidate_k, depth), documents=True)
    if not found.versions:
        return DocumentRetrieval([], 0.0, False, 0, found.dropped)
    # Chinese text: MiniLM's mean vectors of Chinese documents are alike, so they do not rank (measured)
    weight = 0.0 if detect_language(query) == "zh" else settings.doc_vector_weight
    doc_scores = (store.searcher.document_scores(found.vector, list(dict.fromkeys(h.content_hash for h, _ in found.hits)))
                  if weight > 0 else {})
    counts = {h: v.chunk_count for h, v in found.versions.items()}
    ranked = aggregate(found.hits, settings.doc_second_share, doc_scores, weight, counts, settings.doc_vector_chunks)
    if reranks:
        ranked = rerank(ranked, found, store, doc_scores, load_reranker(Path(settings.doc_rerank_weights) if settings.doc_rerank_weights
                                                                          else WEIGHTS))
    ranked = ranked[:k]
    wanted = [x for _, _, own in ranked for x in own[:per_document]]
    passages = {p.chunk_id: p for p in read_passages(store, found, wanted)}
    documents = []
    for content_hash, score, own in ranked:
        support = [passages[h.chunk_id] for h, _ in own[:per_document] if h.chunk_id in passages]
        info = found.versions.get(content_hash)
        if not support or info is None:
            continue
        documents.append(DocumentHit(info.doc_id, info.title, info.source, info.version, score, support))
    top = sorted(passages.values(), key=lambda p: (-p.score, p.chunk_id))[:5]
    if abstains(query, found.best_dense, top, settings, found.expansions):
        return DocumentRetrieval([], found.best_dense, False, len(found.hits), found.dropped)
    return DocumentRetrieval(documents, found.best_dense, bool(documents), len(found.hits), found.dropped)
