"""De-identification: seeded identifiers of every kind are removed; clinical numbers survive."""

from __future__ import annotations

import pytest

from rag.safety.deid import DeidResult, deidentify, scrub

SEEDED = [
    ("EMAIL", "write to john.smith+clinic@example.co.uk please", "john.smith"),
    ("PHONE", "call (415) 555-2671 tonight", "555-2671"),
    ("PHONE", "my number is +44 20 7946 0958", "7946"),
    ("PHONE", "US 415-555-2671", "555-2671"),
    ("PHONE", "手机13812345678，有事打我", "13812345678"),
    ("PHONE", "手机 138-1234-5678", "1234-5678"),
    ("PHONE", "座机010-12345678", "12345678"),
    ("ID", "身份证号110101199003071234", "110101199003071234"),
    ("ID", "身份证 11010119900307123X 已登记", "11010119900307123X"),
    ("ID", "old card 110101900307123", "110101900307123"),
    ("ID", "SSN 123-45-6789", "123-45-6789"),
    ("MRN", "MRN 1234567", "1234567"),
    ("MRN", "MRN: 00123456, seen today", "00123456"),
    ("MRN", "病历号：123456", "123456"),
    ("MRN", "住院号 ZY2024001", "ZY2024001"),
    ("MRN", "patient id: A12345", "A12345"),
    ("DATE", "seen on 2024-03-05", "2024-03-05"),
    ("DATE", "DOB 03/05/2024", "03/05/2024"),
    ("DATE", "since March 5 2024", "March 5"),
    ("DATE", "admitted 5 March 2024", "5 March"),
    ("DATE", "2024年3月5日开始发烧", "2024年3月5日"),
    ("DATE", "3月5日开始咳嗽", "3月5日"),
    ("ADDRESS", "I live at 12 Main Street, Springfield", "12 Main Street"),
    ("ADDRESS", "home: 221B Baker Street", "Baker Street"),
    ("ADDRESS", "住在北京市朝阳区建国路88号", "建国路88号"),
    ("ADDRESS", "家在幸福小区3号楼2单元501", "幸福小区"),
    ("URL", "see https://example.org/patient/123?x=1 for my chart", "example.org"),
    ("IP", "logged from 192.168.10.20", "192.168.10.20"),
    ("NAME", "my name is John Smith", "John Smith"),
    ("NAME", "my name is john and i have a cough", "john"),
    ("NAME", "I'm Sarah, 34, with a sore throat", "Sarah"),
    ("NAME", "我叫张伟，发烧两天", "张伟"),
    ("NAME", "患者王小明今年45岁", "王小明"),
    ("NAME", "Mr. Brown has a cough", "Brown"),
    ("NAME", "Dr. Lee told me to rest", "Lee"),
    ("NAME", "my daughter Emily has a rash", "Emily"),
    ("NAME", "张医生说没事", "张医生"),
]


@pytest.mark.parametrize("kind, text, secret", SEEDED)
def test_seeded_identifier_is_removed(kind, text, secret):
    result = deidentify(text)
    assert isinstance(result, DeidResult)
    assert secret not in result.text, result.text
    assert f"[{kind}]" in result.text, result.text
    assert result.counts.get(kind, 0) >= 1


def test_every_kind_is_covered_by_the_seeds():
    assert {k for k, _, _ in SEEDED} == {"EMAIL", "PHONE", "ID", "MRN", "DATE", "ADDRESS", "URL", "IP", "NAME"}


@pytest.mark.parametrize(
    "text",
    [
        "temp 38.5, BP 150/95, took 500 mg paracetamol every 6 hours, I'm 45 years old",
        "HR 110 bpm, SpO2 92%, glucose 7.8 mmol/L, weight 70 kg, height 175 cm",
        "fever for 3 days, cough for two weeks, 2 tablets twice a day",
        "体温38.5℃，血压150/95mmHg，服用阿莫西林500mg，每日3次，咳嗽两周，发烧3天",
        "患者高血压10年，血糖7.8，咳嗽3个月",
        "INR 2.5, HbA1c 7.2%, eGFR 58, creatinine 110 umol/L, 1-2 puffs as needed",
        "walked 3 miles down the road and did it the same way for 2 weeks",
        "I'm Pregnant and worried about my 6 week old",
    ],
)
def test_clinical_content_survives(text):
    result = deidentify(text)
    assert result.text == text, result.text
    assert result.counts == {}


def test_counts_and_scrub_agree():
    text = "I'm Sarah, call 415-555-2671 or 415-555-9999, email s@x.org, MRN 1234567, 2024-03-05"
    result = deidentify(text)
    assert result.counts == {"NAME": 1, "PHONE": 2, "EMAIL": 1, "MRN": 1, "DATE": 1}
    assert scrub(text) == result.text
    assert "38.5" in scrub("Sarah Jones? no: temp 38.5")


# --- the frozen evaluation sets (tests/data, written by bench/deid_sets.py before tuning) ----------

def _load(name: str) -> list[dict]:
    import json
    from pathlib import Path

    path = Path(__file__).parent / "data" / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_sets_cover_the_18_safe_harbor_kinds_in_both_languages():
    from rag.safety.deid import SAFE_HARBOR

    rows = _load("deid_identifiers.jsonl")
    assert len(SAFE_HARBOR) == 18
    assert len(rows) >= 200
    kinds = {(r["kind"], r["language"]) for r in rows}
    # AGE and DATE are one Safe Harbor kind; FAX and PHONE are two
    assert len({k for k, _ in kinds}) == 19
    assert {lang for _, lang in kinds} == {"en", "zh"}
    assert len(_load("deid_clinical.jsonl")) >= 200


@pytest.mark.parametrize("split", ["dev", "test"])
def test_no_seeded_identifier_survives(split):
    leaks = []
    for row in _load("deid_identifiers.jsonl"):
        if row["split"] != split:
            continue
        clean = scrub(row["text"]).lower()
        leaks += [(row["id"], s) for s in row["secrets"] if s.lower() in clean]
    assert leaks == []


@pytest.mark.parametrize("split", ["dev", "test"])
def test_at_most_one_percent_of_clinical_words_removed(split):
    from collections import Counter

    from rag.text import words

    removed = total = 0
    for row in _load("deid_clinical.jsonl"):
        if row["split"] != split:
            continue
        before, after = Counter(words(row["text"])), Counter(words(scrub(row["text"])))
        total += sum(before.values())
        removed += sum((before - after).values())
    assert total > 500
    assert removed / total <= 0.01, (removed, total)


@pytest.mark.parametrize(
    "text, secret, placeholder",
    [
        ("I'm Dr. Wilhelmina Ostrowski's patient and my knee hurts", "Wilhelmina", "[NAME]"),
        ("my health plan number HP-5562-0098, chest pain", "5562", "[PLAN]"),
        ("my son Tom has a fever", "Tom", "[NAME]"),
        ("She is 94 years old and confused", "94", "[AGE]"),
        ("fax: 415-555-0199", "555-0199", "[FAX]"),
        ("车牌号浙A12345，头痛", "A12345", "[VEHICLE]"),
        ("报告在https://example.cn/r/1，咳嗽", "example.cn", "[URL]"),
    ],
)
def test_issue_canaries(text, secret, placeholder):
    clean = scrub(text)
    assert secret not in clean and placeholder in clean, clean


@pytest.mark.parametrize(
    "text",
    ["This is Chest Pain again", "病人张口困难", "患者张力性头痛", "病人周身乏力", "It's Migraine again, I'm Dizzy",
     "my son has a fever of 39", "patient is 45 years old, temp 99 F"],
)
def test_clinical_words_after_name_cues_survive(text):
    assert scrub(text) == text
