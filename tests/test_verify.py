"""rag.safety.verify on its own: polarity, units, Chinese numerals, names, departments, verdicts, and the
frozen negation stress set."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.schema import DraftAdvice, DraftCondition, DraftSeekCare, DraftSelfCare, DraftTest
from rag.safety.stress import evaluate_pairs, load_pairs
from rag.safety.verify import judge, normalise_numerals, quantities, verify
from rag.types import Passage

DATA = Path(__file__).parent / "data"


def _p(text: str, n: int = 1, score: float = 0.9) -> Passage:
    return Passage(chunk_id=f"c{n}", doc_id=f"d{n}", title="t", publisher="p", version="1", source="s", section="x",
                   page_start=1, page_end=1, text=text, language="en", score=score)


def _draft(**kw: object) -> DraftAdvice:
    seek = DraftSeekCare(needed=True, urgency="soon", department="", reason="", citations=[])
    return DraftAdvice(seek_care=kw.pop("seek_care", seek), **kw)  # type: ignore[arg-type]


# --- the three examples from issue 12 ---------------------------------------------------------

def test_flipped_prohibition_is_contradicted():
    j = judge("Give aspirin to children with fever.", ["Do not give aspirin to children with fever: it can cause Reye's syndrome."])
    assert j.verdict == "contradicted"
    assert "polarity" in j.reasons[0]


def test_flipped_chinese_prohibition_is_contradicted():
    assert judge("儿童发热可以服用阿司匹林", ["儿童发热时不要服用阿司匹林，以免引起瑞氏综合征。"]).verdict == "contradicted"


def test_mcg_is_not_mg():
    j = judge("Take 500 mcg of paracetamol.", ["Adults may take 500 mg of paracetamol every 4 to 6 hours."])
    assert j.verdict == "contradicted"
    assert "mcg" in j.reasons[0] and "mg" in j.reasons[0]


def test_the_same_claims_stated_rightly_are_supported():
    assert judge("Do not give aspirin to children with fever.",
                 ["Do not give aspirin to children with fever: it can cause Reye's syndrome."]).verdict == "supported"
    assert judge("Adults may take 500 mg of paracetamol.", ["Adults may take 500 mg of paracetamol every 4 to 6 hours."]).verdict in (
        "supported", "weak")


# --- polarity is read per clause ---------------------------------------------------------------

def test_a_prohibition_elsewhere_in_the_passage_does_not_contradict():
    passage = "Do not give aspirin to children. Paracetamol or ibuprofen can be used for fever in children."
    assert judge("Paracetamol can be used for fever in children.", [passage]).verdict == "supported"


def test_lead_in_is_shared_by_the_clauses_after_it():
    passage = "Chest pain with sweating: never wait to see if it passes; call an ambulance."
    assert judge("Call an ambulance for chest pain with sweating.", [passage]).verdict != "contradicted"
    assert judge("Wait to see if chest pain with sweating passes.", [passage]).verdict == "contradicted"


def test_dont_stop_means_keep_taking():
    passage = "Don't stop taking your blood pressure medicine without talking to your doctor."
    assert judge("Stop taking your blood pressure medicine.", [passage]).verdict == "contradicted"
    assert judge("降压药血压正常后可以自行停药", ["降压药血压正常后也不宜自行停药，应咨询医生。"]).verdict == "contradicted"


def test_chinese_topic_is_shared_across_commas():
    passage = "荨麻疹发作时勿用热水烫洗，可冷敷止痒。"
    assert judge("荨麻疹发作时可以冷敷止痒。", [passage]).verdict != "contradicted"
    assert judge("荨麻疹发作时用热水烫洗。", [passage]).verdict == "contradicted"


def test_no_more_than_is_a_limit_not_a_negation():
    assert judge("Take no more than 4 g of paracetamol in 24 hours.",
                 ["Adults should take no more than 4 g of paracetamol in 24 hours."]).verdict == "supported"
    assert judge("成人对乙酰氨基酚每日总量不超过4克", ["成人对乙酰氨基酚每日总量不超过4克。"]).verdict == "supported"


# --- quantities -------------------------------------------------------------------------------

def test_chinese_numerals_are_normalised():
    assert normalise_numerals("冲洗二十分钟，发热三天，两周") == "冲洗20分钟,发热3天,2周"  # NFKC: full-width comma too
    assert normalise_numerals("一起去一般来说") == "一起去一般来说"  # words, not numbers
    assert judge("用凉水冲洗二十分钟", ["烫伤后用流动的凉水冲洗20分钟。"]).verdict == "supported"


def test_units_travel_with_numbers():
    qs = quantities("500 mg to 1 g, 50 to 100 mL, 38 °C (100.4 °F), 4克, 1200毫克")
    assert [(q.value, q.unit) for q in qs] == [(500, "mg"), (1, "g"), (50, "ml"), (100, "ml"), (38, "c"), (100.4, "f"),
                                               (4, "g"), (1200, "mg")]


@pytest.mark.parametrize("claim, passage", [
    ("Adults can take up to 4 mg in 24 hours.", "Adults can take up to 4 g in 24 hours."),
    ("A fever is 38 °F or more.", "A fever is 38 °C (100.4 °F) or more."),
    ("布洛芬成人每日不超过1200克。", "布洛芬成人每日不超过1200毫克。"),
    ("Cool the burn for 2 minutes.", "Cool the burn for 20 minutes."),
])
def test_wrong_unit_or_amount_is_contradicted(claim: str, passage: str):
    assert judge(claim, [passage]).verdict == "contradicted"


def test_equal_amounts_in_other_units_agree():
    assert judge("Adults may take 1000 mg of paracetamol at a time.", ["Adults may take 1 g of paracetamol at a time."]).verdict in (
        "supported", "weak")


def test_a_number_not_in_the_passage_is_unsupported():
    assert judge("Take paracetamol every 2 hours.", ["Take paracetamol every 4 to 6 hours."]).verdict == "contradicted"
    assert judge("Rest for 3 days.", ["Rest and drink fluids."]).verdict == "unsupported"


# --- names ------------------------------------------------------------------------------------

def test_drug_not_in_the_passage_is_unsupported_brands_fold_to_generics():
    assert judge("Take ibuprofen for the pain.", ["Take paracetamol for the pain, following the label."]).verdict == "unsupported"
    assert judge("Take Tylenol for the pain.", ["Take paracetamol for the pain, following the label."]).verdict in ("supported", "weak")
    assert judge("可以服用布洛芬止痛。", ["可按说明书使用对乙酰氨基酚止痛。"]).verdict == "unsupported"


def test_test_not_in_the_passage_is_unsupported():
    assert judge("Your doctor may order an ECG.", ["Your doctor may order blood tests."]).verdict == "unsupported"


# --- verify() over a draft ------------------------------------------------------------------

def test_verify_drops_contradicted_items_and_marks_the_citation_unsupported():
    passages = [_p("Do not give aspirin to children with fever."), _p("Give fluids to children with fever often.", 2)]
    draft = _draft(self_care=[
        DraftSelfCare(advice="Give aspirin to children with fever.", confidence="high", citations=[1]),
        DraftSelfCare(advice="Give fluids to children with fever often.", confidence="high", citations=[2]),
    ])
    out = verify(draft, passages)
    assert [s.advice for s in out.self_care] == ["Give fluids to children with fever often."]
    assert [c.support for c in out.citations] == ["unsupported", "supported"]
    assert any("contradicted" in n for n in out.notes)
    assert out.verdicts[0]["support_verdict"] == "contradicted"


def test_condition_name_must_be_named_in_the_passage():
    passages = [_p("Glandular fever causes a severe sore throat, marked tiredness and swollen glands.")]
    good = DraftCondition(name="infectious mononucleosis", rationale="severe sore throat, marked tiredness and swollen glands",
                          confidence="medium", citations=[1])
    bad = DraftCondition(name="Strep throat", rationale="severe sore throat, marked tiredness and swollen glands",
                         confidence="medium", citations=[1])
    out = verify(_draft(possible_conditions=[good, bad]), passages)
    assert [(c.name, c.icd10) for c in out.conditions] == [("infectious mononucleosis", "B27.90")]


def test_department_not_in_the_passage_is_replaced():
    passages = [_p("See your primary care doctor if the sore throat lasts more than a week.")]
    seek = DraftSeekCare(needed=True, urgency="soon", department="Cardiology",
                         reason="See your primary care doctor if the sore throat lasts more than a week.", citations=[1])
    out = verify(_draft(seek_care=seek), passages)
    assert out.seek_care is not None and out.seek_care.department == "Primary care"
    seek_ok = seek.model_copy(update={"department": "Primary care"})
    out = verify(_draft(seek_care=seek_ok), passages)
    assert out.seek_care is not None and out.seek_care.department == "Primary care" and out.seek_care.reason


def test_suggested_test_is_judged_with_its_name():
    passages = [_p("A rapid strep test or a throat swab culture may be done.")]
    t_ok = DraftTest(test="rapid strep test", reason="A rapid strep test or a throat swab culture may be done.", citations=[1])
    t_bad = DraftTest(test="chest X-ray", reason="A rapid strep test or a throat swab culture may be done.", citations=[1])
    out = verify(_draft(suggested_tests=[t_ok, t_bad]), passages)
    assert [t.test for t in out.tests] == ["rapid strep test"]


# --- the frozen stress set ------------------------------------------------------------------

def test_stress_set_is_big_enough_and_bilingual():
    rows = load_pairs(DATA / "verify_stress.jsonl")
    assert len(rows) >= 50
    assert {r["lang"] for r in rows} == {"en", "zh"}
    assert {r["expected"] for r in rows} == {"supported", "contradicted", "unsupported"}


def test_frozen_stress_set_reaches_what_we_report():
    # figures reported in docs/verification.md: the target, recall >= 0.95 at precision >= 0.90
    r = evaluate_pairs(load_pairs(DATA / "verify_stress.jsonl"))
    assert r.contradiction_precision >= 0.90
    assert r.contradiction_recall >= 0.95
    assert r.blocked_recall >= 0.95  # contradicted or unsupported: the item is never shown


@pytest.mark.parametrize("name", ["verify_dev.jsonl", "verify_dev2.jsonl"])
def test_dev_sets_reach_what_we_report(name: str):
    r = evaluate_pairs(load_pairs(DATA / name))
    assert r.contradiction_precision >= 0.95
    assert r.contradiction_recall >= 0.90
    assert r.blocked_recall >= 0.95


# --- scope of negation, limits, conditions (issue 12, second round) ----------------------------

def test_the_object_of_a_prohibition_contradicts_a_claim_that_recommends_it():
    passage = "Keep the blister clean and covered; don't pop or peel it."
    assert judge("Pop the blister to let it heal faster.", [passage]).verdict == "contradicted"
    assert judge("Keep the blister clean and covered.", [passage]).verdict == "supported"


def test_a_word_of_the_prohibition_on_the_way_does_not_contradict():
    passage = "Try not to scratch bites, as this can lead to infection; a cold compress eases itching."
    assert judge("A cold compress eases itching from bites.", [passage]).verdict == "supported"
    assert judge("Scratch insect bites to relieve them.", [passage]).verdict == "contradicted"


def test_a_generic_verb_alone_does_not_contradict():
    # "use" is in the prohibition's scope and in no positive clause, but it is all the claim shares with it
    assert judge("Use a cold compress.", ["Do not use ice; a cold compress helps."]).verdict == "supported"


def test_the_subject_of_a_predicate_negation_is_in_scope():
    passage = "Colds are caused by viruses, so antibiotics do not help."
    assert judge("Antibiotics help with a cold.", [passage]).verdict == "contradicted"
    assert judge("Colds are caused by viruses.", [passage]).verdict == "supported"


def test_chinese_prohibition_scope():
    passage = "扭伤后48小时内应冷敷，不宜热敷或按摩。"
    assert judge("扭伤后马上热敷按摩。", [passage]).verdict == "contradicted"
    assert judge("扭伤后48小时内应冷敷。", [passage]).verdict == "supported"
    assert judge("腹泻时应该禁食。", ["腹泻期间不必禁食，可少量多餐进食清淡食物。"]).verdict == "contradicted"


def test_a_limit_is_not_a_prohibition_and_an_unbounded_claim_breaks_it():
    passage = "Do not take more than 4 g of paracetamol in 24 hours."
    assert judge("Take no more than 4000 mg of paracetamol in 24 hours.", [passage]).verdict == "supported"
    assert judge("Use the nasal spray for as long as you like.",
                 ["Use decongestant nasal sprays for no more than 7 days."]).verdict == "contradicted"
    assert judge("Ibuprofen is safe for everyone.",
                 ["Ibuprofen is safe for most people, except those with stomach ulcers."]).verdict == "contradicted"


def test_a_leading_condition_does_not_hide_the_polarity_of_what_follows():
    passage = "If you have COPD, stopping smoking is the most important thing you can do; avoid smoky places."
    assert judge("Smoking is fine if you have COPD.", [passage]).verdict == "contradicted"


def test_to_stop_is_a_purpose_not_a_negation():
    passage = "For a nosebleed, sit up, lean forward and pinch the soft part of the nose; do not tilt the head back."
    assert judge("Tilt your head back to stop a nosebleed.", [passage]).verdict == "contradicted"
    assert judge("Pinch the soft part of the nose to stop a nosebleed.", [passage]).verdict in ("supported", "weak")


def test_a_changed_bare_number_is_contradicted():
    passage = "A reading of 140/90 mmHg or higher on repeated checks is high blood pressure."
    assert judge("A blood pressure of 14/90 is high.", [passage]).verdict == "contradicted"
    assert judge("A blood pressure of 140/90 is high.", [passage]).verdict in ("supported", "weak")


def test_referral_criteria_that_repeat_a_negation_are_not_contradicted():
    # seek-care reasons of the extractive generator: lead-in + criterion, judged against the list
    passage = ("See your primary care doctor if:\n- you have a high fever, pus on the tonsils and no cough (possible strep)\n"
               "- the sore throat has not improved after about 1 week")
    assert judge("See your primary care doctor if you have a high fever, pus on the tonsils and no cough (possible strep).",
                 [passage]).verdict == "supported"
    child = "See your child's doctor if:\n- the fever lasts 5 days or more;\n- your child is not drinking well, or you are worried"
    assert judge("See your child's doctor if the fever lasts 5 days or more.", [child]).verdict == "supported"
    zh = "请立即拨打120，不要自己开车去医院：\n- 胸痛持续超过几分钟不缓解\n- 或反复发作"
    assert judge("请立即拨打120，不要自己开车去医院：胸痛持续超过几分钟不缓解，或反复发作。", [zh]).verdict == "supported"
