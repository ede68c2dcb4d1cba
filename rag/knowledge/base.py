"""What ingest and retrieval need from a knowledge base, as protocols, and the records they share.

Two searchers implement `Searcher`: Milvus' own search (rag/knowledge/milvus.py, `MilvusSearch`)
and the in-memory copy of the active chunks (rag/knowledge/local.py, `LocalSearch`). A search
returns hits carrying both scores; `passages()` reads the cited text once, after fusion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from rag.types import Chunk, GuidelineDoc, Passage

__all__ = ["Catalog", "DocVersion", "Hit", "Scope", "Searcher", "SearchStore", "ChunkStore"]


@dataclass(frozen=True, slots=True)
class DocVersion:
    """One row of the document catalog, as `clinrag guidelines list` shows it."""

    doc_id: str
    content_hash: str
    version: str
    title: str
    publisher: str
    language: str
    source: str
    license: str
    date: str
    topic: str
    groups: tuple[str, ...]
    status: str  # active | superseded | retired | pending
    chunk_count: int
    pages: int
    ingested_at: str
    metadata_origin: str
    fingerprint: str = ""  # hash of the file's bytes, its sidecar and the ingest flags: skips unchanged files unparsed

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["groups"] = list(self.groups)
        return data


@dataclass(frozen=True, slots=True)
class Catalog:
    """One consistent read of the document catalog."""

    active: list[DocVersion]
    inactive_hashes: list[str]
    blocked: frozenset[str] = frozenset()  # quarantined or rejected chunk ids (rag.safety.screen): never searched


@dataclass(frozen=True, slots=True)
class Scope:
    """The document versions a search may see: these active ones, minus any `exclude`d hashes.

    `exclude` (every inactive hash of the same catalog read) keeps a Milvus filter short at scale
    and hides versions another process began writing after the read."""

    active: Sequence[DocVersion]
    exclude: Sequence[str] | None = None
    blocked: frozenset[str] = frozenset()  # chunk ids held back by screening until a content owner approves them

    def allowed(self) -> set[str]:
        return {d.content_hash for d in self.active} - set(self.exclude or ())


@dataclass(frozen=True, slots=True)
class Hit:
    """One candidate chunk with both scores: dense is the exact inner product with the query;
    bm25 is its BM25 score when it is among the BM25 top k, else 0."""

    chunk_id: str
    content_hash: str
    dense: float
    bm25: float


class Searcher(Protocol):
    def search(self, vector: Sequence[float], text: str, k: int, scope: Scope) -> list[Hit]:
        """Union of the dense top k and (when text is not blank) the BM25 top k within scope, each hit once."""
        ...

    def passages(self, ids: Sequence[str]) -> dict[str, Passage]:
        """Stored passages by chunk id, in one read; ids no longer stored are left out."""
        ...

    def document_scores(self, vector: Sequence[float], content_hashes: Sequence[str]) -> dict[str, float]:
        """Inner product of the query with each version's mean passage vector; empty when the searcher cannot tell."""
        ...

    def term_coverage(self, text: str, content_hashes: Sequence[str]) -> dict[str, tuple[float, float]]:
        """Per version: (IDF-weighted share of the query's terms found anywhere in it, share of its 3 rarest terms found);
        empty when the searcher cannot tell."""
        ...

    def spell(self, word: str) -> str | None:
        """A known word one edit away from a word the index does not know, or None (also when it cannot tell)."""
        ...


class SearchStore(Protocol):
    """What retrieval needs: a catalog read and a searcher."""

    @property
    def searcher(self) -> Searcher: ...

    def snapshot(self) -> Catalog: ...


class ChunkStore(Protocol):
    """What ingest needs: the catalog rows it checks and the writes it makes."""

    def active_by_fingerprint(self, fingerprint: str) -> DocVersion | None: ...

    def active_version(self, doc_id: str) -> DocVersion | None: ...

    # one query for many files (ingest/run.py looks ahead a window of files at a time)
    def active_by_fingerprints(self, fingerprints: Sequence[str]) -> dict[str, DocVersion]: ...

    def active_versions(self, doc_ids: Sequence[str]) -> dict[str, DocVersion]: ...

    def mark_pending(self, info: DocVersion) -> None: ...

    def upsert_chunks(self, doc: GuidelineDoc, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> int: ...

    def activate(self, info: DocVersion) -> DocVersion | None: ...

    # rounds of files (ingest/run.py): one write per kind for many documents, each keeping its own pointer commit
    def mark_pending_many(self, infos: Sequence[DocVersion]) -> None: ...

    def chunk_rows(self, doc: GuidelineDoc, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> list[dict[str, Any]]: ...

    def upsert_rows(self, rows: Sequence[dict[str, Any]]) -> None: ...

    def activate_many(self, infos: Sequence[DocVersion], *, flush: bool = True) -> list[DocVersion | None]: ...

    def flush(self) -> None: ...  # seal what was written (ingest does it once per run, not per round)

    # screening (rag.safety.screen): flagged chunks are held back before their version can become visible
    def quarantine(self, doc_id: str, content_hash: str, flagged: Sequence[Any]) -> int: ...
