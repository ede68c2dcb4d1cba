"""SIGKILL a real `ingest` process at random moments; re-running must converge to exactly the right chunks."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.knowledge.milvus import MilvusStore
from rag.settings import Settings

DIM = 32


# A child that writes 40 chunk rows, flushes, and is SIGKILLed inside the flush after Milvus Lite committed its
# manifest and before it deleted the write-ahead log (the moment `discard_flushed_wal` is about).
_KILLED_IN_FLUSH = r"""
import os, signal, sys
from milvus_lite.storage import wal
from rag.knowledge.milvus import MilvusStore

store = MilvusStore(sys.argv[1], "kb", 4)
store.upsert_rows([{"chunk_id": f"c{i}", "vector": [1.0, 0.0, 0.0, float(i)], "text": "rest and fluids", "bm25": "rest fluids",
                    "doc_id": "d", "content_hash": "h", "version": "1", "title": "T", "publisher": "p", "source": "s",
                    "section": "x", "language": "en", "groups": "", "page_start": 1, "page_end": 1, "char_start": 0,
                    "char_end": 1, "idx": i, "roles": ""} for i in range(40)])
wal.WAL.close_and_delete = lambda self: os.kill(os.getpid(), signal.SIGKILL)
store.flush()
"""


def test_killed_between_manifest_commit_and_wal_delete_leaves_no_duplicate_rows(tmp_path):
    """Milvus Lite 3.2.2 replays a WAL it had already flushed when a kill lands between the two: every row of it
    came back twice (same sequence number, so neither shadows the other). Opening the store must not."""
    folder = tmp_path / "kb.db"
    proc = subprocess.run([sys.executable, "-c", _KILLED_IN_FLUSH, str(folder)], capture_output=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    wal_files = [p.name for p in (folder / "collections" / "kb" / "wal").iterdir()]
    assert wal_files, "the kill landed after the WAL was deleted: this test no longer reaches the window"
    assert (folder / "collections" / "kb" / "partitions" / "_default" / "data").is_dir()  # and after the data file
    store = MilvusStore(str(folder), "kb", 4)
    try:
        rows = store._query_all('chunk_id != ""', ["chunk_id"])
        assert sorted(r["chunk_id"] for r in rows) == sorted(f"c{i}" for i in range(40))
        assert store.count_chunks() == 40
    finally:
        store.close()
    assert not (folder / "collections" / "kb" / "wal").exists() or not [
        p for p in (folder / "collections" / "kb" / "wal").iterdir() if p.name in wal_files]


def test_a_short_index_file_left_by_a_kill_is_rebuilt_not_fatal(tmp_path):
    """A kill while Milvus Lite writes a segment's index file leaves it short, and loading the collection then failed
    ("No data left in file", or a numpy read error for a partly written one). Opening the store rebuilds the index."""
    folder = tmp_path / "kb.db"
    rows = [{"chunk_id": f"c{i}", "vector": [1.0, 0.0, 0.0, float(i)], "text": "rest and fluids", "bm25": "rest fluids",
             "doc_id": "d", "content_hash": "h", "version": "1", "title": "T", "publisher": "p", "source": "s",
             "section": "x", "language": "en", "groups": "", "page_start": 1, "page_end": 1, "char_start": 0,
             "char_end": 1, "idx": i, "roles": ""} for i in range(40)]
    store = MilvusStore(str(folder), "kb", 4)
    store.upsert_rows(rows)
    store.flush()
    store.close()
    index_files = sorted(folder.glob("collections/kb/partitions/*/indexes/*.idx"))
    assert index_files, "Milvus Lite wrote no index file: this test no longer reaches the case"
    for cut in (0, 100):  # empty, then partly written
        data = index_files[0].read_bytes() if index_files[0].stat().st_size else b"\0" * 200
        index_files[0].write_bytes(data[:cut])
        store = MilvusStore(str(folder), "kb", 4)
        try:
            assert store.count_chunks() == 40
            assert sorted(r["chunk_id"] for r in store._query_all('chunk_id != ""', ["chunk_id"])) == [
                f"c{i}" for i in sorted(range(40), key=str)]
        finally:
            store.close()
        assert index_files[0].stat().st_size > cut  # built again


def _corpus(folder: Path, n: int) -> None:
    folder.mkdir()
    rnd = random.Random(7)
    words = "fever cough rash pain fluids rest doctor emergency child adult dose hours days water sleep".split()
    for i in range(n):
        paras = "\n\n".join(" ".join(rnd.choice(words) for _ in range(60)) + "." for _ in range(12))
        (folder / f"doc{i:02d}.md").write_text(f"---\ntitle: Doc {i}\npublisher: t\nversion: '1'\n---\n# Doc {i}\n## Part\n{paras}\n",
                                                encoding="utf-8")


def _run(folder: Path, data: Path, kill_after: float | None) -> int | None:
    env = {**os.environ, "CLINRAG_DATA_DIR": str(data), "CLINRAG_EMBEDDER": f"hash:{DIM}", "CLINRAG_CHUNK_TOKENS": "64",
           "CLINRAG_EMBED_BATCH_SIZE": "4", "CLINRAG_INGEST_ROUND_DOCS": "8"}  # several rounds in flight per run
    proc = subprocess.Popen([sys.executable, "-m", "ingest.cli", str(folder), "--json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if kill_after is None:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()[-2000:] + out.decode()[-2000:]
        return proc.returncode
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return None


def _state(data: Path) -> tuple[dict[str, str], set[str]]:
    settings = Settings(data_dir=data, embedder=f"hash:{DIM}", chunk_tokens=64)
    store = MilvusStore.from_settings(settings, DIM)
    try:
        active = {d.doc_id: d.content_hash for d in store.active_documents()}
        ids: set[str] = set()
        for v in store.versions():
            ids |= store.chunk_ids(v.content_hash)
        assert store.count_chunks() == len(ids), "no duplicate rows"
        for d in store.active_documents():
            assert store.count_chunks(d.content_hash) == d.chunk_count, f"{d.doc_id}: active version incomplete"
        return active, ids
    finally:
        store.close()


@pytest.mark.slow
def test_sigkill_at_random_points_converges(tmp_path):
    corpus = tmp_path / "corpus"
    _corpus(corpus, 30)
    reference = tmp_path / "reference"
    assert _run(corpus, reference, None) == 0
    want_active, want_ids = _state(reference)
    assert len(want_active) == 30

    crashed = tmp_path / "crashed"
    rnd = random.Random(int(os.environ.get("CLINRAG_CRASH_SEED", "11")))
    for _ in range(4):
        _run(corpus, crashed, kill_after=rnd.uniform(2.0, 9.0))
        if (crashed / "milvus.db").exists():
            active, _ = _state(crashed)  # consistent at every kill: active versions are complete
            assert set(active.items()) <= set(want_active.items())
    assert _run(corpus, crashed, None) == 0
    active, ids = _state(crashed)
    assert active == want_active
    assert ids == want_ids, f"lost {len(want_ids - ids)}, extra {len(ids - want_ids)}"
    # and the converged store is a no-op to ingest again
    env = {**os.environ, "CLINRAG_DATA_DIR": str(crashed), "CLINRAG_EMBEDDER": f"hash:{DIM}", "CLINRAG_CHUNK_TOKENS": "64"}
    out = subprocess.run([sys.executable, "-m", "ingest.cli", str(corpus), "--json"], env=env, capture_output=True, check=True)
    assert json.loads(out.stdout)["unchanged"] == 30


def _vectors(data: Path) -> dict[str, list[float]]:
    settings = Settings(data_dir=data, embedder=f"hash:{DIM}", chunk_tokens=64)
    store = MilvusStore.from_settings(settings, DIM)
    try:
        rows = store._query_all('chunk_id != ""', ["chunk_id", "vector"])
        return {r["chunk_id"]: [round(float(x), 6) for x in r["vector"]] for r in rows}
    finally:
        store.close()


def _revise(folder: Path, every: int) -> None:
    """A new version of every `every`-th document: one paragraph rewritten, the rest unchanged."""
    for i, f in enumerate(sorted(folder.glob("*.md"))):
        if i % every == 0:
            text = f.read_text(encoding="utf-8").replace("version: '1'", "version: '2'")
            f.write_text(text + "\nA new paragraph about dose and hours for this revised version.\n", encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("files", [32, 24], ids=["prepare-workers", "in-process-early-embedding"])
def test_twenty_kills_with_embedding_reuse_lose_and_duplicate_nothing(tmp_path, files):
    """Reuse on (the default): 20 SIGKILLs during first ingests and revisions, then identical ids and vectors.
    32 files in rounds of 8: the prepare workers (ingest/prepare.py) and the pipelined rounds run; 24 files (under
    the workers' threshold): files prepared in the ingest process, their chunks embedded early (ingest/run.py)."""
    corpus = tmp_path / "corpus"
    _corpus(corpus, files)
    reference, crashed = tmp_path / "reference", tmp_path / "crashed"
    rnd = random.Random(int(os.environ.get("CLINRAG_CRASH_SEED", "23")))
    kills = 0
    for stage in range(2):
        if stage == 1:
            _revise(corpus, 3)
        started = time.monotonic()
        assert _run(corpus, reference, None) == 0
        whole = time.monotonic() - started  # kill points spread over a whole run on this machine, however fast
        for _ in range(10):
            _run(corpus, crashed, kill_after=rnd.uniform(0.3, 1.0) * whole)
            kills += 1
            if (crashed / "milvus.db").exists():
                active, _ = _state(crashed)  # every active version is complete at every kill
                assert len(active) <= files
        assert _run(corpus, crashed, None) == 0
        want_active, want_ids = _state(reference)
        active, ids = _state(crashed)
        assert active == want_active
        assert ids == want_ids, f"lost {len(want_ids - ids)}, extra {len(ids - want_ids)}"
        assert _vectors(crashed) == _vectors(reference)
    assert kills == 20
    cache = crashed / "embeddings.sqlite3"
    assert cache.exists(), "the embedding cache is on by default"


def test_a_collection_folder_without_a_schema_left_by_a_kill_is_cleared_not_fatal(tmp_path):
    """A kill between Milvus Lite making a new collection's folder and writing its schema.json left a folder that Milvus
    Lite neither lists nor creates again (FileExistsError). Opening the store clears it and creates the collection."""
    folder = tmp_path / "kb.db"
    MilvusStore(str(folder), "other", 4).close()  # a Milvus Lite folder exists, as after any earlier run
    (folder / "collections" / "kb" / "wal").mkdir(parents=True)  # what the kill left: no schema.json, no manifest
    store = MilvusStore(str(folder), "kb", 4)
    try:
        assert store.count_chunks() == 0
        assert (folder / "collections" / "kb" / "schema.json").exists()
    finally:
        store.close()
