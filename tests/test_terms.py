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
        "burns-zh": "burn", "sprains-strains-zh": "sprain", "back-pain-zh": "low back pain",
        "palpitations-zh": "atrial fibrillation", "abdominal-pain-zh": "appendicitis", "dizziness-zh": "benign paroxysmal positional vertigo",
        "pregnancy-warning-signs-zh": "pre-eclampsia", "sore-throat-zh": "acute pharyngitis",
        "urinary-tract-infection-zh": "urinary tract infection",
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


def test_lay_variants():
    from rag.terms.lexicon import lay_variants

    assert lay_variants("tummy ache") == ["tummy ache"]
    assert lay_variants("{throw,threw,throwing} up") == ["throw up", "threw up", "throwing up"]
    assert lay_variants("{my ,}heart racing") == ["my heart racing", "heart racing"]  # an empty part drops the word
    assert lay_variants("{tight chest,tightness in {my,the} chest}") == [
        "tight chest", "tightness in my chest", "tightness in the chest"]
    for bad in ("a,b", "{a,b", "a}"):
        with pytest.raises(ValueError):
            lay_variants(bad)


def test_every_lay_row_parses():
    from rag.terms.lexicon import _tsv, lay_variants

    rows = _tsv("en_lay.tsv")
    assert len(rows) > 350
    for lay, med in rows:
        assert lay_variants(lay) and med, lay


# how patients and carers say it -> a term of the guideline that covers it (general phrasings, not evaluation cases)
LAY_PARAPHRASES = [
    ("I've lost interest in everything and can't be bothered to see anyone", "loss of interest"),
    ("nothing brings me joy any more, I feel so low", "low mood"),
    ("she says she doesn't want to be here anymore", "suicide"),
    ("in the supermarket I was convinced I was dying, heart pounding", "fear of dying"),
    ("he's on his COPD rescue pack since Tuesday", "standby course of steroids or antibiotics"),
    ("my brown inhaler ran out and the blue inhaler isn't helping", "reliever inhaler is not helping"),
    ("his phlegm has turned green and he's huffing and puffing", "colour of sputum"),
    ("poo like tar this morning", "black tarry stools"),
    ("threw up something that looked like coffee grounds", "vomiting blood"),
    ("a painful band of blisters round my waist", "shingles"),
    ("I think I pulled a tick off and now there's a bullseye rash", "erythema migrans"),
    ("she's had a dry nappy since breakfast", "no wet nappy"),
    ("the baby's soft spot looks sunken", "sunken soft spot"),
    ("fell asleep by the pool and I'm red as a lobster", "sunburn"),
    ("hungover after a heavy night out", "hangover"),
    ("acid coming up into my throat after dinner", "heartburn"),
    ("my waters have gone at 36 weeks", "fluid leaking"),
    ("the baby's kicking less today", "baby's movement stopping or slowing"),
    ("my wedding ring won't fit and my face is puffy", "swelling of your hands or face"),
    ("his face has dropped on one side and he's slurring his words", "face drooping"),
    ("worst headache of my life, came on like being hit on the head", "thunderclap"),
    ("zig-zag lines in my vision before the headache", "flashing lights"),
    ("spots that don't fade under a glass", "rash that does not fade"),
    ("her lips have swelled up after the peanut", "angioedema"),
    ("went over on my ankle and can't put weight on it", "sprain"),
    ("numb bum and trouble peeing with my back pain", "saddle area"),
    ("I'm having a hypo, shaky and sweaty", "hypoglycaemia"),
    ("my sugars are through the roof", "high blood sugar"),
    ("condom split last weekend", "unprotected sex"),
    ("pink wee and it stings", "blood in the urine"),
    ("wide awake at 3am every night, tossing and turning", "insomnia"),
    ("my heart keeps skipping and fluttering", "palpitations"),
    ("feels like swallowing razor blades", "pain when swallowing"),
    ("barking cough like a seal in the night", "croup"),
    ("after my knee op the wound is hot and oozing", "signs of infection"),
]


@pytest.mark.parametrize(("text", "term"), LAY_PARAPHRASES)
def test_lay_paraphrases_reach_guideline_terms(text, term):
    assert term in terms.english_medical(text)


@pytest.mark.parametrize("text", [
    "I've been off sick from work", "folic acid in pregnancy", "a bump on the head", "it's down below",
    "he walks with a limp", "in the end it went away", "I cut myself cooking", "my oxygen level was 95",
    "the shoes were fitting fine", "she tested positive for chlamydia", "I have low iron levels"])
def test_ambiguous_words_expand_to_nothing_wrong(text):
    got = set(terms.english_medical(text))
    assert not got & {"vomiting", "heartburn", "pregnancy", "suicide", "self-harm", "COPD", "seizure", "COVID-19",
                      "hypoglycaemia", "floppy"}, got


def test_lay_terms_are_words_of_the_guidelines():
    """Every term the lay-paraphrase round added (en_lay.tsv after its round marker, zh_lay.tsv) occurs in a starter
    guideline (or, for a Chinese term, in a Chinese synonym group): an expansion BM25 cannot find is noise."""
    import re

    corpus = " ".join(re.sub(r"[*_`]", "", p.read_text(encoding="utf-8")).lower()
                      for p in (ROOT / "guidelines").rglob("*.md"))
    corpus = re.sub(r"[\s\-]+", " ", corpus)
    corpus += (ROOT / "rag" / "terms" / "zh_synonyms.txt").read_text(encoding="utf-8")  # Chinese guideline words
    missing = []
    for name, marker in (("en_lay.tsv", "# --- lay paraphrase round"), ("zh_lay.tsv", "")):
        lines = (ROOT / "rag" / "terms" / name).read_text(encoding="utf-8").splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith(marker))
        for line in lines[start:]:
            if line.startswith("#") or "\t" not in line:
                continue
            for term in line.split("\t")[1].split("|"):
                if re.sub(r"[\s\-]+", " ", term.lower()) not in corpus:
                    missing.append((name, line.split("\t")[0], term))
    assert not missing


def test_chinese_lay_phrases_stay_out_of_jieba():
    """zh_lay.tsv phrases are matched as substrings but never given to jieba: a long phrase in jieba's dictionary
    would cut the guidelines' text differently at ingest (the word a question shares with it would be lost)."""
    from rag.terms.lexicon import _zh_en_and_lay_keys, _zh_lay

    words = set(terms.jieba_words())
    lay_only = _zh_en_and_lay_keys()[2]
    assert "脖子发硬" in lay_only and len(lay_only) > 100
    assert not lay_only & words
    assert "stiff neck" in terms.english_terms("脖子发硬") and "黑便" in terms.expand_zh("拉黑色大便")
    assert set(_zh_lay()) >= lay_only


def test_lay_matching_spelling_and_plurals():
    # hyphen or space, apostrophe or none, a plural on the last word, UK or US spelling
    assert "dizziness" in terms.english_medical("feeling light headed")
    assert "insomnia" in terms.english_medical("I cant sleep")
    assert "no wet nappy" in terms.english_medical("two dry nappies today")
    assert "diarrhoea" in terms.english_medical("watery stools since Monday")
    # the longest phrase wins: "burns when I pee" is dysuria, not a burn
    got = terms.english_medical("it burns when I pee")
    assert "dysuria" in got and "burn" not in got


def test_chinese_lay_paraphrases():
    assert {"loss of interest", "low mood"} <= set(terms.english_terms("最近心情低落，对什么都没兴趣"))
    assert "no wet nappy" in terms.english_terms("宝宝的尿不湿是干的，哭没有眼泪")
    assert "black tarry stools" in terms.english_terms("大便像柏油一样")
    assert "fluid leaking" in terms.english_terms("怀孕34周，破水了")
    assert "standby course of steroids or antibiotics" in terms.english_terms("慢阻肺，已经吃了备用药")
    assert terms.english_terms("晒太阳了") == []  # no substring reads as a positive covid test
    assert "黑便" in terms.expand_zh("拉黑色大便两天")


def test_jieba_words_load():
    import jieba

    tok = jieba.Tokenizer()
    n = terms.add_to_jieba(tok)
    assert n > 500
    assert "拉肚子" in tok.lcut("孩子拉肚子两天")
