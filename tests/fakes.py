"""Small in-memory fakes of clinrag's protocols, for unit tests of logic (the contract tests hold them to the real thing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from rag.knowledge.base import Catalog, DocVersion, Hit, Scope
from rag.knowledge.embedders.hashing import HashEmbedder
from rag.knowledge.local import analyze
from rag.types import Chunk, GuidelineDoc, Passage

EMB = HashEmbedder(dim=16)


def _chunks(doc: GuidelineDoc, texts: list[str]) -> list[Chunk]:
    return [Chunk(doc_id=doc.doc_id, version=doc.version, content_hash=doc.content_hash, index=i, text=t, section="S",
                  page_start=1, page_end=1, char_start=0, char_end=len(t), language="en") for i, t in enumerate(texts)]


class FakeSearcher:
    """A brute-force Searcher over rows held in a list: the contract's reference, for unit tests of ranking logic."""

    def __init__(self, embedder: HashEmbedder = EMB) -> None:
        self.emb = embedder
        self.rows: dict[str, tuple[str, list[float], str, Passage]] = {}

    def add(self, doc: GuidelineDoc, texts: list[str]) -> None:
        for ch, vec in zip(_chunks(doc, texts), self.emb.embed_documents(texts), strict=True):
            p = Passage(chunk_id=ch.chunk_id, doc_id=doc.doc_id, title=doc.title, publisher=doc.publisher, version=doc.version,
                        source=doc.source, section=ch.section, page_start=1, page_end=1, text=ch.text, language="en",
                        content_hash=doc.content_hash)
            self.rows[ch.chunk_id] = (doc.content_hash, vec, f"{doc.title}. {ch.section}. {ch.text}", p)

    def search(self, vector: Sequence[float], text: str, k: int, scope: Scope) -> list[Hit]:
        allowed = scope.allowed()
        rows = {c: r for c, r in self.rows.items() if r[0] in allowed}
        dense = {c: float(sum(a * b for a, b in zip(vector, r[1], strict=True))) for c, r in rows.items()}
        top_dense = sorted(rows, key=lambda c: (-dense[c], c))[:k]
        terms = set(analyze(text))
        bm25 = {c: float(len(terms & set(analyze(r[2])))) for c, r in rows.items()} if text.strip() else {}
        top_bm25 = [c for c in sorted(bm25, key=lambda c: (-bm25[c], c)) if bm25[c] > 0][:k]
        return [Hit(c, rows[c][0], dense[c], bm25[c] if c in top_bm25 else 0.0) for c in dict.fromkeys(top_dense + top_bm25)]

    def passages(self, ids: Sequence[str]) -> dict[str, Passage]:
        return {c: replace(self.rows[c][3]) for c in ids if c in self.rows}

    def document_scores(self, vector: Sequence[float], content_hashes: Sequence[str]) -> dict[str, float]:
        out = {}
        for h in content_hashes:
            vs = [r[1] for r in self.rows.values() if r[0] == h]
            if vs:
                mean = [sum(col) for col in zip(*vs, strict=True)]
                norm = sum(x * x for x in mean) ** 0.5 or 1.0
                out[h] = sum(a * b / norm for a, b in zip(vector, mean, strict=True))
        return out

    def term_coverage(self, text: str, content_hashes: Sequence[str]) -> dict[str, tuple[float, float]]:
        """Unweighted here: the share of the query's indexed terms in the version, and of its 3 longest."""
        indexed = {t for r in self.rows.values() for t in analyze(r[2])}
        terms = sorted({t for t in analyze(text) if t in indexed}, key=lambda t: (-len(t), t))
        out = {}
        for h in content_hashes:
            have = {t for r in self.rows.values() if r[0] == h for t in analyze(r[2])}
            if have and terms:
                out[h] = (sum(t in have for t in terms) / len(terms), sum(t in have for t in terms[:3]) / len(terms[:3]))
        return out

    def spell(self, word: str) -> str | None:
        return None


class FakeStore:
    """A SearchStore: a fixed catalog over a FakeSearcher."""

    def __init__(self, searcher: FakeSearcher, active: list[DocVersion]) -> None:
        self.searcher = searcher
        self._active = active

    def snapshot(self) -> Catalog:
        return Catalog(active=list(self._active), inactive_hashes=[])
