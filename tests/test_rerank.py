"""The feature-based document reranker (rag/knowledge/rerank.py): features, scoring, the weights file, and document search."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rag.knowledge.base import Hit
from rag.knowledge.documents import aggregate, retrieve_documents
from rag.knowledge.local import LocalIndex
from rag.knowledge.milvus import MilvusStore
from rag.knowledge.rerank import (
    FEATURES,
    WEIGHTS,
    DocumentFeatures,
    Reranker,
    RerankerError,
    document_features,
    intents,
    load_reranker,
    question_intents,
    title_field,
)
from rag.settings import Settings
from tests.test_store import EMB, _doc, _write


def _ranked() -> list[tuple[str, float, list[tuple[Hit, float]]]]:
    hits = [(Hit("a1", "A", 0.80, 4.0), 0.80), (Hit("a2", "A", 0.60, 0.0), 0.57),
            (Hit("b1", "B", 0.75, 8.0), 0.76), (Hit("c1", "C", 0.50, 0.0), 0.475)]
    return aggregate(hits, 0.0)


def _col(found: DocumentFeatures, name: str) -> list[float]:
    return [float(x) for x in found.matrix[:, FEATURES.index(name)]]


def test_features_of_each_candidate_document() -> None:
    ranked = _ranked()
    assert [h for h, _, _ in ranked] == ["A", "B", "C"]
    titles = {"A": "Burns and scalds", "B": "Asthma attacks in children", "C": "Fever"}
    found = document_features(ranked, {"A": 0.5, "B": 0.7}, {"B": (0.9, 1.0)}, {"A": 4, "B": 1, "C": 2}, titles,
                              "What to do in an asthma attack at night?")
    assert found.hashes == ["A", "B", "C"]
    assert _col(found, "dense") == pytest.approx([0.80, 0.75, 0.50])
    assert _col(found, "bm25") == pytest.approx([0.5, 1.0, 0.0])  # over the query's best BM25 score
    assert _col(found, "has_bm25") == [1.0, 1.0, 0.0]
    assert _col(found, "hits") == pytest.approx([math.log1p(2), math.log1p(1), math.log1p(1)])
    assert _col(found, "hit_share") == pytest.approx([0.5, 1.0, 0.5])
    assert _col(found, "dense_rank") == pytest.approx([0.0, math.log1p(1), math.log1p(2)])
    assert _col(found, "base_gap")[0] == 0.0 and _col(found, "base_gap")[2] < 0
    # "asthma" and "attack" of the question's 3 content words (asthma, attack, night) are in B's title ("attacks")
    assert _col(found, "title_overlap") == pytest.approx([0.0, 2 / 3, 0.0])
    cov = _col(found, "term_coverage")
    assert cov[1] == 0.9 and math.isnan(cov[0]) and math.isnan(cov[2])  # the searcher could not tell for A and C
    vec = _col(found, "doc_vector")
    assert vec[:2] == pytest.approx([0.5, 0.7]) and math.isnan(vec[2])
    assert _col(found, "doc_vector_gap")[:2] == pytest.approx([-0.2, 0.0])
    # no document vectors at all (Milvus' own search): those features are unknown, the rest still measured
    bare = document_features(ranked, {}, {}, {}, {}, "asthma")
    assert all(math.isnan(x) for x in _col(bare, "doc_vector") + _col(bare, "hit_share") + _col(bare, "title_overlap"))
    assert _col(bare, "dense") == pytest.approx([0.80, 0.75, 0.50])
    assert document_features([], {}, {}, {}, {}, "x").hashes == []


def test_question_and_heading_intents() -> None:
    assert question_intents("What are the treatments of Prostate Cancer?") == {"treatment"}
    assert question_intents("How to diagnose Epilepsy?") == {"diagnosis"}
    assert question_intents("What causes Stroke?") == {"cause"}
    assert question_intents("What is Anemia?") == {"definition"}  # names no aspect: asks what it is
    assert question_intents("Gluten information. Do zolmitriptan tablets contain gluten?") == set()
    assert intents("Appendicitis (Symptoms and Causes)") == {"symptom", "cause"}
    assert intents("Parkinson disease - resources") == {"support"}
    assert intents("Testicular cancer") == set()  # "test" is not a test
    assert intents("Hypertension in adults: diagnosis and management") == {"diagnosis", "treatment"}


def test_intent_features_read_the_title_up_to_its_colon() -> None:
    titles = {"A": "Anemia (Diagnosis): your doctor may ask", "B": "Anemia: anemia is caused by too few red cells",
              "C": "What is anemia?: a lack of red cells"}
    what = document_features(_ranked(), {}, {}, {}, titles, "What is anemia?")
    assert _col(what, "intent_conflict") == [1.0, 0.0, 0.0]  # a diagnosis section for "what is": the others name none
    assert _col(what, "intent_match") == [0.0, 0.0, 0.0]
    how = document_features(_ranked(), {}, {}, {}, titles, "How is anemia diagnosed?")
    assert _col(how, "intent_match") == [1.0, 0.0, 0.0]
    assert _col(how, "intent_conflict") == [0.0, 0.0, 0.0]  # "caused" is after the colon: the opening sentence
    lay = document_features(_ranked(), {}, {}, {}, titles, "anemia and feeling tired")  # asks for no aspect
    assert _col(lay, "intent_match") == [0.0] * 3 and _col(lay, "intent_conflict") == [0.0] * 3
    untitled = document_features(_ranked(), {}, {}, {}, {}, "What is anemia?")
    assert all(math.isnan(x) for x in _col(untitled, "intent_match") + _col(untitled, "intent_conflict"))


def test_title_field_bm25_weighs_rare_title_words_and_short_titles() -> None:
    titles = {"A": "Pernicious anemia (Diagnosis)", "B": "Anemia", "C": "Anemia in children, teenagers and pregnancy: what to do"}
    others = {f"x{i}": f"Anemia leaflet {i}" if i < 3 else f"Leaflet {i}" for i in range(20)}  # the other titles searched
    field = title_field({**titles, **others})
    assert field is title_field({**titles, **others})  # analysed once per catalog
    assert field.df["anemi"] == 6 and field.df["leafl"] == 20
    q = {"anemi"}
    a, b, c = (field.bm25(h, q) for h in "ABC")
    assert b > a > c > 0  # the same word, and the shorter title scores higher
    # one matching word in a one-word title: BM25's tf part over its value for a title of average length
    assert b == pytest.approx(2.2 / (1 + 1.2 * (0.25 + 0.75 / field.avg_len)))
    assert field.bm25("B", {"leafl"}) == 0.0  # a word the title lacks
    assert math.isnan(field.bm25("absent", q))  # a version it does not hold
    # a rare word outweighs a common one: "pernicious" (1 title) against "leaflet" (20)
    assert field.bm25("A", {"perni", "leafl"}) > field.bm25("x0", {"perni", "leafl"})


def test_heading_features_compare_the_heading_with_the_question_both_ways() -> None:
    titles = {"A": "Pernicious Anemia (Diagnosis): tests your doctor may use", "B": "Anemia: too few red cells", "C": "Fever"}
    field = title_field({h: t for h, t in titles.items()})
    found = document_features(_ranked(), {}, {}, {}, titles, "What is anemia?", field)
    assert _col(found, "head_overlap") == [1.0, 1.0, 0.0]  # the question's one word is in A's and B's headings
    assert _col(found, "head_precision") == [0.5, 1.0, 0.0]  # A's heading says more than the question asks ("pernicious")
    assert _col(found, "title_bm25")[1] > _col(found, "title_bm25")[0] > 0 == _col(found, "title_bm25")[2]
    # no title field given (a caller that does not compute it): unknown, so it counts as its training mean
    assert all(math.isnan(x) for x in _col(document_features(_ranked(), {}, {}, {}, titles, "What is anemia?"), "title_bm25"))


def _model(features: tuple[str, ...], weights: list[float], depth: int = 10) -> Reranker:
    n = len(features)
    return Reranker(features, np.zeros(n), np.ones(n), np.asarray(weights, dtype=np.float64), depth)


def test_order_changes_when_a_feature_says_so() -> None:
    found = document_features(_ranked(), {}, {}, {}, {"A": "Burns", "B": "Fever", "C": "Asthma attack"}, "asthma attack")
    assert _model(("base", "title_overlap"), [1.0, 0.0]).order(found) == [0, 1, 2]  # the formula's order
    assert _model(("base", "title_overlap"), [1.0, 10.0]).order(found) == [2, 0, 1]  # the title decides
    assert _model(("title_overlap",), [1.0], depth=2).order(found) == [0, 1, 2]  # C is below the depth: not re-scored
    assert _model(("bm25",), [1.0]).order(found) == [1, 0, 2]


def test_unknown_features_count_as_their_training_mean() -> None:
    found = document_features(_ranked(), {}, {}, {}, {}, "asthma attack")  # no coverage, no titles, no document vectors
    model = Reranker(("term_coverage", "doc_vector", "dense"), np.array([0.5, 0.6, 0.7]), np.ones(3), np.array([5.0, 5.0, 0.0]), 10)
    assert np.allclose(model.score(found), 0.0)  # nothing known: no feature moves anything
    assert model.order(found) == [0, 1, 2]  # ties keep the formula's order
    with_dense = replace(model, weights=np.array([5.0, 5.0, -1.0]))
    assert with_dense.order(found) == [2, 1, 0]  # the known feature still ranks


def _valid() -> dict[str, object]:
    return {"format": "clinrag-document-reranker", "version": 1, "depth": 30, "features": ["base", "title_overlap"],
            "mean": [0.5, 0.1], "scale": [0.1, 0.2], "weights": [1.0, 2.0]}


@pytest.mark.parametrize(("change", "message"), [
    ({"format": "something-else"}, "format is 'something-else'"),
    ({"version": 2}, "version 2 is not supported"),
    ({"features": ["base", "shoe_size"]}, "unknown feature(s) shoe_size"),
    ({"features": []}, "'features' must be a non-empty list"),
    ({"weights": [1.0]}, "'weights' must be a list of 2 numbers"),
    ({"mean": [0.5, "x"]}, "'mean' must be a list of 2 numbers"),
    ({"scale": [0.1, 0.0]}, "'scale' values must be > 0"),
    ({"depth": 0}, "'depth' must be an integer >= 1"),
])
def test_weights_file_errors_are_named(tmp_path: Path, change: dict[str, object], message: str) -> None:
    path = tmp_path / "w.json"
    path.write_text(json.dumps({**_valid(), **change}))
    with pytest.raises(RerankerError) as err:
        load_reranker(path)
    assert "w.json" in str(err.value) and message in str(err.value)


def test_weights_file_missing_or_not_json(tmp_path: Path) -> None:
    with pytest.raises(RerankerError, match="file not found"):
        load_reranker(tmp_path / "absent.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(RerankerError, match="not valid JSON"):
        load_reranker(tmp_path / "bad.json")
    (tmp_path / "ok.json").write_text(json.dumps(_valid()))
    assert load_reranker(tmp_path / "ok.json").features == ("base", "title_overlap")


def test_packaged_weights_load() -> None:
    model = load_reranker(WEIGHTS)
    assert "mediqa2019" in WEIGHTS.name and model.depth >= 1 and set(model.features) <= set(FEATURES)
    meta = json.loads(WEIGHTS.read_text())
    assert meta["trained_on"] and meta["date"] in WEIGHTS.name


def test_term_coverage_weights_rare_terms() -> None:
    rows = [("a1", "A", [1.0, 0.0], "fever and rash in a child"), ("b1", "B", [0.0, 1.0], "fever and cough"),
            ("c1", "C", [0.5, 0.5], "cough and cold"), ("c2", "C", [0.5, 0.5], "fever at night")]
    view = LocalIndex(lambda hashes: rows, dim=2).view(["A", "B", "C"])
    cov = view.term_coverage("fever rash unknownword", ["A", "B", "C", "Z"])
    assert set(cov) == {"A", "B", "C"}  # Z is not loaded
    assert cov["A"] == pytest.approx((1.0, 1.0))  # every indexed query term; the unknown one does not count
    assert 0 < cov["B"][0] < 0.5 < cov["A"][0]  # only "fever", the commoner term
    assert cov["B"][1] == pytest.approx(0.5)
    assert cov["C"] == cov["B"]  # found across its two chunks
    assert view.term_coverage("nothing indexed", ["A"]) == {}


def test_document_search_on_milvus_lite_is_reranked(tmp_path: Path) -> None:
    store = MilvusStore(str(tmp_path / "kb.db"), "rerank", EMB.dim, local_search=True)
    try:
        burns = replace(_doc("burns", "h-burns"), title="Burns and scalds")
        asthma = replace(_doc("asthma", "h-asthma"), title="Asthma attack: what to do")
        _write(store, burns, ["an asthma attack can follow smoke from a burn: asthma attack, asthma inhaler", "cool a burn in water"])
        _write(store, asthma, ["sit upright and use the reliever", "call an ambulance if it does not help"])
        weights = tmp_path / "w.json"
        weights.write_text(json.dumps({**_valid(), "features": ["base", "title_overlap"], "mean": [0.0, 0.0], "scale": [1.0, 1.0],
                                       "weights": [1.0, 10.0]}))
        s = Settings(data_dir=tmp_path, relevance_floor=0.0, doc_rerank=False)
        plain = retrieve_documents("asthma attack inhaler", EMB, store, s, k=5, per_document=2)
        assert [d.doc_id for d in plain.documents] == ["burns", "asthma"]  # the formula: the strong passage wins
        s = s.model_copy(update={"doc_rerank": True, "doc_rerank_weights": str(weights)})
        found = retrieve_documents("asthma attack inhaler", EMB, store, s, k=5, per_document=2)
        assert found.sufficient and [d.doc_id for d in found.documents] == ["asthma", "burns"]  # the title says so
        for d in found.documents:
            assert 1 <= len(d.passages) <= 2 and all(p.doc_id == d.doc_id and p.text for p in d.passages)
        assert found.documents[0].title == "Asthma attack: what to do"
    finally:
        store.close()


def test_reranked_document_search_draws_the_deeper_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import rag.knowledge.documents as documents

    depths: list[int] = []
    real = documents.candidates

    def spy(*args: object, **kwargs: object) -> object:
        depths.append(int(args[5]))  # type: ignore[call-overload]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(documents, "candidates", spy)
    store = MilvusStore(str(tmp_path / "kb.db"), "pool", EMB.dim, local_search=True)
    try:
        _write(store, replace(_doc("asthma", "h-asthma"), title="Asthma"), ["use the reliever inhaler", "sit upright"])
        s = Settings(data_dir=tmp_path, relevance_floor=0.0, document_candidates=40, rerank_candidates=90)
        retrieve_documents("asthma inhaler", EMB, store, s)
        retrieve_documents("哮喘怎么办", EMB, store, s)  # Chinese: not reranked, the shallower pool
        retrieve_documents("asthma inhaler", EMB, store, s.model_copy(update={"doc_rerank": False}))
        assert depths == [90, 40, 40]
    finally:
        store.close()
