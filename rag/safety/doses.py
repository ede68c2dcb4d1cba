"""Dose statements in guideline or answer text, checked against the maximum-dose table (doses.yaml).

A dose is a number with a mass unit (mg, g, mcg/µg, mg/kg, 毫克, 克, 微克, 毫克/千克; arabic or
Chinese numerals; ranges count by their upper end) tied to the nearest medicine named in the same
sentence (the closest one before it, else the first after it). It is a daily amount when its
clause says so ("a day", "in 24 hours", "daily", "每日", "每天", "24小时"), else a single dose.
The patient group is the sentence's: infant or child words make it so, else adult.

Sentences that warn about an amount ("overdose", "toxic", "过量", "中毒", or "do not take 8 g"
without "more than") are not dose advice and are not checked, unless they also call the amount
safe. A stated maximum ("no more than 12 g a day") is checked like any dose: a wrong ceiling is
as dangerous as a wrong dose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["DoseFinding", "DoseLimit", "Medicine", "find_doses", "load_table", "out_of_range", "parse_number"]

_GROUPS = ("adult", "child", "infant")


@dataclass(frozen=True, slots=True)
class DoseLimit:
    """The ceilings for one medicine and age group; None where the table has no figure."""

    single_mg: float | None = None
    daily_mg: float | None = None
    single_mg_per_kg: float | None = None
    daily_mg_per_kg: float | None = None


@dataclass(frozen=True, slots=True)
class Medicine:
    name: str
    names: tuple[str, ...]
    limits: dict[str, DoseLimit]
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DoseFinding:
    """One dose stated in a text, with the limit it was compared against."""

    medicine: str
    amount: float  # mg, or mg/kg when per_kg
    per_kg: bool
    daily: bool
    group: str
    limit: float | None
    text: str  # the dose as written, e.g. "15 g a day"

    @property
    def exceeds(self) -> bool:
        return self.limit is not None and self.amount > self.limit + 1e-9

    def describe(self) -> str:
        unit = "mg/kg" if self.per_kg else "mg"
        kind = "per day" if self.daily else "per dose"
        return (f"{self.medicine} {self.text!r} = {self.amount:g} {unit} {kind} ({self.group}) "
                f"above the table's maximum {self.limit:g} {unit} {kind}")


@cache
def load_table() -> tuple[Medicine, ...]:
    """The bundled maximum-dose table, parsed once."""
    import yaml

    raw: dict[str, Any] = yaml.safe_load(resources.files("rag.safety").joinpath("doses.yaml").read_text(encoding="utf-8"))
    out = []
    for name, entry in raw["medicines"].items():
        limits = {g: DoseLimit(**v) for g, v in (entry.get("limits") or {}).items() if g in _GROUPS}
        out.append(Medicine(name=name, names=tuple(str(n).lower() for n in entry["names"]), limits=limits,
                            sources=tuple(entry.get("sources") or ())))
    return tuple(out)


# --- numbers --------------------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000}
_CN_NUM = "零〇一二两三四五六七八九十百千万点"


def parse_number(text: str) -> float | None:
    """'1,200' -> 1200, '0.5' -> 0.5, '十五' -> 15, '一千二百' -> 1200, '两' -> 2, '零点五' -> 0.5."""
    t = text.strip().replace(",", "").replace("，", "")
    if not t:
        return None
    try:
        return float(t)
    except ValueError:
        pass
    if any(c not in _CN_NUM for c in t):
        return None
    whole, _, frac = t.partition("点")
    total, section, digit = 0, 0, None
    for c in whole:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        else:
            unit = _CN_UNITS[c]
            if unit == 10_000:
                total += (section + (digit or 0)) * unit
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            digit = None
    value = float(total + section + (digit or 0))
    if frac:
        if any(c not in _CN_DIGITS for c in frac):
            return None
        value += float("0." + "".join(str(_CN_DIGITS[c]) for c in frac))
    return value


# --- finding doses --------------------------------------------------------------------------

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[零〇一二两三四五六七八九十百千万点]+"
_RANGE = r"\s*(?:-|–|—|~|～|to|至|到)\s*"
# per-kg units first; a mass unit must not run on into another word or a "/dL"-style concentration
_UNIT = (r"(?P<unit>mg\s*/\s*kg|mg\s+per\s+kg|milligrams?\s+per\s+kilogram|毫克\s*/\s*(?:千克|公斤|kg)|毫克每(?:千克|公斤)"
         r"|mg|milligrams?|mcg|µg|μg|micrograms?|g|grams?|gm|毫克|微克|克)(?![A-Za-z])(?!\s*/\s*(?:d[Ll]|[Ll]\b|m[Ll]|kg|m2|hr?\b))")
_DOSE = re.compile(rf"(?P<lo>{_NUM})(?:{_RANGE}(?P<hi>{_NUM}))?\s*{_UNIT}", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9*\-(\"'])|[。！？；;\n]+")
_CLAUSE_STOP = re.compile(r"[，；;：:。]|,(?!\d{3})")
_DAILY = re.compile(r"\b(?:a|per|each|every|in\s+(?:a|one))\s+day\b|/\s*(?:day|d)\b|\bdaily\b|\bper\s+24|\bin\s+(?:any\s+)?24\s*h|"
                    r"\b24[- ]hours?\b|\ba\s+24|/\s*24\s*h|每日|每天|一天|一日|日总量|/日|/天|24\s*小时|全天", re.IGNORECASE)
_INFANT = re.compile(r"\b(?:infants?|bab(?:y|ies)|newborns?|neonates?|under\s+(?:1|one)\s+year|(?:[1-9]|1[01])\s+months?)\b"
                     r"|婴儿|婴幼儿|新生儿|宝宝|月龄|[1-9一二三四五六七八九十]+个月", re.IGNORECASE)
_CHILD = re.compile(r"\b(?:child(?:ren)?|kids?|pediatric|paediatric|toddlers?|teen(?:ager)?s?|adolescents?|under\s*-?1[0-8]s?|"
                    r"aged?\s+(?:[1-9]|1[0-7])\b|(?:[1-9]|1[0-7])\s*(?:-|to)\s*(?:[1-9]|1[0-7])\s+years?)"
                    r"|儿童|小儿|孩子|幼儿|青少年|(?:1[0-7]|[1-9])岁以下", re.IGNORECASE)
_WARNING = re.compile(r"\b(?:overdos\w*|toxic\w*|poison\w*|liver\s+(?:damage|failure|injury)|fatal|lethal|dangerous|harmful)\b"
                      r"|过量|中毒|肝损伤|肝衰竭|致命|危险", re.IGNORECASE)
_PROHIBIT = re.compile(r"\b(?:do\s+not|don't|never|must\s+not|should\s+not)\s+(?:take|give|use)\b|不要(?:服用|给|使用)|切勿|禁止",
                       re.IGNORECASE)
_MORE_THAN = re.compile(r"\b(?:more\s+than|exceed\w*|above|over|beyond)\b|超过|多于|以上", re.IGNORECASE)
_TIMES_A_DAY = re.compile(r"\b(?:twice|thrice|(?:[2-9]|two|three|four|five|six)\s*(?:times|x))\s+(?:a|per|each|every)\s+day\b"
                          r"|(?:每日|每天|一日|一天)[2-6二两三四五六]次", re.IGNORECASE)
_PER_KG_BEFORE = re.compile(r"(?:每(?:公斤|千克|kg)(?:体重)?|per\s+(?:kg|kilogram)(?:\s+of\s+body\s*weight)?)\s*$", re.IGNORECASE)
_DOSE_WORDS = re.compile(r"\b(?:doses?|dosing|dosage|maximum|max|take|taken|give|given|tablets?|capsules?|no more than|up to|exceed)\b"
                         r"|剂量|服用|每次|用量|最大|口服|片|不超过|最多", re.IGNORECASE)
_SAFE = re.compile(r"\b(?:safe(?:ly)?|fine|okay|ok|harmless|recommended|can\s+take|may\s+take)\b|安全|可以服用|可服用|无害|放心",
                   re.IGNORECASE)


def _to_mg(value: float, unit: str) -> tuple[float, bool]:
    u = re.sub(r"\s+", " ", unit.lower())
    if "kg" in u or "千克" in u or "公斤" in u or "kilogram" in u:
        return value, True
    if u in {"g", "gram", "grams", "gm", "克"}:
        return value * 1000, False
    if u in {"mcg", "µg", "μg", "microgram", "micrograms", "微克"}:
        return value / 1000, False
    return value, False


@cache
def _medicine_pattern() -> tuple[re.Pattern[str], dict[str, Medicine]]:
    """One alternation of every medicine name (longest first), and name -> medicine."""
    by_name = {n: med for med in load_table() for n in med.names}
    alts = [rf"(?<![a-z]){re.escape(n)}(?![a-z])" if n.isascii() else re.escape(n) for n in sorted(by_name, key=len, reverse=True)]
    return re.compile("|".join(alts)), by_name


def _medicine_spans(sentence: str) -> list[tuple[int, Medicine]]:
    pattern, by_name = _medicine_pattern()
    return [(m.start(), by_name[m.group(0)]) for m in pattern.finditer(sentence.lower())]


def _clause(sentence: str, start: int, end: int) -> tuple[str, str]:
    """The text of the dose's clause before and after the amount (up to a comma or colon)."""
    before = sentence[max(0, start - 40):start]
    cut = [m.end() for m in _CLAUSE_STOP.finditer(before)]
    before = before[cut[-1]:] if cut else before
    after = sentence[end:end + 40]
    m = _CLAUSE_STOP.search(after)
    return before, after[:m.start()] if m else after


def _is_warning(sentence: str) -> bool:
    if _SAFE.search(sentence):
        return False
    if _WARNING.search(sentence):
        return True
    return bool(_PROHIBIT.search(sentence) and not _MORE_THAN.search(sentence))


def find_doses(text: str) -> list[DoseFinding]:
    """Every medicine dose stated in the text, with the ceiling it is checked against."""
    out: list[DoseFinding] = []
    if not _DOSE.search(text):  # most passages state no amount at all
        return out
    carried: Medicine | None = None  # the medicine a heading or an earlier sentence named
    for sentence in _SENTENCE.split(text):
        if not sentence:
            continue
        meds = _medicine_spans(sentence)
        if not meds and carried is not None and _DOSE_WORDS.search(sentence):
            meds = [(-1, carried)]  # "Maximum 12 g a day." under a paracetamol heading
        if meds:
            carried = meds[-1][1]
        if not meds or not _DOSE.search(sentence) or _is_warning(sentence):
            continue
        group = "infant" if _INFANT.search(sentence) else ("child" if _CHILD.search(sentence) else "adult")
        for m in _DOSE.finditer(sentence):
            prev = [med for pos, med in meds if pos < m.start()]
            nxt = [med for pos, med in meds if pos >= m.end()]
            med = prev[-1] if prev else nxt[0]
            value = parse_number(m.group("hi") or m.group("lo"))
            if value is None:
                continue
            amount, per_kg = _to_mg(value, m.group("unit"))
            before, after = _clause(sentence, m.start(), m.end())
            per_kg = per_kg or bool(_PER_KG_BEFORE.search(before))  # "每公斤体重15毫克", "per kg of body weight 15 mg"
            daily = bool(_DAILY.search(m.group(0)) or _DAILY.search(after) or _DAILY.search(before))
            if daily and _TIMES_A_DAY.search(before + " " + after):  # "0.4 g three times a day" is one dose
                daily = False
            out.append(DoseFinding(med.name, amount, per_kg, daily, group, _limit(med, group, per_kg, daily), m.group(0).strip()))
    return out


def _limit(med: Medicine, group: str, per_kg: bool, daily: bool) -> float | None:
    def pick(lim: DoseLimit) -> float | None:
        if per_kg:
            return lim.daily_mg_per_kg if daily else lim.single_mg_per_kg
        return lim.daily_mg if daily else lim.single_mg

    # a group without a figure falls back to the next older group's; per-kg limits to any group's
    order = {"infant": ("infant", "child", "adult"), "child": ("child", "adult"), "adult": ("adult",)}[group]
    if per_kg:
        order = (*order, *(g for g in _GROUPS if g not in order))
    for g in order:
        lim = med.limits.get(g)
        value = pick(lim) if lim else None
        if value is not None:
            return value
    return None


def out_of_range(text: str) -> list[DoseFinding]:
    """The doses in the text above the table's ceiling for their medicine, group and kind."""
    return [f for f in find_doses(text) if f.exceeds]
