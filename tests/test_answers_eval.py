"""`clinrag eval answers` measures on hand-made answers (rag.answer.quality): the language split of round 9."""

from __future__ import annotations

from typing import Any

from rag.answer.quality import Vignette, evaluate_answers, mixed_wording, score_answer
from rag.answer.schema import OTHER_LANGUAGE_NOTES, Advice


def advice(language: str, self_care: list[str], reason: str = "", notes: tuple[str, ...] = ()) -> Advice:
    row: dict[str, Any] = {
        "trace_id": "t", "language": language, "urgency": "soon", "red_flags": [], "evidence_sufficient": True,
        "possible_conditions": [], "self_care": [{"advice": s, "confidence": "medium", "citations": []} for s in self_care],
        "seek_care": {"needed": True, "urgency": "soon", "department": "", "reason": reason, "citations": [1] if reason else []},
        "suggested_tests": [], "citations": [], "disclaimer": "", "notes": list(notes),
        "generator": {"backend": "fake", "model": "m", "prompt_version": "v"},
    }
    return Advice.model_validate(row)


V = Vignette(symptoms="打篮球崴了脚", docs=("sprains-strains",))
ENGLISH = ["Never put ice directly on skin.", "After a few days, gradually return to movement."]


def test_an_english_item_in_a_chinese_answer_is_mixed_unless_the_answer_says_so() -> None:
    silent = score_answer(V, advice("zh", ENGLISH))
    assert len(silent.mixed_language_items) == 2 and not silent.other_language_items_noted
    for which in ("all", "some"):
        said = score_answer(V, advice("zh", ENGLISH, notes=(OTHER_LANGUAGE_NOTES[which]["zh"],)))
        assert not said.mixed_language_items and len(said.other_language_items_noted) == 2
    # another note (or the English note on a Chinese answer's wrong side) does not say so
    assert len(score_answer(V, advice("zh", ENGLISH, notes=("verification: 1 item dropped",))).mixed_language_items) == 2


def test_the_other_languages_words_outside_quotations_are_mixed_wording() -> None:
    framed = ("几天内就医：《Urinary tract infection》：“you have symptoms for the first time;”。依据：您提到first time"
              "（the guideline says to see a clinician and gives no time frame）。")
    quoted = "几天内就医：《Urinary tract infection》：“you have symptoms for the first time;”。依据：您提到首次出现。"
    assert mixed_wording(framed, "zh") and not mixed_wording(quoted, "zh")
    assert not mixed_wording("可用ORS口服补液盐，或布洛芬 ibuprofen。", "zh")  # a name or two is no English sentence
    s = score_answer(V, advice("zh", ["多休息。"], reason=framed, notes=(OTHER_LANGUAGE_NOTES["all"]["zh"],)))
    assert len(s.mixed_wording_items) == 1 and not s.mixed_language_items  # a note covers quotations, not framing
    assert not score_answer(V, advice("zh", ["多休息。"], reason=quoted)).mixed_wording_items
    assert mixed_wording("Rest; 多休息 helps.", "en") and not mixed_wording("The guideline 《咳嗽》 says “多休息”.", "en")


def test_the_aggregate_counts_the_violations_and_the_said_items_apart() -> None:
    framed = "几天内就医：依据：您提到fever（the guideline says to see a clinician and gives no time frame）。"
    answers = iter([advice("zh", ENGLISH, notes=(OTHER_LANGUAGE_NOTES["all"]["zh"],)), advice("zh", ENGLISH[:1], reason=framed)])
    report = evaluate_answers([V, V], lambda req: next(answers))
    assert report["other_language_items_noted"] == 2
    assert report["mixed_language_breakdown"] == {"other_language_not_noted": 1, "mixed_wording": 1}
    assert report["mixed_language_items"] == 2


def cited(doc_id: str, text: str) -> Advice:
    """A Chinese answer whose one self-care line cites one passage of `doc_id`."""
    a = advice("zh", [text]).model_dump()
    a["self_care"][0]["citations"] = [1]
    a["citations"] = [{"n": 1, "chunk_id": "c1", "doc_id": doc_id, "title": "t", "publisher": "p", "version": "1",
                       "source": "s", "section": "4", "pages": "1", "quote": text, "retrieval_score": 0.7}]
    return Advice.model_validate(a)


def test_a_guidelines_chinese_version_is_the_same_guideline_unless_scored_as_written() -> None:
    zh = cited("sprains-strains-zh", "崴脚后48小时内冰敷。")
    s = score_answer(V, zh)  # V is labelled sprains-strains, written before a Chinese version existed
    assert s.cited_right_doc is True and not s.unrelated_items
    strict = score_answer(V, zh, translations=False)
    assert strict.cited_right_doc is False and len(strict.unrelated_items) == 1
    # and the other way round; an unrelated guideline stays unrelated in either language
    assert score_answer(Vignette(symptoms="烫伤", docs=("burns-zh",)), cited("burns", "Cool the burn.")).cited_right_doc
    other = score_answer(V, cited("burns-zh", "烫伤后用凉水冲洗。"))
    assert other.cited_right_doc is False and len(other.unrelated_items) == 1
