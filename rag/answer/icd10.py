"""Condition name -> ICD-10-CM code, from the CMS table bundled with `simple_icd_10_cm` (public domain).

Order: the condition alias table (rag/terms/conditions.yaml: English and Chinese names and lay
aliases, every code validated against the CMS table), then the exact normalised description of a
billable code, then the curated synonym table below, then an exact description of a (non-billable)
category, then a unique inclusion term. Chinese names not in the alias table go through a small
curated Chinese->English map. Anything else returns None: never a guess.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from types import MappingProxyType

from rag.text import fold, has_cjk, us_spelling

__all__ = ["lookup_icd10", "normalize_name", "CURATED", "ZH_TO_EN"]

# common names -> codes; every code is checked against the package in tests/test_icd10.py
CURATED: Mapping[str, str] = MappingProxyType({
    "hypertension": "I10",
    "high blood pressure": "I10",
    "essential hypertension": "I10",
    "type 2 diabetes": "E11.9",
    "type 2 diabetes mellitus": "E11.9",
    "type ii diabetes": "E11.9",
    "diabetes type 2": "E11.9",
    "diabetes mellitus type 2": "E11.9",
    "t2dm": "E11.9",
    "type 1 diabetes": "E10.9",
    "type 1 diabetes mellitus": "E10.9",
    "type i diabetes": "E10.9",
    "diabetic ketoacidosis": "E11.10",
    "hypoglycemia": "E16.2",
    "hyperlipidemia": "E78.5",
    "high cholesterol": "E78.00",
    "hypercholesterolemia": "E78.00",
    "hypothyroidism": "E03.9",
    "hyperthyroidism": "E05.90",
    "obesity": "E66.9",
    "urinary tract infection": "N39.0",
    "uti": "N39.0",
    "cystitis": "N30.90",
    "acute cystitis": "N30.00",
    "kidney stone": "N20.0",
    "kidney stones": "N20.0",
    "chronic kidney disease": "N18.9",
    "migraine": "G43.909",
    "tension headache": "G44.209",
    "tension-type headache": "G44.209",
    "headache": "R51.9",
    "influenza": "J11.1",
    "flu": "J11.1",
    "the flu": "J11.1",
    "common cold": "J00",
    "acute nasopharyngitis": "J00",
    "upper respiratory tract infection": "J06.9",
    "upper respiratory infection": "J06.9",
    "urti": "J06.9",
    "uri": "J06.9",
    "asthma": "J45.909",
    "copd": "J44.9",
    "chronic obstructive pulmonary disease": "J44.9",
    "pneumonia": "J18.9",
    "community-acquired pneumonia": "J18.9",
    "acute bronchitis": "J20.9",
    "bronchitis": "J40",
    "sinusitis": "J32.9",
    "acute sinusitis": "J01.90",
    "allergic rhinitis": "J30.9",
    "hay fever": "J30.1",
    "strep throat": "J02.0",
    "streptococcal pharyngitis": "J02.0",
    "pharyngitis": "J02.9",
    "sore throat": "J02.9",
    "tonsillitis": "J03.90",
    "covid-19": "U07.1",
    "covid": "U07.1",
    "gastroenteritis": "A09",
    "infectious gastroenteritis": "A09",
    "stomach flu": "A09",
    "gerd": "K21.9",
    "acid reflux": "K21.9",
    "gastroesophageal reflux disease": "K21.9",
    "gastritis": "K29.70",
    "peptic ulcer": "K27.9",
    "irritable bowel syndrome": "K58.9",
    "ibs": "K58.9",
    "constipation": "K59.00",
    "hemorrhoids": "K64.9",
    "appendicitis": "K35.80",
    "gallstones": "K80.20",
    "otitis media": "H66.90",
    "ear infection": "H66.90",
    "conjunctivitis": "H10.9",
    "pink eye": "H10.9",
    "eczema": "L30.9",
    "atopic dermatitis": "L20.9",
    "psoriasis": "L40.9",
    "acne": "L70.0",
    "urticaria": "L50.9",
    "hives": "L50.9",
    "cellulitis": "L03.90",
    "shingles": "B02.9",
    "chickenpox": "B01.9",
    "chicken pox": "B01.9",
    "oral thrush": "B37.0",
    "anemia": "D64.9",
    "iron deficiency anemia": "D50.9",
    "depression": "F32.A",
    "major depressive disorder": "F32.9",
    "anxiety": "F41.9",
    "generalized anxiety disorder": "F41.1",
    "insomnia": "G47.00",
    "epilepsy": "G40.909",
    "low back pain": "M54.50",
    "back pain": "M54.9",
    "osteoarthritis": "M19.90",
    "knee osteoarthritis": "M17.9",
    "gout": "M10.9",
    "rheumatoid arthritis": "M06.9",
    "osteoporosis": "M81.0",
    "atrial fibrillation": "I48.91",
    "heart failure": "I50.9",
    "coronary artery disease": "I25.10",
    "angina": "I20.9",
    "heart attack": "I21.9",
    "myocardial infarction": "I21.9",
    "stroke": "I63.9",
    "ischemic stroke": "I63.9",
    "pulmonary embolism": "I26.99",
    "deep vein thrombosis": "I82.409",
    "dvt": "I82.409",
    "sepsis": "A41.9",
    "meningitis": "G03.9",
    "anaphylaxis": "T78.2XXA",
    "anaphylactic shock": "T78.2XXA",
    "dysmenorrhea": "N94.6",
    "period pain": "N94.6",
    "fever": "R50.9",
    "cough": "R05.9",
    "dizziness": "R42",
    "vertigo": "R42",
    "palpitations": "R00.2",
    "chest pain": "R07.9",
    "abdominal pain": "R10.9",
    "diarrhea": "R19.7",
    "nausea and vomiting": "R11.2",
    "shortness of breath": "R06.02",
})

# small curated Chinese -> English map for common conditions (English keys resolve via the above)
ZH_TO_EN: Mapping[str, str] = MappingProxyType({
    "高血压": "essential (primary) hypertension",
    "原发性高血压": "essential (primary) hypertension",
    "2型糖尿病": "type 2 diabetes",
    "二型糖尿病": "type 2 diabetes",
    "1型糖尿病": "type 1 diabetes",
    "一型糖尿病": "type 1 diabetes",
    "糖尿病酮症酸中毒": "diabetic ketoacidosis",
    "低血糖": "hypoglycemia",
    "高血脂": "hyperlipidemia",
    "高脂血症": "hyperlipidemia",
    "高胆固醇": "high cholesterol",
    "甲减": "hypothyroidism",
    "甲状腺功能减退": "hypothyroidism",
    "甲亢": "hyperthyroidism",
    "甲状腺功能亢进": "hyperthyroidism",
    "肥胖": "obesity",
    "尿路感染": "urinary tract infection",
    "泌尿系感染": "urinary tract infection",
    "膀胱炎": "cystitis",
    "肾结石": "kidney stone",
    "慢性肾病": "chronic kidney disease",
    "偏头痛": "migraine",
    "紧张性头痛": "tension headache",
    "头痛": "headache",
    "流感": "influenza",
    "流行性感冒": "influenza",
    "感冒": "common cold",
    "普通感冒": "common cold",
    "上呼吸道感染": "upper respiratory tract infection",
    "上感": "upper respiratory tract infection",
    "哮喘": "asthma",
    "支气管哮喘": "asthma",
    "慢阻肺": "copd",
    "慢性阻塞性肺疾病": "copd",
    "肺炎": "pneumonia",
    "急性支气管炎": "acute bronchitis",
    "支气管炎": "bronchitis",
    "鼻窦炎": "sinusitis",
    "过敏性鼻炎": "allergic rhinitis",
    "链球菌性咽炎": "strep throat",
    "咽炎": "pharyngitis",
    "扁桃体炎": "tonsillitis",
    "新冠": "covid-19",
    "新冠肺炎": "covid-19",
    "胃肠炎": "gastroenteritis",
    "急性胃肠炎": "gastroenteritis",
    "胃食管反流": "gerd",
    "反流性食管炎": "gerd",
    "胃炎": "gastritis",
    "消化性溃疡": "peptic ulcer",
    "肠易激综合征": "irritable bowel syndrome",
    "便秘": "constipation",
    "痔疮": "hemorrhoids",
    "阑尾炎": "appendicitis",
    "胆结石": "gallstones",
    "中耳炎": "otitis media",
    "结膜炎": "conjunctivitis",
    "湿疹": "eczema",
    "特应性皮炎": "atopic dermatitis",
    "银屑病": "psoriasis",
    "痤疮": "acne",
    "荨麻疹": "urticaria",
    "蜂窝织炎": "cellulitis",
    "带状疱疹": "shingles",
    "水痘": "chickenpox",
    "贫血": "anemia",
    "缺铁性贫血": "iron deficiency anemia",
    "抑郁症": "depression",
    "焦虑症": "anxiety",
    "广泛性焦虑障碍": "generalized anxiety disorder",
    "失眠": "insomnia",
    "癫痫": "epilepsy",
    "腰痛": "low back pain",
    "骨关节炎": "osteoarthritis",
    "痛风": "gout",
    "类风湿关节炎": "rheumatoid arthritis",
    "骨质疏松": "osteoporosis",
    "房颤": "atrial fibrillation",
    "心房颤动": "atrial fibrillation",
    "心力衰竭": "heart failure",
    "心衰": "heart failure",
    "冠心病": "coronary artery disease",
    "心绞痛": "angina",
    "心肌梗死": "myocardial infarction",
    "心梗": "myocardial infarction",
    "脑卒中": "stroke",
    "中风": "stroke",
    "脑梗死": "ischemic stroke",
    "肺栓塞": "pulmonary embolism",
    "深静脉血栓": "deep vein thrombosis",
    "脓毒症": "sepsis",
    "败血症": "sepsis",
    "脑膜炎": "meningitis",
    "过敏性休克": "anaphylactic shock",
    "痛经": "dysmenorrhea",
    "发热": "fever",
    "发烧": "fever",
    "咳嗽": "cough",
    "头晕": "dizziness",
    "心悸": "palpitations",
    "胸痛": "chest pain",
    "腹痛": "abdominal pain",
    "腹泻": "diarrhea",
})

_SPACES = re.compile(r"\s+")
_EDGE = re.compile(r"^[\s\"'.,;:!?-]+|[\s\"'.,;:!?-]+$")
_PAREN = re.compile(r"\s*[(\uff08][^)\uff09]*[)\uff09]\s*")


def normalize_name(name: str) -> str:
    """Lower-cased, NFKC, US-spelled, whitespace-collapsed condition name."""
    s = _SPACES.sub(" ", us_spelling(fold(name)))
    return _EDGE.sub("", s)


@functools.lru_cache(maxsize=1)
def _index() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(billable description -> code, category description -> code, unique inclusion term -> code)."""
    import simple_icd_10_cm as cm

    leaf: dict[str, set[str]] = {}
    category: dict[str, set[str]] = {}
    inclusion: dict[str, set[str]] = {}
    for code in cm.get_all_codes(with_dots=True):
        if not cm.is_category_or_subcategory(code):
            continue
        target = leaf if cm.is_leaf(code) else category
        target.setdefault(normalize_name(cm.get_description(code)), set()).add(code)
        if cm.is_leaf(code):
            for term in cm.get_inclusion_term(code):
                inclusion.setdefault(normalize_name(term), set()).add(code)

    def unique(d: dict[str, set[str]]) -> dict[str, str]:
        return {k: next(iter(v)) for k, v in d.items() if len(v) == 1}

    return unique(leaf), unique(category), unique(inclusion)


@functools.lru_cache(maxsize=4096)
def lookup_icd10(name: str) -> str | None:
    """ICD-10-CM code for a condition name (English or common Chinese), or None when unsure."""
    if not isinstance(name, str) or not name.strip() or len(name) > 300:
        return None
    from rag.terms import condition_code

    code = condition_code(name)
    if code is None:
        stripped_name = _PAREN.sub(" ", name).strip()
        code = condition_code(stripped_name) if stripped_name and stripped_name != name.strip() else None
    if code is not None:
        return code
    key = normalize_name(name)
    if has_cjk(key):
        zh = _PAREN.sub("", key).replace(" ", "")
        english = ZH_TO_EN.get(zh)
        if english is None:
            # "高血压 (hypertension)" style: try the bracketed English
            inner = re.findall(r"[(\uff08]([^)\uff09]+)[)\uff09]", key)
            return lookup_icd10(inner[0]) if inner and not has_cjk(inner[0]) else None
        key = english
    candidates = [key]
    stripped = _PAREN.sub(" ", key).strip()
    if stripped and stripped != key:
        candidates.append(_SPACES.sub(" ", stripped))
    leaf, category, inclusion = _index()
    for table in (leaf, CURATED, category, inclusion):
        for k in candidates:
            code = table.get(k)
            if code:
                return code
    return None
