"""Red-flag triage: recall on emergency vignettes, negation, rule files and versioning."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rag.answer.schema import RedFlag
from rag.safety.triage import RULE_LANGUAGES, extract_age_years, load_rules, rules_version, triage

VIGNETTES = Path(__file__).parent / "data" / "triage_vignettes.jsonl"


def _vignettes() -> list[dict]:
    return [json.loads(line) for line in VIGNETTES.read_text(encoding="utf-8").splitlines() if line.strip()]


def _run(v: dict):
    return triage(v["query"], age=v.get("age"), pregnant=v.get("pregnant"), language=v["language"])


def test_vignette_file_shape():
    rows = _vignettes()
    count = lambda e, lang: sum(1 for r in rows if r["expect"] == e and r["language"] == lang)  # noqa: E731
    assert count("emergency", "en") + count("emergency", "zh") >= 50
    assert count("not_emergency", "en") + count("not_emergency", "zh") >= 50
    assert count("emergency", "zh") >= 20 and count("not_emergency", "zh") >= 20
    for r in rows:
        assert set(r) <= {"query", "expect", "language", "age", "pregnant", "rule"}
        assert r["expect"] in ("emergency", "not_emergency") and r["language"] in ("en", "zh")


def test_emergency_recall_is_100_percent():
    misses, wrong_rule = [], []
    for v in _vignettes():
        if v["expect"] != "emergency":
            continue
        result = _run(v)
        ids = [f.rule_id for f in result.red_flags]
        if result.urgency != "emergency":
            misses.append(v["query"])
        elif v.get("rule") and v["rule"] not in ids:
            wrong_rule.append((v["query"], v["rule"], ids))
    assert not misses, f"missed emergencies: {misses}"
    assert not wrong_rule, f"fired, but not the expected rule: {wrong_rule}"


def test_over_triage_rate_reported():
    rates = {}
    for lang in RULE_LANGUAGES:
        rows = [v for v in _vignettes() if v["expect"] == "not_emergency" and v["language"] == lang]
        flagged = [(v["query"], [f.rule_id for f in _run(v).red_flags]) for v in rows]
        flagged = [f for f in flagged if f[1]]
        rates[lang] = (len(flagged), len(rows))
        for q, ids in flagged:
            print(f"over-triage [{lang}] {q!r} -> {ids}")
    print("over-triage: " + ", ".join(f"{k} {n}/{d} = {n / d:.1%}" for k, (n, d) in rates.items()))
    # reported, not tuned: only a gross regression fails
    assert all(n / d < 0.5 for n, d in rates.values())


@pytest.mark.parametrize(
    "text",
    [
        "no chest pain", "denies chest pain", "without shortness of breath", "not vomiting blood",
        "never had a seizure", "no fever", "No chest pain or sweating", "patient denies crushing chest pain",
        "no suicidal thoughts", "I have no thoughts of suicide", "vomiting blood: no", "crushing chest pain - denied", "no throat swelling",
        "he does not have slurred speech", "no crushing chest pain and no sweating",
        "没有胸痛", "无呼吸困难", "否认呕血", "没有口角歪斜", "未见黑便", "无胸闷气短", "否认自杀念头", "没有喘不上气",
        "没有胸痛，只是有点咳嗽",
    ],
)
def test_negated_terms_do_not_fire(text):
    assert triage(text).urgency is None, triage(text).red_flags


@pytest.mark.parametrize(
    "text, rule",
    [
        ("no fever but stiff neck and a rash that won't fade when pressed", "meningitis"),
        ("no chest pain. but I can't breathe", "breathing_difficulty"),
        ("I'm not sure but I think my face is drooping", "stroke_befast"),
        ("the inhaler doesn't help and his lips are blue", "breathing_difficulty"),
        ("I've never had chest pain like this, it's crushing", "chest_pain_cardiac"),
        ("我不知道为什么突然胸痛，出冷汗", "chest_pain_cardiac"),
        ("无明显诱因出现胸痛伴大汗", "chest_pain_cardiac"),
        ("不小心误吞了纽扣电池", "button_battery"),
        ("吃了花生没多久喉咙就肿了", "anaphylaxis"),
        ("没有发烧，但是脖子很硬，身上有按压不褪色的出血点", "meningitis"),
    ],
)
def test_negation_scope_ends_and_pseudo_negations_fire(text, rule):
    assert rule in [f.rule_id for f in triage(text).red_flags]


@pytest.mark.parametrize("text", ["chest pian and sweating", "cant breath", "cant breathe", "CRUSHING CHEST PAIN"])
def test_typos_and_case(text):
    assert triage(text).urgency == "emergency"


def test_mixed_language_matches_both_rule_sets():
    r = triage("my mom 突然口角歪斜 and her speech is slurred", language="en")
    assert [f.rule_id for f in r.red_flags] == ["stroke_befast"]  # one flag per concept


def test_infant_fever_uses_age_argument_and_text():
    assert triage("fever 38.4", age=0.1).urgency == "emergency"
    assert triage("fever 38.4", age=2).urgency is None
    assert triage("fever 38.4").urgency is None
    assert triage("my 6 week old has a fever").urgency == "emergency"
    assert triage("宝宝两个月大，发烧").urgency == "emergency"
    assert triage("my 6 month old has a fever").urgency is None


def test_pregnancy_condition():
    assert triage("bleeding and cramps", pregnant=True).urgency == "emergency"
    assert triage("bleeding and cramps").urgency is None
    assert triage("12 weeks pregnant and bleeding").urgency == "emergency"
    assert triage("spotting, not pregnant").urgency is None


def test_extract_age_years():
    assert extract_age_years("my 6 week old")[0] == pytest.approx(6 * 7 / 365.25)
    assert extract_age_years("两个月大")[0] == pytest.approx(2 / 12)
    assert extract_age_years("咳嗽两个月了") == []


def test_rule_files_load_and_every_rule_has_a_source():
    ids = {}
    for lang in RULE_LANGUAGES:
        rs = load_rules(lang)
        assert rs.rules, lang
        assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", rs.version)
        for rule in rs.rules:
            assert rule.label and rule.source and "http" in rule.source, rule.id
            assert re.search(r"\((?:19|20)\d{2}\)", rule.source), rule.id
            assert rule.patterns or rule.combinations
        ids[lang] = {r.id for r in rs.rules}
    assert ids["en"] == ids["zh"], "every concept needs a rule in both languages"


def test_rules_version_is_shared_and_stamped():
    assert load_rules("en").version == load_rules("zh").version == rules_version()
    r = triage("worst headache of my life, came on suddenly")
    assert r.rules_version == rules_version()
    assert r.red_flags and all(isinstance(f, RedFlag) and f.rules_version == rules_version() for f in r.red_flags)
    assert all(f.matched_text and f.matched_text in "worst headache of my life, came on suddenly" for f in r.red_flags)


def test_empty_and_benign_text():
    assert triage("").urgency is None
    assert triage("   ").red_flags == []
    assert triage("how much ibuprofen can I take for back pain").urgency is None


@pytest.mark.parametrize("text, age, rule", [
    ("BP 212/124 on my home machine, checked twice. thumping headache and my vision's gone blurry", 58, "hypertensive_emergency"),
    ("在家量血压190/125，头很痛，看东西模糊", 62, "hypertensive_emergency"),
    ("period is 2 weeks late, sharp pain low down on the left, a bit of brown bleeding", 27, "ectopic_pregnancy"),
    ("月经推迟了十天，右边小腹一阵阵疼，有点褐色出血", 29, "ectopic_pregnancy"),
    ("on chemo for breast cancer, last dose 8 days ago, temp 38.1 tonight, bit shivery but I feel ok", 49, "neutropenic_sepsis"),
    ("在做化疗，今天发烧38.3度，还打寒战", 55, "neutropenic_sepsis"),
    ("my 2 year old had a fit with her fever, about a minute, never had one before, now sleepy but wakes", 2, "first_seizure"),
    ("孩子一岁半，发烧39度多，刚才突然翻白眼、手脚一抽一抽的，抽了两三分钟停了，现在叫得醒", 1.5, "first_seizure"),
])
def test_new_rules_fire(text: str, age: float, rule: str) -> None:
    assert rule in [f.rule_id for f in triage(text, age=age).red_flags]


@pytest.mark.parametrize("text, age", [
    ("my bp was 185/95 at the pharmacy, I feel fine, nothing else", 60),
    ("had chemo years ago, now a cold and a sore throat", 60),
    ("my period is late and the test is negative, mild cramps like my usual period", 25),
    ("my son has epilepsy and had his usual seizure this morning for a minute", 12),
    ("我有癫痫，昨天又抽了一次，一分钟就好了", 30),
    ("小腿抽筋，晚上疼醒", 50),
    ("what should I do if my child has a febrile seizure?", 30),
])
def test_new_rules_stay_quiet_on_look_alikes(text: str, age: float) -> None:
    fired = {f.rule_id for f in triage(text, age=age).red_flags}
    assert not fired & {"hypertensive_emergency", "ectopic_pregnancy", "neutropenic_sepsis", "first_seizure"}


@pytest.mark.parametrize("text, age, rule", [
    ("got a heavy pressing feeling in the middle of my chest thats been there 20 mins and wont shift", 61, "chest_pain_persisting"),
    ("I have angina, used my GTN spray twice and the pain is still there after 15 minutes", 70, "angina_not_relieved"),
    ("haven't pooed or passed wind for 3 days, keep being sick, tummy blown up like a balloon", 66, "bowel_obstruction"),
    ("bad back since lifting, since this morning I can't get a wee out and I wet myself without noticing", 51, "cauda_equina"),
    ("fell off a ladder, about 3 metres, landed flat on my back", 55, "major_trauma"),
    ("my husband got a shock off the mains rewiring a plug, burn on his palm", 43, "electrical_burn"),
    ("we got out of a house fire, her voice has gone croaky and she's coughing up black stuff", 39, "smoke_inhalation"),
    ("toddler playing with lego suddenly started coughing and coughing and now he's wheezy", 2, "choking_foreign_body"),
    ("today she's suddenly really confused, she doesn't recognise me", 58, "sudden_confusion"),
    ("my son has been hearing voices telling him people are after him", 21, "psychosis"),
    ("my 2 week old feels cold to touch, under-arm temp is 35.4", 0.04, "infant_cold_or_not_feeding"),
    ("had my baby 5 days ago, pounding headache that won't go, seeing spots and my face is puffy", 31, "pre_eclampsia"),
    ("treated a hypo 3 times with jelly babies but my sugar is still 2.8", 45, "hypo_not_responding"),
    ("got stung and now I've got hives all over my body and I've thrown up twice", 26, "anaphylaxis_systemic"),
    ("2 paracetamol every 3 hours plus Lemsip for 2 days, feel fine though", 38, "paracetamol_staggered"),
    ("heart rate's been 190 for the last hour and won't come down", 26, "very_fast_heart"),
    ("fell on my wrist skiing, it's bent at a funny angle", 45, "fracture_deformity"),
    ("10 puffs of my blue inhaler in half an hour and it's not touching it", 24, "reliever_not_working"),
    ("flu for 4 days, now really out of breath just walking to the loo", 52, "breathless_minimal_exertion"),
    ("my son hasn't drunk anything since yesterday, no wee since this morning and his lips are cracked", 5, "child_dehydration"),
    ("I've started thinking about ending my life", 33, "suicide_self_harm"),
    ("好几个月睡不着，最近老想着死了算了", 38, "suicide_self_harm"),
    ("发烧，腿上出了紫红色的点点，拿杯子压也不褪", 30, "meningitis"),
    ("我有心绞痛，含了两次硝酸甘油，过了十五分钟还是疼", 71, "angina_not_relieved"),
    ("全身起风疙瘩，还吐了，肚子一阵一阵绞着疼", 26, "anaphylaxis_systemic"),
])
def test_red_flags_in_patients_words_round_6(text: str, age: float, rule: str) -> None:
    assert rule in [f.rule_id for f in triage(text, age=age).red_flags]


@pytest.mark.parametrize("text, age", [
    ("hoarse voice for about 5 weeks, I smoke about 15 a day", 52),
    ("my dad takes gliclazide, sugar was 3.2 this morning, fine after some sugar", 70),
    ("sharp pain in my chest when I press on one spot since moving furniture yesterday", 35),
    ("I'm a bit confused about which tablets to take today", 60),
    ("I got a static electric shock off the car door", 30),
    ("fell off the bottom step of a ladder, 2 feet, grazed my knee", 40),
    ("I take paracetamol every 4-6 hours for my back, no more than 8 a day", 50),
    ("my heart rate hit 175 on my run this morning, fine now", 30),
])
def test_round_6_rules_stay_quiet_on_look_alikes(text: str, age: float) -> None:
    assert triage(text, age=age).red_flags == []


@pytest.mark.parametrize("text, age, pregnant, rule", [
    ("怀孕28周，刚才下面突然流出来好多水，把裤子都湿透了，肚子不疼", 29, None, "waters_leaking"),
    ("I'm 33 weeks and I think my waters have broken, there was a gush of clear fluid", 30, True, "waters_leaking"),
    ("I OD'd on my sleeping pills an hour ago", 30, None, "poisoning_overdose"),
    ("奶奶右边手脚突然没力气，拿不住筷子", 80, None, "stroke_befast"),
    ("我爸突然半边身子不能动了", 70, None, "stroke_befast"),
    # round 8: indirect suicidal talk, pre-eclampsia in lay words, fewer movements said quietly
    ("最近整夜整夜睡不着，觉得自己活着就是拖累家里人，楼顶我已经去看过了", 45, None, "suicide_self_harm"),
    ("I feel like such a burden to my family, I've been checking out the bridge near us", 50, None, "suicide_self_harm"),
    ("34 weeks pregnant, headache since yesterday that paracetamol hasn't touched, seeing zigzag lights", 30, True, "pre_eclampsia"),
    ("36 weeks and my rings won't go on this morning, face looks puffy", 31, True, "pre_eclampsia"),
    ("怀孕32周，这两天戒指戴不上了，头也有点疼", 30, True, "pre_eclampsia"),
    ("31 wks, baby normally goes mad after dinner, I've barely felt anything today", 29, True, "reduced_fetal_movements"),
])
def test_red_flags_in_patients_words_round_7(text: str, age: float, pregnant: bool | None, rule: str) -> None:
    assert rule in [f.rule_id for f in triage(text, age=age, pregnant=pregnant).red_flags]


@pytest.mark.parametrize("text, age, pregnant", [
    ("odd skipped beat feeling maybe once a week, worse after coffee, no dizziness or chest pain", 40, None),
    ("33 weeks pregnant, more discharge than usual, creamy white, no smell", 30, True),
    ("孕30周，白带有点多，没有异味", 30, True),
    # a side of the body alone is no stroke: shingles and migraine say "一侧" too
    ("腰上一侧起了一串水泡，一条带子一样，很疼，昨天开始的", 60, None),
    ("偏头痛老毛病，发作前眼前会有闪光和锯齿线，二十分钟就消失，然后一侧头痛，跟以前每次一样", 35, None),
    # round 8: a jab she barely felt, a burden of work, a ring that is tight on a cold morning (not pregnant)
    ("I barely felt anything when the nurse did the jab", 30, True),
    ("我不想拖累家人，想问问膝盖疼能不能自己在家锻炼", 70, None),
    ("work has been a real burden lately and I can't sleep", 40, None),
    ("my wedding ring is tight when it's hot", 35, None),
])
def test_round_7_rules_stay_quiet_on_look_alikes(text: str, age: float, pregnant: bool | None) -> None:
    assert triage(text, age=age, pregnant=pregnant).red_flags == []


@pytest.mark.parametrize("text, age, rule", [
    # round 9 (rules 2026.12.7): found on urgency_dev9 (blind, development)
    ("she's 4, temp 39.6, and there are tiny purple dots on her tummy; did the glass thing and they don't go away", 4, "meningitis"),
    ("Dad's on insulin, found him sweaty and mumbling nonsense, he can't answer me properly", 70, "severe_hypoglycaemia"),
    ("药我都攒好了，想今晚就结束算了", 22, "suicide_self_harm"),
    ("最近觉得活着真没什么意思", 30, "suicide_self_harm"),
    ("宝宝出生18天，量腋温38.2", 0.05, "infant_fever"),
    # found on urgency_dev10 (blind, development): bile-stained vomit, appendicitis, a first fit and fewer movements in Chinese
    ("宝宝5周大，今天吐了三次，吐出来是绿色的", 0.1, "bilious_vomiting"),
    ("my 3 month old has been sick twice and it was bright green", 0.25, "bilious_vomiting"),
    ("儿子10岁，昨晚说肚脐周围痛，今天早上痛到右下边去了", 10, "appendicitis_signs"),
    ("pain started round my belly button last night and has moved to the lower right, hurts to walk", 19, "appendicitis_signs"),
    ("孩子一岁半，发烧39度，刚才突然抽起来了，两眼往上翻，以前从来没抽过", 1.5, "first_seizure"),
    ("my baby has gone limp and won't feed", 0.5, "unrousable_child"),
    # found on urgency_dev11 (blind, development): overdoses as a bottle or a strip, torsion, a chemical burn, recession,
    # a hypo that stays low on a sulfonylurea, sepsis signs said calmly
    ("我妈刚才把一瓶安眠药吃了大半瓶，估计有十五六片，现在就是困", 60, "poisoning_overdose"),
    ("吵架以后一下子吃了一板半的扑热息痛，现在有点恶心", 22, "poisoning_overdose"),
    ("儿子15岁，踢完球回来说右边蛋蛋突然疼的厉害", 15, "testicular_torsion"),
    ("woke up with sudden agony in my left testicle and I've been sick", 16, "testicular_torsion"),
    ("got splashed with drain unblocker on his forearm, the skin has gone white", 41, "chemical_burn"),
    ("she's sucking in under her ribs and too puffed to finish a sentence", 6, "breathing_difficulty"),
    ("on gliclazide, sugar 2.8, juice twice, rechecked 3.0 then 2.9", 70, "hypo_not_responding"),
    ("type 2 diabetic, sugar 2.8 and he's a bit vague and sweaty", 70, "severe_hypoglycaemia"),
    ("kidney infection, on antibiotics, my knees look kind of blotchy purple and I've only peed once since last night", 45, "sepsis"),
])
def test_red_flags_in_patients_words_round_9(text: str, age: float, rule: str) -> None:
    assert rule in [f.rule_id for f in triage(text, age=age).red_flags]


@pytest.mark.parametrize("text, age", [
    ("did the glass thing on his eczema patch and it goes white, no fever", 5),
    ("my grandad mumbles a lot when he watches telly, he's diabetic", 80),
    ("我的会议今晚就结束了，活着挺有意思的", 30),
    ("量了腋温36.8，孩子就是有点流鼻涕", 3),
    # a rash that fades under the glass is the reassuring answer; hypos treated each time are no hypo that won't come up;
    # "can't be pregnant" is not a pregnancy
    ("temp 38.7 since yesterday and a red blotchy rash on his chest, it does fade when I press a glass on it", 6),
    ("我打胰岛素的，这一周半夜低血糖三次了，吃了糖就好了", 63),
    ("some bleeding that definitely isn't my period and a tummy ache, can't be pregnant, I have the coil", 23),
    ("孩子咳嗽，吐出来的痰是绿色的", 5),
    ("my son is coughing up green phlegm", 6),
    ("I threw up bile this morning after a night out", 25),
    ("老人手抖，拿筷子一抖一抖的", 80),
    ("belly button piercing is red and sore", 20),
    ("my 4 year old hurt her knee and is walking with a limp", 4),
    ("孩子吃了半瓶酸奶就说肚子疼", 5),
    ("I use bleach to clean the bathroom, just asking about my cough", 40),
    ("had a dull ache in my left testicle on and off for a month", 30),
    ("he's a bit vague about when the rash started", 40),
])
def test_round_9_rules_stay_quiet_on_look_alikes(text: str, age: float) -> None:
    assert triage(text, age=age).red_flags == []


def test_round_9_a_rash_that_never_faded_and_sugar_taken_three_times_still_fire() -> None:
    assert [f.rule_id for f in triage("rash all over, did the glass test, it never faded, temp 39", age=3).red_flags] == ["meningitis"]
    assert "hypo_not_responding" in [f.rule_id for f in triage("低血糖，吃了三次糖了还是3.2", age=63).red_flags]
    assert "pregnancy_bleeding" in [f.rule_id for f in triage("I'm pregnant and bleeding heavily", age=30).red_flags]


def test_round_9_fewer_movements_said_quietly_in_chinese_needs_the_pregnancy() -> None:
    text = "36周了，平时宝宝特别能动，今天几乎没感觉到胎动，吃了东西躺着也没动静"
    assert "reduced_fetal_movements" in [f.rule_id for f in triage(text, age=30, pregnant=True).red_flags]
    assert triage("怀孕30周，胎动挺好的，就是有点腰疼", age=30, pregnant=True).red_flags == []


@pytest.mark.parametrize("text, age, pregnant, rule", [
    ("38 weeks. Baby's been really quiet today, I've felt maybe 2 small movements since breakfast", 30, True,
     "reduced_fetal_movements"),
    ("my 8 month old has been sick since yesterday, her nappy has been dry since 7 this morning, not interested in her bottle",
     0.67, None, "child_dehydration"),
])
def test_red_flags_in_patients_words_round_10(text: str, age: float, pregnant: bool | None, rule: str) -> None:
    assert rule in {f.rule_id for f in triage(text, age=age, pregnant=pregnant).red_flags}


@pytest.mark.parametrize("text, age, pregnant", [
    ("30 weeks pregnant, baby is quiet in the mornings and busy at night, lots of kicks", 30, True),
    ("my 2 year old is quiet today but drinking well and had a wet nappy an hour ago", 2, None),
    ("my 8 month old is not interested in her bottle today but has plenty of wet nappies", 0.67, None),
])
def test_round_10_rules_stay_quiet_on_look_alikes(text: str, age: float, pregnant: bool | None) -> None:
    assert not triage(text, age=age, pregnant=pregnant).red_flags


def test_round_12_red_flags_preterm_labour_staggered_paracetamol_indirect_plans_and_a_heavy_chest() -> None:
    # docs/urgency.md "Round 12": wordings from the development sets' misses, with their look-alikes
    assert triage("怀孕33周，今天下午见红了，肚子一阵一阵发紧，大概十分钟一次", age=30, pregnant=True).urgency == "emergency"
    assert triage("32 weeks pregnant, tightenings every 10 minutes for the last hour", age=29, pregnant=True).urgency == "emergency"
    assert triage("38 weeks, had some braxton hicks tightenings yesterday, gone now", age=30, pregnant=True).urgency != "emergency"
    assert triage("taking 2 co-codamol and 2 panadol together every 3-4 hrs, about 20 tablets in the last day", age=19
                  ).urgency == "emergency"
    assert triage("I take 2 paracetamol every 4 hours when my back is bad", age=40).urgency != "emergency"
    assert triage("Sorted my will out last week. Honestly don't think I'll be around much longer.", age=58).urgency == "emergency"
    assert triage("I don't think I'll be around much longer at this job", age=30).urgency != "emergency"
    assert triage("since 6am a heavy feeling in the middle of my chest on and off, now my left arm aches a bit", age=67
                  ).urgency == "emergency"


# round 13 (rules 2026.12.10, paraphrase): the decisive sign told by what a patient or relative notices, not its clinical
# name. Our own wordings of the kinds urgency_dev15 missed (never its text), each with look-alikes below that must not fire.
ROUND_13_FIRES = [
    ("I'm worried I've overdosed, I took 16 paracetamol today", 30, None, "poisoning_overdose"),
    ("scared I overdosed on paracetamol, I took the whole packet", 30, None, "poisoning_overdose"),
    # thunderclap headache: a blow or a burst as a metaphor, with something sudden; worst-ever pain placed in the head
    ("It was like someone hit me over the back of the head with a baseball bat, came out of nowhere on the loo", 50, None,
     "thunderclap_headache"),
    ("felt like something burst in my head while I was lifting a box, now I've been sick", 45, None, "thunderclap_headache"),
    ("the pain at the back of my head went from nothing to unbearable in a couple of seconds", 40, None, "thunderclap_headache"),
    ("worst pain I've ever felt in my life, right at the back of my head", 52, None, "thunderclap_headache"),
    ("正在搬东西，后脑勺像被人用棍子狠狠砸了一下，疼得想吐", 48, None, "thunderclap_headache"),
    ("头几秒钟之内就疼到受不了了", 55, None, "thunderclap_headache"),
    # melaena as tar, treacle, tarmac, asphalt
    ("on naproxen for my back, and my poo has been like tar for two days", 60, None, "gi_bleeding"),
    ("Dad's stools are sticky and shiny black, and he's very pale", 78, None, "gi_bleeding"),
    ("what I passed this morning was the colour of tarmac", 55, None, "gi_bleeding"),
    ("最近吃阿司匹林，拉的大便黑乎乎的", 70, None, "gi_bleeding"),
    ("这两天解的大便又黑又亮，站起来头晕", 66, None, "gi_bleeding"),
    # ectopic pregnancy: a late period however said, one-sided pain, shoulder-tip pain, near-fainting
    ("Period's about a fortnight late, sharp pain on my left side low down and I nearly passed out in the shower", 26, None,
     "ectopic_pregnancy"),
    ("6 weeks pregnant, stabbing pain on the right and pain in the tip of my left shoulder", 30, None, "ectopic_pregnancy"),
    ("大姨妈推迟了快两个礼拜，右下腹一阵阵刺痛，刚才眼前一黑", 27, None, "ectopic_pregnancy"),
    ("验孕棒两道杠，左边小腹疼，肩膀尖也疼", 29, None, "ectopic_pregnancy"),
    # meningitis: a glass or tumbler that still shows the spots; purple marks in lay words with a fever
    ("temp 39, and the purple spots on her legs are still there when I push a glass tumbler onto them", 2, None, "meningitis"),
    ("I rolled a glass over the dots on his back and could still see them clearly", 4, None, "meningitis"),
    ("he has 39.2 and dark red pinpricks appearing on his chest", 6, None, "meningitis"),
    ("孩子发烧，身上有紫色的小点点，用玻璃杯压着还是看得见", 3, None, "meningitis"),
    # waters breaking: a pop, a gush, soaked clothes
    ("34 weeks pregnant, felt a pop and then water ran down my legs, my leggings are soaked", 30, True, "waters_leaking"),
    ("31 weeks pregnant, I thought I'd wet myself but it keeps coming and it's clear", 28, True, "waters_leaking"),
    ("怀孕32周，刚才下身哗地涌出好多水，裤子都湿透了", 29, True, "waters_leaking"),
    # electrical injury: a jolt off something live, mains voltage by number
    ("my husband got a massive jolt off the fuse box while rewiring, his arm is numb", 45, None, "electrical_burn"),
    ("I was drilling and hit a live cable", 38, None, "electrical_burn"),
    ("the 240V went through my hand when I touched the bare wire", 33, None, "electrical_burn"),
    ("修插座的时候被电打了一下，手到现在还麻", 40, None, "electrical_burn"),
    ("摸到了裸露的电线，手心有个黑点", 35, None, "electrical_burn"),
    # anaphylaxis: the throat narrowing and the voice changed, said as they feel
    ("ate a prawn cracker and now my throat feels like it's closing to a pinhole and my voice is all croaky", 24, None,
     "anaphylaxis"),
    ("after the wasp sting my tongue feels too big for my mouth and I've got hives", 40, None, "anaphylaxis"),
    ("吃了花生以后声音变了，嗓子越来越窄，身上起风团", 20, None, "anaphylaxis"),
    # breathing: a colour round the mouth, a chest that stops moving, words between breaths
    ("my 3 week old goes a bluish colour around her mouth when she feeds", 0.06, None, "breathing_difficulty"),
    ("his lips went like blackberries and he was struggling", 70, None, "breathing_difficulty"),
    ("my newborn's chest stopped moving for what felt like ages and she went limp", 0.02, None, "breathing_difficulty"),
    ("I can only get two words out at a time before I have to stop for breath", 30, None, "breathing_difficulty"),
    ("宝宝吃奶的时候嘴巴周围发青，刚才胸口好半天不起伏", 0.05, None, "breathing_difficulty"),
    # torsion, deformity, deep or large burns, mottled skin, stroke told by what was seen, an inhaler by the dozen
    ("my 13 year old is crying in agony holding his testicle", 13, None, "testicular_torsion"),
    ("one testicle is sitting much higher than the other and it's really painful", 17, None, "testicular_torsion"),
    ("儿子半夜疼得直哭，说蛋蛋疼", 12, None, "testicular_torsion"),
    ("fell off my bike, my wrist is pointing the wrong way", 12, None, "fracture_deformity"),
    ("crashed on the motorbike, my foot is freezing cold and white below the break", 30, None, "fracture_deformity"),
    ("从梯子上摔下来，脚踝朝反方向拧着，脚趾发白冰凉", 50, None, "fracture_deformity"),
    ("spilled the chip pan on her leg, the burn is bigger than her hand", 40, None, "serious_burn"),
    ("the skin on his arm has gone white and leathery where the hot water went", 3, None, "serious_burn"),
    ("开水烫伤了，比他的手掌还大，皮肤发白发硬", 4, None, "serious_burn"),
    ("Mum has had diarrhoea for two days, her knees are mottled and her hands are icy", 85, None, "sepsis"),
    ("爷爷腿上一片一片发花，手脚冰凉，叫他半天才应", 82, None, "sepsis"),
    ("Dad's tea was dribbling out of one side of his mouth at breakfast", 75, None, "stroke_befast"),
    ("she opened her mouth but the words wouldn't come out", 68, None, "stroke_befast"),
    ("爸爸喝水从一边嘴角漏出来，话到嘴边说不出来", 72, None, "stroke_befast"),
    ("had ten puffs of the blue inhaler and it's not touching it", 20, None, "reliever_not_working"),
    # collapse, breathing, hypoglycaemia and a stiff neck in a relative's words
    ("Grandad went down like a sack of potatoes in the kitchen and we can't get a word out of him", 80, None,
     "collapse_unresponsive"),
    ("奶奶晕倒了，掐人中都没醒", 80, None, "collapse_unresponsive"),
    ("it feels like I'm breathing through a straw", 60, None, "breathing_difficulty"),
    ("一直吸不进气，像被人捂住了口鼻", 60, None, "breathing_difficulty"),
    ("my diabetic husband is acting drunk and sweaty", 60, None, "severe_hypoglycaemia"),
    ("爸爸有糖尿病，现在像喝醉了一样，满头大汗", 65, None, "severe_hypoglycaemia"),
    ("temp 39, his neck is like a plank", 8, None, "meningitis"),
    ("the headache reached its peak almost instantly", 45, None, "thunderclap_headache"),
    ("it felt like a hammer came down on the back of my skull out of nowhere", 50, None, "thunderclap_headache"),
    ("her bowel motions are black as coal and she feels woozy", 80, None, "gi_bleeding"),
    ("the dots stayed visible under a glass", 3, None, "meningitis"),
    ("突然倒在地上，口吐白沫", 40, None, "first_seizure"),
    ("he dropped to the floor foaming at the mouth", 30, None, "first_seizure"),
    ("after the peanut his lips blew up like a duck", 6, None, "anaphylaxis"),
    ("左边脸木了，说话有点不清", 70, None, "stroke_befast"),
]

ROUND_13_LOOK_ALIKES = [
    ("took 2 paracetamol four times today, 8 in all, hours apart, and now I'm worried I've overdosed", 30, None),
    ("headache that built up over the day, now quite bad, I get these with my period", 30, None),
    ("banged my head on the cupboard door, small lump, feel fine", 40, None),
    ("my head feels like it's going to explode with this cold and blocked sinuses", 35, None),
    ("tension headache, feels like someone is squeezing my head, on and off for weeks", 40, None),
    ("I'm on iron tablets and my poo is black like tar", 35, None),
    ("I ate black pudding and my stools look very dark", 45, None),
    ("a dusky purple bruise on my shin after football", 20, None),
    ("had an electric shock from the socket 3 years ago, fine since", 40, None),
    ("got a little zap from the electric fence at the farm", 10, None),
    ("static shock from the car door again", 30, None),
    ("12 weeks pregnant, feels like my waters are leaking but it's more discharge, white and creamy", 28, True),
    ("hives all over my arms after the new soap, breathing fine, lips fine", 33, None),
    ("did the glass test on the rash and it faded completely", 5, None),
    ("period is 3 days late and I have a bit of period-like cramping, feel fine", 25, None),
    ("my voice has been croaky since the football match", 30, None),
    ("burnt my finger on the oven tray, red but no blister", 40, None),
    ("spilled boiling water on my forearm, a blister about the size of my palm", 30, None),
    ("sunburn on my whole back, red and sore", 25, None),
    ("my feet burn at night, both legs tingle, I'm diabetic", 60, None),
    ("I can't find the right words to explain how tired I am", 40, None),
    ("my baby has pauses in her breathing for a few seconds when asleep, colour is fine", 0.05, None),
    ("my 6 year old snores and sometimes stops breathing for a couple of secs then gasps", 6, None),
    ("ankle sprain, swollen and bruised, I can walk on it", 30, None),
    ("my testicle has ached a bit on and off for weeks", 30, None),
    ("怀孕12周，白带多，总觉得下面湿湿的", 28, True),
    ("吃了铁剂以后大便发黑", 30, None),
    ("以前被电过一次，现在没事", 40, None),
    ("孩子吃了桑葚，嘴唇紫紫的", 4, None),
    ("头疼了一整天，慢慢加重的，以前也这样", 35, None),
    ("烫了一下手指，红了一点，不疼", 30, None),
    ("最近手机充电的时候手有点麻", 30, None),
    ("孩子碰了一下插座，没事，哭了两声", 3, None),
    ("月经推迟了几天，肚子有点胀", 25, None),
    ("吃了海鲜，身上起了点疹子，呼吸正常", 30, None),
    ("he was drunk and slept it off on the sofa, couldn't get a word out of him", 20, None),
    ("my toddler is shy with strangers, I can't get a word out of her at nursery", 3, None),
    ("blocked nose, like breathing through a straw", 30, None),
    ("I had a nightmare that I was drowning", 30, None),
    ("奶奶晕倒了，掐了人中就醒了", 80, None),
    ("鼻塞，吸不进气", 30, None),
    ("昨晚喝醉了，今天头疼", 30, None),
    ("it feels like a hammer pounding in my head most days", 40, None),
    ("my headache peaks in the evenings and goes by morning", 40, None),
    ("牙科打了麻药，半边脸木", 30, None),
]


@pytest.mark.parametrize("text, age, pregnant, rule", ROUND_13_FIRES)
def test_red_flags_in_paraphrase_round_13(text: str, age: float, pregnant: bool | None, rule: str) -> None:
    assert rule in {f.rule_id for f in triage(text, age=age, pregnant=pregnant).red_flags}


@pytest.mark.parametrize("text, age, pregnant", ROUND_13_LOOK_ALIKES)
def test_round_13_rules_stay_quiet_on_look_alikes(text: str, age: float, pregnant: bool | None) -> None:
    assert triage(text, age=age, pregnant=pregnant).red_flags == []


def test_round_14_a_black_stool_explained_by_iron_in_another_sentence_is_not_a_bleed() -> None:
    # the rules' unless_message reads the whole message; blood brought up is never explained by a tablet
    iron = ("I'm panicking a bit, my poo has gone really dark, almost black. I started the ferrous sulphate tablets from "
            "the GP last Tuesday. No tummy pain, feel fine")
    assert triage(iron, age=40, pregnant=None).red_flags == []
    assert triage("my poo has been black and tarry since yesterday and I feel faint", age=60, pregnant=None).red_flags
    vomit = triage("black tarry poo. I take iron tablets. This morning I vomited blood", age=60, pregnant=None).red_flags
    assert any(f.rule_id == "gi_bleeding" for f in vomit)


def test_round_14_the_meaning_layer_reads_the_whole_message_for_a_concepts_specific_explanation() -> None:
    from rag.safety.clauses import split_clauses
    from rag.safety.meaning import _BROUGHT_UP, load_bank

    bank = load_bank()
    gi = next(c for c in bank.concepts if c.id == "gi_bleeding")
    assert gi.unless_message is not None and gi.unless_message.search("i started the ferrous sulphate tablets")
    assert not gi.unless_message.search("i ironed my shirt")
    assert _BROUGHT_UP.search("brought up what looked like coffee grounds")
    assert len(split_clauses("my poo is black. I take iron tablets")) >= 2


def test_round_14_iron_tablets_someone_else_takes_do_not_explain_a_black_stool() -> None:
    text = ("I take naproxen and a baby aspirin. Last 2 days my poo has been black and sticky like tar. Could it be the iron "
            "tablets my wife takes? I don't take them.")
    assert any(f.rule_id == "gi_bleeding" for f in triage(text, age=71, pregnant=None).red_flags)


# round 15 (rules 2026.12.14): the decisive sign told by its consequence or by what someone sees. Our own wordings of the
# kinds urgency_dev17 and earlier development sets missed (never their text), each family with look-alikes below.
ROUND_15_FIRES = [
    # stroke: an object slipping out of one hand; words that come out in the wrong order
    ("the spoon kept falling out of her right hand at breakfast, started half an hour ago", 75, None, "stroke_befast"),
    ("when he tried to speak the sentence came out scrambled, all the words in a jumble", 70, None, "stroke_befast"),
    ("she keeps dropping her cup from her left hand", 80, None, "stroke_befast"),
    ("筷子老从右手滑掉，刚开始的", 70, None, "stroke_befast"),
    # cardiac without the word chest: a squeeze spreading into the neck or jaw, with sweat or a grey face
    ("he thinks it's indigestion but there's a heaviness going up into his jaw and he is drenched in sweat", 60, None,
     "chest_pain_cardiac"),
    ("tight pressure that's spreading into my neck and left arm, clammy and a horrible colour", 55, None, "chest_pain_cardiac"),
    ("一股攥着的劲往脖子上窜，一身冷汗", 60, None, "chest_pain_cardiac"),
    # suicide: a plan worked out in the third person, possessions given away
    ("my son told me he's worked out how he'd do it", 50, None, "suicide_self_harm"),
    ("he's been giving all his things away and saying goodbye to people", 30, None, "suicide_self_harm"),
    ("他说已经想好了怎么死", 30, None, "suicide_self_harm"),
    # sepsis: a dry pad, staring at the wall, muddled, cold blotchy hands, with an infection
    ("my gran has a chest infection and since this morning she just stares into space, her pad has been dry since last night",
     86, None, "sepsis"),
    ("Gran has a water infection, since this morning she's really muddled", 84, None, "sepsis"),
    ("老人发烧，今天一直盯着墙，尿垫一上午都是干的", 88, None, "sepsis"),
    # hypoglycaemia told by behaviour; breathing by what is heard and seen
    ("my husband takes insulin, skipped lunch, now he's sweating buckets and acting really strange", 60, None,
     "severe_hypoglycaemia"),
    ("he has to stop halfway through every sentence to get his breath", 70, None, "breathing_difficulty"),
    ("can only say three or four words and then has to stop for a breath", 40, None, "breathing_difficulty"),
    ("讲三四个字就要喘一下", 60, None, "breathing_difficulty"),
    ("my 2 year old has a fever, breathing fast and grunting with every breath", 2, None, "breathing_difficulty"),
    ("孩子发烧，一吸气肋骨下面就陷进去", 3, None, "breathing_difficulty"),
    ("My husband has asthma, wheezing all day and now he's really drowsy", 50, None, "breathing_difficulty"),
    ("she's so drowsy I can't keep her awake", 70, None, "collapse_unresponsive"),
    # coffee grounds in Chinese; cauda equina told by wiping; counted wet nappies
    ("吐出来的东西像咖啡渣一样", 50, None, "gi_bleeding"),
    ("since the fall i can't feel the toilet paper when i wipe and my back is agony", 45, None, "cauda_equina"),
    ("Hurt my back lifting and I didn't realise I'd wet myself", 45, None, "cauda_equina"),
    ("my little boy has only had one wet nappy since this morning and just lies there", 1.5, None, "child_dehydration"),
    ("宝宝从早上到现在只换过一次湿尿布，没精神", 0.8, None, "child_dehydration"),
    # a severe headache and then a faint; chest pressure for "twenty-odd minutes"; amounts as "a load of", "a handful of my"
    ("terrible headache this morning and then she collapsed in the kitchen", 50, None, "thunderclap_headache"),
    ("头疼得厉害，刚才突然晕倒了", 50, None, "thunderclap_headache"),
    ("胸口闷得慌，像压了块大石头，已经二十多分钟了还没好", 60, None, "chest_pain_persisting"),
    ("took a load of paracetamol on Sunday", 30, None, "poisoning_overdose"),
    ("took a handful of my sleeping tablets with a bottle of wine", 30, None, "poisoning_overdose"),
    ("Gave birth a week ago, bleeding is soaking a pad every hour with big clots.", 30, None, "major_bleeding"),
    # an activity noun is an event, not talk about a subject ("football training" is not "a training course on ...")
    ("My 15 year old collapsed during football training", 15, None, "exertional_collapse"),
    # what is heard and seen: a hot-potato voice and a mouth that will not open (new rule throat_abscess), stridor, a bulging
    # soft spot, a racing heart with a blackout, coffee granules, a weight on the middle of the chest, a pressure not letting up
    ("tonsils are huge, I can hardly open my mouth and my voice sounds like I've a hot potato in there", 25, None, "throat_abscess"),
    ("sore throat and he's drooling because he can't bear to swallow his spit", 30, None, "throat_abscess"),
    ("嗓子疼了五天，现在嘴都张不开，口水咽不下往外流", 30, None, "throat_abscess"),
    ("croup for two days and now a harsh crowing sound every time she breathes in", 2, None, "breathing_difficulty"),
    ("the soft spot on my 5 week old's head looks tense and is bulging", 0.1, None, "meningitis"),
    ("my heart was hammering away and then I blacked out on the stairs", 40, None, "very_fast_heart"),
    ("threw up twice, it looked like coffee granules", 70, None, "gi_bleeding"),
    ("grey and sweaty, says there's a weight sitting on the middle of his chest", 70, None, "chest_pain_cardiac"),
    ("there's a pressure on my chest that hasn't let up since lunch", 60, None, "chest_pain_persisting"),
    ("bad headache, a temperature and a stiff neck, and she's being sick", 19, None, "meningitis"),
    ("my 9 month old has had two wet nappies in 24 hours and she's very quiet", 0.75, None, "child_dehydration"),
    ("宝宝今天只尿了一次，哭的时候也没有眼泪", 0.5, None, "child_dehydration"),
    ("my grandad has a fever and hasn't passed any water since yesterday morning", 84, None, "sepsis"),
    ("back pain and I've lost feeling between my legs", 45, None, "cauda_equina"),
    ("奶奶拿着杯子突然就掉了，右手使不上劲", 80, None, "stroke_befast"),
    ("发烧，浑身发抖停不下来，皮肤一块一块的发花", 70, None, "sepsis"),
]

ROUND_15_LOOK_ALIKES = [
    ("the cup slipped out of my wet hand and smashed", 40, None),
    ("my toddler gets his words in the wrong order sometimes when he's excited", 3, None),
    ("my left hand went dead after I slept on it, came back after a couple of minutes", 57, None),
    ("my neck muscles feel tight after the gym and I'm sweaty", 30, None),
    ("I'm giving away my old clothes to charity", 30, None),
    ("my son has worked out how to do his maths homework", 40, None),
    ("my grandad's pad was dry this morning but he's drinking fine and is his usual self", 88, None),
    ("he had a chesty cough last week and is confused about his appointment", 80, None),
    ("喝了咖啡之后吐了，吐出来是咖啡色的", 30, None),
    ("ran up three flights of stairs, gasping at the top, fine again after a minute", 30, None),
    ("I had to stop mid-sentence to catch my breath after the run, fine now", 30, None),
    ("had a bad asthma attack last night, sorted it with about 10 puffs of my blue inhaler, fine today", 30, None),
    ("my smartwatch says irregular rhythm and my heart feels like it's fluttering, no chest pain", 68, None),
    ("my 4 year old has a cough and a wheeze but he's talking in full sentences and playing with his lego", 4, None),
    ("I keep nodding off in front of the telly in the evenings", 60, None),
    ("my granddad has copd and keeps dozing off after lunch, otherwise well", 80, None),
    ("I'm asthmatic and a bit confused about which inhaler to use", 30, None),
    ("the baby grunts in his sleep, feeding well, breathing normal", 0.3, None),
    ("宝宝今天尿布换了好几次，精神很好", 1, None),
    ("a load of my tablets were out of date so I threw them away", 60, None),
    ("my period is heavy, changing a pad every 3 hours", 30, None),
    ("took a handful of vitamins", 30, None),
    ("we had a first aid training session about heart attacks and crushing chest pain", 30, None),
    ("sore throat and my baby is dribbling a lot, teething", 30, None),
    ("there's a whistling noise when he breathes in through his nose, it's blocked", 5, None),
    ("the soft spot on my baby's head is a bit sunken", 0.5, None),
    ("no temperature, stiff neck from sleeping funny, bit of a headache", 30, None),
    ("a weight on my mind all week", 40, None),
    ("my chest has felt tight all day since I started the new gym routine, no other symptoms", 30, None),
    ("my 1 year old had two wet nappies in 24 hours but she's drinking well and happy", 1, None),
    ("my friend is not making sense about the flu jab", 30, None),
    ("back ache, the toilet paper feels rough when I wipe", 40, None),
    # a quinsy picture with fluids going down and breathing fine is a same-day assessment, not 999
    ("tonsil on the left is massive and I can barely open my mouth. I can still drink water and my breathing is fine", 25, None),
    ("sore throat for a week, the glands in my neck are swollen, swallowing is ok", 30, None),
]


@pytest.mark.parametrize("text, age, pregnant, rule", ROUND_15_FIRES)
def test_round_15_red_flags_told_by_consequence(text: str, age: float, pregnant: bool | None, rule: str) -> None:
    assert rule in {f.rule_id for f in triage(text, age=age, pregnant=pregnant).red_flags}


@pytest.mark.parametrize("text, age, pregnant", ROUND_15_LOOK_ALIKES)
def test_round_15_rules_stay_quiet_on_look_alikes(text: str, age: float, pregnant: bool | None) -> None:
    assert triage(text, age=age, pregnant=pregnant).red_flags == []


def test_round_15_a_wheeze_beside_lego_fires_only_with_a_sudden_start_or_something_inhaled() -> None:
    assert any(f.rule_id == "choking_foreign_body" for f in triage(
        "playing with lego and suddenly he's wheezing and can't stop coughing", age=3).red_flags)
    assert triage("he's had a cold all week and a bit of a wheeze, happily playing lego", age=4).red_flags == []


# round 16 (rules 2026.12.15): overwhelming tiredness after a birth (CDC urgent maternal warning signs: possible
# postpartum haemorrhage, infection or severe anaemia), in paraphrase and in both languages, told by what the mother can
# no longer do. Only with the birth: a tired new mother who is otherwise fine, or the same words with no birth, stay quiet.
ROUND_16_FIRES = [
    ("Gave birth twelve days ago and I'm so exhausted I can't raise my head from the pillow", 31, None),
    ("my wife had our baby last week and she's too weak to get out of bed", 30, None),
    ("my wife had our baby last week and she's so weak she can't get out of bed", 30, None),
    ("c-section 9 days ago, I'm so weak I can't even hold the baby", 34, None),
    ("since the birth I'm so weak my legs keep giving way", 29, None),
    ("new mum here, this exhaustion is overwhelming", 27, None),
    ("baby was born 12 days ago and I keep nearly passing out when I get up", 33, None),
    ("gave birth 10 days ago, I feel dizzy and faint whenever I stand up", 30, None),
    ("postnatal, 3 weeks, the tiredness is way beyond normal and I'm too shaky to climb the stairs", 36, None),
    ("生完孩子两周了，累得头都抬不起来", 28, None),
    ("产后十天，浑身没劲，起不来床", 30, None),
    ("剖腹产一周，虚得连孩子都抱不动", 32, None),
    ("还在坐月子，一站起来就眼前发黑", 27, None),
]

ROUND_16_LOOK_ALIKES = [
    ("had my baby 3 weeks ago, shattered from the night feeds but otherwise fine", 30, None),
    ("new mum, so tired, baby feeds every two hours, but I'm eating well and getting up fine", 29, None),
    ("gave birth last month, too tired to go to the gym", 33, None),
    ("had my baby 5 weeks ago, too tired to get out of bed for the morning feed", 31, None),
    ("had my baby 2 weeks ago, feeling weak and can't stand the crying", 30, None),
    ("my 2 week old can't lift his head yet, is that normal?", 0.04, None),
    ("my sister gave birth last week and I'm exhausted from helping", 35, None),
    ("had a baby 10 years ago and I've been tired ever since", 45, None),
    ("so tired I can't lift my head off the pillow, been doing night shifts all week", 40, None),
    ("8 weeks pregnant and so exhausted I can barely get out of bed", 29, True),
    ("刚生完孩子两周，晚上喂奶特别累，不过吃饭睡觉都还行", 28, None),
    ("生完孩子一个月，带娃累得不行", 30, None),
    ("产后在婆家总觉得抬不起头", 30, None),
    ("最近加班累得头都抬不起来", 35, None),
    ("怀孕八周，累得下不了床", 29, True),
]


@pytest.mark.parametrize("text, age, pregnant", ROUND_16_FIRES)
def test_round_16_overwhelming_tiredness_after_a_birth_fires(text: str, age: float, pregnant: bool | None) -> None:
    assert "postnatal_exhaustion" in {f.rule_id for f in triage(text, age=age, pregnant=pregnant).red_flags}


@pytest.mark.parametrize("text, age, pregnant", ROUND_16_LOOK_ALIKES)
def test_round_16_ordinary_tiredness_stays_quiet(text: str, age: float, pregnant: bool | None) -> None:
    assert triage(text, age=age, pregnant=pregnant).red_flags == []


# round 16: false alarms of the rules on development rows, fixed by kind (each look-alike below fires on the rules before
# round 16), with the emergencies beside them that must still fire
ROUND_16_FALSE_ALARM_LOOK_ALIKES = [
    # "not breathing fast" denies fast breathing
    ("my daughter has a stuffy nose but she's not breathing fast and she's eating fine", 4, None),
    # skin scratched till it bleeds, a cracked nipple: not bleeding from the womb
    ("28 weeks pregnant, the eczema on my arms is so bad I keep scratching till it bleeds", 30, True),
    ("I'm pregnant and my nipples are cracked and bleeding", 30, True),
    # many puffs in an attack that has passed, told in the next sentence
    ("Bad asthma attack yesterday evening, used about 12 puffs of salbutamol. It eased off after half an hour, but I'm "
     "still tight this morning", 30, None),
    # a very high reading with the warning signs named and called normal (AHA: recheck and call the doctor)
    ("home BP monitor says 184/121 twice, no headache, vision normal, no chest pain", 60, None),
    # flecks of blood with a chest infection and breathless only on a hill or the stairs
    ("there are flecks of blood in my sputum with this chest infection and I get out of breath walking uphill", 45, None),
    # a worried question about ordinary doses; a decimal that is not 5 g
    ("Is that an overdose? I had 2 ibuprofen at breakfast and 2 more at lunch", 30, None),
    ("Did I overdose? 2 paracetamol at 9 and 2 more at 1, nothing else today", 30, None),
    ("吃了对乙酰氨基酚，总共2.5克，会不会有事", 30, None),
    ("took 1.5 g of paracetamol over the day", 30, None),
]

ROUND_16_STILL_FIRE = [
    ("my son is not breathing properly", 4, None, "breathing_difficulty"),
    ("he's not responding ok what do i do", 70, None, "collapse_unresponsive"),
    ("30 weeks pregnant and I'm bleeding, my skin is pale and clammy", 30, True, "pregnancy_bleeding"),
    ("pregnant, itchy down below and some bleeding", 30, True, "pregnancy_bleeding"),
    ("took 10 puffs and it still hasn't settled", 30, None, "reliever_not_working"),
    ("used my inhaler twice, still really tight and breathless", 30, None, "reliever_not_working"),
    ("BP 190/125 and my vision is blurry", 60, None, "hypertensive_emergency"),
    ("coughing up blood and short of breath", 45, None, "pulmonary_embolism"),
    ("streaks of blood in my phlegm and I'm short of breath sitting still", 45, None, "pulmonary_embolism"),
    ("coughing up blood, a bit breathless on the stairs", 45, None, "pulmonary_embolism"),
    ("I took a whole packet of paracetamol, have I overdosed?", 30, None, "poisoning_overdose"),
    ("took 20 paracetamol, have I overdosed?", 30, None, "poisoning_overdose"),
    ("Have I overdosed?? I've had 2 x 500mg paracetamol five times today, so 5000mg.", 30, None, "paracetamol_staggered"),
    ("今天对乙酰氨基酚一共吃了6000毫克", 30, None, "paracetamol_staggered"),
    ("一天吃了对乙酰氨基酚加起来6克", 30, None, "paracetamol_staggered"),
    ("took 7.5g of paracetamol yesterday", 30, None, "paracetamol_staggered"),
    ("constant tummy pain since this morning, really bad", 30, None, "abdominal_pain_red"),
    ("belly ache, it's been constant all day and I've got a temperature", 30, None, "abdominal_pain_red"),
]


@pytest.mark.parametrize("text, age, pregnant", ROUND_16_FALSE_ALARM_LOOK_ALIKES)
def test_round_16_false_alarm_kinds_stay_quiet(text: str, age: float, pregnant: bool | None) -> None:
    assert triage(text, age=age, pregnant=pregnant).red_flags == []


@pytest.mark.parametrize("text, age, pregnant, rule", ROUND_16_STILL_FIRE)
def test_round_16_the_emergencies_beside_them_still_fire(text: str, age: float, pregnant: bool | None, rule: str) -> None:
    assert rule in {f.rule_id for f in triage(text, age=age, pregnant=pregnant).red_flags}


# round 16: emergencies the triage layer missed on development rows (the guideline layer or the ladder caught them end to
# end, which a retrieval failure would lose), by kind and in paraphrase; each fails on the rules before round 16
ROUND_16_NEW_KINDS_FIRE = [
    # cauda equina: the area named before the numbness, sciatica as the back, both legs giving way; 下身发麻
    ("sciatica flared up at the weekend and since this morning my backside feels numb", 45, None, "cauda_equina"),
    ("bad back for a fortnight, now both legs are weak and giving way", 50, None, "cauda_equina"),
    ("腰疼了一个星期，现在下身发麻", 50, None, "cauda_equina"),
    # CDC urgent maternal warning signs: a faint, a swollen hot or painful calf, breathlessness after a birth
    ("32 weeks pregnant and I passed out in the supermarket", 30, None, "maternal_warning_signs"),
    ("gave birth 3 weeks ago and my right calf is swollen and hot", 30, None, "maternal_warning_signs"),
    ("baby was born 6 days ago and I'm suddenly breathless", 30, None, "maternal_warning_signs"),
    ("怀孕30周，刚才在厨房晕倒了", 30, None, "maternal_warning_signs"),
    ("剖腹产两周，左小腿又肿又疼", 30, None, "maternal_warning_signs"),
    ("36 weeks pregnant and my fingers have puffed right up, can't get my rings off", 30, None, "pre_eclampsia"),
    # NHS dehydration: a faint, or no pee all day, with vomiting or diarrhoea
    ("tummy bug for two days, I fainted getting off the toilet", 40, None, "dehydration_shock"),
    ("sickness bug, haven't peed since yesterday", 40, None, "dehydration_shock"),
    ("上吐下泻一整天，到现在一次尿都没有", 40, None, "dehydration_shock"),    # torsion with the time of waking between; a scald from a mug of tea bigger than the hand; a burn with signs of shock
    ("my boy is 13, woke up about 4am with terrible pain in one testicle", 13, None, "testicular_torsion"),
    ("my 2 year old tipped a cup of coffee down her front, the blistered area is bigger than her hand", 2, None, "serious_burn"),
    ("scalded my leg with the kettle and now I'm cold and clammy and breathing really fast", 40, None, "serious_burn"),
    # a leaking aneurysm: sudden or severe tummy pain through to the back with an age of 60+, a known aneurysm or shock
    ("my husband is 71 and has sudden terrible pain in his belly going through to his back", 71, None, "aortic_aneurysm"),
    ("爸爸72岁，突然肚子剧痛，疼到后背", 72, None, "aortic_aneurysm"),
    # pregnancy said only as weeks; a baby that "hasn't really moved"
    ("35 weeks. the baby hasn't really moved since yesterday evening", 30, None, "reduced_fetal_movements"),
    ("I'm 29 weeks and bleeding", 30, None, "pregnancy_bleeding"),
]

ROUND_16_NEW_KINDS_LOOK_ALIKES = [
    ("back ache from the long drive and my bum is numb from sitting", 40, None),
    ("my bum went numb sitting on the bike saddle for 3 hours", 40, None),
    ("28 weeks pregnant and I felt a bit faint in the queue but was fine after sitting down", 30, None),
    ("pregnant, my ankles are a bit swollen at the end of the day", 30, None),
    ("34 weeks and a bit short of breath going upstairs", 30, None),
    ("I fainted 3 years ago when I was pregnant with my son", 35, None),
    ("gave birth 2 weeks ago, a bit out of breath carrying the pram up the hill", 30, None),
    ("been sick twice and weeing less than usual", 40, None),
    ("diarrhoea since yesterday, a bit dizzy when I stand up", 40, None),
    ("been throwing up since lunch and haven't had a wee since this morning", 40, None),
    ("拉肚子两天，尿少，站起来有点头晕", 40, None),
    ("吐了一天，一天都没怎么尿", 40, None),
    ("怀孕七个月，脚踝傍晚有点肿", 30, None),
    ("以前怀孕的时候晕倒过一次", 35, None),    ("woke up at 7 with a sore throat and sore ears", 30, None),
    ("burnt my finger on the kettle, it's red and sore", 30, None),
    ("I'm 30, bad back ache and tummy pain with this stomach bug", 30, None),
    ("12 weeks of physio and my knee still hurts, some bleeding from the graze", 40, None),
    ("I'm 20 weeks post-op and bleeding a little from the wound", 50, None),
    ("my baby hasn't really moved his bowels today", 0.5, None),
]


@pytest.mark.parametrize("text, age, pregnant, rule", ROUND_16_NEW_KINDS_FIRE)
def test_round_16_missed_kinds_fire(text: str, age: float, pregnant: bool | None, rule: str) -> None:
    assert rule in {f.rule_id for f in triage(text, age=age, pregnant=pregnant).red_flags}


@pytest.mark.parametrize("text, age, pregnant", ROUND_16_NEW_KINDS_LOOK_ALIKES)
def test_round_16_missed_kinds_look_alikes_stay_quiet(text: str, age: float, pregnant: bool | None) -> None:
    assert triage(text, age=age, pregnant=pregnant).red_flags == []


# round 16 (lead, from urgency_dev20 and emerg17's note): a feverish child told as what the parent sees, not by the word
ROUND_16_FEVERISH_CHILD_FIRES = [
    ("My son is 3 and has had a temperature since yesterday. I tried to get him up for tea and he just groans and his eyes "
     "close again.", 3),
    ("our toddler has a fever of 39, she just lies there and won't look at us", 2),
    ("my 4 year old is burning up, 39.4, and I can't get her to respond properly, she won't open her eyes", 4),
    ("baby has a temperature of 38.6 and his eyes rolled back for a second, he doesn't seem to know me", 0.8),
]
ROUND_16_FEVERISH_CHILD_LOOK_ALIKES = [
    ("my son just groans when I ask him to tidy his room", 12),
    ("my daughter (4) has a temperature, tired but chatting and watching telly", 4),
    ("my 5 year old has a temperature and is grumpy, just lies there watching cartoons and eating crisps", 5),
    ("toddler with a temp, eyes keep closing, it's his nap time", 2),
]


@pytest.mark.parametrize("text, age", ROUND_16_FEVERISH_CHILD_FIRES)
def test_round_16_a_feverish_child_who_does_not_respond_fires(text: str, age: float) -> None:
    assert "unrousable_child" in {f.rule_id for f in triage(text, age=age).red_flags}


@pytest.mark.parametrize("text, age", ROUND_16_FEVERISH_CHILD_LOOK_ALIKES)
def test_round_16_a_feverish_child_who_responds_stays_quiet(text: str, age: float) -> None:
    assert triage(text, age=age).red_flags == []


def test_round_17_spots_whose_colour_does_not_go_under_a_pressed_glass_in_chinese() -> None:
    from rag.safety.triage import triage

    text = "今天身上出了些小红点，刚才拿杯子压了一下那些点颜色不退，还是紫红的。他精神还可以，就是有点蔫。"
    assert "meningitis" in {f.rule_id for f in triage(text, age=2.5).red_flags}
    for quiet in ("压了一下，疼痛不退", "蚊子包按了一下颜色就退了"):
        assert triage(quiet, age=2.5).red_flags == [], quiet


def test_a_heart_attack_told_without_chest_pain() -> None:
    # rules 2026.12.17 (round 19): jaw, arm or "indigestion" discomfort with sweat or a grey colour and sickness,
    # breathlessness or a sudden start (AHA/ACC 2021's anginal equivalents), in English and Chinese
    for text in ("since this morning I feel really unwell, sick and clammy, my jaw aches and I'm exhausted",
                 "feel sick and sweaty, heavy feeling in both arms, came on an hour ago while gardening",
                 "indigestion that wont go away with gaviscon, sweaty and grey, came on 40 min ago",
                 "下巴酸，出冷汗，恶心"):
        assert "heart_attack_no_chest_pain" in {f.rule_id for f in triage(text).red_flags}, text
    # one or two of the parts, night sweats, or a jaw ache after the dentist are not it
    for text in ("heartburn after a curry most nights, no sweating", "heartburn and night sweats for a month, feel sick after meals",
                 "my jaw aches after the dentist pulled a tooth, sweaty and sick with nerves", "jaw ache and feeling sick"):
        assert "heart_attack_no_chest_pain" not in {f.rule_id for f in triage(text).red_flags}, text


def test_a_sudden_headache_said_to_kill_in_chinese() -> None:
    # rules 2026.12.17 (round 19): 突然 + 头疼得要命/要死 is a thunderclap headache; English typed for the idiom (要die) too
    for text in ("头突然疼得要命", "突然头疼得要死，一直吐", "头疼得要die，突然的，一直吐"):
        assert "thunderclap_headache" in {f.rule_id for f in triage(text).red_flags}, text
    assert triage("头疼得要死，感冒三天了").urgency is None  # severe but not sudden: not this rule


def test_a_heart_attack_in_a_diabetic_without_chest_pain_or_sweat() -> None:
    # rules 2026.12.17 (round 19, dev23): arm, back or jaw discomfort, sickness and weakness in someone with diabetes
    for text in ("我妈68 糖尿病 今天一直说没力气 恶心想吐 左边胳膊酸 后背也不得劲 她说胸口不疼应该不是心脏吧",
                 "my mum is diabetic, feels weak and sick today, her left arm aches"):
        assert "heart_attack_no_chest_pain" in {f.rule_id for f in triage(text).red_flags}, text
    assert triage("my mum feels weak and sick today, her left arm aches").urgency is None  # no diabetes named


def test_a_head_injury_told_with_the_part_of_the_head_or_on_a_blood_thinner() -> None:
    # rules 2026.12.18 (round 20): "banged the back of my head" (four words between the verb and "head"), 后脑勺磕了
    # (the head before the verb), and any head injury on an anticoagulant (NICE NG232: current anticoagulant treatment)
    for text in ("I fell and banged the back of my head yesterday, got a lump, today I've been sick twice and keep dozing off",
                 "昨天摔了一跤，后脑勺磕了个包，今天吐了两次，一直想睡",
                 "bumped my head on a kitchen cupboard an hour ago, I'm on warfarin, feel ok just a bit of a headache",
                 "我爸72岁，吃着华法林，今天早上摔了一跤磕到头了，现在说头有点疼"):
        assert "head_injury" in {f.rule_id for f in triage(text).red_flags}, text
    for text in ("bumped my head on the car door, small lump, not sick, feel fine",
                 "I'm on warfarin and my INR check is due next week", "后脑勺有点疼，昨晚没睡好"):
        assert triage(text).urgency is None, text


def test_worried_it_is_a_heart_attack_about_chest_wall_pain_in_chinese() -> None:
    # rules 2026.12.18 (round 20, dev24): 会不会是心梗 about pain a press or a turn brings on after lifting, with no alarm sign
    # (the English rule's chest_wall, in Chinese)
    assert triage("搬了一天家，今天左边胸口按着一个地方就疼，转身也疼，不按就不疼。我才26，会不会是心梗啊？不喘也不出汗").urgency is None
    for text in ("搬了一天家，胸口按着疼，会不会是心梗，出了一身冷汗", "胸口疼了一个小时，会不会是心梗"):
        assert triage(text).urgency == "emergency", text


def test_reactions_to_a_medicine_that_are_emergencies() -> None:
    # rules 2026.12.19 (round 21, medicines; probes written before the round's sets were seen)
    cases = (("a week after starting lamotrigine I've got a rash with blisters, sore mouth and sore red eyes and a temperature",
              "severe_drug_reaction"),
             ("started amoxicillin, rash all over now blistering and peeling, mouth ulcers", "severe_drug_reaction"),
             ("吃了别嘌醇一周，全身起疹子还起水泡，嘴里都烂了，发烧", "severe_drug_reaction"),
             ("on lisinopril, bottom lip a bit puffy this morning, breathing fine", "ace_inhibitor_angioedema"),
             ("吃了依那普利半年了，今天早上起来嘴唇肿了", "ace_inhibitor_angioedema"),
             ("on morphine for my back, my husband says my breathing is slow and shallow", "opioid_toxicity"),
             ("我爸吃了止痛药（曲马多）以后一直很困，叫他反应慢，呼吸很浅", "opioid_toxicity"))
    for text, rule in cases:
        assert rule in {f.rule_id for f in triage(text).red_flags}, text
    # look-alikes: a cold sore's blisters with a flu-like feeling, blisters from new shoes, a lip swollen after a sting
    # with no ACE inhibitor, a bit sleepy on co-codamol, and "April"
    for text in ("cold sore blisters on my lip, started yesterday, feel a bit flu-like", "blisters on my heel from new shoes",
                 "April, my lip is swollen after a bee sting, breathing fine", "a bit sleepy on co-codamol but fine otherwise",
                 "嘴唇上起了几个小水泡，有点发烧"):
        assert not {"severe_drug_reaction", "ace_inhibitor_angioedema", "opioid_toxicity"} & \
            {f.rule_id for f in triage(text).red_flags}, text


def test_overdoses_told_as_a_count_at_once_a_missing_strip_or_too_much_insulin() -> None:
    # rules 2026.12.19 (round 21, dev25)
    for text in ("I took 8 paracetamol 500mg all in one go about an hour ago because my migraine was so bad",
                 "My 2 year old got into his nan's handbag and we've found her amlodipine strip with 3 tablets missing. "
                 "He might have eaten them, we're not sure.",
                 "my husband accidentally took a double dose of his insulin tonight",
                 "我老公晚上不小心打了两次长效胰岛素，多打了16个单位，现在还没有不舒服",
                 "我老婆跟我吵完架把一整盒对乙酰氨基酚都吃了，二十片左右，一个小时前吃的",
                 "Been on ramipril for two years. Since this morning my top lip feels tingly and a tiny bit puffy.",
                 "儿子吃阿莫西林一个礼拜了，今天烧到39度，全身红疹子，嘴里烂了好几块，眼睛红红的，有的地方起水泡了"):
        assert triage(text).urgency == "emergency", text
    for text in ("took 2 paracetamol and then 2 more 6 hours later", "吃了二十多天药了，没什么效果",
                 "took 2 paracetamol at once for my headache", "my insulin pen is running out, when do I reorder"):
        assert triage(text).urgency is None, text
