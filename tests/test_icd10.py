"""ICD-10-CM lookup: description and synonym matches, curated codes validated, None when unsure."""

from __future__ import annotations

import pytest
import simple_icd_10_cm as cm

from rag.answer.icd10 import CURATED, ZH_TO_EN, lookup_icd10


def test_every_curated_code_is_valid_and_billable():
    bad = {name: code for name, code in CURATED.items() if not cm.is_valid_item(code) or not cm.is_leaf(code)}
    assert not bad


def test_every_chinese_name_resolves():
    missing = {zh: en for zh, en in ZH_TO_EN.items() if lookup_icd10(zh) is None}
    assert not missing


@pytest.mark.parametrize(
    "name, code",
    [
        ("urinary tract infection", "N39.0"),
        ("migraine", "G43.909"),
        ("Influenza", "J11.1"),
        ("common cold", "J00"),
        ("Type 2 Diabetes", "E11.9"),
        ("type II diabetes", "E11.9"),
        ("hypertension", "I10"),
        ("Hypertension (high blood pressure)", "I10"),
        ("asthma", "J45.909"),
        ("COPD", "J44.9"),
        ("strep throat", "J02.0"),
        ("  Strep throat. ", "J02.0"),
        ("diarrhoea", "R19.7"),
        ("Essential (primary) hypertension", "I10"),
        ("Pneumonia, unspecified organism", "J18.9"),
        ("Acute nasopharyngitis [common cold]", "J00"),
        ("高血压", "I10"),
        ("2型糖尿病", "E11.9"),
        ("感冒", "J00"),
        ("偏头痛", "G43.909"),
        ("高血压（hypertension）", "I10"),
    ],
)
def test_known_names(name, code):
    assert lookup_icd10(name) == code


def test_gastroenteritis_maps_to_a_gastroenteritis_code():
    assert lookup_icd10("gastroenteritis") in {"A09", "K52.9"}


def test_diabetes_of_unstated_type_defaults_to_type_2():
    # ICD-10-CM Official Guidelines I.C.4.a.2: type not documented -> E11.- (changed from None on purpose)
    assert lookup_icd10("diabetes") == "E11.9"
    assert lookup_icd10("糖尿病") == "E11.9"


@pytest.mark.parametrize("name", ["", "   ", "something weird", "cancer", "heart disease", "不知道的病", "x" * 400])
def test_unsure_returns_none(name):
    assert lookup_icd10(name) is None


def test_results_are_valid_codes():
    for name in ["migraine", "asthma", "Streptococcal pharyngitis", "Anemia, unspecified"]:
        code = lookup_icd10(name)
        assert code is not None and cm.is_valid_item(code)
