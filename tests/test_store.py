"""MilvusStore contract, run against real Milvus Lite (and a Milvus server when one is named)."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from rag.errors import NotFoundError
from rag.knowledge.base import Scope
from rag.knowledge.embedders.hashing import HashEmbedder
from rag.knowledge.local import LocalSearch
from rag.knowledge.milvus import DocVersion, MilvusSearch, MilvusStore
from rag.types import Chunk, GuidelineDoc

EMB = HashEmbedder(dim=16)


def _doc(doc_id: str, content_hash: str, version: str = "1", groups: tuple[str, ...] = ()) -> GuidelineDoc:
    return GuidelineDoc(doc_id=doc_id, title=f"{doc_id} guide", publisher="test", version=version, language="en",
                        source=f"{doc_id}.md", content_hash=content_hash, patient_groups=groups)


def _chunks(doc: GuidelineDoc, texts: list[str]) -> list[Chunk]:
    return [Chunk(doc_id=doc.doc_id, version=doc.version, content_hash=doc.content_hash, index=i, text=t, section="S",
                  page_start=1, page_end=1, char_start=0, char_end=len(t), language="en") for i, t in enumerate(texts)]


def _info(doc: GuidelineDoc, n: int) -> DocVersion:
    return DocVersion(doc_id=doc.doc_id, content_hash=doc.content_hash, version=doc.version, title=doc.title,
                      publisher=doc.publisher, language="en", source=doc.source, license="", date="", topic="",
                      groups=doc.patient_groups, status="active", chunk_count=n, pages=1, ingested_at="t", metadata_origin="test")


def _write(store: MilvusStore, doc: GuidelineDoc, texts: list[str]) -> None:
    chunks = _chunks(doc, texts)
    store.upsert_chunks(doc, chunks, EMB.embed_documents(texts))
    store.flush()
    store.activate(_info(doc, len(chunks)))


class StoreContract:
    def test_upsert_twice_keeps_one_copy(self, store: MilvusStore) -> None:
        doc = _doc("fever", "h1")
        chunks = _chunks(doc, ["fever above 38 degrees", "drink fluids and rest"])
        store.upsert_chunks(doc, chunks, EMB.embed_documents([c.text for c in chunks]))
        store.upsert_chunks(doc, chunks, EMB.embed_documents([c.text for c in chunks]))
        store.flush()
        assert store.count_chunks() == 2
        assert store.chunk_ids("h1") == {c.chunk_id for c in chunks}

    def test_unactivated_chunks_are_invisible(self, store: MilvusStore) -> None:
        doc = _doc("cough", "h1")
        chunks = _chunks(doc, ["a dry cough for three weeks"])
        store.upsert_chunks(doc, chunks, EMB.embed_documents([chunks[0].text]))
        store.flush()
        assert store.search_dense(EMB.embed_query("cough"), 5, store.active_documents()) == []

    def test_snapshot_excludes_pending_superseded_and_retired(self, store: MilvusStore) -> None:
        v1 = _doc("copd", "c-one", "1")
        _write(store, v1, ["copd inhaler advice one"])
        v2 = replace(v1, content_hash="c-two", version="2")
        store.mark_pending(_info(v2, 1))
        chunks = _chunks(v2, ["copd inhaler advice two, pending"])
        store.upsert_chunks(v2, chunks, EMB.embed_documents([chunks[0].text]))
        store.flush()
        snap = store.snapshot()
        assert [d.content_hash for d in snap.active] == ["c-one"] and snap.inactive_hashes == ["c-two"]
        hits = store.search_dense(EMB.embed_query("copd inhaler advice"), 10, snap.active, snap.inactive_hashes)
        assert [h.version for h in hits] == ["1"]  # the pending version is invisible
        store.activate(_info(v2, 1))
        snap = store.snapshot()
        hits = store.search_bm25("copd inhaler advice", 10, snap.active, snap.inactive_hashes)
        assert [h.version for h in hits] == ["2"]
        store.retire("copd")
        snap = store.snapshot()
        assert snap.active == [] and set(snap.inactive_hashes) == {"c-one", "c-two"}

    def test_stale_catalog_read_never_shows_a_version_being_written(self, store: MilvusStore) -> None:
        """A reader's catalog from before another writer marked a version pending must not see its chunks."""
        _write(store, _doc("fever", "h-a"), ["fever advice one"])
        snap = store.snapshot()
        pending = _doc("burns", "h-b")
        store.mark_pending(_info(pending, 1))
        chunks = _chunks(pending, ["fever advice for burns, still being written"])
        store.upsert_chunks(pending, chunks, EMB.embed_documents([chunks[0].text]))
        store.flush()
        assert {p.doc_id for p in store.search_bm25("fever advice", 10, snap.active, snap.inactive_hashes)} == {"fever"}
        hits = store.search_dense(EMB.embed_query("fever advice"), 10, snap.active, snap.inactive_hashes)
        assert {p.doc_id for p in hits} == {"fever"}

    def test_version_switch_shows_old_or_new_never_both(self, store: MilvusStore) -> None:
        v1 = _doc("asthma", "hash-one", "2023")
        _write(store, v1, ["old advice: inhaler twice daily", "old: see your doctor"])
        v2 = replace(v1, content_hash="hash-two", version="2024")
        _write(store, v2, ["new advice: inhaler as needed", "new: see your doctor soon", "new: peak flow"])
        hits = store.search_dense(EMB.embed_query("inhaler advice doctor"), 10, store.active_documents())
        assert {p.version for p in hits} == {"2024"}
        assert len(hits) == 3
        versions = {v.content_hash: v for v in store.versions()}
        assert set(versions) == {"hash-one", "hash-two"}
        assert store.active_version("asthma").content_hash == "hash-two"
        # superseded chunks stay stored and readable, marked inactive
        old_id = _chunks(v1, ["old advice: inhaler twice daily"])[0].chunk_id
        passage = store.get_passage(old_id)
        assert passage.version == "2023" and passage.active is False

    def test_retire_hides_document_but_keeps_passages(self, store: MilvusStore) -> None:
        doc = _doc("burns", "hb")
        _write(store, doc, ["cool the burn under running water for 20 minutes"])
        cid = _chunks(doc, ["cool the burn under running water for 20 minutes"])[0].chunk_id
        store.retire("burns")
        assert store.active_documents() == []
        assert store.get_passage(cid).active is False
        with pytest.raises(NotFoundError):
            store.retire("burns")

    def test_bm25_finds_chinese_words(self, store: MilvusStore) -> None:
        doc = replace(_doc("fever-zh", "hz"), language="zh")
        _write(store, doc, ["发热超过三天应就医", "多喝水，注意休息"])
        hits = store.search_bm25("发热三天", 5, store.active_documents())
        assert hits and hits[0].text == "发热超过三天应就医"

    def test_unknown_passage_is_not_found(self, store: MilvusStore) -> None:
        with pytest.raises(NotFoundError):
            store.get_passage("0" * 32)


class TestMilvusLite(StoreContract):
    @pytest.fixture
    def store(self, tmp_path):
        s = MilvusStore(str(tmp_path / "kb.db"), "test_chunks", EMB.dim)
        yield s
        s.close()


class TestMilvusLiteLocalSearch(StoreContract):
    """The embedded default: Milvus Lite stores, clinrag searches its in-memory copy of the active chunks."""

    @pytest.fixture
    def store(self, tmp_path):
        s = MilvusStore(str(tmp_path / "kb.db"), "test_chunks", EMB.dim, local_search=True)
        yield s
        s.close()


@pytest.fixture(scope="module")
def lite_server(tmp_path_factory):
    from tests.helpers import milvus_lite_server

    with milvus_lite_server(tmp_path_factory.mktemp("srv") / "milvus.db") as uri:
        yield uri


class TestMilvusLiteServer(StoreContract):
    """The same contract through a `milvus-lite server` over gRPC: the mode `clinrag serve` shares."""

    @pytest.fixture
    def store(self, lite_server):
        import uuid

        name = "t_" + uuid.uuid4().hex[:10]
        s = MilvusStore(lite_server, name, EMB.dim)
        yield s
        s._client.drop_collection(name)
        s._client.drop_collection(name + "_docs")
        s.close()


class TestMilvusLiteServerLocalSearch(TestMilvusLiteServer):
    """`clinrag serve`'s workers: the shared lite server stores, each worker searches its own copy."""

    @pytest.fixture
    def store(self, lite_server):
        import uuid

        name = "t_" + uuid.uuid4().hex[:10]
        s = MilvusStore(lite_server, name, EMB.dim, local_search=True)
        yield s
        s._client.drop_collection(name)
        s._client.drop_collection(name + "_docs")
        s.close()


@pytest.mark.integration
@pytest.mark.skipif(not os.environ.get("CLINRAG_TEST_MILVUS_URI"), reason="set CLINRAG_TEST_MILVUS_URI to a Milvus standalone/cluster to run")
class TestMilvusServer(StoreContract):
    @pytest.fixture
    def store(self):
        import uuid

        name = "t_" + uuid.uuid4().hex[:10]
        s = MilvusStore(os.environ["CLINRAG_TEST_MILVUS_URI"], name, EMB.dim)
        yield s
        s._client.drop_collection(name)
        s._client.drop_collection(name + "_docs")
        s.close()


def test_catalog_is_reread_only_when_its_generation_changes(tmp_path) -> None:
    """Another process's reader refreshes cheaply: the full catalog read happens only after a catalog write."""
    writer = MilvusStore(str(tmp_path / "kb.db"), "c", EMB.dim)
    reader = MilvusStore(str(tmp_path / "kb.db"), "c", EMB.dim, catalog_cache_s=0)  # same file, same process
    try:
        _write(writer, _doc("fever", "hf"), ["fever advice"])
        full_reads = []
        real = reader._doc_rows
        reader._doc_rows = lambda expr: (full_reads.append(expr), real(expr))[1]  # type: ignore[method-assign]
        assert [d.doc_id for d in reader.snapshot().active] == ["fever"]
        assert [d.doc_id for d in reader.snapshot().active] == ["fever"]
        assert len(full_reads) == 1
        _write(writer, _doc("burns", "hb"), ["cool the burn"])
        assert sorted(d.doc_id for d in reader.snapshot().active) == ["burns", "fever"]
        writer.retire("fever")
        assert [d.doc_id for d in reader.snapshot().active] == ["burns"]
        assert reader.snapshot().inactive_hashes == ["hf"]
        assert len(full_reads) == 3
    finally:
        reader._client.close()
        writer.close()


# --- the Searcher protocol: both engines and a small fake answer the same contract -------------------

from tests.fakes import FakeSearcher  # noqa: E402


class SearcherContract:
    """`searcher` is a (searcher, add(doc, texts)) pair; every implementation must pass these."""

    def test_hits_carry_both_scores_and_stay_in_scope(self, searcher) -> None:
        s, add = searcher
        fever, burns = _doc("fever", "hf"), _doc("burns", "hb")
        add(fever, ["fever above 38 degrees: drink fluids", "paracetamol lowers a fever"])
        add(burns, ["cool the burn under running water"])
        scope = Scope([_info(fever, 2), _info(burns, 1)])
        vec = EMB.embed_query("fever fluids")
        hits = s.search(vec, "fever fluids", 5, scope)
        assert {h.content_hash for h in hits} <= {"hf", "hb"} and len({h.chunk_id for h in hits}) == len(hits)
        both = [h for h in hits if h.bm25 > 0]
        assert both and all(h.content_hash == "hf" for h in both)  # only the fever chunks share a word with the query
        stored = s.passages([h.chunk_id for h in hits])
        for h in hits:  # the dense score is the exact inner product, BM25-only hits included
            assert abs(h.dense - sum(a * b for a, b in zip(vec, EMB.embed_documents([stored[h.chunk_id].text])[0], strict=True))) < 1e-4
        only_burns = s.search(vec, "fever fluids", 5, Scope([_info(fever, 2), _info(burns, 1)], exclude=["hf"]))
        assert {h.content_hash for h in only_burns} == {"hb"} and all(h.bm25 == 0 for h in only_burns)

    def test_blank_text_is_dense_only_and_passages_read_by_id(self, searcher) -> None:
        s, add = searcher
        doc = _doc("cough", "hc")
        add(doc, ["a dry cough for three weeks", "honey soothes a cough"])
        hits = s.search(EMB.embed_query("cough"), "", 1, Scope([_info(doc, 2)]))
        assert len(hits) == 1 and hits[0].bm25 == 0.0
        ids = [c.chunk_id for c in _chunks(doc, ["a dry cough for three weeks", "honey soothes a cough"])]
        got = s.passages([*ids, "0" * 32])
        assert set(got) == set(ids) and got[ids[1]].text == "honey soothes a cough" and got[ids[1]].content_hash == "hc"
        assert s.search(EMB.embed_query("cough"), "cough", 5, Scope([])) == []


class TestFakeSearcher(SearcherContract):
    @pytest.fixture
    def searcher(self):
        fake = FakeSearcher()
        return fake, fake.add


class TestMilvusSearch(SearcherContract):
    @pytest.fixture(params=[False, True], ids=["milvus", "local-copy"])
    def searcher(self, request, tmp_path):
        s = MilvusStore(str(tmp_path / "kb.db"), "test_chunks", EMB.dim, local_search=request.param)
        assert isinstance(s.searcher, LocalSearch if request.param else MilvusSearch)
        yield s.searcher, lambda doc, texts: _write(s, doc, texts)
        s.close()


def test_values_over_max_length_are_still_rejected_without_pymilvus_string_scan(tmp_path):
    """MilvusStore turns off pymilvus' per-character VARCHAR scan on the row path (it could never fail: it checked each
    character's length); Milvus Lite still rejects a value over its field's max_length, and a value at the limit is kept."""
    from pymilvus.client import entity_helper
    from pymilvus.exceptions import MilvusException

    s = MilvusStore(str(tmp_path / "kb.db"), "test_chunks", EMB.dim)
    try:
        assert entity_helper.CHECK_STR_ARRAY is False
        doc = _doc("long", "hl")
        [row] = s.chunk_rows(doc, _chunks(doc, ["fine"]), EMB.embed_documents(["fine"]))
        for field, value in (("chunk_id", "c" * 65), ("language", "english!!"), ("text", "x" * 16_385),
                             ("bm25", "é" * 16_385), ("title", "t" * 513)):
            with pytest.raises(MilvusException, match="exceeds max_length"):
                s.upsert_rows([{**row, field: value}])
        s.upsert_rows([{**row, "text": "y" * 16_384}])
        assert s.count_chunks("hl") == 1
    finally:
        s.close()
