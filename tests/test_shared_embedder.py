"""The shared embedder process of `clinrag serve --workers N` (rag.knowledge.embedders.shared)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from api.serve import start_embed_server
from rag.errors import BackendUnavailableError
from rag.knowledge.embedders.hashing import HashEmbedder
from rag.knowledge.embedders.shared import SharedEmbedder
from rag.settings import load_settings

TEXTS = ["fever and body aches for two days", "Rest and drink fluids.", "胸痛，出汗", "See a doctor if it lasts a week."]


@pytest.fixture
def embed_server(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINRAG_DATA_DIR", str(tmp_path / "kb"))
    monkeypatch.setenv("CLINRAG_EMBEDDER", "hash:32")
    server = start_embed_server(load_settings(), timeout_s=120)
    try:
        yield server
    finally:
        server.stop()


def _child(path: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    queue.put(SHARED.embed_documents(TEXTS))


SHARED: SharedEmbedder | None = None


def test_vectors_and_counts_are_the_embedders_own_from_any_thread_and_after_a_fork(embed_server):
    global SHARED
    direct = HashEmbedder(dim=32)
    shared = SharedEmbedder(embed_server.socket)
    assert (shared.name, shared.dim, shared.max_tokens) == (direct.name, direct.dim, direct.max_tokens)
    want = np.asarray(direct.embed_documents(TEXTS), dtype=np.float32)
    assert np.array_equal(np.asarray(shared.embed_documents(TEXTS), dtype=np.float32), want)
    assert np.array_equal(np.asarray(shared.embed_query(TEXTS[2]), dtype=np.float32), want[2])
    assert [shared.count_tokens(t) for t in TEXTS] == [direct.count_tokens(t) for t in TEXTS]
    assert shared.embed_documents([]) == []
    # concurrent callers (the server batches them together) each get their own text's vector
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: shared.embed_query(TEXTS[i % 4]), range(64)))
    assert all(np.array_equal(np.asarray(v, dtype=np.float32), want[i % 4]) for i, v in enumerate(got))
    # a forked worker opens its own connection instead of sharing its parent's socket
    SHARED = shared
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(str(embed_server.socket), queue))
    proc.start()
    child_vectors = queue.get(timeout=60)
    proc.join(timeout=60)
    assert proc.exitcode == 0 and np.array_equal(np.asarray(child_vectors, dtype=np.float32), want)
    assert np.array_equal(np.asarray(shared.embed_documents(TEXTS[:1]), dtype=np.float32), want[:1])  # the parent's still works


def test_a_stopped_embedder_process_is_a_clear_backend_error(embed_server):
    shared = SharedEmbedder(embed_server.socket)
    shared.embed_query("warm")
    embed_server.stop()
    with pytest.raises(BackendUnavailableError, match="shared embedder process"):
        shared.embed_query("fever")
    with pytest.raises(BackendUnavailableError, match="not answering"):
        SharedEmbedder(embed_server.socket)
