"""A feature-based document reranker: a linear model over per-document features of the candidates.

The document formula (rag/knowledge/documents.py) ranks the candidate documents; this stage
re-scores the first `depth` of them with a linear model over features measured on the same
candidates (no new search, embedding or passage read):

    score = sum_i w_i * (f_i - mean_i) / scale_i

Features (one row per candidate document, `FEATURES`): the formula's score, rank and gap to the
best; the best passage's dense score, rank, gap and z-score within the query; the best BM25 score
(over the query's best), its rank; the mean-passage-vector score, rank and gap; how many of the
document's passages are among the hits (and as a share of its chunks); its chunk count; the share of
the question's content words in its title; whether the aspect the question asks for (cause, symptom,
diagnosis, treatment, ...) is the one the title names (`intent_match`) or the title names only others
(`intent_conflict`; round 5); the question's words in the title's heading and the heading's own words in the
question (`head_overlap`, `head_precision`; round 6); BM25 over the title field (title and front-matter topic, with the
field's own statistics over every version searched: `title_bm25`, round 6, measured, not in the shipped model); and the
IDF-weighted share of the query's terms found
anywhere in the document (`Searcher.term_coverage`, the in-memory copy only). A feature the searcher
cannot give (Milvus' own search has no document vectors or term statistics) is NaN and is replaced
by its training mean: it then adds nothing, and the others rank.

Weights live in a small versioned JSON file in this package (`WEIGHTS`), named after the training
set and date; `bench/rerank.py` trains it (dev part of MEDIQA 2019) and reports the out-of-fold
figures (docs/ranking.md, round 3).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.knowledge.base import Hit
from rag.text import QUESTION_STOP

__all__ = ["FEATURES", "FORMAT", "WEIGHTS", "DocumentFeatures", "Reranker", "RerankerError", "TitleField", "document_features",
           "load_reranker", "title_field", "title_terms"]

FORMAT = "clinrag-document-reranker"
VERSION = 1
WEIGHTS = Path(__file__).with_name("reranker-mediqa2019-texts-heading-dev-2026-12-01.json")

FEATURES = (
    "base", "base_gap", "base_rank",
    "best_fused",
    "dense", "dense_gap", "dense_rank", "dense_z", "mean_dense",
    "bm25", "bm25_rank", "has_bm25",
    "doc_vector", "doc_vector_gap", "doc_vector_rank",
    "hits", "hit_share", "chunks",
    "title_overlap", "term_coverage", "rare_coverage",
    "intent_match", "intent_conflict",
    "title_bm25", "head_overlap", "head_precision",
)

_WORD = re.compile(r"[a-z0-9]+")

# What a question asks about and what a heading is about, by the beginnings of the words that name it
# ("diagnose", "diagnosis", "diagnosed"; "treatments", "therapy"). A document's aspect is read from its
# title up to the first ": " (the heading: "Appendicitis (Diagnosis)", "What causes anemia?"; ingest takes a
# plain-text file's first line as its title, so what follows ": " is often the opening sentence, whose
# words ("caused by ...") say nothing about what the document is for).
INTENTS: dict[str, tuple[str, ...]] = {
    "cause": ("cause", "risk"),
    "symptom": ("sympt", "signs"),
    "diagnosis": ("diagn", "tests", "testing", "exams", "examination", "screening"),
    "treatment": ("treat", "therap", "manag", "cure"),
    "prevention": ("prevent",),
    "outlook": ("prognos", "outlook", "complication"),
    "support": ("resource", "support"),
}
_DEFINITION = re.compile(r"^\W*what\s+(?:is|are)\b", re.IGNORECASE)


class RerankerError(ValueError):
    """A weights file that cannot be used: its message names the file and what is wrong."""


def title_terms(text: str) -> set[str]:
    """Content words of English text cut to their first 5 letters (diagnose / diagnosis, treat / treatment)."""
    return {w[:5] for w in _WORD.findall(text.lower()) if len(w) >= 3 and w not in QUESTION_STOP}


def intents(text: str) -> set[str]:
    """The aspects (`INTENTS`) an English text names."""
    words = _WORD.findall(text.lower())
    return {name for name, stems in INTENTS.items() if any(w.startswith(stems) for w in words)}


def question_intents(question: str) -> set[str]:
    """The aspects a question asks about; "definition" for a plain "what is X?" that names none."""
    found = intents(question)
    return found or ({"definition"} if _DEFINITION.match(question) else set())


def heading(title: str) -> str:
    """A title up to its first ": " (MEDIQA's titles are "heading: opening sentence"; a guideline's title is all heading)."""
    return title.split(": ", 1)[0]


def _head_terms(title: str) -> set[str]:
    """The heading's content words without the words that name an aspect ("Anemia (Diagnosis)" -> {"anemi"})."""
    return {t for t in title_terms(heading(title)) if not any(t.startswith(s[:5]) or s.startswith(t) for stems in INTENTS.values()
                                                               for s in stems)}


@functools.lru_cache(maxsize=16_384)
def _title_analysis(title: str) -> tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]:
    """(title terms, heading terms, heading terms without aspect words, aspects the heading names) of one title: a
    catalog's titles come back query after query, so each is analysed once."""
    head = heading(title)
    return frozenset(title_terms(title)), frozenset(title_terms(head)), frozenset(_head_terms(title)), frozenset(intents(head))


# BM25 over the title field (BM25F's title part: the title's own length normalisation and its own statistics);
# Lucene's defaults for a short field
TITLE_K1, TITLE_B = 1.2, 0.75


@dataclass(frozen=True, slots=True)
class TitleField:
    """The title field of every version a search may see: its terms (`title_terms` of the title and the front matter's
    topic), how many titles hold each term, and their mean length. Built once per catalog (`title_field`)."""

    terms: Mapping[str, tuple[str, ...]]  # content hash -> the field's terms, with repeats
    df: Mapping[str, int]
    avg_len: float

    def bm25(self, content_hash: str, query: set[str]) -> float:
        """BM25 of the query's terms over this version's title field, over the sum of their IDFs (0-1 for a full match of
        a title of average length): an IDF-weighted, length-normalised title overlap. NaN for a version it does not hold."""
        terms = self.terms.get(content_hash)
        if terms is None:
            return math.nan
        n = len(self.terms)
        idf = {t: math.log((n - self.df.get(t, 0) + 0.5) / (self.df.get(t, 0) + 0.5) + 1.0) for t in query}
        total = sum(idf.values())
        if total <= 0:
            return 0.0
        norm = TITLE_K1 * (1.0 - TITLE_B + TITLE_B * len(terms) / (self.avg_len or 1.0))
        score = 0.0
        for t in query:
            tf = terms.count(t)
            if tf:
                score += idf[t] * tf * (TITLE_K1 + 1.0) / (tf + norm)
        return score / (total * (TITLE_K1 + 1.0) / (1.0 + TITLE_K1))


_TITLE_FIELDS: dict[tuple[str, ...], TitleField] = {}


def title_field(fields: Mapping[str, str]) -> TitleField:
    """The `TitleField` of these versions (content hash -> title and topic text); the last few are kept, so the catalog's
    titles are analysed once per catalog read, not per query."""
    key = tuple(fields)
    found = _TITLE_FIELDS.get(key)
    if found is not None:
        return found
    terms = {h: tuple(w[:5] for w in _WORD.findall(text.lower()) if len(w) >= 3 and w not in QUESTION_STOP)
             for h, text in fields.items()}
    df: dict[str, int] = {}
    for ts in terms.values():
        for t in set(ts):
            df[t] = df.get(t, 0) + 1
    made = TitleField(terms, df, sum(len(ts) for ts in terms.values()) / max(1, len(terms)))
    if len(_TITLE_FIELDS) >= 4:
        _TITLE_FIELDS.pop(next(iter(_TITLE_FIELDS)))
    _TITLE_FIELDS[key] = made
    return made


@dataclass(frozen=True, slots=True)
class DocumentFeatures:
    hashes: list[str]  # candidate documents, in the formula's order
    matrix: np.ndarray  # (len(hashes), len(FEATURES)), NaN where a feature is unknown


def _rank(values: np.ndarray) -> np.ndarray:
    """log(1 + rank), rank 0 for the highest value (ties keep their order)."""
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.arange(len(values))
    return np.log1p(ranks)


def document_features(ranked: Sequence[tuple[str, float, Sequence[tuple[Hit, float]]]], doc_scores: Mapping[str, float],
                      coverage: Mapping[str, tuple[float, float]], chunk_counts: Mapping[str, int], titles: Mapping[str, str],
                      question: str, field: TitleField | None = None) -> DocumentFeatures:
    """Features of each candidate document: `ranked` is `aggregate()`'s output (hash, formula score, its hits best first);
    `field`, the title field of every version searched (for `title_bm25`; NaN without it)."""
    n = len(ranked)
    m = np.full((n, len(FEATURES)), np.nan, dtype=np.float64)
    if n == 0:
        return DocumentFeatures([], m)
    col = {f: i for i, f in enumerate(FEATURES)}
    max_bm25 = max((h.bm25 for _, _, own in ranked for h, _ in own), default=0.0) or 1.0
    q_terms = title_terms(question)
    q_intents = question_intents(question)
    base = np.array([s for _, s, _ in ranked], dtype=np.float64)
    dense = np.array([max(h.dense for h, _ in own) for _, _, own in ranked], dtype=np.float64)
    bm25 = np.array([max(h.bm25 for h, _ in own) / max_bm25 for _, _, own in ranked], dtype=np.float64)
    m[:, col["base"]] = base
    m[:, col["base_gap"]] = base - base.max()
    m[:, col["base_rank"]] = np.log1p(np.arange(n))
    m[:, col["best_fused"]] = [own[0][1] for _, _, own in ranked]
    m[:, col["dense"]] = dense
    m[:, col["dense_gap"]] = dense - dense.max()
    m[:, col["dense_rank"]] = _rank(dense)
    m[:, col["dense_z"]] = (dense - dense.mean()) / (dense.std() or 1.0)
    m[:, col["mean_dense"]] = [sum(h.dense for h, _ in own) / len(own) for _, _, own in ranked]
    m[:, col["bm25"]] = bm25
    m[:, col["bm25_rank"]] = np.where(bm25 > 0, _rank(bm25), math.log1p(n))
    m[:, col["has_bm25"]] = bm25 > 0
    m[:, col["hits"]] = [math.log1p(len(own)) for _, _, own in ranked]
    for i, (content_hash, _, own) in enumerate(ranked):
        chunks = chunk_counts.get(content_hash, 0)
        if chunks > 0:
            m[i, col["hit_share"]] = min(1.0, len(own) / chunks)
            m[i, col["chunks"]] = math.log1p(chunks)
        title = titles.get(content_hash)
        if title is not None:
            t_terms, h_terms, h_content, d_intents = _title_analysis(title)
            if q_terms:
                m[i, col["title_overlap"]] = len(q_terms & t_terms) / len(q_terms)
                m[i, col["head_overlap"]] = len(q_terms & h_terms) / len(q_terms)
            # the title names an aspect the question asks about (match), or only others (conflict: a
            # "Diagnosis" section for "what is anemia?"); 0 and 0 when either names none
            m[i, col["intent_match"]] = float(bool(q_intents & d_intents))
            m[i, col["intent_conflict"]] = float(bool(q_intents and d_intents and not q_intents & d_intents))
            # the heading's own words the question holds ("Pernicious anemia" for "what is anemia?": 1/2; "Anemia": 1)
            m[i, col["head_precision"]] = len(h_content & q_terms) / len(h_content) if h_content else 0.0
        if field is not None and q_terms:
            m[i, col["title_bm25"]] = field.bm25(content_hash, q_terms)
        if content_hash in coverage:
            m[i, col["term_coverage"]], m[i, col["rare_coverage"]] = coverage[content_hash]
    vec = np.array([doc_scores.get(h, np.nan) for h, _, _ in ranked], dtype=np.float64)
    if not np.isnan(vec).all():
        known = np.where(np.isnan(vec), -np.inf, vec)
        m[:, col["doc_vector"]] = vec
        m[:, col["doc_vector_gap"]] = vec - np.nanmax(vec)
        m[:, col["doc_vector_rank"]] = np.where(np.isnan(vec), np.nan, _rank(known))
    return DocumentFeatures([h for h, _, _ in ranked], m)


@dataclass(frozen=True, slots=True)
class Reranker:
    """A linear model over named features; `depth` candidates are re-scored, the rest keep their order below them."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    depth: int
    name: str = ""

    def score(self, found: DocumentFeatures) -> np.ndarray:
        """One score per candidate row; unknown features count as their training mean (they add nothing)."""
        cols = [FEATURES.index(f) for f in self.features]
        x = found.matrix[:, cols]
        x = np.where(np.isnan(x), self.mean, x)
        return np.asarray(((x - self.mean) / self.scale) @ self.weights, dtype=np.float64)

    def order(self, found: DocumentFeatures) -> list[int]:
        """Row indices in reranked order: the first `depth` rows by score (ties by formula order), then the rest as they were."""
        top = min(self.depth, len(found.hashes))
        if top == 0:
            return []
        scores = self.score(DocumentFeatures(found.hashes[:top], found.matrix[:top]))
        head = sorted(range(top), key=lambda i: (-round(float(scores[i]), 9), i))
        return head + list(range(top, len(found.hashes)))

    def to_json(self, **meta: Any) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, **meta, "depth": self.depth, "features": list(self.features),
                "mean": [float(x) for x in self.mean], "scale": [float(x) for x in self.scale],
                "weights": [float(x) for x in self.weights]}

    @classmethod
    def from_json(cls, data: Any, name: str = "<weights>") -> Reranker:
        def fail(why: str) -> RerankerError:
            return RerankerError(f"document reranker weights {name}: {why}")

        if not isinstance(data, dict):
            raise fail("not a JSON object")
        if data.get("format") != FORMAT:
            raise fail(f"format is {data.get('format')!r}, expected {FORMAT!r}")
        if data.get("version") != VERSION:
            raise fail(f"version {data.get('version')!r} is not supported (this clinrag reads version {VERSION})")
        features = data.get("features")
        if not isinstance(features, list) or not features or not all(isinstance(f, str) for f in features):
            raise fail("'features' must be a non-empty list of names")
        unknown = [f for f in features if f not in FEATURES]
        if unknown:
            raise fail(f"unknown feature(s) {', '.join(unknown)}")
        arrays = {}
        for key in ("mean", "scale", "weights"):
            values = data.get(key)
            if not isinstance(values, list) or len(values) != len(features) or not all(isinstance(v, int | float) for v in values):
                raise fail(f"'{key}' must be a list of {len(features)} numbers, one per feature")
            arr = np.asarray(values, dtype=np.float64)
            if not np.isfinite(arr).all():
                raise fail(f"'{key}' holds a value that is not finite")
            arrays[key] = arr
        if (arrays["scale"] <= 0).any():
            raise fail("'scale' values must be > 0")
        depth = data.get("depth")
        if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
            raise fail("'depth' must be an integer >= 1")
        return cls(tuple(features), arrays["mean"], arrays["scale"], arrays["weights"], depth, str(data.get("name", name)))


@functools.lru_cache(maxsize=4)
def load_reranker(path: Path = WEIGHTS) -> Reranker:
    """The reranker in a weights file (read once per path); RerankerError when it cannot be used."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RerankerError(f"document reranker weights {path}: file not found") from exc
    except json.JSONDecodeError as exc:
        raise RerankerError(f"document reranker weights {path}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    return Reranker.from_json(data, Path(path).name)
