"""Query understanding and document-level ranking, on their own (fakes for the store; real term tables)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from rag.knowledge.base import DocVersion, Hit, Scope
from rag.knowledge.documents import aggregate, retrieve_documents
from rag.knowledge.query import Speller, clean, split_parts, term_names, understand
from rag.knowledge.search import candidates, retrieve
from rag.settings import Settings
from rag.types import GuidelineDoc
from tests.fakes import EMB, FakeSearcher, FakeStore


def test_clean_strips_boilerplate_but_keeps_the_question() -> None:
    q = "Gluten information. Re:NDC# 0115-0672-50 Zolmitriptan tablets 5mg. I have celiac disease, Thank you!"
    out = clean(q)
    assert "0115" not in out and "Thank" not in out and "Re:" not in out
    assert "Zolmitriptan" in out and "celiac disease" in out
    out = clean("ClinicalTrials.gov - Question - general information. Hello, please help. My wife is allergic to milk. Regards, NAME")
    assert out == "My wife is allergic to milk"
    assert clean("Hello?") == "Hello?"  # nothing left to search with: the text stays as written


def test_split_parts_puts_questions_first() -> None:
    assert split_parts("I have a rash. Is it measles? Can I go to work?") == ["Is it measles?", "Can I go to work?", "I have a rash."]


def test_speller_corrects_one_edit_to_known_words_only() -> None:
    sp = Speller([("tablets", 40), ("tables", 2), ("chronic", 30)], term_names())
    assert sp.correct("tabkets") == "tablets"  # 'tables' is two edits away
    assert sp.correct("ibuprofin") == "ibuprofen"  # from the drug table
    assert sp.correct("Cronic") == "chronic"
    assert sp.correct("tablets") is None and sp.correct("zzzzzz") is None and sp.correct("flu") is None


def test_understand_expands_lay_terms_brands_and_chinese() -> None:
    sp = Speller([("tablets", 40)], term_names())
    q = understand("Hello, can I take ibuprofin with tylenol? I have a tummy ache. Thanks!", sp.correct)
    assert q.corrections == (("ibuprofin", "ibuprofen"),)
    assert "ibuprofen" in q.text and "Hello" not in q.text and "Thanks" not in q.text
    assert "paracetamol" in q.bm25 and "abdominal pain" in q.bm25
    zh = understand("我发烧三天了，去过非洲，会不会是疟疾？")
    assert zh.language == "zh" and "malaria" in zh.expansions and "发热" in zh.expansions
    assert "malaria" in zh.text  # embedded with its English terms: MiniLM reads English


def test_understand_embeds_lay_terms_and_keeps_lay_words_from_the_speller() -> None:
    # "threw" and "weeing" are one edit from "three" and "peeing": inside a lay phrase they are left as written
    sp = Speller([("three", 50), ("peeing", 5), ("tablets", 40)], term_names())
    assert sp.correct("threw") == "three"
    q = understand("She threw up twice and has been weeing constantly", sp.correct)
    assert q.corrections == ()
    assert "vomiting" in q.expansions and "pee often" in q.expansions
    # English lay terms are embedded with the question (dense similarity carries 0.95 of the fused score)
    assert q.text.startswith("She threw up twice") and "(vomiting" in q.text
    assert understand("How long should I take metformin for?").text == "How long should I take metformin for?"
    # body-function words are not embedded ("peeing normally" is no urinary complaint), nor terms that add no word
    back = understand("Put my back out lifting a box, peeing normally")
    assert "urination" in back.bm25 and "urination" not in back.text and "(low back pain" in back.text
    assert "tightness" not in understand("panic attack on the bus, pounding heart and tight chest").text
    off = understand("She threw up twice", sp.correct, embed_lay=False)  # Settings.embed_lay_terms = False
    assert off.text == "She threw up twice" and "vomiting" in off.bm25


def _hit(chunk: str, doc: str, dense: float) -> tuple[Hit, float]:
    return Hit(chunk, doc, dense, 0.0), dense


def test_aggregate_best_passage_document_vector_and_second_share() -> None:
    hits = [_hit("a1", "A", 0.80), _hit("b1", "B", 0.78), _hit("b2", "B", 0.75), _hit("a2", "A", 0.30)]
    assert [d for d, _, _ in aggregate(hits, 0.0)] == ["A", "B"]
    assert [d for d, _, _ in aggregate(hits, 0.5)] == ["B", "A"]  # B's second passage counts
    # a document whose whole text is about the question beats one strong sentence of another
    assert [d for d, _, _ in aggregate(hits, 0.0, {"A": 0.2, "B": 0.7}, 0.7)] == ["B", "A"]
    ranked = aggregate(hits, 0.0)
    assert [h.chunk_id for h, _ in ranked[0][2]] == ["a1", "a2"]  # supporting passages, best first


def test_document_vector_weight_falls_with_document_length() -> None:
    """Full weight up to `full_weight_chunks` chunks, then weight x (full_weight_chunks / chunks): a long
    document's blurred mean vector cannot carry it past the one with the better passage."""
    hits = [_hit("a1", "A", 0.80), _hit("b1", "B", 0.70)]
    doc_scores = {"A": 0.70, "B": 0.85}
    short = {"A": 1, "B": 2}
    ranked = aggregate(hits, 0.0, doc_scores, 0.7, short, 2)
    assert [d for d, _, _ in ranked] == ["B", "A"]  # both short: the document vector at full weight decides
    assert ranked[0][1] == pytest.approx(0.3 * 0.70 + 0.7 * 0.85, abs=1e-6)
    ranked = aggregate(hits, 0.0, doc_scores, 0.7, {"A": 1, "B": 14}, 2)
    assert [d for d, _, _ in ranked] == ["A", "B"]  # B is long: its document vector weighs 0.7 x 2/14 = 0.1
    assert dict((d, s) for d, s, _ in ranked)["B"] == pytest.approx(0.9 * 0.70 + 0.1 * 0.85, abs=1e-6)
    # not scaled (0), or a chunk count unknown: the plain weight
    assert [d for d, _, _ in aggregate(hits, 0.0, doc_scores, 0.7, {"A": 1, "B": 14}, 0)] == ["B", "A"]
    assert [d for d, _, _ in aggregate(hits, 0.0, doc_scores, 0.7, {}, 2)] == ["B", "A"]


def _info(doc: GuidelineDoc, n: int) -> DocVersion:
    return DocVersion(doc_id=doc.doc_id, content_hash=doc.content_hash, version="1", title=doc.title, publisher="t", language="en",
                      source=doc.source, license="", date="", topic="", groups=(), status="active", chunk_count=n, pages=1,
                      ingested_at="t", metadata_origin="test")


@pytest.fixture
def store() -> FakeStore:
    fake = FakeSearcher()
    docs = {"burns": ["cool the burn under running water", "cover the burn with cling film", "burn blisters: do not pop"],
            "fever": ["fever above 38 degrees: drink fluids", "a burn can cause fever when infected"]}
    active = []
    for name, texts in docs.items():
        doc = GuidelineDoc(doc_id=name, title=f"{name} guide", publisher="t", version="1", language="en", source=f"{name}.md",
                           content_hash=f"h-{name}")
        fake.add(doc, texts)
        active.append(_info(doc, len(texts)))
    return FakeStore(fake, active)


def test_retrieve_documents_returns_documents_with_supporting_passages(store: FakeStore) -> None:
    s = Settings(data_dir=Path("/nonexistent"), relevance_floor=0.0)
    found = retrieve_documents("burn blisters cling film", EMB, store, s, k=5, per_document=2)
    assert found.sufficient and [d.doc_id for d in found.documents][0] == "burns"
    top = found.documents[0]
    assert 1 <= len(top.passages) <= 2 and all(p.doc_id == "burns" and p.content_hash == "h-burns" for p in top.passages)
    assert [p.score for p in top.passages] == sorted((p.score for p in top.passages), reverse=True)
    # the passage mode over the same store agrees on the best passage's document
    assert retrieve("burn blisters cling film", EMB, store, s, top_k=3).passages[0].doc_id == "burns"


def test_retrieve_documents_abstains_below_the_floor(store: FakeStore) -> None:
    s = Settings(data_dir=Path("/nonexistent"), relevance_floor=0.99)
    found = retrieve_documents("burn blisters", EMB, store, s)
    assert not found.sufficient and found.documents == []


def test_chinese_bm25_text_keeps_topic_words_only() -> None:
    """Function, question and where-to-go words ("的", "要不要", "医院") and the synonyms they bring ("诊所") are not
    matched: in a mixed-language knowledge base they are in every Chinese passage and in no English one."""
    q = understand("有哮喘的人运动后喘得厉害，要不要去医院")
    words = q.bm25.split()
    assert "哮喘" in words and "asthma" in words and "exercise" in words
    assert not {"的", "要不要", "医院", "厉害", "诊所", "门诊"} & set(words)
    assert "医院" in q.original and "asthma" in q.text  # the question itself is unchanged; its English terms are embedded
    # a question made only of such words keeps what it had (never an empty BM25 query)
    assert understand("怎么办？").bm25.strip()
    # passage retrieval for a consultation keeps the whole question (the answer and urgency layers read its passages)
    whole = understand("有哮喘的人运动后喘得厉害，要不要去医院", topic_only=False)
    assert "医院" in whole.bm25 and "诊所" in whole.expansions


def test_general_vocabulary_reaches_english_terms() -> None:
    """Body parts, lay phrasings, tests and lifestyle words of rag/terms/zh_en.tsv (round 4) give English terms."""
    for zh, en in [("肚脐周围疼", "belly button"), ("扁桃体肿了", "tonsils"), ("被蜱虫咬了", "tick"), ("孕晚期", "late pregnancy"),
                   ("抽烟二十年", "smoking"), ("拍片子", "x-ray"), ("私处长疙瘩", "genital area"), ("核酸阳性", "covid test")]:
        assert en in understand(zh).expansions, zh


class _PresetSearcher(FakeSearcher):
    """Returns preset hits for the question's own search, nothing for the English-term search."""

    def __init__(self, hits: list[Hit]) -> None:
        super().__init__()
        self.hits = hits

    def search(self, vector: Sequence[float], text: str, k: int, scope: Scope) -> list[Hit]:
        return list(self.hits) if text.strip() else []


def _version(name: str, language: str) -> DocVersion:
    return DocVersion(doc_id=name, content_hash=name, version="1", title=name, publisher="t", language=language, source=f"{name}.md",
                      license="", date="", topic="", groups=(), status="active", chunk_count=1, pages=1, ingested_at="t",
                      metadata_origin="test")


def test_chinese_passages_fuse_with_the_questions_mean_dense_score() -> None:
    """MiniLM gives a Chinese question ~0.6 with any Chinese text: in document ranking, Chinese passages fuse with the
    question's mean over them, so BM25 orders them; English passages keep their own dense score; the hits keep
    theirs (audit, floor); passage retrieval is unchanged."""
    hits = [Hit("zh-noise", "zh-a", 0.90, 0.0), Hit("zh-match", "zh-b", 0.40, 8.0), Hit("en", "en-c", 0.62, 4.0)]
    store = FakeStore(_PresetSearcher(hits), [_version("zh-a", "zh"), _version("zh-b", "zh"), _version("en-c", "en")])
    s = Settings(data_dir=Path("/nonexistent"), relevance_floor=0.0)
    found = candidates("蜜蜂蜇了怎么办", EMB, store, s, None, 10, documents=True)
    scores = {h.chunk_id: score for h, score in found.hits}
    w = s.dense_weight_zh
    assert scores["zh-noise"] == pytest.approx(w * 0.65, abs=1e-6)  # the mean of 0.90 and 0.40, no BM25
    assert scores["zh-match"] == pytest.approx(w * 0.65 + (1 - w) * 1.0, abs=1e-6)
    assert scores["en"] == pytest.approx(w * 0.62 + (1 - w) * 0.5, abs=1e-6)
    assert [h.chunk_id for h, _ in found.hits] == ["zh-match", "en", "zh-noise"]
    assert {h.chunk_id: h.dense for h, _ in found.hits} == {"zh-noise": 0.90, "zh-match": 0.40, "en": 0.62}
    assert found.best_dense == 0.90
    # off: the passages' own dense scores, as before (the noisy one first)
    raw = candidates("蜜蜂蜇了怎么办", EMB, store, s.model_copy(update={"zh_dense_level": False}), None, 10, documents=True)
    assert [h.chunk_id for h, _ in raw.hits][0] == "zh-noise"
    # passage retrieval (the consultation path) keeps each passage's own dense score
    assert [h.chunk_id for h, _ in candidates("蜜蜂蜇了怎么办", EMB, store, s, None, 10).hits][0] == "zh-noise"
    # an English question is not touched
    english = candidates("bee sting", EMB, store, s, None, 10, documents=True)
    assert {h.chunk_id: sc for h, sc in english.hits}["zh-noise"] == pytest.approx(s.dense_weight * 0.90, abs=1e-6)
