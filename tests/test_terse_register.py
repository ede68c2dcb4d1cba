"""Urgency round 38: red flags in terse messages and second-language wording (English without verbs or endings, Cantonese
typed as spoken). The probes are written here, not taken from any test set; the recognitions failed on the commit before
the round, the look-alikes guard against false alarms."""

from __future__ import annotations

import pytest

from rag.safety.spelling import normalise
from rag.safety.triage import triage


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("阿妈 跌倒 叫唔醒", "阿妈，跌倒，叫不醒"),
        ("食咗花生 嘴肿 透唔到气", "吃了花生，嘴肿，喘不上气"),
        ("突然 半边身 冇力 讲嘢唔清", "突然，半边身体，没力，说话不清"),
        ("唔该 我个仔 周身好痕", "麻烦，我个仔，周身好痒"),
    ],
)
def test_cantonese_is_read_in_mandarin_words(typed: str, read: str) -> None:
    assert normalise(typed) == read


def test_mandarin_without_a_cantonese_character_is_left_alone() -> None:
    # 饮食, 疤痕 and 食物 are Mandarin words: nothing marks these messages as Cantonese, and 痕 in a scar stays a scar
    for text in ("饮食正常，身上有疤痕", "食物过敏，嘴唇有点肿"):
        assert normalise(text) == text
    assert "疤痕" in normalise("佢身上有疤痕")


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("face one side drop, talk funny, since 20 min", "stroke_befast"),
        ("arm leg right side no power suddenly", "stroke_befast"),
        ("baby 2 year fit shaking 10 min not stop", "prolonged_seizure"),
        ("take 30 paracetamol", "poisoning_overdose"),
        ("my brother eat 20 sleeping pill tonight", "poisoning_overdose"),
        ("突然 半边身 冇力 讲嘢唔清", "stroke_befast"),
        ("食咗花生 嘴肿 透唔到气", "anaphylaxis"),
        ("阿妈 跌倒 叫唔醒", "collapse_unresponsive"),
        ("心口好翳 像压块石头 出冷汗 一个多钟头了", "chest_pain_cardiac"),
        ("胸口像压块石头，出冷汗", "chest_pain_cardiac"),
    ],
)
def test_terse_emergencies_are_recognised(text: str, rule: str) -> None:
    assert rule in {f.rule_id for f in triage(text).red_flags}


@pytest.mark.parametrize(
    "text",
    [
        "can I take 2 paracetamol with ibuprofen",
        "can i take 1000 mg paracetamol every 6 hours",
        "i take 10 tablets a day for my heart and sugar",
        "how many paracetamol can i take in a day, is 8 ok",
    ],
)
def test_dosing_questions_and_regimens_are_no_overdose(text: str) -> None:
    assert "poisoning_overdose" not in {f.rule_id for f in triage(text).red_flags}
