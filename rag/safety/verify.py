"""Citation and support checks that read meaning, and the final confidence of every item, for every generator.

For each item of a draft, against the passages it cites (`judge()` does steps 2-5 for one claim):

1. Citations must be numbers of passages that were given; others are dropped (and noted).
2. Support: 1.0 when the item is quoted verbatim (after normalising Chinese numerals, full-width
   characters and spaces), else the share of the item's words found in the passage (stop words and
   negation words ignored). Below 0.5 the item is `unsupported`.
3. Polarity: the passage is cut into clauses (a lead-in before ":" is carried into the clauses after
   it); a clause is negative when it holds a negation or prohibition ("do not", "avoid", "never",
   "should not", "don't", "不要", "避免", "禁止", "不宜", "忌", "勿" ...). When the clauses that share
   most words with the item have the other polarity than the item, the item is `contradicted`.
4. Quantities: numbers travel with their units (mg/mcg/µg/g/kg/mL/L/°C/°F/毫克/克/毫升/℃, durations,
   puffs ...). A quantity in the item must be in a cited passage with the same value in the same
   dimension (1 g = 1000 mg); the same number with another unit, or only other values in that
   dimension, is `contradicted`; a number absent from the passage is `unsupported`.
5. Names: every drug, condition and test the item names (found with rag.terms, English or Chinese,
   brands folded to generics) must be named in a cited passage, else `unsupported`. A condition
   item's own name must be named there too; a department must be named in the cited passages
   (the generic first stop and the emergency department are always allowed).
6. `contradicted` and `unsupported` items are dropped with a note; a passage cited only by dropped
   items is marked `unsupported` in the citations. Kept items get
   confidence = min(model level, evidence level), evidence e = support * best retrieval score:
   e >= 0.6 high, >= 0.4 medium, else low; support in [0.5, 0.75) lowers it one level ("weak").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from rag.answer.schema import (
    Citation,
    Condition,
    Confidence,
    DraftAdvice,
    PassageSource,
    SeekCare,
    SelfCareItem,
    SuggestedTest,
)
from rag.text import content_words
from rag.types import Passage

__all__ = ["Verified", "Judgement", "verify", "judge", "support_score", "numbers_traceable", "quantities",
           "normalise_numerals", "is_negative"]

Verdict = Literal["supported", "weak", "contradicted", "unsupported"]
_LEVELS = ("low", "medium", "high")

# --- normalisation ---------------------------------------------------------------------------

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
# a Chinese numeral is rewritten only before a unit or classifier, so 一起/一般/一旦 stay words
_ZH_NUM = re.compile(r"[零〇一二两三四五六七八九十百千万]+(?=\s*(?:个月|个小时|小时|分钟|秒|天|日|周|星期|月|年|岁|次|片|粒|袋|包|滴|喷|"
                     r"毫克|微克|毫升|千克|公斤|克|升|摄氏度|度|℃|小勺|勺|杯|粒))")


def _zh_to_int(s: str) -> int | None:
    total, section, digit = 0, 0, None
    for ch in s:
        if ch in _ZH_DIGITS:
            digit = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            unit = _ZH_UNITS[ch]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section, digit = 0, None
            else:
                section += (1 if digit is None else digit) * unit
                digit = None
        else:
            return None
    return total + section + (digit or 0)


def normalise_numerals(text: str) -> str:
    """NFKC (full-width digits and letters), Chinese numerals before units as Arabic digits (二十分钟 -> 20分钟)."""
    s = unicodedata.normalize("NFKC", text).replace("\u00b5", "\u03bc")

    def repl(m: re.Match[str]) -> str:
        v = _zh_to_int(m.group(0))
        return m.group(0) if v is None else str(v)

    return _ZH_NUM.sub(repl, s)


_LIST_MARK = re.compile(r"(?m)^\s*(?:[-*•]|\d+[.)])\s+|\*\*|__")


def _norm(text: str) -> str:
    """Comparable text: numerals normalised, list markers and bold marks gone, spaces collapsed, lower case."""
    return re.sub(r"\s+", " ", _LIST_MARK.sub(" ", normalise_numerals(text))).strip().lower()


# --- quantities ------------------------------------------------------------------------------

# unit spelling -> (canonical unit, dimension, factor to the dimension's base)
_UNITS: dict[str, tuple[str, str, float]] = {}
for _spellings, _canon, _dim, _factor in (
    (("mcg", "μg", "ug", "microgram", "micrograms", "微克"), "mcg", "mass", 1e-6),
    (("mg", "milligram", "milligrams", "毫克"), "mg", "mass", 1e-3),
    (("g", "gram", "grams", "gm", "克"), "g", "mass", 1.0),
    (("kg", "kilogram", "kilograms", "千克", "公斤"), "kg", "mass", 1e3),
    (("ml", "millilitre", "millilitres", "milliliter", "milliliters", "毫升"), "ml", "volume", 1e-3),
    (("l", "litre", "litres", "liter", "liters", "升"), "l", "volume", 1.0),
    (("°c", "℃", "c", "摄氏度", "degrees c", "degrees celsius", "celsius"), "c", "temp_c", 1.0),
    (("°f", "℉", "f", "degrees f", "fahrenheit", "华氏度"), "f", "temp_f", 1.0),
    (("seconds", "second", "secs", "sec", "秒", "秒钟"), "s", "time", 1.0),
    (("minutes", "minute", "mins", "min", "分钟"), "min", "time", 60.0),
    (("hours", "hour", "hrs", "hr", "h", "小时", "个小时"), "h", "time", 3600.0),
    (("days", "day", "天", "日"), "d", "time", 86400.0),
    (("weeks", "week", "wk", "wks", "周", "星期", "个星期"), "wk", "time", 604800.0),
    (("months", "month", "个月"), "mo", "time", 2629800.0),
    (("years old", "year old", "year-old", "years-old", "岁"), "yo", "age", 1.0),
    (("years", "year", "yrs", "年"), "yr", "time", 31557600.0),
    (("puffs", "puff", "喷", "揿"), "puff", "puffs", 1.0),
    (("tablets", "tablet", "片", "粒"), "tab", "tablets", 1.0),
    (("times", "次"), "x", "times", 1.0),
    (("mmhg",), "mmhg", "pressure", 1.0),
    (("mmol/l", "mmol"), "mmol/l", "glucose", 1.0),
    (("%", "percent", "per cent"), "%", "percent", 1.0),
    (("度",), "c", "temp_c", 1.0),  # Chinese "38度" is a body temperature in these guidelines
):
    for _n in _spellings:
        _UNITS[_n] = (_canon, _dim, _factor)
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_NUMBER = r"\d+(?:[.,]\d+)?"
_RANGE = r"\s*(?:-|–|—|~|～|to|至|到|或|or)\s*"
_QTY = re.compile(
    rf"(?<![A-Za-z0-9.])({_NUMBER})(?:\s*({_UNIT_ALT})(?![a-z]))?(?:{_RANGE}({_NUMBER})(?:\s*({_UNIT_ALT})(?![a-z]))?)?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Quantity:
    value: float
    unit: str | None  # canonical unit, None for a bare number
    dimension: str | None
    base: float | None  # value in the dimension's base unit

    def same_amount(self, other: Quantity) -> bool:
        if self.dimension != other.dimension:
            return False
        if self.base is None or other.base is None:
            return self.value == other.value
        return abs(self.base - other.base) <= 1e-9 * max(abs(self.base), abs(other.base), 1e-12)


def _q(value: str, unit: str | None) -> Quantity:
    v = float(value.replace(",", "")) if re.fullmatch(r"\d{1,3}(,\d{3})+", value) else float(value.replace(",", "."))
    if unit is None:
        return Quantity(v, None, None, None)
    canon, dim, factor = _UNITS[unit.lower()]
    return Quantity(v, canon, dim, v * factor)


def quantities(text: str) -> list[Quantity]:
    """Numbers with their units (ranges share the unit written after them: '50 to 100 mL')."""
    out = []
    for m in _QTY.finditer(normalise_numerals(text)):
        a, ua, b, ub = m.group(1), m.group(2), m.group(3), m.group(4)
        unit_a = ua or ub
        out.append(_q(a, unit_a))
        if b is not None:
            out.append(_q(b, ub or ua))
    return out


def numbers_traceable(item: str, passages: list[str]) -> bool:
    """Every number in the item appears in at least one of the cited passages (numerals normalised)."""
    nums = {q.value for q in quantities(item)}
    have = {q.value for p in passages for q in quantities(p)}
    return nums <= have


def _quantity_check(claim: str, passage: str) -> tuple[str | None, str]:
    """(None | 'contradicted' | 'unsupported', reason) for the claim's quantities against one passage."""
    have = _guideline_quantities(passage)
    claimed = quantities(claim)
    claim_values = {c.value for c in claimed}
    for q in claimed:
        if q.unit is None:
            if not any(h.value == q.value for h in have):
                # another bare number of the passage is missing from the claim: the claim changed it
                # ("14/90" where the passage says "140/90")
                changed = [h for h in have if h.unit is None and h.value not in claim_values]
                if changed:
                    return "contradicted", f"number {q.value:g} where the passage says {changed[0].value:g}"
                return "unsupported", f"number {q.value:g} not in the passage"
            continue
        if any(q.same_amount(h) for h in have):
            continue
        if any(h.value == q.value and h.unit is not None and h.unit != q.unit for h in have):
            other = next(h.unit for h in have if h.value == q.value and h.unit is not None and h.unit != q.unit)
            return "contradicted", f"{q.value:g} {q.unit} where the passage says {q.value:g} {other}"
        if any(h.dimension == q.dimension for h in have):
            return "contradicted", f"{q.value:g} {q.unit} differs from the passage's amounts"
        return "unsupported", f"{q.value:g} {q.unit} not in the passage"
    return None, ""


# --- polarity --------------------------------------------------------------------------------

_NEG_EN = re.compile(
    r"\b(?:do\s+not|does\s+not|did\s+not|don'?t|doesn'?t|should\s+not|shouldn'?t|must\s+not|mustn'?t|"
    r"cannot|can'?t|can\s+not|never|avoid(?:s|ed|ing)?|not\s+(?:be|for|to|recommended|advised|needed|"
    r"necessary|safe|suitable|helpful|work|help|use|give|take)|is\s+not|are\s+not|isn'?t|aren'?t|will\s+not|"
    r"won'?t|no\s+(?!more\b|longer\b|later\b|fewer\b|less\b|sooner\b)\w+|nor|refrain)\b",
    re.IGNORECASE,
)
_NEG_ZH = re.compile(r"不要|避免|禁止|禁用|严禁|不宜|切忌|忌|勿|不能|不可|不应|不该|不得|不需要|不需|无需|不必|不用|"
                     r"(?<![特区识分性级类告个辨鉴])别(?![人的处])|不建议|不推荐|千万不")
# words that carry polarity only: left out of the overlap used to align a claim with a clause
_POLARITY_WORDS = frozenset("do does did don dont doesn t not should shouldn must mustn never avoid avoids avoided avoiding "
                            "cannot can no nor is are isn aren will won be refrain stop "
                            # pronouns say nothing about what a clause is about
                            "i me my you your yours he him his she her it its we us our they them their".split()) | frozenset(
                            "不不要避免禁止用严宜切忌勿能可应该得需无必别建议推荐千万")
_CLAUSE_STRONG = re.compile(r"(?<=[.!?。！？\n])\s*")
_CLAUSE_COMMA = re.compile(r"[，,]\s*(?=(?:because|as|since|so|which|but|unless|instead|then|while|although|though|"
                           r"otherwise|and\s+then|and\s+(?:call|see|go|seek|get|ask|use|give|take|keep|drink|rest))\b)|"
                           r"[，,]\s*(?=[\u3400-\u9fff])|\s*[;；]\s*",
                           re.IGNORECASE)


_STOP_VERB = re.compile(r"(?<!\bto\s)(?<!\bhelp\s)\b(?:stop(?:s|ped|ping)?|discontinu\w*|quit(?:s|ting)?|skip(?:s|ped|ping)?|miss(?:es|ed|ing)?|"
                        r"cut\s+out|give\s+up)\b(?<!after\sstopping)|(?:停药|停用|停服|停掉|中断|漏服|自行停)(?!后|以后|之后)",
                        re.IGNORECASE)
# a condition on the action ("if you are not eating", "when …") says nothing about the action's polarity
_CONDITION = re.compile(r"\b(?:if|when|whenever|unless|until|while|even\s+when|even\s+if)\b.*$|(?:如果|若|假如|一旦).*$",
                        re.IGNORECASE)
_LEADING_CONDITION = re.compile(r"^\s*(?:if|when|whenever|while|for|with|after|before|during|in)\b[^,，:;]{0,80}[,，]\s*",
                                re.IGNORECASE)
# a limit is not a prohibition: "do not take more than 4 g" says what "take no more than 4 g" says
_LIMIT = re.compile(r"\b(?:do\s+not|don'?t|never|should\s+not|shouldn'?t|must\s+not)\s+((?:\w+\s+){0,2}?)"
                    r"(?:more\s+than|exceed\w*|go\s+over|over)\b", re.IGNORECASE)
_LIMIT_ZH = re.compile(r"(?:不要|不宜|不能|不应|不得|不可|勿|切勿)(?=超过|多于|大于|高于)")
# word pairs of opposite direction: an item saying one where its clause says the other is contradicted
_ANTONYMS = (
    (r"\bmore\b|\bincreas\w*|\braise\w*|\bplenty\b|\bextra\b", r"\bless\b|\bfewer\b|\breduc\w*|\bdecreas\w*|\bcut\s+down\b|\blimit\w*"),
    (r"多(?=[喝吃饮用穿盖休])|增加|加大", r"少(?=[喝吃饮用穿盖休])|减少|减量|限制"),
)


def is_negative(text: str) -> bool:
    """True when text holds a negation or prohibition cue (English or Chinese)."""
    return bool(_NEG_EN.search(text) or _NEG_ZH.search(text))


def _main(text: str) -> str:
    """The text without its conditions ("If you have COPD, ..." keeps what follows the comma) and with
    limits written as limits ("do not take more than" -> "take no more than")."""
    text = _LEADING_CONDITION.sub("", text, count=1)
    text = _LIMIT.sub(lambda m: f"{m.group(1)}no more than", text)
    return _CONDITION.sub("", _LIMIT_ZH.sub("", text))


def _polarity(text: str) -> bool:
    """True for 'do not do it': a cue or a verb of stopping, but not both ("don't stop taking" = keep taking)."""
    main = _main(text)
    return is_negative(main) != bool(_STOP_VERB.search(main))


def _direction(text: str) -> int:
    """+1 when text says more/increase, -1 when it says less/reduce, 0 for neither or both."""
    up = any(re.search(a, text, re.IGNORECASE) for a, _ in _ANTONYMS)
    down = any(re.search(b, text, re.IGNORECASE) for _, b in _ANTONYMS)
    return (1 if up else 0) - (1 if down else 0)


_REASON = re.compile(r"^(?:because|as|since|so|which|otherwise|or\s+else|以免|以防|否则|因为|由于|防止|免得|这样会|会导致|容易)",
                     re.IGNORECASE)


def _clauses(passage: str) -> list[tuple[str, bool]]:
    """(clause, negative?) for a passage. A lead-in ending in ':' is prefixed to the clauses after it (and,
    in Chinese, the topic before a prohibition); a reason clause ("because ...", "以免 ...") takes the
    polarity of the clause it explains."""
    out: list[tuple[str, bool]] = []
    for sentence in _CLAUSE_STRONG.split(normalise_numerals(passage)):
        if not sentence.strip():
            continue
        lead = ""
        prev_neg = False
        explains = False
        parts = re.split(r"[:：]\s*", sentence, maxsplit=1)
        if len(parts) == 2 and parts[1].strip():
            if _polarity(parts[0]):
                # "Avoid alcohol in the evening: it makes sleep lighter" -- what follows explains the prohibition
                out.append((parts[0], True))
                prev_neg, explains, sentence = True, True, parts[1]
            else:
                lead, sentence = parts[0], parts[1]
        pieces = [c.strip() for c in _CLAUSE_COMMA.split(sentence) if c and c.strip()]
        for i, clause in enumerate(pieces):
            reason = (i > 0 or explains) and (bool(_REASON.match(clause)) or (explains and not is_negative(clause)
                                                                                 and i == 0))
            neg = (_polarity(clause) if is_negative(_main(clause)) else prev_neg) if reason else _polarity(clause)
            out.append((f"{lead}: {clause}" if lead and not reason else clause, neg))
            prev_neg = neg
            if i == 0 and not lead and len(pieces) > 1:
                # a Chinese sentence's topic is shared by the clauses after it: a time phrase
                # ("鼻出血时…，不要仰头") or what comes before a prohibition ("荨麻疹发作时勿用热水…，可冷敷")
                when = re.match(r"^[\u3400-\u9fff]{1,10}?(?:时候|期间|时|后)", clause)
                cue = _NEG_ZH.search(clause)
                if when:
                    lead = when.group(0)
                elif cue and cue.start() >= 2:
                    lead = clause[: cue.start()]
    return out


def _stem(word: str) -> str:
    """A light English stem so 'burning'/'burn', 'blisters'/'blister', 'babies'/'baby' and 'shared'/'share'
    align; Chinese characters pass."""
    if not word.isascii() or word.isdigit():
        return word
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def _align_words(text: str) -> set[str]:
    return {_stem(w) for w in content_words(normalise_numerals(text)) if w not in _POLARITY_WORDS}


# The cited passages' side of every comparison, computed once per process: guideline text (a passage, or a clause
# cut from one) comes back request after request, and these are pure functions of it. A claim (a generator's
# output, which may echo the patient) is never a key. Bounded; a new version's text is a new key.
@lru_cache(maxsize=8192)
def _guideline_norm(text: str) -> str:
    return _norm(text)


@lru_cache(maxsize=16384)
def _guideline_words(text: str) -> frozenset[str]:
    return frozenset(_align_words(text))


@lru_cache(maxsize=4096)
def _guideline_clauses(passage: str) -> tuple[tuple[str, bool], ...]:
    return tuple(_clauses(passage))


@lru_cache(maxsize=4096)
def _guideline_quantities(passage: str) -> tuple[Quantity, ...]:
    return tuple(quantities(passage))


# where the scope of an English negation ends: a preposition or a conjunction starts what modifies it
# ("avoid putting weight | on the ankle", "never give honey | to babies")
_SCOPE_END = re.compile(r"\b(?:for|to|on|onto|in|into|with|at|during|until|after|before|while|when|if|unless|because|as|"
                        r"since|so|from|than|under|over|near|around|without|or\s+else|even)\b|[,，;；.。]",
                        re.IGNORECASE)
# verbs that say little on their own: a claim sharing only one of these with a prohibition needs more overlap
_GENERIC = frozenset("use give take put apply make get have keep let try go see help".split()) | frozenset(
    {"使用", "服用", "食用", "进行", "可以", "应该", "需要", "自行", "一定", "尽量"})


def _scope(clause: str) -> tuple[set[str], set[str]]:
    """(English words, Chinese bigrams) in the scope of a negative clause's cue: what follows the cue up to a
    preposition ("don't apply butter, toothpaste or ice"), and the subject before it when the clause does not
    start with the cue ("inhalers should not be shared", "antibiotics do not help")."""
    main = _main(clause.rsplit(": ", 1)[-1])
    m_en = _NEG_EN.search(main)
    m = m_en or _NEG_ZH.search(main)
    if not m:
        return set(), set()
    after, before = main[m.end():], main[: m.start()]
    if m_en is not None:
        after = _SCOPE_END.split(after, maxsplit=1)[0]
        words = _align_words(after)
        if before.strip() and len(words) <= 1:
            # a predicate negation ("antibiotics do not help", "inhalers should not be shared"): its subject
            # is what it is about; not "your child is not drinking well"
            words |= _align_words(before)
        return {w for w in words if not w.isdigit()}, set()
    after = re.split(r"[，,;；。.、:：]|以免|以防|否则", after, maxsplit=1)[0][:8]
    grams = {after[i:i + 2] for i in range(len(after) - 1)}
    return set(), {g for g in grams if re.fullmatch(r"[\u3400-\u9fff]{2}", g)}


def _scope_check(claim: str, clauses: list[tuple[str, bool]]) -> str:
    """A positive claim that names what a negative clause prohibits and no positive clause mentions
    ("Pop the blister" against "Keep it clean; don't pop or peel it"): the clause, else ''."""
    positive = [c for c, neg in clauses if not neg]
    pos_words = set().union(*(_guideline_words(c) for c in positive)) if positive else set()
    pos_text = _guideline_norm(" ".join(positive))
    cw = _align_words(claim)
    nc = _norm(claim)
    for clause, neg in clauses:
        if not neg:
            continue
        en, zh = _scope(clause)
        hit = {w for w in (en & cw) if w not in pos_words} | {g for g in zh if g in nc and g not in pos_text}
        if not hit:
            continue
        # the claim says what a positive clause says, and only mentions the prohibited thing on the way
        # ("A cold compress eases itching from bites" against "Try not to scratch bites; a cold compress ...")
        rest = cw - hit - {ch for g in hit for ch in g}
        if rest and max((len(rest & _guideline_words(c)) for c in positive), default=0) >= max(2, 0.75 * len(rest)):
            continue
        if hit - _GENERIC or len(cw & _guideline_words(clause)) >= 2:
            return clause
    return ""


_UNBOUNDED = re.compile(r"\bas\s+(?:long|much|often|many)\s+as\s+you\s+(?:like|want|need|wish)\b|\bwhenever\s+you\s+"
                        r"(?:like|want)\b|\bindefinitely\b|\bany\s+amount\b|\bunlimited\b|\bno\s+limit\b|"
                        r"\bevery\s*(?:day|one|body)\b|\ball\s+(?:people|patients|adults|children)\b|\banyone\b|"
                        r"\balways\b|\blong[- ]term\b|长期|天天|随意|随便|不限|无限|任何人|所有人|人人|都可以|越多越好",
                        re.IGNORECASE)
_BOUNDED = re.compile(r"\b(?:no|not)\s+more\s+than\b|\bup\s+to\b|\bat\s+most\b|\bmaximum\b|\bonly\b|\bexcept\b|"
                      r"\bmost\b|\bsome\b|\bunless\b|\blimit\w*|\bshort[- ]term\b|不超过|不宜超过|最多|以内|少于|"
                      r"除了|除外|仅|只|大多数|部分|短期", re.IGNORECASE)


def _neg_phrases(text: str) -> set[str]:
    """Each negation cue with the word after it ("no cough", "not drinking", "不要仰头"[:4]): a claim that repeats
    the clause's own negation (as a condition: "see a doctor if … no cough") does not say the opposite."""
    t = normalise_numerals(text).lower()
    out = {re.sub(r"\s+", " ", m.group(0) + " " + (re.findall(r"\w+", t[m.end():])[:1] or [""])[0]).strip()
           for m in _NEG_EN.finditer(t)}
    out |= {t[m.start():m.end() + 2] for m in _NEG_ZH.finditer(t)}
    return out


def _claim_polarity(claim: str) -> bool:
    """A claim's polarity; a lead-in that starts with a positive instruction ("请立即拨打120，不要自己开车去医院：
    胸痛持续…", "Call 911, do not drive: chest pain that …") leaves the polarity to what follows it."""
    parts = re.split(r"[:：]\s*", claim, maxsplit=1)
    if len(parts) == 2 and parts[1].strip():
        first = next((c for c in _CLAUSE_COMMA.split(parts[0]) if c and c.strip()), parts[0])
        if not _polarity(first):
            return _polarity(parts[1])
    return _polarity(claim)


def _polarity_check(claim: str, passage: str) -> tuple[bool, str]:
    """(contradicted?, reason): the clauses sharing most words with the claim say the opposite
    (prohibit what it recommends, recommend what it prohibits, or go the other direction: more/less)."""
    cw = _align_words(claim)
    if not cw:
        return False, ""
    clauses = list(_guideline_clauses(passage))
    best = {True: 0, False: 0}
    best_text = {True: "", False: ""}
    scored = []
    for clause, neg in clauses:
        overlap = len(cw & _guideline_words(clause))
        scored.append((overlap, clause, neg))
        if overlap > best[neg]:
            best[neg], best_text[neg] = overlap, clause
    claim_neg = _claim_polarity(claim)
    # the claim must be about what the clause says: at least 2 shared words and a third of the claim's words
    need = max(min(2, len(cw)), (len(cw) + 1) // 3)
    agree, disagree = best[claim_neg], best[not claim_neg]
    if disagree >= need and disagree > agree and not (_neg_phrases(best_text[not claim_neg]) & _neg_phrases(claim)):
        side = "prohibits" if not claim_neg else "recommends"
        return True, f"the passage {side} it: \u201c{best_text[not claim_neg][:160]}\u201d"
    if not claim_neg and not is_negative(claim):
        # a claim with no negation at all (one that repeats "no cough" or "not drinking" as a condition
        # is read by the overlap rule above only)
        clause = _scope_check(claim, clauses)
        if clause:
            return True, f"the passage prohibits it: \u201c{clause[:160]}\u201d"
    if _UNBOUNDED.search(claim) and not _BOUNDED.search(claim) and scored:
        overlap, clause, neg = max(scored, key=lambda t: t[0])
        if overlap >= need and _BOUNDED.search(clause):
            return True, f"the passage sets a limit: \u201c{clause[:160]}\u201d"
    direction = _direction(claim)
    if direction and scored:
        overlap, clause, neg = max(scored, key=lambda t: t[0])
        if overlap >= need and neg == claim_neg and _direction(clause) == -direction:
            return True, f"the passage goes the other way: \u201c{clause[:160]}\u201d"
    return False, ""


# --- names -----------------------------------------------------------------------------------


def _names(text: str) -> dict[str, set[str]]:
    from rag import terms

    return {
        "drug": {m.name for m in terms.find_drugs(text)},
        "condition": {m.name for m in terms.find_conditions(text) if m.kind == "condition"},
        "test": {m.name for m in terms.find_tests(text)},
    }


def _name_check(claim: str, passages: list[str]) -> str:
    """'' when every drug, condition and test the claim names is named in the passages, else the reason."""
    want = _names(claim)
    if not any(want.values()):
        return ""
    have: dict[str, set[str]] = {"drug": set(), "condition": set(), "test": set()}
    for p in passages:
        for kind, names in _names(p).items():
            have[kind] |= names
    for kind in ("drug", "condition", "test"):
        missing = sorted(want[kind] - have[kind])
        if missing:
            return f"{kind} {', '.join(missing)} not named in the cited passage"
    return ""


# --- support ---------------------------------------------------------------------------------


def support_score(item: str, passage: str) -> float:
    """1.0 for a verbatim quote (numerals normalised), else the share of the item's words found in the passage."""
    if not item.strip():
        return 0.0
    if _norm(item) in _guideline_norm(passage):
        return 1.0
    words = _align_words(item)
    if not words:
        return 0.0
    have = _guideline_words(passage)
    # the quantity check judges numbers; a Chinese numeral written as digits counts once
    return sum(1 for w in words if w in have) / len(words)


@dataclass(slots=True)
class Judgement:
    """What the cited passages say about one claim."""

    verdict: Verdict
    support: float
    reasons: list[str] = field(default_factory=list)
    passage: int = -1  # index (0-based) of the passage that decided it


def judge(claim: str, passages: list[str]) -> Judgement:
    """Verdict for a claim against its cited passages: contradicted > unsupported > weak > supported."""
    if not claim.strip() or not passages:
        return Judgement("unsupported", 0.0, ["empty claim or no passage"])
    scores = [support_score(claim, p) for p in passages]
    best = max(range(len(passages)), key=lambda i: scores[i])
    support = scores[best]
    # contradiction from any cited passage that is about the claim wins (safety first); a verbatim quote
    # cannot contradict the passage it is quoted from
    for i, p in enumerate(passages):
        np, nc = _guideline_norm(p), _norm(claim).rstrip(".。!！;； ")
        at = np.find(nc) if nc else -1
        if at >= 0:
            # quoted: contradicted only when the quote leaves out a negation just before it
            # ("give aspirin to children" cut from "do not give aspirin to children")
            before = re.split(r"[.;:!?。；：，,]", np[max(0, at - 30):at])[-1] if at > 0 else ""
            if before.strip() and is_negative(before + " x") and not is_negative(nc):
                return Judgement("contradicted", support, [f"polarity: the quote leaves out \u201c{before.strip()}\u201d"], i)
            continue
        contra, why = _polarity_check(claim, p)
        if contra:
            return Judgement("contradicted", support, [f"polarity: {why}"], i)
        verdict, why = _quantity_check(claim, p)
        if verdict == "contradicted" and scores[i] >= 0.5:
            return Judgement("contradicted", support, [f"quantity: {why}"], i)
    if support < 0.5:
        return Judgement("unsupported", support, [f"support {support:.2f} below 0.5"], best)
    # quantities must be traceable in the best passage or, failing that, in any cited passage
    qs = [_quantity_check(claim, p) for p in passages]
    if all(v is not None for v, _ in qs):
        v, why = qs[best]
        return Judgement("contradicted" if v == "contradicted" else "unsupported", support, [f"quantity: {why}"], best)
    missing = _name_check(claim, passages)
    if missing:
        return Judgement("unsupported", support, [f"names: {missing}"], best)
    return Judgement("supported" if support >= 0.75 else "weak", support, [], best)


# --- the draft -------------------------------------------------------------------------------

_QUOTE = re.compile(r"[\u201c\u300c\"]([^\u201d\u300d\"]{8,})[\u201d\u300d\"]")
# a department any answer may name without a passage: the first stop, or the emergency department
_ALWAYS_ALLOWED_DEPARTMENTS = frozenset({"primary care", "emergency department", "internal medicine"})


def _evidence_level(e: float) -> str:
    return "high" if e >= 0.6 else "medium" if e >= 0.4 else "low"


def _min_level(a: str, b: str) -> str:
    return _LEVELS[min(_LEVELS.index(a), _LEVELS.index(b))]


def _lower(level: str) -> str:
    return _LEVELS[max(0, _LEVELS.index(level) - 1)]


def _condition_named(name: str, passages: list[str]) -> bool:
    from rag import terms

    entry = terms.condition(name)
    if entry is not None:
        return any(m.name == entry.name for p in passages for m in terms.find_conditions(p))
    # not in the table: the name itself must be written in the passage
    return bool(name.strip()) and any(_norm(name) in _guideline_norm(p) for p in passages)


def _department_supported(department: str, texts: list[str]) -> bool:
    from rag import terms

    found = terms.find_departments(department)
    if not found:
        # a department we cannot recognise must be written in the passages as it is
        return any(_norm(department) in _guideline_norm(t) for t in texts) if department.strip() else True
    named = {m.name for t in texts for m in terms.find_departments(t)}
    return all(m.name in named or m.name in _ALWAYS_ALLOWED_DEPARTMENTS for m in found)


@dataclass(slots=True)
class Verified:
    conditions: list[Condition] = field(default_factory=list)
    self_care: list[SelfCareItem] = field(default_factory=list)
    seek_care: SeekCare | None = None
    tests: list[SuggestedTest] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    verdicts: list[dict[str, object]] = field(default_factory=list)  # one per item, for the audit trail


def verify(draft: DraftAdvice, passages: list[Passage]) -> Verified:
    """Keep only items whose cited passages support them; attach numbered citations with their verdicts."""
    out = Verified()
    n_max = len(passages)
    cited_support: dict[int, float] = {}
    failed_cites: set[int] = set()

    def check(kind: str, text: str, cites: list[int], model_level: str,
              extra: str = "") -> tuple[list[int], float, Confidence] | None:
        valid = sorted({c for c in cites if 1 <= c <= n_max})
        bad = sorted(set(cites) - set(valid))
        if bad:
            out.notes.append(f"{kind}: citations {bad} name no given passage and were dropped")
        verdict: dict[str, object] = {"kind": kind, "text": text[:300], "citations": valid}
        out.verdicts.append(verdict)
        if not valid:
            verdict["verdict"] = "dropped: no valid citation"
            out.notes.append(f"{kind} dropped: no valid citation")
            return None
        texts = [passages[c - 1].text for c in valid]
        j = judge(text, texts)
        verdict["support"] = round(j.support, 3)
        if j.verdict == "supported" and extra:
            j = Judgement("unsupported", j.support, [extra], j.passage)
        elif j.verdict == "weak" and extra:
            j = Judgement("unsupported", j.support, [extra], j.passage)
        verdict["support_verdict"] = j.verdict
        if j.reasons:
            verdict["reasons"] = j.reasons
        if j.verdict in ("contradicted", "unsupported"):
            verdict["verdict"] = f"dropped: {j.verdict}"
            out.notes.append(f"{kind} dropped: {j.verdict} by its cited passages ({'; '.join(j.reasons)[:200]})")
            failed_cites.update(valid)
            return None
        scores = {c: support_score(text, passages[c - 1].text) for c in valid}
        kept = [c for c in valid if scores[c] >= 0.5] or valid
        for c in kept:
            cited_support[c] = max(cited_support.get(c, 0.0), scores[c])
        retrieval = max(min(1.0, max(passages[c - 1].score, 0.0)) for c in kept)
        level = _min_level(model_level, _evidence_level(j.support * retrieval))
        if j.verdict == "weak":
            level = _lower(level)
            verdict["verdict"] = "kept: weak support, confidence lowered"
        else:
            verdict["verdict"] = "kept: supported"
        verdict["confidence"] = level
        return kept, j.support, level  # type: ignore[return-value]

    for c in draft.possible_conditions:
        valid_texts = [passages[n - 1].text for n in c.citations if 1 <= n <= n_max]
        # a rationale that quotes the passage is judged on its quote; the name must be in the passage
        quote = _QUOTE.search(c.rationale)
        claim = quote.group(1) if quote else c.rationale
        extra = "" if _condition_named(c.name, valid_texts) else f"condition {c.name!r} not named in the cited passage"
        r = check("possible_condition", claim, c.citations, c.confidence, extra)
        if r:
            from rag.answer.icd10 import lookup_icd10  # the table loads on first use

            out.conditions.append(Condition(name=c.name, icd10=lookup_icd10(c.name), rationale=c.rationale,
                                            confidence=r[2], citations=r[0], support=round(r[1], 3)))
    for s in draft.self_care:
        r = check("self_care", s.advice, s.citations, s.confidence)
        if r:
            out.self_care.append(SelfCareItem(advice=s.advice, confidence=r[2], citations=r[0], support=round(r[1], 3)))
    for t in draft.suggested_tests:
        claim = t.reason if t.test in t.reason else f"{t.test} {t.reason}"
        r = check("suggested_test", claim, t.citations, "high")
        if r:
            out.tests.append(SuggestedTest(test=t.test, reason=t.reason, citations=r[0], support=round(r[1], 3)))
    sc = draft.seek_care
    reason, cites = sc.reason, sc.citations
    if sc.reason.strip():
        r = check("seek_care", sc.reason, sc.citations, "high")
        if r is None:
            reason, cites = "", []
        else:
            cites = r[0]
    department = sc.department
    dept_texts = [passages[c - 1].text for c in sc.citations if 1 <= c <= n_max]
    if department.strip() and not _department_supported(department, dept_texts):
        out.notes.append(f"seek_care department {department!r} is not named in its cited passages; replaced by the first stop")
        out.verdicts.append({"kind": "department", "text": department[:200], "verdict": "replaced: unsupported"})
        department = "全科/普通内科" if re.search("[\u4e00-\u9fff]", department) else "Primary care"
    out.seek_care = SeekCare(needed=sc.needed, urgency=sc.urgency, department=department, reason=reason, citations=cites)
    for n, p in enumerate(passages, start=1):
        best = cited_support.get(n)
        verdict: Literal["supported", "weak", "unsupported", "not_cited"] = (
            ("unsupported" if n in failed_cites else "not_cited") if best is None
            else "supported" if best >= 0.75 else "weak")
        out.citations.append(Citation(n=n, **PassageSource.fields_of(p), quote=p.text, retrieval_score=round(p.score, 4),
                                      support=verdict, active=p.active))
    return out
