"""The similar-cases floor (rag/safety/similar_cases.py): features, the shipped weights, and what it may change."""

from __future__ import annotations

import json

from rag.evaluation import section_passage
from rag.safety.similar_cases import (
    WEIGHTS,
    FloorModel,
    concept_features,
    features,
    load_model,
    model_features,
    raise_by_similar_cases,
    same_day_score,
)
from rag.safety.urgency import UrgencyDecision, extract_facts


def test_features_cover_english_words_chinese_ngrams_age_and_pregnancy() -> None:
    en = features("Pee burns, temp 38.6", 31, None)
    assert {"w:pee", "w:burns", "b:pee_burns", "w:temp", "age:16", "lang:en"} <= en
    zh = features("发烧三天", 0.5, True)
    assert {"c:发", "c2:发烧", "c3:发烧三", "age:0", "preg", "lang:zh"} <= zh
    assert "age:na" in features("cough", None, None)


def test_concept_features_are_the_ladders_understanding_and_its_decision() -> None:
    text = "fever of 39.4 for three days, no rash, getting better now"
    facts = extract_facts(text, age=4, sex="male")
    got = concept_features(facts, "soon", "no_criterion")
    assert {"k:cfever", "k:not_crash", "temp:39", "days:3-7", "flag:improving", "age:1", "sex:male"} <= got
    assert {"level:soon", "basis:no_criterion", "lb:soon_no_criterion"} <= got
    assert not any(f.startswith(("w:", "b:")) for f in got)  # no raw words
    bp = concept_features(extract_facts("blood pressure 185/95 this morning, headache", age=60), "urgent", "criterion")
    assert "bp:crisis" in bp and "flag:settled" not in bp


def test_model_features_follow_the_feature_set_the_model_names() -> None:
    text = "发烧三天，39度"
    facts = extract_facts(text, age=30)
    words = model_features("words", text, 30, None, facts, "soon", "criterion")
    assert words == features(text, 30, None)
    concepts = model_features("concepts", text, 30, None, facts, "soon", "criterion")
    assert "lang:zh" in concepts and "temp:39" in concepts and "c2:发烧" not in concepts
    assert model_features("words+concepts", text, 30, None, facts, "soon", "criterion") == words | concepts
    try:
        model_features("embeddings", text, 30, None, facts, "soon", "criterion")
    except ValueError as e:
        assert "embeddings" in str(e)
    else:
        raise AssertionError("an unknown feature set must be refused")


def test_a_concept_model_scores_on_what_the_ladder_understood() -> None:
    m = FloorModel("t", {"temp:40": 4.0, "flag:settled": -4.0}, intercept=0.0, threshold=0.5, features="concepts")
    hot, _, _ = same_day_score("temperature 40.2 since this morning", 30, None, level="soon", basis="no_criterion",
                               model=m)
    calm, _, _ = same_day_score("had a temperature, settled now, feeling fine", 30, None, level="soon",
                                basis="no_criterion", model=m)
    assert hot > 0.5 > calm


def test_shipped_weights_name_their_training_sets_and_never_a_frozen_one() -> None:
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    assert data["trained_on"] and not any("frozen" in name for name in data["trained_on"])
    assert 0.0 < data["threshold"] < 1.0 and len(data["weights"]) > 1000
    model = load_model()
    assert model.version == data["version"] and model.threshold == data["threshold"]
    assert model.features == data.get("features", "words") == "words"  # round 14: the concept sets were not shipped


def test_score_is_a_logistic_of_the_length_normalised_weights() -> None:
    m = FloorModel("t", {"w:purple": 3.0, "w:itchy": -3.0}, intercept=0.0, threshold=0.6)
    assert m.score({"w:purple", "w:dots", "w:fever", "w:child"}) > 0.8  # 3 / sqrt(4) = 1.5 -> 0.82
    assert m.score({"w:itchy", "w:bites"}) < 0.2
    assert m.score(set()) == 0.0
    assert m.top_words({"w:purple", "w:itchy", "w:and"}) == ["purple"]


def _decision(level: str, basis: str = "no_criterion") -> UrgencyDecision:
    return UrgencyDecision(level, f"{level}: because", basis)


URGENT_TEXT = ("pee burns and I'm needing to go every 10 mins, and since last night there's a pain in my right side "
               "under my ribs. shivery, temp 38.6")
PASSAGE = section_passage("uti#1", "urinary-tract-infection", "When to see a clinician",
                          "See a GP the same day if you have pain in your side under the ribs with a high temperature or "
                          "shivering.", "en", title="Urinary tract infection")


def test_raises_a_within_days_answer_to_same_day_and_says_why() -> None:
    facts = extract_facts(URGENT_TEXT, age=31, sex="female")
    raised = raise_by_similar_cases(_decision("soon"), URGENT_TEXT, facts, [PASSAGE], "en")
    assert raised.level == "urgent" and raised.basis == "similar_cases"
    assert "similar-cases model" in raised.reason and "the ladder said “Within a few days”" in raised.reason
    assert "nearest same-day criterion" in raised.reason and raised.passage is PASSAGE


def test_never_lowers_never_calls_an_ambulance_and_leaves_out_of_scope_alone() -> None:
    facts = extract_facts(URGENT_TEXT, age=31, sex="female")
    for d in (_decision("emergency", "red_flag"), _decision("urgent", "criterion"), _decision("routine", "out_of_scope")):
        assert raise_by_similar_cases(d, URGENT_TEXT, facts, [PASSAGE], "en") is d


def test_a_quiet_self_care_presentation_stays_where_the_ladder_put_it() -> None:
    text = "a few mosquito bites on my legs from the garden, itchy, otherwise fine"
    d = _decision("self_care", "self_care")
    assert raise_by_similar_cases(d, text, extract_facts(text, age=30), [PASSAGE], "en") is d


def test_through_consult_the_floor_raises_and_the_setting_turns_it_off(starter_kb, monkeypatch) -> None:
    from rag.answer.schema import ConsultRequest
    from rag.consult import consult

    request = ConsultRequest(symptoms="type 2 diabetic, got a stomach bug and can't eat anything", age=52, sex="female")
    # the ladder alone misses this sick-day rule (diabetes and not eating): within a few days
    on = consult(request, starter_kb).advice
    assert on.urgency == "urgent" and "similar-cases model" in on.seek_care.reason
    monkeypatch.setattr(starter_kb.settings, "similar_cases", False)
    off = consult(request, starter_kb).advice
    assert off.urgency == "soon" and "similar-cases model" not in off.seek_care.reason


def test_a_booking_the_patient_asks_for_stays_a_routine_appointment() -> None:
    text = "我妈70岁糖尿病，一年多没查眼底和脚了，想预约一下"
    facts = extract_facts(text, age=70)
    assert facts.asks_review
    d = _decision("routine", "no_criterion")
    assert raise_by_similar_cases(d, text, facts, [PASSAGE], "zh") is d
    # the floor still reads a within-days answer with the same words
    assert raise_by_similar_cases(_decision("soon"), URGENT_TEXT, extract_facts(URGENT_TEXT, age=31, sex="female"),
                                  [PASSAGE], "en").level == "urgent"


def test_a_feverish_child_the_carer_says_is_well_keeps_the_ladders_self_care() -> None:
    # NICE NG143's "green" child: 3 months to 15 years (under 39 °C below 6 months), fever under 5 days, well in themselves,
    # nothing else told. The floor raised such children to same day (nine development vignettes labelled self-care)
    for text, age in (("our 3 year old had 39.1 overnight, had some calpol and now she's running around the garden, "
                       "drinking squash, wet nappy at breakfast", 3),
                      ("孩子两岁，昨晚烧到39度，吃了退烧药现在跑来跑去，喝水尿尿都正常", 2),
                      ("my 4 month old is 38.3 tonight after her jabs, still feeding and smiling", 0.33)):
        facts = extract_facts(text, age=age)
        score, _, model = same_day_score(text, age, None, facts, "self_care", "self_care")
        assert score >= model.threshold, text  # the model alone would raise it
        d = _decision("self_care", "self_care")
        assert raise_by_similar_cases(d, text, facts, [PASSAGE], "zh" if age == 2 else "en") is d, text


def test_an_amber_sign_beside_a_well_looking_feverish_child_keeps_the_floor() -> None:
    # what NICE calls amber, or anything the carer says that is not "well", leaves the floor to raise as before
    for text, age in (("our 3 year old had 39.1 overnight, had some calpol and now she's running around the garden but "
                       "drinking much less than usual", 3),
                      ("our 3 year old had 39.1 overnight, had some calpol and now she's running around the garden but "
                       "she's not herself", 3),
                      ("my 4 month old is 39.2 tonight after her jabs, still feeding and smiling", 0.33),  # 3-6 months, >= 39
                      ("It's day 6 of his fever, 38.5 this morning, still playing and drinking", 4),  # five days or more
                      ("our 3 year old had 39.1 overnight, had some calpol and now she's running around but keeps pulling "
                       "at her ear", 3)):
        facts = extract_facts(text, age=age)
        raised = raise_by_similar_cases(_decision("self_care", "self_care"), text, facts, [PASSAGE], "en")
        assert raised.level == "urgent" and raised.basis == "similar_cases", text
