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
