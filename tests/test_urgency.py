"""The urgency ladder's logic on hand-made guideline passages (no model, no store): facts and numbers,
criterion matching, levels and reasons, self-care, model escalation, departments, condensing history."""

from __future__ import annotations

import re

import pytest

from rag.consult import _apply_urgency, condense_history
from rag.safety.urgency import (
    criteria_of,
    decide_urgency,
    escalate_by_model,
    extract_facts,
    fallback_department,
    match_criteria,
    out_of_scope,
    valid_department,
)
from rag.types import Passage

GUIDE = "Diarrhoea (test)"


def passage(section: str, text: str, doc_id: str = "diarrhoea-test", title: str = GUIDE, n: int = 0) -> Passage:
    return Passage(chunk_id=f"{doc_id}-{n}-{abs(hash(section)) % 1000}", doc_id=doc_id, title=title, publisher="Test",
                   version="1", source=f"{doc_id}.md", section=f"{title} > {section}", page_start=1, page_end=1,
                   text=text, language="zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en")


RED = passage("3 Red flags: seek emergency care now",
              "- A baby or young child who is floppy, unusually sleepy, or refusing to drink.\n- Bloody or black stools.", n=1)
SEEK = passage("5 When to see a clinician", "See a doctor if:\n\n- diarrhoea lasts more than 2 days in an adult;\n"
               "- there is a fever of 102 °F (38.9 °C) or higher;\n- diarrhoea lasts more than 4 weeks (chronic).", n=2)
SELF = passage("4 Self-care at home", "- Drink more fluids, taking small frequent sips of oral rehydration solution.", n=3)
SCOPE = passage("1 Who this applies to", "Anyone with loose, watery stools: diarrhoea, the runs.", n=4)
ZH_SEEK = passage("5 何时就诊及科室", "- 发热持续5天及以上；\n- 孩子喝水明显减少，或家长感到担心。", doc_id="fever-children-zh",
                  title="儿童发热", n=5)
ALL = [SCOPE, RED, SELF, SEEK]


@pytest.mark.parametrize(("text", "kw", "temp", "days", "age"), [
    ("fever of 101.5F for 4 days", {}, 38.6, 4, None),
    ("temperature 39.2 since this morning", {}, 39.2, 0.5, None),
    ("my 6 week old has felt hot for a week", {}, None, 7, 6 * 7 / 365),
    ("宝宝两个月大，发烧38.5度，已经三天了", {}, 38.5, 3, 60 / 365),
    ("咳嗽两周了", {}, None, 14, None),
    ("coughing for a couple of months", {"age": 40}, None, 60, 40),
    ("34 weeks pregnant with a headache", {}, None, None, None),
])
def test_numbers_are_understood(text: str, kw: dict[str, float], temp: float | None, days: float | None,
                                age: float | None) -> None:
    f = extract_facts(text, **kw)
    assert f.temperature_c == (pytest.approx(temp, abs=0.1) if temp is not None else None)
    assert f.duration_days == (pytest.approx(days) if days is not None else None)
    assert f.age_years == (pytest.approx(age, rel=0.05) if age is not None else None)


def test_pregnancy_weeks_are_not_a_duration() -> None:
    f = extract_facts("34 weeks pregnant with a headache")
    assert f.pregnant is True and f.pregnancy_weeks == 34 * 7 and f.duration_days is None


def test_duration_criterion_quoted_and_level_explained() -> None:
    d = decide_urgency(extract_facts("diarrhoea for four days, no blood", age=40), ALL, red_flag_labels=[], language="en",
                       ranked_doc_ids=["diarrhoea-test"])
    assert d.level == "soon" and d.basis == "criterion"
    assert "diarrhoea lasts more than 2 days in an adult" in d.reason and "4 days ≥ 2 days" in d.reason
    assert d.passage is SEEK


def test_weeks_long_criterion_is_routine_and_temperature_threshold_in_fahrenheit() -> None:
    chronic = decide_urgency(extract_facts("diarrhoea for 5 weeks", age=50), ALL, red_flag_labels=[], language="en")
    # both criteria hold; the longer one says what this is (round 8: it was the more urgent one before)
    assert chronic.level == "routine" and "4 weeks" in chronic.matches[0].clause
    hot = decide_urgency(extract_facts("diarrhoea since yesterday and a temperature of 103F", age=30), ALL,
                         red_flag_labels=[], language="en")
    assert hot.level == "soon" and "38.9" in hot.reason
    cool = decide_urgency(extract_facts("diarrhoea since yesterday, temperature 37.9", age=30), ALL, red_flag_labels=[],
                          language="en", ranked_doc_ids=["diarrhoea-test"])
    assert cool.level == "self_care"


def test_guideline_red_flag_with_age_makes_an_emergency_only_for_a_child() -> None:
    child = decide_urgency(extract_facts("孩子拉肚子三天了，现在软绵绵的，不肯喝水", age=2), ALL, red_flag_labels=[],
                           language="zh")
    assert child.level == "emergency" and "refusing to drink" in child.reason
    adult = decide_urgency(extract_facts("I feel floppy and tired with diarrhoea since yesterday", age=30), ALL,
                           red_flag_labels=[], language="en", ranked_doc_ids=["diarrhoea-test"])
    assert adult.level != "emergency"


def test_negation_blocks_a_criterion() -> None:
    d = decide_urgency(extract_facts("loose stools since yesterday, no blood in the stool", age=30), ALL, red_flag_labels=[],
                       language="en", ranked_doc_ids=["diarrhoea-test"])
    assert d.level == "self_care" and "oral rehydration" in d.reason


def test_self_care_needs_a_guideline_about_this_presentation() -> None:
    d = decide_urgency(extract_facts("my elbow clicks when I bend it", age=30), ALL, red_flag_labels=[], language="en",
                       ranked_doc_ids=["diarrhoea-test"])
    assert d.level == "soon" and d.basis == "no_criterion" and "no self-care" in d.reason


def test_no_criterion_in_a_young_baby_is_never_self_care() -> None:
    d = decide_urgency(extract_facts("loose stools since yesterday", age=0.1), ALL, red_flag_labels=[], language="en",
                       ranked_doc_ids=["diarrhoea-test"])
    assert d.level == "soon" and "under 3 months" in d.reason


def test_chinese_duration_criterion() -> None:
    d = decide_urgency(extract_facts("孩子发烧第5天了，精神还可以", age=3), [ZH_SEEK], red_flag_labels=[], language="zh")
    assert d.level == "soon" and "发热持续5天及以上" in d.reason
    early = decide_urgency(extract_facts("孩子发烧两天了", age=3), [ZH_SEEK], red_flag_labels=[], language="zh")
    assert early.level != "soon" or early.basis != "criterion"


def test_red_flags_always_win_and_reason_says_so() -> None:
    d = decide_urgency(extract_facts("diarrhoea for 4 days", age=40), ALL, red_flag_labels=["chest pain"], language="en")
    assert d.level == "emergency" and "chest pain" in d.reason


def test_model_may_raise_only_with_a_cited_criterion() -> None:
    facts = extract_facts("diarrhoea for four days", age=40)
    base = decide_urgency(facts, [SELF], red_flag_labels=[], language="en", ranked_doc_ids=["diarrhoea-test"])
    assert base.level == "self_care"
    unbacked = escalate_by_model(base, "emergency", [SELF], facts, "en")
    assert unbacked.level == "self_care"
    backed = escalate_by_model(base, "emergency", [SEEK], facts, "en")
    assert backed.level == "soon" and backed.basis == "model"  # raised only as far as the cited criterion goes
    lower = escalate_by_model(backed, "self_care", [SEEK], facts, "en")
    assert lower.level == "soon"


def test_departments_are_validated() -> None:
    assert valid_department("Emergency department") and valid_department("急诊科") and valid_department("Primary care")
    assert not valid_department("self_care") and not valid_department("") and not valid_department("none")
    f = extract_facts("fever", age=0.5)
    assert "Paediatric" in fallback_department("emergency", f, "en")


def test_emergency_answer_has_no_reassurance() -> None:
    from rag.answer.schema import Advice, Citation, Condition, GeneratorInfo, SeekCare, SelfCareItem

    cites = [Citation(n=1, chunk_id=RED.chunk_id, doc_id="d", title=GUIDE, publisher="", version="1", source="", section=RED.section,
                      pages="1", quote="", retrieval_score=0.5),
             Citation(n=2, chunk_id=SELF.chunk_id, doc_id="d", title=GUIDE, publisher="", version="1", source="",
                      section=SELF.section, pages="1", quote="", retrieval_score=0.5)]
    advice = Advice(trace_id="t", language="en", urgency="soon", red_flags=[], evidence_sufficient=True,
                    possible_conditions=[Condition(name="Gastroenteritis", rationale="r", confidence="medium", citations=[2])],
                    self_care=[SelfCareItem(advice="Lie the child on their side", confidence="high", citations=[1]),
                               SelfCareItem(advice="Drink fluids, it usually settles", confidence="high", citations=[2])],
                    seek_care=SeekCare(needed=True, urgency="soon", department="self_care", reason="", citations=[]),
                    suggested_tests=[], citations=cites, generator=GeneratorInfo(backend="x", model="x", prompt_version="p"),
                    disclaimer="d")
    facts = extract_facts("floppy and refusing to drink", age=1)
    decision = decide_urgency(facts, ALL, red_flag_labels=[], language="en")
    out = _apply_urgency(advice, decision, facts, "en")
    assert out.urgency == "emergency" and out.seek_care.urgency == "emergency"
    assert [s.advice for s in out.self_care] == ["Lie the child on their side"]
    assert out.possible_conditions[0].name.endswith("to be assessed urgently")
    assert "emergency" in out.seek_care.department.lower()
    assert out.seek_care.citations == [1]


def test_criteria_skip_pointer_sentences() -> None:
    p = passage("5 When to see a clinician", "See a doctor if it lasts more than 3 days. Red flags need the emergency department.")
    texts = [c.text for c in criteria_of([p])]
    assert texts == ["See a doctor if it lasts more than 3 days."]


def test_condense_history_never_returns_empty_and_reports_what_it_dropped() -> None:
    from rag.consult import _condense

    record = "patient reports " + " ".join(f"item{i} stable no change" for i in range(300))  # no punctuation
    assert len(record) > 600
    kept = condense_history(record, "asthma cough")
    assert kept and len(kept) <= 600
    kept2, dropped = _condense(record, "asthma cough", 600)
    assert kept2 == kept and dropped
    assert len(kept2) + sum(len(d) for d in dropped) >= len(record) - len(dropped) - 2


# --- blood pressure and blood sugar as numbers (issue 10, third round) ----------------------------

BP_SEEK = passage("5 When to see a clinician and which department",
                  "Contact your clinician the same day if a repeat reading is still 180/120 mmHg or higher and you have no "
                  "symptoms.\n\nSee your clinician within a few days if home readings are often 160/100 mmHg or higher.\n\n"
                  "See your primary care doctor for a regular review if home readings are regularly 130/80 mmHg or higher.",
                  doc_id="bp-test", title="High blood pressure (test)", n=6)
BP_RED = passage("3 Red flags: seek emergency care now",
                 "In pregnancy, a reading of 140/90 or higher, or a severe headache or vision changes, needs urgent assessment.",
                 doc_id="bp-test", title="High blood pressure (test)", n=7)
SUGAR_SEEK = passage("5 When to see a clinician and which department",
                     "Contact your clinician the same day if your blood sugar stays above 15 mmol/L (270 mg/dL) while you are ill."
                     "\n\nBook a routine appointment if a check-up or home test shows a fasting blood sugar of 7.0 mmol/L "
                     "(126 mg/dL) or higher, to confirm the diagnosis.", doc_id="dm-test", title="Diabetes (test)", n=8)


@pytest.mark.parametrize(("text", "bp", "sugar"), [
    ("BP 185/110 twice this morning", (185, 110), None),
    ("pharmacy said 146/92, at home about 142/90", (146, 92), None),
    ("his pressure was 160 over 100", (160, 100), None),
    ("sugar was 250 this morning", None, 13.9),
    ("morning readings usually 7-8 mmol", None, 8.0),
    ("糖尿病十年了，血糖一直二十几，嘴巴特别干", None, 23.0),
    ("空腹血糖一般7点几", None, 7.5),
    ("my meter just says HI and he's drowsy", None, 33.3),
    ("diarrhoea 3/7 for 24/7 of the day, 2 days", None, None),  # not blood pressure: implausible pairs
])
def test_blood_pressure_and_sugar_are_read_as_numbers(text: str, bp: tuple[int, int] | None, sugar: float | None) -> None:
    f = extract_facts(text)
    assert f.blood_pressure == bp
    assert f.glucose_mmol == sugar
    if bp or sugar:
        assert not f.readings  # understood numbers no longer count as "a measurement a clinician should interpret"


@pytest.mark.parametrize(("text", "level"), [
    ("BP 185/110 twice, no headache, feel fine", "urgent"),
    ("home readings about 160/100 most days", "soon"),
    ("pharmacy BP check said 146/92", "routine"),
    ("BP 125/78, feel fine", None),
])
def test_blood_pressure_thresholds_of_the_guideline_set_the_level(text: str, level: str | None) -> None:
    matches = [m for m in decide_urgency(extract_facts(text, age=60), [BP_SEEK, BP_RED], red_flag_labels=[],
                                         language="en").matches]
    assert (matches[0].level if matches else None) == level
    if level:
        assert "blood pressure" in matches[0].grounds


def test_an_opening_in_pregnancy_holds_for_every_part_of_the_statement() -> None:
    not_pregnant = decide_urgency(extract_facts("BP 150/95", age=30, sex="female"), [BP_RED], red_flag_labels=[], language="en")
    pregnant = decide_urgency(extract_facts("BP 150/95", age=30, sex="female", pregnant=True), [BP_RED], red_flag_labels=[],
                              language="en")
    assert not not_pregnant.matches
    # (round 8: listed with the red flags but "needs urgent assessment" is the guideline's own same-day time frame)
    assert pregnant.level == "urgent"


@pytest.mark.parametrize(("text", "level"), [
    ("type 2, sick with flu, sugars in the 20s for two days", "urgent"),
    ("体检发现空腹血糖7.2，没有什么不舒服", "routine"),  # a routine cue in the action part ("Book a routine appointment")
    ("fasting sugar 5.4", None),
])
def test_blood_sugar_thresholds_of_the_guideline_set_the_level(text: str, level: str | None) -> None:
    d = decide_urgency(extract_facts(text, age=55), [SUGAR_SEEK], red_flag_labels=[], language="en")
    assert (d.matches[0].level if d.matches else None) == level


def test_a_decimal_threshold_is_not_cut_into_two_sentences() -> None:
    texts = [cr.text for cr in criteria_of([SUGAR_SEEK])]
    assert any("7.0 mmol/L (126 mg/dL) or higher" in t for t in texts)


def test_how_often_is_not_an_age_and_two_or_three_months_is_not_twenty_three() -> None:
    zh = passage("5 何时就诊及科室", "到内分泌科定期复查，糖化血红蛋白一般每3–6个月查一次。", doc_id="dm-zh", title="糖尿病", n=9)
    d = decide_urgency(extract_facts("想问下糖化血红蛋白多久查一次", age=60), [zh], red_flag_labels=[], language="zh")
    assert d.matches and d.matches[0].level == "routine"
    assert extract_facts("这两三个月经常头疼").duration_days == 60


# --- list fragments, groups and denials (issue 10, third round) -----------------------------------

BURN_RED = passage("3 Red flags: seek emergency care now",
                   "- burns that go all the way around a limb or the chest;\n"
                   "- burns in babies, young children, pregnant people, older adults, or people with diabetes;",
                   doc_id="burns-test", title="Burns and scalds", n=10)
RASH_RED = passage("3 危险信号：立即就医", "- 舌头、嘴唇或喉咙肿胀，声音嘶哑，吞咽困难；", doc_id="rash-test", title="皮疹", n=11)
AORTA = passage("3 Red flags: seek emergency care now", "In older adults, severe pain spreading to the back.",
                doc_id="belly-test", title="Abdominal pain", n=12)
UTI_SEEK = passage("5 When to see a clinician", "See a doctor if:\n\n- you are a man, pregnant, or the patient is a child;",
                   doc_id="uti-test", title="Urinary tract infection", n=13)


def _levels(text: str, passages: list[Passage], **kw: object) -> list[str]:
    return [m.level for m in decide_urgency(extract_facts(text, **kw), passages, red_flag_labels=[],  # type: ignore[arg-type]
                                            language="zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en").matches]


def test_a_body_part_cut_from_a_list_does_not_match_on_its_own() -> None:
    assert _levels("ate too much, burning in my upper chest, burping", [BURN_RED], age=45) == []
    assert _levels("身上起了红疹子，嘴唇眼睛都不肿，喘气正常", [RASH_RED], age=30) == []
    assert _levels("嘴唇肿起来了", [RASH_RED], age=30) == ["emergency"]


def test_a_group_in_a_list_about_the_subject_needs_the_subject() -> None:
    assert _levels("my toddler pulled hot tea over himself, the burn covers his arm", [BURN_RED], age=2) == ["emergency"]
    assert _levels("burning when I pee, started yesterday", [BURN_RED], age=29, pregnant=True) == []
    # a sentence that does not name its guideline's subject keeps its groups as criteria of their own, for a patient
    # with that subject: the answer is about the guideline and the patient names a sign in its text (round 11; before,
    # "you are pregnant" held for any pregnant woman whose question retrieved the guideline)
    facts = extract_facts("burning when I pee, started yesterday", age=29, pregnant=True)
    scope = passage("2 Symptoms", "Burning when you pee, needing to pee often.", doc_id="uti-test", title="Urinary tract infection", n=14)
    assert [m.level for m in match_criteria(facts, criteria_of([UTI_SEEK]), {"uti-test"}, [scope, UTI_SEEK])] == ["soon"]
    assert match_criteria(facts, criteria_of([UTI_SEEK])) == []
    toothache = extract_facts("22 weeks pregnant, toothache keeping me awake", age=29, pregnant=True)
    assert match_criteria(toothache, criteria_of([UTI_SEEK]), {"uti-test"}, [scope, UTI_SEEK]) == []
    # (the decision itself is same day: a urine infection in pregnancy, round 10)
    assert decide_urgency(facts, [UTI_SEEK], red_flag_labels=[], language="en").level == "urgent"


def test_an_opening_age_group_holds_for_the_whole_statement() -> None:
    assert _levels("severe pain in my belly spreading to the back", [AORTA], age=30) == []
    assert _levels("severe pain in my belly spreading to the back", [AORTA], age=72) == ["emergency"]


def test_a_chinese_denial_covers_a_run_of_symptoms_and_plurals_meet_their_concept() -> None:
    from rag.safety.urgency.terms import _tokens
    assert {"not_cchest_pain", "not_cbreathless"} <= _tokens("没有胸闷气短")
    assert "cburn" in _tokens("Burns and scalds") and "cheadache" in _tokens("my migraines")


def test_the_most_urgent_clause_of_a_matched_criterion_sets_its_level() -> None:
    fever = passage("5 When to see a clinician", "See your doctor if the fever keeps coming back, or lasts more than 5 days.",
                    doc_id="fever-test", title="Fever", n=14)
    # the first clause alone would say routine (recurring); the second, which also holds, says within days
    assert _levels("fever keeps coming back, 6 days now", [fever], age=40) == ["soon"]


def test_a_colour_beside_a_body_part_is_not_the_sentence_symptom() -> None:
    cellulitis = passage("3 Red flags: seek emergency care now", "- a rapidly spreading red, hot, painful area of skin with fever;",
                         doc_id="skin-test", title="Skin", n=15)
    assert _levels("touched the oven tray, small red patch on my finger, no blisters", [cellulitis], age=30) == []


def test_yearly_is_not_early_and_an_overdue_review_is_routine() -> None:
    diabetes = passage("5 When to see a clinician", "Book a routine appointment if your yearly eye check (ophthalmology), foot "
                       "check (podiatry) or kidney tests are due.", doc_id="dm-test", title="Type 2 diabetes", n=16)
    asthma = passage("5 When to see a clinician", "Book a routine appointment if your asthma review is overdue (it is due once "
                     "a year).", doc_id="asthma-test", title="Asthma", n=17)
    assert _levels("type 2 diabetic, when am I due for eye and foot checks?", [diabetes], age=60) == ["routine"]
    assert _levels("my asthma is ok, havent had a review in over a year", [asthma], age=19) == ["routine"]


def test_out_of_scope_only_when_nothing_clinical_is_named() -> None:
    from rag.safety.urgency import out_of_scope

    d = out_of_scope(extract_facts("how do I get red wine out of a carpet"), "how do I get red wine out of a carpet", "en")
    assert d is not None and d.basis == "out_of_scope" and "outside what clinrag covers" in d.reason
    zh = out_of_scope(extract_facts("个人所得税怎么申报"), "个人所得税怎么申报", "zh")
    assert zh is not None and "不在clinrag的范围内" in zh.reason
    for text in ("temperature of 38.9 since yesterday", "my knee clicks when I walk", "is it ok to take ibuprofen with coffee",
                 "I have diabetes, what can I eat", "孩子发烧了"):
        assert out_of_scope(extract_facts(text), text, "en") is None, text
    assert out_of_scope(extract_facts("can I fly next month", pregnant=True), "can I fly next month", "en") is None


def test_blood_pressure_at_a_sentence_end_and_cant_without_apostrophe() -> None:
    assert extract_facts("home readings mostly around 165/104. no symptoms").blood_pressure == (165, 104)
    assert "cweight_bear" in extract_facts("now i cant put any weight on it at all").tokens
    # "hands and face fine": the body parts are reported normal
    tokens = extract_facts("ankles a bit puffy by the evening. hands and face fine").tokens
    assert "not_chand" in tokens and "not_cface" in tokens


BLISTER_RED = passage("3 Red flags: seek emergency care now",
                   "- burns to the face, hands, arms, feet, legs, genitals or across a joint that cause blisters;", doc_id="burns-test",
                   title="Burns and scalds", n=6)
BLISTER_SELF = passage("4 Self-care at home", "- Cool the burn with cool running water for 20 minutes.", doc_id="burns-test",
                    title="Burns and scalds", n=7)
BLISTER_SCOPE = passage("1 Who this applies to", "Anyone with a burn or scald.", doc_id="burns-test", title="Burns and scalds", n=8)
BLISTER_BURNS = [BLISTER_SCOPE, BLISTER_RED, BLISTER_SELF]


def test_a_body_part_names_its_region() -> None:
    """"forearm" is an arm and "palm" or "fingers" a hand: a criterion about blistering burns to the arms or hands holds."""
    for text in ("spilled boiling water on my forearm, there's a blister", "grabbed a hot tray, my palm and two fingers have big blisters"):
        d = decide_urgency(extract_facts(text, age=38), BLISTER_BURNS, red_flag_labels=[], language="en", ranked_doc_ids=["burns-test"])
        assert d.level == "emergency" and "blister" in d.reason, (text, d.reason)
    small = decide_urgency(extract_facts("tiny burn on my finger from the kettle, red, no blisters", age=38), BLISTER_BURNS,
                           red_flag_labels=[], language="en", ranked_doc_ids=["burns-test"])
    assert small.level == "self_care", small.reason


def test_worse_is_a_course_not_a_time_of_day() -> None:
    assert "cworse" not in extract_facts("dry cough for 8 weeks, worse at night").tokens
    assert "cworse" in extract_facts("my cough is getting worse").tokens
    assert "not_cworse" in extract_facts("it is not getting worse").tokens


def test_no_criterion_but_lasting_recurring_or_not_improving_is_a_routine_appointment() -> None:
    for text in ("loose stools for 6 weeks now", "loose stools keep coming back", "loose stools, not getting better"):
        d = decide_urgency(extract_facts(text, age=30), [SCOPE, SELF], red_flag_labels=[], language="en",
                           ranked_doc_ids=["diarrhoea-test"])
        assert d.level == "routine" and d.basis == "no_criterion" and "book a routine appointment" in d.reason, (text, d.reason)
    short = decide_urgency(extract_facts("loose stools since yesterday", age=30), [SCOPE, SELF], red_flag_labels=[],
                           language="en", ranked_doc_ids=["diarrhoea-test"])
    assert short.level == "self_care"


def test_a_symptom_after_starting_a_medicine_or_getting_worse_is_never_self_care() -> None:
    for text in ("started amoxicillin 2 days ago, now loose stools", "loose stools since I started new tablets",
                 "loose stools and getting worse"):
        d = decide_urgency(extract_facts(text, age=30), [SCOPE, SELF], red_flag_labels=[], language="en",
                           ranked_doc_ids=["diarrhoea-test"])
        assert d.level == "soon", (text, d.reason)
    assert not extract_facts("I started coughing yesterday").new_medicine


def test_a_low_reading_is_a_hypo_and_chinese_persistence_is_met_by_the_days() -> None:
    assert "chypo" in extract_facts("测血糖3.2，吃了糖就好了").tokens
    assert "chypo" not in extract_facts("blood sugar 6.1 this morning").tokens
    zh = passage("5 何时就诊及科室", "- 发热超过3天不退：到发热门诊就诊。", doc_id="fever-zh-test", title="成人发热", n=9)
    d = decide_urgency(extract_facts("发烧已经四天了，38度左右，吃退烧药能退", age=40), [zh], red_flag_labels=[], language="zh")
    assert d.level == "soon" and d.basis == "criterion", d.reason


TESTIS_RED = passage("3 Red flags: seek emergency care now",
                     "- Sudden, severe pain in a testicle, especially with swelling or vomiting (possible testicular torsion).\n"
                     "- Being unable to pee at all, with a painful swollen bladder.", doc_id="sti-test", title="STIs", n=14)
ASTHMA_RED = passage("3 Red flags: seek emergency care now", "- Peak flow in the red zone (below 50% of your best).",
                     doc_id="asthma-test", title="Asthma", n=15)


def test_a_qualifier_stands_alone_only_when_all_of_it_is_the_patients_and_the_sign_is_not_denied() -> None:
    assert _levels("woke up in agony in his left testicle, it's swollen and he has thrown up", [TESTIS_RED], age=14,
                   sex="male") == ["emergency"]
    assert _levels("my testicle has got swollen and painful over 2 days, it didn't come on suddenly", [TESTIS_RED], age=25,
                   sex="male") == []
    assert _levels("my ankle is swollen and painful", [TESTIS_RED], age=25, sex="male") == []


def test_a_percentage_ceiling_of_the_criterion_is_compared() -> None:
    assert _levels("asthma worse, peak flow about 60% of my best", [ASTHMA_RED], age=29) == []
    assert _levels("asthma worse, peak flow only 40% of my best", [ASTHMA_RED], age=29) == ["emergency"]
    assert _levels("asthma worse, my peak flow is in the red zone", [ASTHMA_RED], age=29) == ["emergency"]


PREG_RED = passage("3 Red flags: seek emergency care now", "Call emergency services or get immediate care for:\n\n"
                   "- baby's movement stopping or slowing during pregnancy;", doc_id="preg-test", title="Pregnancy warning signs", n=16)
HEART_SEEK = passage("5 何时就诊及科室", "- 反酸、烧心、饭后胸骨后烧灼感：看消化内科。", doc_id="chest-zh-test", title="胸痛", n=17)
CHEST_RED = passage("3 危险信号：立即就医", "- 胸痛、胸闷、呼吸困难；", doc_id="fever-zh-test", title="成人发热", n=18)


def test_reduced_fetal_movements_are_the_pregnant_patients_red_flag_not_a_babys() -> None:
    assert _levels("I'm 34 weeks pregnant and the baby has been moving less than usual today", [PREG_RED], age=30,
                   sex="female", pregnant=True) == ["emergency"]
    assert _levels("34周了，今天胎动明显减少", [PREG_RED], age=30, sex="female", pregnant=True) == ["emergency"]


def test_burning_in_the_chest_after_meals_is_not_chest_pain() -> None:
    assert _levels("吃完饭胸口烧得慌，老是反酸", [HEART_SEEK, CHEST_RED], age=40) == ["soon"]
    assert _levels("胸口像被压着一样痛", [HEART_SEEK, CHEST_RED], age=60) == ["emergency"]


COLD_SEEK = passage("5 When to see a clinician", "Also see a doctor if you have ear pain, or sinus pain with high fever.",
                    doc_id="cold-test", title="Common cold", n=19)
KID_FEVER = passage("5 何时就诊及科室", "请当天就医：\n\n- 吃了退烧药仍不退烧；", doc_id="kid-fever-test", title="儿童发热", n=20)
RASH_SEEK = passage("5 When to see a clinician", "See your primary care doctor if a rash is widespread, painful, blistering.",
                    doc_id="rash-test", title="Skin rash", n=21)


def test_lay_pain_words_weak_words_and_the_course_a_criterion_names() -> None:
    assert _levels("my ear has been hurting for 3 days", [COLD_SEEK], age=38) == ["soon"]
    # aches and a fever do not make "sinus pain with high fever"; "painful" cut from a rash list needs the rash
    assert _levels("flu for 2 days, aching all over, temp 39.2", [COLD_SEEK], age=40) == []
    assert _levels("got a cold, achy all over", [RASH_SEEK], age=30) == []
    # "仍不退烧" is about a fever that does not come down with medicine
    assert _levels("昨晚烧到38.5，吃了退烧药今早37.2，在家玩", [KID_FEVER], age=5) == []
    assert _levels("吃了退烧药还是不退", [KID_FEVER], age=5) == ["urgent"]
    assert "not_crash" in extract_facts("没抽筋也没出疹子").tokens


def test_the_emergency_department_only_for_an_emergency() -> None:
    """A referral sentence naming the emergency department ("swallowing emergencies belong in the emergency
    department") does not make it the department of a self-care or same-day answer."""
    from rag.answer.schema import Advice, Citation, GeneratorInfo, SeekCare

    cites = [Citation(n=1, chunk_id=SELF.chunk_id, doc_id="d", title=GUIDE, publisher="", version="1", source="",
                      section=SELF.section, pages="1", quote="", retrieval_score=0.5)]
    advice = Advice(trace_id="t", language="en", urgency="soon", red_flags=[], evidence_sufficient=True, possible_conditions=[],
                    self_care=[], seek_care=SeekCare(needed=True, urgency="soon", department="Emergency department", reason="",
                                                     citations=[]),
                    suggested_tests=[], citations=cites, generator=GeneratorInfo(backend="x", model="x", prompt_version="p"),
                    disclaimer="d")
    facts = extract_facts("loose stools since yesterday", age=30)
    decision = decide_urgency(facts, [SCOPE, SELF], red_flag_labels=[], language="en", ranked_doc_ids=["diarrhoea-test"])
    out = _apply_urgency(advice, decision, facts, "en")
    assert out.urgency == "self_care" and "emergency" not in out.seek_care.department.lower()
    assert out.seek_care.department == fallback_department("self_care", facts, "en")


def test_a_possessive_is_the_word_itself() -> None:
    tokens = extract_facts("asthma's been getting worse, she's using her inhaler").tokens
    assert "asthma" in tokens and "cworse" in tokens and "she" not in tokens


PALP_SEEK = passage("5 When to see a clinician", "See your primary care doctor if palpitations keep coming back, last a long time, "
                    "are getting worse, feel irregular, or if you have heart disease.", doc_id="palp-test", title="Palpitations", n=22)
THROAT_RED = passage("3 Red flags", "- Severe neck swelling or stiffness.", doc_id="throat-test", title="Sore throat", n=23)
COUGH_RED = passage("3 Red flags", "Arrange a prompt (within days) medical review if you have: blood-streaked sputum; night sweats or "
                    "fevers; a hoarse voice for more than 3 weeks; or swollen glands in the neck.", doc_id="cough-test",
                    title="Chronic cough", n=24)
DM_SEEK = passage("5 何时就诊及科室", "- 经常发生低血糖、夜间低血糖或低血糖时没有感觉，需要尽快复诊调整用药。", doc_id="dm-test",
                  title="2型糖尿病与低血糖", n=25)


def test_irregular_is_no_routine_cue_and_how_bad_a_criterion_says_it_is() -> None:
    # "irregular" contains "regular" (a routine cue); an irregular heartbeat is seen within a few days, not routinely
    assert _levels("67, my heart flutters and feels irregular, several times this week", [PALP_SEEK], age=67) == ["soon"]
    # "Severe neck swelling" is not met by swollen glands the patient does not call severe; it is by "really bad"
    assert _levels("sore throat 8 days, lumps in my neck are swollen", [THROAT_RED], age=19) == []
    assert _levels("my neck is swollen and it's really bad, can hardly swallow", [THROAT_RED], age=19) == ["emergency"]


def test_a_criterion_keeps_its_own_time_frame_and_a_two_subject_title_is_not_all_topic() -> None:
    # "prompt (within days)" for a hoarse voice over 3 weeks stays within days (the weeks do not make it routine),
    # and it is not an emergency although it sits under a red-flag heading
    assert _levels("hoarse voice for about 5 weeks now, I smoke", [COUGH_RED], age=52) == ["soon"]
    # coughing blood in lay Chinese, sweating at night
    assert _levels("咳嗽三个多礼拜了，这几天痰里带血丝，晚上出虚汗", [COUGH_RED], age=40) == ["soon"]
    # a diabetic's numb feet are not "经常发生低血糖": the title's other subject (低血糖) still has to be the patient's
    assert _levels("得糖尿病八年了，这几个月两个脚底老是发麻", [DM_SEEK], age=58) == []
    assert _levels("糖尿病，最近老是低血糖，晚上出汗醒过来", [DM_SEEK], age=58) == ["soon"]


DIARRHOEA_RED = passage("3 Red flags", "- A baby or young child who is floppy, unusually sleepy, or refusing to drink.",
                        doc_id="diarr-test", title="Diarrhoea and dehydration", n=26)
PREG_LEG_RED = passage("3 Red flags", "- swelling, redness or pain in your leg;", doc_id="preg-test",
                   title="Warning signs during and after pregnancy", n=27)
HEAD_RED = passage("3 Red flags", "- A severe headache in pregnancy or just after birth, especially with vision changes or swelling.",
                   doc_id="head-test", title="Headache", n=28)
COVID_SEEK = passage("5 When to see a clinician", "Contact your primary care doctor promptly if you test positive and are at "
                     "higher risk.", doc_id="covid-test", title="COVID-19", n=29)
BREATH_RED = passage("3 Red flags", "- trouble breathing;", doc_id="covid-test", title="COVID-19", n=30)


def test_a_group_opening_a_list_and_a_closing_place_hold_for_every_part() -> None:
    # "A baby or young child who is ..., or refusing to drink": not an adult who has not drunk much
    assert _levels("went light-headed standing up, hot day and I've not drunk much", [DIARRHOEA_RED], age=33) == []
    assert _levels("my 2 year old is refusing to drink", [DIARRHOEA_RED], age=2) == ["emergency"]
    # "swelling, redness or pain in your leg": swollen ankles... are a leg only when the leg is named
    assert _levels("38 weeks pregnant, hands a bit swollen", [PREG_LEG_RED], age=32, pregnant=True) == []
    assert _levels("pregnant, my left leg is swollen and red", [PREG_LEG_RED], age=32, pregnant=True) == ["emergency"]
    # "especially with vision changes or swelling": the swelling belongs to the qualifier, not a criterion of its own
    assert _levels("38 weeks pregnant, ankles swollen by the evening, no headache", [HEAD_RED], age=32, pregnant=True) == []


def test_every_sign_a_clause_names_is_needed_and_higher_risk_comes_from_the_patient() -> None:
    assert _levels("positive covid test yesterday, sore throat, I'm 26 and healthy", [COVID_SEEK], age=26) == []
    assert _levels("positive covid test, I'm on chemo", [COVID_SEEK], age=50) == ["soon"]
    assert _levels("positive covid test yesterday, stuffy nose", [COVID_SEEK], age=78) == ["soon"]  # age makes the risk


def test_breathless_only_on_exertion_is_not_an_emergency_criterion() -> None:
    assert _levels("4 months after covid, still tired, get breathless walking the dog", [BREATH_RED], age=43) == []
    assert _levels("covid, now breathless even sitting down", [BREATH_RED], age=43) == ["emergency"]


def test_signs_of_dehydration_in_a_child_are_seen_the_same_day_without_a_criterion() -> None:
    facts = extract_facts("tonsillitis, hardly drinking anything because it hurts to swallow, only had 1 wee today", age=7)
    decision = decide_urgency(facts, [SELF], red_flag_labels=[], language="en", ranked_doc_ids=["diarrhoea-test"])
    assert decision.level == "urgent" and "dehydration" in decision.reason
    adult = extract_facts("hardly drinking anything, only had 1 wee today", age=30)
    assert decide_urgency(adult, [SELF], red_flag_labels=[], language="en").level != "urgent"


CELLULITIS_RED = passage("3 Red flags", "Other emergencies: a non-blanching rash with fever or feeling very unwell; a rapidly "
                         "spreading red, hot, painful area with fever.", doc_id="skin-test", title="Skin rash", n=31)
BITE_SEEK = passage("5 When to see a clinician", "Get an urgent appointment today if:\n\n- redness spreads around the bite or "
                    "sting (possible cellulitis);\n- you have a high temperature after a bite or sting;", doc_id="bite-test",
                    title="Insect bites", n=32)
POINTER_SEEK = passage("5 When to see a clinician", "Breathing or swallowing emergencies belong in the emergency department.",
                       doc_id="throat-test", title="Sore throat", n=33)


def test_how_fast_a_criterion_says_it_goes_is_needed_too() -> None:
    # "rapidly spreading ... with fever" (an emergency) is not met by a red patch spreading over days, nor by "hot" cut
    # from its list; the bite guideline's "redness spreads around the bite" (same day) is
    text = "got a bite on my shin last tuesday, now there's a red hot patch spreading up my leg and a temp of 101F"
    assert _levels(text, [CELLULITIS_RED], age=45) == []
    assert _levels(text, [CELLULITIS_RED, BITE_SEEK], age=45)[0] == "urgent"
    assert _levels("red hot painful area on my leg spreading fast, I can see it grow by the hour, fever 38.9", [CELLULITIS_RED],
                   age=45) == ["emergency"]
    # "a high temperature" in a criterion is a fever (38 °C and up), not a "high" reading
    assert _levels("bitten 2 days ago, temp 38.2 now", [BITE_SEEK], age=30) == ["urgent"]


def test_where_emergencies_belong_is_not_a_criterion() -> None:
    assert _levels("can't breathe through my nose, blocked with a cold, breathing fine through my mouth", [POINTER_SEEK],
                   age=32) == []


def test_a_chinese_number_range_reads_as_its_lower_end() -> None:
    # "血糖一直十六七" raised a KeyError before (a request that failed into the triage-only answer)
    assert extract_facts("糖尿病，这两天感冒了，血糖一直十六七，能吃能喝", age=59).glucose_mmol == 16.0


def test_a_time_frame_the_guideline_rules_out_is_not_its_time_frame() -> None:
    zh = passage("5 何时就诊及科室", "出现以下情况，请预约门诊（一般不需要当天就医）：\n\n- 失眠持续几周以上；", doc_id="sleep-zh-test",
                 title="失眠", n=34)
    assert _levels("失眠好几年了，每天靠安眠药", [zh], age=50) == ["routine"]


UTI_SEEK = passage("5 When to see a clinician", "Get a same-day appointment if you have signs of a kidney infection: a high "
                   "temperature or shivering together with pain in your side or back under the ribs, or being sick.\n\n"
                   "See a doctor soon if:\n\n- you are a man, pregnant, or the patient is a child;", doc_id="uti-test",
                   title="Urinary tract infection", n=41)
ZH_FEVER_SEEK = passage("5 何时就诊及科室", "- 小便疼痛并且发烧，或腰痛并且发烧（可能是肾脏感染）：请当天就医。\n"
                        "- 皮疹持续数天不退：到皮肤科就诊。", doc_id="fever-zh-test", title="成人发热", n=42)
ZH_COUGH_RED = passage("3 危险信号：立即就医", "- 婴儿咳嗽时憋气、发紫或呼吸暂停；", doc_id="cough-zh-test", title="咳嗽", n=43)
MED_RED = passage("3 Red flags: seek emergency care now", "- Yellowing of the skin or eyes, or pain under the right ribs after "
                  "taking paracetamol.\n- Painful skin with blistering or peeling and sore mouth or eyes after a new medicine.",
                  doc_id="meds-test", title="Medication safety", n=44)


def test_round_7_connectives_groups_and_alternatives() -> None:
    # "并且" and "请" are no signs the patient must name
    zh = extract_facts("发烧39度，小便的时候很痛，腰的一侧也痛", age=35)
    assert decide_urgency(zh, [ZH_FEVER_SEEK], red_flag_labels=[], language="zh").level == "urgent"
    # "数天" is a number of days
    rash = extract_facts("身上起了一片一片的红疹子，已经五天了", age=30)
    assert [m.level for m in match_criteria(rash, criteria_of([ZH_FEVER_SEEK]))] == ["soon"]
    # a list that opens with its group holds for that group only: an adult's sleep apnoea is not an infant's
    adult = extract_facts("打呼噜特别响，老婆说我睡着了会憋气", age=45)
    assert match_criteria(adult, criteria_of([ZH_COUGH_RED])) == []
    baby = extract_facts("宝宝咳嗽的时候憋气，嘴唇发紫", age=0.5)
    assert [m.level for m in match_criteria(baby, criteria_of([ZH_COUGH_RED]))] == ["emergency"]
    # a child is a group of its own in "you are a man, pregnant, or the patient is a child"
    child = extract_facts("temp of 38.5 since yesterday and it stings when she pees", age=8)
    assert "soon" in [m.level for m in match_criteria(child, criteria_of([UTI_SEEK]))]
    assert match_criteria(extract_facts("it stings when I pee", age=30, sex="female"), criteria_of([UTI_SEEK])) == []
    # "pain in my right side under the ribs" with the shivers is the kidney-infection criterion
    kidney = extract_facts("burning when i pee and now pain in my right side under the ribs, got the shivers", age=31)
    assert decide_urgency(kidney, [UTI_SEEK], red_flag_labels=[], language="en").level == "urgent"


def test_round_7_a_list_qualified_by_a_medicine_needs_that_medicine() -> None:
    shingles = extract_facts("painful band of little blisters on the right side of my back, came up yesterday", age=60)
    assert match_criteria(shingles, criteria_of([MED_RED])) == []
    paracetamol = extract_facts("took paracetamol for a week for my back and now my eyes look yellow", age=40)
    assert [m.level for m in match_criteria(paracetamol, criteria_of([MED_RED]))] == ["emergency"]


def test_round_7_alarm_signs_are_never_self_care_and_numbers_that_are_not_readings() -> None:
    yellow = extract_facts("my eyes have gone yellow and I feel sick", age=40)
    decision = decide_urgency(yellow, [SCOPE, SELF], red_flag_labels=[], language="en", ranked_doc_ids=["diarrhoea-test"])
    assert decision.level == "soon" and "jaundice" in decision.reason
    # "15 min later" and "4 glucose tablets" are no blood sugar; "smoked for 30 years" is no illness's duration
    hypo = extract_facts("on insulin, sugar was 3.6, had 4 glucose tablets and 15 min later its 5.8", age=50)
    assert hypo.glucose_mmol == 3.6 and "chypo" in hypo.tokens
    smoker = extract_facts("cough for 4 weeks now since a cold, Ive smoked 20 a day for 30 years", age=55)
    assert smoker.duration_days == 28 and "csmoker" in smoker.tokens


def test_round_7_dehydration_in_a_child_beats_a_lesser_criterion() -> None:
    facts = extract_facts("My 2 year old has had the runs since yesterday, a few less wet nappies than usual", age=2)
    seek = passage("5 When to see a clinician", "See a doctor if:\n\n- diarrhoea lasts more than 24 hours in a child;", n=45)
    assert decide_urgency(facts, [seek], red_flag_labels=[], language="en").level == "urgent"


def test_round_7_self_care_only_where_the_guideline_has_heard_of_what_the_patient_names() -> None:
    # a sign or a condition none of the guideline's passages mentions: its self-care is not about that
    plain = extract_facts("loose stools since yesterday after a takeaway", age=30)
    assert decide_urgency(plain, [SCOPE, SELF], red_flag_labels=[], language="en",
                          ranked_doc_ids=["diarrhoea-test"]).level == "self_care"
    failure = extract_facts("loose stools since yesterday and I have heart failure", age=70)
    assert "heart failure" in failure.conditions
    assert decide_urgency(failure, [SCOPE, SELF], red_flag_labels=[], language="en",
                          ranked_doc_ids=["diarrhoea-test"]).level == "soon"
    sting = extract_facts("loose stools since yesterday and it stings when I pee", age=30)
    assert decide_urgency(sting, [SCOPE, SELF], red_flag_labels=[], language="en",
                          ranked_doc_ids=["diarrhoea-test"]).level == "soon"
    # what the patient denies is not named, and a cold needs no mention
    assert "heart failure" not in extract_facts("loose stools, no heart failure or anything", age=70).conditions
    cold = extract_facts("loose stools since yesterday with a bit of a cold", age=30)
    assert decide_urgency(cold, [SCOPE, SELF], red_flag_labels=[], language="en",
                          ranked_doc_ids=["diarrhoea-test"]).level == "self_care"
    # "peeing normally" is no painful peeing
    assert "curine_pain" not in extract_facts("one loose poo this morning, fine now and peeing normally").tokens


def test_round_7_an_age_group_alone_holds_for_a_patient_with_the_guidelines_subject() -> None:
    seek = passage("5 When to see a clinician", "See a doctor if:\n\n- you are pregnant, over 65, or have a weakened immune "
                   "system or kidney disease;", n=46)
    old = extract_facts("I'm 81 and I've had loose stools since yesterday", age=81)
    assert [m.level for m in match_criteria(old, criteria_of([seek]))] == ["soon"]
    assert match_criteria(extract_facts("I'm 81 and my knee aches", age=81), criteria_of([seek])) == []


def test_the_reason_quotes_the_complaints_own_guidelines() -> None:
    """Round 5: with the answer's topic guidelines given, a red flag from the rules quotes only their warning signs, and
    the self-care quoted comes from them; whether self-care applies is decided as without them (same level)."""
    other_red = passage("3 Red flags: seek emergency care now", "- Bloody or black stools.", doc_id="other", title="Other (test)", n=6)
    other_self = passage("4 Self-care at home", "- Drink more fluids and rest with loose stools.", doc_id="other",
                         title="Diarrhoea elsewhere (test)", n=7)
    facts = extract_facts("loose stools since yesterday, black stools", age=30)
    anywhere = decide_urgency(facts, [other_red], red_flag_labels=["Black stools"], language="en")
    assert anywhere.passage is other_red
    own = decide_urgency(facts, [other_red], red_flag_labels=["Black stools"], language="en", topic_doc_ids=["diarrhoea-test"])
    assert own.level == "emergency" and own.passage is None
    calm = extract_facts("loose stools since yesterday, no blood in the stool", age=30)
    ranked = ["other", "diarrhoea-test"]
    before = decide_urgency(calm, [SCOPE, SELF, other_self], red_flag_labels=[], language="en", ranked_doc_ids=ranked)
    after = decide_urgency(calm, [SCOPE, SELF, other_self], red_flag_labels=[], language="en", ranked_doc_ids=ranked,
                           topic_doc_ids=["diarrhoea-test"])
    assert before.level == after.level == "self_care" and before.passage is other_self
    assert after.passage is SELF


def test_round_7_temperatures_read_from_a_thermometer_and_chinese_decimals() -> None:
    assert extract_facts("my 4 month old is 39.3 on the ear thermometer", age=0.33).temperature_c == 39.3
    assert extract_facts("发烧两天，38度5").temperature_c == 38.5
    # an age next to the word fever is no temperature
    assert extract_facts("I am 38, fever since monday").temperature_c is None
    # a fit of 5 minutes is no smoking habit: its minutes stay an event's, and 吸烟 times a habit
    assert extract_facts("抽烟三十年了，咳嗽两周").duration_days == 14


def test_round_8_pregnancy_weeks_the_flag_and_swelling_of_the_hands() -> None:
    facts = extract_facts("32 weeks, my palms and soles are itchy at night", pregnant=True, age=30)
    # a bare count of weeks in pregnancy is how far along she is, and the request's flag counts as the word
    assert facts.duration_days is None and facts.pregnancy_weeks == 224 and "pregnant" in facts.tokens
    assert extract_facts("cough for 5 weeks", pregnant=True).duration_days == 35
    seek = passage("5 When to see a clinician", "Contact your midwife the same day if you are pregnant and:\n\n"
                   "- you have itching of the hands and feet, often worse at night;", doc_id="preg-test", title="Pregnancy", n=50)
    assert [m.level for m in match_criteria(facts, criteria_of([seek]))] == ["urgent"]
    rings = extract_facts("34 weeks pregnant, my rings won't go on and I'm seeing spots in front of my eyes", age=30)
    assert {"chand", "cswelling", "cvision"} <= rings.tokens
    red = passage("3 Red flags", "- extreme swelling of your hands or face;", doc_id="preg-test", title="Pregnancy", n=51)
    assert [m.level for m in match_criteria(rings, criteria_of([red]))] == ["emergency"]


def test_round_8_a_fever_that_medicine_does_not_bring_down() -> None:
    seek = passage("5 When to see a clinician", "See a doctor today if:\n\n- the fever will not come down (despite fever "
                   "medicine such as paracetamol);", doc_id="fc-test", title="Fever in children", n=52)
    after = extract_facts("gave calpol 2 hours ago and nurofen since and it's still 103.6F", age=6)
    assert [m.level for m in match_criteria(after, criteria_of([seek]))] == ["urgent"]
    assert match_criteria(extract_facts("temperature 39.5 since this morning", age=6), criteria_of([seek])) == []


def test_round_8_a_request_for_a_review_is_a_routine_appointment_not_self_care() -> None:
    facts = extract_facts("I've been on zopiclone for 8 months and I'd like to come off it", age=58)
    assert facts.asks_review
    decision = decide_urgency(facts, [SCOPE, SELF], red_flag_labels=[], language="en", ranked_doc_ids=["diarrhoea-test"])
    assert decision.level == "routine" and "ask for a review" in decision.reason
    assert decide_urgency(extract_facts("糖尿病五年了，眼底一年多没查了，想约个时间"), [], red_flag_labels=[],
                          language="zh").level == "routine"
    assert not extract_facts("what can I do at home for a cold?").asks_review


def test_round_8_red_flag_lists_with_their_own_same_day_time_frame() -> None:
    red = passage("3 Red flags: seek emergency care now",
                  "In pregnancy, a reading of 140/90 or higher needs urgent assessment.\n\n"
                  "Falling asleep while driving: stop driving and seek urgent advice.\n\n"
                  "A baby under 3 months with a temperature of 38 °C or higher (same-day urgent care at minimum).",
                  doc_id="bp-test", title="High blood pressure", n=53)
    levels = {cr.text[:12]: cr.level for cr in criteria_of([red])}
    assert levels == {"In pregnancy": "urgent", "Falling asle": "urgent", "A baby under": "emergency"}


def test_round_8_a_long_term_conditions_guideline_is_for_people_who_have_it() -> None:
    copd = passage("5 When to see a clinician", "Contact primary care the same or next day if ankles swell.",
                   doc_id="copd", title="Chronic obstructive pulmonary disease (COPD)", n=54)
    amlodipine = extract_facts("started amlodipine and both ankles have swollen up by the evening", age=60)
    assert match_criteria(amlodipine, criteria_of([copd])) == []
    has_it = extract_facts("I have COPD and both ankles have swollen up", age=60)
    assert [m.level for m in match_criteria(has_it, criteria_of([copd]))] == ["urgent"]
    asthma = passage("5 When to see a clinician", "See them soon if you need your reliever more often than usual.",
                     doc_id="asthma", title="Asthma", n=55)
    puffer = extract_facts("using my blue inhaler 4 times a week, used to be hardly ever", age=30)
    assert [m.level for m in match_criteria(puffer, criteria_of([asthma]))] == ["soon"]


def test_round_8_a_joined_fever_is_needed_and_the_longest_duration_wins() -> None:
    zh = passage("5 何时就诊", "- 小便疼痛并且发烧，或腰痛并且发烧：请当天就医。", doc_id="fz-test", title="成人发热", n=56)
    assert match_criteria(extract_facts("腰疼一个多月了，坐久了就疼"), criteria_of([zh])) == []
    assert [m.level for m in match_criteria(extract_facts("腰痛，发烧38.6度"), criteria_of([zh]))] == ["urgent"]
    six_weeks = extract_facts("loose stools on and off for about 6 weeks, no blood", age=40)
    assert [m.level for m in match_criteria(six_weeks, criteria_of([SEEK]))] == ["routine"]
    assert [m.level for m in match_criteria(extract_facts("loose stools for 3 days", age=40), criteria_of([SEEK]))] == ["soon"]


def test_round_8_an_or_between_two_words_shares_the_rest_of_the_phrase() -> None:
    bites = passage("5 When to see a clinician", "See a doctor today if:\n\n- the bite or sting has not started to get better "
                    "after a few days;\n- redness spreads around the bite or sting (possible cellulitis);",
                    doc_id="bites-test", title="Insect bites and stings", n=57)
    clauses = [cl.text for cr in criteria_of([bites]) for cl in cr.clauses]
    assert "the sting has not started to get better after a few days" in clauses
    assert "redness spreads around the sting (possible cellulitis)" in clauses
    # an "or" before an article or between longer phrases still splits as before
    heart = passage("3 Red flags", "- chest pain or a fast-beating heart;", doc_id="h-test", title="Pregnancy", n=58)
    assert [cl.text for cr in criteria_of([heart]) for cl in cr.clauses] == ["chest pain", "a fast-beating heart"]
    mozzie = extract_facts("mozzie bite on my leg from 5 days ago is still just as big and sore", age=30)
    assert [m.level for m in match_criteria(mozzie, criteria_of([bites]))] == ["urgent"]


def test_round_8_a_weakened_immune_system_with_an_infection_is_seen_the_same_day() -> None:
    chemo = extract_facts("having chemo and my throat has gone sore", age=60)
    assert {"cweak_immune", "csore_throat"} <= chemo.tokens
    assert decide_urgency(chemo, [SCOPE, SELF], red_flag_labels=[], language="en").level == "urgent"
    # a weakened immune system alone, or an infection alone, is not
    assert decide_urgency(extract_facts("on methotrexate, my knee clicks", age=60), [SCOPE, SELF], red_flag_labels=[],
                          language="en").level != "urgent"
    burn = passage("5 When to see a clinician", "See a doctor the same day for signs of infection (increasing pain, redness, "
                   "swelling, pus, fever).", doc_id="burns-test", title="Burns", n=59)
    assert [m.level for m in match_criteria(extract_facts("yellow gunk oozing out of the burn on my side", age=27),
                                            criteria_of([burn]))] == ["urgent"]
    assert match_criteria(extract_facts("small burn on my hand, it's red, no blisters", age=27), criteria_of([burn])) == []


def test_round_8_every_sign_of_a_warning_criterion_named_is_never_self_care() -> None:
    red = passage("3 Red flags: seek emergency care now", "- severe tummy pain with vomiting;", n=60)
    # not severe, so the criterion does not hold; but both its signs are the patient's
    both = extract_facts("loose stools since yesterday, tummy pain and vomiting", age=30)
    decision = decide_urgency(both, [SCOPE, SELF, red], red_flag_labels=[], language="en", ranked_doc_ids=["diarrhoea-test"])
    assert decision.level == "soon" and "lists among the signs" in decision.reason
    # one sign alone (swelling somewhere) says too little to hold back self-care
    one = extract_facts("loose stools since yesterday, a bit of tummy pain", age=30)
    assert decide_urgency(one, [SCOPE, SELF, red], red_flag_labels=[], language="en",
                          ranked_doc_ids=["diarrhoea-test"]).level == "self_care"


def test_round_8_the_patients_own_words_for_sex_weight_lost_blood_in_urine_and_a_bent_wrist() -> None:
    bloke = extract_facts("I'm a bloke and it burns when I pee")
    assert bloke.sex == "male" and "curine_pain" in bloke.tokens
    assert extract_facts("I'm a bloke", sex="female").sex == "female"  # the request's field wins
    assert {"cblood_urine", "curine_pain"} <= extract_facts("my wee is pinkish and it burns").tokens
    assert "cweight_loss" in extract_facts("being sick a lot and I've lost 5 kilos").tokens
    assert "cweight_loss" in extract_facts("咳嗽一个多月，瘦了十来斤").tokens
    assert "cfracture" in extract_facts("fell on my wrist and it's swollen and looks a bit bent").tokens
    assert "cfracture" not in extract_facts("put my back out, walking a bit bent over").tokens
    assert "ceye" in extract_facts("shingles on my forehead spreading onto my eyelid").tokens


def test_round_8_for_a_purpose_is_not_the_condition() -> None:
    seek = passage("5 When to see a clinician", "Seek emergency care for medical support if you were sexually assaulted.",
                   doc_id="sti-test", title="Sexually transmitted infections", n=61)
    [criterion] = criteria_of([seek])
    assert [cl.text for cl in criterion.clauses] == ["you were sexually assaulted"]
    cough = passage("5 When to see a clinician", "See your doctor for a cough lasting more than 3 weeks.", doc_id="c-test",
                    title="Cough", n=62)
    assert [cl.text for cr in criteria_of([cough]) for cl in cr.clauses] == ["a cough lasting more than 3 weeks"]


def test_round_8_develop_is_have_and_a_target_shaped_ring_is_a_bullseye() -> None:
    ticks = passage("5 When to see a clinician", "See your primary care doctor if you develop a bullseye rash after a tick bite.",
                    doc_id="bites-test", title="Insect bites and stings", n=63)
    target = extract_facts("pulled a tick off 10 days ago and now there's a spreading red ring around the spot like a target", age=42)
    assert {"cbullseye", "cexpanding"} <= target.tokens
    assert [m.level for m in match_criteria(target, criteria_of([ticks]))] == ["soon"]


def test_round_8_a_high_temperature_alone_sends_a_child_or_older_adult_not_a_well_adult() -> None:
    seen = {age: decide_urgency(extract_facts("fever 39.2 since this morning, eating and drinking fine", age=age), [SCOPE, SELF],
                                red_flag_labels=[], language="en", ranked_doc_ids=["diarrhoea-test"]).reason for age in (4, 30, 70)}
    assert "39.2" in seen[4] and "39.2" in seen[70] and "39.2" not in seen[30]
    assert "40.3" in decide_urgency(extract_facts("fever 40.3", age=30), [], red_flag_labels=[], language="en").reason
    # travelling is where it happened, not a sign the guideline must have heard of
    assert decide_urgency(extract_facts("loose stools since I got back from Spain yesterday", age=30), [SCOPE, SELF],
                          red_flag_labels=[], language="en", ranked_doc_ids=["diarrhoea-test"]).level == "self_care"


def test_round_9_a_duration_that_names_nothing_is_the_guideline_subjects() -> None:
    loose = passage("5 When to see a clinician", "See a doctor if diarrhoea lasts more than 2 days in an adult, or more than "
                    "24 hours in a child.", doc_id="d-test", title="Diarrhoea and dehydration", n=70)
    cough = extract_facts("my 9 year old has had a dry cough for 6 weeks, worse at night", age=9)
    assert match_criteria(cough, criteria_of([loose])) == []  # the cough's 6 weeks are not the diarrhoea's 24 hours
    runs = extract_facts("my 3 year old has had the runs since yesterday morning, about 30 hours", age=3)
    assert [m.level for m in match_criteria(runs, criteria_of([loose]))] == ["soon"]
    dizzy = passage("5 When to see a clinician", "See your primary care doctor if dizziness keeps coming back or lasts more "
                    "than a few days.", doc_id="dz-test", title="Dizziness", n=71)
    spins = extract_facts("the room spins when I roll over in bed, been going on a week", age=50)
    assert "cdizzy" in spins.tokens and [m.level for m in match_criteria(spins, criteria_of([dizzy]))] == ["soon"]


def test_round_9_where_a_group_is_seen_is_no_criterion() -> None:
    from pathlib import Path

    from rag.evaluation import starter_passages

    # "成人可到消化内科就诊；儿童到儿科就诊；严重脱水到急诊科" in the starter guideline's section 5
    route = [p for p in starter_passages(Path(__file__).parents[1] / "guidelines") if p.doc_id == "diarrhoea-zh"]
    adult = extract_facts("拉肚子一天了，一天三次", age=30)
    assert "urgent" not in [m.level for m in match_criteria(adult, criteria_of(route))]  # not "急诊" for being an adult
    child_route = passage("5 When to see a clinician", "Children with a chronic cough see a paediatrician. Children are "
                          "assessed by paediatrics.", doc_id="cc-test", title="Chronic cough", n=73)
    assert match_criteria(extract_facts("my son has a cough", age=6), criteria_of([child_route])) == []


def test_round_9_angina_in_lay_words_is_same_day_not_an_ambulance() -> None:
    from pathlib import Path

    from rag.evaluation import starter_passages

    chest = [p for p in starter_passages(Path(__file__).parents[1] / "guidelines") if p.doc_id == "chest-pain"]
    band = extract_facts("past fortnight I get a tight band across my chest when I walk up the hill, goes off after 3 or 4 "
                         "minutes of standing still", age=60)
    assert {"cchest_pain", "cexertion", "crest_relief"} <= band.tokens
    assert [m.level for m in match_criteria(band, criteria_of(chest))] == ["urgent"]  # "a doctor today", not 999
    crushing = extract_facts("crushing chest pain for 20 minutes", age=60)
    assert [m.level for m in match_criteria(crushing, criteria_of(chest))][0] == "emergency"


def test_round_9_a_limp_is_no_floppiness() -> None:
    assert "cfloppy" not in extract_facts("I can walk on it with a bit of a limp", age=30).tokens
    assert "cfloppy" in extract_facts("my baby has gone limp and pale", age=0.5).tokens


def test_round_9_low_mood_after_a_birth_and_a_sleeping_pill_are_never_out_of_scope() -> None:
    for text in ("生完孩子一个多月了，天天心情低落，老想哭", "我妈把一瓶艾司唑仑吃了大半瓶，现在就是困"):
        assert out_of_scope(extract_facts(text, age=30), text, "zh") is None
    text = "what is the capital of France"
    assert out_of_scope(extract_facts(text), text, "en") is not None


def test_round_10_settled_means_the_answers_own_guideline_gives_the_self_care() -> None:
    # no word of the guideline's title or scope ("38.2 last night" names no fever word), but the patient says it has
    # settled: the guideline the answer is about gives the self-care; without "settled", or without the topic, it does not
    text = "had 38.2 last night, after calpol she is playing and drinking fine"
    facts = extract_facts(text, age=3)
    assert facts.settled
    d = decide_urgency(facts, [SCOPE, SELF], red_flag_labels=[], language="en", ranked_doc_ids=["diarrhoea-test"],
                       topic_doc_ids=["diarrhoea-test"])
    assert d.level == "self_care" and d.basis == "self_care", d.reason
    off_topic = decide_urgency(facts, [SCOPE, SELF], red_flag_labels=[], language="en", ranked_doc_ids=["diarrhoea-test"])
    assert off_topic.level == "soon"
    unsettled = extract_facts("had 38.2 last night, she is clingy", age=3)
    assert not unsettled.settled
    assert decide_urgency(unsettled, [SCOPE, SELF], red_flag_labels=[], language="en", ranked_doc_ids=["diarrhoea-test"],
                          topic_doc_ids=["diarrhoea-test"]).level == "soon"
    for said in ("gone in seconds", "fine once I eat", "睡一觉第二天也没事了", "现在好多了", "same as always"):
        assert extract_facts(said).settled, said
    for said in ("diabetic, feeling fine, due my eye check", "not fine at all", "还是疼", "went over on my ankle playing 5-a-side",
                 "my phlegm has gone from white to green"):
        assert not extract_facts(said).settled, said


def test_round_10_a_named_condition_of_weeks_or_years_is_a_routine_appointment_without_a_criterion() -> None:
    # no criterion and no self-care: a long-standing named condition with nothing the guidelines send sooner is what a
    # routine appointment is for; an unnamed recurring complaint, or the same words without the duration, stays "soon"
    d = decide_urgency(extract_facts("糖尿病五年了，一直没查过眼底"), [SCOPE], red_flag_labels=[], language="zh",
                       ranked_doc_ids=["diarrhoea-test"])
    assert d.level == "routine" and "持续5年" in d.reason, d.reason
    for text in ("这一个月胸口老是时不时疼一下，反反复复的", "糖尿病，一直没查过眼底"):
        d = decide_urgency(extract_facts(text), [SCOPE], red_flag_labels=[], language="zh", ranked_doc_ids=["diarrhoea-test"])
        assert d.level == "soon", (text, d.reason)


def test_round_10_low_mood_in_the_year_after_a_birth_is_never_self_care() -> None:
    insomnia = passage("4 Self-care at home", "- Go to bed and get up at the same time every day.", doc_id="insomnia-test",
                       title="Insomnia", n=7)
    scope = passage("1 Who this applies to", "Adults who cannot sleep (insomnia), low mood or not.", doc_id="insomnia-test",
                    title="Insomnia", n=8)
    for text, kw in (("baby is 5 weeks old, I cry every single day, can't sleep even when he's asleep", {"age": 31, "sex": "female"}),
                     ("生完孩子一个多月了，天天哭，晚上睡不着", {"age": 29})):
        facts = extract_facts(text, **kw)  # type: ignore[arg-type]
        assert {"cmood", "cpostnatal"} <= facts.tokens, (text, sorted(facts.tokens))
        d = decide_urgency(facts, [scope, insomnia], red_flag_labels=[], language="zh" if "孩子" in text else "en",
                           ranked_doc_ids=["insomnia-test"], topic_doc_ids=["insomnia-test"])
        assert d.level == "soon" and ("postnatal" in d.reason or "产后" in d.reason), d.reason
    # a father of a newborn who sleeps badly, or a mother without low mood, is not read as postnatal low mood
    assert "cpostnatal" not in extract_facts("baby is 5 weeks old and I can't sleep", age=33, sex="male").tokens
    assert "cmood" not in extract_facts("baby is 5 weeks old and I can't sleep", age=31, sex="female").tokens


def test_round_10_a_body_part_cut_from_a_list_and_a_rash_all_over() -> None:
    # "疼痛放射到手臂、下颌、颈部或后背" is cut at the list: "后背" alone is a fragment, not a sunburnt back's warning sign
    chest = passage("3 危险信号：立即急诊", "- 疼痛放射到手臂、下颌、颈部或后背；", doc_id="chest-pain-test", title="胸痛", n=9)
    facts = extract_facts("去海边晒了一天，肩膀和后背红红的，碰一下就疼，没起水泡", age=30)
    assert not [m for m in match_criteria(facts, criteria_of([chest])) if m.level == "emergency"]
    # "皮疹范围广" is met by "身上到处都是疹子"
    rash = passage("5 何时就诊及科室", "- 皮疹范围广、疼痛、起水疱、持续数天不退：到皮肤科就诊。", doc_id="rash-test", title="皮疹", n=10)
    matched = match_criteria(extract_facts("身上到处都是疹子，前胸后背腿上都有", age=30), criteria_of([rash]))
    assert matched and matched[0].level in ("soon", "routine"), matched


def test_round_10_a_criterion_without_a_time_frame_is_an_appointment_for_weeks_of_it() -> None:
    palp = passage("5 When to see a clinician", "- See your primary care doctor if palpitations feel irregular.",
                   doc_id="palpitations-test", title="Palpitations", n=11)
    for text, age, level in (("irregular palpitations on and off for 2 months, a few seconds each, otherwise well", 40, "routine"),
                             ("irregular palpitations since yesterday", 40, "soon"),  # days, not weeks
                             ("never used to get palpitations, for 2 months they feel irregular", 57, "soon"),  # new to them
                             ("irregular palpitations for 2 months and I have lost weight", 40, "soon"),  # a sign for sooner
                             ("diabetic for ten years, irregular palpitations", 40, "soon")):  # the years are the diabetes'
        got = match_criteria(extract_facts(text, age=age), criteria_of([palp]))
        assert got and got[0].level == level, (text, got and (got[0].level, got[0].level_why))


def test_round_10_an_infection_in_pregnancy_is_seen_the_same_day_and_not_pregnant_is_not_pregnant() -> None:
    for text in ("18 weeks pregnant, stinging when I wee since yesterday, no fever", "怀孕26周，今天有点低烧37.8，咳嗽流鼻涕"):
        d = decide_urgency(extract_facts(text), [SCOPE, SELF], red_flag_labels=[], language="zh" if "怀孕" in text else "en",
                           ranked_doc_ids=["diarrhoea-test"])
        assert d.level == "urgent" and d.basis == "no_criterion", (text, d.reason)
    assert extract_facts("stinging when I wee, no fever, not pregnant").pregnant is None
    assert extract_facts("我没怀孕，就是尿痛").pregnant is None
    assert extract_facts("I'm pregnant and it stings when I wee").pregnant is True


def test_round_10_temps_on_and_off_are_a_fever() -> None:
    rash = passage("5 When to see a clinician", "- See your primary care doctor if a rash keeps coming back.", doc_id="rash-test",
                   title="Rash", n=12)
    fever = passage("5 When to see a clinician", "Get an urgent appointment today if your child has a fever and:\n\n"
                    "- the fever lasts 5 days or more;", doc_id="fever-test", title="Fever in children", n=13)
    facts = extract_facts("My 4 yr old has had temps on and off for 5 days now, 38.7 today. Drinking ok, no rash.", age=4)
    got = match_criteria(facts, criteria_of([rash, fever]))
    # "temps on and off" is the fever that has lasted 5 days: the most urgent match is the fever guideline's same day
    assert got and (got[0].level, got[0].criterion.passage.doc_id) == ("urgent", "fever-test"), got


def test_round_10_a_reliever_needed_far_more_often_in_chinese() -> None:
    asthma = passage("5 When to see a clinician", "See them soon if you need your reliever more often than usual.",
                     doc_id="asthma-test", title="Asthma", n=14)
    facts = extract_facts("有哮喘好多年了，万托林一天要喷四五回，以前一周都用不了一次", age=35)
    got = match_criteria(facts, criteria_of([asthma]))
    assert got and got[0].level == "soon", got


def test_round_11_suspected_cancer_signs_in_lay_words_meet_the_prompt_review_criterion() -> None:
    cough = passage("5 When to see a clinician", "Book a prompt (within days) review if you have: unintended weight loss; night "
                    "sweats; a cough and you are a smoker.\n\nSee your doctor for any cough lasting more than 3 weeks.",
                    doc_id="cough-test", title="Chronic cough", n=20)
    for text in ("lost 6 kg since the summer without trying, coughing for 2 months",
                 "cough for 2 months and I wake up with damp sheets",
                 "cough for about 7 weeks, still smoking 15 a day"):
        got = match_criteria(extract_facts(text, age=60), criteria_of([cough]))
        assert got and got[0].level == "soon", (text, got and (got[0].level, got[0].clause))
    # the weight loss the criterion names is unintended: a diet's is not it, and a plain long cough is the 3-week line
    got = match_criteria(extract_facts("cough for 2 months", age=60), criteria_of([cough]))
    assert got and got[0].level == "routine", got


def test_round_11_a_change_in_bowel_habit_in_lay_words() -> None:
    belly = passage("5 When to see a clinician", "See your primary care doctor within a few days if you have a change in "
                    "bowel habit.", doc_id="belly-test", title="Abdominal pain", n=21)
    for text in ("for 6 weeks my poo has been looser and more often than normal for me", "my bowels have changed since March",
                 "一个多月大便老是不正常，一会便秘一会拉稀"):
        got = match_criteria(extract_facts(text, age=64), criteria_of([belly]))
        assert got and got[0].level == "soon", (text, got)
    assert not match_criteria(extract_facts("loose poo since last night after a kebab", age=30), criteria_of([belly]))


def test_round_11_a_fever_after_a_malaria_area_not_after_any_trip() -> None:
    fever = passage("5 何时就诊及科室", "- 去过疟疾流行地区后发热（需要排查疟疾）：请当天到发热门诊就医。", doc_id="fever-zh-test",
                    title="成人发热", n=22)
    got = match_criteria(extract_facts("上个月去尼日利亚出差，回国一个星期了，今天开始发烧38.8℃", age=39), criteria_of([fever]))
    assert got and got[0].level == "urgent", got
    for text in ("刚从美国回来，发烧38.5度", "刚从尼日利亚出差回来，倒时差，睡不着"):  # no malaria area; no fever
        assert not match_criteria(extract_facts(text, age=39), criteria_of([fever])), text


def test_round_11_symptoms_since_a_day_ago_have_lasted_since_then() -> None:
    assert extract_facts("back from Egypt 4 days ago, had the runs ever since").duration_days == 4
    assert extract_facts("diarrhoea since I got back from Thailand 4 days ago").duration_days == 4
    assert extract_facts("had a tetanus jab 4 days ago, what else do I need").duration_days is None


def test_round_11_getting_better_within_three_weeks_is_the_natural_course_of_a_duration_threshold() -> None:
    cold = passage("5 When to see a clinician", "See a doctor if symptoms last more than 10 days.", doc_id="cold-test",
                   title="Common cold", n=23)
    better = extract_facts("cough since a cold 2 weeks ago, slowly getting better, no fever", age=30)
    assert better.improving and not match_criteria(better, criteria_of([cold]))
    for text in ("cough for 2 weeks after a cold, not really improving", "cough for 2 weeks, not getting better",
                 "cough for 2 weeks, was getting better then worse again"):
        facts = extract_facts(text, age=30)
        assert match_criteria(facts, criteria_of([cold])), text
    # past three weeks an improving symptom still meets its threshold
    assert match_criteria(extract_facts("cough for 5 weeks, slowly getting better", age=30), criteria_of([cold]))


def test_round_11_you_are_a_man_holds_for_a_man_with_the_guidelines_subject() -> None:
    scope = passage("2 Symptoms", "Pain or burning when you pee, needing to pee often.", doc_id="uti-test",
                    title="Urinary tract infection", n=24)
    seek = passage("5 When to see a clinician", "See a doctor if:\n\n- you are a man, pregnant, or the patient is a child;",
                   doc_id="uti-test", title="Urinary tract infection", n=25)
    man = extract_facts("it burns when I pee and I need to go all the time", age=45, sex="male")
    got = match_criteria(man, criteria_of([seek]), frozenset({"uti-test"}), [scope, seek])
    assert got and got[0].level == "soon" and "a man" in got[0].grounds, got
    # not when the guideline is not what the answer is about, and not for a woman
    assert not match_criteria(man, criteria_of([seek]), frozenset(), [scope, seek])
    woman = extract_facts("it burns when I pee and I need to go all the time", age=45, sex="female")
    assert not match_criteria(woman, criteria_of([seek]), frozenset({"uti-test"}), [scope, seek])


def test_round_11_a_request_to_talk_a_plan_through_is_a_review() -> None:
    for said in ("want to talk to someone about coming off it", "want to ask about getting them out",
                 "how do I get on them?", "her yearly asthma check is due", "my yearly review hasn't happened",
                 "想看看有没有预防的办法"):
        assert extract_facts(said).asks_review, said
    for said in ("what can I take for it?", "talked to my mum about it", "is this normal?"):
        assert not extract_facts(said).asks_review, said


def test_round_11_a_chinese_list_and_the_weeks_of_one_item() -> None:
    # the weeks of the first item are its own: weight loss in the same list has no time frame (within days), not routine
    resp = passage("5 何时就诊及科室", "- 咳嗽超过3周、反复发热、气短喘息、体重下降：到呼吸内科就诊。", doc_id="cough-zh-test",
                   title="咳嗽", n=26)
    got = match_criteria(extract_facts("咳嗽快两个月了，这两个月还瘦了好几斤", age=60), criteria_of([resp]))
    assert got and got[0].level == "soon", got
    got = match_criteria(extract_facts("咳嗽快两个月了，别的没什么", age=60), criteria_of([resp]))
    assert got and got[0].level == "routine", got
    # a list closed by a sign with weeks gives every item those weeks: a cold's runny nose of 2 days is not it
    ent = passage("5 何时就诊及科室", "- 鼻塞流涕、鼻后滴漏、声音嘶哑超过3周：可看耳鼻喉科。", doc_id="cough-zh-test", title="咳嗽", n=27)
    assert not match_criteria(extract_facts("这两天鼻塞流清鼻涕，一直打喷嚏，不发烧", age=30), criteria_of([ent]))
    assert match_criteria(extract_facts("鼻塞流鼻涕一个多月了，一直不好", age=30), criteria_of([ent]))
    # a closing item that is only a duration is an item of its own ("皮疹范围广" holds without it): round 10's test


def test_round_11_frequent_lows_tb_contact_and_sleep_apnoea_in_chinese() -> None:
    diabetes = passage("5 何时就诊及科室", "经常发生低血糖、夜间低血糖或低血糖时没有感觉，需要尽快复诊调整用药。", doc_id="diabetes-zh-test",
                       title="2型糖尿病与低血糖", n=28)
    for text in ("打胰岛素两年了，这个月已经低血糖三回了，吃几块糖就好了", "吃格列齐特的，这礼拜半夜低血糖，测血糖3.5左右"):
        got = match_criteria(extract_facts(text, age=60), criteria_of([diabetes]))
        assert got and got[0].level == "soon", (text, got)
    assert "crecur" in extract_facts("I've had 3 hypos this week", age=60).tokens
    assert "crecur" not in extract_facts("I had a hypo this morning", age=60).tokens
    cough = passage("5 When to see a clinician", "Book a prompt (within days) review if you have contact with someone with TB.",
                    doc_id="cough-test", title="Chronic cough", n=29)
    got = match_criteria(extract_facts("cough for 4 weeks and my flatmate was just diagnosed with TB", age=30), criteria_of([cough]))
    assert got and got[0].level == "soon", got
    sleep = passage("5 何时就诊及科室", "- 睡眠呼吸暂停：到呼吸内科或耳鼻喉科就诊。", doc_id="insomnia-zh-test", title="失眠", n=30)
    got = match_criteria(extract_facts("打呼噜特别响，老婆说我半夜会憋气好几秒", age=45), criteria_of([sleep]))
    assert got and got[0].level in ("soon", "routine"), got


def test_round_11_a_chinese_reason_explains_itself_in_chinese() -> None:
    fever = passage("5 何时就诊及科室", "- 去过疟疾流行地区后发热（需要排查疟疾）：请当天到发热门诊就医。", doc_id="fever-zh-test",
                    title="成人发热", n=31)
    d = decide_urgency(extract_facts("上个月去尼日利亚出差，回国一个星期了，今天开始发烧38.8℃", age=39), [fever], red_flag_labels=[],
                       language="zh", ranked_doc_ids=["fever-zh-test"])
    assert d.level == "urgent" and "您提到疟疾流行地区" in d.reason and "指南写明“当天”" in d.reason, d.reason
    assert not re.search(r"[A-Za-z]{3,}", d.reason.replace("NICE", "")), d.reason  # no English explanation left


# --- round 12 (urgency_dev14 / urgency_frozen10; docs/urgency.md "Round 12") ---------------------------------------


def test_round_12_a_burn_of_unsure_depth_from_hot_fat_meets_the_unsure_how_deep_criterion() -> None:
    burns = passage("5 When to see a clinician", "See primary care, a minor injuries unit or urgent care for a burn that is "
                    "not healing within 2 weeks, or if you are unsure how deep it is.", doc_id="burns-test", title="Burns and scalds",
                    n=40)
    got = match_criteria(extract_facts("got splashed with hot fat on my belly, red with pale bits, not sure how deep it went",
                                       age=52), criteria_of([burns]))
    assert got and got[0].level == "urgent", got
    assert not match_criteria(extract_facts("splashed hot fat on my arm, small red patch, cooled it", age=52), criteria_of([burns]))


def test_round_12_painkillers_most_days_and_a_changing_pattern_meet_the_headache_criteria() -> None:
    headache = passage("5 When to see a clinician", "See your primary care doctor if headaches are frequent (several a week), "
                       "getting worse, or changing pattern; if you use painkillers most days.", doc_id="headache-test",
                       title="Headache and migraine", n=41)
    for text in ("I take co-codamol or ibuprofen nearly every day for my headaches",
                 "my migraines have changed, they feel different now, on the other side", "头疼跟以前不一样了"):
        assert match_criteria(extract_facts(text, age=40), criteria_of([headache])), text
    assert not match_criteria(extract_facts("a headache after a long day at the screen", age=40), criteria_of([headache]))


def test_round_12_a_third_infection_is_a_recurrence_and_a_window_is_not_a_duration() -> None:
    facts = extract_facts("尿路感染又来了，尿频尿疼两天，这已经是半年里第三回了", age=44)
    assert "crecur" in facts.tokens and facts.duration_days == 2  # not 182 days: "半年里" is when, not how long
    assert "crecur" in extract_facts("this is my third water infection since the summer", age=43).tokens
    assert "crecur" not in extract_facts("on the third day of antibiotics now", age=43).tokens


def test_round_12_started_days_ago_is_how_long_it_has_lasted() -> None:
    assert extract_facts("cold started 12 days ago and not shifting").duration_days == 12
    assert extract_facts("started amoxicillin 2 days ago, now a rash").duration_days is None  # a medicine, not the illness


def test_round_12_readings_said_loosely_are_still_readings() -> None:
    from rag.safety.urgency import blood_pressures

    assert blood_pressures("my blood pressure is still 150-something over 95") == [(150, 95)]
    assert "chypo" in extract_facts("my sugars keep dropping under 4 most days this week").tokens
    assert "chypo" not in extract_facts("diabetic, my son is under 4 years old and has a cold").tokens


def test_round_12_worsening_is_not_a_routine_cue_and_heartburn_most_nights_is_recurring() -> None:
    zh = passage("5 何时就诊及科室", "- 头痛频繁（每周数次）、越来越重，或头痛性质改变；", doc_id="headache-zh-test", title="头痛与偏头痛",
                 n=42)
    got = match_criteria(extract_facts("头疼越来越厉害了，一次比一次重", age=43), criteria_of([zh]))
    assert got and got[0].level == "soon", got  # getting worse is seen within days, not booked as routine
    chest = passage("5 When to see a clinician", "See your primary care doctor soon (within days) for recurring heartburn.",
                    doc_id="chest-test", title="Chest pain", n=43)
    got = match_criteria(extract_facts("Heartburn most nights for about 3 weeks now, Rennies help a bit", age=47), criteria_of([chest]))
    assert got and got[0].level == "soon", got


def test_round_12_a_treatment_not_helping_needs_the_patient_to_say_so() -> None:
    asthma = passage("3 Red flags: seek emergency care now", "- Your reliever inhaler is not helping.", doc_id="asthma-red-test",
                     title="Asthma", n=44)
    assert not match_criteria(extract_facts("Asthma's fine, annual review overdue, blue one maybe once a month", age=42),
                              criteria_of([asthma]))
    got = match_criteria(extract_facts("wheezy and the blue inhaler isn't helping at all", age=42), criteria_of([asthma]))
    assert got and got[0].level == "emergency", got


def test_round_12_talking_in_full_sentences_is_not_being_unable_to() -> None:
    cough = passage("3 Red flags: seek emergency care now", "- Struggling to breathe or unable to speak in full sentences.",
                    doc_id="cough-red-test", title="Cough", n=45)
    assert not match_criteria(extract_facts("asthma worse with a cold, talking in full sentences, still playing", age=9),
                              criteria_of([cough]))
    got = match_criteria(extract_facts("my asthmatic daughter can only get 2 or 3 words out", age=9), criteria_of([cough]))
    assert got and got[0].level == "emergency", got


def test_round_12_prompt_assessment_among_red_flags_is_same_day() -> None:
    preg = passage("3 Red flags: seek emergency care now", "Blood pressure of 140/90 or higher in pregnancy also needs prompt "
                   "assessment.", doc_id="preg-test", title="Warning signs during and after pregnancy", n=46)
    got = match_criteria(extract_facts("30 weeks, home BP 142/92 then 140/90, no headache", age=31, pregnant=True), criteria_of([preg]))
    assert got and got[0].level == "urgent", got


def test_round_12_not_the_back_of_the_body_and_a_denied_chinese_pain() -> None:
    assert "back" not in extract_facts("HbA1c came back 8.9% on my annual bloods").tokens
    assert "back" in extract_facts("my back hurts when I bend").tokens
    assert "back" in extract_facts("I get back pain when I sit").tokens  # "get back" is not "came back" here
    assert "cchest_pain" not in extract_facts("心跳乱跳，胸口不痛，也不晕").tokens
    assert "cchest_pain" in extract_facts("胸口痛了一上午").tokens


def test_round_12_the_usual_breathing_is_not_a_breathing_sign() -> None:
    from rag.safety.clauses import split_clauses

    assert all(c.negated for c in split_clauses("His breathing is the same as usual") if "breathing" in c.text)
    assert not any(c.negated for c in split_clauses("my breathing is worse than usual"))


def test_round_12_a_cold_is_everyday_and_a_meter_reading_is_a_reading() -> None:
    from rag.safety.urgency.facts import glucose_values

    assert glucose_values("我糖尿病打胰岛素，测了3.6，吃了四片葡萄糖片，15分钟后再测5.8") == [3.6, 5.8]
    assert glucose_values("On insulin, went low at 3.4 before lunch, 15 mins later 5.8") == [3.4]  # (the later 5.8 has no cue)
    assert "cburn" not in extract_facts("Period pains as usual, hot water bottle helping").tokens
    assert extract_facts("孩子腋温38.3，精神还行", age=3).temperature_c == 38.3  # an armpit reading is a temperature


def test_round_13_a_bare_reading_in_body_temperature_range_is_a_temperature() -> None:
    assert extract_facts("Cough for five days and I'm 38.5.", age=45).temperature_c == 38.5
    assert extract_facts("吃了美林两个钟头了还是39.6", age=4).temperature_c == 39.6
    for text in ("my BMI is 35.2", "I'm 38.5 weeks pregnant", "weighed 40.5 kg at the clinic", "sugar 38.5 on the meter"):
        assert extract_facts(text, age=30).temperature_c is None, text


def test_round_13_breathless_on_the_slightest_effort_is_breathless_but_not_struggling() -> None:
    cough = passage("5 When to see a clinician", "Get an urgent appointment today if you have a cough and:\n\n"
                    "- you are short of breath;\n- you are wheezy.", doc_id="cough-test", title="Acute cough", n=50)
    red = passage("3 Red flags: seek emergency care now", "- Struggling to breathe, breathing very fast.", doc_id="cough-test",
                  title="Acute cough", n=51)
    facts = extract_facts("Cough for five days. I get puffed walking to the car.", age=45)
    assert {"cbreathless", "breath_on_exertion"} <= facts.tokens
    got = match_criteria(facts, criteria_of([cough, red]))
    assert got and got[0].level == "urgent", got  # same day, not an ambulance
    assert "breath_on_exertion" not in extract_facts("now breathless just sitting in the chair", age=68).tokens
    assert "cbreathless" not in extract_facts("Dry cough for 3 weeks, breathing seems ok at rest.", age=88).tokens
    assert "cbreathless" not in extract_facts("puffed going upstairs, as always", age=60).tokens


def test_round_13_what_follows_with_in_a_chinese_list_qualifies_the_sign_before_it() -> None:
    red = passage("3 危险信号：立即就医", "- 剧烈头痛伴脖子发硬（颈项强直）、怕光；", doc_id="fever-zh-test", title="成人发热", n=52)
    assert not match_criteria(extract_facts("又是熟悉的偏头痛，左边一跳一跳的，怕光，跟以前每次一样", age=40), criteria_of([red]))
    got = match_criteria(extract_facts("发烧39度，头痛得厉害，怕光，脖子有点硬", age=30), criteria_of([red]))
    assert got and got[0].level == "emergency", got


def test_round_13_climbing_floors_is_exertion_and_a_fasting_threshold_needs_a_fasting_reading() -> None:
    angina = passage("5 何时就诊及科室", "- 活动后胸闷胸痛休息后缓解（可能是心绞痛）：请当天到**心内科**就医。", doc_id="chest-zh-test",
                     title="胸痛", n=53)
    got = match_criteria(extract_facts("这一个礼拜爬四楼，爬到一半胸口就发紧，站着歇两三分钟就好了", age=60), criteria_of([angina]))
    assert got and got[0].level == "urgent", got
    dm = passage("5 何时就诊及科室", "- 体检发现空腹血糖≥7.0 mmol/L（126 mg/dL）时，请预约门诊复查，明确诊断。", doc_id="dm-zh-test",
                 title="2型糖尿病与低血糖", n=54)
    assert not match_criteria(extract_facts("今天吃完午饭两小时测了一下血糖8.5", age=50), criteria_of([dm]))
    assert match_criteria(extract_facts("早上空腹血糖8.5", age=50), criteria_of([dm]))


def test_round_13_the_years_of_a_diagnosis_and_lengths_said_without_a_number() -> None:
    assert extract_facts("确诊糖尿病两年了，脚有点麻", age=50).duration_days != 730
    assert extract_facts("diabetic for 8 years, foot numb for 2 weeks", age=60).duration_days == 14
    assert extract_facts("my heart skips now and then. Months now.", age=50).duration_days == 60
    assert extract_facts("low for weeks", age=30).duration_days == 14
    assert extract_facts("my mood has been low for the past month", age=36).duration_days == 30
    assert extract_facts("a headache for 3 days", age=30).duration_days == 3


def test_round_13_a_late_check_is_a_review_and_the_second_reading_counts() -> None:
    for text in ("Realised I haven't had an asthma check since before the pandemic. All fine, just overdue.",
                 "今年的眼底检查和肾功能还没查，血糖控制得还行。"):
        assert extract_facts(text, age=40).asks_review, text
    assert not extract_facts("my asthma has been bad this week", age=40).asks_review
    f = extract_facts("First reading 172/104 straight after running up the stairs. Sat quietly five minutes, second reading "
                      "128/82.", age=50)
    assert f.blood_pressure == (128, 82)
    assert extract_facts("readings 150/95 and 165/100 this week", age=50).blood_pressure == (165, 100)


def test_round_13_bare_readings_in_a_message_about_sugars_are_sugars() -> None:
    from rag.safety.urgency.facts import glucose_values

    assert glucose_values("On insulin. Was 3.6 before lunch, 15 minutes later 6.2, then ate.") == [3.6, 6.2]
    assert glucose_values("on metformin, a1c 7.2 last month") == []
    assert glucose_values("diabetic, temp 38.2 today") == []
    assert "chypo" in extract_facts("On insulin. Was 3.6 before lunch, had 4 glucose tablets.", age=50).tokens


def test_round_13_cannot_sit_still_is_one_sign_and_a_ring_with_a_pale_middle_is_a_bullseye() -> None:
    abdo = passage("3 Red flags: seek emergency care now", "- Sudden, severe or rapidly worsening pain, or pain so bad you "
                   "cannot sit still or cannot move.", doc_id="abdo-test", title="Abdominal pain (stomach ache)", n=55)
    assert not match_criteria(extract_facts("Sciatica pain down my leg, can't sit through a shift in the van", age=45),
                              criteria_of([abdo]))
    got = match_criteria(extract_facts("tummy pain since lunch, I'm rolling around in pain and can't sit still", age=45),
                         criteria_of([abdo]))
    assert got and got[0].level == "emergency", got
    tick = passage("5 When to see a clinician", "See your primary care doctor if you develop a bullseye rash after a tick bite, "
                   "an expanding rash after a tick bite, or a flu-like illness after a tick bite.", doc_id="bites-test",
                   title="Insect bites, stings and tick bites", n=56)
    got = match_criteria(extract_facts("Pulled a tick off my thigh nine days ago. Now a red ring spreading out from the spot with "
                                       "a paler middle.", age=38), criteria_of([tick]))
    assert got and got[0].level == "soon", got


def test_round_13_a_bare_duration_is_the_duration_of_the_guidelines_subject() -> None:
    dep = passage("5 When to see a clinician", "See your primary care doctor if symptoms last more than 2 weeks, affect work, "
                  "school or relationships.", doc_id="dep-test", title="Depression and anxiety", n=57)
    late = extract_facts("My period is nearly 6 weeks late and I have pain low on the right", age=28, sex="female")
    assert not match_criteria(late, criteria_of([dep]), frozenset({"abdo-test"}))  # the answer is about another guideline
    assert match_criteria(extract_facts("I've felt depressed for 6 weeks", age=28), criteria_of([dep]), frozenset({"abdo-test"}))
    assert match_criteria(extract_facts("I have been feeling down for 6 weeks", age=28), criteria_of([dep]), frozenset({"dep-test"}))


def test_round_13_a_chinese_a_not_a_question_is_not_a_denial_and_asks_for_a_review() -> None:
    from rag.safety.urgency.terms import _tokens

    assert "not_cfever" not in _tokens("是不是发烧了") and "not_cfever" in _tokens("不发烧")
    assert extract_facts("体检空腹血糖6.4，医生说是糖尿病前期，想问问要不要去内分泌科看看。", age=45).asks_review
    assert "csprain" in extract_facts("医生说是搬重东西拉伤了肋骨旁边的肌肉", age=35).tokens
    assert "csprain" not in extract_facts("eye strain from the screen", age=35).tokens


def test_round_13_there_and_back_is_not_the_back_and_a_kettle_is_not_a_burn() -> None:
    f = extract_facts("Rolled my ankle, swollen and bruising, but I can hobble to the kettle and back.", age=30)
    assert "back" not in f.tokens and "cburn" not in f.tokens and "csprain" in f.tokens
    assert "cburn" in extract_facts("spilt water from the kettle on my arm", age=30).tokens
    assert "back" in extract_facts("my back hurts", age=30).tokens


def test_round_13_another_guidelines_criterion_does_not_decide_on_one_word_below_an_emergency() -> None:
    uti = passage("5 When to see a clinician", "See a primary care doctor if:\n\n- you have blood in the urine, fever, or back "
                  "pain;", doc_id="uti-test", title="Urinary tract infection (UTI, bladder infection)", n=58)
    back = extract_facts("My back locked solid when I lifted the sofa this morning, I can't stand up straight.", age=30)
    assert not match_criteria(back, criteria_of([uti]), frozenset({"back-test"}))
    assert match_criteria(back, criteria_of([uti]))  # (no answer topic known: every guideline counts)
    wee = extract_facts("it burns when I wee and now my back hurts", age=30)
    assert match_criteria(wee, criteria_of([uti]), frozenset({"back-test"}))  # the patient has the guideline's subject


def test_round_13_a_condition_that_should_be_investigated_is_a_criterion() -> None:
    hypo = passage("5 When to see a clinician", "Hypoglycaemia in someone without diabetes should be investigated by a doctor, "
                   "usually endocrinology.", doc_id="hypo-test", title="Low blood sugar (hypoglycaemia)", n=59)
    got = match_criteria(extract_facts("I'm not diabetic but I get shaky sweaty spells, my mum's meter said 3.3", age=31),
                         criteria_of([hypo]))
    assert got and got[0].level == "soon" and "no diabetes" in got[0].grounds, got
    assert not match_criteria(extract_facts("type 2 diabetic on gliclazide, went low at 3.3 before lunch", age=60),
                              criteria_of([hypo]))


def test_round_13_low_mood_after_a_birth_is_seen_within_days_and_hay_fever_is_not_a_fever() -> None:
    dep = passage("5 When to see a clinician", "See your primary care doctor if symptoms last more than 2 weeks, affect work, "
                  "school or relationships.", doc_id="dep-test", title="Depression and anxiety", n=60)
    got = match_criteria(extract_facts("had my baby 6 weeks ago and my mood has been low for 3 weeks, crying every day",
                                       age=30, sex="female"), criteria_of([dep]), frozenset({"dep-test"}))
    assert got and got[0].level == "soon", got
    got = match_criteria(extract_facts("my mood has been low for 3 weeks since I lost my job", age=30), criteria_of([dep]),
                         frozenset({"dep-test"}))
    assert got and got[0].level == "routine", got
    assert "cfever" not in extract_facts("hay fever season, itchy eyes and a cough for a week", age=30).tokens
    face = passage("3 Red flags: seek emergency care now", "- Sudden breathing difficulty with swelling of the face or throat.",
                   doc_id="cough-test", title="Chronic (long-lasting) cough", n=61)
    assert not match_criteria(extract_facts("blocked nose for 3 days with a cold, throat a bit scratchy, breathing fine "
                                            "through my mouth", age=30), criteria_of([face]))


def test_round_14_a_peak_flow_beside_the_best_is_a_share_of_the_best() -> None:
    from rag.safety.urgency.facts import _lowest_percent

    assert _lowest_percent("peak flow 330 and my best is 450") == pytest.approx(73.3)
    assert _lowest_percent("峰流速280，平时最好400") == pytest.approx(70.0)
    assert _lowest_percent("peak flow 300 (usually 450)") == pytest.approx(66.7)
    assert _lowest_percent("peak flow 72% of my best") == pytest.approx(72.0)
    assert _lowest_percent("peak flow 330") is None  # no best given: no share
    red = passage("3 Red flags: seek emergency care now", "- Peak flow in the red zone (below 50% of your best).",
                  doc_id="asthma-test", title="Asthma", n=70)
    mid = extract_facts("asthma worse with a cold, peak flow 330 and my best is 450", age=30)
    assert not [m for m in match_criteria(mid, criteria_of([red])) if m.level == "emergency"]
    assert [m for m in match_criteria(extract_facts("asthma bad, peak flow 200 and my best is 450", age=30), criteria_of([red]))
            if m.level == "emergency"]
    # between half and three quarters of the best: seen the same day when no criterion says so
    d = decide_urgency(extract_facts("using my reliever a lot, peak flow 330, best is 470", age=22), [], red_flag_labels=[],
                       language="en")
    assert d.level == "urgent" and "75%" in d.reason
    d = decide_urgency(extract_facts("peak flow 420, best is 470, just checking", age=22), [], red_flag_labels=[], language="en")
    assert d.level != "urgent"


def test_round_14_the_similar_cases_floor_reads_what_is_happening_not_a_question_about_what_might() -> None:
    from rag.safety.similar_cases import _told_as_now

    text = "what should I do if my son ever has a fit with a fever? he is 3 and totally well right now"
    kept = _told_as_now(text)
    assert "fit" not in kept and "well" in kept
    assert _told_as_now("my son had a fit with a fever this morning") == "my son had a fit with a fever this morning"
    assert _told_as_now("what should I do if he ever has a fit?") == ""


def test_round_14_another_guidelines_temperature_line_needs_its_subject() -> None:
    dia = passage("5 When to see a clinician", "See a doctor if:\n\n- there is a fever of 102 °F (38.9 °C) or higher;",
                  doc_id="dia-test", title="Diarrhoea and dehydration", n=71)
    child = extract_facts("my 2 year old had 39.2 last night, gave him calpol", age=2)
    assert not match_criteria(child, criteria_of([dia]), frozenset({"fever-test"}))  # the answer is about the fever guideline
    assert match_criteria(child, criteria_of([dia]))  # no topic known: every guideline's line counts
    runs = extract_facts("my 2 year old has diarrhoea and 39.2", age=2)
    assert match_criteria(runs, criteria_of([dia]), frozenset({"fever-test"}))  # the patient has the guideline's subject


def test_round_14_a_pattern_the_patient_knows_is_not_a_reason_for_a_review_and_well_again_is_settled() -> None:
    from rag.safety.urgency.decide import _review_without_criterion

    usual = extract_facts("老毛病偏头痛又犯了 跟以前一模一样 吃了布洛芬躺着", age=35)
    assert usual.usual_pattern and "crecur" in usual.tokens and _review_without_criterion(usual, "zh") == ""
    worse = extract_facts("my migraines keep coming back, same as always but getting worse", age=35)
    assert _review_without_criterion(worse, "en")  # worse this time: a review still
    assert _review_without_criterion(extract_facts("my migraines keep coming back", age=35), "en")
    assert extract_facts("now he's running round the kitchen", age=2).settled
    assert extract_facts("he is 3 and totally well", age=3).settled
    # a settled child's past 39 °C is not a reason to be seen by itself
    d = decide_urgency(extract_facts("my 2 year old had 39.2 last night, now running round playing", age=2), [],
                       red_flag_labels=[], language="en")
    assert "39.2" not in d.reason


def test_round_14_a_routing_line_with_a_bracketed_department_is_not_a_criterion_and_lay_confusion() -> None:
    cough = passage("5 何时就诊及科室", "- 儿童咳嗽：到**儿科**（儿童呼吸科）就诊。", doc_id="cough-zh-test", title="咳嗽", n=72)
    child = extract_facts("孩子5岁 感冒好了 还有点干咳 两周了 咳得越来越少", age=5)
    assert not match_criteria(child, criteria_of([cough]), frozenset({"cough-zh-test"}))
    assert "cconfused" in extract_facts("dad has been not quite with it since lunch", age=79).tokens
    assert "cconfused" not in extract_facts("I'm not quite sure what to do", age=40).tokens


def test_round_14_a_green_face_is_not_green_vomit() -> None:
    vomit = passage("3 Red flags: seek emergency care now", "- Green (bile-stained) vomit, especially in a baby or child.",
                    doc_id="vomit-test", title="Nausea and vomiting", n=74)
    assert not match_criteria(extract_facts("threw up three times on the ferry and went green as a frog", age=8),
                              criteria_of([vomit]))
    assert match_criteria(extract_facts("she has been sick and the sick has gone green", age=2), criteria_of([vomit]))
    assert "not_weak" in extract_facts("pain down my leg for 6 weeks, legs aren't weak", age=40).tokens


def test_round_14_lay_words_for_a_faint_and_a_racing_heart_and_a_burning_feeling() -> None:
    palp = passage("3 Red flags: seek emergency care now", "Call emergency services if palpitations come with:\n\n- fainting "
                   "(blackout) or nearly fainting;", doc_id="palp-test", title="Palpitations", n=75)
    fast = extract_facts("heart suddenly went crazy fast, my watch said 190, and I blacked out in the kitchen for a few seconds",
                         age=45)
    assert {"cpalpitation", "cfaint"} <= fast.tokens
    got = match_criteria(fast, criteria_of([palp]))
    assert got and got[0].level == "emergency"
    assert "cfaint" not in extract_facts("the power went out, a blackout in the street", age=45).tokens
    # "it burns" beside blisters is a feeling; a burnt hand and a wee that burns keep their meaning
    assert "cburn" not in extract_facts("a band of little blisters round my chest, it burns", age=66).tokens
    assert "cburn" in extract_facts("burnt my hand on the oven", age=30).tokens
    assert "curine_pain" in extract_facts("my wee is pinkish and it burns", age=30).tokens
    # a faculty reported as fine is denied; a named condition reported as ok is still the patient's
    assert "not_cvision" in extract_facts("30 weeks pregnant, no headache, vision fine", age=30).tokens
    assert "not_sleep" in extract_facts("using my reliever more, not breathless, sleeping fine", age=30).tokens
    assert "asthma" in extract_facts("asthma is mostly ok", age=30).tokens
    tear = passage("3 Red flags: seek emergency care now", "- a sudden tearing pain going through to the back.",
                   doc_id="chest-test", title="Chest pain", n=76)
    assert not match_criteria(extract_facts("back pain for 2 months, much worse at night", age=55), criteria_of([tear]))
    assert match_criteria(extract_facts("sudden tearing pain going through to my back", age=55), criteria_of([tear]))


def test_round_14_black_stools_with_iron_tablets_are_not_the_guidelines_black_stools() -> None:
    red = passage("3 Red flags: seek emergency care now", "- Vomiting blood or material like coffee grounds, or black, tarry or "
                  "bloody stools.", doc_id="abdo-test", title="Abdominal pain", n=77)
    iron = extract_facts("my poo has gone really dark, almost black. I started the ferrous sulphate tablets last Tuesday", age=40)
    assert "black" not in iron.tokens
    assert not [m for m in match_criteria(iron, criteria_of([red])) if m.level == "emergency"]
    bleed = extract_facts("my poo is black and tarry since this morning", age=60)
    assert [m for m in match_criteria(bleed, criteria_of([red])) if m.level == "emergency"]


def test_round_14_a_stinging_feeling_is_not_an_insects_sting() -> None:
    assert "csting" not in extract_facts("Scalded my fingertip on kettle steam, it's red and stings but no blister", age=30).tokens
    assert "csting" not in extract_facts("touched the hot oven tray, small red patch, stings a bit", age=30).tokens
    assert "csting" in extract_facts("a wasp sting on my arm and it stings", age=30).tokens
    assert "curine_pain" in extract_facts("it stings when I wee", age=30).tokens


def test_round_15_words_that_describe_one_noun_keep_it() -> None:
    from rag.safety.urgency.criteria import _clauses

    assert [c.text for c in _clauses("Bloody or black stools.")] == ["Bloody stools", "black stools"]
    assert [c.text for c in _clauses("Confusion or extreme drowsiness.")] == ["Confusion", "extreme drowsiness"]
    # blood in the urine of a pregnant woman with a UTI is not the diarrhoea guideline's bloody stools
    urine = extract_facts("Pain when I pee for two days and now there's blood in it. 35 weeks pregnant", age=32)
    assert not [m for m in match_criteria(urine, criteria_of([RED])) if m.level == "emergency"]
    stools = extract_facts("diarrhoea since Monday and now there's blood in my poo", age=32)
    assert [m for m in match_criteria(stools, criteria_of([RED])) if m.level == "emergency"]


def test_round_15_how_often_is_not_how_long_and_nausea_is_not_vomiting() -> None:
    assert extract_facts("偏头痛好多年了，一个月两三次").duration_days is None
    assert extract_facts("migraines two or three times a month", age=40).duration_days is None
    assert extract_facts("I get them once a week", age=40).duration_days is None
    assert extract_facts("咳嗽一个月了", age=40).duration_days == pytest.approx(30)
    assert extract_facts("coughing for a week", age=40).duration_days == pytest.approx(7)
    feel = extract_facts("头疼 想吐", age=40)
    assert "cnausea" in feel.tokens and "cvomit" not in feel.tokens
    assert "cvomit" in extract_facts("吐了三次", age=40).tokens
    assert extract_facts("偏头痛 想问有没有预防的药", age=33).asks_review
    assert extract_facts("I'd like to ask about nicotine patches", age=58).asks_review


def test_round_15_exertional_chest_pain_that_stops_when_standing_still_is_the_same_day_line() -> None:
    chest = passage("5 When to see a clinician", "See a doctor today for new chest pain that comes on with exercise and "
                    "settles with rest (possible angina).", doc_id="chest-test", title="Chest pain", n=80)
    f = extract_facts("walking up the hill I get a tight band across my chest and have to stand still until it goes", age=62)
    assert "crest_relief" in f.tokens
    assert [m.level for m in match_criteria(f, criteria_of([chest]), frozenset({"chest-test"}))] == ["urgent"]


def test_round_15_a_long_term_conditions_self_care_is_for_people_who_have_it() -> None:
    copd_self = passage("4 Self-care at home", "- Pursed-lip breathing and pacing activities help with breathlessness.",
                        doc_id="copd-test", title="Chronic obstructive pulmonary disease (COPD)", n=81)
    copd_scope = passage("1 Who this applies to", "Adults with COPD, a long-term lung condition, who get breathless walking "
                         "or climbing stairs.",
                         doc_id="copd-test", title="Chronic obstructive pulmonary disease (COPD)", n=82)
    new = extract_facts("out of breath walking up stairs for the last few weeks, more than before", age=64)
    d = decide_urgency(new, [copd_scope, copd_self], red_flag_labels=[], language="en", ranked_doc_ids=["copd-test"])
    assert d.level != "self_care"
    known = extract_facts("I have COPD, a bit breathless on the stairs as usual", age=64)
    d = decide_urgency(known, [copd_scope, copd_self], red_flag_labels=[], language="en", ranked_doc_ids=["copd-test"])
    assert d.level == "self_care"


def test_round_15_an_older_adult_with_a_long_term_condition_and_a_fever_is_seen_the_same_day() -> None:
    f = extract_facts("有糖尿病，吃二甲双胍，咳嗽发烧3天，体温38.4，能吃饭", age=67)
    d = decide_urgency(f, [], red_flag_labels=[], language="zh")
    assert d.level == "urgent" and "慢性病" in d.reason
    assert decide_urgency(extract_facts("cough and a fever of 38.4 for 3 days", age=67), [], red_flag_labels=[],
                          language="en").level != "urgent"
    assert decide_urgency(extract_facts("I have diabetes, fever of 38.4", age=45), [], red_flag_labels=[],
                          language="en").level != "urgent"


def test_round_15_a_ladder_failure_in_the_degraded_path_says_so_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import rag.consult as rc
    from rag.answer.schema import ConsultRequest

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("ladder broke")

    monkeypatch.setattr(rc, "_decide", fail)
    advice, record = rc.triage_only_advice(ConsultRequest(symptoms="a sore throat for two days", age=30), "t-1", "generate")
    said = rc._DEGRADED["en"].format(what=rc._STEP_WORDS["en"]["generate"])
    assert advice.seek_care.reason.count(said) == 1 and advice.status == "degraded"


def test_round_15_self_care_from_a_guideline_that_names_the_known_condition_not_one_the_patient_denies() -> None:
    palp = passage("4 Self-care at home", "- Manage stress: slow breathing, regular exercise, enough sleep.",
                   doc_id="palp-test", title="Palpitations", n=83)
    anx = passage("4 Self-care at home", "- For anxiety and panic: slow breathing, grounding, regular exercise.",
                  doc_id="anx-test", title="Depression and anxiety", n=84)
    anx_scope = passage("1 Who this applies to", "Low mood, anxiety, panic attacks (a pounding heart) and panic disorder.",
                        doc_id="anx-test",
                        title="Depression and anxiety", n=85)
    f = extract_facts("another panic attack, heart thumping, passed in 10 minutes; the GP diagnosed panic attacks", age=23)
    assert "panic disorder" in f.conditions
    d = decide_urgency(f, [palp, anx, anx_scope], red_flag_labels=[], language="en", ranked_doc_ids=["palp-test", "anx-test"])
    assert d.level == "self_care" and d.passage is not None and d.passage.doc_id == "anx-test"
    chest = passage("4 Self-care at home", "- Mild chest wall pain from a strain may ease with rest.", doc_id="chest-test",
                    title="Chest pain", n=86)
    denied = extract_facts("out of breath on the stairs for a few weeks, no chest pain", age=64)
    d = decide_urgency(denied, [chest], red_flag_labels=[], language="en", ranked_doc_ids=["chest-test"])
    assert d.level != "self_care"


def test_round_15_new_pain_low_on_the_right_and_a_reliever_needed_several_times_a_day_are_same_day() -> None:
    for text, lang in (("右下腹隐隐作痛两天了，不发烧，走路震着也疼", "zh"),
                       ("pain started round my belly button, now it's moved to the bottom right", "en")):
        d = decide_urgency(extract_facts(text, age=19), [], red_flag_labels=[], language=lang)
        assert d.level == "urgent", text
    # "左右下不来" (about 17, will not come down) is no lower right; a leg's lower right is not the tummy
    assert "clower_right" not in extract_facts("血糖一直在17左右下不来", age=60).tokens
    assert decide_urgency(extract_facts("a sore rash on my lower right leg", age=30), [], red_flag_labels=[],
                          language="en").level != "urgent"
    several = extract_facts("needing my blue puffer 4 or 5 times a day lately, I used to only need it about once a week",
                            age=30)
    assert decide_urgency(several, [], red_flag_labels=[], language="en").level == "urgent"
    weekly = extract_facts("using my reliever about 3 times a week instead of once a fortnight", age=30)
    assert "several_a_day" not in weekly.tokens
    assert "several_a_day" in extract_facts("万托林一天要喷四五回，以前一周都用不了一次", age=31).tokens


def test_round_15_food_that_sticks_on_the_way_down_is_never_self_care() -> None:
    # (the self-care names the swallowing, so that only the alarm sign, not an unheard-of sign, keeps it from the patient)
    self_care = passage("4 Self-care at home", "- Antacids and smaller meals help indigestion; eat slowly if food sticks "
                        "when you swallow.", doc_id="abdo-test", title="Indigestion", n=87)
    f = extract_facts("indigestion for a month despite Gaviscon, and lately bread and meat stick halfway down", age=57)
    assert "cswallow_trouble" in f.tokens
    d = decide_urgency(f, [self_care], red_flag_labels=[], language="en", ranked_doc_ids=["abdo-test"])
    assert d.level not in {"self_care", "routine"}


def test_round_15_sunburn_is_a_burn_and_a_later_meter_reading_is_no_number_left_over() -> None:
    assert "cburn" in extract_facts("bit of sunburn on my shoulders, pink and warm, no blisters", age=25).tokens
    assert "cburn" in extract_facts("去海边玩晒伤了，后背红红的", age=19).tokens
    hypo = extract_facts("on insulin, felt shaky and sugar was 3.6, had 4 glucose tablets and 15 min later its 5.8, feel fine",
                         age=45)
    assert hypo.glucose_mmol == 3.6 and hypo.readings == () and hypo.settled
    zh = extract_facts("吃二甲双胍的，跑完步有点手抖，测了3.8，喝了半杯果汁，15分钟后测5.6，现在好了", age=50)
    assert zh.glucose_mmol is not None and zh.readings == ()
    assert extract_facts("my sugar is 15.2 mmol and my HbA1c was 7.8", age=45).readings == ("7.8",)


def test_round_15_a_concept_is_named_in_chinese_by_what_it_is_not_by_its_first_example() -> None:
    from rag.safety.urgency.matching import _zh_grounds

    assert _zh_grounds("age; you mention long term") == "年龄符合；您提到慢性病"


def test_round_15_a_raised_levels_note_of_the_level_it_came_from_is_no_stand_down() -> None:
    from rag.safety.screen import contradicts_urgency

    raised = ("Same day: no guideline criterion matched exactly (the ladder said “Routine appointment”), but presentations "
              "like this one needed a same-day assessment")
    assert contradicts_urgency(raised, "urgent") is None
    assert contradicts_urgency("当天就医：没有完全相符的指南就医标准（阶梯判断为“择期门诊”），但与您的描述相似的已标注病例需要当天评估", "urgent") is None
    assert contradicts_urgency("Book a routine appointment with your doctor.", "urgent")


def test_round_15_a_rash_with_a_fever_is_never_self_care() -> None:
    self_care = passage("4 Self-care at home", "- Rest at home and drink fluids while you have a fever.", doc_id="fever-test",
                        title="Fever in adults", n=88)
    scope = passage("1 Who this applies to", "Adults with a fever or a rash.", doc_id="fever-test", title="Fever in adults", n=89)
    f = extract_facts("身上起疹子，还发烧38度5", age=29)
    d = decide_urgency(f, [scope, self_care], red_flag_labels=[], language="zh", ranked_doc_ids=["fever-test"])
    assert d.level not in {"self_care", "routine"} and "疹" in d.reason
    calm = extract_facts("a fever of 38.5 since yesterday", age=29)
    assert decide_urgency(calm, [scope, self_care], red_flag_labels=[], language="en", ranked_doc_ids=["fever-test"]).level \
        == "self_care"


def test_round_15_a_past_reaction_to_a_medicine_or_food_is_assessed_not_self_care() -> None:
    self_care = passage("4 Self-care at home", "- Antihistamines can ease itchy welts (hives).", doc_id="rash-test",
                        title="Rash and allergic reactions", n=90)
    scope = passage("1 Who this applies to", "Rashes, hives, itching and allergic reactions.", doc_id="rash-test",
                    title="Rash and allergic reactions", n=91)
    for text, lang in (("came out in itchy welts after my last course of amoxicillin", "en"),
                       ("上次吃头孢身上起了一片红疙瘩，奇痒", "zh")):
        f = extract_facts(text, age=30)
        assert f.past_reaction, text
        d = decide_urgency(f, [scope, self_care], red_flag_labels=[], language=lang, ranked_doc_ids=["rash-test"])
        assert d.level == "routine", text
    assert not extract_facts("itchy eyes after cutting the grass", age=30).past_reaction
    assert not extract_facts("came up in itchy hives an hour after eating prawns, breathing fine", age=30).past_reaction
    assert not extract_facts("took ibuprofen for a headache", age=30).past_reaction


def test_round_15_a_cough_with_a_fever_and_breathlessness_is_same_day() -> None:
    d = decide_urgency(extract_facts("咳了五天，痰是黄绿色的，今天走几步路就喘，体温38.4", age=48), [], red_flag_labels=[],
                       language="zh")
    assert d.level == "urgent" and "肺炎" in d.reason
    assert decide_urgency(extract_facts("cough and a fever of 38.4 for 3 days, breathing fine", age=48), [],
                          red_flag_labels=[], language="en").level != "urgent"


# --- round 16 (2026-12-02): criteria about daily life, restless legs, a qualifier that is one part's own, new urine
# symptoms, a course that gets stronger, and persistent hoarseness at 45+ or in a smoker

SLEEP_SEEK = passage("5 When to see a clinician", "See your primary care doctor if poor sleep lasts more than a few weeks, "
                     "affects your daytime life, or if you suspect sleep apnoea, restless legs or depression.",
                     doc_id="insomnia-test", title="Insomnia (trouble sleeping)", n=100)


def test_round_16_sleep_that_spoils_the_working_day_meets_affects_your_daytime_life() -> None:
    for text in ("haven't slept properly for ten days and I'm making mistakes at work", "can't sleep, keep falling asleep at my desk",
                 "睡不着快两周了，上班老出错"):
        f = extract_facts(text, age=41)
        assert "cdaily_impact" in f.tokens, text
        assert [m.level for m in match_criteria(f, criteria_of([SLEEP_SEEK]), frozenset({"insomnia-test"}))] == ["soon"], text
    # poor sleep alone, for a few nights, is what the self-care is for
    assert not match_criteria(extract_facts("slept badly for three nights before an exam", age=20), criteria_of([SLEEP_SEEK]))


def test_round_16_restless_legs_in_lay_words() -> None:
    f = extract_facts("a crawly feeling in my legs every night, I have to keep moving my legs and can't drop off", age=55)
    assert "crestless_legs" in f.tokens
    assert [m.level for m in match_criteria(f, criteria_of([SLEEP_SEEK]), frozenset({"insomnia-test"}))] == ["soon"]


def test_round_16_a_closing_qualifier_stays_with_a_last_part_that_is_its_own_condition() -> None:
    from rag.safety.urgency.criteria import _clauses

    clauses = _clauses("See your primary care doctor or a physiotherapist if pain is not improving after a few weeks, is severe, "
                       "stops you working or sleeping, or if you have sciatica that is not settling.")
    severe = next(c for c in clauses if c.text.strip().startswith("is severe"))
    assert "cnot_improving" not in severe.tokens  # "is severe" is not "is severe that is not settling"
    back = passage("5 When to see a clinician", "See your primary care doctor or a physiotherapist if pain is not improving "
                   "after a few weeks, is severe, stops you working or sleeping, or if you have sciatica that is not settling.",
                   doc_id="back-test", title="Low back pain", n=101)
    f = extract_facts("my lower back pain is really severe since yesterday", age=44)
    assert match_criteria(f, criteria_of([back]), frozenset({"back-test"}))
    # the burns form still shares its qualifier: every part "causes blisters"
    burns = _clauses("Go to A&E for burns to the face, hands, feet or genitals that cause blisters.")
    assert all("blister" in " ".join(sorted(c.tokens)) for c in burns)


def test_round_16_new_burning_when_passing_urine_is_checked_not_left_to_self_care() -> None:
    scope = passage("1 Who this applies to", "Anyone with symptoms of a water infection: burning when peeing, needing to pee "
                    "often.", doc_id="uti-test", title="Urinary tract infection", n=102)
    self_care = passage("4 Self-care at home", "- Drink enough fluids to keep your urine pale.", doc_id="uti-test",
                        title="Urinary tract infection", n=103)
    for text, lang in (("it burns when I pee and I'm going every hour since this morning", "en"), ("这两天小便痛，老想上厕所", "zh")):
        d = decide_urgency(extract_facts(text, age=34, sex="female"), [scope, self_care], red_flag_labels=[], language=lang,
                           ranked_doc_ids=["uti-test"])
        assert d.level == "soon", text
    usual = extract_facts("burning when I pee again, same as always, drinking lots", age=34, sex="female")
    assert decide_urgency(usual, [scope, self_care], red_flag_labels=[], language="en", ranked_doc_ids=["uti-test"]).level \
        == "self_care"


def test_round_16_a_course_that_gets_stronger_or_more_frequent_is_worse() -> None:
    assert "cworse" in extract_facts("the flutters are stronger and more frequent than in the summer", age=50).tokens
    assert "cworse" in extract_facts("心慌越来越频繁", age=50).tokens
    assert "cworse" not in extract_facts("the flutters come now and then, same as always", age=50).tokens


def test_round_16_persistent_hoarseness_at_45_or_in_a_smoker_is_not_a_routine_booking() -> None:
    ent = passage("5 何时就诊及科室", "鼻塞流涕、鼻后滴漏、声音嘶哑超过3周：可看耳鼻喉科。", doc_id="cough-test", title="咳嗽", n=104)
    older = extract_facts("声音哑了五个星期了，还没好", age=58)
    assert [m.level for m in match_criteria(older, criteria_of([ent]), frozenset({"cough-test"}))] == ["soon"]
    smoker = extract_facts("嗓子哑了一个月，抽烟十年了", age=36)
    assert [m.level for m in match_criteria(smoker, criteria_of([ent]), frozenset({"cough-test"}))] == ["soon"]
    young = extract_facts("声音哑了一个多月，不抽烟", age=28)
    assert [m.level for m in match_criteria(young, criteria_of([ent]), frozenset({"cough-test"}))] == ["routine"]


NEWBORN_NORMAL = passage("2 Assessment", "**Normal things that worry parents:** sneezing, hiccups, irregular breathing with "
                         "short pauses under a few seconds, small white spots on the nose (milia), and some spitting up after "
                         "feeds.", doc_id="newborn-test", title="Newborn warning signs", n=105)
PREGNANCY_NORMAL = passage("2 Assessment", "Common, usually normal pregnancy discomforts: morning sickness (nausea) in early "
                           "pregnancy, tiredness, mild ankle swelling at the end of the day, heartburn, backache.",
                           doc_id="pregnancy-test", title="Warning signs in pregnancy", n=106)


def test_round_16_what_the_complaints_own_guideline_lists_as_normal_is_self_care() -> None:
    for text, age, pregnant, doc in (
            ("our 5 week old sneezes loads and gets hiccups after every feed, feeding well, plenty of wet nappies", 0.1, None,
             "newborn-test"),
            ("30 weeks pregnant, ankles a bit swollen by the end of the day, they go down overnight", 30, True,
             "pregnancy-test")):
        d = decide_urgency(extract_facts(text, age=age, pregnant=pregnant), [NEWBORN_NORMAL, PREGNANCY_NORMAL],
                           red_flag_labels=[], language="en", ranked_doc_ids=[doc], topic_doc_ids=[doc])
        assert (d.level, d.basis) == ("self_care", "normal"), text
        assert "normal things" in d.reason and d.passage is not None and d.passage.doc_id == doc
    # anything the list does not name, a fever, a worsening or a reading keeps the clinician the guideline's silence asks for
    for text, age, pregnant, doc in (
            ("our 5 week old sneezes loads and has a temperature of 37.9", 0.1, None, "newborn-test"),
            ("our 5 week old sneezes a lot and has been vomiting after every feed", 0.1, None, "newborn-test"),
            ("my 3 week old keeps sneezing and is feeding less than usual", 0.06, None, "newborn-test"),
            ("white patches on my 5 week old's tongue that don't wipe off", 0.1, None, "newborn-test"),
            ("30 weeks pregnant, ankles swollen and getting worse every day", 30, True, "pregnancy-test"),
            ("30 weeks pregnant, ankles a bit swollen in the evening, BP 150/95 at the pharmacy", 30, True, "pregnancy-test")):
        d = decide_urgency(extract_facts(text, age=age, pregnant=pregnant), [NEWBORN_NORMAL, PREGNANCY_NORMAL],
                           red_flag_labels=[], language="en", ranked_doc_ids=[doc], topic_doc_ids=[doc])
        assert d.basis != "normal" and d.level != "self_care", text
    # only the complaint's own guideline speaks for it
    d = decide_urgency(extract_facts("our 5 week old sneezes loads and gets hiccups", age=0.1), [NEWBORN_NORMAL],
                       red_flag_labels=[], language="en", ranked_doc_ids=["newborn-test"], topic_doc_ids=["other-test"])
    assert d.basis != "normal"


def test_round_16_the_similar_cases_floor_leaves_what_the_guideline_calls_normal() -> None:
    from rag.safety.similar_cases import raise_by_similar_cases

    text = "My 10 day old sneezes loads and when asleep her breathing goes irregular with little pauses"
    facts = extract_facts(text, age=0.03)
    d = decide_urgency(facts, [NEWBORN_NORMAL], red_flag_labels=[], language="en", ranked_doc_ids=["newborn-test"],
                       topic_doc_ids=["newborn-test"])
    assert d.basis == "normal"
    assert raise_by_similar_cases(d, text, facts, [NEWBORN_NORMAL], "en") is d


def test_round_16_lows_that_keep_happening_are_seen_within_days() -> None:
    hypo = passage("5 When to see a clinician", "Contact your diabetes team or primary care doctor if you have had a severe "
                   "low needing help from another person, frequent lows, lows at night, or loss of warning signs — your "
                   "medicines may need adjusting.", doc_id="hypo-test", title="Low blood sugar (hypoglycaemia)", n=107)
    f = extract_facts("my sugars keep dropping under 4 most days this week", age=60)
    assert [m.level for m in match_criteria(f, criteria_of([hypo]), frozenset({"hypo-test"}))] == ["soon"]


def test_round_16_pus_in_diarrhoea_is_pus_in_the_stool() -> None:
    seek = passage("5 When to see a clinician", "See a doctor (primary care, or paediatrics for children) if:\n- there is pus "
                   "in the stool;", doc_id="diarrhoea-test", title="Diarrhoea and dehydration", n=108)
    f = extract_facts("diarrhoea with what looks like pus or yellow slime in it", age=45)
    assert [m.level for m in match_criteria(f, criteria_of([seek]), frozenset({"diarrhoea-test"}))] == ["soon"]
    assert not match_criteria(extract_facts("diarrhoea since yesterday, no blood", age=45), criteria_of([seek]),
                              frozenset({"diarrhoea-test"}))


def test_round_16_a_raised_dose_is_a_changed_medicine() -> None:
    for text in ("Since the doctor upped my amlodipine I go woozy for a few seconds when I stand up quickly",
                 "since my blood pressure tablets were increased last week I get dizzy when I stand up",
                 "血压药加量以后站起来头晕"):
        f = extract_facts(text, age=74)
        assert f.new_medicine, text
        d = decide_urgency(f, [], red_flag_labels=[], language="en")
        assert d.level == "soon" and "changing a medicine" in d.reason, text
    assert not extract_facts("I increased my walking and feel great, a bit stiff", age=60).new_medicine


def test_round_16_home_from_hospital_with_asthma_is_after_an_asthma_attack() -> None:
    asthma = passage("5 When to see a clinician", "See your primary care doctor or asthma nurse within 2 days if you have just "
                     "left hospital after an asthma attack.", doc_id="asthma-test", title="Asthma", n=109)
    f = extract_facts("got discharged from hospital yesterday after they kept me in 3 nights with my asthma", age=44)
    assert [m.level for m in match_criteria(f, criteria_of([asthma]), frozenset({"asthma-test"}))] == ["soon"]
    assert "attack" not in extract_facts("discharged from hospital after my hip operation", age=70).tokens


def test_round_16_a_burns_criterion_is_for_burns() -> None:
    burns = passage("3 Red flags: seek emergency care now", "- burns to the face, hands, arms, feet, legs, genitals or "
                    "across a joint that cause blisters;", doc_id="burns-test", title="Burns and scalds", n=110)
    for text in ("little blisters came up on my penis", "Painful band of little blisters across the left side of my back"):
        assert not match_criteria(extract_facts(text, age=40), criteria_of([burns]), frozenset({"sti-test"})), text
    for text in ("splashed hot oil on the back of my hand, blister the size of a 50p", "got an electric shock from a plug, "
                 "blister on my hand"):
        assert [m.level for m in match_criteria(extract_facts(text, age=40), criteria_of([burns]), frozenset({"burns-test"}))] \
            == ["emergency"], text


def test_round_16_suspected_sleep_apnoea_is_a_routine_appointment_unless_sleepy_at_the_wheel() -> None:
    for text in ("Wife says I stop breathing in my sleep and snore like a freight train. I'm shattered all day.",
                 "老公打呼噜很响，晚上好像会憋气，白天老犯困，不开车"):
        levels = [m.level for m in match_criteria(extract_facts(text, age=50), criteria_of([SLEEP_SEEK]),
                                                  frozenset({"insomnia-test"}))]
        assert levels == ["routine"], text
    driving = extract_facts("I snore loudly and I nod off at the wheel at traffic lights", age=50)
    assert "casleep_driving" in driving.tokens
    assert [m.level for m in match_criteria(driving, criteria_of([SLEEP_SEEK]), frozenset({"insomnia-test"}))] != ["routine"]


def test_round_16_a_check_without_symptoms_is_routine_and_sex_alone_is_not_pain_during_sex() -> None:
    sti = passage("5 When to see a clinician", "See a sexual health clinic or your primary care doctor within a few days if "
                  "you have:\n- pain during sex or bleeding after sex;\n- a partner has told you they have an STI (testing and "
                  "treatment are needed even when you have no symptoms).\n\nSee a sexual health (GUM) clinic or primary care "
                  "doctor if you have symptoms, a partner with an STI, or have had sex without a condom with a new partner.",
                  doc_id="sti-test", title="Sexually transmitted infections (STIs)", n=111)
    screening = extract_facts("Had sex without a condom with someone new 2 weeks ago. No symptoms, just want a check-up.", age=24)
    assert "no_symptoms" in screening.tokens
    assert [m.level for m in match_criteria(screening, criteria_of([sti]), frozenset({"sti-test"}))] == ["routine"]
    for text in ("my girlfriend has just told me she's got chlamydia, I haven't got any symptoms", "我老公说他查出来淋病了，我现在没什么症状",
                 "Ex just texted to say she's tested positive for chlamydia. I've got no symptoms at all"):
        told = extract_facts(text, age=24)
        assert match_criteria(told, criteria_of([sti]), frozenset({"sti-test"}))[0].level == "soon", text
    for text in ("it hurts during sex since last week", "I bleed a bit after sex with my boyfriend"):
        assert match_criteria(extract_facts(text, age=30, sex="female"), criteria_of([sti]), frozenset({"sti-test"}))[0].level \
            == "soon", text


def test_round_16_history_that_has_been_fine_since_is_no_duration() -> None:
    f = extract_facts("Had a heart attack 12 years ago and a stent, all fine since. Now just got a streaming cold", age=64)
    assert f.duration_days is None or f.duration_days < 10
    assert extract_facts("twisted my knee 6 weeks ago, it still clicks", age=30).duration_days == 42


def test_round_16_a_palpitation_of_hours_lasts_a_long_time_and_low_and_hopeless_is_low_mood() -> None:
    palp = passage("5 When to see a clinician", "See your primary care doctor if palpitations keep coming back, last a long "
                   "time, are getting worse, feel irregular, or if you have heart disease.", doc_id="palp-test",
                   title="Palpitations", n=112)
    f = extract_facts("racing heart went on for about 2 hours yesterday before it settled", age=50)
    assert [m.level for m in match_criteria(f, criteria_of([palp]), frozenset({"palp-test"}))] == ["soon"]
    assert not match_criteria(extract_facts("my heart raced for a few seconds after a coffee", age=30), criteria_of([palp]),
                              frozenset({"palp-test"}))
    g = extract_facts("can't sleep, waking at 4am every day and feel low and hopeless", age=40)
    assert [m.level for m in match_criteria(g, criteria_of([SLEEP_SEEK]), frozenset({"insomnia-test"}))] == ["soon"]


def test_round_16_jet_lag_and_waking_too_early_are_trouble_sleeping() -> None:
    for text in ("出差倒时差，这三四天晚上两三点就醒，睁眼到天亮，白天犯困", "back from Singapore, jet lag is killing me, waking too early"):
        assert "cinsomnia" in extract_facts(text, age=35).tokens, text


def test_round_16_a_long_cough_at_40_or_over_with_a_second_symptom_or_smoking_is_checked_within_days() -> None:
    acute = passage("5 When to see a clinician", "See your primary care doctor if:\n- the cough has lasted more than 3 weeks;",
                    doc_id="cough-test", title="Acute cough", n=113)
    for text, age in (("Mum is 88. Dry cough for 3 weeks, eating less, seems more tired. No fever.", 88),
                      ("cough for a month now, I smoke 10 a day", 52)):
        assert [m.level for m in match_criteria(extract_facts(text, age=age), criteria_of([acute]), frozenset({"cough-test"}))] \
            == ["soon"], text
    well = extract_facts("Dry cough for 5 weeks, non-smoker, 52, no fever, no weight loss, otherwise well", age=52)
    assert "csmoker" not in well.tokens
    assert [m.level for m in match_criteria(well, criteria_of([acute]), frozenset({"cough-test"}))] == ["routine"]


def test_round_16_tightenings_that_come_regularly_are_not_normal_discomforts() -> None:
    braxton = passage("2 Assessment", "Common, usually normal pregnancy discomforts: morning sickness (nausea) in early "
                      "pregnancy, tiredness, mild ankle swelling at the end of the day, heartburn, backache, mild Braxton Hicks "
                      "tightenings.", doc_id="pregnancy-test", title="Warning signs in pregnancy", n=114)
    for text in ("33 weeks pregnant, tightenings every 10 minutes for the last hour", "32 weeks, regular tightenings tonight"):
        d = decide_urgency(extract_facts(text, age=29, pregnant=True), [braxton], red_flag_labels=[], language="en",
                           ranked_doc_ids=["pregnancy-test"], topic_doc_ids=["pregnancy-test"])
        assert d.basis != "normal" and d.level != "self_care", text


def test_round_16_no_symptoms_makes_only_an_exposure_routine_not_a_reading() -> None:
    bp = passage("5 When to see a clinician", "See your primary care doctor if your home readings average 135/85 or higher.",
                 doc_id="bp-test", title="High blood pressure", n=115)
    f = extract_facts("home readings around 165/102 every morning, no symptoms at all", age=55)
    assert "no_symptoms" in f.tokens
    assert [m.level for m in match_criteria(f, criteria_of([bp]), frozenset({"bp-test"}))] == ["soon"]


def test_round_16_chinese_denials_and_local_heat_are_read_as_said() -> None:
    f = extract_facts("头痛，没有呕吐，没有手脚麻木，视力也正常。", age=33)
    assert {"not_cnumb", "not_cvision"} <= f.tokens and not f.tokens & {"cnumb", "cvision"}
    g = extract_facts("发烧五天了，没有咳嗽，也没有尿痛，就是浑身没劲", age=36)
    assert "cno_urine" not in g.tokens and "not_curine_pain" in g.tokens
    assert "cno_urine" in extract_facts("孩子一天没尿了", age=2).tokens
    assert "cburn" in extract_facts("不小心烫到手了，起了水泡", age=30).tokens  # a cue word with no sign after it denies nothing
    bite = extract_facts("bite on my forearm, red and itchy and about 4cm across, hot to touch. No fever, feel well.", age=40)
    assert "cfever" not in bite.tokens
    assert "cfever" in extract_facts("my 2 year old is hot to touch and floppy", age=2).tokens


def test_round_16_a_heart_that_suddenly_went_really_fast_in_episodes_keeps_coming_back() -> None:
    palp = passage("5 When to see a clinician", "See your primary care doctor if palpitations keep coming back, last a long "
                   "time, are getting worse, feel irregular, or if you have heart disease.", doc_id="palp-test",
                   title="Palpitations", n=116)
    f = extract_facts("I had a couple of episodes this week where my heart suddenly went really fast, about 160, for 10 or 20 "
                      "minutes, then stopped as suddenly as it started. Fine now.", age=47)
    assert {"cpalpitation", "crecur"} <= f.tokens
    # the criterion holds (it was self-care); "keep coming back" reads as a routine booking, where the development label
    # asks for soon (left: docs/urgency.md round 16)
    assert [m.level for m in match_criteria(f, criteria_of([palp]), frozenset({"palp-test"}))] == ["routine"]


# --- round 17 (dev21: follow-ups, change over time, third parties) ------------------------------------------------


def test_round_17_a_count_per_period_above_the_usual_one_is_more_often_than_usual() -> None:
    asthma = passage("5 When to see a clinician", "See them soon if you need your reliever more often than usual.",
                     doc_id="asthma-test", title="Asthma", n=117)
    text = ("My daughter's 12 and has asthma. Over the last 2 weeks she's needed her blue inhaler 4 or 5 times a week when "
            "it's usually once a fortnight. She's fine right now, talking normally, no wheeze.")
    f = extract_facts(text, age=12)
    assert "cmore_often" in f.tokens
    assert [m.level for m in match_criteria(f, criteria_of([asthma]), frozenset({"asthma-test"}))] == ["soon"]
    for said in ("I use it twice a day now, I used to use it once a week", "平时两周用一次，这两周一周用四五次",
                 "这周每天都要喷三次，以前一周一次", "以前一个月犯一次，现在一周两三次"):
        assert "cmore_often" in extract_facts(said, age=40).tokens, said
    # the same count, a count only as usual, or a rise short of double: not more often than usual
    for said in ("I take it twice a day as usual", "once a week usually, and once a week now",
                 "headaches 3 times a week, normally 2 times a week"):
        assert "cmore_often" not in extract_facts(said, age=40).tokens, said


def test_round_17_the_day_an_illness_has_reached_is_how_long_it_has_lasted() -> None:
    f = extract_facts("It's now day 5 of my son's fever. 38.7 this morning when the Calpol wore off. He's drinking and "
                      "playing between doses", age=3)
    assert f.duration_days == 5.0
    assert extract_facts("fourth day of this cold and still rough", age=30).duration_days == 4.0
    assert extract_facts("she is on day 1", age=30).duration_days == 1.0
    # a day of something else is not the illness's day
    assert extract_facts("first day back at work and my ankle aches", age=30).duration_days is None
    assert extract_facts("day 3 of my period, cramps", age=30).duration_days is None


def test_round_17_listless_is_poor_spirits_and_a_sign_with_alternatives_keeps_the_sign() -> None:
    # 蔫 (listless, droopy) is NICE's amber "decreased activity", not floppy (red); the fever guideline's 精神极差 is its red flag
    f = extract_facts("孩子发烧，不肯吃饭，蔫蔫的，跟平时不一样", age=3)
    assert "cpoor_spirit" in f.tokens and "cfloppy" not in f.tokens
    assert "cfloppy" in extract_facts("孩子发烧，精神极差", age=3).tokens
    assert "cfloppy" in extract_facts("一岁的宝宝拉肚子，现在软趴趴的", age=1).tokens
    # "皮疹按压不褪色伴发热或精神差": a non-blanching rash with a fever, or with poor spirits; never poor spirits alone
    rash = passage("3 危险信号", "其他急症：皮疹按压不褪色伴发热或精神差；用新药后出现皮疹伴发热。", doc_id="rash-zh",
                   title="皮疹与过敏反应", n=118)
    listless = extract_facts("吃了美林两个钟头了还是39.6，蔫蔫的靠在沙发上，饭也不吃", age=4)
    assert "cpoor_spirit" in listless.tokens
    assert match_criteria(listless, criteria_of([rash]), frozenset({"rash-zh"})) == []
    spots = extract_facts("孩子身上起了皮疹，按压不褪色，精神差", age=4)
    assert [m.level for m in match_criteria(spots, criteria_of([rash]), frozenset({"rash-zh"}))] == ["emergency"]


def _burns_red_flags() -> Passage:
    return passage("3 Red flags: seek emergency care now", "Call emergency services or go to the emergency department for:\n"
                   "- burns to the face, hands, arms, feet, legs, genitals or across a joint that cause blisters;\n"
                   "- burns that go all the way around a limb or the chest;\n"
                   "- burns with breathing difficulty, a hoarse voice, or after being in a smoke-filled room;",
                   doc_id="burns-test", title="Burns and scalds", n=119)


def test_round_17_a_burn_red_flag_needs_the_place_it_names_and_all_the_way_around() -> None:
    burns = _burns_red_flags()
    quiet = ("spilt boiling water on my tummy, there's a blister about 4cm across",  # a size, not "across a joint"
             "the burn on my chest from 4 days ago is getting more sore and going redder round the edge")  # not all around
    for text in quiet:
        f = extract_facts(text, age=30)
        assert [m for m in match_criteria(f, criteria_of([burns]), frozenset({"burns-test"})) if m.level == "emergency"] == [], text
    for text in ("burnt my forearm on the oven shelf, there's a blister the size of a 50p",
                 "a burn that goes all the way round her chest", "scalded his hand with the kettle and it's blistered"):
        f = extract_facts(text, age=30)
        assert [m.level for m in match_criteria(f, criteria_of([burns]), frozenset({"burns-test"}))][:1] == ["emergency"], text


def test_round_17_in_the_last_72_hours_is_a_window_not_a_duration() -> None:
    hiv = passage("3 Red flags: seek emergency care now", "Possible exposure to HIV in the last 72 hours (for example a condom "
                  "broke with a partner who may have HIV, or sexual assault): go to an emergency department or sexual health "
                  "clinic immediately.", doc_id="sti-test", title="Sexually transmitted infections (STIs)", n=120)
    f = extract_facts("I'm HIV positive and have had a constant headache for a week", age=35)
    assert match_criteria(f, criteria_of([hiv]), frozenset({"sti-test"})) == []
    # (before, the window read as "at least 3 days", so an exposure last night never met it)
    g = extract_facts("worried about HIV exposure, the condom broke last night", age=25)
    assert [m.level for m in match_criteria(g, criteria_of([hiv]), frozenset({"sti-test"}))] == ["emergency"]


def test_round_17_sciatica_in_lay_words_is_reviewed_and_not_really_better_is_not_improving() -> None:
    back = passage("4 Self-care at home", "Keep moving; ibuprofen may help for a short time. Most back pain and sciatica "
                   "improve within a few weeks.", doc_id="back-test", title="Low back pain", n=122)
    scope = passage("1 Who this applies to", "Adults with pain in the lower back, or pain, tingling or numbness travelling "
                    "down the leg (sciatica).", doc_id="back-test", title="Low back pain", n=123)
    text = ("hurt my back lifting a sofa 10 days ago, pain shoots down the back of my left leg to the calf, bit of tingling "
            "in the foot. peeing and pooing normal")
    f = extract_facts(text, age=44)
    assert "csciatica" in f.tokens
    d = decide_urgency(f, [back, scope], red_flag_labels=[], language="en", ranked_doc_ids=["back-test"],
                       topic_doc_ids=["back-test"])
    assert d.level == "routine" and "sciatica" in d.reason
    assert "cnot_improving" in extract_facts("Sciatica for 3 weeks, not really getting better", age=47).tokens


def test_round_17_self_care_a_guideline_keeps_for_assessed_pain_is_none_for_new_pain() -> None:
    gate = passage("4 居家自我护理", "居家处理只适用于已经医生评估过的胸痛。轻度胸壁肌肉拉伤可休息并按说明书使用止痛药。",
                   doc_id="chest-zh-test", title="胸痛", n=125)
    scope = passage("1 适用范围", "胸痛、胸闷或胸口发紧的成年人。", doc_id="chest-zh-test", title="胸痛", n=126)
    new = extract_facts("前天骑电动车摔了一跤，右边肋骨这里一按就痛，深吸气也有点痛", age=40)
    d = decide_urgency(new, [gate, scope], red_flag_labels=[], language="zh", ranked_doc_ids=["chest-zh-test"],
                       topic_doc_ids=["chest-zh-test"])
    assert d.level != "self_care" and "只适用于" not in d.reason
    strain = extract_facts("做了好多俯卧撑，胸口肌肉一按就痛", age=25)
    d2 = decide_urgency(strain, [gate, scope], red_flag_labels=[], language="zh", ranked_doc_ids=["chest-zh-test"],
                        topic_doc_ids=["chest-zh-test"])
    assert d2.level == "self_care"  # the guideline's own chest-wall strain
    assert "crest_relief" in extract_facts("一爬楼梯就胸口发紧，歇个两三分钟就好了", age=60).tokens


def test_round_17_brief_episodes_that_keep_coming_back_are_a_routine_appointment() -> None:
    palp = passage("5 When to see a clinician", "See your primary care doctor if palpitations keep coming back, last a long "
                   "time, are getting worse, feel irregular, or if you have heart disease.", doc_id="palp-test",
                   title="Palpitations", n=127)

    def levels(text: str) -> list[str]:
        return [m.level for m in match_criteria(extract_facts(text, age=35), criteria_of([palp]), frozenset({"palp-test"}))]

    # weeks, not months: before, "within a few days"
    assert levels("my heart skips a beat and gives a big thump a few times a week, for the last 2 weeks") == ["routine"]
    # with something a clinician wants sooner, or new within the week: not a pattern to book
    assert levels("my heart skips a beat a few times a week for the last 2 weeks, and now chest pain with it")[:1] != ["routine"]
    assert levels("my heart skips a beat a few times a week, it started 3 days ago")[:1] != ["routine"]


def _guideline_sections(path: str, doc_id: str, title: str) -> list[Passage]:
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / path).read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    return [passage(part.split("\n", 1)[0].strip(), part.split("\n", 1)[1], doc_id=doc_id, title=title, n=130 + k)
            for k, part in enumerate(parts)]


def test_round_17_a_well_babys_fever_after_the_jabs_is_self_care() -> None:
    cases = {"en": ("guidelines/en/fever-children.md", "fever-children", "Fever in children"),
             "zh": ("guidelines/zh/fever-children-zh.md", "fever-children-zh", "儿童发热")}

    def level(text: str, age: float, lang: str) -> str:
        path, doc_id, title = cases[lang]
        return decide_urgency(extract_facts(text, age=age), _guideline_sections(path, doc_id, title), red_flag_labels=[],
                              language=lang, ranked_doc_ids=[doc_id], topic_doc_ids=[doc_id]).level

    assert "cvaccinated" in extract_facts("my 5 month old has 38.1 after her jabs today, feeding well", age=0.42).tokens
    assert level("my 5 month old has 38.1 after her jabs today, feeding well", 0.42, "en") == "self_care"
    assert level("孩子10个月，今天上午打完疫苗，晚上低烧37.8，吃奶正常，精神好", 0.83, "zh") == "self_care"
    # 39 °C or more, a sign beside it, or under 3 months: a clinician as before
    assert level("my 5 month old has 39.2 after her jabs today, feeding well", 0.42, "en") != "self_care"
    assert level("my 5 month old has 38.1 after her jabs today, not feeding and very sleepy", 0.42, "en") != "self_care"
    assert level("my 8 week old has 38.1 after her jabs today, feeding well", 0.15, "en") != "self_care"


def test_round_18_a_season_or_a_month_named_then_and_now_is_how_long_it_has_lasted() -> None:
    f = extract_facts("Menopause is wrecking my sleep, hot flushes wake me 3 or 4 times a night, been going on since the spring",
                      age=51)
    assert f.duration_days == 30.0
    assert extract_facts("从过年到现在一直睡不好", age=40).duration_days == 30.0
    covid = extract_facts("Had covid in June, it's now October and I'm still shattered after a short walk", age=41)
    assert covid.duration_days == 120.0
    assert "for about 4 months" in covid.describe("en")
    assert "持续约2个月" in extract_facts("咳嗽两个月了", age=40).describe("zh")
    # a month named once, or two months with no "now", is not a span
    assert extract_facts("my holiday in June was great, now I have a cough", age=30).duration_days is None
    assert extract_facts("booked for June, seen in October", age=30).duration_days is None


def test_round_18_a_sprain_is_the_injury_a_criterion_below_an_emergency_names() -> None:
    sprains = passage("5 When to see a clinician", "See your primary care doctor or a physiotherapist if pain and swelling are "
                      "not improving after a week of self-care, if the joint keeps giving way, or if the injury stops you "
                      "working or playing sport.", doc_id="sprains-test", title="Sprains and strains", n=120)
    f = extract_facts("pulled my hamstring 2 weeks ago and still can't play football", age=22)
    assert {"csprain", "cdaily_impact"} <= f.tokens and "cinjury" not in f.tokens
    assert [m.level for m in match_criteria(f, criteria_of([sprains]), frozenset({"sprains-test"}))] == ["soon"]
    # an emergency's "after an injury" keeps its own word: a sprain is not a head injury's criterion
    head = passage("3 Red flags", "Call an ambulance for a severe headache after an injury.", doc_id="headache-test",
                   title="Headache", n=121)
    sprain = extract_facts("sprained my ankle, and I have a severe headache", age=30)
    assert [m for m in match_criteria(sprain, criteria_of([head]), frozenset({"headache-test"})) if m.level == "emergency"] == []


def test_round_18_unusual_for_you_and_most_weeks_in_patients_words() -> None:
    sti = passage("5 When to see a clinician", "See a sexual health clinic within a few days if you have a vaginal discharge "
                  "that is unusual for you.", doc_id="sti-test", title="Sexually transmitted infections", n=122)
    f = extract_facts("my discharge has changed, yellowy and fishy smelling, not like normal for me", age=28, sex="female")
    assert "cunusual" in f.tokens
    assert [m.level for m in match_criteria(f, criteria_of([sti]), frozenset({"sti-test"}))] == ["soon"]
    assert "cunusual" not in extract_facts("my discharge is normal for me, no smell", age=28).tokens
    assert "crecur" in extract_facts("I get heartburn most weeks, Gaviscon helps", age=46).tokens
    assert "cwheeze" in extract_facts("咳嗽，嗓子里呼噜呼噜的像拉风箱", age=30).tokens  # breathing like a bellows


def test_round_18_a_headache_with_an_adverb_between_and_one_never_had_before() -> None:
    assert "cheadache" in extract_facts("一咳嗽脑袋就疼得厉害", age=40).tokens
    assert "cheadache" in extract_facts("一低头头都痛", age=40).tokens
    assert "cheadache" not in extract_facts("头不疼", age=40).tokens
    for said in ("I've never had a headache like this, came on in seconds", "I'm not a headache person but this one is bad"):
        f = extract_facts(said, age=45)
        assert "cheadache" in f.tokens and "not_cheadache" not in f.tokens, said
    assert "not_cheadache" in extract_facts("no headache, never had one", age=45).tokens


def test_round_18_a_forms_answers_are_statements() -> None:
    from rag.safety.spelling import normalise

    qa = normalise("Q: Main symptom? A: sore throat. Q: How long? A: 2 days. Q: Fever? A: no. "
                   "Q: Trouble swallowing saliva or breathing? A: no")
    f = extract_facts(qa, age=30)
    assert "cswallow_trouble" not in f.tokens and "not_cswallow_trouble" in f.tokens
    assert "cfever" not in f.tokens
    # a "yes" states the sign (a question left as a question would read as a hypothetical)
    assert "cchest_pain" in extract_facts(normalise("Any chest pain? Yes. Vomiting: none"), age=50).tokens
    assert "not_cvomit" in extract_facts(normalise("Any chest pain? Yes. Vomiting: none"), age=50).tokens
    assert "not_cfever" in extract_facts(normalise("Age: 67 / Fever: no / Cough: yes, 3 weeks"), age=67).tokens
    zh = extract_facts(normalise("问：发烧吗？答：没有。问：有没有呕吐？答：有"), age=30)
    assert "cfever" not in zh.tokens and "cvomit" in zh.tokens
    # not an answer: "no idea", a question the patient asks
    assert normalise("do I need antibiotics? no idea") == "do I need antibiotics? no idea"
    assert normalise("Is it serious? I have a rash") == "Is it serious? I have a rash"


def test_round_18_unable_to_pass_stool_or_wind_is_not_passing_wind() -> None:
    belly = passage("3 Red flags: seek emergency care now", "Call an ambulance for:\n- Being unable to pass stool or wind, with "
                    "vomiting and a swollen belly (possible bowel blockage).", doc_id="abdo-test", title="Abdominal pain", n=123)
    quiet = extract_facts("Crampy tummy ache and bloated after a huge dinner, passed wind and it eased, no vomiting", age=26)
    assert [m for m in match_criteria(quiet, criteria_of([belly]), frozenset({"abdo-test"})) if m.level == "emergency"] == []
    blocked = extract_facts("can't pass wind or poo since yesterday, being sick, tummy swollen and hard", age=60)
    assert [m.level for m in match_criteria(blocked, criteria_of([belly]), frozenset({"abdo-test"}))] == ["emergency"]


def test_round_18_what_the_patient_wonders_is_not_what_they_report() -> None:
    f = extract_facts("Mosquito bites on legs, red itchy bumps, no fever. Could these be infected with something terrible?", age=30)
    assert "cpus" not in f.tokens and "cbite" in f.tokens
    assert "cpus" in extract_facts("the bite looks infected, there's pus in it", age=30).tokens


def test_round_18_south_east_asia_is_a_malaria_area() -> None:
    fever = passage("5 何时就诊及科室", "去过疟疾流行地区后发热（需要排查疟疾）：请当天到发热门诊就医。", doc_id="fever-zh",
                    title="成人发热", n=124)
    f = extract_facts("刚从东南亚回来一周，发烧39度，全身酸痛，头痛", age=35)
    assert [m.level for m in match_criteria(f, criteria_of([fever]), frozenset({"fever-zh"}))] == ["urgent"]


def test_round_18_pain_that_comes_in_waves_since_last_night_does_not_keep_coming_back() -> None:
    assert "crecur" not in extract_facts("Crampy tummy ache after a huge dinner last night, comes and goes, passed wind", age=26).tokens
    # over days, or with no time said, it is still pain that keeps coming back (the safer reading)
    assert "crecur" in extract_facts("tummy pain comes and goes for 3 days now", age=26).tokens
    assert "crecur" in extract_facts("tummy pain comes and goes", age=26).tokens


CALF_SELF = passage("4 Self-care at home", "- Rest, ice, compression and elevation for a strained calf muscle.",
                    doc_id="sprains-test", title="Sprains and strains", n=30)


def test_one_swollen_leg_after_a_long_journey_or_an_operation_is_seen_the_same_day() -> None:
    # urgency terms 2026.12.15 (round 20, a possible DVT: NHS, NICE NG158): before, the first was self-care (a strain)
    for text in ("Flew back from Singapore yesterday, 13 hours on the plane. My left calf has ached since I landed and tonight "
                 "it's swollen and warm. I assumed I'd pulled something hauling the suitcases.",
                 "had my hip replaced 2 weeks ago, calf now swollen and painful", "刚坐了十几个小时飞机回来，右小腿肿了还疼"):
        d = decide_urgency(extract_facts(text, age=48), [CALF_SELF], red_flag_labels=[], language="en")
        assert d.level == "urgent", text
    # both legs after a flight, or a swollen calf with no such risk, are not this
    for text in ("ankles and legs a bit puffy after the long flight, both legs", "my calf is swollen after I strained it at football"):
        d = decide_urgency(extract_facts(text, age=48), [CALF_SELF], red_flag_labels=[], language="en")
        assert d.level != "urgent", text


def test_a_feared_condition_or_a_vaccine_is_not_a_condition_the_patient_has() -> None:
    # round 20 (dev24): health anxiety ("I keep reading about brain tumours") and "my flu jab" named conditions the patient
    # does not have, which cost them the guideline's self-care or met "over 65 and have flu"
    assert extract_facts("headache after a long day on the laptop, I keep reading about brain tumours").conditions == frozenset()
    assert extract_facts("I'm terrified I've got bowel cancer, had the runs for a day").conditions == frozenset()
    facts = extract_facts("Had my flu and Covid jabs yesterday, arm sore", age=70)
    assert facts.conditions == frozenset() and "cvaccinated" in facts.tokens
    assert "chronic obstructive pulmonary disease" in extract_facts("I have COPD and a bad chest").conditions
    # worry said beside a condition the patient has is not fear of it
    assert "chronic obstructive pulmonary disease" in extract_facts("I'm worried, I have COPD and a cough").conditions
    assert "chronic obstructive pulmonary disease" in extract_facts("I'm worried about my COPD").conditions


def test_both_legs_is_not_weakness_in_both_legs() -> None:
    # round 20: sore calves in both legs after the gym met the back-pain guideline's "weakness in both legs" on "both, leg"
    red = passage("3 Red flags", "- weakness in both legs, or rapidly worsening weakness in one leg, or unsteadiness walking;",
                  doc_id="back-test", title="Low back pain", n=31)
    assert _levels("calves ache after leg day at the gym yesterday, both legs, no swelling", [red], age=28) == []
    # with back pain, symptoms in both legs are a cauda equina warning sign (NICE: bilateral leg symptoms): still met
    assert _levels("low back pain since yesterday and now both my legs feel numb and heavy", [red], age=50) == ["emergency"]


def test_a_place_of_care_is_no_sign() -> None:
    # round 20 (dev24): "晚上用去急诊吗" met 《失眠》's "…或到医院急诊科" on the word 急诊
    red = passage("3 危险信号", "- 有自杀或自伤念头：立即告诉身边的人，拨打120或110，或到医院急诊科/精神专科医院急诊。",
                  doc_id="insomnia-test", title="失眠", n=32)
    assert _levels("闺女三岁半，发烧38.5，现在在搭积木，能吃能喝。晚上用去急诊吗", [red], age=3.5) == []


def test_chest_pain_a_press_a_twist_a_cough_or_a_breath_brings_on_is_not_the_emergency_chest_pain() -> None:
    # round 20 (dev sets): rib pain after a fall "when I twist or cough", "一咳胸口就疼" met the guidelines' emergency
    # "chest pain" (the adult fever guideline's 胸痛, the chronic cough guideline's "chest pain")
    red = passage("3 危险信号", "- 呼吸困难、胸痛、心跳非常快；", doc_id="fever-test", title="成人发热", n=33)
    red_en = passage("3 Red flags", "- Severe shortness of breath, blue lips, or chest pain.", doc_id="cough-test",
                     title="Chronic cough", n=34)
    assert _levels("fell off bike 2 days ago, left ribs sore esp when i twist or cough, breathing fine", [red_en], age=30) == []
    assert _levels("前天摔了一跤，右边肋骨这里一按就痛，深吸气也有点痛，不喘", [red], age=45) == []
    # with a sweat or breathlessness, or told plainly, it is the criterion's chest pain
    assert _levels("chest pain when I breathe in, sweating", [red_en], age=60) == ["emergency"]
    assert _levels("胸口疼，喘不上气", [red], age=60) == ["emergency"]
    # pain on breathing in with nothing to explain it (no press, twist, fall, strain or cold) stays the criterion's chest
    # pain: a clot in the lung or a collapsed lung start that way
    assert _levels("chest pain when I breathe in, started suddenly this morning", [red_en], age=30) \
        == ["emergency"]
    # a fever and a cough with chest-wall pain is seen the same day (a possible pneumonia)
    d = decide_urgency(extract_facts("发烧38度5，咳嗽一周了，咳得太厉害，胸口一按就疼", age=35), [red], red_flag_labels=[],
                       language="zh")
    assert d.level == "urgent"


def test_weeks_of_an_unchanged_complaint_are_not_a_same_day_not_settling_after_a_few_days() -> None:
    # round 20 (dev sets): "the tummy pain has not gone away after a few days" (same day) met six weeks of an unchanged
    # change in bowel habit (42 days >= 3 days) and made it urgent
    seek = passage("5 When to see a clinician", "Get an appointment today if:\n\n- the tummy pain has not gone away after a few days;",
                   doc_id="abdo-test", title="Abdominal pain (stomach ache)", n=35)
    assert _levels("tummy pain on and off for 6 weeks, no different, eating fine", [seek], age=40) == ["soon"]
    assert _levels("tummy pain for 4 days, not going away", [seek], age=40) == ["urgent"]
    assert _levels("tummy pain for 6 weeks and getting worse", [seek], age=40) == ["urgent"]


def test_a_tight_banded_head_is_a_headache_in_chinese() -> None:
    # round 20 (dev sets): "加班对着电脑一天，脑袋发紧" was told it was outside what clinrag covers
    assert "cheadache" in extract_facts("加班对着电脑一天，脑袋发紧，睡一觉就好了").tokens
    assert "cheadache" in extract_facts("加班一整天，头像被箍住一样紧紧的").tokens


def test_a_reaction_after_a_medicine_in_chinese_is_a_new_medicine() -> None:
    # round 21 (probes): "吃头孢第二天，身上起了疹子" was self-care with an antihistamine; a reaction after a medicine is
    # the prescriber's or a pharmacist's to assess
    assert extract_facts("吃头孢第二天，身上起了一片片红疹子，痒，不喘").new_medicine
    assert extract_facts("吃了氨氯地平以后脚踝肿").new_medicine
    assert not extract_facts("吃了退烧药以后还是烧").new_medicine
    assert not extract_facts("吃了药以后好多了").new_medicine


def test_a_rash_and_a_fever_after_a_new_medicine_is_seen_the_same_day() -> None:
    # round 21 (dev25): trimethoprim, then a widespread rash and 38.3 °C, was "within a few days"
    text = "Started trimethoprim 8 days ago for a water infection. Now a red rash over most of my body and a temperature of 38.3"
    assert decide_urgency(extract_facts(text, age=40), [SELF], red_flag_labels=[], language="en").level == "urgent"
    assert decide_urgency(extract_facts("Started trimethoprim 8 days ago, now an itchy rash, no temperature", age=40), [SELF],
                          red_flag_labels=[], language="en").level != "urgent"


# --- round 22 (docs/urgency.md "Round 22"): Chinese guidelines for complaints that had only an English one ---------------

def _clause_tokens(statement: str) -> list[set[str]]:
    from rag.safety.urgency.criteria import _clauses

    return [set(c.tokens) for c in _clauses(statement)]


def test_a_chinese_list_part_that_goes_on_with_tongshi_or_houlai_is_no_alternative_of_its_own():
    obstruction = _clause_tokens("不能排便也不能排气（放屁），同时呕吐、肚子胀大，可能是肠梗阻，请立即就医。")
    assert not any(t == {"cvomit"} for t in obstruction)  # vomiting alone is not a bowel obstruction
    assert any({"cvomit", "not_排气"} <= t for t in obstruction)
    appendix = _clause_tokens("肚子疼从肚脐周围开始、后来转移到右下腹，可能是阑尾炎，请立即就医。")
    assert any({"clower_right", "ctummy_pain"} <= t for t in appendix)
    assert not any("clower_right" not in t and "ctummy_pain" in t and len(t) < 4 for t in appendix)
    # what comes after 伴 keeps the sign before it in every alternative
    with_pain = _clause_tokens("心慌（心悸）同时伴有胸痛、胸口压迫感或胸口发紧，请立即拨打120。")
    assert all("cpalpitation" in t for t in with_pain if t)
    # "请当天就医" is what to do, no condition: a woman with period pain does not meet "阴道出血" through it
    bleed = passage("5 何时就诊及科室", "- 肚子疼并且有不是正常月经的阴道出血，请当天就医。", doc_id="abdominal-pain-zh",
                    title="腹痛（肚子疼、胃疼）")
    facts = extract_facts("来姨妈肚子疼，老样子了，每个月都这样，可以吃布洛芬吗", age=30, sex="female", pregnant=False)
    assert not match_criteria(facts, criteria_of([bleed]), {"abdominal-pain-zh"})


def test_a_very_high_temperature_is_39_and_a_high_one_any_fever():
    from rag.safety.urgency.criteria import _clauses

    assert [c.min_temp for c in _clauses("嗓子疼并且发高烧（体温很高），请当天就医。") if c.tokens][0] == 39.0
    assert _clauses("a very high temperature;")[0].min_temp == 39.0
    assert all(c.min_temp is None for c in _clauses("发高烧并且呕吐，可能是肾脏感染，需要当天就医。"))


def test_an_open_invitation_and_a_pharmacist_first_are_no_criteria():
    anytime = passage("5 何时就诊及科室", "孕妇或产妇有任何担心，都可以随时联系产检医生、助产士或医院的产科急诊（产科分诊台），不必等到下一次产检。",
                      doc_id="pregnancy-warning-signs-zh", title="孕期及产后危险信号")
    ask = passage("5 When to see a clinician", "Ask a pharmacist or your primary care doctor before starting a painkiller if "
                  "you have a long-term condition, are pregnant or breastfeeding, or take other medicines.",
                  doc_id="medication-safety", title="Medication safety")
    assert criteria_of([anytime]) == [] and criteria_of([ask]) == []


def test_a_warning_sign_set_apart_from_the_normal_kind_is_not_met_by_the_normal_kind():
    from rag.safety.urgency.decide import _part_of_a_warning_sign

    red = passage("3 危险信号：立即就医", "- 孕期或产后一年内出现严重的恶心呕吐，与平常的孕吐明显不同，需立即就医。",
                  doc_id="pregnancy-warning-signs-zh", title="孕期及产后危险信号")
    facts = extract_facts("怀孕八周，每天早上起来就恶心想吐，有时候吐一次，还能吃点饼干喝水", age=28, sex="female", pregnant=True)
    assert _part_of_a_warning_sign(facts, criteria_of([red]), "zh") == ""


def test_it_in_a_chest_pain_criterion_is_the_chest_pain_the_patient_denies():
    red = passage("3 Red flags", "- it comes with breathlessness, sweating, nausea, fainting or a racing or irregular heartbeat;",
                  doc_id="chest-pain", title="Chest pain")
    denied = extract_facts("Had 2 energy drinks and now my heart's racing a bit, no chest pain or dizziness", age=30)
    assert not match_criteria(denied, criteria_of([red]), {"chest-pain"})
    said = extract_facts("chest pain and I'm sweating and feel sick", age=60)
    assert match_criteria(said, criteria_of([red]), {"chest-pain"})


def test_a_deformed_joint_in_lay_chinese_and_a_foot_that_cannot_touch_the_ground():
    red = passage("3 危险信号：立即就医", "- 受伤后肢体或关节外观明显变形，或能看到骨头露出，需要立即去急诊科。",
                  doc_id="sprains-strains-zh", title="扭伤与拉伤")
    facts = extract_facts("打篮球落地踩别人脚上了，听见咔一声，现在脚踝明显歪到一边去了，脚一点都不敢着地", age=22)
    assert {"cdeformed", "csnap", "cweight_bear"} <= facts.tokens
    assert [m.level for m in match_criteria(facts, criteria_of([red]), {"sprains-strains-zh"})] == ["emergency"]


def test_buttock_pain_is_no_alarm_and_a_back_tweaked_in_chinese_is_a_strain():
    from rag.safety.urgency.decide import _risk_without_criterion

    sciatica = extract_facts("坐骨神经疼一个多月了，从左边屁股一直串到小腿肚子，没有大小便的问题", age=45)
    assert "csciatica" in sciatica.tokens and _risk_without_criterion(sciatica, "zh") == ""
    assert "csprain" in extract_facts("搬花盆的时候闪了一下腰，弯腰起身都疼", age=50).tokens
    numb = extract_facts("back pain and my bum feels numb", age=50)
    assert _risk_without_criterion(numb, "en")  # numbness still is


def test_blood_on_the_loo_roll_with_stomach_cramps_is_the_abdominal_guidelines_same_day_bleeding():
    seek = passage("5 When to see a clinician", "Get an urgent appointment today if you have tummy pain and:\n\n"
                   "- you are bleeding from your bottom;\n- the tummy pain keeps coming back;", doc_id="abdominal-pain",
                   title="Abdominal pain (stomach ache)")
    facts = extract_facts("stomach cramps and there's been blood on the loo roll when I wipe my bum", age=38)
    assert [m.level for m in match_criteria(facts, criteria_of([seek]), {"abdominal-pain"})] == ["urgent"]


def test_a_guideline_that_shares_only_a_medicines_name_does_not_veto_another_guidelines_self_care():
    from rag.safety.urgency.decide import _by_medicine_only

    assert _by_medicine_only({"paracetamol", "ibuprofen", "take"})
    assert not _by_medicine_only({"chest"}) and not _by_medicine_only({"ibuprofen", "csore_throat"})
    assert not _by_medicine_only(set())


def test_a_chinese_answer_names_a_sign_in_chinese():
    from rag.safety.urgency.decide import _zh_show

    assert _zh_show("cnausea") == "想吐" and _zh_show("cjaundice") == "皮肤或眼睛发黄"


def test_round_23_an_overdose_criterion_needs_the_overdose_not_only_the_tablets():
    red = passage("3 Red flags: seek emergency care now",
                  "- An overdose of sleeping tablets, especially with alcohol — call emergency services or Poison Help.",
                  doc_id="insomnia", title="Insomnia (trouble sleeping)")
    asking = extract_facts("I'm 80 and for months I've been waking at 3 or 4am and can't get back off, tired in the day. "
                           "Can I get sleeping tablets?", age=80)
    assert not match_criteria(asking, criteria_of([red]), {"insomnia"})
    took = extract_facts("my husband took an overdose of his sleeping tablets with whisky", age=70)
    assert [m.level for m in match_criteria(took, criteria_of([red]), {"insomnia"})] == ["emergency"]


def test_round_23_more_ways_to_say_a_foot_cannot_bear_weight():
    for text in ("Went over on my ankle playing 5-a-side. Can't take more than a couple of steps on it",
                 "went over on my ankle, couldn't put it down to walk off and still can't",
                 "下楼梯崴了一下 现在脚根本踩不了地"):
        assert "cweight_bear" in extract_facts(text, age=30).tokens, text


def test_round_23_yellow_alone_is_no_jaundice():
    assert "cjaundice" not in extract_facts("这几天白带变多了，发黄有异味，下面痒", age=30, sex="female").tokens
    assert "cjaundice" not in extract_facts("coughing up yellowish phlegm for 3 days", age=40).tokens
    assert "cjaundice" in extract_facts("宝宝出生10天了，皮肤还是黄黄的，眼白也发黄", age=0.03).tokens
    assert "cjaundice" in extract_facts("his skin looks a bit yellow and so do his eyes", age=70).tokens


def test_round_23_aged_55_or_over_is_an_age_and_a_temperature_of_38_or_over_is_not():
    from rag.safety.urgency.criteria import _age_constraint

    assert _age_constraint("you are aged 55 or over and have lost weight") == (55.0, 200.0)
    assert _age_constraint("people 65 years or older") == (65.0, 200.0)
    assert _age_constraint("a temperature of 38 or over") is None


def _guideline_passages(path: str) -> list[Passage]:
    """Sections 3 and 5 of a guideline file, as scripts/criteria_review.py reads them for a reviewer."""
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root / "scripts"))
    from criteria_review import section_passages

    return section_passages(root / path)


def test_round_23_the_medicines_guideline_criteria_need_their_own_subject():
    found = criteria_of(_guideline_passages("guidelines-drafts/en/medicines-questions.md"))
    docs = {"medicines-questions"}
    for text in ("I've been taking ibuprofen 400mg most days for my knees for about 2 months. is that ok long term?",
                 "Period pains as usual, crampy, day 1. Just checking it's ok to take ibuprofen with paracetamol",
                 "back from Thailand last week, runny poo for 4 days now, no blood, eating and drinking ok"):
        assert not match_criteria(extract_facts(text, age=40), found, docs), text
    # (an overdose is the red-flag rules' and the medication-safety guideline's: this guideline names none)
    reaction = extract_facts("I think I'm having a serious allergic reaction after taking a medicine, amoxicillin", age=30)
    assert "emergency" in {m.level for m in match_criteria(reaction, found, docs)}
    found_zh = criteria_of(_guideline_passages("guidelines-drafts/zh/medicines-questions-zh.md"))
    for text in ("咳嗽，嗓子里呼噜呼噜的像拉风箱", "拉肚子5天了，一天三四回，稀水样的，不发烧，能吃能喝，没看到血"):
        assert not match_criteria(extract_facts(text, age=40), found_zh, {"medicines-questions-zh"}), text


def test_round_23_a_burning_chest_is_no_fever():
    facts = extract_facts("吃完火锅胸口后面烧得慌，反酸，老毛病了，吃点胃药就好", age=40)
    assert "cfever" not in facts.tokens
    assert "cfever" in extract_facts("孩子烧得厉害，39度5", age=4).tokens


def test_round_23_the_sti_guidelines_red_flags_are_whole_criteria():
    # its red-flag list parsed into fragments ("vomiting", "which must start within 72 hours") that met any vomiting
    found = criteria_of(_guideline_passages("guidelines/en/sti-symptoms.md"))
    docs = {"sti-symptoms"}
    for text in ("I've been vomiting since last night", "I have a discharge and I must start treatment soon"):
        assert "emergency" not in {m.level for m in match_criteria(extract_facts(text, age=30), found, docs)}, text
    severe = extract_facts("really severe lower tummy pain and I keep vomiting", age=25, sex="female")
    assert "emergency" in {m.level for m in match_criteria(severe, found, docs)}


def test_round_24_asking_to_book_or_look_for_a_cause_lifts_self_care_only():
    for text in ("headaches in my pill free week, paracetamol sorts them. would like to chat about switching pills at some point",
                 "半年里尿路感染三次了，现在没症状。想问问能不能查查原因",
                 "my periods are really painful. mum said to ask about going on the pill for it",
                 "换了新男朋友，想去做个性病检查，没有任何症状",
                 "第一次怀孕，啥时候去建档"):
        assert extract_facts(text, age=20, sex="female").asks_booking, text
    for text in ("period pain as usual, can I take ibuprofen with paracetamol?", "胸口疼得厉害，该去看什么科",
                 "I feel hopeless and I want to talk to someone"):
        assert not extract_facts(text, age=20, sex="female").asks_booking, text
    # a booking asked for turns the guideline's self-care into a routine appointment; with no self-care and no criterion
    # the answer stays "within a few days" (asks_booking never lowers)
    self_care = passage("4 Self-care at home", "- Drink plenty of water and do not hold in your wee.", doc_id="uti-test",
                        title="Urinary tract infection", n=40)
    asks = extract_facts("UTIs three times in six months, fine now. 想问问能不能查查原因", age=28, sex="female")
    assert decide_urgency(asks, [self_care], red_flag_labels=[], language="en", ranked_doc_ids=["uti-test"],
                          topic_doc_ids=["uti-test"]).level == "routine"
    bare = extract_facts("a new rash on my arm for a day, 想去查一下原因", age=28, sex="female")
    assert decide_urgency(bare, [], red_flag_labels=[], language="en").level == "soon"


def test_round_24_normal_things_and_a_booking_asked_for_is_a_routine_appointment():
    normal = passage("2 Assessment", "Common, usually normal pregnancy discomforts: morning sickness (nausea) in early "
                     "pregnancy, tiredness, mild ankle swelling at the end of the day, heartburn, backache.",
                     doc_id="preg-test", title="Warning signs during and after pregnancy", n=30)
    kw = {"red_flag_labels": [], "language": "en", "ranked_doc_ids": ["preg-test"], "topic_doc_ids": ["preg-test"]}
    asks = extract_facts("8 weeks pregnant, bit of morning sickness, when should I book in with the midwife? "
                         "would like to book an appointment", age=30, sex="female", pregnant=True)
    d = decide_urgency(asks, [normal], **kw)  # type: ignore[arg-type]
    assert d.level == "routine" and "normal things" in d.reason
    quiet = extract_facts("8 weeks pregnant, bit of morning sickness, is that normal?", age=30, sex="female", pregnant=True)
    assert decide_urgency(quiet, [normal], **kw).level == "self_care"  # type: ignore[arg-type]
    # being pregnant is no telling word: a day of keeping nothing down is not among normal discomforts
    sick = extract_facts("9 weeks gone. Nothing has stayed down since yesterday breakfast, not even ice chips, and the "
                         "little I wee is the colour of strong tea. Room swims when I get up.", age=29, sex="female", pregnant=True)
    assert decide_urgency(sick, [normal], **kw).level != "self_care"  # type: ignore[arg-type]


def test_round_24_the_sti_guidelines_same_day_list_in_english_and_chinese_words():
    found = criteria_of(_guideline_passages("guidelines/en/sti-symptoms.md"))
    docs = {"sti-symptoms"}

    def levels(text: str) -> set[str]:
        return {m.level for m in match_criteria(extract_facts(text, age=26, sex="female", pregnant=False), found, docs)}

    # possible pelvic inflammatory disease told in Chinese words (discharge, an odd smell, pain with sex)
    assert "urgent" in levels("小肚子两边隐隐的疼了四五天，这两天白带发黄有异味，同房的时候很痛，量了体温37.8")
    assert "urgent" in levels("pain low down in my tummy on both sides and it hurts during sex, some green discharge too")
    assert "soon" in levels("白带发黄有股怪味，下面痒")
    assert "soon" in levels("it hurts deep inside when I have sex") and "soon" in levels("sex has been painful lately")
    assert "soon" in levels("spotting after sex the last couple of times")
    assert "urgent" not in levels("白带有点多，没有异味，肚子不疼")


def test_round_24_a_racing_heart_with_a_near_faint_in_chinese_is_an_emergency():
    from rag.safety.triage import triage

    af = triage("我妈70岁有房颤一直吃着药，今天下午心跳突然快得不行，一直停不下来，刚才站起来眼前一黑差点栽倒，说胸口也发紧。", age=70)
    assert {"chest_pain_persisting", "very_fast_heart"} <= {f.rule_id for f in af.red_flags}
    assert [f.rule_id for f in triage("心慌得厉害，刚才晕倒了一下", age=40).red_flags] == ["very_fast_heart"]
    for text in ("蹲着玩手机久了一站起来眼前发黑，扶一下墙几秒钟就好了", "喝了咖啡心跳有点快，别的没事", "最近老是心慌手抖，晚上睡不着"):
        assert not triage(text, age=16).red_flags, text


def test_round_25_spotting_is_bleeding_and_never_a_normal_pregnancy_discomfort():
    spotting = extract_facts("6 weeks pregnant and had some light brown spotting this morning, no pain", age=28, sex="female",
                             pregnant=True)
    assert "cbleeding" in spotting.tokens
    assert "cbleeding" in extract_facts("怀孕7周，今天早上见红了一点", age=26, sex="female", pregnant=True).tokens
    # "this morning" shares a word with "morning sickness"; spotting in pregnancy is no normal discomfort
    normal = passage("2 Assessment", "Common, usually normal pregnancy discomforts: morning sickness (nausea) in early "
                     "pregnancy, tiredness, mild ankle swelling at the end of the day, heartburn, backache.",
                     doc_id="preg-test", title="Warning signs during and after pregnancy", n=30)
    kw = {"red_flag_labels": [], "language": "en", "ranked_doc_ids": ["preg-test"], "topic_doc_ids": ["preg-test"]}
    assert decide_urgency(spotting, [normal], **kw).level != "self_care"  # type: ignore[arg-type]


def test_round_25_after_sex_is_one_concept_in_english_and_chinese():
    found = criteria_of([passage("5 When to see a clinician and which department",
                                 "See a sexual health clinic or your primary care doctor within a few days if you have:\n\n"
                                 "- pain during sex or bleeding after sex;", doc_id="sti-test", title="STIs", n=41),
                         passage("5 何时就诊及科室", "出现以下情况，请几天内到全科或妇科门诊就诊：\n\n- 同房后出血，请几天内就医。",
                                 doc_id="gyn-zh-test", title="月经问题", n=42)])

    def levels(text: str) -> set[str]:
        return {m.level for m in match_criteria(extract_facts(text, age=30, sex="female", pregnant=False), found)}

    assert "soon" in levels("最近白带变多了，发黄还有股味道，前两天同房以后还有点出血，不疼")
    assert "soon" in levels("I've noticed some bleeding after having sex the last couple of times")
    assert "cafter_sex" in extract_facts("性生活以后有点出血", age=30, sex="female").tokens
    assert not levels("nosebleed after a long run, stopped after ten minutes")


def test_round_25_very_bad_pain_in_one_testicle_told_plainly_is_an_emergency():
    from rag.safety.triage import triage

    told = triage("my 10 yr old woke me at 5 saying tummy ache and feels sick. took a while to get it out of him but its "
                  "actually his left ball that hurts, really bad, and hes walking funny", age=10)
    assert "testicular_torsion" in {f.rule_id for f in told.red_flags}
    for text in ("he got hit by the ball at football and his knee hurts really bad",
                 "one of my balls aches a bit after the gym, not bad", "my testicle has a small lump, not painful"):
        assert "testicular_torsion" not in {f.rule_id for f in triage(text, age=15).red_flags}, text


# --- round 28 (docs/urgency.md "Round 28"): whole signs for injuries and mishaps, nothing taken away ------------------


def test_round_28_a_bashed_head_and_a_battery_told_apart_from_its_swallowing_fire() -> None:
    from rag.safety.triage import triage

    assert "head_injury" in {f.rule_id for f in triage(
        "he bashed his head on the side bar at soft play, now he's been sick twice and keeps nodding off", age=6).red_flags}
    assert "button_battery" in {f.rule_id for f in triage(
        "the little round flat battery from the kitchen scales has gone, she said 'I ate it' and laughed", age=3).red_flags}
    for text in ("the battery in the smoke alarm has gone flat, she ate her tea fine", "bashed my elbow on the door, sore"):
        assert {"head_injury", "button_battery"}.isdisjoint({f.rule_id for f in triage(text, age=3).red_flags}), text
    for text, age in (("kicked in the calf at football yesterday, now it's swollen, really tight and the pain is getting worse "
                       "and worse, painkillers not touching it", 30), ("小腿被砸了一下，现在肿得厉害，发紧，越来越疼，止痛药也不管用", 45)):
        assert "compartment_syndrome" in {f.rule_id for f in triage(text, age=age).red_flags}, text
    # dev32 (bystanders): a splash told before the chemical is named; a grandchild beside a bottle with tablets counted
    # missing; the side of a head caught on a sink on warfarin
    told = (("我同事在车间兑清洗剂，手套破了，液体溅到手背跟手腕上，是那种强碱的管道疏通剂", 30, "chemical_burn"),
            ("孙女3岁，刚才在她爷爷床头柜翻出药瓶，我数了少了两三粒，是降糖药。她现在还在玩", 3, "poisoning_overdose"),
            ("my mum slipped getting out the bath and caught the side of her head on the sink, little lump. she's on warfarin",
             84, "head_injury"))
    for text, age, rule in told:
        assert rule in {f.rule_id for f in triage(text, age=age).red_flags}, text
    assert triage("药瓶里的药快吃完了，少了几粒要去开", age=60).urgency is None
    for text in ("my calf feels tight after running, a bit sore", "tight calves after the marathon, getting better",
                 "早上小腿撞到洗碗机门上了，青了一大块，有点肿，走路没问题"):
        assert "compartment_syndrome" not in {f.rule_id for f in triage(text, age=40).red_flags}, text


def test_round_28_a_knee_that_gives_way_or_locks_and_a_bite_whose_red_ring_grows() -> None:
    assert "clocking" in extract_facts("going downstairs it gives way, and twice it's locked bent", age=29).tokens
    found = criteria_of(_guideline_passages("guidelines/en/insect-bites-stings.md"))
    facts = extract_facts("前天小腿被虫子咬了一口，本来一个小红包，今天红的那圈比昨天大了好多，摸着热乎乎的", age=35, sex="male")
    assert "urgent" in {m.level for m in match_criteria(facts, found)}


def test_round_28_sunburn_with_blisters_over_a_large_area_or_feeling_ill_is_same_day() -> None:
    # the burns guidelines (en, zh) now name sunburn's same-day signs (NHS: sunburn; possible heat exhaustion)
    zh = criteria_of(_guideline_passages("guidelines/zh/burns-zh.md"))
    facts = extract_facts("昨天在海边晒了一下午，今天后背和肩膀红的发紫，起了好几个水泡，头疼，恶心，一阵阵发冷", age=30, sex="female")
    assert "urgent" in {m.level for m in match_criteria(facts, zh)}
    en = criteria_of(_guideline_passages("guidelines/en/burns.md"))
    ill = extract_facts("sunburnt shoulders from the beach yesterday, today a headache and feel sick and shivery", age=30)
    assert "urgent" in {m.level for m in match_criteria(ill, en)}


# --- round 30 (docs/urgency.md "Round 30"): whole signs told in other words, and fears that are not findings ---------


def test_round_30_chest_ache_on_a_hill_that_stops_when_standing_still_is_possible_angina() -> None:
    from rag.safety.urgency.terms import _tokens

    for text in ("a heavy ache in the middle of my chest walking up the hill, settles after a minute standing still",
                 "my chest gets a squeezing pressure when i walk up the hill, it goes when i rest"):
        tokens = _tokens(text)
        assert {"cchest_pain", "cexertion", "crest_relief"} <= tokens, (text, tokens)
        found = criteria_of(_guideline_passages("guidelines/en/chest-pain.md"))
        levels = {m.level for m in match_criteria(extract_facts(text, age=60, sex="male"), found)}
        assert "urgent" in levels and "emergency" not in levels, (text, levels)
    # the chest named with a word for something else is no chest pain: heartburn, a chest infection, an itchy rash
    for text in ("burning in my chest after a curry", "my chest infection is aching a bit", "an itchy rash on my chest"):
        assert "cchest_pain" not in _tokens(text), text
    # "week" is not "wee": an ache told with how many weeks is no pain on peeing
    assert "curine_pain" not in _tokens("a dull ache in my knee for two weeks")
    assert "curine_pain" in _tokens("it stings when i wee")


def test_round_30_a_reliever_used_most_days_when_it_is_normally_once_a_month_is_more_often() -> None:
    assert "cmore_often" in extract_facts("I normally only use my blue inhaler about once a month, but this fortnight it's "
                                          "been most days", age=30).tokens
    assert "cmore_often" not in extract_facts("I use my blue inhaler most days, same as always", age=30).tokens


def test_round_30_meningitis_asked_about_or_read_in_the_news_is_a_fear_not_a_finding() -> None:
    from rag.safety.triage import triage

    for text, age in (("is it meningitis? she's 5, temp 38.9, spotty rash on her back but they do fade with the glass", 5),
                      ("刚刷到新闻说一个孩子得了脑膜炎，我家老二6岁，就是流鼻涕，不发烧，玩得挺好", 6)):
        assert "meningitis" not in {f.rule_id for f in triage(text, age=age).red_flags}, text
    # the word said as what a doctor found, and the signs themselves, still fire
    for text, age in (("the GP thinks he has meningitis and sent us in", 7), ("he has a fever and the spots don't fade when "
                                                                              "I press a glass on them", 7),
                      ("could this be meningitis? fever and her neck is so stiff she can't look down", 9)):
        assert "meningitis" in {f.rule_id for f in triage(text, age=age).red_flags}, text


def test_round_30_paracetamol_taken_in_full_doses_and_again_in_a_cold_remedy_is_a_staggered_overdose() -> None:
    from rag.safety.triage import triage

    told = "这几天牙疼一直吃扑热息痛，一天吃四次，每次两片。今天又吃了白加黑，说明书上也有对乙酰氨基酚"
    assert "paracetamol_staggered" in {f.rule_id for f in triage(told, age=40).red_flags}
    once = "中午吃了一片扑热息痛，晚上又喝了一包感冒灵，加起来不到一克，没事吧"
    assert "paracetamol_staggered" not in {f.rule_id for f in triage(once, age=40).red_flags}


# --- round 31 (docs/urgency.md "Round 31"): burns to each part, and a temperature taken below a fever -------------------


def test_round_31_blisters_on_a_part_are_an_emergency_only_when_they_are_a_burn() -> None:
    found = criteria_of(_guideline_passages("guidelines/en/burns.md"))
    burn = extract_facts("burnt my hand on the oven and it has come up in blisters", age=40, sex="male")
    assert "emergency" in {m.level for m in match_criteria(burn, found)}
    for text in ("a few little blisters came up on my penis, tingly first", "blisters on my feet from new walking boots"):
        assert "emergency" not in {m.level for m in match_criteria(extract_facts(text, age=30, sex="male"), found)}, text


def test_round_31_a_temperature_taken_below_a_fever_gets_the_fever_guidelines_self_care() -> None:
    from pathlib import Path

    from rag.safety.urgency.decide import _self_care_for

    text = Path("guidelines/zh/fever-zh.md").read_text(encoding="utf-8")
    self_care = text.split("## 4 居家自我护理", 1)[1].split("## 5", 1)[0].strip()
    passages = [passage("4 居家自我护理", self_care, doc_id="fever-zh", title="成人发热", n=1)]
    facts = extract_facts("昨晚量了37.9度，吃了一片布洛芬，今天早上36.8了，还能去上班吗", age=30, sex="male")
    assert "cfever" not in facts.tokens and facts.temperature_c is not None
    assert _self_care_for(facts, passages, ["fever-zh"]) is not None
    # the same text without the reading is about no guideline's subject here: no self-care to quote
    unmeasured = extract_facts("昨晚吃了一片布洛芬，今天早上好了，还能去上班吗", age=30, sex="male")
    assert _self_care_for(unmeasured, passages, ["fever-zh"]) is None


# --- round 33 (docs/urgency.md "Round 33"): a pregnancy that has just ended, a change told after the usual count, and
# the c-section wound ------------------------------------------------------------------------------------------------


def test_round_33_a_pregnancy_that_has_just_ended_keeps_the_pregnancy_guidelines() -> None:
    from rag.answer.schema import ConsultRequest
    from rag.consult import _patient
    from rag.knowledge.search import allowed_documents
    from rag.safety.urgency.facts import recently_pregnant

    for text in ("i had a miscarriage at 9 weeks, 17 days ago, still bleeding", "流产两周多了，还在出血", "had a c-section 2 weeks ago"):
        assert recently_pregnant(text), text
        request = ConsultRequest.model_validate({"symptoms": text, "age": 30, "sex": "female", "pregnant": False})
        assert _patient(request).pregnant is None, text
    assert not recently_pregnant("my period is 5 days late, two tests negative")
    plain = ConsultRequest.model_validate({"symptoms": "period pain again", "age": 30, "sex": "female", "pregnant": False})
    assert _patient(plain).pregnant is False

    class Doc:  # the two fields allowed_documents reads
        def __init__(self, doc_id: str, groups: list[str]) -> None:
            self.doc_id, self.groups = doc_id, groups

    early = Doc("early-pregnancy-problems", ["pregnant", "female", "adult", "adolescent"])
    request = ConsultRequest.model_validate({"symptoms": "had a miscarriage 3 weeks ago and the bleeding never really stopped",
                                             "age": 30, "sex": "female", "pregnant": False})
    kept, dropped = allowed_documents([early], _patient(request))  # type: ignore[list-item]
    assert [d.doc_id for d in kept] == ["early-pregnancy-problems"] and not dropped
    # bleeding that has not stopped, said plainly, is the guideline's "has not settled"
    found = criteria_of(_guideline_passages("guidelines/en/early-pregnancy-problems.md"))
    facts = extract_facts("i had a miscarriage 17 days ago, still bleeding, lighter now, no pain", age=30, sex="female", pregnant=False)
    assert {"cbleeding", "cunsettled"} <= facts.tokens
    assert "soon" in {m.level for m in match_criteria(facts, found)}


def test_round_33_a_count_before_a_change_is_the_usual_one() -> None:
    told = ("asthma normally really well controlled, i use my blue inhaler maybe once a month. since a cold 2 weeks ago im "
            "needing it every day, sometimes twice.")
    assert "cmore_often" in extract_facts(told, age=26).tokens
    assert "cmore_often" in extract_facts("喷雾一个月用一次，这两周天天都要喷", age=30).tokens
    # a daily word in another sentence after "since" is not the count now
    other = ("only needs the blue one maybe once a month. her asthma review hasnt happened since 2024. also is she meant to "
             "still use the brown one every day?")
    assert "cmore_often" not in extract_facts(other, age=9).tokens
    assert "cmore_often" not in extract_facts("I use my blue inhaler every day since 2019", age=40).tokens


def test_round_33_a_sprain_still_swollen_after_ten_days_of_home_care_is_seen_within_days() -> None:
    zh = criteria_of(_guideline_passages("guidelines/zh/sprains-strains-zh.md"))
    facts = extract_facts("打羽毛球崴了左脚，已经十天了还是肿的，能走。在家冰敷、垫高都弄了，没啥好转", age=30, sex="male")
    assert {"csprain", "cswelling", "cnot_improving"} <= facts.tokens
    assert "soon" in {m.level for m in match_criteria(facts, zh)}


def test_round_33_a_red_caesarean_wound_is_same_day() -> None:
    for path, text in (("guidelines/en/pregnancy-warning-signs.md", "had a c-section 2 weeks ago, one end of the scar has gone red and hot"),
                       ("guidelines/zh/pregnancy-warning-signs-zh.md", "剖腹产两周了，刀口有一头发红，流了点脓")):
        found = criteria_of(_guideline_passages(path))
        facts = extract_facts(text, age=30, sex="female", pregnant=False)
        assert "urgent" in {m.level for m in match_criteria(facts, found)}, text
        # the caesarean without a sign of infection is not
        calm = extract_facts("had a c-section 2 weeks ago, the scar looks fine, just tired" if "en/" in path else "剖腹产两周了，刀口长得挺好",
                             age=30, sex="female", pregnant=False)
        assert "urgent" not in {m.level for m in match_criteria(calm, found)}, path


# --- round 36 (docs/urgency.md "Round 36"): recognitions added, nothing taken away: shivering in lay Chinese, a voice
# going rough, a kitchen full of smoke, a baby that does not really wake, and the c-section wound list whole in every chunk


def test_round_36_lay_words_for_rigors_hoarseness_smoke_and_a_drowsy_baby() -> None:
    from rag.safety.urgency.terms import _tokens

    assert "crigors" in _tokens("下午烧到38.8 冷的直打哆嗦")
    assert {"csmoke_filled", "choarse"} <= _tokens("kitchen was full of smoke for a few mins, today my voice is going rough")
    assert "csmoke_filled" in _tokens("屋里全是烟，呛了半天")
    assert "cdrowsy" in _tokens("宝宝出生20天，叫她也不怎么醒")
    assert "csmoke_filled" not in _tokens("he smokes twenty a day and the car smells of smoke")


def test_round_36_a_kitchen_full_of_smoke_after_a_burn_is_an_emergency() -> None:
    found = criteria_of(_guideline_passages("guidelines/en/burns.md"))
    facts = extract_facts("pan caught fire last night, burnt my hand, the kitchen was full of smoke for a few minutes", age=40)
    assert "emergency" in {m.level for m in match_criteria(facts, found)}
    small = extract_facts("splashed hot water on my hand making tea, small red patch, no blister", age=40)
    assert "emergency" not in {m.level for m in match_criteria(small, found)}


def test_round_36_every_chunk_of_the_chinese_caesarean_list_is_same_day(minilm) -> None:
    from pathlib import Path

    from ingest.prepare import ChunkParams, prepare_text
    from rag.settings import load_settings

    path = Path(__file__).resolve().parent.parent / "guidelines/zh/pregnancy-warning-signs-zh.md"
    prepared = prepare_text(path, ChunkParams.from_settings(load_settings(), minilm.max_tokens), {}, minilm.count_tokens)
    assert not prepared.error
    passages = [Passage(chunk_id=f"c{i}", doc_id="pregnancy-warning-signs-zh", title="孕期及产后危险信号", publisher="t",
                        version="t", source=str(path), section=c.section, page_start=1, page_end=1, text=c.text, language="zh")
                for i, c in enumerate(prepared.chunks)]
    wound = [c for c in criteria_of(passages) if "剖宫产伤口" in c.text]
    assert len(wound) >= 4 and {c.level for c in wound} == {"urgent"}, [(c.level, c.text) for c in wound]


# --- round 40 (docs/urgency.md "Round 40"): a foot that cannot be stepped on, a finger that touched the iron; the
# tearing word of aortic dissection starts a word


def test_round_40_a_foot_not_stepped_on_and_a_touch_of_the_iron() -> None:
    from rag.safety.urgency.terms import _tokens

    assert "cweight_bear" in _tokens("football, ankle went over, now cannot step on it at all")
    assert "cweight_bear" in _tokens("twisted it, can't step on my foot")
    assert "cweight_bear" not in _tokens("twisted my ankle, swollen, can step on it but sore")
    assert "cburn" in _tokens("the iron touched my wrist, red, small pain")
    assert "cburn" not in _tokens("on iron tablets, my wrist is red")


@pytest.mark.parametrize("text", ["dry cough for 2 months, nose dripping down the back of my throat",
                                  "cough 6 weeks, mucus dripping back into throat at night"])
def test_round_40_a_post_nasal_drip_is_no_tearing_pain(text: str) -> None:
    from rag.safety.triage import triage

    assert "aortic_dissection" not in {f.rule_id for f in triage(text).red_flags}


@pytest.mark.parametrize("text", ["sudden ripping pain going through to my back",
                                  "tearing pain in my chest going through to my back"])
def test_round_40_a_tearing_pain_to_the_back_still_fires(text: str) -> None:
    from rag.safety.triage import triage

    assert "aortic_dissection" in {f.rule_id for f in triage(text).red_flags}
