"""rag.answer.conditions: conditions named in the evidence, ranked by the patient's words, coded from the table."""

from __future__ import annotations

import re
from pathlib import Path

from rag.answer.conditions import conditions_from_evidence, draft_conditions
from rag.answer.schema import DraftAdvice, DraftSeekCare
from rag.safety.verify import verify
from rag.types import Passage

ROOT = Path(__file__).resolve().parents[1]


def _guideline(doc: str, lang: str) -> list[Passage]:
    """The sections of a starter guideline as passages (the way the chunker cuts them, roughly)."""
    body = (ROOT / "guidelines" / lang / f"{doc}.md").read_text(encoding="utf-8").split("---", 2)[2]
    out = []
    for i, sec in enumerate(re.split(r"\n## ", body)[1:]):
        head, _, text = sec.partition("\n")
        out.append(Passage(chunk_id=f"{doc}-{i}", doc_id=doc, title=doc, publisher="clinrag", version="1", source="s",
                           section=head, page_start=1, page_end=1, text=text, language=lang, score=0.8))
    return out


def _seek() -> DraftSeekCare:
    return DraftSeekCare(needed=True, urgency="soon", department="", reason="", citations=[])


def test_glandular_fever_from_the_sore_throat_guideline():
    ps = _guideline("sore-throat", "en")
    got = conditions_from_evidence("Sore throat and swollen glands for a week, I feel exhausted and tired", ps, "en")
    assert got[0].canonical == "infectious mononucleosis" and got[0].icd10 == "B27.90"
    assert "sore throat" in [m.lower() for m in got[0].matched]
    assert got[0].quote in got[0].rationale and got[0].quote.lower().startswith("glandular fever")


def test_never_a_document_title():
    ps = _guideline("medication-safety", "en")
    got = conditions_from_evidence("Can I take paracetamol and ibuprofen together for a headache?", ps, "en")
    titles = {"medication safety: paracetamol (acetaminophen) and ibuprofen", "medication-safety"}
    assert not any(c.name.lower() in titles for c in got)
    assert all(c.icd10 for c in got)


def test_symptoms_are_not_offered_as_conditions():
    ps = _guideline("fever-adults", "en")
    names = {c.canonical for c in conditions_from_evidence("fever and chills for two days", ps, "en", limit=6)}
    assert "fever" not in names


def test_chinese_names_and_rationale_in_chinese():
    ps = _guideline("chest-pain-zh", "zh")
    got = conditions_from_evidence("胸口痛，出汗，左臂发麻", ps, "zh")
    assert {"急性心肌梗死", "心绞痛"} <= {c.name for c in got}
    assert all(c.rationale.startswith(("您提到的", "与您提到的", "指南中写道")) for c in got)


def test_chinese_patient_over_english_guideline():
    ps = _guideline("sore-throat", "en")
    got = conditions_from_evidence("嗓子疼，发烧，脖子淋巴结肿，特别累", ps, "zh")
    assert got and got[0].name == "传染性单核细胞增多症" and got[0].icd10 == "B27.90"
    assert "嗓子疼" in got[0].matched


def test_short_complaint_ranks_chronic_causes_lower():
    ps = _guideline("cough-zh", "zh")
    short = [c.canonical for c in conditions_from_evidence("我这两天咳嗽", ps, "zh", limit=8)]
    assert "chronic obstructive pulmonary disease" not in short[:3]


def test_adult_patient_ranks_child_sentences_lower():
    ps = _guideline("cough-zh", "zh")
    adult = [c.canonical for c in conditions_from_evidence("咳嗽", ps, "zh", limit=8, age=40)]
    anyone = [c.canonical for c in conditions_from_evidence("咳嗽", ps, "zh", limit=8)]
    assert adult.index("pertussis") > anyone.index("pertussis")
    # croup, named in the same children's sentences, is not offered to an adult at all (can_have)
    assert "croup" in anyone and "croup" not in adult


def test_condition_from_a_risk_group_or_prevention_sentence_is_not_a_cause():
    ps = [Passage(chunk_id="c", doc_id="d", title="t", publisher="p", version="1", source="s", section="x", page_start=1,
                  page_end=1, text="People with diabetes may feel less chest pain. Avoid long periods of dehydration.",
                  language="en", score=0.8)]
    got = {c.canonical: c.score for c in conditions_from_evidence("chest pain and thirst, dehydration", ps, "en", limit=6)}
    assert "dehydration" not in got
    assert got.get("type 2 diabetes mellitus", 0.0) < 0.3


def test_every_drafted_condition_survives_verification_with_its_code():
    for doc, lang, q in [("sore-throat", "en", "fever, sore throat, swollen glands"),
                         ("urinary-tract-infection", "en", "it burns when I pee and I keep needing to go"),
                         ("chest-pain-zh", "zh", "胸口痛，出汗"), ("sore-throat", "en", "嗓子疼，发烧")]:
        ps = _guideline(doc, lang)
        language = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in q) else "en"
        drafts = draft_conditions(q, ps, language)
        assert drafts, doc
        out = verify(DraftAdvice(possible_conditions=drafts, seek_care=_seek()), ps)
        assert [c.name for c in out.conditions] == [d.name for d in drafts], out.notes
        assert all(c.icd10 for c in out.conditions)


def test_no_passages_no_conditions():
    assert conditions_from_evidence("fever", [], "en") == []


def test_chinese_words_that_name_no_symptom_are_no_evidence_and_not_shown():
    # "一天比一天好" holds 多/比/天, "行吗" 行: none is a symptom, and "多" matched the cough guideline's "多由感冒…引起"; the
    # rationale said "您提到的多、咳嗽"
    from rag.answer.conditions import _names_nothing

    assert all(_names_nothing(w) for w in ("多", "比", "天", "第", "行", "急", "有点", "感觉", "整体", "一天", "医院", "宝宝"))
    assert not any(_names_nothing(w) for w in ("咳嗽", "嗓子哑", "疼", "腿", "肿", "痒", "cough"))
    got = conditions_from_evidence("阳了第5天，烧退了一天多了，就是还有点咳嗽嗓子哑，整体感觉一天比一天好",
                                   _guideline("cough-zh", "zh"), "zh", limit=6)
    assert got and all(c.matched for c in got)
    assert not any(w in c.matched for c in got for w in ("多", "比", "天", "一天", "整体", "有点", "感觉"))
    # a sentence that shares only such words with the complaint offers no condition: "用" is all that "用很烫的水泡脚"
    # shares with the sprains guideline's "可以使用护具"
    ps = [Passage(chunk_id="c", doc_id="d", title="t", publisher="p", version="1", source="s", section="x", page_start=1,
                  page_end=1, text="扭伤后可以使用护具保护。", language="zh", score=0.8)]
    assert conditions_from_evidence("冬天天天晚上用很烫的水泡脚", ps, "zh") == []


def test_what_a_medicine_treats_is_no_cause():
    # the sore-throat guideline's same-day item about carbimazole, "一种治疗甲亢的甲状腺药物", names no 甲亢 as the cause of a
    # pregnant woman's sore throat
    ps = _guideline("sore-throat-zh", "zh")
    names = {c.canonical for c in conditions_from_evidence("怀孕5个月了，这两天嗓子疼，低烧37.8", ps, "zh", limit=8)}
    assert names and "hyperthyroidism" not in names
    en = [Passage(chunk_id="c", doc_id="d", title="t", publisher="p", version="1", source="s", section="x", page_start=1,
                  page_end=1, text="A sore throat in someone taking a medicine used to treat an overactive thyroid needs a "
                  "blood test the same day. Glandular fever causes a sore throat.", language="en", score=0.8)]
    got = {c.canonical for c in conditions_from_evidence("sore throat", en, "en", limit=6)}
    assert "hyperthyroidism" not in got and "infectious mononucleosis" in got


def test_a_condition_the_patient_cannot_have_is_not_offered():
    from rag.answer.conditions import can_have

    assert not can_have("chronic obstructive pulmonary disease", 6, "male")
    assert can_have("chronic obstructive pulmonary disease", 60, None)
    assert not can_have("giant cell arteritis", 39, "female") and can_have("giant cell arteritis", 72, "female")
    assert not can_have("hyperemesis gravidarum", 0.08, "male") and not can_have("hyperemesis gravidarum", 30, "male")
    assert not can_have("prostatitis", 40, "female") and not can_have("febrile seizure", 30, None)
    assert can_have("migraine", None, None) and can_have("pre-eclampsia", None, None)
    cough = _guideline("cough-zh", "zh")
    child = [c.canonical for c in conditions_from_evidence("嗓子疼，还流清鼻涕咳嗽，低烧37.8", cough, "zh", limit=8, age=6)]
    older = [c.canonical for c in conditions_from_evidence("嗓子疼，还流清鼻涕咳嗽，低烧37.8", cough, "zh", limit=8, age=60)]
    assert "chronic obstructive pulmonary disease" not in child and "chronic obstructive pulmonary disease" in older
    headache = _guideline("headache-zh", "zh")
    q = "这一个月头疼的次数越来越多，一周三四次，布洛芬几乎天天吃"
    assert "giant cell arteritis" not in {c.canonical for c in conditions_from_evidence(q, headache, "zh", limit=8, age=39,
                                                                                        sex="female")}
    assert "giant cell arteritis" in {c.canonical for c in conditions_from_evidence(q, headache, "zh", limit=8, age=72,
                                                                                    sex="female")}
