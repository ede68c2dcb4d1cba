"""ingest_paths: parse -> chunk, then per round of files: embed (reusing cached embeddings) -> upsert -> activate.

Crash safety comes from the order of writes: chunks are upserted under deterministic ids first
(at-least-once inserts cannot duplicate them), and only then does one pointer upsert make the
version visible. A run killed at any moment leaves either the old version active or the new one
complete; re-running converges because an unchanged active version is skipped and a partial one
is rewritten under the same ids.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ingest.chunk import chunk_document, embed_text
from ingest.formats import SUFFIXES, read_file, resolve_metadata
from ingest.pdf import PdfLimits
from rag.errors import BackendUnavailableError, ClinragError, DocumentError
from rag.knowledge.base import ChunkStore, DocVersion
from rag.knowledge.embedders.base import Embedder
from rag.knowledge.embedders.cache import CachedEmbedder, EmbeddingCache
from rag.knowledge.milvus import now_iso
from rag.knowledge.roles import tag_roles
from rag.safety.screen import screen_chunks
from rag.settings import Settings
from rag.types import Chunk, GuidelineDoc

__all__ = ["FileResult", "IngestReport", "discover", "ingest_paths"]


@dataclass(slots=True)
class FileResult:
    path: str
    status: str  # ingested | unchanged | skipped | failed | dry-run (pending only while its round is open)
    doc_id: str = ""
    version: str = ""
    pages: int = 0
    chunks: int = 0
    replaced_version: str = ""
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # chunks screening held back until a content owner approves them (rag.safety.screen)
    flagged: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    embedded: int = 0  # chunk texts embedded in this run
    reused: int = 0  # chunk texts whose embedding came from the cache (unchanged text of an earlier version or run)

    @property
    def ok(self) -> bool:
        return all(f.status != "failed" for f in self.files) and bool(self.files)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    def to_json(self) -> dict[str, Any]:
        pages = sum(f.pages for f in self.files if f.status == "ingested")
        chunks = sum(f.chunks for f in self.files if f.status == "ingested")
        return {
            "ok": self.ok, "seconds": round(self.seconds, 3),
            "ingested": self.count("ingested"), "unchanged": self.count("unchanged"), "failed": self.count("failed"),
            "pages": pages, "chunks": chunks, "embedded": self.embedded, "reused": self.reused,
            "flagged": sum(len(f.flagged) for f in self.files),
            "files": [asdict(f) for f in self.files],
        }

    def summary(self) -> str:
        lines = []
        for f in self.files:
            if f.status == "failed":
                lines.append(f"FAILED     {f.path}: {f.error}")
                continue
            extra = f" (replaces version {f.replaced_version})" if f.replaced_version else ""
            lines.append(f"{f.status:<10} {f.path}: {f.doc_id} v{f.version}, {f.pages} pages, {f.chunks} chunks{extra}")
            lines.extend(f"           warning: {w}" for w in f.warnings)
            lines.extend(f"           FLAGGED page {q['pages']}, chunk {q['chunk']} ({q['chunk_id']}): {'; '.join(q['reasons'])} "
                         "- held back from search until approved (`clinrag guidelines approve`)" for q in f.flagged)
        if not self.files:
            lines.append("no .pdf, .md or .txt files found under the given paths")
        j = self.to_json()
        lines.append(f"{j['ingested']} ingested, {j['unchanged']} unchanged, {j['failed']} failed; "
                     f"{j['pages']} pages, {j['chunks']} chunks in {self.seconds:.1f} s")
        return "\n".join(lines)


def discover(paths: Iterable[Path]) -> Iterator[Path | tuple[Path, str]]:
    """Files under the given paths in a stable order; unreadable paths come back with a reason."""
    for path in paths:
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                # a folder's README describes the folder; it is not a guideline (name it explicitly to ingest it)
                if p.is_file() and p.suffix.lower() in SUFFIXES and p.stem.lower() != "readme":
                    yield p
        elif path.is_file():
            yield path
        elif path.exists():
            yield path, "not a regular file"
        else:
            yield path, "no such file or directory"


def fingerprint(path: Path, overrides: dict[str, str]) -> str:
    """Hash of a file's name and bytes, its sidecar and the flags; empty when the file cannot be read."""
    h = hashlib.sha256(path.name.encode() + b"\0")  # two files with equal bytes are still two documents
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        sidecar = path.with_name(path.stem + ".meta.yaml")
        if sidecar.exists():
            h.update(b"\0sidecar\0" + sidecar.read_bytes())
    except OSError:
        return ""  # read_file reports the problem with its own words
    h.update(json.dumps(overrides, sort_keys=True).encode())
    return h.hexdigest()


def _content_hash(raw_hash: str, doc_fields: dict[str, Any]) -> str:
    key = json.dumps({"raw": raw_hash, **doc_fields}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(key.encode()).hexdigest()


class _Progress:
    """One status line on a terminal: files, pages/s, chunks/s, ETA."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled = total, enabled
        self.start = time.perf_counter()
        self.done = self.pages = self.chunks = 0

    def update(self, result: FileResult) -> None:
        self.done += 1
        self.pages += result.pages if result.status == "ingested" else 0
        self.chunks += result.chunks if result.status == "ingested" else 0
        if not self.enabled:
            return
        el = max(time.perf_counter() - self.start, 1e-6)
        eta = el / self.done * (self.total - self.done)
        bar = "#" * int(20 * self.done / max(self.total, 1))
        sys.stderr.write(f"\r[{bar:<20}] {self.done}/{self.total} files  {self.pages / el:.1f} pages/s  "
                         f"{self.chunks / el:.1f} chunks/s  ETA {eta:.0f}s ")
        if self.done == self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


@dataclass(slots=True)
class _Prepared:
    """A parsed and chunked file waiting for its round: embedded, written and activated with others."""

    result: FileResult
    doc: GuidelineDoc
    info: DocVersion
    chunks: list[Chunk]
    t0: float


class _Round:
    """Files committed together: one embedding call over all their chunks (full, length-sorted
    batches across file boundaries), one chunk upsert, one catalog write per kind, one flush. Each
    document keeps its own commit point (its pointer row), so a version is visible whole or not at all."""

    def __init__(self, max_docs: int, max_chunks: int) -> None:
        self.max_docs, self.max_chunks = max_docs, max_chunks
        self.items: list[_Prepared] = []
        self.n_chunks = 0

    def add(self, item: _Prepared) -> bool:
        """Queue a file; True when the round is full."""
        self.items.append(item)
        self.n_chunks += len(item.chunks)
        return len(self.items) >= self.max_docs or self.n_chunks >= self.max_chunks

    def commit(self, embedder: Embedder, store: ChunkStore) -> list[FileResult]:
        items, self.items, self.n_chunks = self.items, [], 0
        if not items:
            return []
        try:
            store.mark_pending_many([it.info for it in items])  # searches exclude these until their pointers name them
            texts = [embed_text(it.doc, c.section, c.text) for it in items for c in it.chunks]
            vectors = embedder.embed_documents(texts)
            rows: list[dict[str, Any]] = []
            at = 0
            for it in items:
                rows.extend(store.chunk_rows(it.doc, it.chunks, vectors[at:at + len(it.chunks)]))
                at += len(it.chunks)
            for i in range(0, len(rows), _UPSERT_ROWS):
                store.upsert_rows(rows[i:i + _UPSERT_ROWS])
            replaced = store.activate_many([it.info for it in items])  # flushes the new chunks with the catalog rows
            for it, prev in zip(items, replaced, strict=True):
                it.result.replaced_version = prev.version if prev else ""
                it.result.status = "ingested"
        except BackendUnavailableError:
            raise  # the store is gone: no point trying the other files
        except Exception as exc:  # noqa: BLE001 - reported per file; nothing of this round became visible unless activated
            for it in items:
                if it.result.status != "ingested":
                    it.result.status = "failed"
                    it.result.error = f"{Path(it.result.path).name}: {type(exc).__name__}: {str(exc)[:300]}"
        now = time.perf_counter()
        for it in items:
            it.result.seconds = round(now - it.t0, 3)
        return [it.result for it in items]


_UPSERT_ROWS = 512


def ingest_paths(
    paths: Iterable[Path],
    settings: Settings,
    embedder: Embedder,
    store: ChunkStore | None,
    *,
    overrides: dict[str, str] | None = None,
    dry_run: bool = False,
    progress: bool = False,
    on_file: Callable[[FileResult], None] | None = None,
) -> IngestReport:
    """Ingest every file; a bad file is reported and the rest carry on."""
    t0 = time.perf_counter()
    report = IngestReport()
    found = list(discover(paths))
    bar = _Progress(len(found), progress)
    limits = PdfLimits(settings.max_pdf_pages, settings.parse_timeout_s, settings.parse_memory_mb)
    seen_ids: dict[str, str] = {}
    cached: CachedEmbedder | None = None
    if store is not None and not dry_run and settings.embedding_cache:
        cached = CachedEmbedder(embedder, EmbeddingCache(settings.data_dir / "embeddings.sqlite3"))
        embedder = cached
    batch = _Round(settings.ingest_round_docs, settings.ingest_round_chunks)

    def done(results: Iterable[FileResult]) -> None:
        for r in results:
            bar.update(r)
            if on_file:
                on_file(r)

    try:
        for item in found:
            if isinstance(item, tuple):
                result = FileResult(path=str(item[0]), status="failed", error=f"{item[0]}: {item[1]}")
                report.files.append(result)
                done([result])
                continue
            prepared = _prepare(item, settings, embedder, store, overrides or {}, dry_run, limits, seen_ids)
            if isinstance(prepared, FileResult):
                report.files.append(prepared)
                done([prepared])
                continue
            report.files.append(prepared.result)  # filled in when its round commits; the report keeps file order
            if batch.add(prepared):
                assert store is not None
                done(batch.commit(embedder, store))
        if store is not None:
            done(batch.commit(embedder, store))
    finally:
        if cached is not None:
            report.embedded, report.reused = cached.misses, cached.hits
            cached.cache.close()
    report.seconds = time.perf_counter() - t0
    return report


def _prepare(
    path: Path, settings: Settings, embedder: Embedder, store: ChunkStore | None, overrides: dict[str, str],
    dry_run: bool, limits: PdfLimits, seen_ids: dict[str, str],
) -> FileResult | _Prepared:
    """Parse and chunk one file; a FileResult when there is nothing to write (unchanged, skipped, failed, dry run)."""
    t0 = time.perf_counter()
    result = FileResult(path=str(path), status="failed")
    try:
        fp = fingerprint(path, overrides)
        known = store.active_by_fingerprint(fp) if store is not None and fp else None
        if known is not None:  # same bytes, same sidecar, same flags: nothing to parse
            result.status, result.doc_id, result.version = "unchanged", known.doc_id, known.version
            result.pages, result.chunks = known.pages, known.chunk_count
            return result
        parsed = read_file(path, limits, int(settings.max_file_mb * 1e6))
        published = parsed.metadata.get("published_as") if parsed.fmt == "markdown" else None
        if published and (path.parent / str(published)).exists():
            # this Markdown is the source of a PDF beside it; the PDF is what gets ingested
            result.status, result.warnings = "skipped", [f"source of {published}, which is ingested instead"]
            return result
        doc, notes = resolve_metadata(parsed, overrides)
        result.warnings = parsed.warnings + notes
        if doc.doc_id in seen_ids:
            raise DocumentError(parsed.source, f"document id {doc.doc_id!r} was already used by {seen_ids[doc.doc_id]} in this run; "
                                "give each document its own `id`")
        seen_ids[doc.doc_id] = str(path)
        fields = {k: v for k, v in asdict(doc).items() if k not in {"content_hash", "metadata_origin"}}
        doc = replace(doc, content_hash=_content_hash(parsed.raw_hash, fields))
        result.doc_id, result.version, result.pages = doc.doc_id, doc.version, len(parsed.pages)
        current = store.active_version(doc.doc_id) if store is not None else None
        if current is not None and current.content_hash == doc.content_hash:
            result.status, result.chunks = "unchanged", current.chunk_count
            return result
        chunks = chunk_document(doc, parsed.pages, parsed.fmt, embedder.count_tokens, chunk_tokens=settings.chunk_tokens,
                                overlap_tokens=settings.chunk_overlap, max_tokens=embedder.max_tokens)
        chunks = tag_roles(chunks)
        result.chunks = len(chunks)
        if not chunks:
            raise DocumentError(parsed.source, "no text left after cleaning (only headers, page numbers or headings)")
        flagged = screen_chunks(chunks)
        result.flagged = [{"chunk": f.index, "chunk_id": f.chunk_id, "pages": f"{f.page_start}-{f.page_end}" if f.page_end != f.page_start
                           else str(f.page_start), "section": f.section, "reasons": f.reasons()} for f in flagged]
        if dry_run or store is None:
            result.status = "dry-run"
            return result
        store.quarantine(doc.doc_id, doc.content_hash, flagged)  # before the version can become visible
        info = DocVersion(
            doc_id=doc.doc_id, content_hash=doc.content_hash, version=doc.version, title=doc.title, publisher=doc.publisher,
            language=doc.language, source=doc.source, license=doc.license, date=doc.date, topic=doc.topic,
            groups=doc.patient_groups, status="active", chunk_count=len(chunks), pages=parsed.page_count,
            ingested_at=now_iso(), metadata_origin=doc.metadata_origin, fingerprint=fp,
        )
        result.status = "pending"
        return _Prepared(result=result, doc=doc, info=info, chunks=list(chunks), t0=t0)
    except BackendUnavailableError:
        raise  # the store is gone: no point trying the other files
    except ClinragError as exc:
        result.error = str(exc)
    except Exception as exc:  # one broken file must never stop the batch
        result.error = f"{path.name}: unexpected {type(exc).__name__}: {str(exc)[:300]}"
    finally:
        result.seconds = round(time.perf_counter() - t0, 3)
    return result
