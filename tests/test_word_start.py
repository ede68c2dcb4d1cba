"""Urgency round 39: an English red-flag pattern matches from the start of a word, never from inside one. Before the
round "ripping" was found in "dripping" (a post-nasal drip read as aortic dissection), "regular" in "irregular" (Braxton
Hicks tightenings read as preterm labour), "son" in "reason" and "kid" in "kidney". The probes are written here, not
taken from any test set; each false alarm below fired on the commit before the round."""

from __future__ import annotations

import re

import pytest

from rag.safety.triage import _compile, triage


def _rules(text: str) -> set[str]:
    return {f.rule_id for f in triage(text).red_flags}


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("dry cough for 2 months, nose dripping down the back of my throat", "aortic_dissection"),
        ("cough 6 weeks, mucus dripping back into throat at night", "aortic_dissection"),
        ("32 weeks pregnant, irregular tightenings on and off, no pain, baby moving", "preterm_labour"),
    ],
)
def test_a_word_inside_another_word_is_no_red_flag(text: str, rule: str) -> None:
    assert rule not in _rules(text)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("sudden ripping pain going through to my back", "aortic_dissection"),
        ("my grandson swallowed 10 of my sleeping tablets", "poisoning_overdose"),
        ("my 2 year old grandson is floppy and won't wake, he has a fever", "unrousable_child"),
    ],
)
def test_whole_words_and_compounds_still_fire(text: str, rule: str) -> None:
    assert rule in _rules(text)


def test_the_guard_is_english_only_and_keeps_global_flags() -> None:
    en = _compile("(?s)red.*hot", {}, "test", "en")
    assert en.search("red and\nhot") and not en.search("tired and\nhot")
    assert _compile("ache", {}, "test", "en").search("tummyache")
    assert not _compile("ache", {}, "test", "en").search("headache")
    zh = _compile("发烧", {}, "test", "zh")
    assert zh.pattern == "发烧" and zh.flags & re.IGNORECASE
