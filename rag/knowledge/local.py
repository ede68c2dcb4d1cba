"""In-process search over the active chunks of an embedded (Milvus Lite) knowledge base.

Milvus Lite 3 is a pure-Python engine: each search walks every stored row in Python to resolve
versions and deletions before it touches an index, which costs ~70 ms for a dense search and
~370 ms for a BM25 search at 100k chunks on a 2-core machine (bench/RESULTS.md). In the embedded
mode clinrag therefore searches a copy of the active chunks held in memory:

- dense: exact inner products over a float32 matrix of the stored vectors;
- BM25: the formula Milvus uses (k1 1.5, b 0.75, IDF log((N - df + 0.5) / (df + 0.5) + 1)) over
  the same analysed text Milvus indexes (the `bm25` field: `\\w+`, lower-cased, Chinese segmented
  by jieba beforehand), with statistics over the whole active corpus, where Lite keeps them per
  segment.

Milvus stays the store of record. The copy is loaded from it by document version (content hash),
follows the catalog (a newly activated version is loaded before any search that may see it, a
superseded or retired one is dropped), and passages are read back from Milvus by id. Searches run
on an immutable state that is swapped whole, so a query sees one catalog generation, never a mix.
A Milvus server searches its own indexes: there the copy is off unless asked for.

Loading 100k chunks from Milvus Lite takes ~30 s (Lite's own query path, pymilvus decoding, and
analysing the text), so each version's part of the copy is also kept as one .npz file in
DATA_DIR/search-copy/<collection>/ (a version never changes once written): later processes load
from there in a fraction of that. A damaged or mismatched file is ignored and the version is
reloaded from Milvus.

Several API workers share one copy: each generation of the copy (the arrays searched: vectors, BM25
weights, ids, terms, and the sorted lookups from an id to its row and from a term to its column) is
also written once as .npy files in a folder named after its set of versions (`gen-g2-<hash>/`) and
memory-mapped read-only. Every process that searches the same versions maps the same files, so the
page cache holds them once and a second worker adds little memory: no Python list or dict of 100k ids
per process, lookups are binary searches over the mapped arrays. A worker needs neither Milvus nor the
per-version files to start. A damaged or mismatched folder is ignored (the generation is rebuilt from
the per-version files and written again).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.knowledge.base import Hit, Scope
from rag.text import bm25_query_text
from rag.types import Passage

if TYPE_CHECKING:
    from rag.knowledge.query import Speller

__all__ = ["LocalIndex", "LocalSearch", "LocalView", "SortedKeys", "analyze"]

log = logging.getLogger("clinrag.local_index")

K1, B = 1.5, 0.75
_CACHE_FORMAT = "v1"
_GEN_FORMAT = "g2"  # g2: the sorted id and term lookups are files too (g1 folders are left to pruning)
_GEN_ARRAYS = ("vectors", "row_hash", "doc_vectors", "bm25_data", "bm25_indices", "bm25_indptr", "chunk_ids", "words",
               "id_keys", "id_rows", "word_keys", "word_cols")
_GEN_KEEP = 4  # generation folders kept (the newest); a process still mapping a removed one keeps its pages
_TOKEN = re.compile(r"\w+", re.UNICODE)

# one stored row: chunk id, content hash, vector, analysed BM25 text
Row = tuple[str, str, Sequence[float], str]


def analyze(bm25_text: str) -> list[str]:
    """Milvus' standard analyzer: word characters, lower-cased (Chinese arrives pre-segmented)."""
    return _TOKEN.findall(bm25_text.lower())


class SortedKeys:
    """A read-only map str -> int over two arrays: the keys in sorted order and each key's value (a row or a
    column). Over memory-mapped files it costs a process no heap, where a dict of 100k chunk ids is ~15 MiB in
    every worker (and CPython's reference counts would copy the pages of one built before a fork)."""

    __slots__ = ("keys", "values", "_width")

    def __init__(self, keys: np.ndarray, values: np.ndarray) -> None:
        self.keys, self.values = keys, values  # (n,) str sorted ascending, unique; (n,) int
        self._width = keys.dtype.itemsize // 4  # longest key the str array can hold

    @classmethod
    def of(cls, items: np.ndarray) -> SortedKeys:
        """Keys = the items (unique), values = their positions."""
        order = np.argsort(items, kind="stable")
        return cls(items[order], order.astype(np.int32))

    def __len__(self) -> int:
        return len(self.keys)

    def get(self, key: str) -> int | None:
        if not len(self.keys) or len(key) > self._width:
            return None
        i = int(np.searchsorted(self.keys, np.asarray(key, dtype=self.keys.dtype)))
        return int(self.values[i]) if i < len(self.keys) and str(self.keys[i]) == key else None

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def get_many(self, keys: Sequence[str]) -> list[int | None]:
        """`[self.get(k) for k in keys]` with one binary search of the arrays for all of them."""
        if not len(self.keys) or not keys:
            return [None] * len(keys)
        fits = [k if len(k) <= self._width else "" for k in keys]  # a longer key is in no slot: get() says None
        i = np.minimum(np.searchsorted(self.keys, np.asarray(fits, dtype=self.keys.dtype)), len(self.keys) - 1)
        return [int(v) if len(k) <= self._width and stored == k else None
                for k, stored, v in zip(keys, self.keys[i].tolist(), self.values[i].tolist(), strict=True)]

    def consistent_with(self, items: np.ndarray, step: int = 8192) -> bool:
        """Whether these are the sorted lookups of `items` (ascending keys naming every item once),
        checked a block at a time (no temporary the size of the arrays)."""
        n = len(items)
        if len(self.keys) != n or len(self.values) != n or self.keys.dtype.kind != "U":
            return False
        if n and (int(self.values.min()) < 0 or int(self.values.max()) >= n or np.bincount(self.values, minlength=n).max() != 1):
            return False
        for lo in range(0, n, step):
            keys = self.keys[lo:min(n, lo + step + 1)]
            if np.any(keys[1:] < keys[:-1]) or not np.array_equal(items[self.values[lo:lo + step]], keys[:step]):
                return False
        return True


@dataclass(frozen=True, slots=True)
class _Block:
    """The chunks of one document version: ids, vectors and term counts (CSR pieces)."""

    chunk_ids: list[str]
    vectors: np.ndarray  # (n, dim) float32
    indptr: np.ndarray  # (n + 1,) int64
    terms: np.ndarray  # term ids
    counts: np.ndarray  # term frequencies, float32
    cached: bool  # its per-version file holds it (it can be dropped from memory and read again)


@dataclass(frozen=True, slots=True)
class LocalView:
    """One immutable generation of the copy: what a search sees from start to end."""

    hashes: tuple[str, ...]  # loaded versions, in row order
    row_hash: np.ndarray  # (N,) index into hashes
    chunk_ids: np.ndarray  # (N,) str: row -> chunk id
    rows: SortedKeys  # chunk id -> row
    vectors: np.ndarray  # (N, dim)
    bm25: Any  # scipy CSC (N, V) of per-row BM25 term weights (IDF included)
    words: np.ndarray  # (V,) str: BM25 column -> term
    vocab: SortedKeys  # term -> BM25 column
    doc_vectors: np.ndarray  # (len(hashes), dim): each version's mean passage vector, unit length

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def nbytes(self) -> int:
        m = self.bm25
        return int(self.vectors.nbytes + m.data.nbytes + m.indices.nbytes + m.indptr.nbytes + self.row_hash.nbytes)

    def _mask(self, allowed: set[str]) -> np.ndarray | None:
        """Rows of allowed versions, or None when every loaded version is allowed."""
        keep = np.fromiter((h in allowed for h in self.hashes), dtype=bool, count=len(self.hashes))
        return None if keep.all() else keep[self.row_hash]

    def _top(self, scores: np.ndarray, k: int, allowed: set[str], blocked: Collection[str] = ()) -> list[tuple[str, float]]:
        mask = self._mask(allowed)
        if mask is not None:
            scores[~mask] = -np.inf
        for chunk_id in blocked:  # quarantined chunks (rag.safety.screen) are never hits
            if (row := self.rows.get(chunk_id)) is not None:
                scores[row] = -np.inf
        k = min(k, int(np.count_nonzero(np.isfinite(scores))))
        if k <= 0:
            return []
        idx = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        idx = idx[np.isfinite(scores[idx])]
        found = zip(self.chunk_ids[idx].tolist(), scores[idx].tolist(), strict=True)
        return sorted(((c, float(s)) for c, s in found), key=lambda cs: (-cs[1], cs[0]))

    def search_dense(self, vector: Sequence[float], k: int, allowed: set[str], blocked: Collection[str] = ()) -> list[tuple[str, float]]:
        """Top k (chunk id, inner product) among the allowed versions, blocked chunks left out."""
        if not len(self.chunk_ids):
            return []
        return self._top(self.vectors @ np.asarray(vector, dtype=np.float32), k, allowed, blocked)

    def search_bm25(self, bm25_text: str, k: int, allowed: set[str], blocked: Collection[str] = ()) -> list[tuple[str, float]]:
        """Top k (chunk id, BM25 score) among the allowed versions; chunks sharing no term are not hits."""
        terms = analyze(bm25_text)
        query = Counter(i for i in self.vocab.get_many(terms) if i is not None)
        if not len(self.chunk_ids) or not query:
            return []
        cols = np.fromiter(query.keys(), dtype=np.int64, count=len(query))
        weights = np.fromiter(query.values(), dtype=np.float32, count=len(query))
        scores = np.asarray(self.bm25[:, cols] @ weights, dtype=np.float64).ravel()
        scores[scores <= 0] = -np.inf
        return self._top(scores, k, allowed, blocked)

    def vocabulary(self) -> Iterator[tuple[str, int]]:
        """(term, document frequency) of every term this view indexes."""
        df = np.diff(self.bm25.indptr)  # CSC: rows per term column
        return ((t, int(df[i])) for i, t in enumerate(self.words.tolist()) if df[i] > 0)

    def document_scores(self, vector: Sequence[float], content_hashes: Iterable[str]) -> dict[str, float]:
        """Inner products of the query with these versions' mean passage vectors (versions not loaded are left out)."""
        pos = {h: i for i, h in enumerate(self.hashes)}
        wanted = [(h, pos[h]) for h in dict.fromkeys(content_hashes) if h in pos]
        if not wanted:
            return {}
        values = self.doc_vectors[[i for _, i in wanted]] @ np.asarray(vector, dtype=np.float32)
        return {h: float(v) for (h, _), v in zip(wanted, values, strict=True)}

    def term_coverage(self, bm25_text: str, content_hashes: Iterable[str], rare: int = 3) -> dict[str, tuple[float, float]]:
        """Per version: (IDF-weighted share of the query's indexed terms found in any of its chunks, share of the
        query's `rare` rarest terms found); versions not loaded are left out, and all when no query term is indexed."""
        cols = sorted({i for t in analyze(bm25_text) if (i := self.vocab.get(t)) is not None})
        pos = {h: i for i, h in enumerate(self.hashes)}
        wanted = [h for h in dict.fromkeys(content_hashes) if h in pos]
        df = np.diff(self.bm25.indptr)[cols] if cols else np.zeros(0)
        keep = [j for j in range(len(cols)) if df[j] > 0]
        if not wanted or not keep:
            return {}
        n = len(self.chunk_ids)
        idf = np.log((n - df[keep] + 0.5) / (df[keep] + 0.5) + 1.0)
        index = {pos[h]: k for k, h in enumerate(wanted)}
        present = np.zeros((len(wanted), len(keep)), dtype=bool)
        for j, c in enumerate(cols[i] for i in keep):
            rows = self.bm25.indices[self.bm25.indptr[c]:self.bm25.indptr[c + 1]]
            for d in np.unique(self.row_hash[rows]).tolist():
                if (k := index.get(d)) is not None:
                    present[k, j] = True
        rarest = np.argsort(-idf, kind="stable")[:rare]
        weighted = present @ idf / idf.sum()
        share = present[:, rarest].mean(axis=1)
        return {h: (float(weighted[k]), float(share[k])) for k, h in enumerate(wanted)}

    def content_hash(self, chunk_id: str) -> str:
        row = self.rows.get(chunk_id)
        if row is None:
            raise KeyError(chunk_id)
        return self.hashes[int(self.row_hash[row])]

    def content_hashes(self, chunk_ids: Sequence[str]) -> list[str]:
        """`[self.content_hash(c) for c in chunk_ids]` with one lookup of the ids (KeyError for one it does not hold)."""
        out = []
        for c, row in zip(chunk_ids, self.rows.get_many(chunk_ids), strict=True):
            if row is None:
                raise KeyError(c)
            out.append(self.hashes[int(self.row_hash[row])])
        return out

    def dense_scores(self, vector: Sequence[float], chunk_ids: Sequence[str]) -> dict[str, float]:
        """Inner products for the chunks of this view (others are left out)."""
        rows = [(c, r) for c, r in zip(chunk_ids, self.rows.get_many(chunk_ids), strict=True) if r is not None]
        if not rows:
            return {}
        values = self.vectors[[r for _, r in rows]] @ np.asarray(vector, dtype=np.float32)
        return {c: float(v) for (c, _), v in zip(rows, values, strict=True)}


class LocalSearch:
    """The `Searcher` of the embedded mode: both engines over the in-memory copy, no store call; passages
    are read from the store of record by id, and the last `PASSAGES_KEPT` read are kept for the generation of the copy
    that found them (a read by id from Milvus Lite waits on its server: most of a document search's time on a busy
    machine, bench/RESULTS.md round 6)."""

    PASSAGES_KEPT = 4096

    def __init__(self, view_for: Callable[[set[str]], LocalView], read: Callable[[Sequence[str]], dict[str, Passage]]) -> None:
        self._view_for = view_for  # allowed versions -> a view holding (at least) them
        self._read = read
        self._lock = threading.Lock()
        self._speller: tuple[LocalView, Speller] | None = None  # built per generation of the copy, on first use
        self._last_view: LocalView | None = None
        # passages as stored, by chunk id, for one generation of the copy (a new generation starts afresh, so a version
        # written again never serves an old row); callers get copies, since they set scores on them
        self._kept: tuple[LocalView | None, OrderedDict[str, Passage]] = (None, OrderedDict())

    def search(self, vector: Sequence[float], text: str, k: int, scope: Scope) -> list[Hit]:
        if not scope.active:
            return []
        allowed = scope.allowed()
        view = self._last_view = self._view_for(allowed)
        dense = view.search_dense(vector, k, allowed, scope.blocked)
        bm25 = view.search_bm25(bm25_query_text(text), k, allowed, scope.blocked) if text.strip() else []
        ids = list(dict.fromkeys([*(c for c, _ in dense), *(c for c, _ in bm25)]))
        version = dict(zip(ids, view.content_hashes(ids), strict=True))  # one lookup of every hit's row
        hits = {c: Hit(c, version[c], s, 0.0) for c, s in dense}
        missing = [c for c, _ in bm25 if c not in hits]
        exact = view.dense_scores(vector, missing)  # BM25-only hits get their exact dense scores too
        for c, s in bm25:
            hits[c] = Hit(c, hits[c].content_hash, hits[c].dense, s) if c in hits else Hit(c, version[c], exact[c], s)
        return list(hits.values())

    def passages(self, ids: Sequence[str]) -> dict[str, Passage]:
        view = self._last_view
        with self._lock:
            if self._kept[0] is not view:
                self._kept = (view, OrderedDict())
            kept = self._kept[1]
            found = {c: kept[c] for c in dict.fromkeys(ids) if c in kept}
        missing = [c for c in dict.fromkeys(ids) if c not in found]
        if missing:
            read = self._read(missing)
            found.update(read)
            with self._lock:
                if self._kept[0] is view:
                    kept.update(read)
                    while len(kept) > self.PASSAGES_KEPT:
                        kept.popitem(last=False)
        return {c: p.copy() for c, p in found.items()}

    def forget_passages(self) -> None:
        """Drop the kept passages (bench/latency.py --cold-passages times every read from Milvus with it)."""
        with self._lock:
            self._kept = (None, OrderedDict())

    def document_scores(self, vector: Sequence[float], content_hashes: Sequence[str]) -> dict[str, float]:
        return self._view_for(set(content_hashes)).document_scores(vector, content_hashes)

    def term_coverage(self, text: str, content_hashes: Sequence[str]) -> dict[str, tuple[float, float]]:
        return self._view_for(set(content_hashes)).term_coverage(bm25_query_text(text), content_hashes)

    def spell(self, word: str) -> str | None:
        # the copy as the last search saw it: a query spells ~10 words, each must not re-read the catalog
        view = self._last_view if self._last_view is not None else self._view_for(set())
        with self._lock:
            if self._speller is None or self._speller[0] is not view:
                from rag.knowledge.query import Speller, term_names

                self._speller = (view, Speller(view.vocabulary(), term_names()))
            speller = self._speller[1]
        return speller.correct(word)


class LocalIndex:
    """The copy: per-version blocks loaded through `fetch`, served as immutable views; thread-safe."""

    def __init__(self, fetch: Callable[[dict[str, int | None]], Iterable[Row]], dim: int, cache_dir: Path | None = None) -> None:
        self._fetch = fetch  # {content hash: chunk count the catalog expects, or None} -> rows
        self._dim = dim
        self._cache_dir = cache_dir
        self._lock = threading.Lock()
        self._vocab: dict[str, int] = {}
        self._blocks: dict[str, _Block] = {}
        self._state = self._build()

    # --- keeping up with the catalog -------------------------------------------------------

    def view(self, wanted: Iterable[str] | Mapping[str, int | None]) -> LocalView:
        """A generation holding exactly these versions: missing ones loaded, the rest dropped.

        `wanted` may map each version to the chunk count its catalog row expects; a version that
        loads with another count is searched but not written to the cache. The caller searches the
        returned view, so a concurrent call that moves the copy on to a newer catalog cannot pull
        versions out from under a search already running."""
        expected = dict(wanted) if isinstance(wanted, Mapping) else dict.fromkeys(wanted)
        state = self._state
        if expected.keys() == set(state.hashes):
            return state
        with self._lock:
            if expected.keys() == set(self._state.hashes):
                return self._state
            started = time.monotonic()
            mapped = self._read_generation(expected)
            if mapped is not None:  # another process (or an earlier run) wrote this generation: share its pages
                self._blocks = {}
                self._state = mapped
                log.info("search copy: %d versions mapped from %s in %.1f s; %d chunks", len(mapped.hashes),
                         self._generation_dir(mapped.hashes).name, time.monotonic() - started, len(mapped))  # type: ignore[union-attr]
                return mapped
            missing = {h: expected[h] for h in sorted(expected.keys() - self._blocks.keys())}
            if missing:
                self._load(missing)
            for h in list(self._blocks):
                if h not in expected:
                    del self._blocks[h]
            self._state = self._build()
            log.info("search copy: %d versions (%d loaded) in %.1f s; %d chunks, %.0f MB%s", len(self._state.hashes), len(missing),
                     time.monotonic() - started, len(self._state), self._state.nbytes() / 2**20,
                     " (memory-mapped)" if isinstance(self._state.vectors, np.memmap) else "")
            return self._state

    def current(self) -> LocalView:
        return self._state

    def _load(self, expected: dict[str, int | None]) -> None:
        todo: dict[str, int | None] = {}
        for h, count in expected.items():
            block = self._read_cache(h)
            if block is None:
                todo[h] = count
            else:
                self._blocks[h] = block
        if not todo:
            return
        grouped: dict[str, list[Row]] = {h: [] for h in todo}
        for row in self._fetch(todo):
            if row[1] in grouped:
                grouped[row[1]].append(row)
        for h, rows in grouped.items():
            rows.sort(key=lambda r: r[0])
            words: dict[str, int] = {}  # this version's own vocabulary: what the cache file stores
            indptr, terms, counts = [0], [], []
            for _, _, _, text in rows:
                for term, n in Counter(analyze(text)).items():
                    terms.append(words.setdefault(term, len(words)))
                    counts.append(n)
                indptr.append(len(terms))
            parts = {
                "ids": np.asarray([r[0] for r in rows], dtype=str),
                "vectors": np.asarray([r[2] for r in rows], dtype=np.float32).reshape(len(rows), self._dim),
                "indptr": np.asarray(indptr, dtype=np.int64), "terms": np.asarray(terms, dtype=np.int64),
                "counts": np.asarray(counts, dtype=np.float32), "words": np.asarray(list(words), dtype=str),
            }
            cached = False
            if todo[h] is None or todo[h] == len(rows):
                cached = self._write_cache(h, parts)
            else:  # searchable as read, but not frozen into a file that would outlive the discrepancy
                log.warning("search copy: version %s has %d chunks in Milvus but %d in its catalog row; not caching it",
                            h[:12], len(rows), todo[h])
            self._blocks[h] = self._block(parts, cached=cached)

    def _block(self, parts: dict[str, np.ndarray], *, cached: bool) -> _Block:
        """A version's parts with its own term ids mapped to the copy's vocabulary."""
        mapping = np.fromiter((self._vocab.setdefault(w, len(self._vocab)) for w in parts["words"].tolist()), dtype=np.int64,
                              count=len(parts["words"]))
        terms = mapping[parts["terms"]] if len(parts["terms"]) else parts["terms"].astype(np.int64)
        return _Block(parts["ids"].tolist(), parts["vectors"], parts["indptr"], terms, parts["counts"], cached)

    # --- the on-disk cache: one file per version (a version's chunks never change) -------------

    def _cache_path(self, content_hash: str) -> Path | None:
        if self._cache_dir is None:
            return None
        return self._cache_dir / f"{_CACHE_FORMAT}-{sha256(content_hash.encode()).hexdigest()[:40]}.npz"

    def _read_cache(self, content_hash: str) -> _Block | None:
        path = self._cache_path(content_hash)
        if path is None or not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                parts = {k: z[k] for k in ("ids", "vectors", "indptr", "terms", "counts", "words")}
                stored_hash = str(z["hash"])
            n = len(parts["ids"])
            ok = (stored_hash == content_hash and parts["vectors"].shape == (n, self._dim) and len(parts["indptr"]) == n + 1
                  and len(parts["terms"]) == len(parts["counts"]) == int(parts["indptr"][-1])
                  and (len(parts["terms"]) == 0 or int(parts["terms"].max()) < len(parts["words"])))
            if not ok:
                raise ValueError("contents do not match the version")
            return self._block(parts, cached=True)
        except Exception as exc:  # a damaged file costs a reload from Milvus, never a wrong answer
            log.warning("search copy: ignoring cache file %s (%s); reloading that version from Milvus", path.name, exc)
            return None

    def _write_cache(self, content_hash: str, parts: dict[str, np.ndarray]) -> bool:
        path = self._cache_path(content_hash)
        if path is None:
            return False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            with open(tmp, "wb") as f:
                np.savez(f, hash=np.asarray(content_hash), **parts)  # type: ignore[arg-type]  # numpy's stub types **kwds as bool
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("search copy: cannot write cache file in %s (%s); the next process reloads from Milvus", path.parent, exc)
            return False
        return True

    def _build(self) -> LocalView:
        """The generation of the blocks held now; written to a generation folder and mapped when every block
        is in its per-version file (so any process could rebuild it), else kept in this process' memory."""
        hashes = tuple(sorted(self._blocks))
        if not hashes:
            return self._as_view((), self._arrays([]))
        blocks = [self._blocks[h] for h in hashes]
        arrays = self._arrays(blocks)
        if self._cache_dir is not None and all(b.cached for b in blocks):
            mapped = self._write_generation(hashes, [len(b.chunk_ids) for b in blocks], arrays)
            if mapped is not None:
                self._blocks = {}  # read again from their files when the next generation needs them
                return mapped
        return self._as_view(hashes, arrays)

    def _arrays(self, blocks: list[_Block]) -> dict[str, np.ndarray]:
        """What a generation searches, as plain arrays (the .npy files of a generation folder)."""
        from scipy.sparse import csr_matrix

        n = sum(len(b.chunk_ids) for b in blocks)
        vocab = max(len(self._vocab), 1)
        words = np.asarray(list(self._vocab) or [""], dtype=str)  # column id -> term ("" pads an empty vocabulary)
        if not blocks:
            empty = csr_matrix((0, vocab), dtype=np.float32).tocsc()
            return _with_lookups({"vectors": np.zeros((0, self._dim), dtype=np.float32), "row_hash": np.zeros(0, dtype=np.int32),
                                  "doc_vectors": np.zeros((0, self._dim), dtype=np.float32), "bm25_data": empty.data,
                                  "bm25_indices": empty.indices, "bm25_indptr": empty.indptr, "chunk_ids": np.zeros(0, dtype=str),
                                  "words": words})
        chunk_ids = [c for b in blocks for c in b.chunk_ids]
        row_hash = np.repeat(np.arange(len(blocks), dtype=np.int32), [len(b.chunk_ids) for b in blocks])
        offsets = np.cumsum([0] + [len(b.terms) for b in blocks])
        indptr = np.concatenate([blocks[0].indptr[:1]] + [b.indptr[1:] + off for b, off in zip(blocks, offsets[:-1], strict=True)])
        terms = np.concatenate([b.terms for b in blocks])
        tf = np.concatenate([b.counts for b in blocks])
        # BM25 weights per (row, term), with corpus statistics over every loaded row
        row_of = np.repeat(np.arange(n), np.diff(indptr))  # the row of every (row, term) entry
        lengths = np.bincount(row_of, weights=tf, minlength=n)  # tokens per row (0 for a row with none)
        avgdl = float(lengths.mean()) if lengths.mean() > 0 else 1.0
        df = np.bincount(terms, minlength=vocab).astype(np.float64)
        idf = np.log((n - df + 0.5) / (df + 0.5) + 1.0)
        dl = lengths[row_of]
        weights = idf[terms] * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * dl / avgdl))
        bm25 = csr_matrix((weights.astype(np.float32), terms, indptr), shape=(n, vocab)).tocsc()
        vectors = np.concatenate([b.vectors for b in blocks]) if len(blocks) > 1 else blocks[0].vectors
        doc_vectors = np.stack([b.vectors.sum(axis=0) if len(b.vectors) else np.zeros(self._dim, np.float32) for b in blocks])
        doc_vectors /= np.maximum(np.linalg.norm(doc_vectors, axis=1, keepdims=True), 1e-12)
        return _with_lookups({"vectors": np.ascontiguousarray(vectors, dtype=np.float32), "row_hash": row_hash,
                              "doc_vectors": doc_vectors.astype(np.float32), "bm25_data": bm25.data, "bm25_indices": bm25.indices,
                              "bm25_indptr": bm25.indptr, "chunk_ids": np.asarray(chunk_ids, dtype=str), "words": words})

    def _as_view(self, hashes: tuple[str, ...], a: Mapping[str, np.ndarray]) -> LocalView:
        from scipy.sparse import csc_matrix

        # copy=False: over memory-mapped arrays the matrix searches the mapped pages themselves; the ids and terms
        # stay arrays too (no per-process list or dict of them)
        bm25 = csc_matrix((a["bm25_data"], a["bm25_indices"], a["bm25_indptr"]), shape=(len(a["chunk_ids"]), len(a["words"])),
                          copy=False)
        return LocalView(hashes, a["row_hash"], a["chunk_ids"], SortedKeys(a["id_keys"], a["id_rows"]), a["vectors"], bm25,
                         a["words"], SortedKeys(a["word_keys"], a["word_cols"]), a["doc_vectors"])

    # --- generations shared between processes: .npy files mapped read-only -----------------------

    def _generation_dir(self, hashes: Iterable[str]) -> Path | None:
        if self._cache_dir is None:
            return None
        key = sha256("\n".join(sorted(hashes)).encode()).hexdigest()[:40]
        return self._cache_dir / f"gen-{_GEN_FORMAT}-{key}"

    def _write_generation(self, hashes: tuple[str, ...], counts: list[int], arrays: dict[str, np.ndarray]) -> LocalView | None:
        """Write this generation's arrays once (unless a process already did) and map them; None when that fails."""
        final = self._generation_dir(hashes)
        assert final is not None
        if not final.exists():
            tmp = final.with_name(f".{final.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            try:
                tmp.mkdir(parents=True, exist_ok=True)
                for name, arr in arrays.items():
                    with open(tmp / f"{name}.npy", "wb") as f:
                        np.save(f, arr, allow_pickle=False)
                        f.flush()
                        os.fsync(f.fileno())
                meta = {"format": _GEN_FORMAT, "hashes": list(hashes), "counts": counts, "dim": self._dim}
                (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")  # written last: its presence says complete
                try:
                    os.rename(tmp, final)
                except OSError:  # another process renamed its identical folder first
                    shutil.rmtree(tmp, ignore_errors=True)
            except OSError as exc:
                shutil.rmtree(tmp, ignore_errors=True)
                log.warning("search copy: cannot write generation folder in %s (%s); searching this process' own copy",
                            final.parent, exc)
                return None
            self._prune_generations(keep=final)
        return self._read_generation(dict(zip(hashes, counts, strict=True)))

    def _read_generation(self, expected: Mapping[str, int | None]) -> LocalView | None:
        """The generation of exactly these versions mapped from its folder, or None (no folder, or it does not match)."""
        path = self._generation_dir(expected.keys())
        if path is None or not expected or not (path / "meta.json").exists():
            return None
        try:
            meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
            hashes = tuple(sorted(expected))
            if meta.get("format") != _GEN_FORMAT or tuple(meta.get("hashes", ())) != hashes or meta.get("dim") != self._dim:
                raise ValueError("made for other versions")
            counts = [int(c) for c in meta["counts"]]
            if any(expected[h] is not None and expected[h] != c for h, c in zip(hashes, counts, strict=True)):
                return None  # the catalog expects other chunk counts: load from the per-version files / Milvus
            a = {name: np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in _GEN_ARRAYS}
            n, width = sum(counts), len(a["words"])
            ok = (a["vectors"].shape == (n, self._dim) and a["row_hash"].shape == (n,) and len(a["chunk_ids"]) == n
                  and a["doc_vectors"].shape == (len(hashes), self._dim) and len(a["bm25_indptr"]) == width + 1
                  and len(a["bm25_data"]) == len(a["bm25_indices"]) == int(a["bm25_indptr"][-1])
                  and (n == 0 or int(a["row_hash"][-1]) == len(hashes) - 1))
            if not ok:
                raise ValueError("array shapes do not match")
            if not (SortedKeys(a["id_keys"], a["id_rows"]).consistent_with(a["chunk_ids"])
                    and SortedKeys(a["word_keys"], a["word_cols"]).consistent_with(a["words"])):
                raise ValueError("the id or term lookups do not match the ids and terms")
            return self._as_view(hashes, a)
        except Exception as exc:  # a damaged folder costs a rebuild from the per-version files, never a wrong answer
            log.warning("search copy: ignoring generation folder %s (%s); rebuilding it", path.name, exc)
            shutil.rmtree(path, ignore_errors=True)
            return None

    def _prune_generations(self, keep: Path) -> None:
        """Remove all but the newest few generation folders (a process still mapping one keeps its pages)."""
        try:
            # every format's folders: those an older release wrote are pruned with the rest
            gens = sorted((p for p in keep.parent.glob("gen-g*-*") if p != keep),
                          key=lambda p: p.stat().st_mtime, reverse=True)
        except OSError:
            return
        for old in gens[_GEN_KEEP - 1:]:
            shutil.rmtree(old, ignore_errors=True)


def _with_lookups(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A generation's arrays plus the sorted lookups from a chunk id to its row and from a term to its column."""
    ids, words = SortedKeys.of(arrays["chunk_ids"]), SortedKeys.of(arrays["words"])
    return {**arrays, "id_keys": ids.keys, "id_rows": ids.values, "word_keys": words.keys, "word_cols": words.values}
