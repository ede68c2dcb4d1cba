"""Typo- and register-tolerant text for the red-flag layers (rag/safety/spelling.py), and what it lets triage see."""

from __future__ import annotations

import pytest

from rag.safety.spelling import correct_word, known_word, normalise
from rag.safety.triage import triage


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("brethless", "breathless"),
        ("dizzey", "dizzy"),
        ("unresponsve", "unresponsive"),
        ("colapsed", "collapsed"),
        ("seizur", "seizure"),
        ("vomitting", "vomiting"),
        ("temprature", "temperature"),
        ("suddden", "sudden"),
        ("slpit", "split"),  # the same letters swapped, not "spit"
        ("chestpain", "chest pain"),
        ("cantbreathe", "can't breathe"),
        ("bloood", "blood"),
    ],
)
def test_misspellings_and_glued_words_are_corrected(typed: str, meant: str) -> None:
    assert correct_word(typed) == meant


@pytest.mark.parametrize(
    "word",
    # real words, some of them one letter from a red-flag term: never "corrected"
    ["burping", "shaving", "hoovering", "telly", "fussy", "crisps", "stinking", "electrician", "bloke", "varnish",
     "bleeding", "fitting", "passed", "paused", "blues", "bath"],
)
def test_a_real_word_is_left_alone(word: str) -> None:
    assert known_word(word)
    assert correct_word(word) is None
    assert normalise(f"he was {word} this morning") == f"he was {word} this morning"


def test_text_speak_is_written_out() -> None:
    assert normalise("cant breathe bc my chest is tight u know") == "can't breathe because my chest is tight you know"
    assert normalise("she wont wake up n shes floppy") == "she won't wake up and she's floppy"


def test_names_short_words_and_numbers_are_left_alone() -> None:
    # a capitalised word inside a sentence is a name; words under five letters are not corrected; digits stay
    assert normalise("my daughter Bellla has a cold") == "my daughter Bellla has a cold"
    assert normalise("his hr is 120 and bp 90/60") == "his hr is 120 and bp 90/60"
    assert normalise("temp 38.9 since 2am") == "temp 38.9 since 2am"


def test_long_run_ons_are_cut_before_connectives_short_messages_are_not() -> None:
    run_on = "she was fitting for 10 minutes and now she won't wake up and her lips are blue and she is breathing funny"
    assert normalise(run_on) == (
        "she was fitting for 10 minutes, and now she won't wake up, and her lips are blue, and she is breathing funny"
    )
    assert normalise("cough and now a sore throat") == "cough and now a sore throat"


def test_chinese_text_passes_through() -> None:
    text = "宝宝发烧39度，叫不醒"
    assert normalise(text) == text


def test_triage_reads_typos_and_text_speak() -> None:
    for typed in ("my dad colapsed and is unresponsve", "hes haveing a seizur thats lasted 10 mins"):
        assert triage(typed).urgency == "emergency", typed
    # a typo of a word that is not a red flag stays not an emergency
    assert triage("i have a sore throte and a runny nose since yesterday").urgency is None
    # a negated red flag, typed in text-speak, is still a denial
    assert triage("no chestpain, dont have any bleeding, just a cold").urgency is None
