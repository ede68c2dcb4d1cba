"""Pure data passed between the layers: documents, chunks, passages."""

from __future__ import annotations

from dataclasses import dataclass, field
from hashlib import sha256

__all__ = ["GuidelineDoc", "Chunk", "Passage", "age_group"]


@dataclass(frozen=True, slots=True)
class GuidelineDoc:
    """One version of one guideline document."""

    doc_id: str  # stable identity across versions (slug of title or front-matter `id`)
    title: str
    publisher: str
    version: str
    language: str  # "en" | "zh"
    source: str  # file name the content team ingested
    license: str = ""
    content_hash: str = ""
    date: str = ""
    topic: str = ""
    # who the document is about: any of "adult", "adolescent" (a child aged 10+), "child", "infant", "pregnant",
    # "female", "male";
    # empty means everyone
    patient_groups: tuple[str, ...] = ()
    metadata_origin: str = ""  # where the metadata came from: front matter, sidecar, pdf, flags

    @property
    def version_key(self) -> str:
        """Identity of this exact version: the content hash decides, not the label."""
        return f"{self.doc_id}@{self.content_hash[:16]}"


@dataclass(frozen=True, slots=True)
class Chunk:
    """One span of one guideline version: the unit we embed, store and cite."""

    doc_id: str
    version: str
    content_hash: str  # of the document version
    index: int
    text: str
    section: str  # "2 Assessment > 2.1 Red flags"
    page_start: int
    page_end: int
    char_start: int
    char_end: int
    language: str
    roles: tuple[str, ...] = ()  # sentence roles present (rag.knowledge.roles), set at ingest; not part of the id

    @property
    def chunk_id(self) -> str:
        key = f"{self.doc_id}/{self.content_hash}/{self.index}/{self.text}"
        return sha256(key.encode("utf-8")).hexdigest()[:32]


@dataclass(slots=True)
class Passage:
    """A retrieved chunk with its document's metadata and retrieval scores."""

    chunk_id: str
    doc_id: str
    title: str
    publisher: str
    version: str
    source: str
    section: str
    page_start: int
    page_end: int
    text: str
    language: str
    active: bool = True
    score: float = 0.0  # fused relevance in [0, 1]
    dense_score: float = 0.0  # cosine similarity
    bm25_score: float = 0.0
    patient_groups: tuple[str, ...] = ()
    content_hash: str = ""  # of the document version the passage belongs to
    extra: dict[str, str] = field(default_factory=dict)

    def copy(self) -> Passage:
        """A shallow copy with its own `extra`: what `dataclasses.replace(p, extra=dict(p.extra))` makes, without
        replace's keyword building (stores hand out copies of the passages they keep, ~90 per consultation)."""
        # every field, in order (tests/test_serving_caches.py checks this against dataclasses.fields)
        return Passage(self.chunk_id, self.doc_id, self.title, self.publisher, self.version, self.source, self.section,
                       self.page_start, self.page_end, self.text, self.language, self.active, self.score, self.dense_score,
                       self.bm25_score, self.patient_groups, self.content_hash, dict(self.extra))

    @property
    def pages(self) -> str:
        if self.page_start == self.page_end:
            return str(self.page_start)
        return f"{self.page_start}-{self.page_end}"



ADOLESCENT_FROM = 10  # years: WHO counts adolescence from 10; a document for "adolescent" suits a child this old


def age_group(age: float | None) -> str | None:
    """Map an age in years to the patient group used to filter documents."""
    if age is None:
        return None
    if age < 1:
        return "infant"
    if age < 18:
        return "child"
    return "adult"
