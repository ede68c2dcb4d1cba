"""Milvus knowledge base: chunks (dense + BM25), a document catalog, and atomic version switches.

Two collections per configuration:

- `<name>` holds every chunk of every version ever ingested, keyed by a deterministic chunk id,
  with its dense vector and a BM25 sparse vector computed by Milvus from `bm25` text.
- `<name>_docs` holds one `version` row per ingested document version and one `pointer` row per
  document whose `content_hash` names the active version. Switching versions is one upsert of
  the pointer row, so a query sees the old or the new version, never a mix or neither. Queries
  filter chunks to the content hashes that pointers name; superseded chunks stay readable.

The same code talks to Milvus Lite (a local .db folder, or a `milvus-lite server`) and to Milvus
standalone/cluster.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import BackendUnavailableError, NotFoundError
from rag.knowledge.base import Catalog, DocVersion, Hit, Scope, Searcher
from rag.knowledge.local import LocalIndex, LocalSearch, LocalView, Row
from rag.knowledge.roles import encode_roles
from rag.settings import Settings
from rag.text import bm25_query_text, bm25_text
from rag.types import Chunk, GuidelineDoc, Passage

__all__ = ["Catalog", "DocVersion", "MilvusSearch", "MilvusStore", "QuarantineEntry", "discard_flushed_wal", "discard_index_files",
           "lite_server_address", "now_iso", "resolve_uri"]

_GENERATION_PK = "g:catalog"  # catalog row whose value changes with every catalog write
_QUERY_ROWS = 16_000  # rows per catalog-driven load query; Milvus caps offset + limit at 16,384
_TEXT_MAX = 16_384  # bytes; a 256-token chunk is far below this even in Chinese
_CHUNK_FIELDS = [
    "chunk_id", "text", "doc_id", "content_hash", "version", "title", "publisher", "source", "section",
    "page_start", "page_end", "char_start", "char_end", "language", "groups", "idx",
]
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="clinrag-milvus-search")


def _skip_client_string_scan() -> None:
    """Turn off pymilvus' client-side VARCHAR check, which on the row path (`MilvusClient.upsert`/`insert` of dicts)
    walks every character of every string value in Python (pymilvus 3.0.2 hands `convert_to_str_array` one str,
    so it checks each character's type and that its length, 1, is under max_length: it can never fail). That was
    ~40% of a chunk upsert's time (the text and bm25 fields) and CPU the model shares during an ingest. Lengths
    are still enforced where they always were: Milvus Lite rejects a value over its max_length with the same
    error with or without this check (tests/test_store.py), as a Milvus server's proxy does. The column path
    (ORM inserts, a real list per field) loses its client check too; nothing here uses it."""
    try:
        from pymilvus.client import entity_helper
    except ImportError:  # another pymilvus layout: its own checks stay as they are
        return
    if hasattr(entity_helper, "CHECK_STR_ARRAY"):
        entity_helper.CHECK_STR_ARRAY = False


# backslash and quote escaped; control characters (a newline ends a Milvus string literal) become U+FFFD:
# no id, hash or fingerprint we store contains either, so a value with one simply matches nothing
_ESCAPE = str.maketrans({"\\": "\\\\", '"': '\\"', **{chr(c): "\ufffd" for c in range(32)}, "\x7f": "\ufffd"})


def _q(value: str) -> str:
    """Quote a string for a Milvus filter expression."""
    return '"' + value.translate(_ESCAPE) + '"'


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """A chunk that ingest screening flagged; searchable only once a content owner approves it."""

    chunk_id: str
    doc_id: str
    content_hash: str
    index: int
    page_start: int
    page_end: int
    section: str
    reasons: tuple[str, ...]
    excerpt: str
    status: str  # quarantined | approved | rejected
    flagged_at: str
    decided_by: str = ""
    decided_at: str = ""
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["reasons"] = list(self.reasons)
        return data


def lite_server_address(data_dir: Path) -> str | None:
    """The URI of a live `milvus-lite server` that `clinrag serve` advertised for data_dir, if any."""
    info = data_dir / "milvus-server.json"
    try:
        data = json.loads(info.read_text())
        host, port = data["host"], int(data["port"])
    except (OSError, ValueError, KeyError):
        return None
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return f"http://{host}:{port}"
    except OSError:
        return None


_WAL_FILE = re.compile(r"^wal_(?:data|delta)_(\d+)\.arrow$")


@contextlib.contextmanager
def _folder_to_ourselves(folder: Path) -> Iterator[bool]:
    """True inside the block when no process has the Milvus Lite folder open (we hold its LOCK until the block ends);
    False when another process (or this one) has it open, the folder does not exist, or the system is not POSIX."""
    try:
        import fcntl
    except ImportError:  # not POSIX: leave the folder to Milvus Lite
        yield False
        return
    if not folder.is_dir():
        yield False
        return
    fd = os.open(folder / "LOCK", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def discard_flushed_wal(folder: Path) -> list[Path]:
    """Delete the write-ahead log files of a Milvus Lite folder that its manifests say are already flushed.

    Milvus Lite 3.2.2 flushes by writing a data file, committing its manifest (which names the next WAL
    number) and only then fsyncing and deleting the old WAL. A process killed between the last two leaves
    a WAL whose rows are also in a data file; on the next open Milvus Lite replays every WAL it finds, so
    each of those rows is there twice with the same sequence number: both copies are counted, queried and
    searched, and the next flush writes them out again. A WAL numbered below the manifest's
    `active_wal_number` holds only flushed rows, so deleting it before Milvus Lite opens the folder loses
    nothing. Skipped while another process (or this one) has the folder open: it holds the folder's LOCK
    (and has already replayed its WAL). Returns the files deleted."""
    removed: list[Path] = []
    with _folder_to_ourselves(folder) as ours:
        if not ours:
            return removed
        for manifest in folder.rglob("manifest.json"):
            try:
                active = json.loads(manifest.read_text(encoding="utf-8")).get("active_wal_number")
            except (OSError, ValueError):
                continue  # Milvus Lite falls back to manifest.json.prev itself; without a reading, touch nothing
            wal_dir = manifest.parent / "wal"
            if not isinstance(active, int) or not wal_dir.is_dir():
                continue
            for f in sorted(wal_dir.iterdir()):
                m = _WAL_FILE.match(f.name)
                if m and int(m.group(1)) < active:
                    f.unlink()
                    removed.append(f)
    if removed:
        logging.getLogger("clinrag.milvus").warning(
            "Milvus Lite: deleted %d write-ahead log file(s) under %s that a killed process had already flushed "
            "(replaying them would have duplicated their rows)", len(removed), folder)
    return removed


def discard_orphan_collections(folder: Path) -> list[Path]:
    """Delete collection folders of a Milvus Lite folder that have no `schema.json` (and no manifest): a process killed
    between Milvus Lite making a new collection's folder and writing its schema leaves one, which Milvus Lite does not
    count as a collection yet refuses to create again (`FileExistsError`). Such a folder holds no rows. Skipped while
    another process has the folder open. Returns the folders deleted."""
    import shutil

    removed: list[Path] = []
    with _folder_to_ourselves(folder) as ours:
        if not ours:
            return removed
        for root in (folder / "collections", *sorted((folder / "databases").glob("*/collections"))):
            if not root.is_dir():
                continue
            for d in sorted(root.iterdir()):
                if d.is_dir() and not (d / "schema.json").exists() and not (d / "manifest.json").exists():
                    shutil.rmtree(d, ignore_errors=True)
                    removed.append(d)
    if removed:
        logging.getLogger("clinrag.milvus").warning(
            "Milvus Lite: deleted %d collection folder(s) under %s that a killed process left without a schema", len(removed), folder)
    return removed


def discard_index_files(folder: Path) -> list[Path]:
    """Delete the segment index files (`*.idx`) of a Milvus Lite folder that no process has open: they are built
    from the data files, which Milvus Lite does again when it loads a collection without them. Returns the files
    deleted (none while the folder's LOCK is held elsewhere)."""
    with _folder_to_ourselves(folder) as ours:
        if not ours:
            return []
        removed = [f for f in folder.glob("collections/*/partitions/*/indexes/*.idx") if f.is_file()]
        for f in removed:
            f.unlink()
        return removed


def resolve_uri(settings: Settings) -> str:
    """Explicit CLINRAG_MILVUS_URI, else a shared local lite server, else the Lite file itself."""
    if settings.milvus_uri:
        return settings.milvus_uri
    shared = lite_server_address(settings.data_dir)
    if shared:
        return shared
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return str(settings.lite_path().resolve())


class MilvusStore:
    """Chunks and document catalog in Milvus, through pymilvus' MilvusClient."""

    def __init__(self, uri: str, collection: str, dim: int, *, token: str = "", db_name: str = "",
                 catalog_cache_s: float = 1.0, local_search: bool = False, local_cache_dir: Path | None = None) -> None:
        import logging

        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException

        # milvus-lite logs a traceback when its data folder is locked; we raise a clear error instead
        logging.getLogger("milvus_lite.server_manager").setLevel(logging.CRITICAL)
        # the embedded server logs "AllocTimestamp not implemented" when a client closes; harmless
        logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
        _skip_client_string_scan()

        self.uri = uri
        self.collection = collection
        self.docs_collection = f"{collection}_docs"
        self.dim = dim
        self.catalog_cache_s = catalog_cache_s
        self._snapshot: tuple[float, str | None, Catalog] | None = None  # (read at, catalog generation, catalog)
        self._local = LocalIndex(self._rows_of_versions, dim, local_cache_dir) if local_search else None
        kwargs: dict[str, Any] = {"uri": uri}
        if token:
            kwargs["token"] = token
        if db_name:
            kwargs["db_name"] = db_name
        if uri.endswith(".db"):
            discard_flushed_wal(Path(uri))  # before Milvus Lite replays its log (duplicates after a kill otherwise)
            discard_orphan_collections(Path(uri))  # a kill while creating a collection (FileExistsError otherwise)
        try:
            self._client = _open_client(MilvusClient, MilvusException, kwargs)
        except MilvusException as exc:
            hint = ""
            if uri.endswith(".db"):
                hint = (
                    " Another process (a running `clinrag serve`?) holds this Milvus Lite file; Milvus Lite lets one "
                    "process open it. Run the other command while `clinrag serve` is up (it shares the data through a "
                    "local milvus-lite server), or set CLINRAG_MILVUS_URI to a Milvus server."
                )
            raise BackendUnavailableError(f"cannot open Milvus at {uri!r}: {exc}.{hint}") from None
        except Exception as exc:  # grpc and socket errors come in many types
            raise BackendUnavailableError(f"cannot reach Milvus at {uri!r}: {exc}. Check CLINRAG_MILVUS_URI.") from None
        try:
            self._ensure_collections()
        except MilvusException as exc:
            if not uri.endswith(".db"):
                raise
            # a process killed while Milvus Lite wrote a segment's index leaves a short index file, and loading
            # the collection then fails ("No data left in file", a numpy read error, ...); index files are derived
            # from the data files, so they are deleted and Milvus Lite builds them again on load (once: a second
            # failure is raised as it is)
            self._client.close()
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(uri)
            removed = discard_index_files(Path(uri))
            logging.getLogger("clinrag.milvus").warning(
                "Milvus Lite could not load an index file (%s); deleted %d index file(s) under %s so that it rebuilds "
                "them from the data", exc, len(removed), uri)
            self._client = _open_client(MilvusClient, MilvusException, kwargs)
            self._ensure_collections()
        self.searcher: Searcher = (LocalSearch(self.local_index, self._read) if self._local is not None
                                   else MilvusSearch(self._client, self.collection, self._call))

    @classmethod
    def from_settings(cls, settings: Settings, dim: int) -> MilvusStore:
        local = settings.local_search == "on" or (settings.local_search == "auto" and not settings.milvus_uri)
        return cls(resolve_uri(settings), settings.collection_name(), dim, token=settings.milvus_token, db_name=settings.milvus_db,
                   catalog_cache_s=settings.catalog_cache_s, local_search=local,
                   local_cache_dir=settings.data_dir / "search-copy" / settings.collection_name())

    # --- schema ---------------------------------------------------------------------------

    def _ensure_collections(self) -> None:
        from pymilvus import DataType, Function, FunctionType

        c = self._client
        if not c.has_collection(self.collection):
            s = c.create_schema(auto_id=False, enable_dynamic_field=False)
            s.add_field("chunk_id", DataType.VARCHAR, is_primary=True, max_length=64)
            s.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
            s.add_field("text", DataType.VARCHAR, max_length=_TEXT_MAX)
            s.add_field("bm25", DataType.VARCHAR, max_length=_TEXT_MAX, enable_analyzer=True, analyzer_params={"type": "standard"})
            s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
            for name, length in (("doc_id", 256), ("content_hash", 64), ("version", 128), ("title", 512),
                                 ("publisher", 256), ("source", 512), ("section", 1024), ("language", 8), ("groups", 128),
                                 ("roles", 256)):
                s.add_field(name, DataType.VARCHAR, max_length=length)
            for name in ("page_start", "page_end", "char_start", "char_end", "idx"):
                s.add_field(name, DataType.INT64)
            s.add_function(Function(name="bm25_fn", function_type=FunctionType.BM25, input_field_names=["bm25"], output_field_names=["sparse"]))
            ip = c.prepare_index_params()
            ip.add_index("vector", index_type="AUTOINDEX", metric_type="IP")
            ip.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
            c.create_collection(self.collection, schema=s, index_params=ip, consistency_level="Strong")
        if not c.has_collection(self.docs_collection):
            s = c.create_schema(auto_id=False, enable_dynamic_field=False)
            s.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=400)
            s.add_field("kind", DataType.VARCHAR, max_length=16)  # pointer | version | generation | quarantine
            s.add_field("doc_id", DataType.VARCHAR, max_length=256)
            s.add_field("content_hash", DataType.VARCHAR, max_length=64)
            s.add_field("fingerprint", DataType.VARCHAR, max_length=64)
            s.add_field("meta", DataType.VARCHAR, max_length=8192)  # JSON of DocVersion
            s.add_field("_v", DataType.FLOAT_VECTOR, dim=2)  # Milvus needs one vector field
            ip = c.prepare_index_params()
            ip.add_index("_v", index_type="AUTOINDEX", metric_type="L2")
            c.create_collection(self.docs_collection, schema=s, index_params=ip, consistency_level="Strong")
        c.load_collection(self.collection)
        c.load_collection(self.docs_collection)
        # collections made before sentence roles were stored have no `roles` field: they still load and
        # answer (roles are then recomputed from the text); re-ingest into a new data dir to store them
        fields = {f["name"] for f in c.describe_collection(self.collection).get("fields", [])}
        self.has_roles = "roles" in fields
        if not self.has_roles:
            logging.getLogger("clinrag.milvus").warning("collection %s has no `roles` field (made before roles were stored); "
                                                        "roles are recomputed when read", self.collection)

    # --- writing --------------------------------------------------------------------------

    def upsert_chunks(self, doc: GuidelineDoc, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> int:
        """Write chunks by deterministic id: writing the same chunks twice keeps one copy."""
        rows = self.chunk_rows(doc, chunks, vectors)
        if rows:
            self._client.upsert(self.collection, rows)
        return len(rows)

    def upsert_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        """Write chunk rows of several documents in one round trip (rows from `chunk_rows`)."""
        if rows:
            self._client.upsert(self.collection, list(rows))

    def chunk_rows(self, doc: GuidelineDoc, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> list[dict[str, Any]]:
        if len(chunks) != len(vectors):
            raise ValueError("one vector per chunk")
        groups = "," + ",".join(doc.patient_groups) + "," if doc.patient_groups else ""
        return [
            {
                "chunk_id": ch.chunk_id, "vector": list(vec), "text": ch.text, "bm25": bm25_text(f"{doc.title}. {ch.section}. {ch.text}"),
                "doc_id": doc.doc_id, "content_hash": doc.content_hash, "version": doc.version, "title": doc.title[:500],
                "publisher": doc.publisher[:250], "source": doc.source[:500], "section": ch.section[:1000],
                "language": ch.language, "groups": groups, "page_start": ch.page_start, "page_end": ch.page_end,
                "char_start": ch.char_start, "char_end": ch.char_end, "idx": ch.index,
                **({"roles": encode_roles(ch.roles)} if self.has_roles else {}),
            }
            for ch, vec in zip(chunks, vectors, strict=True)
        ]

    def flush(self) -> None:
        # sealed segments search much faster than growing ones (DESIGN.md: seconds vs ms)
        self._client.flush(self.collection)
        self._client.flush(self.docs_collection)

    @staticmethod
    def _doc_row(pk: str, kind: str, info: DocVersion) -> dict[str, Any]:
        return {"pk": pk, "kind": kind, "doc_id": info.doc_id, "content_hash": info.content_hash, "fingerprint": info.fingerprint,
                "meta": json.dumps(info.to_json(), ensure_ascii=False), "_v": [0.0, 0.0]}

    def _upsert_doc_row(self, pk: str, kind: str, info: DocVersion) -> None:
        self._client.upsert(self.docs_collection, [self._doc_row(pk, kind, info)])

    def mark_pending(self, info: DocVersion) -> None:
        """Record a version before its chunks are written, so searches can exclude it until it is activated."""
        self.mark_pending_many([info])

    def mark_pending_many(self, infos: Sequence[DocVersion]) -> None:
        """`mark_pending` for several versions in one round trip."""
        rows = [self._doc_row(f"v:{i.doc_id}@{i.content_hash}", "version", replace(i, status="pending")) for i in infos]
        if rows:
            self._client.upsert(self.docs_collection, rows)
        self.bump_generation()
        self._snapshot = None

    def activate(self, info: DocVersion) -> DocVersion | None:
        """Make this version the one queries see; returns the version it replaced, if any."""
        return self.activate_many([info])[0]

    def activate_many(self, infos: Sequence[DocVersion], *, flush: bool = True) -> list[DocVersion | None]:
        """Make each version the one queries see (each document's pointer row is its own commit point);
        returns, per version, the version it replaced. Chunks of every version must already be written.

        flush=False leaves sealing to the caller (`flush()`): an ingest run seals once at its end and not
        after every round. Unsealed rows are durable all the same (Milvus Lite's write-ahead log is written
        through on every insert; a Milvus server acknowledges an insert once its log has it) and visible
        to queries; sealing only makes them faster to search."""
        self._snapshot = None
        # the pointers of these documents only: reading every pointer made each round cost O(corpus)
        current = self.active_versions([i.doc_id for i in infos])
        replaced: list[DocVersion | None] = []
        versions: list[dict[str, Any]] = []
        pointers: list[dict[str, Any]] = []
        superseded: list[dict[str, Any]] = []
        for info in infos:
            previous = current.get(info.doc_id)
            active = replace(info, status="active")
            versions.append(self._doc_row(f"v:{info.doc_id}@{info.content_hash}", "version", active))
            # the commit point: one pointer row per document switches what queries see
            pointers.append(self._doc_row(f"p:{info.doc_id}", "pointer", active))
            if previous and previous.content_hash != info.content_hash:
                old = replace(previous, status="superseded")
                superseded.append(self._doc_row(f"v:{old.doc_id}@{old.content_hash}", "version", old))
                replaced.append(previous)
            else:
                replaced.append(None)
        for rows in (versions, pointers, superseded):  # in this order, as a crash may stop between any two
            if rows:
                self._client.upsert(self.docs_collection, rows)
        self.bump_generation()
        if flush:
            self.flush()
        return replaced

    def retire(self, doc_id: str) -> DocVersion:
        """Deactivate a document: its chunks stay stored (audits cite them) but queries skip them."""
        current = self.active_version(doc_id)
        if current is None:
            raise NotFoundError(f"guideline {doc_id!r} is not active; `clinrag guidelines list` shows the ids")
        retired = replace(current, status="retired")
        self._snapshot = None
        self._client.delete(self.docs_collection, ids=[f"p:{doc_id}"])
        self._upsert_doc_row(f"v:{doc_id}@{current.content_hash}", "version", retired)
        self.bump_generation()
        self.flush()
        return retired

    def bump_generation(self) -> None:
        """Tell every process the catalog changed: one row whose value is new after each catalog write."""
        row = {"pk": _GENERATION_PK, "kind": "generation", "doc_id": "", "content_hash": "", "fingerprint": "",
               "meta": json.dumps({"generation": uuid.uuid4().hex}), "_v": [0.0, 0.0]}
        self._client.upsert(self.docs_collection, [row])

    # --- quarantine: chunks held back from search until a content owner decides ----------------
    # one `q:<chunk_id>` row per flagged chunk in the docs collection; its `fingerprint` column holds
    # the status so the catalog read can select the blocked ones without parsing every row

    def quarantine(self, doc_id: str, content_hash: str, flagged: Sequence[Any]) -> int:
        """Hold these flagged chunks (screen.ChunkFlag) back from search; a decision already taken is kept."""
        if not flagged:
            return 0
        known = {e.chunk_id for e in self.quarantine_entries(content_hash=content_hash)}
        rows = []
        for f in flagged:
            if f.chunk_id in known:  # a re-run of a partly written version: keep the owner's decision
                continue
            entry = QuarantineEntry(chunk_id=f.chunk_id, doc_id=doc_id, content_hash=content_hash, index=f.index,
                                    page_start=f.page_start, page_end=f.page_end, section=f.section[:200],
                                    reasons=tuple(r[:300] for r in f.reasons()[:8]), excerpt=f.excerpt[:200],
                                    status="quarantined", flagged_at=now_iso())
            rows.append(self._quarantine_row(entry))
        if rows:
            self._client.upsert(self.docs_collection, rows)
            self.bump_generation()
            self._snapshot = None
        return len(rows)

    def _quarantine_row(self, e: QuarantineEntry) -> dict[str, Any]:
        return {"pk": f"q:{e.chunk_id}", "kind": "quarantine", "doc_id": e.doc_id, "content_hash": e.content_hash,
                "fingerprint": e.status, "meta": json.dumps(e.to_json(), ensure_ascii=False), "_v": [0.0, 0.0]}

    def quarantine_entries(self, *, doc_id: str | None = None, content_hash: str | None = None,
                           chunk_id: str | None = None) -> list[QuarantineEntry]:
        """Flagged chunks with their status, optionally of one document, version or chunk."""
        expr = 'kind == "quarantine"'
        if doc_id is not None:
            expr += f" and doc_id == {_q(doc_id)}"
        if content_hash is not None:
            expr += f" and content_hash == {_q(content_hash)}"
        if chunk_id is not None:
            expr += f" and pk == {_q('q:' + chunk_id)}"
        rows = self._call(lambda: self._client.query(self.docs_collection, filter=expr, output_fields=["meta"], limit=16_384))
        out = []
        for row in rows:
            meta = json.loads(row["meta"])
            meta["reasons"] = tuple(meta.get("reasons") or ())
            out.append(QuarantineEntry(**meta))
        return sorted(out, key=lambda e: (e.doc_id, e.content_hash, e.index))

    def decide_quarantine(self, entries: Sequence[QuarantineEntry], status: str, by: str, note: str = "") -> list[QuarantineEntry]:
        """Approve (searchable) or reject (held back for good) flagged chunks; returns the updated entries."""
        if status not in {"approved", "rejected", "quarantined"}:
            raise ValueError(f"status {status!r}: use approved, rejected or quarantined")
        updated = [replace(e, status=status, decided_by=by, decided_at=now_iso(), note=note) for e in entries]
        if updated:
            self._client.upsert(self.docs_collection, [self._quarantine_row(e) for e in updated])
            self.bump_generation()
            self.flush()
            self._snapshot = None
        return updated

    def _generation(self) -> str | None:
        rows = self._call(lambda: self._client.get(self.docs_collection, ids=[_GENERATION_PK], output_fields=["meta"]))
        return json.loads(rows[0]["meta"]).get("generation") if rows else None

    # --- reading the catalog --------------------------------------------------------------

    def _doc_rows(self, expr: str) -> Iterator[tuple[str, DocVersion]]:
        rows = self._client.query(self.docs_collection, filter=expr, output_fields=["pk", "meta"], limit=16_384)
        for row in rows:
            meta = json.loads(row["meta"])
            meta["groups"] = tuple(meta.get("groups") or ())
            yield row["pk"], DocVersion(**meta)

    def active_version(self, doc_id: str) -> DocVersion | None:
        for _, info in self._doc_rows(f"pk == {_q('p:' + doc_id)}"):
            return info
        return None

    def active_by_fingerprint(self, fingerprint: str) -> DocVersion | None:
        """The active version ingested from exactly these bytes and flags, if any."""
        for _, info in self._doc_rows(f'kind == "pointer" and fingerprint == {_q(fingerprint)}'):
            return info
        return None

    def active_versions(self, doc_ids: Sequence[str]) -> dict[str, DocVersion]:
        """`active_version` for many documents in one query per 500 ids; absent ids have no active version."""
        out: dict[str, DocVersion] = {}
        ids = sorted(set(doc_ids))
        for i in range(0, len(ids), 500):
            pks = ", ".join(_q("p:" + d) for d in ids[i:i + 500])
            for _, info in self._doc_rows(f"pk in [{pks}]"):
                out[info.doc_id] = info
        return out

    def active_by_fingerprints(self, fingerprints: Sequence[str]) -> dict[str, DocVersion]:
        """`active_by_fingerprint` for many files in one query per 500 fingerprints."""
        out: dict[str, DocVersion] = {}
        fps = sorted({f for f in fingerprints if f})
        for i in range(0, len(fps), 500):
            wanted = ", ".join(_q(f) for f in fps[i:i + 500])
            for _, info in self._doc_rows(f'kind == "pointer" and fingerprint in [{wanted}]'):
                out[info.fingerprint] = info
        return out

    def active_documents(self) -> list[DocVersion]:
        return [info for _, info in self._doc_rows('kind == "pointer"')]

    def snapshot(self) -> Catalog:
        """Active versions and the content hashes of every other version, read in one query (cached briefly).

        Every chunk belongs to a version row (written as pending before its chunks), so "not one of
        the inactive hashes" selects exactly the active chunks, with a filter as short as the history."""
        now = time.monotonic()
        if self._snapshot is not None and now - self._snapshot[0] < self.catalog_cache_s:
            return self._snapshot[2]
        # the full read costs ~55 ms at 1000 documents in Milvus Lite; the generation row ~1 ms
        generation = self._generation()
        if self._snapshot is not None and generation is not None and generation == self._snapshot[1]:
            self._snapshot = (now, generation, self._snapshot[2])
            return self._snapshot[2]
        pointers: list[DocVersion] = []
        versions: list[DocVersion] = []
        for pk, info in self._doc_rows('kind in ["pointer", "version"]'):
            (pointers if pk.startswith("p:") else versions).append(info)
        active_hashes = {p.content_hash for p in pointers}
        held = self._client.query(self.docs_collection, filter='kind == "quarantine" and fingerprint != "approved"',
                                  output_fields=["pk", "content_hash"], limit=16_384)
        blocked = frozenset(r["pk"][2:] for r in held if r["content_hash"] in active_hashes)
        snap = Catalog(active=pointers, inactive_hashes=sorted({v.content_hash for v in versions} - active_hashes), blocked=blocked)
        self._snapshot = (now, generation, snap)
        return snap

    def versions(self) -> list[DocVersion]:
        """Every version row, by document, oldest ingest first."""
        rows = [info for _, info in self._doc_rows('kind == "version"')]
        return sorted(rows, key=lambda d: (d.doc_id, d.ingested_at), reverse=False)

    def version_rows(self) -> list[dict[str, Any]]:
        """Every version as JSON with its status (active, superseded, retired) and passages held back by screening."""
        active = {d.doc_id: d.content_hash for d in self.active_documents()}
        held: dict[str, int] = {}  # quarantined or rejected passages per version
        for e in self.quarantine_entries():
            if e.status != "approved":
                held[e.content_hash] = held.get(e.content_hash, 0) + 1
        rows = []
        for v in self.versions():
            status = "active" if active.get(v.doc_id) == v.content_hash else ("retired" if v.status == "retired" else "superseded")
            rows.append({**v.to_json(), "status": status, "held_back": held.get(v.content_hash, 0)})
        return rows

    def count_chunks(self, content_hash: str | None = None) -> int:
        expr = f"content_hash == {_q(content_hash)}" if content_hash else 'chunk_id != ""'
        res = self._client.query(self.collection, filter=expr, output_fields=["count(*)"])
        return int(res[0]["count(*)"])

    def chunk_ids(self, content_hash: str) -> set[str]:
        rows = self._client.query(self.collection, filter=f"content_hash == {_q(content_hash)}", output_fields=["chunk_id"],
                                  limit=16_384)
        return {r["chunk_id"] for r in rows}

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        if chunk_ids:
            self._client.delete(self.collection, ids=list(chunk_ids))

    # --- search (through `self.searcher`; these two serve tools and tests that want one engine) ---

    def search_dense(self, vector: Sequence[float], k: int, active: Sequence[DocVersion],
                     exclude: Sequence[str] | None = None) -> list[Passage]:
        """The dense top k alone, as passages with their dense scores."""
        return self._one_engine(self.searcher.search(vector, "", k, Scope(active, exclude, self.snapshot().blocked)), "dense")

    def search_bm25(self, text: str, k: int, active: Sequence[DocVersion], exclude: Sequence[str] | None = None) -> list[Passage]:
        """The BM25 top k alone, as passages with their BM25 scores."""
        if not text.strip():
            return []
        hits = self.searcher.search([0.0] * self.dim, text, k, Scope(active, exclude, self.snapshot().blocked))
        return self._one_engine([h for h in hits if h.bm25 > 0], "bm25")

    def _one_engine(self, hits: list[Hit], engine: str) -> list[Passage]:
        hits = sorted(hits, key=lambda h: (-(h.dense if engine == "dense" else h.bm25), h.chunk_id))
        found = self.passages([h.chunk_id for h in hits])
        out = []
        for h in hits:
            if (p := found.get(h.chunk_id)) is not None:
                p.dense_score, p.bm25_score = (h.dense, 0.0) if engine == "dense" else (0.0, h.bm25)
                out.append(p)
        return out

    def passages(self, ids: Sequence[str]) -> dict[str, Passage]:
        """Stored passages by chunk id (at most one Milvus call)."""
        return self.searcher.passages(ids)

    def _read(self, ids: Sequence[str]) -> dict[str, Passage]:
        return _read_passages(self._client, self.collection, self._call, ids)

    # --- the in-memory search copy (embedded mode) ----------------------------------------------

    def local_index(self, also: set[str] | None = None) -> LocalView:
        """The in-memory copy at the current catalog: its active versions, plus `also` (the versions a
        caller's own, possibly older, catalog read allows; a search must never lose those)."""
        if self._local is None:
            raise RuntimeError("local search is off for this store")
        wanted: dict[str, int | None] = dict.fromkeys(also or ())
        wanted.update((d.content_hash, d.chunk_count) for d in self.snapshot().active)
        return self._local.view(wanted)

    def _rows_of_versions(self, counts: dict[str, int | None]) -> Iterator[Row]:
        """Chunk id, hash, vector and BM25 text of these versions (hash -> expected chunk count), in
        queries of at most ~16k rows (Milvus caps a query's offset + limit at 16,384)."""
        batches: list[list[str]] = []
        sizes: list[int] = []
        for h, n in counts.items():
            n = max(1, n or 1)
            if not batches or sizes[-1] + n > _QUERY_ROWS:
                batches.append([])
                sizes.append(0)
            batches[-1].append(h)
            sizes[-1] += n
        fields = ["chunk_id", "content_hash", "vector", "bm25"]
        for batch, size in zip(batches, sizes, strict=True):
            expr = "content_hash in [" + ",".join(_q(x) for x in batch) + "]"
            if size <= _QUERY_ROWS:
                rows = self._call(partial(self._client.query, self.collection, filter=expr, output_fields=fields, limit=16_384))
            else:  # one version larger than a query may return
                rows = self._query_all(expr, fields)
            for r in rows:
                yield r["chunk_id"], r["content_hash"], r["vector"], r["bm25"]

    def _query_all(self, expr: str, fields: list[str]) -> list[dict[str, Any]]:
        it = self._call(lambda: self._client.query_iterator(self.collection, batch_size=4096, filter=expr, output_fields=fields))
        out: list[dict[str, Any]] = []
        try:
            while page := self._call(it.next):
                out += page
        finally:
            it.close()
        return out

    @property
    def _fields(self) -> list[str]:
        return [*_CHUNK_FIELDS, "roles"] if self.has_roles else _CHUNK_FIELDS

    def document_passages(self, content_hash: str) -> list[Passage]:
        """Every chunk of one document version, in document order (the extractive generator reads a
        matched guideline's other sections from here)."""
        info = next((d for d in self.snapshot().active if d.content_hash == content_hash), None)
        if info is not None:
            return self.passages_of([info])
        rows = self._query_all(f"content_hash == {_q(content_hash)}", self._fields)
        rows.sort(key=lambda r: int(r["idx"]))
        return [_passage(r, active=False, groups=()) for r in rows]

    def get_passage(self, chunk_id: str) -> Passage:
        rows = self._call(lambda: self._client.get(self.collection, ids=[chunk_id], output_fields=self._fields))
        if not rows:
            raise NotFoundError(f"passage {chunk_id!r} does not exist")
        row = rows[0]
        current = self.active_version(row["doc_id"])
        return _passage(row, active=bool(current and current.content_hash == row["content_hash"]), groups=current.groups if current else ())

    def passages_of(self, versions: Sequence[DocVersion]) -> list[Passage]:
        """Every chunk of these document versions, in document order (read once per version, then cached)."""
        cache: dict[str, list[Passage]] = self.__dict__.setdefault("_doc_passages", {})
        missing = [v.content_hash for v in versions if v.content_hash not in cache]
        if missing and self._local is not None:
            # the search copy knows each loaded version's chunk ids: a read by primary key is cheap where a filter
            # query walks every stored row in Milvus Lite (hundreds of ms at 100k chunks)
            missing = self._passages_from_copy(missing, {v.content_hash: v.groups for v in versions}, cache)
        if missing:
            expr = "content_hash in [" + ", ".join(_q(h) for h in missing) + "]"
            rows = self._query_all(expr, self._fields)
            groups = {v.content_hash: v.groups for v in versions}
            for h in missing:
                mine = sorted((r for r in rows if r["content_hash"] == h), key=lambda r: int(r.get("idx", 0)))
                cache[h] = [_passage(r, active=True, groups=groups.get(h, ())) for r in mine]
        # copies: callers set scores and notes on what they get; the cache stays as stored
        return [p.copy() for v in versions for p in cache.get(v.content_hash, [])]

    def _passages_from_copy(self, hashes: list[str], groups: dict[str, tuple[str, ...]],
                            cache: dict[str, list[Passage]]) -> list[str]:
        """Fill `cache` for the versions the search copy holds; the versions it could not fill, in order."""
        view = self.local_index(set(hashes))  # loads what it lacks (a search has usually done so already)
        pos = {h: i for i, h in enumerate(view.hashes)}
        ids_of = {h: view.chunk_ids[np.flatnonzero(view.row_hash == pos[h])].tolist() for h in hashes if h in pos}
        read = self._read([c for ids in ids_of.values() for c in ids]) if ids_of else {}
        for h, ids in ids_of.items():
            found = [read[c] for c in ids if c in read]
            if found and len(found) == len(ids):
                ordered = sorted(found, key=lambda p: int(p.extra.get("char_start", "0") or 0))
                cache[h] = [replace(p, active=True, patient_groups=groups.get(h, ())) for p in ordered]
        return [h for h in hashes if h not in cache]

    def ping(self) -> None:
        self._call(lambda: self._client.has_collection(self.collection))

    def close(self) -> None:
        try:
            self._client.close()
        except Exception:  # closing a dead connection must not mask the real error
            pass
        if self.uri.endswith(".db"):
            # Milvus Lite serves a .db folder from a thread of this process and holds its lock
            # until released; release it so other processes (ingest, serve) can open the file
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(self.uri)

    @staticmethod
    def _call(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:
            name = type(exc).__name__
            if "Milvus" in name or "Rpc" in name or "grpc" in type(exc).__module__:
                raise BackendUnavailableError(f"Milvus call failed: {exc}") from None
            raise


def _open_client(client_cls: Any, error_cls: type[Exception], kwargs: dict[str, Any], attempts: int = 3) -> Any:
    """A MilvusClient; for Milvus Lite, up to `attempts` tries: on a busy machine the embedded server it starts can
    miss the client's first connection ("Fail connecting to server"). Other errors, and the last one, are raised."""
    uri = str(kwargs.get("uri", ""))
    for attempt in range(1, attempts + 1):
        try:
            return client_cls(**kwargs)
        except error_cls as exc:
            if not uri.endswith(".db") or "Fail connecting" not in str(exc) or attempt == attempts:
                raise
            from milvus_lite.server_manager import server_manager_instance

            logging.getLogger("clinrag.milvus").warning("Milvus Lite did not answer its first connection (attempt %d of %d); restarting it", attempt, attempts)
            server_manager_instance.release_server(uri)
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


def _passage(e: dict[str, Any], *, active: bool, groups: tuple[str, ...]) -> Passage:
    return Passage(
        chunk_id=e["chunk_id"], doc_id=e["doc_id"], title=e["title"], publisher=e["publisher"], version=e["version"],
        source=e["source"], section=e["section"], page_start=int(e["page_start"]), page_end=int(e["page_end"]),
        text=e["text"], language=e["language"], active=active, patient_groups=groups, content_hash=e["content_hash"],
        extra={"char_start": str(e["char_start"]), "char_end": str(e["char_end"]),
               **({"roles": e["roles"]} if e.get("roles") else {})},
    )


def _read_passages(client: Any, collection: str, call: Callable[[Callable[[], Any]], Any], ids: Sequence[str]) -> dict[str, Passage]:
    if not ids:
        return {}
    rows = call(lambda: client.get(collection, ids=list(dict.fromkeys(ids)), output_fields=_CHUNK_FIELDS))
    return {r["chunk_id"]: _passage(r, active=True, groups=()) for r in rows}


def _scope_filter(scope: Scope) -> str:
    """Only these active versions; or, given `exclude`, every chunk but those hashes (shorter at scale).
    Quarantined chunks are left out either way."""
    if scope.exclude is None:
        expr = "content_hash in [" + ",".join(_q(d.content_hash) for d in scope.active) + "]"
    else:
        expr = "content_hash not in [" + ",".join(_q(h) for h in scope.exclude) + "]" if scope.exclude else ""
    if scope.blocked:
        held = "chunk_id not in [" + ",".join(_q(c) for c in sorted(scope.blocked)) + "]"
        expr = f"{expr} and {held}" if expr else held
    return expr


class MilvusSearch:
    """Milvus' own search (a Milvus server, or Lite with CLINRAG_LOCAL_SEARCH=off): dense and BM25 side by side.

    The rows a search returns are kept (bounded, by chunk id: a chunk id names its text and version,
    so a kept row never goes stale), so `passages()` after a search costs no further call."""

    _KEEP = 4096

    def __init__(self, client: Any, collection: str, call: Callable[[Callable[[], Any]], Any]) -> None:
        self._client = client
        self._collection = collection
        self._call = call
        self._rows: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def _keep(self, rows: list[dict[str, Any]]) -> None:
        with self._lock:
            for r in rows:
                self._rows[r["chunk_id"]] = r
                self._rows.move_to_end(r["chunk_id"])
            while len(self._rows) > self._KEEP:
                self._rows.popitem(last=False)

    def _search(self, data: Any, field: str, metric: str, k: int, scope: Scope) -> list[tuple[dict[str, Any], float]]:
        allowed = scope.allowed()
        res = self._call(lambda: self._client.search(
            self._collection, data=[data], anns_field=field, limit=k, filter=_scope_filter(scope),
            output_fields=_CHUNK_FIELDS, search_params={"metric_type": metric}))
        # a version the caller's catalog read does not allow (one another process marked pending and
        # began writing after that read, which the exclusion filter cannot know) is dropped;
        # BM25 comes back as a negative distance in Milvus Lite: take the magnitude
        out = [(h["entity"], abs(float(h["distance"]))) for h in res[0] if h["entity"]["content_hash"] in allowed]
        self._keep([e for e, _ in out])
        return out

    def search(self, vector: Sequence[float], text: str, k: int, scope: Scope) -> list[Hit]:
        if not scope.active:
            return []
        bm25_future = _POOL.submit(self._search, bm25_query_text(text), "sparse", "BM25", k, scope) if text.strip() else None
        hits: dict[str, Hit] = {}
        for e, score in self._search(list(vector), "vector", "IP", k, scope):
            hits[e["chunk_id"]] = Hit(e["chunk_id"], e["content_hash"], score, 0.0)
        missing = []
        for e, score in bm25_future.result() if bm25_future is not None else []:
            cid = e["chunk_id"]
            if cid in hits:
                hits[cid] = replace(hits[cid], bm25=score)
            else:
                hits[cid] = Hit(cid, e["content_hash"], 0.0, score)
                missing.append(cid)
        if missing:  # exact dense scores of BM25-only hits, from their stored vectors (cheaper than a filtered search)
            rows = self._call(lambda: self._client.get(self._collection, ids=missing, output_fields=["vector"]))
            q = np.asarray(vector, dtype=np.float32)
            for r in rows:
                hits[r["chunk_id"]] = replace(hits[r["chunk_id"]], dense=float(np.asarray(r["vector"], dtype=np.float32) @ q))
        return list(hits.values())

    def document_scores(self, vector: Sequence[float], content_hashes: Sequence[str]) -> dict[str, float]:
        return {}  # would need every passage vector of each version: documents rank by their passages alone here

    def term_coverage(self, text: str, content_hashes: Sequence[str]) -> dict[str, tuple[float, float]]:
        return {}  # Milvus does not expose its BM25 statistics: the reranker goes without this feature here

    def spell(self, word: str) -> str | None:
        return None  # Milvus does not expose its BM25 vocabulary: no spelling correction in this mode

    def passages(self, ids: Sequence[str]) -> dict[str, Passage]:
        with self._lock:
            kept = {c: self._rows[c] for c in ids if c in self._rows}
        out = {c: _passage(r, active=True, groups=()) for c, r in kept.items()}
        rest = [c for c in ids if c not in kept]
        return out | _read_passages(self._client, self._collection, self._call, rest) if rest else out


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
