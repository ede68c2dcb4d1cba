"""A Chinese complaint whose guideline exists only in English (issue 12): the complaint's English terms (rag/terms
zh_en.tsv and the condition and drug tables) let the English guideline compete in the answer's choice of guideline,
while a Chinese guideline about the complaint still wins."""

from __future__ import annotations

from dataclasses import replace

from rag.answer.evidence import candidate_documents
from rag.answer.generators.extractive import english_bridge, matching_documents
from rag.knowledge.base import DocVersion
from rag.terms import english_term_groups
from rag.types import Passage
from tests.test_extractive import compose, passage, texts

BITES = [passage("insect-bites-stings", "Insect bites, stings and tick bites", "1 Who this applies to",
                 "People bitten or stung by insects: mosquito bites cause small red itchy bumps.", 0.47),
         passage("insect-bites-stings", "Insect bites, stings and tick bites", "4 Self-care at home",
                 "- Wash the area with soap and water.\n- Antihistamine tablets or a mild hydrocortisone cream for itching.", 0.45)]
FEVER_CHILD_ZH = [passage("fever-children-zh", "儿童发热", "1 适用人群", "本指南适用于发烧的孩子，腋下体温37.3 ℃以上。", 0.65,
                          language="zh"),
                  passage("fever-children-zh", "儿童发热", "4 居家自我护理", "- 多喝水，穿衣适中。", 0.6, language="zh")]
MOSQUITO = "孩子3岁，去公园回来腿上被蚊子咬了十几个包，红红的很痒，没别的不舒服"


def _zh(t: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in t)


def test_english_bridge_gives_the_english_terms_of_what_is_affirmed() -> None:
    assert {"mosquito", "itchy"} <= set(english_bridge(MOSQUITO).split(", "))
    assert english_bridge("嗓子疼两天了") == "sore throat"
    assert "fever" not in english_bridge("嗓子疼，不发烧")  # a denied symptom names nothing
    assert english_bridge("I have a sore throat") == ""
    # one group per Chinese term, however many English forms it has
    groups = english_term_groups("发烧，气短")
    assert len(groups) == 2 and "fever" in groups[0]


def test_an_english_guideline_anchors_a_chinese_complaint_no_chinese_guideline_covers() -> None:
    # retrieval ranked the Chinese fever guideline first; the complaint is a mosquito bite
    docs = matching_documents([*FEVER_CHILD_ZH, *BITES], MOSQUITO, "zh")
    assert docs == ["insect-bites-stings"]
    d = compose(MOSQUITO, [*FEVER_CHILD_ZH, *BITES], language="zh", age=3.0)
    assert d.self_care and all(not _zh(s.advice) for s in d.self_care)  # one language: the anchor's
    assert not any(_zh(t) for t in texts(d) if t)


def test_a_chinese_guideline_about_the_complaint_still_wins() -> None:
    cough_zh = [passage("cough-zh", "咳嗽", "1 适用人群", "本指南适用于感冒后咳嗽、流鼻涕的人。", 0.6, language="zh"),
                passage("cough-zh", "咳嗽", "4 居家自我护理", "- 1岁以下婴儿禁止喂蜂蜜。", 0.58, language="zh")]
    cough_en = [passage("cough-acute", "Acute cough", "1 Who this applies to",
                        "Adults and children with a cough after a common cold, runny nose.", 0.6),
                passage("cough-acute", "Acute cough", "4 Self-care at home", "- Do not give honey to babies under 12 months.", 0.58)]
    # "有点咳" names the Chinese title only through its English term (cough): the Chinese guideline is kept
    query = "宝宝8个月，感冒了流鼻涕还有点咳，可以喝蜂蜜水吗"
    assert matching_documents([*cough_zh, *cough_en], query, "zh")[0] == "cough-zh"
    d = compose(query, [*cough_zh, *cough_en], language="zh", age=0.67)
    assert all(_zh(t) for t in texts(d) if t)


def test_an_english_guideline_must_clearly_beat_a_chinese_one_that_shares_the_complaint() -> None:
    rash_zh = [passage("rash-zh", "皮疹与过敏反应", "3 危险信号", "嘴唇、舌头肿胀，头晕，呼吸困难：立即拨打120。", 0.61, language="zh")]
    # an English guideline whose title the complaint does not name, sharing more English words than the Chinese one
    # shares Chinese words, must score CROSS_MARGIN above it
    chronic = [passage("cough-chronic", "Chronic (long-lasting) cough", "3 Red flags",
                       "Swollen lips, a hoarse voice or shortness of breath: call an ambulance.", 0.55)]
    query = "吃了虾之后嘴唇和舌头肿起来了，头晕，喘不上气"
    assert matching_documents([*rash_zh, *chronic], query, "zh")[0] == "rash-zh"
    # one the complaint names by title ("头晕": "Dizziness and vertigo") competes on its score alone
    dizzy = [passage("dizziness", "Dizziness and vertigo", "1 Who this applies to", "Feeling dizzy or short of breath.", 0.51)]
    assert matching_documents([*rash_zh, *dizzy], query, "zh")[0] == "dizziness"
    assert matching_documents([replace(rash_zh[0], score=0.72), *dizzy], query, "zh")[0] == "rash-zh"


def test_a_chinese_complaint_may_name_an_english_title_retrieval_missed() -> None:
    def version(doc_id: str, title: str, language: str) -> DocVersion:
        return DocVersion(doc_id, f"h-{doc_id}", "1", title, "test", language, f"{doc_id}.md", "CC", "", "", (), "active", 2, 1,
                          "", "")

    sore = [passage("sore-throat", "Sore throat", "1 Who this applies to", "People with a sore throat.", 0.0)]

    class Reader:
        def document_passages(self, content_hash: str) -> list[Passage]:
            return {"h-sore-throat": sore}.get(content_hash, [])

    cough = [passage("cough-zh", "咳嗽", "2 评估", "咳嗽分为急性和慢性。", 0.58, language="zh")]
    versions = [version("sore-throat", "Sore throat", "en"), version("insomnia-zh", "失眠", "zh")]
    added = candidate_documents(cough, versions, Reader(), "嗓子疼两天了", "zh")
    assert [(p.doc_id, p.extra["via"]) for p in added] == [("sore-throat", "named in the complaint (English terms)")]
    # an English question, or a Chinese one that names a Chinese guideline, offers no other language's guideline
    assert candidate_documents(cough, versions, Reader(), "咳嗽两周了，嗓子疼", "zh") == []


def test_a_consultation_answers_a_chinese_question_from_the_english_guideline_and_says_so(starter_kb) -> None:
    from rag.answer.schema import ConsultRequest
    from rag.consult import consult

    advice = consult(ConsultRequest(symptoms=MOSQUITO, age=3), starter_kb, caller="test").advice
    assert advice.language == "zh"
    by_n = {c.n: c.doc_id for c in advice.citations}
    assert advice.self_care and {by_n[n] for s in advice.self_care for n in s.citations} == {"insect-bites-stings"}
    assert advice.urgency == "self_care"
    assert any(n.startswith("语言：") for n in advice.notes)
    # a Chinese question a Chinese guideline covers: Chinese items, no note
    advice = consult(ConsultRequest(symptoms="拉肚子两天了，一天五六次，肚子有点痛", age=30), starter_kb, caller="test").advice
    by_n = {c.n: c.doc_id for c in advice.citations}
    assert advice.self_care and {by_n[n] for s in advice.self_care for n in s.citations} == {"diarrhoea-zh"}
    assert not any(n.startswith("语言：") for n in advice.notes)


# --- round 19 (docs/answers.md): wrong anchors for Chinese complaints whose guideline is English only ----------------


def _version(doc_id: str, title: str, language: str) -> DocVersion:
    return DocVersion(doc_id, f"h-{doc_id}", "1", title, "test", language, f"{doc_id}.md", "CC", "", "", (), "active", 2, 1,
                      "", "")


class _Reader:
    def __init__(self, *docs: list[Passage]) -> None:
        self.docs = {f"h-{d[0].doc_id}": d for d in docs}

    def document_passages(self, content_hash: str) -> list[Passage]:
        return self.docs.get(content_hash, [])


PALPITATIONS = [passage("palpitations", "Palpitations (racing, pounding or fluttering heartbeat)", "2 Assessment",
                        "Common triggers: caffeine, stress. An irregular heartbeat may be atrial fibrillation (an arrhythmia).",
                        0.0)]
ANXIETY = [passage("depression-anxiety", "Depression and anxiety", "2 Assessment",
                   "Anxiety disorders cause worry, stress and panic.", 0.0)]
FEVER_ZH = [passage("fever-zh", "成人发热", "2 评估", "发热伴心跳非常快，可能是脓毒症。", 0.63, language="zh")]


def test_the_english_terms_of_a_chinese_complaint_leave_out_the_patients_own_guess() -> None:
    # "是不是焦虑了？" is a guess at the cause, as the Chinese terms already read it: no "anxiety"
    bridge = english_bridge("这两周老是心慌，是不是焦虑了？")
    assert "palpitations" in bridge and "anxiety" not in bridge


def test_of_two_english_titles_the_chinese_complaint_names_the_one_more_about_it_is_offered() -> None:
    # "压力大" names "Depression and anxiety" through "stress", "心慌" names "Palpitations"; the palpitations guideline
    # shares more of the complaint (palpitations, arrhythmia, stress), whatever the order of the versions
    versions = [_version("depression-anxiety", "Depression and anxiety", "en"),
                _version("palpitations", "Palpitations (racing, pounding or fluttering heartbeat)", "en")]
    added = candidate_documents(FEVER_ZH, versions, _Reader(PALPITATIONS, ANXIETY), "工作压力大，这两周老是心慌，手表说心律不齐",
                                "zh")
    assert [(p.doc_id, p.extra["via"]) for p in added] == [("palpitations", "named in the complaint (English terms)")]


SCALD = "刚才倒开水的时候暖壶炸了，开水溅到小腿上，红了一大片，起了个比一元硬币大的水泡"
BURN_FLAG = "大面积或深度烧烫伤（比伤者手掌大，或皮肤发白发硬像皮革、焦黑）"
BURNS = [passage("burns", "Burns and scalds", "3 Red flags",
                 "Call an ambulance for large or deep burns — any burn bigger than the injured person's hand.", 0.0),
         passage("burns", "Burns and scalds", "4 Self-care at home", "- Cool the burn under cool running water for 20 minutes.",
                 0.0)]
RASH_ZH = [passage("rash-zh", "皮疹与过敏反应", "2 评估", "皮疹可由病毒感染、过敏、湿疹引起，可有水疱。", 0.70, language="zh")]


def test_a_chinese_red_flag_names_the_english_guideline_about_its_emergency() -> None:
    # "水泡" names 《皮疹与过敏反应》, so the complaint's own English terms offer nothing; the burn red flag that fired
    # names "Burns and scalds" through its English terms (not through the signs it lists in brackets)
    versions = [_version("burns", "Burns and scalds", "en"), _version("rash-zh", "皮疹与过敏反应", "zh")]
    assert candidate_documents(RASH_ZH, versions, _Reader(BURNS), SCALD, "zh") == []
    added = candidate_documents(RASH_ZH, versions, _Reader(BURNS), SCALD, "zh", red_flags=[BURN_FLAG])
    assert [(p.doc_id, p.extra["via"]) for p in added] == [("burns", "named by a red flag (English terms)")]
    # and the emergency's guideline anchors the answer, as a Chinese guideline the label names would
    burns = [replace(p, score=0.6) for p in BURNS]
    assert matching_documents([*RASH_ZH, *burns], SCALD, "zh", red_flags=[BURN_FLAG])[0] == "burns"


VERTIGO = ("我70岁，有点血压高，吃着药控制在150/90左右。这半年时不时天旋地转，一转就是两三个小时，发作前右边耳朵发闷、嗡嗡响，"
           "现在右耳朵听东西也不如以前了。")
HYPERTENSION_ZH = [passage("hypertension-zh", "高血压", "2 评估", "高血压多数没有症状，需要长期服药控制血压。", 0.65, language="zh")]
DIZZINESS = [passage("dizziness", "Dizziness and vertigo", "2 Assessment",
                     "Spinning (vertigo) is usually from the inner ear; Meniere's disease causes vertigo with a full ear.", 0.60)]


def test_a_long_term_condition_said_in_lay_words_is_background_beside_an_english_only_complaint() -> None:
    from rag.answer.generators.extractive import _background_terms

    # "有点血压高，吃着药控制在…" is who the patient is; the attacks of vertigo ("发作前…") are no flare of it
    assert "高血压" in _background_terms(VERTIGO, True)
    assert not _background_terms("我有哮喘，最近比平时发作得多", True)
    assert matching_documents([*HYPERTENSION_ZH, *DIZZINESS], VERTIGO, "zh")[0] == "dizziness"
    # a guideline about the background condition that is about the rest too still answers it, in either language
    feet = "我有糖尿病十几年了，最近两只脚老是发麻，感觉不太到冷热"
    diabetes_zh = [passage("diabetes-zh", "2型糖尿病与低血糖", "2 评估", "糖尿病可引起双脚麻木、感觉减退。", 0.62, language="zh")]
    diabetes_en = [passage("type-2-diabetes", "Type 2 diabetes", "2 Assessment", "Diabetes can cause numb feet.", 0.70)]
    assert matching_documents([*diabetes_zh, *diabetes_en], feet, "zh")[0] == "diabetes-zh"


def test_a_red_flag_that_names_a_guideline_in_the_questions_language_keeps_it() -> None:
    # "疑似严重过敏反应" names 《皮疹与过敏反应》 (its 过敏反应): the English allergy guideline, whose title its English terms
    # name too, gets no emergency weight over it
    query = "吃了几只虾之后嘴唇和舌头肿起来了，嗓子发紧声音都哑了，喘不上气，身上起了一片片的包，头晕"
    rash_zh = [passage("rash-zh", "皮疹与过敏反应", "3 危险信号", "嘴唇、舌头肿胀，头晕，呼吸困难：立即拨打120。", 0.585, language="zh")]
    rash_en = [passage("rash-allergic-reactions", "Skin rash, hives and allergic reactions (including anaphylaxis)", "3 Red flags",
                       "Anaphylaxis: swelling of the tongue, lips or throat, hoarse voice, dizziness; call an ambulance.", 0.49)]
    flags = ["疑似严重过敏反应（过敏性休克）"]
    assert matching_documents([*rash_zh, *rash_en], query, "zh", red_flags=flags)[0] == "rash-zh"
