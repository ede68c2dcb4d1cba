"""ingest_paths: parse -> chunk (text files in worker processes, ingest/prepare.py), then per round of files:
embed (reusing cached embeddings; in a thread, beside the previous round's writes) -> pending -> upsert -> activate.

Crash safety comes from the order of writes: chunks are upserted under deterministic ids first
(at-least-once inserts cannot duplicate them), and only then does one pointer upsert make the
version visible. A run killed at any moment leaves either the old version active or the new one
complete; re-running converges because an unchanged active version is skipped and a partial one
is rewritten under the same ids.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

from ingest.chunk import embed_text
from ingest.document import slugify
from ingest.formats import SUFFIXES
from ingest.pdf import PdfLimits, PdfParser, PdfTicket, shared_parser
from ingest.prepare import ChunkParams, PreparePool, chunk_and_screen, read_document, token_counter
from ingest.prepare import Prepared as PreparedText
from rag.errors import BackendUnavailableError, ClinragError, DocumentError
from rag.knowledge.base import ChunkStore, DocVersion
from rag.knowledge.embedders.base import Embedder
from rag.knowledge.embedders.cache import CachedEmbedder, EmbeddingCache
from rag.knowledge.milvus import now_iso
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
    reused_pages: int = 0  # PDF pages whose text came from the page cache
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
            "reused_pages": sum(f.reused_pages for f in self.files),
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


class _Progress:
    """Running totals after each file and each embedded slice: a status line on a terminal, events for callers.

    The ETA comes from measured throughput in bytes of files that needed work (unchanged, skipped and
    failed files take no time, so they do not count towards the rate), including the part of the
    current round already embedded, so a single large file still shows progress."""

    def __init__(self, total: int, sizes: dict[str, int], enabled: bool,
                 on_progress: Callable[[dict[str, Any]], None] | None) -> None:
        self.sizes, self.enabled, self.on_progress = sizes, enabled, on_progress
        self.total, self.total_bytes = total, sum(sizes.values())
        self.start = time.perf_counter()
        self.done = self.pages = self.chunks = 0
        self.counts: dict[str, int] = {}
        self.done_bytes = self.idle_bytes = 0
        self.round_bytes = 0.0  # bytes of the open round's files, credited as its chunks are embedded
        self.round_done = 0.0

    def update(self, result: FileResult) -> None:
        self.done += 1
        self.counts[result.status] = self.counts.get(result.status, 0) + 1
        size = self.sizes.get(result.path, 0)
        self.done_bytes += size
        if result.status in {"unchanged", "skipped", "failed"}:
            self.idle_bytes += size
        self.pages += result.pages if result.status == "ingested" else 0
        self.chunks += result.chunks if result.status == "ingested" else 0
        self.round_done = 0.0
        self._emit()

    def embedding(self, round_bytes: int, fraction: float) -> None:
        """Part of an open round's chunks are embedded (its files are reported when it commits)."""
        self.round_bytes, self.round_done = float(round_bytes), fraction
        self._emit()

    def event(self) -> dict[str, Any]:
        el = max(time.perf_counter() - self.start, 1e-6)
        partial = self.round_bytes * self.round_done
        worked = self.done_bytes - self.idle_bytes + partial
        left = max(self.total_bytes - self.done_bytes - partial, 0.0)
        eta = left / (worked / el) if worked > 0 else None
        return {"event": "progress", "files_total": self.total, "files_done": self.done,
                "ingested": self.counts.get("ingested", 0), "unchanged": self.counts.get("unchanged", 0),
                "failed": self.counts.get("failed", 0), "pages": self.pages, "chunks": self.chunks,
                "chunks_per_s": round(self.chunks / el, 2), "pages_per_s": round(self.pages / el, 2),
                "elapsed_s": round(el, 2), "eta_s": None if self.done == self.total else (round(eta, 1) if eta is not None else None)}

    def _emit(self) -> None:
        if not self.enabled and self.on_progress is None:
            return
        ev = self.event()
        if self.on_progress is not None:
            self.on_progress(ev)
        if not self.enabled:
            return
        frac = (self.done_bytes + self.round_bytes * self.round_done) / max(self.total_bytes, 1)
        bar = "#" * int(20 * min(frac, 1.0))
        eta = "0s" if self.done == self.total else "?" if ev["eta_s"] is None else f"{ev['eta_s']:.0f}s"
        sys.stderr.write(f"\r[{bar:<20}] {self.done}/{self.total} files  {self.pages} pages  {self.chunks} chunks  "
                         f"{ev['chunks_per_s']:.1f} chunks/s  ETA {eta} ")
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
    early: _Early | None = None  # its chunks' embedding, started before the round closed


@dataclass(slots=True)
class _Early:
    """A file's chunk texts sent to the model as soon as they were cut (before roles and screening, and before its
    round closed): the cached vector of each text (None where the model embeds it), and where the model's answer
    for those is: `count` vectors from `offset` of the job `vectors` (a small file shares a job with others; None
    while it waits in `_Pipeline._buffer`)."""

    texts: list[str]
    reused: list[list[float] | None]
    count: int
    offset: int = 0
    vectors: Future[list[list[float]]] | None = None
    seq: int = 0  # when its job was submitted (jobs run one at a time, in that order)


class _Round:
    """Files committed together: one embedding call over all their chunks (full, length-sorted batches
    across file boundaries), one chunk upsert, one catalog write per kind (sealing is left to `_Sealer`).
    Each document keeps its own commit point (its pointer row), so a version is visible whole or not at all.

    A closed round embeds in a background thread while the ingest thread writes the round before it
    (`_Pipeline`); every Milvus call stays on the ingest thread, in the order of a round committed alone."""

    def __init__(self, max_docs: int, max_chunks: int) -> None:
        self.max_docs, self.max_chunks = max_docs, max_chunks
        self.items: list[_Prepared] = []
        self.n_chunks = 0

    def add(self, item: _Prepared) -> bool:
        """Queue a file; True when the round is full."""
        self.items.append(item)
        self.n_chunks += len(item.chunks)
        return len(self.items) >= self.max_docs or self.n_chunks >= self.max_chunks

    def take(self) -> list[_Prepared]:
        items, self.items, self.n_chunks = self.items, [], 0
        return items


def _upsert(store: ChunkStore, items: list[_Prepared], vectors: list[list[float] | None], take: Callable[[int], bool]) -> None:
    """Upsert the chunks at the round's positions that `take` picks (each with its vector)."""
    rows: list[dict[str, Any]] = []
    at = 0
    for it in items:
        picked = [(c, v) for j, (c, v) in enumerate(zip(it.chunks, vectors[at:at + len(it.chunks)], strict=True)) if take(at + j)]
        if picked:
            rows.extend(store.chunk_rows(it.doc, [c for c, _ in picked], [v for _, v in picked if v is not None]))
        at += len(it.chunks)
    for i in range(0, len(rows), _UPSERT_ROWS):
        store.upsert_rows(rows[i:i + _UPSERT_ROWS])


def _write(items: list[_Prepared], vectors: Future[list[list[float]]], store: ChunkStore,
           wait: Callable[[Future[list[list[float]]]], list[list[float]]],
           reused: list[list[float] | None] | None = None) -> list[FileResult]:
    """Pending rows, then chunks, then each document's pointer: a kill anywhere leaves every version either
    complete and active or invisible. With `reused` (the cached vector of each of the round's chunks, None
    where it is being embedded), the reused chunks are written while `vectors` (the others, in order) embed.
    A file whose chunks were embedded early (`_Early`) is written as soon as its own job is done, while the model
    works on the next files, so what is left after the round's last model call is only that call's files."""
    try:
        store.mark_pending_many([it.info for it in items])  # searches exclude these until their pointers name them
        known: list[list[float] | None] = reused if reused is not None else [None] * sum(len(it.chunks) for it in items)
        if reused is not None:
            _upsert(store, items, known, lambda i: known[i] is not None)
        written: set[int] = set()  # round positions already upserted with their fresh vectors
        starts = [0]
        for it in items:
            starts.append(starts[-1] + len(it.chunks))
        # in the order the model runs the jobs (one thread, in submission order): a file whose job came early is
        # written while later jobs run, whatever its place in the round
        early_files = sorted((k for k, it in enumerate(items) if it.early is not None and it.early.vectors is not None
                              and it.early.count), key=lambda k: (items[k].early.seq, k))  # type: ignore[union-attr]
        for _, group in groupby(early_files, key=lambda k: items[k].early.seq):  # type: ignore[union-attr]
            ks = list(group)  # the files of one job (small files share one): one upsert
            mine: list[list[float] | None] = []
            part: list[list[float] | None] = []
            for k in ks:
                early, at, n = items[k].early, starts[k], len(items[k].chunks)
                assert early is not None and early.vectors is not None
                got = iter(wait(early.vectors)[early.offset:early.offset + early.count])
                mine += known[at:at + n]
                part += [v if v is not None else next(got) for v in known[at:at + n]]
                written.update(range(at, at + n))
            _upsert(store, [items[k] for k in ks], part, lambda i: mine[i] is None)  # called in this turn of the loop
        fresh = iter(wait(vectors))
        filled: list[list[float] | None] = [v if v is not None else next(fresh) for v in known]
        _upsert(store, items, filled, lambda i: known[i] is None and i not in written)
        replaced = store.activate_many([it.info for it in items], flush=False)  # ingest_paths seals at the end
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


class _Pipeline:
    """Rounds in flight: round N+1 embeds in a background thread while round N is written here.

    The model runs outside the GIL (OpenVINO, onnxruntime, torch), so the ingest thread's Python work
    (Milvus writes, catalog rows, taking the next files from the prepare workers) overlaps it. At most
    two rounds are held (one embedding, one writing), so memory stays flat in the corpus size."""

    def __init__(self, embedder: Embedder, store: ChunkStore, progress: _Progress, done: Callable[[list[FileResult]], None],
                 sealer: _Sealer) -> None:
        self.embedder, self.store, self.progress, self.done, self.sealer = embedder, store, progress, done, sealer
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clinrag-embed")
        self._held: tuple[list[_Prepared], Future[list[list[float]]], int, list[list[float] | None] | None] | None = None
        self._buffer: list[str] = []  # small files' texts waiting for a job of their own (`early`)
        self._waiting: list[_Early] = []
        self._jobs = 0  # early jobs submitted
        self._fraction = [0.0, 0.0]  # (round bytes, share embedded) of the round embedding now, for progress lines

    def early(self, doc: GuidelineDoc, chunks: list[Chunk], min_chunks: int) -> _Early:
        """Start embedding one file's chunks now, while the ingest thread tags and screens them and prepares the
        next files (files prepared in this process: PDFs, short runs of text files). Only full batches go early:
        a file of at least `min_chunks` new texts is a model job of its own, and smaller files collect in a buffer
        that goes as one job once it holds `min_chunks` texts; what is left waits for its round, as before. A small
        job sent early (a revised PDF's few changed chunks) only made the model share the cores with roles and
        screening, and was slower on median in side-by-side runs."""
        texts = [embed_text(doc, c.section, c.text) for c in chunks]
        reused, misses = _uncached(self.embedder, texts)
        early = _Early(texts=texts, reused=reused, count=len(misses))
        if not misses:  # every text cached: nothing for the model
            early.vectors = Future()
            early.vectors.set_result([])
        elif len(misses) >= min_chunks:
            early.vectors = self._thread.submit(_embed_in_slices, self.embedder, misses, self._fraction, 0)
            early.seq = self._jobs = self._jobs + 1
        else:
            early.offset = len(self._buffer)
            self._buffer.extend(misses)
            self._waiting.append(early)
            if len(self._buffer) >= min_chunks:
                self.flush()
        return early

    def flush(self) -> None:
        """Send the small files' buffered texts to the model as one job."""
        if not self._waiting:
            return
        future = self._thread.submit(_embed_in_slices, self.embedder, self._buffer, self._fraction, 0)
        self._jobs += 1
        for early in self._waiting:
            early.vectors, early.seq = future, self._jobs
        self._buffer, self._waiting = [], []

    def submit(self, items: list[_Prepared]) -> None:
        """Start embedding this round (the files whose embedding did not start early); write the one before it meanwhile."""
        if not items:
            return
        self.flush()  # the round's small files left in the buffer: one job, before the round's own
        round_bytes = sum(self.progress.sizes.get(it.result.path, 0) for it in items)
        cached = isinstance(self.embedder, CachedEmbedder)
        reused: list[list[float] | None] = []
        own: list[str] = []  # texts this round's own model call embeds (files without an early start), in order
        parts: list[_Early | int] = []  # per file: its early start, or its share of `own`
        for it in items:
            texts = [embed_text(it.doc, c.section, c.text) for c in it.chunks]
            if it.early is not None and it.early.texts != texts:  # never expected: roles and screening keep the text
                it.early = None
            if it.early is not None:
                reused.extend(it.early.reused)
                parts.append(it.early)
                continue
            found, misses = _uncached(self.embedder, texts)
            reused.extend(found)
            own.extend(misses)
            parts.append(len(misses))
        future = self._thread.submit(_embed_round, self.embedder, own, parts, self._fraction, round_bytes)
        self._write_held()
        self._held = (items, future, sum(len(it.chunks) for it in items), reused if cached else None)

    def finish(self) -> None:
        self._write_held()

    def close(self) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)

    def _write_held(self) -> None:
        if self._held is None:
            return
        items, future, chunks, reused = self._held
        self._held = None
        self.done(_write(items, future, self.store, self._wait, reused))
        self.sealer.written(chunks)

    def _wait(self, future: Future[list[list[float]]]) -> list[list[float]]:
        # progress lines come from this thread (callers' callbacks need not be thread-safe)
        while True:
            try:
                return future.result(timeout=0.5)
            except FuturesTimeout:
                round_bytes, fraction = self._fraction
                if fraction:
                    self.progress.embedding(int(round_bytes), fraction)


class _Sealer:
    """Seals (flushes) what rounds wrote: during a long run after `every_chunks` chunks or `every_s` seconds,
    whichever comes first, so a server searching meanwhile never scans a big growing segment and no single
    seal (its index build) grows with the corpus; and at the end of a run once `end_min` chunks are unsealed,
    counting what earlier runs left unsealed (`ledger`, a small file beside the data). A small run (a revised
    guideline, a few leaflets) leaves its rows to a later run's seal: a seal of a few dozen rows cost as much
    as the rest of a revised PDF's writes and started an index build beside the next embedding. Sealing bought
    no safety: unsealed rows are durable (Milvus Lite's write-ahead log is written through on every insert and
    replayed on open) and visible (MilvusStore.activate_many); a growing segment of under `end_min` rows costs
    searches nothing measurable."""

    def __init__(self, store: ChunkStore | None, every_chunks: int, every_s: float, *, end_min: int = 0,
                 ledger: Path | None = None) -> None:
        self.store, self.every_chunks, self.every_s, self.end_min = store, every_chunks, every_s, end_min
        self.ledger, self.key = ledger, str(getattr(store, "collection", ""))
        self.last = time.monotonic()
        self.unsealed = 0  # chunks written since the last seal, by this run
        self.carried = self._read() if store is not None else 0  # left unsealed by earlier runs
        self.pending = False

    def written(self, chunks: int) -> None:
        self.pending, self.unsealed = True, self.unsealed + chunks
        if self.unsealed >= self.every_chunks or time.monotonic() - self.last >= self.every_s:
            self.seal()

    def seal(self) -> None:
        if self.store is not None:
            self.store.flush()
        self.last, self.unsealed, self.pending = time.monotonic(), 0, False
        if self.carried:
            self.carried = 0
            self._write(0)

    def close(self) -> None:
        """At the end of a run, also one cut short by an error: what was written gets sealed once enough is unsealed."""
        if not self.pending:
            return
        try:
            if self.carried + self.unsealed >= self.end_min:
                self.seal()
            else:
                self._write(self.carried + self.unsealed)
        except Exception:  # noqa: BLE001 - never mask the run's own error; the rows are durable unsealed
            pass

    def _read(self) -> int:
        if self.ledger is None:
            return 0
        try:
            return int(json.loads(self.ledger.read_text(encoding="utf-8")).get(self.key, 0))
        except (OSError, ValueError, AttributeError, TypeError):
            return 0  # no ledger yet, or a damaged one: at worst the next seal comes later than it might

    def _write(self, n: int) -> None:
        if self.ledger is None:
            return
        try:
            counts = json.loads(self.ledger.read_text(encoding="utf-8"))
            counts = counts if isinstance(counts, dict) else {}
        except (OSError, ValueError):
            counts = {}
        counts[self.key] = n
        self.ledger.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.ledger.with_name(self.ledger.name + ".tmp")
        tmp.write_text(json.dumps(counts), encoding="utf-8")
        os.replace(tmp, self.ledger)


_SEAL_CHUNKS = 4096  # a seal's index build stays this size however large the corpus
_SEAL_S = 60.0
_SEAL_END_MIN = 1024  # unsealed chunks (this run's and earlier runs') that make a run seal at its end
_UPSERT_ROWS = 512
_SLICE = 256  # texts per embedding call: a multiple of the embedder's batch, so the batches are the same as one call's


def _uncached(embedder: Embedder, texts: list[str]) -> tuple[list[list[float] | None], list[str]]:
    """Each text's cached vector (None where the model must embed it), and the texts the model must embed, in order."""
    reused: list[list[float] | None] = (embedder.lookup(texts) if isinstance(embedder, CachedEmbedder)
                                        else [None] * len(texts))
    return reused, [t for t, v in zip(texts, reused, strict=True) if v is None]


def _embed_round(embedder: Embedder, own: list[str], parts: list[_Early | int], fraction: list[float],
                 round_bytes: int) -> list[list[float]]:
    """A round's vectors for the texts not cached, in the round's order: its own texts embedded together (full,
    length-sorted batches across file boundaries), spliced with the files embedded early. Early jobs were
    submitted to the same one-thread executor before this one, so they are finished (or failed: then so does this)."""
    fresh = _embed_in_slices(embedder, own, fraction, round_bytes) if own else []
    out: list[list[float]] = []
    at = 0
    for part in parts:
        if isinstance(part, _Early):
            assert part.vectors is not None  # submit flushed the buffer before this job
            out.extend(part.vectors.result()[part.offset:part.offset + part.count])
        else:
            out.extend(fresh[at:at + part])
            at += part
    return out


def _embed_in_slices(embedder: Embedder, texts: list[str], fraction: list[float], round_bytes: int) -> list[list[float]]:
    """Embed length-sorted slices (the same full batches as one call), noting the share done after each in
    `fraction` ([round bytes, share]) for the ingest thread's progress lines. The texts are ones `_uncached` found
    no vector for, so the embedding cache is not asked again (`CachedEmbedder.embed_new`)."""
    embed = embedder.embed_new if isinstance(embedder, CachedEmbedder) else embedder.embed_documents
    fraction[0], fraction[1] = float(round_bytes), 0.0
    if len(texts) <= _SLICE:
        return embed(texts)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    out: list[list[float]] = [[] for _ in texts]
    for at in range(0, len(order), _SLICE):
        part = order[at:at + _SLICE]
        for i, vec in zip(part, embed([texts[i] for i in part]), strict=True):
            out[i] = vec
        fraction[1] = min(at + _SLICE, len(order)) / len(order)
    return out


@dataclass(slots=True)
class _Ahead:
    """A file looked at ahead of its turn: fingerprint checked (one query per window), PDF parse started."""

    path: Path
    fingerprint: str = ""
    known: DocVersion | None = None  # the active version made from exactly these bytes and flags
    active: DocVersion | None = None  # the active version under the file's likely id (its file stem), if any
    guessed_id: str = ""
    ticket: PdfTicket | None = None
    future: Future[PreparedText] | None = None  # a text file being prepared by a worker process


class _Lookahead:
    """Files in their order, each fingerprinted and (PDFs) being parsed, (text files) being prepared in a
    child process before its turn.

    Parsing runs in child processes while this process embeds and writes, bounded to `pdfs` PDF parses
    in flight and to the window for text files; catalog look-ups are made for a window of files in one
    query each instead of per file."""

    def __init__(self, paths: list[Path], store: ChunkStore | None, overrides: dict[str, str], limits: PdfLimits,
                 parser: PdfParser | None, window: int, pdfs: int, max_bytes: int, page_cache: Path | None,
                 pool: PreparePool | None = None) -> None:
        self._todo = deque(paths)
        self._queue: deque[_Ahead] = deque()
        self._store, self._overrides, self._limits, self._parser = store, overrides, limits, parser
        self._window, self._pdfs, self._max_bytes, self._page_cache = window, pdfs, max_bytes, page_cache
        self._pool = pool

    def top_up(self) -> None:
        if len(self._queue) < self._window // 2 and self._todo:
            fresh = [_Ahead(self._todo.popleft()) for _ in range(min(self._window - len(self._queue), len(self._todo)))]
            for a in fresh:
                a.fingerprint = fingerprint(a.path, self._overrides)
                a.guessed_id = slugify(a.path.stem)
            if self._store is not None:
                known = self._store.active_by_fingerprints([a.fingerprint for a in fresh if a.fingerprint])
                active = self._store.active_versions([a.guessed_id for a in fresh])
                for a in fresh:
                    a.known = known.get(a.fingerprint) if a.fingerprint else None
                    a.active = active.get(a.guessed_id)
            self._queue.extend(fresh)
            if self._pool is not None:
                for a in fresh:
                    if a.known is None and a.path.suffix.lower() in _TEXT_SUFFIXES:
                        a.future = self._pool.submit(a.path)
        if self._parser is None:
            return
        in_flight = sum(1 for a in self._queue if a.ticket is not None)
        for a in self._queue:
            if in_flight >= self._pdfs:
                break
            if a.ticket is None and a.known is None and a.path.suffix.lower() == ".pdf" and _parsable_pdf(a.path, self._max_bytes):
                # two children, each half the pages (one alone for a short file): the next file's chunks are ready
                # sooner, so the model waits less for them (or at all, for the first file)
                a.ticket = self._parser.submit(a.path, self._limits, self._page_cache, parts=2)
                in_flight += 1

    def next(self) -> _Ahead | None:
        self.top_up()
        return self._queue.popleft() if self._queue else None


_TEXT_SUFFIXES = {suffix for suffix, fmt in SUFFIXES.items() if fmt != "pdf"}
_POOL_MIN_FILES = 32  # text files needing work before worker processes pay for their start (~1 s)


def _prepare_workers(settings: Settings) -> int:
    """CLINRAG_INGEST_PREPARE_WORKERS, or by default one per two cores (the model keeps the others busy)."""
    return settings.ingest_prepare_workers or max(1, min(4, (os.cpu_count() or 2) // 2))


def _size(item: Path | tuple[Path, str]) -> int:
    try:
        return item.stat().st_size if isinstance(item, Path) else 0
    except OSError:
        return 0


def _parsable_pdf(path: Path, max_bytes: int) -> bool:
    """Whether read_file will get as far as parsing (else it reports the problem itself, with no parse to wait for)."""
    try:
        if not 0 < path.stat().st_size <= max_bytes:
            return False
        with path.open("rb") as fh:
            return b"%PDF-" in fh.read(1024)
    except OSError:
        return False


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
    on_progress: Callable[[dict[str, Any]], None] | None = None,
) -> IngestReport:
    """Ingest every file; a bad file is reported and the rest carry on.

    on_file hears each file's result as its round commits; on_progress hears the running totals
    (files, pages, chunks, chunks/s, ETA) after each file, for `--json` events and API job status."""
    t0 = time.perf_counter()
    report = IngestReport()
    found = list(discover(paths))
    seen_ids: dict[str, str] = {}
    cached: CachedEmbedder | None = None
    # unchanged PDF pages keep their extracted text, beside the embedding cache (the same switch)
    page_cache = settings.data_dir / "pdf_pages.sqlite3" if store is not None and not dry_run and settings.embedding_cache else None
    if store is not None and not dry_run and settings.embedding_cache:
        cached = CachedEmbedder(embedder, EmbeddingCache(settings.data_dir / "embeddings.sqlite3"))
        embedder = cached
    batch = _Round(settings.ingest_round_docs, settings.ingest_round_chunks)
    files = [item for item in found if not isinstance(item, tuple)]
    bar = _Progress(len(found), {str(item if isinstance(item, Path) else item[0]): _size(item) for item in found},
                    progress, on_progress)
    params = ChunkParams.from_settings(settings, embedder.max_tokens)
    # one warm parse server per process (it stays up for the next run, e.g. in the API)
    parser = shared_parser() if any(f.suffix.lower() == ".pdf" for f in files) else None
    # many text files: read, chunk, tag and screen them in worker processes ahead of their turn
    counter = token_counter(embedder)
    texts = sum(1 for f in files if f.suffix.lower() in _TEXT_SUFFIXES)
    pool = PreparePool(_prepare_workers(settings), params, overrides or {}, counter) \
        if counter is not None and texts >= _POOL_MIN_FILES else None
    window = max(8, settings.ingest_round_docs * (2 if pool is not None else 1))  # the workers keep a round ahead
    ahead = _Lookahead(files, store, overrides or {}, params.limits, parser, window=window, pdfs=settings.ingest_parse_ahead,
                       max_bytes=params.max_bytes, page_cache=page_cache, pool=pool)

    sealer = _Sealer(store, _SEAL_CHUNKS, _SEAL_S, end_min=_SEAL_END_MIN,
                     ledger=settings.data_dir / "unsealed.json" if store is not None and not dry_run else None)

    def done(results: Iterable[FileResult]) -> None:
        for r in results:
            bar.update(r)
            if on_file:
                on_file(r)

    pipeline = _Pipeline(embedder, store, bar, done, sealer) if store is not None else None
    eager = max(1, settings.embed_batch_size)  # new texts that make one file's early embedding a model job of its own
    try:
        for item in found:
            if isinstance(item, tuple):
                result = FileResult(path=str(item[0]), status="failed", error=f"{item[0]}: {item[1]}")
                report.files.append(result)
                done([result])
                continue
            look = ahead.next()
            assert look is not None and look.path == item  # the look-ahead keeps the files' order
            early = None if pipeline is None else (
                lambda doc, chunks: pipeline.early(doc, chunks, eager))
            prepared = _prepare(look, settings, embedder, store, overrides or {}, dry_run, params, seen_ids, parser, page_cache,
                                early)
            if isinstance(prepared, FileResult):
                report.files.append(prepared)
                done([prepared])
                continue
            report.files.append(prepared.result)  # filled in when its round commits; the report keeps file order
            if batch.add(prepared) and pipeline is not None:
                ahead.top_up()  # the next files parse in their child processes while this round embeds
                pipeline.submit(batch.take())
            if cached is not None:
                cached.save_counts()  # after a round's submit: its model call need not wait for this commit
        if pipeline is not None:
            pipeline.submit(batch.take())
            pipeline.finish()
    finally:
        if pipeline is not None:
            pipeline.close()
        if pool is not None:
            pool.close()
        sealer.close()
        if cached is not None:
            report.embedded, report.reused = cached.misses, cached.hits
            try:
                cached.save_counts()
            finally:
                # closing checkpoints the cache's write-ahead log (an fsync, ~30 ms): off the caller's path; not a
                # daemon thread, so a process that exits now still waits for it (a log left behind is replayed anyway)
                threading.Thread(target=cached.cache.close, name="clinrag-cache-close").start()
    report.seconds = time.perf_counter() - t0
    return report


def _prepare(
    look: _Ahead, settings: Settings, embedder: Embedder, store: ChunkStore | None, overrides: dict[str, str],
    dry_run: bool, params: ChunkParams, seen_ids: dict[str, str], parser: PdfParser | None, page_cache: Path | None,
    early: Callable[[GuidelineDoc, list[Chunk]], _Early | None] | None = None,
) -> FileResult | _Prepared:
    """Parse and chunk one file (or take what a worker prepared ahead); a FileResult when there is nothing to write
    (unchanged, skipped, failed, dry run)."""
    t0 = time.perf_counter()
    path, fp, known = look.path, look.fingerprint, look.known
    result = FileResult(path=str(path), status="failed")
    try:
        if known is not None:  # same bytes, same sidecar, same flags: nothing to parse
            result.status, result.doc_id, result.version = "unchanged", known.doc_id, known.version
            result.pages, result.chunks = known.pages, known.chunk_count
            return result
        ahead = _collect(look)
        if ahead is not None and ahead.error:
            result.error = ahead.error
            return result
        read = ahead.read if ahead is not None and ahead.read is not None else read_document(
            path, params, overrides, parser=parser, ticket=look.ticket, page_cache=page_cache)
        result.reused_pages = read.reused_pages
        if read.doc is None:
            result.status, result.warnings = "skipped", [read.skipped]
            return result
        doc = read.doc
        result.warnings = read.warnings
        if doc.doc_id in seen_ids:
            raise DocumentError(doc.source, f"document id {doc.doc_id!r} was already used by {seen_ids[doc.doc_id]} in this run; "
                                "give each document its own `id`")
        seen_ids[doc.doc_id] = str(path)
        result.doc_id, result.version, result.pages = doc.doc_id, doc.version, read.pages
        if store is None:
            current = None
        elif doc.doc_id == look.guessed_id:  # looked up with the window's query
            current = look.active
        else:  # an `id` from front matter or a sidecar
            current = store.active_version(doc.doc_id)
        if current is not None and current.content_hash == doc.content_hash:
            result.status, result.chunks = "unchanged", current.chunk_count
            return result
        started: list[_Early | None] = []
        if ahead is not None:
            chunks, flagged = ahead.chunks, ahead.flagged
        else:
            # the model may start on the chunks while roles and screening run here (a write's own store calls stay later)
            on_chunks = None if early is None or dry_run else (lambda cut: started.append(early(doc, cut)))
            chunks, flagged = chunk_and_screen(read, embedder.count_tokens, params, on_chunks)
        result.chunks = len(chunks)
        if not chunks:
            raise DocumentError(doc.source, "no text left after cleaning (only headers, page numbers or headings)")
        result.flagged = [{"chunk": f.index, "chunk_id": f.chunk_id, "pages": f"{f.page_start}-{f.page_end}" if f.page_end != f.page_start
                           else str(f.page_start), "section": f.section, "reasons": f.reasons()} for f in flagged]
        if dry_run or store is None:
            result.status = "dry-run"
            return result
        store.quarantine(doc.doc_id, doc.content_hash, flagged)  # before the version can become visible
        info = DocVersion(
            doc_id=doc.doc_id, content_hash=doc.content_hash, version=doc.version, title=doc.title, publisher=doc.publisher,
            language=doc.language, source=doc.source, license=doc.license, date=doc.date, topic=doc.topic,
            groups=doc.patient_groups, status="active", chunk_count=len(chunks), pages=read.page_count,
            ingested_at=now_iso(), metadata_origin=doc.metadata_origin, fingerprint=fp,
        )
        result.status = "pending"
        return _Prepared(result=result, doc=doc, info=info, chunks=chunks, t0=t0, early=started[0] if started else None)
    except BackendUnavailableError:
        raise  # the store is gone: no point trying the other files
    except ClinragError as exc:
        result.error = str(exc)
    except Exception as exc:  # one broken file must never stop the batch
        result.error = f"{path.name}: unexpected {type(exc).__name__}: {str(exc)[:300]}"
    finally:
        result.seconds = round(time.perf_counter() - t0, 3)
    return result


def _collect(look: _Ahead) -> PreparedText | None:
    """What a worker prepared for this file; None when it was not sent to one, or the pool broke (then it is done here)."""
    if look.future is None:
        return None
    try:
        return look.future.result()
    except (BrokenProcessPool, CancelledError):
        return None
