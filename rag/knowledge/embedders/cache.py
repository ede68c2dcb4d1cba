"""Embeddings kept by (embedder, text hash), so a revised guideline embeds only the text that changed.

A new version of a guideline mostly repeats the old one; a re-run after a crash repeats the part
that was already embedded. `CachedEmbedder` wraps any embedder: document texts already embedded by
the same embedder (the same `name`, which includes quantisation) come from a SQLite file, the rest
are embedded in one call and stored. Vectors are stored as float32, the type Milvus keeps, so a
cached vector is bit-identical to the one written the first time. Query embeddings are never cached
(patient text is not stored).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.knowledge.embedders.base import Embedder

__all__ = ["CachedEmbedder", "EmbeddingCache"]


class EmbeddingCache:
    """A SQLite table of float32 vectors keyed by embedder name and sha256 of the text."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # a lost cache row is only re-embedded, never wrong
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (embedder TEXT NOT NULL, key BLOB NOT NULL, "
                         "vec BLOB NOT NULL, PRIMARY KEY (embedder, key)) WITHOUT ROWID")
        # token counts of the pieces the chunker measures (a revised version repeats most of them)
        self._db.execute("CREATE TABLE IF NOT EXISTS tokens (embedder TEXT NOT NULL, key BLOB NOT NULL, "
                         "n INTEGER NOT NULL, PRIMARY KEY (embedder, key)) WITHOUT ROWID")

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.sha256(text.encode("utf-8")).digest()

    def get_many(self, embedder: str, keys: Sequence[bytes], dim: int) -> dict[bytes, list[float]]:
        found: dict[bytes, list[float]] = {}
        with self._lock:
            for i in range(0, len(keys), 500):  # SQLite's bound-parameter limit
                part = list(keys[i:i + 500])
                marks = ",".join("?" * len(part))
                rows = self._db.execute(f"SELECT key, vec FROM vectors WHERE embedder = ? AND key IN ({marks})",
                                        (embedder, *part)).fetchall()
                for k, blob in rows:
                    vec = np.frombuffer(blob, dtype=np.float32)
                    if vec.shape[0] == dim:  # a row of another size is stale: embed again
                        found[bytes(k)] = vec.astype(np.float64).tolist()
        return found

    def put_many(self, embedder: str, items: Sequence[tuple[bytes, Sequence[float]]]) -> None:
        rows = [(embedder, k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO vectors (embedder, key, vec) VALUES (?, ?, ?)", rows)
            self._db.execute("COMMIT")

    def token_count(self, embedder: str, key: bytes) -> int | None:
        with self._lock:
            row = self._db.execute("SELECT n FROM tokens WHERE embedder = ? AND key = ?", (embedder, key)).fetchone()
        return None if row is None else int(row[0])

    def put_token_counts(self, embedder: str, items: Sequence[tuple[bytes, int]]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO tokens (embedder, key, n) VALUES (?, ?, ?)",
                                 [(embedder, k, n) for k, n in items])
            self._db.execute("COMMIT")

    def count(self, embedder: str | None = None) -> int:
        with self._lock:
            if embedder is None:
                return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])
            return int(self._db.execute("SELECT COUNT(*) FROM vectors WHERE embedder = ?", (embedder,)).fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CachedEmbedder:
    """An Embedder whose document embeddings are reused across versions, runs and crashes."""

    def __init__(self, inner: Embedder, cache: EmbeddingCache) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self.dim = inner.dim
        self.max_tokens = inner.max_tokens
        self.hits = 0
        self.misses = 0
        self._new_counts: list[tuple[bytes, int]] = []  # counted in this run, stored with the next embedding call

    def count_tokens(self, text: str) -> int:
        """The inner count, kept by text hash: chunking a revised version measures mostly the same pieces.
        Only document text reaches this wrapper (ingest wraps its embedder; queries never go through it)."""
        key = EmbeddingCache.key(text)
        n = self.cache.token_count(self.name, key)
        if n is None:
            n = self.inner.count_tokens(text)
            self._new_counts.append((key, n))
        return n

    def save_counts(self) -> None:
        """Store the token counts measured since the last call (a lost one is only counted again)."""
        new, self._new_counts = self._new_counts, []
        if new:
            self.cache.put_token_counts(self.name, new)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def lookup(self, texts: Sequence[str]) -> list[list[float] | None]:
        """The cached vector of each text (None where it must be embedded), counted as hits; the misses are counted
        when `embed_documents` embeds them. Lets a caller write the reused chunks while the rest are embedded."""
        keys = [EmbeddingCache.key(t) for t in texts]
        known = self.cache.get_many(self.name, keys, self.dim)
        self.hits += sum(1 for k in keys if k in known)
        return [known.get(k) for k in keys]

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        keys = [EmbeddingCache.key(t) for t in texts]
        return self._embed(texts, keys, self.cache.get_many(self.name, keys, self.dim))

    def embed_new(self, texts: Sequence[str]) -> list[list[float]]:
        """`embed_documents` for texts a `lookup` just found no vector for: the cache is not read again (the model
        gets the same texts, in the same order, as `embed_documents` would give it)."""
        return self._embed(texts, [EmbeddingCache.key(t) for t in texts], {})

    def _embed(self, texts: Sequence[str], keys: list[bytes], known: dict[bytes, list[float]]) -> list[list[float]]:
        # float32 round trip for every vector, cached or new, so reuse never changes a stored vector
        todo = sorted({k: i for i, k in enumerate(keys) if k not in known}.items(), key=lambda kv: kv[1])
        if todo:
            fresh = self.inner.embed_documents([texts[i] for _, i in todo])
            self.cache.put_many(self.name, [(k, v) for (k, _), v in zip(todo, fresh, strict=True)])
            for (k, _), v in zip(todo, fresh, strict=True):
                known[k] = np.asarray(v, dtype=np.float32).astype(np.float64).tolist()
        self.misses += len(todo)
        self.hits += len(texts) - len(todo)
        return [known[k] for k in keys]
