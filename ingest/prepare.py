"""The pure part of ingesting a file: read, settle metadata, chunk, tag roles, screen; in worker processes ahead of its turn.

A file's store-free work (about 12 ms of CPU for a one-page leaflet, most of it the role and
screening regexes) runs in a pool of worker processes while the ingest process embeds and writes
earlier files, so on a run of many small files that work no longer adds to the wall time. The
ingest process keeps everything that reads or writes the knowledge base (catalog look-ups,
duplicate ids in a run, quarantine rows, commits) and takes the results in file order.

Workers count tokens with the embedder's own tokenizer (`token_counter`), so chunks are the same
as chunking in the ingest process; an embedder whose tokenizer a worker cannot load keeps the
work in the ingest process. PDFs keep their own parse server (ingest/pdf.py): only their chunking
is left, and it runs in the ingest process.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.chunk import chunk_document
from ingest.document import ParsedFile
from ingest.formats import read_file, resolve_metadata
from ingest.pdf import PdfLimits, PdfParser, PdfTicket
from rag.errors import ClinragError
from rag.knowledge.roles import tag_roles
from rag.safety.screen import ChunkFlag, screen_chunks
from rag.types import Chunk, GuidelineDoc

if TYPE_CHECKING:
    from rag.settings import Settings

__all__ = ["ChunkParams", "PreparePool", "Read", "TokenizerCounter", "chunk_and_screen", "content_hash", "prepare_text",
           "read_document", "token_counter"]


@dataclass(frozen=True, slots=True)
class ChunkParams:
    """What chunking needs besides the text (settings and the embedder's window)."""

    chunk_tokens: int
    overlap_tokens: int
    max_tokens: int
    max_bytes: int
    limits: PdfLimits

    @classmethod
    def from_settings(cls, settings: Settings, max_tokens: int) -> ChunkParams:
        """The configured chunk size, overlap, file size and PDF limits, with the embedder's window."""
        return cls(chunk_tokens=settings.chunk_tokens, overlap_tokens=settings.chunk_overlap, max_tokens=max_tokens,
                   max_bytes=int(settings.max_file_mb * 1e6),
                   limits=PdfLimits(settings.max_pdf_pages, settings.parse_timeout_s, settings.parse_memory_mb))


@dataclass(slots=True)
class Read:
    """A file read and its metadata settled (`skipped` names why it is not ingested, e.g. the Markdown source of a PDF)."""

    doc: GuidelineDoc | None
    pages: int = 0
    page_count: int = 0
    reused_pages: int = 0
    warnings: list[str] = field(default_factory=list)
    skipped: str = ""
    parsed: ParsedFile | None = None  # kept only in the ingest process (chunking needs the pages)


@dataclass(slots=True)
class Prepared:
    """A worker's answer for one file: its read, and chunks with their screening flags; or the error it met."""

    read: Read | None = None
    chunks: list[Chunk] = field(default_factory=list)
    flagged: list[ChunkFlag] = field(default_factory=list)
    error: str = ""


def content_hash(raw_hash: str, doc_fields: dict[str, Any]) -> str:
    key = json.dumps({"raw": raw_hash, **doc_fields}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(key.encode()).hexdigest()


def read_document(path: Path, params: ChunkParams, overrides: dict[str, str], *, parser: PdfParser | None = None,
                  ticket: PdfTicket | None = None, page_cache: Path | None = None) -> Read:
    """Parse the file and settle its metadata and content hash; DocumentError (a ClinragError) names the problem."""
    parsed = read_file(path, params.limits, params.max_bytes, parser=parser, ticket=ticket, page_cache=page_cache)
    published = parsed.metadata.get("published_as") if parsed.fmt == "markdown" else None
    if published and (path.parent / str(published)).exists():
        # this Markdown is the source of a PDF beside it; the PDF is what gets ingested
        return Read(doc=None, reused_pages=parsed.reused_pages, skipped=f"source of {published}, which is ingested instead")
    doc, notes = resolve_metadata(parsed, overrides)
    fields = {k: v for k, v in asdict(doc).items() if k not in {"content_hash", "metadata_origin"}}
    doc = replace(doc, content_hash=content_hash(parsed.raw_hash, fields))
    return Read(doc=doc, pages=len(parsed.pages), page_count=parsed.page_count, reused_pages=parsed.reused_pages,
                warnings=parsed.warnings + notes, parsed=parsed)


def chunk_and_screen(read: Read, count_tokens: Callable[[str], int], params: ChunkParams,
                     on_chunks: Callable[[list[Chunk]], None] | None = None) -> tuple[list[Chunk], list[ChunkFlag]]:
    """Chunks (never longer than the embedder's window) with their sentence roles, and the ones screening flags.

    on_chunks hears the chunks before roles and screening (neither changes a chunk's id, section or text), so a
    caller can start embedding them meanwhile."""
    assert read.doc is not None and read.parsed is not None
    chunks = chunk_document(read.doc, read.parsed.pages, read.parsed.fmt, count_tokens, chunk_tokens=params.chunk_tokens,
                            overlap_tokens=params.overlap_tokens, max_tokens=params.max_tokens)
    if on_chunks is not None:
        on_chunks(list(chunks))
    chunks = tag_roles(chunks)
    return list(chunks), screen_chunks(chunks)


def prepare_text(path: Path, params: ChunkParams, overrides: dict[str, str], count_tokens: Callable[[str], int]) -> Prepared:
    """Everything store-free for one Markdown or text file; errors come back as text, in the words _prepare uses."""
    try:
        read = read_document(path, params, overrides)
        if read.doc is None:
            return Prepared(read=read)
        chunks, flagged = chunk_and_screen(read, count_tokens, params)
        read.parsed = None  # the pages stay in the worker: the chunks carry what the ingest process needs
        return Prepared(read=read, chunks=chunks, flagged=flagged)
    except ClinragError as exc:
        return Prepared(error=str(exc))
    except Exception as exc:  # noqa: BLE001 - one broken file must never stop the batch
        return Prepared(error=f"{path.name}: unexpected {type(exc).__name__}: {str(exc)[:300]}")


class TokenizerCounter:
    """Token counts from a fast tokenizer file, with [CLS] and [SEP] (ExportedEmbedder.count_tokens, loadable in a worker)."""

    def __init__(self, tokenizer_json: str) -> None:
        self.path = tokenizer_json
        self._tok: Any = None

    def __getstate__(self) -> dict[str, str]:
        return {"path": self.path}

    def __setstate__(self, state: dict[str, str]) -> None:
        self.path, self._tok = state["path"], None

    def __call__(self, text: str) -> int:
        if self._tok is None:
            from tokenizers import Tokenizer

            self._tok = Tokenizer.from_file(self.path)
            self._tok.no_truncation()
            self._tok.no_padding()
        return len(self._tok.encode(text).ids)


def token_counter(embedder: Any) -> Callable[[str], int] | None:
    """A picklable function counting tokens exactly as `embedder.count_tokens` does, or None when a worker cannot."""
    from rag.knowledge.embedders.exported import ExportedEmbedder
    from rag.knowledge.embedders.hashing import HashEmbedder

    inner = embedder
    while hasattr(inner, "inner"):  # the embedding cache, batching and timing wrappers count with the model they wrap
        inner = inner.inner
    if isinstance(inner, HashEmbedder):
        return inner.count_tokens
    if isinstance(inner, ExportedEmbedder):
        return TokenizerCounter(str(inner.folder / "tokenizer.json"))
    return None


# --- the pool ------------------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(params: ChunkParams, overrides: dict[str, str], count_tokens: Callable[[str], int]) -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # one file at a time per worker
    _WORKER.update(params=params, overrides=overrides, count=count_tokens)


def _work(path: str) -> Prepared:
    return prepare_text(Path(path), _WORKER["params"], _WORKER["overrides"], _WORKER["count"])


class PreparePool:
    """Worker processes preparing text files ahead of their turn; started on the first submit, closed by `close`.

    Workers come from a fork server (a fresh interpreter that imports this module once and forks each
    worker), never from a fork of the ingest process, whose model and Milvus threads a child must not inherit."""

    def __init__(self, workers: int, params: ChunkParams, overrides: dict[str, str], count_tokens: Callable[[str], int]) -> None:
        self.workers = workers
        self._args = (params, overrides, count_tokens)
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, path: Path) -> Future[Prepared]:
        if self._pool is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["ingest.prepare"])
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx, initializer=_init_worker, initargs=self._args)
        return self._pool.submit(_work, str(path))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
