"""The in-memory search copy (rag/knowledge/local.py) against real Milvus Lite: same scores, same catalog."""

from __future__ import annotations

import json
import math
import multiprocessing
import random
import shutil
import threading
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from rag.knowledge.base import Scope
from rag.knowledge.local import LocalIndex, SortedKeys, analyze
from rag.knowledge.milvus import MilvusStore
from rag.types import Chunk
from tests.test_store import EMB, _chunks, _doc, _info, _write

CORPUS = [
    "Fever in adults: drink fluids, rest, and take paracetamol for comfort.",
    "A fever above 39 degrees lasting more than three days needs a doctor.",
    "Chest pain that spreads to the arm or jaw is an emergency: call an ambulance.",
    "Cool a burn under cool running water for twenty minutes.",
    "Asthma: use the reliever inhaler, sit upright, and seek help if it does not work.",
    "Headache with a stiff neck and a rash needs urgent care.",
    "Most coughs settle within three weeks; honey soothes a sore throat.",
    "Diarrhoea: drink oral rehydration solution in small frequent sips.",
]


def _one_segment_store(path: str, local: bool) -> MilvusStore:
    return MilvusStore(path, "parity", EMB.dim, local_search=local)


def test_analyzer_matches_milvus_standard_words() -> None:
    assert analyze("Fever > 39°C, NO rash; 发热 三天") == ["fever", "39", "c", "no", "rash", "发热", "三天"]


def test_bm25_formula_by_hand() -> None:
    """Two documents, one query term: the score is Milvus' BM25 (k1 1.5, b 0.75) computed by hand."""
    rows = [("a", "h", [1.0, 0.0], "fever fever rest"), ("b", "h", [0.0, 1.0], "rest")]
    index = LocalIndex(lambda hashes: rows, dim=2).view(["h"])
    n, df, avgdl = 2, 1, 2.0
    idf = math.log((n - df + 0.5) / (df + 0.5) + 1)
    expected = idf * 2 * 2.5 / (2 + 1.5 * (1 - 0.75 + 0.75 * 3 / avgdl))
    hits = index.search_bm25("fever", 5, {"h"})
    assert [c for c, _ in hits] == ["a"]  # "b" shares no term: not a hit
    assert hits[0][1] == pytest.approx(expected, rel=1e-6)
    assert index.search_dense([0.0, 2.0], 1, {"h"}) == [("b", 2.0)]
    assert index.search_dense([0.0, 2.0], 5, set()) == []  # nothing allowed, nothing found


def test_rows_without_words_are_searchable_by_vector_only() -> None:
    rows = [("a", "h", [1.0, 0.0], "..."), ("b", "h", [0.0, 1.0], "rest now"), ("c", "h", [0.5, 0.5], "—")]
    index = LocalIndex(lambda hashes: rows, dim=2).view(["h"])
    assert [c for c, _ in index.search_bm25("rest", 5, {"h"})] == ["b"]
    assert [c for c, _ in index.search_dense([1.0, 0.0], 3, {"h"})] == ["a", "c", "b"]


def test_scores_equal_milvus_lite_on_one_segment(tmp_path) -> None:
    """With every chunk in one segment Lite's BM25 statistics are global too: scores must agree."""
    store = _one_segment_store(str(tmp_path / "kb.db"), local=False)
    local = _one_segment_store(str(tmp_path / "kb.db"), local=True)  # same file, same process
    try:
        doc = _doc("mixed", "hm")
        _write(store, doc, CORPUS)
        active = store.active_documents()
        for query in ["fever three days", "chest pain arm", "burn water", "inhaler asthma help", "stiff neck rash"]:
            milvus = store.search_bm25(query, 8, active)
            mine = local.search_bm25(query, 8, active)
            expected = {p.chunk_id: p.bm25_score for p in milvus}  # Milvus breaks ties in no fixed order
            assert {p.chunk_id for p in mine} == expected.keys() and expected, query
            for p in mine:
                assert p.bm25_score == pytest.approx(expected[p.chunk_id], rel=1e-4)
            assert [p.bm25_score for p in mine] == sorted((p.bm25_score for p in mine), reverse=True)
            vec = EMB.embed_query(query)
            milvus_d = {p.chunk_id: p.dense_score for p in store.search_dense(vec, 8, active)}
            mine_d = {p.chunk_id: p.dense_score for p in local.search_dense(vec, 8, active)}
            assert mine_d.keys() == milvus_d.keys()
            for cid, score in mine_d.items():
                assert score == pytest.approx(milvus_d[cid], abs=1e-5)
            assert all(p.text and p.source == "mixed.md" and p.active for p in local.search_dense(vec, 3, active))
    finally:
        local._client.close()
        store.close()


def test_copy_follows_versions_and_frees_retired(tmp_path) -> None:
    store = MilvusStore(str(tmp_path / "kb.db"), "c", EMB.dim, local_search=True, catalog_cache_s=0)
    try:
        v1 = _doc("fever", "f1", "1")
        _write(store, v1, ["fever advice one", "fluids and rest one"])
        other = _doc("burns", "b1")
        _write(store, other, ["cool the burn"])
        assert set(store.local_index().hashes) == {"f1", "b1"} and len(store.local_index()) == 3
        v2 = replace(v1, content_hash="f2", version="2")
        _write(store, v2, ["fever advice two"])
        assert set(store.local_index().hashes) == {"f2", "b1"}  # the superseded version left memory
        hits = store.search_bm25("fever advice", 10, store.active_documents())
        assert [h.version for h in hits] == ["2"]
        store.retire("fever")
        store.retire("burns")
        assert set(store.local_index().hashes) == set() and len(store.local_index()) == 0
        assert store.search_dense(EMB.embed_query("fever"), 5, store.active_documents()) == []
    finally:
        store.close()


def test_patient_filter_and_exclusions_apply(tmp_path) -> None:
    store = MilvusStore(str(tmp_path / "kb.db"), "c", EMB.dim, local_search=True)
    try:
        adult = _doc("fever-adult", "ha", groups=("adult",))
        child = _doc("fever-child", "hc", groups=("child",))
        _write(store, adult, ["fever in adults: paracetamol"])
        _write(store, child, ["fever in children: paracetamol by weight"])
        active = store.active_documents()
        only_adult = [d for d in active if d.doc_id == "fever-adult"]
        assert {p.doc_id for p in store.search_bm25("fever paracetamol", 5, only_adult)} == {"fever-adult"}
        assert {p.doc_id for p in store.search_dense(EMB.embed_query("fever"), 5, active, ["hc"])} == {"fever-adult"}
        assert set(store.local_index().hashes) == {"ha", "hc"}  # filtering never evicts
    finally:
        store.close()


def test_loads_in_batches_and_large_versions(tmp_path, monkeypatch) -> None:
    """Versions are fetched in queries under Milvus' row cap; a version above it is paged."""
    import rag.knowledge.milvus

    monkeypatch.setattr(rag.knowledge.milvus, "_QUERY_ROWS", 3)
    store = MilvusStore(str(tmp_path / "kb.db"), "c", EMB.dim, local_search=True)
    try:
        sizes = {"d1": 1, "d2": 2, "d3": 5, "d4": 1}
        for name, n in sizes.items():
            _write(store, _doc(name, "h" + name), [f"{name} passage {i}" for i in range(n)])
        index = store.local_index()
        assert len(index) == sum(sizes.values())
        assert set(index.hashes) == {"h" + n for n in sizes}
        assert Counter(index.hashes[i] for i in index.row_hash) == Counter({"h" + n: k for n, k in sizes.items()})
    finally:
        store.close()


def test_searches_during_version_switches_see_one_version(tmp_path) -> None:
    """Readers racing a writer that flips a document between versions never see a mix or nothing."""
    store = MilvusStore(str(tmp_path / "kb.db"), "c", EMB.dim, local_search=True, catalog_cache_s=0)
    try:
        docs = [_doc("cough", f"v{i}", str(i)) for i in range(2)]
        texts = {d.version: [f"cough advice version {d.version} part {j}" for j in range(3)] for d in docs}
        for d in docs:
            store.upsert_chunks(d, _chunks(d, texts[d.version]), EMB.embed_documents(texts[d.version]))
        store.flush()
        store.activate(_info(docs[0], 3))
        seen: list[set[str]] = []
        stop = threading.Event()

        def reader() -> None:
            while not stop.is_set():
                snap = store.snapshot()
                hits = store.search_bm25("cough advice", 10, snap.active, snap.inactive_hashes)
                seen.append({h.version for h in hits})

        threads = [threading.Thread(target=reader) for _ in range(2)]
        for t in threads:
            t.start()
        for i in range(6):
            store.activate(_info(docs[(i + 1) % 2], 3))
        stop.set()
        for t in threads:
            t.join()
        assert seen and all(len(v) == 1 for v in seen)
    finally:
        store.close()


def test_chunk_rows_carry_what_milvus_indexes(tmp_path) -> None:
    """The copy indexes the stored `bm25` text (title, section and segmented Chinese), not just the chunk text."""
    store = MilvusStore(str(tmp_path / "kb.db"), "c", EMB.dim, local_search=True)
    try:
        doc = replace(_doc("fever-zh", "hz"), language="zh", title="发热指南")
        chunk = Chunk(doc_id=doc.doc_id, version="1", content_hash="hz", index=0, text="多喝水，注意休息", section="家庭护理",
                      page_start=1, page_end=1, char_start=0, char_end=8, language="zh")
        store.upsert_chunks(doc, [chunk], EMB.embed_documents([chunk.text]))
        store.flush()
        store.activate(_info(doc, 1))
        assert [p.chunk_id for p in store.search_bm25("发热 家庭护理", 5, store.active_documents())] == [chunk.chunk_id]
    finally:
        store.close()


def test_cache_files_reload_without_milvus_and_damage_is_ignored(tmp_path) -> None:
    """A second process loads versions from the cache files; a damaged file is reloaded from Milvus."""
    cache = tmp_path / "copy"
    store = MilvusStore(str(tmp_path / "kb.db"), "c", EMB.dim, local_search=True, local_cache_dir=cache)
    try:
        _write(store, _doc("fever", "hf"), ["fever advice", "fluids and rest"])
        _write(store, _doc("burns", "hb"), ["cool the burn"])
        first = store.local_index()
        files = sorted(cache.glob("*.npz"))
        assert len(files) == 2
        fetched: list[list[str]] = []
        fresh = MilvusStore(str(tmp_path / "kb.db"), "c", EMB.dim, local_search=True, local_cache_dir=cache)
        real_fetch = fresh._local._fetch  # type: ignore[union-attr]
        fresh._local._fetch = lambda hashes: (fetched.append(list(hashes)), real_fetch(hashes))[1]  # type: ignore[union-attr]
        view = fresh.local_index()
        assert fetched == []  # everything came from the files
        assert sorted(view.chunk_ids) == sorted(first.chunk_ids)
        q = EMB.embed_query("fever advice")
        assert view.search_dense(q, 3, {"hf", "hb"}) == first.search_dense(q, 3, {"hf", "hb"})
        assert view.search_bm25("burn", 3, {"hf", "hb"}) == first.search_bm25("burn", 3, {"hf", "hb"})

        for gen in cache.glob("gen-*"):  # the shared generation folders sit above the per-version files: test those alone
            shutil.rmtree(gen)
        files[0].write_bytes(b"not a numpy file")
        again = MilvusStore(str(tmp_path / "kb.db"), "c", EMB.dim, local_search=True, local_cache_dir=cache)
        fetched.clear()
        again._local._fetch = lambda hashes: (fetched.append(list(hashes)), real_fetch(hashes))[1]  # type: ignore[union-attr]
        assert sorted(again.local_index().chunk_ids) == sorted(first.chunk_ids)
        assert len(fetched) == 1 and len(fetched[0]) == 1  # only the damaged version came from Milvus
        assert files[0].read_bytes()[:2] == b"PK"  # rewritten as a valid .npz (a zip file)
        for s in (fresh, again):
            s._client.close()
    finally:
        store.close()


def test_auto_means_copy_for_embedded_and_milvus_for_a_server(tmp_path) -> None:
    from rag.settings import Settings
    from tests.helpers import milvus_lite_server

    embedded = MilvusStore.from_settings(Settings(data_dir=tmp_path / "a"), EMB.dim)
    try:
        assert embedded._local is not None
    finally:
        embedded.close()
    with milvus_lite_server(tmp_path / "srv" / "milvus.db") as uri:
        for mode, expected in (("auto", False), ("on", True), ("off", False)):
            s = MilvusStore.from_settings(Settings(data_dir=tmp_path / "b", milvus_uri=uri, local_search=mode), EMB.dim)
            try:
                assert (s._local is not None) is expected, mode
            finally:
                s.close()


def test_version_short_of_its_catalog_count_is_not_cached(tmp_path, caplog) -> None:
    cache = tmp_path / "copy"
    store = MilvusStore(str(tmp_path / "kb.db"), "c", EMB.dim, local_search=True, local_cache_dir=cache)
    try:
        doc = _doc("fever", "hf")
        chunks = _chunks(doc, ["fever advice", "fluids and rest"])
        store.upsert_chunks(doc, chunks, EMB.embed_documents([c.text for c in chunks]))
        store.flush()
        store.activate(_info(doc, 3))  # the catalog claims a chunk that is not stored
        with caplog.at_level("WARNING", logger="clinrag.local_index"):
            assert len(store.local_index()) == 2
        assert list(cache.glob("*.npz")) == []
        assert "2 chunks in Milvus but 3 in its catalog row" in caplog.text
    finally:
        store.close()


def test_passages_of_reads_through_the_copy_like_the_query(tmp_path) -> None:
    """A version's passages come from the copy's chunk ids (a read by key) and equal what the filter query returns."""
    path = str(tmp_path / "kb.db")
    texts = ["first part about fever", "second part about fluids", "third part about when to see a doctor"]
    doc = _doc("fever", "f1", groups=("adult",))
    store = MilvusStore(path, "c", EMB.dim, local_search=True)
    try:
        offsets = [0, 40, 90]
        chunks = [replace(c, char_start=o, char_end=o + len(c.text)) for c, o in zip(_chunks(doc, texts), offsets, strict=True)]
        store.upsert_chunks(doc, chunks[::-1], EMB.embed_documents(texts[::-1]))  # stored out of order on purpose
        store.flush()
        store.activate(_info(doc, len(chunks)))
        calls: list[str] = []
        original = store._query_all
        store._query_all = lambda expr, fields: calls.append(expr) or original(expr, fields)  # type: ignore[method-assign]
        via_copy = store.passages_of([_info(doc, 3)])
        assert calls == []  # no filter query: the copy knew the chunk ids
        assert [p.text for p in via_copy] == texts and all(p.patient_groups == ("adult",) for p in via_copy)
    finally:
        store.close()
    plain = MilvusStore(path, "c", EMB.dim, local_search=False)
    try:
        via_query = plain.passages_of([_info(doc, 3)])
    finally:
        plain.close()
    assert [(p.chunk_id, p.text, p.section, p.patient_groups, p.extra) for p in via_copy] == \
        [(p.chunk_id, p.text, p.section, p.patient_groups, p.extra) for p in via_query]


# ---------------------------------------------------------------------- generations shared between processes

_GEN_QUERIES = ["fever three days", "chest pain arm", "burn water", "inhaler asthma", "stiff neck rash", "zzz nothing"]


def _gen_rows(hashes: list[str]) -> list[tuple[str, str, list[float], str]]:
    rnd = random.Random(7)
    rows = []
    for h in hashes:
        for i in range(40):
            words = rnd.sample(" ".join(CORPUS).lower().replace(".", "").replace(",", "").replace(":", "").split(), 8)
            vec = [rnd.gauss(0, 1) for _ in range(16)]
            rows.append((f"{h}-{i:03d}", h, vec, " ".join(words)))
    return rows


def _gen_results(view, hashes: set[str]) -> list[object]:
    rnd = random.Random(3)
    out: list[object] = []
    for q in _GEN_QUERIES:
        vec = [rnd.gauss(0, 1) for _ in range(16)]
        out += [view.search_dense(vec, 10, hashes), view.search_bm25(q, 10, hashes), view.search_bm25(q, 5, hashes - {"h1"}),
                view.document_scores(vec, sorted(hashes))]
    return out


def _map_in_child(cache: str, hashes: list[str]) -> tuple[list[object], str, bool]:
    """Another process (spawned): open the copy from the generation folder alone (no Milvus, no per-version files)."""
    def no_fetch(expected):
        raise AssertionError(f"the child read {sorted(expected)} from the store of record")

    view = LocalIndex(no_fetch, dim=16, cache_dir=__import__("pathlib").Path(cache)).view(hashes)
    return _gen_results(view, set(hashes)), str(view.vectors.filename), bool(view.vectors.flags.writeable)


def _is_mapped(a: object) -> bool:
    """Whether an array's memory is (a view of) a mapped file."""
    import mmap

    import numpy as np

    while a is not None:
        if isinstance(a, (np.memmap, mmap.mmap)):
            return True
        a = getattr(a, "base", None)
    return False


def _fetch_of(rows, fetched: list[list[str]]):
    def fetch(expected):
        fetched.append(sorted(expected))
        return [r for r in rows if r[1] in expected]
    return fetch


def test_generation_is_memory_mapped_and_searches_like_the_in_memory_copy(tmp_path) -> None:
    hashes = ["h1", "h2", "h3"]
    rows = _gen_rows(hashes)
    in_memory = LocalIndex(_fetch_of(rows, []), dim=16).view(hashes)
    assert not isinstance(in_memory.vectors, __import__("numpy").memmap)
    mapped = LocalIndex(_fetch_of(rows, []), dim=16, cache_dir=tmp_path / "copy").view(hashes)
    import numpy as np

    assert isinstance(mapped.vectors, np.memmap) and not mapped.vectors.flags.writeable
    assert all(_is_mapped(a) for a in (mapped.bm25.data, mapped.bm25.indices, mapped.bm25.indptr, mapped.row_hash))
    # ids and terms too: a worker holds no list or dict of them, it binary-searches the mapped files
    assert all(_is_mapped(a) for a in (mapped.chunk_ids, mapped.rows.keys, mapped.rows.values, mapped.words, mapped.vocab.keys,
                                       mapped.vocab.values))
    assert not any(isinstance(getattr(mapped, f), (list, dict)) for f in mapped.__slots__)
    assert sorted(mapped.chunk_ids) == sorted(in_memory.chunk_ids)
    for row, chunk_id in enumerate(mapped.chunk_ids.tolist()):
        assert mapped.rows.get(chunk_id) == row and mapped.content_hash(chunk_id) == chunk_id.split("-")[0]
    assert _gen_results(mapped, set(hashes)) == _gen_results(in_memory, set(hashes))
    assert len(list((tmp_path / "copy").glob("gen-*"))) == 1


def test_two_processes_map_the_same_generation_files(tmp_path) -> None:
    cache = tmp_path / "copy"
    hashes = ["h1", "h2", "h3"]
    rows = _gen_rows(hashes)
    expected = _gen_results(LocalIndex(_fetch_of(rows, []), dim=16).view(hashes), set(hashes))
    parent = LocalIndex(_fetch_of(rows, []), dim=16, cache_dir=cache).view(hashes)
    for f in cache.glob("*.npz"):  # the child must need the generation folder only
        f.unlink()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        results, filename, writeable = pool.apply(_map_in_child, (str(cache), hashes))
    assert results == expected == _gen_results(parent, set(hashes))
    assert filename == str(parent.vectors.filename) and not writeable  # the same file, read-only in both


def _built_generation(tmp_path):
    """A search copy of two versions written to disk: (cache dir, hashes, rows, expected results, its generation folder)."""
    cache = tmp_path / "copy"
    hashes = ["h1", "h2"]
    rows = _gen_rows(hashes)
    expected = _gen_results(LocalIndex(_fetch_of(rows, []), dim=16).view(hashes), set(hashes))
    LocalIndex(_fetch_of(rows, []), dim=16, cache_dir=cache).view(hashes)
    (gen,) = cache.glob("gen-*")
    return cache, hashes, rows, expected, gen


def test_damaged_or_foreign_generation_is_rebuilt_not_trusted(tmp_path, caplog) -> None:
    cache, hashes, rows, expected, gen = _built_generation(tmp_path)
    (gen / "vectors.npy").write_bytes((gen / "vectors.npy").read_bytes()[:200])  # cut short
    fetched: list[list[str]] = []
    with caplog.at_level("WARNING", logger="clinrag.local_index"):
        view = LocalIndex(_fetch_of(rows, fetched), dim=16, cache_dir=cache).view(hashes)
    assert "ignoring generation folder" in caplog.text
    assert fetched == []  # rebuilt from the per-version files
    assert _gen_results(view, set(hashes)) == expected
    import numpy as np

    assert isinstance(view.vectors, np.memmap)  # written again, mapped again
    # a folder whose description names other versions is not taken for these
    meta = json.loads((gen / "meta.json").read_text())
    (gen / "meta.json").write_text(json.dumps({**meta, "hashes": ["h1", "hX"]}))
    caplog.clear()
    with caplog.at_level("WARNING", logger="clinrag.local_index"):
        again = LocalIndex(_fetch_of(rows, fetched), dim=16, cache_dir=cache).view(hashes)
    assert "made for other versions" in caplog.text
    assert _gen_results(again, set(hashes)) == expected and fetched == []


def test_damaged_id_lookup_is_rebuilt_not_trusted(tmp_path, caplog) -> None:
    import numpy as np

    cache, hashes, rows, expected, gen = _built_generation(tmp_path)
    id_rows = np.load(gen / "id_rows.npy")
    id_rows[[3, 50]] = id_rows[[50, 3]]  # two ids would find each other's rows (same shapes, still a permutation)
    np.save(gen / "id_rows.npy", id_rows)
    with caplog.at_level("WARNING", logger="clinrag.local_index"):
        view = LocalIndex(_fetch_of(rows, []), dim=16, cache_dir=cache).view(hashes)
    assert "lookups do not match" in caplog.text
    assert _gen_results(view, set(hashes)) == expected
    assert all(view.rows.get(c) == i for i, c in enumerate(view.chunk_ids.tolist()))


def test_sorted_keys_answer_like_a_dict() -> None:
    import numpy as np

    rnd = random.Random(5)
    ids = list({"".join(rnd.choice("0123456789abcdef") for _ in range(rnd.randint(1, 12))) for _ in range(500)}) + ["发热", "x" * 12]
    keys = SortedKeys.of(np.asarray(ids, dtype=str))
    reference = {c: i for i, c in enumerate(ids)}
    probes = ids + [c + "0" for c in ids[:50]] + [c[:-1] for c in ids[:50]] + ["", "x" * 13, "发", "zz", "\x00"]
    assert [keys.get(p) for p in probes] == [reference.get(p) for p in probes]
    assert ("发热" in keys) and ("y" * 40 not in keys) and len(keys) == len(ids)
    empty = SortedKeys.of(np.zeros(0, dtype=str))
    assert empty.get("a") is None and len(empty) == 0
    assert keys.consistent_with(np.asarray(ids, dtype=str)) and not keys.consistent_with(np.asarray(ids[::-1], dtype=str))


def test_generations_follow_versions_and_old_folders_are_pruned(tmp_path) -> None:
    import os

    cache = tmp_path / "copy"
    all_hashes = [f"h{i}" for i in range(8)]
    rows = _gen_rows(all_hashes)
    old_format = cache / "gen-g1-0123456789abcdef"  # what the release before wrote: pruned with the rest
    old_format.mkdir(parents=True)
    (old_format / "meta.json").write_text("{}")
    os.utime(old_format, (1, 1))
    index = LocalIndex(_fetch_of(rows, []), dim=16, cache_dir=cache)
    for i in range(1, 8):
        view = index.view(all_hashes[:i])
        assert set(view.hashes) == set(all_hashes[:i])
        fresh = LocalIndex(_fetch_of(rows, []), dim=16).view(all_hashes[:i])
        assert _gen_results(view, set(all_hashes[:i])) == _gen_results(fresh, set(all_hashes[:i]))
    assert len(list(cache.glob("gen-*"))) == 4 and not old_format.exists()
    assert not list(cache.glob(".gen-*"))  # no temporary folder left behind


def test_passages_read_once_per_generation_and_handed_out_as_copies(tmp_path) -> None:
    """Round 6: passages read by id are kept for the copy's generation; a caller's scores never reach the next caller,
    and a new version (a new generation) reads from Milvus again."""
    store = MilvusStore(str(tmp_path / "kb.db"), "kept", EMB.dim, local_search=True, catalog_cache_s=0)
    try:
        v1 = _doc("fever", "f1", "1")
        _write(store, v1, ["fever advice one", "fluids and rest one"])
        reads: list[list[str]] = []
        inner = store.searcher._read  # type: ignore[attr-defined]
        store.searcher._read = lambda ids: reads.append(list(ids)) or inner(ids)  # type: ignore[attr-defined]
        hits = store.searcher.search(EMB.embed_query("fever"), "fever", 5, Scope(store.active_documents()))
        ids = [h.chunk_id for h in hits]
        first = store.passages(ids)
        assert sorted(first) == sorted(ids) and len(reads) == 1
        first[ids[0]].score = 0.99
        first[ids[0]].extra["note"] = "set by a caller"
        again = store.passages([*ids, "absent-id"])
        assert len(reads) == 2 and reads[1] == ["absent-id"]  # only what was not kept is read
        assert again[ids[0]].score == 0.0 and "note" not in again[ids[0]].extra
        assert again[ids[0]].text == first[ids[0]].text
        v2 = replace(v1, content_hash="f2", version="2")
        _write(store, v2, ["fever advice two"])
        hits = store.searcher.search(EMB.embed_query("fever"), "fever", 5, Scope(store.active_documents()))
        assert [p.version for p in store.passages([h.chunk_id for h in hits]).values()] == ["2"]
        assert len(reads) == 3  # a new generation of the copy: read again
    finally:
        store.close()


def test_bm25_hits_are_the_sparse_product_over_many_repeated_terms() -> None:
    """A query with repeated and unknown terms over 300 rows: every row sharing a term is a hit, with the weighted sum of its
    term columns (repeats counted) as its score, bit for bit."""
    rnd = random.Random(3)
    words = [f"w{i}" for i in range(40)]
    rows = [(f"c{i:03d}", "h", [1.0, 0.0], " ".join(rnd.choices(words, k=rnd.randint(1, 30)))) for i in range(300)]
    view = LocalIndex(lambda hashes: rows, dim=2).view(["h"])
    query = "w1 w2 w2 w3 w17 w39 unknownword"
    counts = Counter(view.vocab.get(t) for t in analyze(query) if t in view.vocab)
    cols = list(counts)
    expected = (view.bm25[:, cols] @ np.asarray([counts[c] for c in cols], dtype=np.float32)).ravel()
    hits = dict(view.search_bm25(query, 300, {"h"}))
    assert len(hits) == int((expected > 0).sum()) > 100
    for chunk_id, score in hits.items():
        assert score == float(expected[view.rows.get(chunk_id)])  # the same float32 sums, bit for bit


def test_sorted_keys_get_many_is_get_of_each() -> None:
    """One binary search for many keys (round 11) gives what one lookup each gives: present, absent, longer than any
    stored key, empty, ending in a NUL (which a fixed-width array would drop)."""
    items = np.array([f"doc{i:03d}-chunk{j}" for i in range(40) for j in range(5)] + ["a", "zz"])
    keys = SortedKeys.of(items)
    probe = [*items.tolist()[::7], "doc999-chunk0", "doc000-chunk5", "", "a\x00", "zzz", "0", "doc001-chunk1" * 3, "zz"]
    assert keys.get_many(probe) == [keys.get(k) for k in probe]
    assert [keys.get(k) for k in items.tolist()] == list(range(len(items)))  # the values are the positions
    assert SortedKeys.of(np.array([], dtype="<U4")).get_many(["x"]) == [None]
    assert keys.get_many([]) == []
