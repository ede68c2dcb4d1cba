"""rag.terms: the alias table's codes are real ICD-10-CM codes, and the lookups find what they should."""

from __future__ import annotations

from pathlib import Path

import pytest
import simple_icd_10_cm as cm

from rag import terms

ROOT = Path(__file__).resolve().parents[1]


def test_every_code_exists_and_is_billable():
    bad = {e.name: e.icd10 for e in terms.conditions() if not cm.is_valid_item(e.icd10) or not cm.is_leaf(e.icd10)}
    assert not bad


def test_no_alias_names_two_conditions():
    seen: dict[str, str] = {}
    clashes = []
    for e in terms.conditions():
        for a in (e.name, *e.aliases_en, e.name_zh, *e.aliases_zh):
            k = a.lower()
            if seen.setdefault(k, e.name) != e.name:
                clashes.append((a, seen[k], e.name))
    assert not clashes


@pytest.mark.parametrize("alias, code", [
    ("glandular fever", "B27.90"), ("Glandular Fever", "B27.90"), ("感冒", "J00"), ("UTI", "N39.0"),
    ("尿路感染", "N39.0"), ("heart attack", "I21.9"), ("心梗", "I21.9"), ("stroke", "I63.9"), ("中风", "I63.9"),
    ("脑卒中", "I63.9"), ("diarrhoea", "R19.7"), ("diarrhea", "R19.7"), ("疟疾", "B54"), ("hypoglycaemia", "E16.2"),
])
def test_condition_code(alias, code):
    assert terms.condition_code(alias) == code


def test_unknown_names_get_no_code():
    assert terms.condition_code("chocolate cake") is None
    assert terms.condition_code("") is None
    assert terms.condition_code("巧克力蛋糕") is None


def test_find_conditions_english_spans_and_spelling():
    text = "Could this be glandular fever, or haemorrhoids? Not a heart attack. Hearing aids are fine."
    found = terms.find_conditions(text, "en")
    assert [(m.name, m.icd10) for m in found] == [
        ("infectious mononucleosis", "B27.90"), ("hemorrhoids", "K64.9"), ("acute myocardial infarction", "I21.9")]
    for m in found:
        assert text[m.start:m.end] == m.alias


def test_find_conditions_longest_wins_and_blockers():
    names = [m.name for m in terms.find_conditions("流行性感冒和普通感冒不同，感冒药不是病", "zh")]
    assert names == ["influenza", "acute nasopharyngitis"]
    assert [m.name for m in terms.find_conditions("scarlet fever and hay fever")] == ["scarlet fever", "allergic rhinitis"]
    assert terms.find_conditions('a burning feeling, "pee burns"') == []


def test_short_abbreviations_need_capitals():
    assert [m.name for m in terms.find_conditions("history of MI and AF")] == [
        "acute myocardial infarction", "atrial fibrillation"]
    assert terms.find_conditions("mi casa, af course, he said ed") == []


def test_every_starter_guideline_names_a_condition_of_its_topic():
    topics = {
        "sore-throat": "acute pharyngitis", "urinary-tract-infection": "urinary tract infection", "asthma": "asthma",
        "copd": "chronic obstructive pulmonary disease", "hypertension": "essential hypertension",
        "type-2-diabetes": "type 2 diabetes mellitus", "hypoglycaemia": "hypoglycemia", "covid-19": "COVID-19",
        "cold-flu": "influenza", "burns": "burn", "sprains-strains": "sprain", "insomnia": "insomnia",
        "dizziness": "benign paroxysmal positional vertigo", "chest-pain": "acute myocardial infarction",
        "headache-migraine": "migraine", "rash-allergic-reactions": "anaphylaxis", "sti-symptoms": "chlamydia",
        "depression-anxiety": "depression", "insect-bites-stings": "Lyme disease", "back-pain": "low back pain",
        "diarrhoea-dehydration": "dehydration", "palpitations": "atrial fibrillation",
        "pregnancy-warning-signs": "pre-eclampsia", "newborn-warning-signs": "jaundice",
        "fever-zh": "fever", "cough-zh": "acute bronchitis", "diabetes-zh": "type 2 diabetes mellitus",
        "chest-pain-zh": "acute myocardial infarction", "rash-zh": "urticaria", "hypertension-zh": "essential hypertension",
        "headache-zh": "migraine", "insomnia-zh": "insomnia", "diarrhoea-zh": "diarrhea", "fever-children-zh": "febrile seizure",
    }
    missing = {}
    for doc, name in topics.items():
        lang = "zh" if doc.endswith("-zh") else "en"
        text = (ROOT / "guidelines" / lang / f"{doc}.md").read_text(encoding="utf-8")
        if name not in {m.name for m in terms.find_conditions(text)}:
            missing[doc] = name
    assert not missing


def test_drugs():
    assert terms.normalise_drug("Tylenol") == "paracetamol"
    assert terms.normalise_drug("acetaminophen") == "paracetamol"
    assert terms.normalise_drug("Advil") == "ibuprofen"
    assert terms.normalise_drug("沙丁胺醇") == "salbutamol"
    assert terms.normalise_drug("albuterol") == "salbutamol"
    assert terms.normalise_drug("ibuprofen 200 mg tablets") == "ibuprofen"
    assert terms.normalise_drug("chocolate") is None
    assert "albuterol" in terms.drug_names("Ventolin")
    assert [m.name for m in terms.find_drugs("Give Calpol, not aspirin; 布洛芬也可以")] == ["paracetamol", "aspirin", "ibuprofen"]


def test_tests_and_departments():
    assert [m.name for m in terms.find_tests("a rapid strep test or a throat swab; 血常规和心电图")] == [
        "rapid strep test", "throat swab", "full blood count", "electrocardiogram"]
    assert "心电图" in terms.test_names("ECG")
    assert [m.name for m in terms.find_departments("see your GP; ENT; 急诊科")] == ["primary care", "ent", "emergency department"]
    assert "急诊科" in terms.department_names("A&E")


def test_expand_zh():
    got = terms.expand_zh("我这两天发烧，拉肚子，嗓子疼")
    assert {"发热", "腹泻", "咽痛"} <= set(got)
    assert "发烧" not in got  # already in the text
    assert terms.expand_zh("chocolate cake") == []
    assert "发热" in terms.zh_synonyms("发烧")


def test_english_terms():
    assert "malaria" in terms.english_terms("从非洲旅行回来后发烧，会不会是疟疾")
    got = terms.english_terms("孩子喘息，用了沙丁胺醇")
    assert {"salbutamol", "albuterol", "wheeze"} <= set(got)
    assert "night sweats" in terms.english_terms("咳嗽三周，晚上盗汗")
    assert "diarrhoea" in terms.english_terms("拉稀两天")  # lay word through its synonym group
    assert terms.english_terms("hello") == []


def test_english_medical():
    assert {"abdominal pain", "vomiting"} <= set(terms.english_medical("my toddler has a tummy ache and keeps throwing up"))


def test_jieba_words_load():
    import jieba

    tok = jieba.Tokenizer()
    n = terms.add_to_jieba(tok)
    assert n > 500
    assert "拉肚子" in tok.lcut("孩子拉肚子两天")
