"""ingest_paths: parse -> chunk -> embed -> upsert -> activate, one file at a time.

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
from rag.knowledge.milvus import now_iso
from rag.settings import Settings

__all__ = ["FileResult", "IngestReport", "discover", "ingest_paths"]


@dataclass(slots=True)
class FileResult:
    path: str
    status: str  # ingested | unchanged | skipped | failed | dry-run
    doc_id: str = ""
    version: str = ""
    pages: int = 0
    chunks: int = 0
    replaced_version: str = ""
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(slots=True)
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

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
            "pages": pages, "chunks": chunks, "files": [asdict(f) for f in self.files],
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
    for item in found:
        if isinstance(item, tuple):
            result = FileResult(path=str(item[0]), status="failed", error=f"{item[0]}: {item[1]}")
        else:
            result = _ingest_one(item, settings, embedder, store, overrides or {}, dry_run, limits, seen_ids)
        report.files.append(result)
        bar.update(result)
        if on_file:
            on_file(result)
    report.seconds = time.perf_counter() - t0
    return report


def _ingest_one(
    path: Path, settings: Settings, embedder: Embedder, store: ChunkStore | None, overrides: dict[str, str],
    dry_run: bool, limits: PdfLimits, seen_ids: dict[str, str],
) -> FileResult:
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
        result.chunks = len(chunks)
        if not chunks:
            raise DocumentError(parsed.source, "no text left after cleaning (only headers, page numbers or headings)")
        if dry_run or store is None:
            result.status = "dry-run"
            return result
        info = DocVersion(
            doc_id=doc.doc_id, content_hash=doc.content_hash, version=doc.version, title=doc.title, publisher=doc.publisher,
            language=doc.language, source=doc.source, license=doc.license, date=doc.date, topic=doc.topic,
            groups=doc.patient_groups, status="active", chunk_count=len(chunks), pages=parsed.page_count,
            ingested_at=now_iso(), metadata_origin=doc.metadata_origin, fingerprint=fp,
        )
        store.mark_pending(info)  # searches exclude this version until the pointer names it
        batch = max(settings.embed_batch_size * 4, 64)
        for i in range(0, len(chunks), batch):
            part = chunks[i:i + batch]
            vectors = embedder.embed_documents([embed_text(doc, c.section, c.text) for c in part])
            store.upsert_chunks(doc, part, vectors)
        previous = store.activate(info)  # flushes the new chunks with the catalog rows
        result.replaced_version = previous.version if previous else ""
        result.status = "ingested"
    except BackendUnavailableError:
        raise  # the store is gone: no point trying the other files
    except ClinragError as exc:
        result.error = str(exc)
    except Exception as exc:  # one broken file must never stop the batch
        result.error = f"{path.name}: unexpected {type(exc).__name__}: {str(exc)[:300]}"
    finally:
        result.seconds = round(time.perf_counter() - t0, 3)
    return result
