"""Layered triage: clause contexts, widened rules, the meaning layer (real MiniLM), the guidelines' own red
flags, and the FROZEN test set (tests/data/triage_frozen.jsonl: never tuned on, never edited to pass)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rag.answer.schema import RedFlag
from rag.evaluation import evaluate_triage, section_passage, starter_passages
from rag.safety.clauses import split_clauses
from rag.safety.guideline_flags import criteria, guideline_red_flags
from rag.safety.meaning import load_bank, zh_terms
from rag.safety.triage import triage

DATA = Path(__file__).parent / "data"
GUIDELINES = Path(__file__).resolve().parents[1] / "guidelines"


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def minilm():
    from rag.knowledge.embedders.base import from_spec

    return from_spec("sentence-transformers:bundled-minilm")


# --- clauses -------------------------------------------------------------------------------------


def _contexts(text: str) -> list[str]:
    return [c.context for c in split_clauses(text)]


@pytest.mark.parametrize("text, expected", [
    ("no chest pain, just a cough", ["negated", "affirmed"]),
    ("he isn't responding", ["affirmed"]),
    ("she hasn't properly come round", ["affirmed"]),
    ("I don't want to live anymore", ["affirmed"]),
    ("not vomiting blood, only nausea", ["negated", "affirmed"]),
    ("I had a stroke in 2019", ["history"]),
    ("had a seizure as a teenager", ["history"]),
    ("my uncle had a seizure last year, now she has a cold", ["history", "affirmed"]),
    ("had a fit an hour ago", ["affirmed"]),
    ("what should I do if someone collapses?", ["hypothetical"]),
    ("I'm writing an essay about suicide", ["topic"]),
    ("studying for exams and I want to kill myself", ["affirmed"]),
    ("没有胸痛，就是咳嗽", ["negated", "affirmed"]),
    ("他昏迷了，没有反应", ["affirmed", "affirmed"]),
    ("没有呼吸困难", ["negated"]),
    ("我三年前脑梗过", ["history"]),
    ("如果有人晕倒了怎么办", ["hypothetical"]),
    ("感觉喘不过气", ["affirmed"]),  # 不过 inside 喘不过气 is not "but"
])
def test_clause_contexts(text, expected):
    assert _contexts(text) == expected


@pytest.mark.parametrize("text, expected", [
    # a denial that opens a list governs its items (round 11 of docs/answers.md: "没有胸痛、头晕或者喘不上气" was read as
    # reporting dizziness and breathlessness)
    ("No chest pain, dizziness or shortness of breath.", ["negated", "negated"]),
    ("no rash, neck stiffness or vomiting", ["negated", "negated"]),
    ("没有胸痛、头晕或者喘不上气。", ["negated", "negated"]),
    ("没有发烧、咳嗽，但是嗓子疼", ["negated", "negated", "affirmed"]),
    # not a list tail: a clause of its own, after "but", after a comma in Chinese, or without "or" in English
    ("No fever, but vomiting or diarrhoea", ["negated", "affirmed"]),
    ("No fever, I feel sick or dizzy", ["negated", "affirmed"]),
    ("没发烧，头晕或者喘不上气", ["negated", "affirmed"]),
    ("no fever, cough for 3 days", ["negated", "affirmed"]),
])
def test_a_denial_that_opens_a_list_governs_its_items(text, expected):
    assert _contexts(text) == expected


def test_a_denied_list_is_left_out_of_the_affirmed_text():
    from rag.safety.clauses import affirmed_text, denied_text

    text = "晚上心跳得咚咚响。没有胸痛、头晕或者喘不上气。"
    assert "头晕" not in affirmed_text(text) and "头晕" in denied_text(text)


def test_a_fever_denied_at_the_end_of_a_parents_list_is_no_topic():
    # "能吃能玩不发烧": how the child is, ending in a denied fever; the fever guideline is not what the complaint is about
    from rag.safety.clauses import affirmed_text

    assert "发烧" not in affirmed_text("5岁儿子肚子疼，能吃能玩不发烧。能用开塞露吗")
    assert "发烧" not in affirmed_text("宝宝肚脐周围红了，吃奶还行没发烧")
    assert "发烧" in affirmed_text("孩子咳嗽，晚上发烧，白天不发烧")
    assert "吃不下" in affirmed_text("这两天吃不下，睡不着")  # a denial that is the symptom itself stays


def test_clause_offsets_index_the_input():
    text = "Chest pain, but no sweating. 今天头晕"
    for c in split_clauses(text):
        assert text[c.start:c.end] == c.text


# --- rules: tense, amounts and look-alikes -------------------------------------------------------


@pytest.mark.parametrize("text, rule", [
    ("having a fit for 8 minutes now", "prolonged_seizure"),
    ("he had a fit for 8 minutes", "prolonged_seizure"),
    ("took 30 tablets", "poisoning_overdose"),
    ("I've had 30 sleeping tablets tonight", "poisoning_overdose"),
    ("swallowed 20 of my sleeping pills", "poisoning_overdose"),
    ("my wife fainted and she is not waking up", "collapse_unresponsive"),
    ("sharp tearing chest pain radiating through to my back", "aortic_dissection"),
    ("I am coughing up a lot of blood", "haemoptysis"),
    ("my meter reads HI and I feel very drowsy", "severe_hyperglycaemia"),
    ("my child has a fever and is really floppy and hard to wake", "unrousable_child"),
    ("I've written a note for my family and got the pills ready", "suicide_self_harm"),
    ("我妈突然晕倒了，叫不醒", "collapse_unresponsive"),
    ("血糖仪显示HI，很想睡", "severe_hyperglycaemia"),
])
def test_widened_rules(text, rule):
    assert rule in [f.rule_id for f in triage(text).red_flags]


@pytest.mark.parametrize("text", [
    "stuffy nose and can't breathe at night",
    "my poo is black because I take iron supplements",
    "I'm researching suicide rates for a university essay",
    "I had a heart attack in 2015, now stable on medication",
    "how do you know if someone is having a stroke?",
    "I take 2 sleeping tablets a night prescribed by my doctor",
    "吃铁剂后大便是黑色的",
    "我鼻子堵了，感觉喘不过气",
    "孩子吃了退烧药，还在烧",
])
def test_look_alikes_do_not_fire(text):
    assert triage(text).red_flags == []


def test_every_flag_names_its_layer_concept_and_source():
    r = triage("crushing chest pain and sweating")
    assert r.red_flags and all(f.layer == "rule" and f.concept == f.rule_id and "http" in f.source for f in r.red_flags)


def test_old_red_flag_records_stay_valid():
    f = RedFlag(rule_id="stroke_befast", label="x", matched_text="y", source="z", rules_version="2026.11.1")
    assert f.layer == "rule" and f.concept == "" and f.doc_id is None


# --- meaning layer -------------------------------------------------------------------------------


def test_concept_bank_loads_with_sources_and_both_languages():
    bank = load_bank()
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", bank.version)
    for c in bank.concepts:
        assert c.en and c.zh and "http" in c.source and 0.5 <= c.threshold_en < 1 and 0 < c.threshold_zh <= 1
    assert zh_terms("爷爷倒在地上，叫不醒", bank) >= {"倒地", "无反应"}


def test_chinese_meaning_layer_needs_no_model():
    r = triage("爷爷一下子倒在地上，叫他没有反应")  # no rule pattern for this combination of words
    assert r.urgency == "emergency"
    assert any(f.concept == "collapse_unresponsive" for f in r.red_flags)


def test_english_meaning_layer_is_off_for_an_uncalibrated_embedder():
    from rag.knowledge.embedders.hashing import HashEmbedder

    r = triage("it feels as though my ribs are in a vice and I am drenched", embedder=HashEmbedder(dim=64))
    assert all(f.layer != "meaning" for f in r.red_flags)


def test_meaning_layer_catches_unseen_wording_and_respects_negation(minilm):
    for text, concept in [("my dad slumped over in his chair and we get nothing out of him", "collapse_unresponsive"),
                          ("I feel like my life should end", "suicide_self_harm")]:
        assert triage(text).urgency is None  # no rule knows these words
        hit = triage(text, embedder=minilm)
        assert [(f.layer, f.concept) for f in hit.red_flags] == [("meaning", concept)]
        assert hit.red_flags[0].score is not None and hit.red_flags[0].score >= 0.6
    neg = triage("no loss of consciousness at any point", embedder=minilm)
    assert neg.urgency is None, neg.red_flags


# --- the frozen test set -------------------------------------------------------------------------


def test_frozen_set_shape():
    rows = _rows("triage_frozen.jsonl")
    em = [r for r in rows if r["expect"] == "emergency"]
    la = [r for r in rows if r["expect"] == "not_emergency"]
    assert len(em) >= 60 and len(la) >= 40
    assert {r["language"] for r in em} == {"en", "zh"} and {r["language"] for r in la} == {"en", "zh"}
    assert all(set(r) == {"query", "expect", "language", "concept"} for r in rows)


def test_frozen_set_rules_only():
    # measured, never tuned on: 78/79 emergencies, 0/47 look-alikes raised (rules + Chinese term layer)
    rep = evaluate_triage(_rows("triage_frozen.jsonl"))
    print({k: v for k, v in rep.items() if k not in ("failures", "by_concept")})
    assert rep["missed"] <= 1 and rep["false_alarms"] == 0, rep["failures"]


def test_frozen_set_with_meaning_layer(minilm):
    # target: recall 100 %, look-alike over-triage <= 10 %. Reached 79/79 and 2/47 (4.3 %) with concepts
    # 2026.11.2 and again with 2026.11.3 (margin 0.08 over the closest benign development row, everyday
    # presentations added to the development set; docs/triage.md)
    rep = evaluate_triage(_rows("triage_frozen.jsonl"), embedder=minilm)
    print({k: v for k, v in rep.items() if k not in ("failures", "by_concept")}, rep["failures"])
    assert rep["recall"] == 1.0, rep["failures"]
    assert rep["over_triage_rate"] <= 0.10, rep["failures"]


def test_dev_set_with_meaning_layer(minilm):
    rep = evaluate_triage(_rows("triage_dev.jsonl"), embedder=minilm)
    assert rep["recall"] == 1.0 and rep["false_alarms"] == 0, rep["failures"]
    assert set(rep["by_concept"]) >= {"collapse_unresponsive", "blocked_nose"}


# --- the guidelines' own red flags ---------------------------------------------------------------


def test_criteria_come_from_red_flag_sections_and_action_sentences():
    p = section_passage("c1", "d1", "3 Red flags: seek emergency care now", "- Pain with fainting.\n- A rigid belly.", "en",
                        title="T", publisher="P")
    q = section_passage("c2", "d2", "Self-care", "Rest at home. If you cannot keep fluids down for a day, go to A&E.", "en",
                        title="T", publisher="P")
    got = [c.sentence for c in criteria([p, q])]
    assert got == ["Pain with fainting.", "A rigid belly.", "If you cannot keep fluids down for a day, go to A&E."]


def test_guideline_flag_cites_the_sentence(minilm):
    passages = [p for p in starter_passages(GUIDELINES) if p.doc_id in {"chest-pain-zh", "diarrhoea"}]
    zh = guideline_red_flags("突发撕裂样的疼痛，从胸口一直到后背", passages, "zh", minilm)
    assert zh and zh[0].layer == "guideline" and zh[0].doc_id == "chest-pain-zh" and zh[0].quote and "撕裂" in zh[0].quote


def test_guideline_layer_raises_no_frozen_look_alike(minilm):
    passages = starter_passages(GUIDELINES)  # worst case: every starter red-flag section retrieved at once
    raised = [r["query"] for r in _rows("triage_frozen.jsonl") if r["expect"] == "not_emergency"
              and guideline_red_flags(r["query"], passages, r["language"], minilm)]
    assert raised == []


def test_eval_triage_prints_per_concept_misses_and_false_alarms(capsys, tmp_path):
    from clinrag.cli import main

    f = tmp_path / "v.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in [
        {"query": "my husband collapsed and is not responding", "expect": "emergency", "language": "en", "concept": "collapse"},
        {"query": "I have a mild cold", "expect": "emergency", "language": "en", "concept": "made_up_miss"},
        {"query": "crushing chest pain and sweating", "expect": "not_emergency", "language": "en", "concept": "made_up_alarm"},
    ]), encoding="utf-8")
    assert main(["eval", "triage", str(f), "--rules-only"]) == 0
    out = capsys.readouterr().out
    assert "recall: 0.5" in out and "over_triage_rate: 1.0" in out
    assert re.search(r"made_up_miss\s+1 / 1", out) and re.search(r"made_up_alarm\s+0 / 0\s+1 / 1", out)
    assert "MISSED: I have a mild cold" in out and "FALSE ALARM" in out


def test_denied_and_affirmed_text_of_a_complaint() -> None:
    """What the complaint says is absent ("no fever", "没发烧") apart from what it reports; a symptom that "还没好"
    (is not better yet) is still there."""
    from rag.safety.clauses import affirmed_text, denied_text

    assert denied_text("it burns when she wees. no fever") == "no fever"
    assert denied_text("咳嗽三个星期了还没好，没发烧") == "没发烧"
    assert "咳嗽" in affirmed_text("咳嗽三个星期了还没好，没发烧")
    assert denied_text("睡不着") == "" and denied_text("吃了药一直不见好") == ""
    assert denied_text("fever 38.6, didn't take the malaria tablets") == ""  # an action not done, not an absent symptom


def test_who_and_eating_alone_never_make_a_chinese_guideline_red_flag():
    """Round 8: "孩子在吃东西或玩小物件时突然剧烈呛咳" shared only 孩子 and 吃喝 with a feverish toddler who drank little."""
    passages = [p for p in starter_passages(GUIDELINES) if p.doc_id == "cough-zh"]
    assert guideline_red_flags("孩子2岁发烧第二天，今天一整天就喝了几口水，饭也不吃", passages, "zh") == []
    choking = guideline_red_flags("孩子刚才吃花生的时候突然呛咳，脸都憋红了", passages, "zh")
    assert choking and choking[0].doc_id == "cough-zh"


def test_round_10_meaning_layer_quiet_on_rigors_periodic_breathing_small_doses_and_sugar_questions(minilm):
    # concepts 2026.12.3: each of these reached a concept on a development set (blind writers), none is an emergency
    for text in ("sore throat and 104.2F this morning, shaking and going hot and cold",
                 "my 10 day old sneezes loads, and when asleep her breathing goes irregular with little pauses",
                 "headache, took 2 paracetamol, how long till I can take the next lot",
                 "blood test said fasting glucose 6.4, prediabetes, what now",
                 "I get bouts of vomiting every few weeks"):
        flags = [f for f in triage(text, age=30, embedder=minilm).red_flags if f.layer == "meaning"]
        assert not flags, (text, [(f.concept, f.score) for f in flags])
    # the same concepts still fire where the patient describes the emergency ("not awake" is the sign, not a denial)
    for text, concept in (("throwing up since last night and my sugar is 19, I'm type 1", "severe_hyperglycaemia"),
                          ("she was jerking and shaking for several minutes and still is not awake", "prolonged_seizure"),
                          ("he swallowed a huge number of pills on purpose", "poisoning_overdose")):
        concepts = {f.concept for f in triage(text, age=30, embedder=minilm).red_flags}
        assert concept in concepts, (text, concepts)


def test_round_13_meaning_layer_paraphrase_exemplars_and_guards(minilm):
    # concepts 2026.12.4: a burst in the head reaches the thunderclap exemplars where no rule knows the words
    text = "something seemed to rupture in my head and I threw up"
    assert triage(text, age=40).urgency is None
    assert "thunderclap_headache" in {f.concept for f in triage(text, age=40, embedder=minilm).red_flags}
    # a sign named and called fine is not affirmed ("breathing fine, lips fine" reached breathing difficulty before)
    assert triage("hives all over my arms after the new soap, breathing fine, lips fine", age=33, embedder=minilm).red_flags == []
    # a black stool explained by iron in the same sentence: neither the rule nor the meaning layer (`unless`)
    assert triage("my poo is black and sticky, I take ferrous sulphate", age=50, embedder=minilm).red_flags == []
    assert triage("吃了铁剂，大便像柏油").red_flags == []
    assert {f.concept for f in triage("拉的粑粑跟沥青似的").red_flags} == {"gi_bleeding"}
    # a sore throat told by metaphor, with the voice fine, is not anaphylaxis
    sore = "Throat feels like I swallowed a sandpaper ball, day two, no temperature, voice fine, drinking fine."
    assert triage(sore, age=30, embedder=minilm).red_flags == []


def test_round_14_meaning_layer_lay_exemplars_and_severity_gates(minilm):
    # concepts 2026.12.5: lips told by their colour while fighting for breath reach the breathing exemplars
    grey = "his lips are a greyish colour and he is fighting to get his breath"
    assert "breathing_difficulty" in {f.concept for f in triage(grey, age=70, embedder=minilm).red_flags}
    # a low sugar or a high one is an emergency only with a change of mind or body (ADA level 3, hyperglycaemic crisis)
    assert triage("My husband had a low last night, sorted with juice, he is on insulin and fine today", age=60,
                  embedder=minilm).red_flags == []
    assert triage("he is on insulin and his sugars have been a bit high this week", age=60, embedder=minilm).red_flags == []
    # a newborn's brief pauses in sleep stay benign with the new breathing exemplars
    assert triage("my newborn's breathing pauses for a couple of seconds when asleep, feeding well", age=0.02,
                  embedder=minilm).red_flags == []
    # Chinese: on insulin and cannot be woken (打胰岛素，叫不醒), or answering beside the point (答非所问)
    assert "severe_hypoglycaemia" in {f.concept for f in triage("我爸打胰岛素的 刚才叫他吃饭推不醒").red_flags}
    assert "severe_hypoglycaemia" in {f.concept for f in triage("我妈有点糊涂 一直答非所问 她打胰岛素").red_flags}
    assert triage("打胰岛素，血糖3.5，吃了糖好了").red_flags == []
    assert triage("宝宝嘴唇发灰").red_flags == []  # a colour alone, no breathing sign


def test_round_16_chest_wall_strain_and_a_child_drinking_little_are_not_red_flags(minilm):
    # concepts 2026.12.7 / rules 2026.12.15: pain a press or a twist brings on after a strain, no alarm sign affirmed, is
    # chest-wall strain, for the rule ("having a heart attack?") and the meaning layer (aortic dissection) alike
    strain = ("could I be having a heart attack? pain in my chest gets worse when I press on it, moved furniture all "
              "weekend, no other symptoms")
    assert triage(strain, age=35, embedder=minilm).red_flags == []
    # a feverish toddler drinking little, with nothing said of tone, waking or response, is not an unrousable child
    assert triage("my daughter is 2, fever of 38.9 since yesterday and she's barely drinking anything", age=2,
                  embedder=minilm).red_flags == []
    # the same pain with a grey sweaty face, and a floppy child hard to wake, still fire
    grey = "pain in my chest when I press on it after lifting boxes, and I'm grey and sweating"
    assert "chest_pain_cardiac" in {f.concept for f in triage(grey, age=55, embedder=minilm).red_flags}
    assert "unrousable_child" in {f.concept for f in triage("my little one has a fever and is floppy and hard to wake",
                                                               age=2, embedder=minilm).red_flags}
    assert "chest_pain_cardiac" in {f.concept for f in triage("am I having a heart attack? my chest hurts", age=55,
                                                               embedder=minilm).red_flags}


def test_round_16_dosing_questions_and_a_blocked_nose_stay_quiet_in_every_layer(minilm):
    # concepts 2026.12.7: the false alarms the rules gave up must not come back through the meaning layer
    for text in ("had 2 ibuprofen this morning and 2 more at lunch, 8 tablets in all by tonight, am I overdosing?",
                 "Did I overdose? 2 paracetamol at 9 and 2 more at 1, nothing else today",
                 "my little girl has a cold and a stuffy nose so her breathing sounds snorty, but she's not breathing fast"):
        assert triage(text, age=30, embedder=minilm).red_flags == [], text
    # the same words beside dying, doing it on purpose or a whole packet still fire
    for text, concept in (("took my tablets on purpose to end it, 8 paracetamol, did I overdose?", "poisoning_overdose"),
                          ("I want to die, took 8 paracetamol today, have I overdosed?", "suicide_self_harm"),
                          ("I took a whole packet of paracetamol, have I overdosed?", "poisoning_overdose"),
                          ("he's not breathing", "breathing_difficulty")):
        assert concept in {f.concept for f in triage(text, age=30, embedder=minilm).red_flags}, text


def test_round_17_a_medicine_named_without_anything_taken_is_not_an_overdose(minilm):
    # a dev21 78-year-old with flu went to an ambulance on "her carer says paracetamol and rest is all she needs"
    for text in ("My mum is 78 and has flu. Her carer says paracetamol and rest is all she needs. Is that right?",
                 "Is paracetamol and rest enough for her?"):
        assert "poisoning_overdose" not in {f.concept for f in triage(text, age=78, embedder=minilm).red_flags}, text
    for text in ("she took a large number of paracetamol tablets", "I swallowed far too many pills on purpose",
                 "my toddler got into the cupboard and drank some bleach"):
        assert "poisoning_overdose" in {f.concept for f in triage(text, age=30, embedder=minilm).red_flags}, text


def test_round_20_a_question_about_carrying_on_with_ones_medicine_is_no_plan(minilm):
    # concepts 2026.12.9 (dev24): "Do I keep taking my tablets?" from a diabetic who is being sick reached
    # suicide_self_harm at 0.69 (threshold 0.60)
    text = ("Type 2 diabetic on metformin and gliclazide. Been sick four times since last night. "
            "No bad tummy pain and I'm not drowsy. Do I keep taking my tablets?")
    assert "suicide_self_harm" not in {f.concept for f in triage(text, age=60, embedder=minilm).red_flags}
    assert "suicide_self_harm" in {f.concept for f in triage("I have been hoarding pills to take them all at once", age=30,
                                                              embedder=minilm).red_flags}


def test_round_21_a_reliever_inhalers_side_effects_are_no_breathing_difficulty(minilm):
    # concepts 2026.12.10 (dev25): "when I use my blue inhaler my hands go shaky and my heart races" reached
    # breathing_difficulty at 0.615
    text = "When I use my blue inhaler my hands go shaky and my heart races for a few minutes afterwards. My asthma is fine."
    assert "breathing_difficulty" not in {f.concept for f in triage(text, age=30, embedder=minilm).red_flags}


def test_a_chinese_guideline_red_flag_for_an_age_group_is_not_another_ages():
    """Round 22: "3个月以下的婴儿发烧，请立即到急诊科" (the Chinese UTI guideline) fired for every feverish child, 4 months to
    5 years old, once the Chinese guidelines of round 22 were added; with the patient's age it holds for its group only."""
    passages = [p for p in starter_passages(GUIDELINES) if p.doc_id == "urinary-tract-infection-zh"]
    text = "孩子发烧，39度，吃奶还行"
    assert guideline_red_flags(text, passages, "zh")  # no age given: the sentence is read as it stands
    assert guideline_red_flags(text, passages, "zh", age=0.15)  # a 2-month-old: the red flag
    assert guideline_red_flags(text, passages, "zh", age=0.42) == []  # 5 months
    assert guideline_red_flags(text, passages, "zh", age=5) == []


def test_round_23_a_sign_called_fine_inside_a_longer_clause_is_not_affirmed(minilm):
    # "He's breathing ok and drinking fluids" reached breathing difficulty: the encoder read the sign, not the "ok"
    text = ("My father is 83 and has heart failure. He came down with flu yesterday: fever 101.8F, aches all over, "
            "cough. He's breathing ok and drinking fluids.")
    assert triage(text, age=83, embedder=minilm).red_flags == []
    # what is left once the sign called fine is taken out still counts on its own
    concepts = {f.concept for f in triage("he's breathing ok but he is struggling to get his breath when he talks",
                                          age=83, embedder=minilm).red_flags}
    assert "breathing_difficulty" in concepts
