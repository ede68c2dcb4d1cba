"""The urgency ladder from evidence: the patient's facts matched against the guidelines' own criteria.

    emergency  any red flag (triage) or a matched criterion from a red-flag / emergency section
    urgent     a matched "see a clinician" criterion that says same day / urgently / today
    soon       a matched criterion with a time frame of days, or none stated
    routine    a matched criterion about persistence over weeks, recurrence or regular review
    self_care  no criterion matched and a retrieved guideline gives self-care for this presentation

Criteria are the sentences and list items of the retrieved guidelines' red-flag and seek-care
sections (plus any sentence elsewhere that names a time frame for care). Numbers are understood on
both sides: temperatures (°C and °F), durations ("3 days", "两周", "for a week"), ages ("2 weeks
old", "两个月大", the request's `age`), weeks of pregnancy. No level is a default: every decision
carries the reason, and a matched criterion is quoted. Lay and guideline wordings meet through the
concept table in urgency_terms.yaml.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from rag.knowledge.roles import heading_role
from rag.safety.triage import denies_pregnancy  # one reading of "not pregnant" for triage and the ladder
from rag.text import CJK_RANGE
from rag.types import Passage

__all__ = [
    "blood_pressures",
    "glucose_values",
    "Facts",
    "Criterion",
    "UrgencyDecision",
    "extract_facts",
    "criteria_of",
    "self_care_of",
    "decide_urgency",
    "out_of_scope",
    "escalate_by_model",
    "valid_department",
    "fallback_department",
    "LEVEL_RANK",
]

LEVELS: tuple[str, ...] = ("emergency", "urgent", "soon", "routine", "self_care")
LEVEL_RANK = {lvl: i for i, lvl in enumerate(LEVELS)}  # lower is more urgent
_LABEL = {
    "en": {"emergency": "Emergency", "urgent": "Same day", "soon": "Within a few days", "routine": "Routine appointment",
           "self_care": "Self-care at home"},
    "zh": {"emergency": "急诊", "urgent": "当天就医", "soon": "几天内就医", "routine": "择期门诊", "self_care": "居家自我护理"},
}

# --- the concept table -------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _terms() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(resources.files("rag.safety").joinpath("urgency_terms.yaml").read_text(encoding="utf-8"))
    return raw


@functools.lru_cache(maxsize=1)
def _body_words() -> frozenset[str]:
    """Body parts and plain descriptions ("lips", "hot", "嘴唇"): a clause made only of these is a fragment of a list."""
    return frozenset(str(w).lower() for w in _terms().get("body_words", []))


@functools.lru_cache(maxsize=1)
def _concepts() -> tuple[tuple[str, str], ...]:
    """(surface form, concept token) pairs, longest form first."""
    raw = _terms()
    # a name joined with "+" stands for two concepts at once: "rings won't go on" is swelling of the hands
    pairs = [(str(form).lower(), " ".join(f"c{part}" for part in name.split("+")))
             for name, forms in raw["concepts"].items() for form in forms]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


@functools.lru_cache(maxsize=1)
def _concept_tokens() -> frozenset[str]:
    return frozenset(part for _, token in _concepts() for part in token.split())


_CJK = re.compile(f"[{CJK_RANGE}]")
_EN_NEG = re.compile(r"\b(no|not|without|never|denies|isn't|wasn't|doesn't|don't|didn't|haven't|hasn't|hadn't|nor|free of|"
                     r"isnt|wasnt|doesnt|dont|didnt|havent|hasnt|hadnt)\b")
_ZH_NEG = re.compile("(没有|没|无|不|未|否认)")
_FINE_AFTER = re.compile(r"\b(?:are|is|look|looks|seem|seems|feel|feels)?\s*(?:fine|ok|okay|normal|all right|alright)\s*$")
_CLAUSE = re.compile(r"[,;:.!?，；。！？、\n()（）]|\bbut\b|\band\b|而且|但是|但")
_GENERIC = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the this to was were with i my me you your "
    "he she his her they their we our who which what when if any some very more less than one two also can could may "
    "should will would been being do does did get gets getting got there here than then so such just about after "
    "before over under up down out off into onto see doctor clinician primary care contact seek call go visit clinic "
    "department gp nurse midwife team hospital urgent emergency advice usual usually feel feels feeling felt now today "
    "day days week weeks month months year years hour hours old since still keep keeps like signs sign symptoms "
    "symptom possible especially other new last lasts lasted lasting persist persists more longer least same next "
    "concern concerns just something wrong health visitor suspect way all too bit through cause causes caused "
    "develop develops developed developing follow follows followed following "
    "around near patient someone anyone during need needs needed needing time times again within short appointment example together".split())
_ZH_GENERIC = frozenset("疑似 发生 出现 情况 症状 就医 医生 门诊 就诊 立即 尽快 或者 以及 已经 现在 最近 感觉 有点 比较 明显 孩子 宝宝 患者 婴儿 儿童 并且 而且 同时 请 并 和 或 也 及 有 迹象 多小 小时 个小".split())  # also connectives: "小便疼痛并且发烧" needs no "并且" from the patient


_WEAK = frozenset({"pain", "cfever", "high", "bad", "severe", "sore"})  # too common to place a criterion on their own
_COURSE = frozenset({"cnot_improving", "cworse", "crecur", "cnot_come_down"})  # how it goes, which a criterion that names it needs
# concepts that say who or when, not a sign ("your partner notices loud snoring", "comes on with exercise")
_CONTEXT = frozenset({"cpartner", "cbp", "cglucose", "cexertion", "crest_relief"})
# how bad it is: "Severe neck swelling" is not met by "lumps in my neck are swollen"; a patient says it in many ways
_SEVERITY = frozenset({"severe", "剧烈", "csevere_pain"})
# and how fast it goes: "a rapidly spreading red, hot, painful area with fever" is not met by "spreading" alone
_SPEED = frozenset({"rapid", "迅速"})
_FAST = re.compile(r"\b(rapid(ly)?|quick(ly)?|fast|by the (hour|minute)|in (a few|just) hours|within hours|every hour|"
                   r"getting bigger and bigger|spreading so fast)\b|迅速|很快|越来越快|一会儿|几个小时", re.IGNORECASE)
_INTENSE = re.compile(r"\b(severe(ly)?|really bad|very bad|so bad|terrible|terribly|awful|horrendous|horrible|worst|"
                      r"excruciating|agony|agonising|agonizing|unbearable|can'?t bear|can'?t stand|intense|extreme(ly)?|"
                      r"crushing|(10|9|8) ?(/|out of) ?10)\b|剧烈|剧痛|厉害|受不了|特别痛|特别疼|非常痛|非常疼|痛死|疼死|要命|撕裂",
                      re.IGNORECASE)
_PAIN_WORDS = {"hurt": "pain", "hurts": "pain", "hurting": "pain", "ache": "pain", "aches": "pain", "aching": "pain",
               "achy": "pain", "painful": "pain"}


def _stem(w: str) -> str:
    for suf in ("ingly", "edly", "ness", "ing", "ion", "ed", "es", "ly", "s", "y"):
        if w.endswith(suf) and len(w) - len(suf) >= 4:
            return w[: -len(suf)]
    return w


@functools.lru_cache(maxsize=1)
def _concept_regex() -> tuple[re.Pattern[str], dict[str, str]]:
    lookup = dict(_concepts())
    forms = [f for f, _ in _concepts()]
    # an English form also stands for its plural ("burn" for "burns")
    alts = [re.escape(f) if _CJK.search(f) else r"(?<![a-z])" + re.escape(f) + r"(?:s|es)?(?![a-z])" for f in forms]
    return _factored(forms) or re.compile("|".join(alts)), lookup


def _factored(forms: list[str]) -> re.Pattern[str] | None:
    """The same pattern as the plain alternation of _concept_regex, written so that re's matcher can skip an
    alternative on its first character: `(?:CJK forms)|(?<![a-z])(?:English forms)(?:s|es)?(?![a-z])`, each group
    in the table's order. The plain one starts every English alternative with the look-behind, so at each position
    re ran all ~1,300 of them (~1 ms per consultation text; 10x that of the factored one, bench/RESULTS.md round 8).
    Equivalent when no CJK form starts with a character an English form starts with: at any position only one
    group can match, the look-behind is the same for every English form, and re tries the forms of a group in
    order, each with its suffix and look-ahead, exactly as it tried the alternatives. None otherwise (the plain
    pattern is used)."""
    cjk = [f for f in forms if _CJK.search(f)]
    en = [f for f in forms if not _CJK.search(f)]
    if not cjk or not en or not all(forms) or {f[0] for f in cjk} & {f[0] for f in en}:
        return None
    return re.compile("(?:" + "|".join(re.escape(f) for f in cjk) + r")|(?<![a-z])(?:"
                      + "|".join(re.escape(f) for f in en) + r")(?:s|es)?(?![a-z])")


def _normalise(text: str) -> str:
    """Lower-cased text with every concept form replaced by its token, in one pass (longest form first)."""
    rx, lookup = _concept_regex()
    # a space either side: the token stays a word of its own next to Chinese characters
    def token(m: re.Match[str]) -> str:
        form = m.group(0)
        return f" {lookup.get(form) or lookup.get(form[:-1]) or lookup[form[:-2]]} "

    return rx.sub(token, text.lower().replace("’", "'"))


def _clause_tokens(clause: str) -> set[str]:
    """Content tokens of one clause; words under a negation cue become "not_<word>"."""
    out: set[str] = set()
    neg_en = _EN_NEG.search(clause)
    neg_start = neg_en.end() if neg_en else None
    # "hands and face fine": the body parts it names are reported as normal ("asthma is mostly ok" still has asthma)
    fine = bool(_FINE_AFTER.search(clause))
    for m in re.finditer(r"c[a-z_]+(?=\s)|[a-z][a-z']+|[" + CJK_RANGE + r"]+", clause + " "):
        tok = m.group(0)
        if _CJK.match(tok):
            for part, negated in _zh_parts(tok):
                for bg in _bigrams(part, keep_single=negated):
                    out.add(f"not_{bg}" if negated else bg)
            continue
        if tok in _concept_tokens():
            # "没有胸闷气短": a cue before a run of concepts denies each of them
            zh_neg = bool(re.search("(没有|没|无|不|未|否认)[出有起见长]?\\s*(c[a-z_]+\\s*)*$", clause[max(0, m.start() - 60):m.start()]))
            denied = zh_neg or (neg_start is not None and m.start() >= neg_start) or (fine and tok in _body_words())
            out.add(f"not_{tok}" if denied else tok)
            continue
        if tok in _GENERIC or _EN_NEG.fullmatch(tok):
            continue
        bare = re.sub(r"'s$", "", tok).strip("'")  # "asthma's been getting worse" is about asthma; "she's" is "she"
        if bare in _GENERIC:
            continue
        stem = _stem(bare)
        stem = _PAIN_WORDS.get(stem, stem)  # "my ear has been hurting" has ear pain
        if len(stem) < 3:
            continue
        denied = (neg_start is not None and m.start() >= neg_start) or (fine and (tok in _body_words() or stem in _body_words()))
        out.add(f"not_{stem}" if denied else stem)
    # a body part and a pain word in one clause are that part's pain, however it is said ("belly has been hurting",
    # "stings like mad when I pee", "肚子一阵阵地疼"); a denied pain ("no tummy pain") is not
    if "pain" in out or _PAINISH.search(clause) and not neg_en:
        for rx, concept in _PART_PAIN:
            if rx.search(clause) and f"not_{concept}" not in out:
                out.add(concept)
    return out


_PAINISH = re.compile(r"\b(?:hurt\w*|ach(?:e|es|ing|y)|sore|burn\w*|sting\w*|cburn|csting|pound\w*|throb\w*)\b|疼|痛")
_PART_PAIN = (
    (re.compile(r"\b(?:belly|stomach|tummy|abdomen|abdominal|gut)\b|肚子|胃|小腹|下腹"), "ctummy_pain"),
    (re.compile(r"\b(?:pee\w*|wee\w*|urin\w*|cpee_trouble|cblood_urine)\b|小便|撒尿|尿尿|排尿"), "curine_pain"),
    (re.compile(r"\bhead\b|脑袋"), "cheadache"),
    (re.compile(r"\bribs?\b|\bribcage\b|肋骨|肋下|胸口|胸部"), "cchest_pain"),  # "sore ribs when I twist": chest (wall) pain
    (re.compile(r"\bthroat\b|嗓子|喉咙"), "csore_throat"),  # "my throat has gone sore"
)


def _zh_parts(run: str) -> list[tuple[str, bool]]:
    """A run of Chinese split at negation cues; the part after a cue (up to 4 characters) is negated."""
    parts: list[tuple[str, bool]] = []
    pos = 0
    for m in _ZH_NEG.finditer(run):
        if m.start() > pos:
            parts.append((run[pos:m.start()], False))
        end = min(len(run), m.end() + 4)
        parts.append((run[m.end():end], True))
        pos = end
    if pos < len(run):
        parts.append((run[pos:], False))
    return parts


def _bigrams(s: str, keep_single: bool = False) -> set[str]:
    s = "".join(ch for ch in s if _CJK.match(ch))
    grams: set[str] = set()
    # function characters end a word: "发热伴咳嗽" has no "热伴", "起水疱" needs no "起", "低血糖时" no "糖时"
    # (a denied single character stays: "走路不稳" is not met by "能走路")
    for seg in _ZH_FUNCTION.split(s):
        if len(seg) > 1:
            grams |= {seg[i:i + 2] for i in range(len(seg) - 1)}
        elif seg and (keep_single or len(s) == 1):
            grams.add(seg)
    return {g for g in grams if g not in _ZH_GENERIC}


_ZH_FUNCTION = re.compile("[的了着和与及或并且也还又就都很太更最把让给在是有要可先时伴起到得之其而但却吧吗呢啊请如]")


def _tokens(text: str) -> set[str]:
    norm = _normalise(text)
    # "hands and face fine": each of them is fine ("and" ends a clause below)
    norm = re.sub(r"\b([a-z_]+)\s+and\s+([a-z_]+)\s+((?:are |look |seem |feel )?(?:fine|ok|okay|normal))\b", r"\1 \3, \2 \3", norm)
    # "my wee is pinkish and it burns": "it" is the same complaint, so the pain stays in its clause
    norm = re.sub(r"\band\s+(?=(?:it|that|this)\s+(?:cburn|csting|burns?|hurts?|stings?|aches?|is (?:sore|painful|agony))\b)", " ", norm)
    out: set[str] = set()
    for clause in _CLAUSE.split(norm):
        if clause and clause.strip():
            out |= _clause_tokens(clause)
    return out


# --- numbers: temperatures, durations, ages, pregnancy ------------------------------------------

_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
              "半": 0.5, "几": 3, "数": 3}
_EN_NUM = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "couple of": 2, "a few": 3, "few": 3,
           "several": 4, "half a": 0.5}
_UNIT_DAYS = {"minute": 1 / 1440, "min": 1 / 1440, "hour": 1 / 24, "hr": 1 / 24, "night": 1, "day": 1, "week": 7,
              "wk": 7, "month": 30, "year": 365, "分钟": 1 / 1440, "小时": 1 / 24, "天": 1, "日": 1, "晚": 1, "周": 7,
              "星期": 7, "礼拜": 7, "个月": 30, "月": 30, "年": 365, "岁": 365}
_EN_NUMBER = r"(\d+(?:\.\d+)?|a couple of|couple of|a few|few|several|half a|an|a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_EN_SPAN = re.compile(_EN_NUMBER + r"(\+|-plus)?\s*(minute|min|hour|hr|night|day|week|wk|month|year)s?\b(\s+(old|of age|pregnant|along|gestation))?",
                      re.IGNORECASE)
_ZH_NUMBER = r"([0-9]+(?:\.[0-9]+)?|[零一二两三四五六七八九十半几数]+)"
_ZH_SPAN = re.compile("(第)?" + _ZH_NUMBER + "(多)?(个多|个)?(分钟|小时|天|日|晚|周|星期|礼拜|个月|月|年|岁)(多)?(大)?")


def _num(s: str) -> float | None:
    s = s.strip().lower()
    if s in _EN_NUM:
        return float(_EN_NUM[s])
    try:
        return float(s)
    except ValueError:
        pass
    if all(ch in _ZH_DIGITS for ch in s):
        if s == "十":
            return 10.0
        if "十" in s:
            a, _, b = s.partition("十")
            # "十六七" is sixteen or seventeen, "二三十" twenty or thirty: a range reads as its lower end
            tens = min((_ZH_DIGITS[ch] for ch in a), default=1)
            ones = min((_ZH_DIGITS[ch] for ch in b), default=0)
            return float(tens * 10 + ones)
        if len(s) == 2 and s[0] != s[1] and "几" not in s and "零" not in s:
            return float(min(_ZH_DIGITS[s[0]], _ZH_DIGITS[s[1]]))  # "两三个月" is two or three months, not 23
        total = 0.0
        for ch in s:
            total = total * 10 + _ZH_DIGITS[ch]
        return total
    return None


@dataclass(frozen=True, slots=True)
class _Span:
    days: float
    kind: str  # "duration" | "age" | "pregnancy"
    start: int
    end: int


def _spans(text: str) -> list[_Span]:
    out: list[_Span] = []
    for m in _EN_SPAN.finditer(text):
        n = _num(m.group(1))
        if n is None:
            continue
        tail = (m.group(5) or "").lower()
        unit = m.group(3).lower()
        kind = "age" if tail in {"old", "of age"} else "pregnancy" if tail in {"pregnant", "along", "gestation"} else "duration"
        before = text[max(0, m.start() - 12):m.start()].lower()
        if kind == "duration" and re.search(r"(aged?|is|baby|child)\s*$", before) and unit in {"week", "month", "year"} \
                and re.match(r"\s*-?old", text[m.end():m.end() + 5]):
            kind = "age"
        if kind == "duration" and re.match(r"[\s-]*old\b", text[m.end():m.end() + 6], re.IGNORECASE):
            kind = "age"
        out.append(_Span(n * _UNIT_DAYS[unit], kind, m.start(), m.end()))
    for m in _ZH_SPAN.finditer(text):
        n = _num(m.group(2))
        if n is None:
            continue
        unit = m.group(5)
        after = text[m.end():m.end() + 2]
        before = text[max(0, m.start() - 2):m.start()]
        kind = "duration"
        if unit == "岁" or m.group(7) or after.startswith("大"):
            kind = "age"
        elif unit in {"周", "个月"} and ("孕" in before or "怀孕" in text[max(0, m.start() - 4):m.start()]):
            kind = "pregnancy"
        extra = 0.5 if (m.group(3) or m.group(6) or (m.group(4) or "") == "个多") else 0.0
        out.append(_Span((n + extra) * _UNIT_DAYS[unit], kind, m.start(), m.end()))
    return out


_TEMP = re.compile(r"(\d{2,3}(?:\.\d)?)\s*(°\s*[cf]|℃|℉|度|degrees?\s*[cf]?|[cf]\b)?", re.IGNORECASE)
_TEMP_WORD = re.compile(r"temp|fever|thermometer|reads|says|体温|发烧|发热|烧到|度", re.IGNORECASE)


_THERMOMETER_AFTER = re.compile(r"[^,.;!?，。；]{0,20}(?:thermometer|under (?:the|his|her|my) arm|armpit|腋下|耳温|额温)", re.I)


def _temperatures(text: str) -> list[float]:
    out: list[float] = []
    text = re.sub(r"(?<!\d)(3\d|4[0-2])度([0-9])(?![0-9])", r"\1.\2度", text)  # "38度5" is 38.5 °C
    for m in _TEMP.finditer(text):
        value = float(m.group(1))
        unit = (m.group(2) or "").lower().replace(" ", "")
        after = text[m.end():m.end() + 12].lower()
        if re.match(r"\s*(/|weeks?|days?|months?|years?|hours?|hrs?|minutes?|mins?|kg|mmhg|breaths|times|%|周|天|个月|岁|小时|分钟)",
                    after) or text[max(0, m.start() - 1):m.start()] == "/":
            continue
        near = text[max(0, m.start() - 30):m.end() + 5]
        if _THERMOMETER_AFTER.match(text, m.end()):
            near += " thermometer"  # "39.3 on the ear thermometer"
        if unit in {"°f", "℉", "f", "degreesf"} or (95 <= value <= 110 and (unit or _TEMP_WORD.search(near))):
            c = (value - 32) * 5 / 9
        elif 34 <= value <= 43 and (unit or _TEMP_WORD.search(near)):
            c = value
        else:
            continue
        if 34 <= c <= 43:
            out.append(round(c, 1))
    return out


_BP = re.compile(r"(?<![\d.])(\d{2,3})\s*(?:/|over)\s*(\d{2,3})(?!\d|\.\d)", re.IGNORECASE)  # "165/104." ends a sentence
_GLUCOSE_CONTEXT = re.compile(r"sugar|glucose|\bbms?\b|mmol|mg\s*/\s*dl|diabet|insulin|metformin|血糖|糖尿病|胰岛素", re.IGNORECASE)
_GLUCOSE_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(mmol(?:\s*/\s*l)?|mg\s*/\s*dl)", re.IGNORECASE)
_GLUCOSE_NEAR = re.compile(r"(?:blood sugars?|sugars?|glucose|\bbms?\b|readings?|meter|血糖)[^0-9。；;!?\n]{0,20}?"
                           r"(\d+(?:\.\d+)?|[一二两三四五六七八九十几]+(?=[多左上了的点，,。；\s]|$))(点几|点[0-9一二三四五六七八九])?(s\b)?",
                           re.IGNORECASE)
_GLUCOSE_HI = re.compile(r"\b(?:says|reads|reading|shows?|just)\s+[\"']?HI\b|\bHI\b[\"']?\s+on\s+(?:the|my|his|her)\s+meter")


def blood_pressures(text: str) -> list[tuple[int, int]]:
    """Systolic/diastolic pairs ("185/110", "160 over 100"): a plausible pair, systolic above diastolic."""
    out: list[tuple[int, int]] = []
    for m in _BP.finditer(text):
        sys_, dia = int(m.group(1)), int(m.group(2))
        if 70 <= sys_ <= 300 and 30 <= dia <= 200 and sys_ > dia:
            out.append((sys_, dia))
    return out


def glucose_values(text: str) -> list[float]:
    """Blood sugar readings in mmol/L ("15.2 mmol", "250 mg/dL", "血糖一直二十几", "readings in the 20s", a meter's HI)."""
    out: list[float] = [33.3] if _GLUCOSE_HI.search(text) else []  # "HI" on a glucose meter: above its range
    if not _GLUCOSE_CONTEXT.search(text):
        return out
    text = _BP.sub(" ", text)
    for m in _GLUCOSE_UNIT.finditer(text):
        v = float(m.group(1))
        out.append(v / 18.0 if m.group(2).lower().startswith("mg") else v)
    for m in _GLUCOSE_NEAR.finditer(text):
        if _GLUCOSE_UNIT.match(text, m.start(1)):
            continue  # counted above with its unit
        after = text[m.end():m.end() + 8].lower()
        if re.match(r"\s*(%|°|℃|度|years?|岁|yrs?|days?|天|weeks?|周|months?|个月|times?|次|hours?|小时|min|分钟|secs?|seconds?|秒|"
                    r"tablets?|tabs?|sweets|jelly|片|粒|颗)", after):
            continue
        parsed = _num(m.group(1))
        if parsed is None or parsed <= 0:
            continue
        v = parsed
        if m.group(2):
            v += 0.5 if m.group(2) == "点几" else (_num(m.group(2)[1:]) or 0) / 10
        out.append(v / 18.0 if v >= 40 else v)  # 40 and above is mg/dL; meters read up to ~33 mmol/L
        upper = re.match(r"\s*(?:-|–|to|到|至)\s*(\d+(?:\.\d+)?)(?!\s*(?:%|°|℃|度|years?|岁|days?|天|weeks?|周|months?|个月|hours?|小时))",
                         text[m.end():m.end() + 12])
        if upper:  # a range ("crept up to 12-14"): its top counts too
            w = float(upper.group(1))
            out.append(w / 18.0 if w >= 40 else w)
    return [round(v, 1) for v in out if 1.0 <= v <= 40.0]


# --- the patient's facts ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Facts:
    """What the ladder compares with the criteria; None where the patient did not say."""

    age_years: float | None
    sex: str | None
    pregnant: bool | None
    pregnancy_weeks: float | None
    temperature_c: float | None
    duration_days: float | None
    tokens: frozenset[str]
    readings: tuple[str, ...] = ()  # numbers the ladder does not interpret
    blood_pressure: tuple[int, int] | None = None  # highest systolic and highest diastolic reported, mmHg
    glucose_mmol: float | None = None  # highest blood sugar reported, mmol/L
    new_medicine: bool = False  # a symptom since starting a medicine (a possible side effect or allergy)
    percent: float | None = None  # the lowest percentage reported ("peak flow about 60% of my best")
    conditions: frozenset[str] = frozenset()  # conditions (not symptoms) the patient names: "heart failure", "epilepsy"
    asks_review: bool = False  # the patient asks for an appointment, a referral, a check or help stopping a medicine
    improving: bool = False  # getting better on its own ("slowly getting better", "在好转"; not "not getting better")
    settled: bool = False  # the patient says it has settled or they are well now ("gone in seconds", "playing fine", "好多了")

    def describe(self, language: str) -> str:
        """The facts that were understood, for the reason text."""
        bits: list[str] = []
        zh = language == "zh"
        if self.age_years is not None:
            bits.append(_age_text(self.age_years, zh))
        if self.pregnant:
            bits.append(("怀孕" + (f"{self.pregnancy_weeks / 7:g}周" if self.pregnancy_weeks else "")) if zh else
                        ("pregnant" + (f" ({self.pregnancy_weeks / 7:g} weeks)" if self.pregnancy_weeks else "")))
        if self.temperature_c is not None:
            bits.append(f"{'体温' if zh else 'temperature '}{self.temperature_c:g} °C")
        if self.duration_days is not None:
            bits.append(_days_text(self.duration_days, zh))
        if self.blood_pressure is not None:
            bits.append(f"{'血压' if zh else 'blood pressure '}{self.blood_pressure[0]}/{self.blood_pressure[1]} mmHg")
        if self.glucose_mmol is not None:
            bits.append(f"{'血糖' if zh else 'blood sugar '}{self.glucose_mmol:g} mmol/L")
        return ("、" if zh else ", ").join(bits)


def _age_text(years: float, zh: bool) -> str:
    if years < 1 / 12:
        v = f"{years * 52:.0f}"
        return f"{v}周大" if zh else f"{v} weeks old"
    if years < 2:
        v = f"{years * 12:.0f}"
        return f"{v}个月大" if zh else f"{v} months old"
    return f"{years:g}岁" if zh else f"aged {years:g}"


def _days_text(days: float, zh: bool) -> str:
    if days < 1:
        v = f"{days * 24:.0f}"
        return f"持续{v}小时" if zh else f"for {v} hours"
    if days >= 365 and days % 365 == 0:  # "five years" was read as 1825 days: say it as the patient did
        return f"持续{days / 365:g}年" if zh else f"for {days / 365:g} year{'s' if days > 365 else ''}"
    return f"持续{days:g}天" if zh else f"for {days:g} days"


_NO_APOSTROPHE = re.compile(r"\b(can|don|won|isn|doesn|didn|couldn|wouldn|hasn|haven|wasn|aren|weren)(t)\b", re.I)


# a span after these words times a habit or a history, not the illness: "I've smoked 20 a day for 30 years",
# "been on metformin for 10 years", "烟龄30年"
_HABIT = re.compile(r"\bsmok\w*|\bcigarett\w*|\bvap(?:e|ed|ing)\b|\bbeen on\b|\bdiagnosed\b|吸烟|抽烟|烟龄|抽了|吸了", re.IGNORECASE)


_CHRONIC = frozenset({"asthma", "chronic obstructive pulmonary disease", "lung cancer", "coronary artery disease", "heart failure",
                      "atrial fibrillation", "angina pectoris", "type 2 diabetes mellitus", "type 1 diabetes mellitus",
                      "chronic kidney disease", "HIV disease", "epilepsy", "rheumatoid arthritis", "brain tumor",
                      "acute myocardial infarction", "stroke", "hypothyroidism", "hyperthyroidism", "bipolar disorder"})
# what a patient asks a clinician for, not about a symptom: "want to find out why I keep getting them", "I'd like to come off
# zopiclone", "ask about the breathing classes", "眼底一年多没查了，想约个时间"
_ASKS_REVIEW = re.compile(
    r"\b(?:want|wanting|like|hoping|need|needs|planning)\s+to\s+(?:find out why|know why|work out why|come off|get off|stop taking|"
    r"cut down|taper|reduce|wean|be referred|get referred|get a referral|book|arrange|have (?:a|my|an) (?:review|check|test|scan|"
    r"referral|appointment)|get (?:a|my|an) (?:review|check|test|scan|referral|appointment)|ask about (?:[\w'-]+\s+){0,5}?"
    r"(?:classes|class|referral|rehab|programme|program|course|tests?|scans?|check|review))|\bcan i (?:be referred|get referred|"
    r"book|get a referral|have a referral)|\b(?:due|overdue) (?:a|my|for (?:a|my)) (?:review|check|check-up)|"
    r"想(?:约|预约|挂号|复查|查一?查|做个?检查|停药|减药|换药|转诊)|约个时间|该不该(?:去)?(?:查|检查)|需不需要(?:去)?(?:查|检查|复查)|"
    # talking a plan through: "want to talk to someone about coming off it", "ask about getting them out", "how do I get
    # on them" (classes), "her yearly check is due", "想看看有没有预防的办法"
    r"\b(?:talk|speak|chat) to (?:someone|somebody|a doctor|the doctor|my doctor|a gp|my gp|a nurse|the nurse) about|"
    r"\bask about (?:getting|having|starting|stopping|coming off)|\bhow (?:do|can) i get (?:on|onto|referred|a referral)\b|"
    r"\b(?:check|review|check-up|checkup) (?:is|was) (?:due|overdue)|\b(?:review|check|check-up) (?:hasn't|has not|hasnt) happened|"
    r"想看看有没有(?:预防|根治|治疗|别的)?的?(?:办法|方法)|想咨询一下|想问问(?:医生|大夫)",
    re.IGNORECASE)
# a count of episodes ("三回", "好几次", "3 hypos", "several times")
_EPISODES = re.compile(r"(?:\d+|[两三四五六七八九十几]|好几|很多)\s*(?:回|次)|\b(?:\d+|two|three|four|five|six|several|a few|few|many)\s+"
                       r"(?:hypos|lows|times|episodes)\b", re.IGNORECASE)
# getting better on its own (a denied one, "not getting better", is cnot_improving, which _improving checks)
_IMPROVING = re.compile(
    r"\b(?:getting better|getting less|improving|better each day|easing off|on the mend|settling down)\b|"
    r"正在好转|在好转|慢慢好转|逐渐好转|一天比一天好|慢慢减轻", re.IGNORECASE)
_NOT_BEFORE = re.compile(r"\b(?:not|no|never|isn't|isnt|hasn't|hardly|barely)\b[^,.;]{0,12}$|[没不未]\S{0,2}$", re.IGNORECASE)


def _says_improving(text: str) -> bool:
    """"slowly getting better", "在好转"; not "not really improving", "没在好转"."""
    return any(not _NOT_BEFORE.search(text[max(0, m.start() - 20):m.start()]) for m in _IMPROVING.finditer(text))


# it has settled, or the patient is well now: a nurse line reassures and gives the guideline's self-care. Not "feeling
# fine" on its own (people say it of a long-term condition while asking about a review or a new sign)
_SETTLED = re.compile(
    r"\b(?:(?:is|was|am|feel|feels|felt|seems?|all|now|otherwise|absolutely|totally|perfectly) fine(?: now| since| again)?|"
    r"fine (?:once|after|again|now|since|by)|gone in (?:a few )?(?:seconds|a second|a minute|minutes)|went away|(?:has|had) gone (?:away|now)|"
    r"settled|back to (?:normal|herself|himself|themselves|my usual)|(?:much|a lot|loads) better|better now|"
    r"(?:is|was|now|still|happily|been|back to) playing\b(?! (?:football|sport|rugby|tennis|netball|5-a-side|basketball|squash))|"
    r"playing (?:happily|normally|fine|as usual|and (?:drinking|eating))|running around|crawling about|same as always|"
    r"as (?:it )?always (?:is|does|has been))\b|"
    r"好了|好多了|好一点了|好些了|没事了|啥事没有|没什么事|就好|缓过来|恢复正常|又跑又跳|又蹦又跳|跑来跑去|满屋子跑|有说有笑|能吃能睡|能吃能喝|"
    r"玩得挺好|照常玩|跟平时一样", re.I)
# after a birth (not a concept of the terms table: the guidelines' own "after birth" wording must stay as it is)
_POSTNATAL = re.compile(r"\b(?:given birth|gave birth|had my baby|since (?:the birth|having (?:the|my) baby|i had (?:the|my) baby)|"
                        r"after the birth|post-?natal|post-?partum)\b|生完(?:孩子|宝宝)|生了孩子|产后|坐月子|月子里|出了月子", re.I)
# a woman's own baby of weeks or months ("my baby is 5 weeks old", "宝宝两个月大"): she gave birth within the year
_OWN_BABY = re.compile(r"\b(?:my )?(?:baby|newborn|son|daughter|little one) (?:is|was born) (?:\d+|a few|two|three|four|five|six|seven|eight|nine|ten|eleven) "
                       r"(?:weeks?|months?)(?: old| ago)?\b|(?:宝宝|孩子|娃)(?:才|刚)?(?:\d+|[一二两三四五六七八九十]+)(?:个)?(?:周|星期|月)大?", re.I)
_SAYS_MALE = re.compile(r"\b(?:i'?m|i am) (?:a )?(?:\d+ ?(?:yo |year old |y/o )?)?(?:bloke|man|guy|male|lad|chap|gentleman)\b|我是男|男的，|男，", re.I)
_SAYS_FEMALE = re.compile(r"\b(?:i'?m|i am) (?:a )?(?:\d+ ?(?:yo |year old |y/o )?)?(?:woman|female|lady|girl)\b|我是女|女的，|女，", re.I)
_LOST_WEIGHT = re.compile(r"\b(?:lost|dropped|down) (?:about |almost |nearly |over |around )?(?:\d+(?:\.\d+)?|a|a few|several|some|a lot of|"
                          r"half a|two|three|four|five|six) ?(?:kg|kgs|kilos?|kilograms?|pounds?|lbs?|stone|st)\b|(?:瘦|掉|轻)了[\d一二两三四五六七八九十几]+(?:来|多)?(?:斤|公斤)",
                          re.I)
_ASKS_REVIEW_TEXT = {"zh": "您想请医生评估或安排检查", "en": "you ask for a review, a referral or help with a medicine"}
_STILL = re.compile(r"\bstill\b|\beven after\b|\bdespite\b|还是|仍然|仍|也没退|没退|不退", re.IGNORECASE)
_FEVER_MEDICINE = re.compile(r"calpol|paracetamol|acetaminophen|tylenol|panadol|nurofen|ibuprofen|motrin|advil|fever medicine|"
                             r"退烧药|退热药|美林|泰诺林|布洛芬|对乙酰氨基酚|扑热息痛", re.IGNORECASE)
_NEGATED_BEFORE = re.compile(r"\b(?:no|not|never|without|don't have|do not have)\b[^,.;]*$|(?:没有|没|无|不是)\s*$", re.I)


def extract_facts(symptoms: str, *, age: float | None = None, sex: str | None = None, pregnant: bool | None = None,
                  duration: str | None = None) -> Facts:
    """Numbers and words of the patient's own text, with the request's structured fields taking precedence."""
    symptoms = _NO_APOSTROPHE.sub(r"\1'\2", symptoms)  # "cant put any weight on it" is "can't"
    if sex is None:  # "I'm a bloke and it burns when I pee": the patient's own word for their sex
        sex = "male" if _SAYS_MALE.search(symptoms) else "female" if _SAYS_FEMALE.search(symptoms) else None
    text = " ".join(t for t in (symptoms, duration or "") if t)
    spans = _spans(text)
    if pregnant or (pregnant is None and re.search(r"\bpregnant\b|怀孕|孕\d|孕期", text, re.IGNORECASE)):
        # "32 weeks, my palms are itchy" / "31 wks pregnant": in pregnancy a bare count of weeks is how far along she is,
        # unless it says how long something has lasted ("for 3 weeks", "since 2 weeks ago")
        spans = [_Span(s.days, "pregnancy", s.start, s.end)
                 if s.kind == "duration" and text[s.start:s.end].rstrip().lower().endswith(("week", "weeks", "wk", "wks", "周"))
                 and 28 <= s.days <= 42 * 7 and not re.search(r"(?:for|last|past|over|since|about|almost|nearly|持续|已经|了)\s*$",
                                                              text[max(0, s.start - 8):s.start], re.IGNORECASE)
                 and not re.match(r"\s*(?:ago|now|之前|前|了)", text[s.end:s.end + 6]) else s for s in spans]
    ages = [s.days / 365 for s in spans if s.kind == "age"]
    preg = [s.days for s in spans if s.kind == "pregnancy"]
    durations = [s.days for s in spans if s.kind == "duration" and not re.search(r"\bago\b|之前|前$", text[s.end:s.end + 5])
                 and not _HABIT.search(re.split(r"[,.;!?，。；！？]", text[max(0, s.start - 40):s.start])[-1])]
    if re.search(r"\bstill\b|\bkeeps?\b|\bsince\b|还是|仍然|一直|从那以后|到现在", text, re.IGNORECASE):
        # "twisted my knee 6 weeks ago, it still clicks": what is still there has lasted since then (and so has
        # "back from Egypt 4 days ago, had the runs ever since")
        durations += [s.days for s in spans if s.kind == "duration" and re.search(r"\bago\b|之前|前$", text[s.end:s.end + 5])]
    # "孩子十个月了" with age 0.83 is the child's age, not how long the illness has lasted
    known_age = age if age is not None else (ages[0] if ages else None)
    if known_age is not None and known_age > 0:
        durations = [d for d in durations if d < 28 or abs(d - known_age * 365) > max(15.0, 0.05 * known_age * 365)]
    low = text.lower()
    if re.search(r"since yesterday|from yesterday|昨天", low):
        durations.append(1.0)
    if re.search(r"\bsince (?:last )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|the weekend)\b|上周[一二三四五六日天]|"
                 r"礼拜[一二三四五六天日]|星期[一二三四五六天日]", low):
        durations.append(3.0)  # a weekday ago: at least a couple of days, usually more (the middle of the range)
    if re.search(r"\bsince last week\b|上个?星期|上个?礼拜|上周", low):
        durations.append(7.0)
    if re.search(r"since this morning|since last night|今天|this morning", low):
        durations.append(0.5)
    temps = _temperatures(text)
    is_pregnant = pregnant
    said = any(not denies_pregnancy(low, m.start()) for m in re.finditer(r"\bpregnant\b|怀孕|孕\d|孕期", low))
    if is_pregnant is None and (preg or said):
        is_pregnant = True
    tokens = set(_tokens(symptoms))
    if _INTENSE.search(symptoms):
        tokens.add("severe")  # "really bad", "unbearable", "痛得受不了": the patient says how bad it is
    if _FAST.search(symptoms):
        tokens.add("rapid")  # "spreading fast", "by the hour", "越来越快": the patient says how fast it goes
    if _breathless_on_exertion_only(symptoms):
        tokens.add("breath_on_exertion")
    if "crefuse_drink" in tokens:
        tokens.add("cdrink_less")  # refusing to drink is drinking less too ("your child is not drinking well")
    if _LOST_WEIGHT.search(symptoms):
        tokens.add("cweight_loss")  # "I've lost 5 kilos", "瘦了十来斤"
    if is_pregnant:
        tokens.add("pregnant")  # the request's flag says it as well as the word would ("if you are pregnant:" lists)
    if "cweak_immune" in tokens or (age is not None and age >= 65) or pregnant:
        tokens.add("chigh_risk")  # "if you test positive and are at higher risk"
    t = max(temps) if temps else None
    if _FEVER_MEDICINE.search(text) and (t is not None and t >= 38.0 and _STILL.search(text) or "cnot_improving" in tokens):
        tokens.add("cnot_come_down")  # "gave calpol 2 hours ago and it's still 103.6F": the fever will not come down
    if t is not None and t >= 38.0:
        tokens.add("cfever")
        if t >= 39.0:
            tokens.add("high")
    # what is left of the numbers once ages, durations and temperatures are taken out
    pressures = blood_pressures(text)
    sugars = glucose_values(text)
    if sugars and min(sugars) < 3.9:
        tokens.add("chypo")  # a reading below 3.9 mmol/L is a hypo, whatever the patient calls it
    if "chypo" in tokens and _EPISODES.search(text):
        tokens.add("crecur")  # "这个月已经低血糖三回了", "3 hypos this week": lows that keep happening are frequent lows
    rest = _TEMP.sub(lambda m: " " if _temperatures(m.group(0) + " fever") else m.group(0), text)
    if pressures:
        rest = _BP.sub(" ", rest)
    if sugars:
        rest = _GLUCOSE_UNIT.sub(" ", rest)
        rest = _GLUCOSE_NEAR.sub(" ", rest)
    for sp in sorted(spans, key=lambda x: -x.start):
        rest = rest[:sp.start] + " " + rest[sp.end:]
    readings = tuple(m.group(0) for m in re.finditer(r"\d+(?:\.\d+)?(?:\s*/\s*\d+)?", rest)
                     if "/" in m.group(0) or "." in m.group(0))
    from rag.terms import lexicon

    named = frozenset(m.name for m in lexicon.conditions_in(symptoms) if m.kind == "condition"
                      and not _NEGATED_BEFORE.search(symptoms[max(0, m.start - 12):m.start]))
    if _POSTNATAL.search(symptoms) or (sex == "female" and age is not None and age >= 16 and _OWN_BABY.search(symptoms)):
        tokens.add("cpostnatal")  # a mother telling us her baby is 5 weeks old: she gave birth within the year
    if named & _CHRONIC:
        tokens.add("clong_term")  # "I have heart failure": a long-term condition, as the guidelines' criteria say
    return Facts(conditions=named, age_years=age if age is not None else (min(ages) if ages else None), sex=sex, pregnant=is_pregnant,
                 new_medicine=_after_new_medicine(symptoms), percent=_lowest_percent(symptoms),
                 asks_review=bool(_ASKS_REVIEW.search(symptoms)), settled=bool(_SETTLED.search(symptoms)),
                 improving=_says_improving(symptoms),
                 pregnancy_weeks=max(preg) if preg else None, temperature_c=t,
                 duration_days=max(durations) if durations else None, tokens=frozenset(tokens), readings=readings,
                 blood_pressure=(max(p[0] for p in pressures), max(p[1] for p in pressures)) if pressures else None,
                 glucose_mmol=max(sugars) if sugars else None)


_BREATH = re.compile(r"breath\w*|puffed|winded|气短|气促|喘", re.IGNORECASE)
_EXERTION = re.compile(r"walk\w*|stairs|upstairs|uphill|hills?\b|exercis\w*|running|jogging|gym|climb\w*|走快|走路|走几步|上楼|爬楼|"
                       r"爬坡|运动|活动后|干活", re.IGNORECASE)
# at rest or on the slightest effort (walking to the loo, getting dressed) is breathlessness at rest
_AT_REST = re.compile(r"at rest|sitting|lying|even when|talking|can'?t (?:speak|talk|finish)|to the (?:loo|toilet|bathroom)|"
                      r"getting dressed|across the room|静息|坐着|躺着|休息时|说话|上厕所|穿衣", re.IGNORECASE)


def _breathless_on_exertion_only(symptoms: str) -> bool:
    """Every mention of breathlessness comes with exertion ("puffed going upstairs", "走快一点就气短") and none with rest."""
    parts = [c for c in re.split(r"[,.;!?，。；！？]|\bbut\b", symptoms) if _BREATH.search(c)]
    return bool(parts) and all(_EXERTION.search(c) and not _AT_REST.search(c) for c in parts)


_STARTED = re.compile(r"\b(?:started|starting|began|begun|since (?:i )?(?:started|starting|going on|taking)|put me on|switched to|"
                      r"changed to|new (?:tablets?|medicines?|medication|pills?))\b|开始吃|开始服|开始用|换了.{0,4}药|新开的药|新换的药",
                      re.IGNORECASE)
_MEDICINE_WORD = re.compile(r"\b(?:tablets?|pills?|medicines?|medications?|antibiotics?|capsules?|inhalers?|injections?|"
                            r"the pill|statins?|jabs?|vaccines?)\b|药|针", re.IGNORECASE)


def _lowest_percent(symptoms: str) -> float | None:
    values = [float(a or b) for a, b in _PERCENT.findall(symptoms)]
    return min(values) if values else None


def _after_new_medicine(symptoms: str) -> bool:
    """A new symptom after starting a medicine ("started amoxicillin 2 days ago, now a rash all over")."""
    from rag.terms import lexicon

    started = _STARTED.search(symptoms)
    if not started:
        return False
    return bool(lexicon.find_drugs(symptoms) or _MEDICINE_WORD.search(symptoms))


# --- criteria from guideline passages -----------------------------------------------------------

_POINTER = re.compile(r"red flag|any emergency|emergencies (go|need|belong)|emergency symptoms need|任何危险信号|出现危险信号|属于急症", re.IGNORECASE)
_URGENT_CUE = re.compile(r"same[- ]day|same or next day|today|urgently|urgent medical|immediate|straight away|right away|"
                         r"minor injuries unit|emergency department|within 24 hours|当天|立即|急诊|马上", re.IGNORECASE)
_SOON_CUE = re.compile(r"\bsoon\b|sooner|prompt(ly)?\b|within days|\bearly\b|within (the first )?(a )?few days|within \d+ days|尽快|及早|尽早|几天内|数天内", re.IGNORECASE)
_ROUTINE_CUE = re.compile(r"\bregular(ly)?\b|review|yearly|every \d|keep(s)? coming back|keep getting|coming back|frequent|"
                          r"several a week|most days|routine appointment|定期|每年|每\s*\d|反复|频繁|每周数次|越来越|预约|复查", re.IGNORECASE)
_SEEK_VERB = re.compile(r"\b(see|contact|call|seek|go to|ask|book|arrange|needs? (urgent )?(medical )?(assessment|checking|review)|"
                        r"should be checked|tell your)\b|就医|就诊|找医生|看医生|到.{0,6}(科|门诊)", re.IGNORECASE)
_WORD_AGE = (  # most specific first: a matched phrase is taken out before the next is looked for
    (re.compile(r"newborn|新生儿"), 0.0, 0.1),
    (re.compile(r"older adults?|老人|老年"), 65.0, 200.0),
    (re.compile(r"young child(ren)?|toddlers?|婴幼儿|幼儿"), 0.0, 5.0),
    (re.compile(r"\bbab(y|ies)\b|\binfants?\b|小婴儿|婴儿"), 0.0, 1.0),
    (re.compile(r"\bchild(ren)?\b|\bkids?\b|儿童|孩子"), 0.0, 16.0),
    (re.compile(r"\badults?\b|成人"), 16.0, 200.0),
)


@dataclass(frozen=True, slots=True)
class _Clause:
    text: str
    tokens: frozenset[str]
    min_temp: float | None
    min_days: float | None
    age_range: tuple[float, float] | None
    needs_pregnant: bool
    needs_sex: str | None
    routine_cue: bool
    head: str = ""
    min_bp: tuple[int, int] | None = None
    glucose: tuple[str, float] | None = None
    max_percent: float | None = None  # "below 50% of your best": a reading at or above this does not meet the clause
    needs_new_medicine: bool = False  # "... sore mouth or eyes after a new medicine": only since a new medicine
    needs_word: str = ""  # "... after taking paracetamol": the patient must name it


@dataclass(frozen=True, slots=True)
class Criterion:
    """One "when to get care" statement of a guideline, with the level it stands for and why."""

    text: str
    level: str
    level_why: str
    passage: Passage
    clauses: tuple[_Clause, ...]
    lead_tokens: frozenset[str] = frozenset()
    # every clause's tokens: the whole sentence's words, for a clause that is a fragment of a list (set once:
    # criteria are parsed once per passage and matched on every consultation)
    tokens: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", frozenset().union(*(cl.tokens for cl in self.clauses)))


@functools.lru_cache(maxsize=4096)  # a guideline heading path: a few thousand at most
def _section_role(section: str) -> str:
    """red_flag / self_care / seek_care / other, from the last heading (the same heading table ingest uses for roles)."""
    role = heading_role(section.split(">")[-1])
    return role if role in {"red_flag", "self_care", "seek_care"} else "other"


def _statements(text: str) -> list[tuple[str, str]]:
    """(lead-in, statement) pairs: list items carry the line that introduced them, sentences stand alone."""
    out: list[tuple[str, str]] = []
    lead = ""
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        # PDF text wraps mid-sentence: a line that neither starts an item nor follows a finished one continues it
        if line and lines and lines[-1] and not re.match(r"^([-*•]|\d+[.)])\s+", line) \
                and not lines[-1].endswith((".", "。", ":", "：", "!", "?", "；", ";")):
            lines[-1] = f"{lines[-1]} {line}"
        else:
            lines.append(line)
    for line in lines:
        if not line:
            continue
        item = re.match(r"^([-*•]|\d+[.)])\s+", line)
        body = line[item.end():] if item else line
        body = body.replace("**", "")
        if item:
            out.append((lead, body))
            continue
        sentences = [s.strip() for s in re.split(r"(?<=[.!?。！？])(?!\d)\s*", body) if s.strip()]  # not inside "7.0"
        for s in sentences:
            out.append(("", s))
        lead = body if body.endswith((":", "：")) else ""
    return out


def _age_constraint(text: str) -> tuple[float, float] | None:
    # "your baby's movements slow down" in pregnancy is about the unborn baby, not a patient under one
    low = re.sub(r"\b(?:your |the )?bab(?:y|ies)(?:'s|’s)?\s+(?:movements?|moving|kicks?|kicking|heartbeat)|胎动", " ", text.lower())
    lo, hi = None, None
    m = re.search(r"(under|younger than|less than|below)\s+(\d+)\s*(week|month|year)s?", low) or \
        re.search(r"(\d+)\s*(个月|岁|周)(以下|以内)", low)
    if m:
        if m.re.pattern.startswith("(under"):
            n, unit = float(m.group(2)), m.group(3)
        else:
            n, unit = float(m.group(1)), m.group(2)
        hi = n * {"week": 7, "month": 30, "year": 365, "个月": 30, "岁": 365, "周": 7}[unit] / 365
    m = re.search(r"(over|older than|aged over|above)\s+(\d+)", low) or re.search(r"(\d+)\s*岁(以上|以后)", low)
    if m:
        lo = float(m.group(2) if m.re.pattern.startswith("(over") else m.group(1))
    m = re.search(r"(\d+)\s*(?:to|–|-|至)\s*(\d+)\s*(months?|个月)", low)
    if m and not re.search(r"(every|each|每)\s*$", low[:m.start()]):  # "每3–6个月查一次" is how often, not an age
        lo, hi = float(m.group(1)) * 30 / 365, float(m.group(2)) * 30 / 365
    if lo is None and hi is None:
        for rx, a, b in _WORD_AGE:
            if rx.search(low):
                lo = a if lo is None else min(lo, a)
                hi = b if hi is None else max(hi, b)
                low = rx.sub(" ", low)
    if lo is None and hi is None:
        return None
    return (lo or 0.0, hi or 200.0)


def _temp_constraint(text: str) -> float | None:
    if not re.search(r"or higher|or more|or above|and above|≥|以上|及以上|或更高|达到|above|over", text, re.IGNORECASE):
        return None
    temps = _temperatures(text.replace("≥", " "))
    return min(temps) if temps else None


def _days_constraint(text: str) -> float | None:
    # (words, not pieces of words: "overdue" says nothing about how long)
    if not re.search(r"\b(?:more than|longer than|over|at least|or more|after|lasts?|lasting)\b|持续|超过|以上|及以上|多于|未见好转|还没好",
                     text, re.IGNORECASE):
        return None
    # minutes and seconds time an event ("a fit longer than 5 minutes"), not how long the illness lasted
    days = [s.days for s in _spans(text) if s.kind == "duration" and s.days >= 1 / 24]
    if re.search(r"a few days", text, re.IGNORECASE):
        days.append(3.0)
    if re.search(r"a few weeks", text, re.IGNORECASE):
        days.append(21.0)
    return min(days) if days else None


_MORE = r"(?:or higher|or above|or more|and above|及以上|以上|或更高)"
_BP_LIMIT = re.compile(r"(≥|above|over|at least|达到|超过|高于)?\s*(\d{2,3})\s*/\s*(\d{2,3})\s*(?:mm\s*hg)?\s*" + _MORE + "?",
                       re.IGNORECASE)
_GLUCOSE_LIMIT = re.compile(r"(≥|above|over|higher than|more than|at least|高于|超过|below|under|less than|lower than|低于|<)?\s*"
                            r"(\d+(?:\.\d+)?)\s*(mmol(?:\s*/\s*l)?|mg\s*/\s*dl)\s*(?:\([^)]*\)|（[^）]*）)?\s*(" + _MORE + "|以下)?",
                            re.IGNORECASE)


_PERCENT_LIMIT = re.compile(r"(?:below|under|less than|lower than|低于|不到|<)\s*(\d+(?:\.\d+)?)\s*%")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%|百分之(\d+(?:\.\d+)?)")


def _percent_constraint(text: str) -> float | None:
    """A percentage ceiling ("peak flow below 50% of your best")."""
    m = _PERCENT_LIMIT.search(text)
    return float(m.group(1)) if m else None


def _bp_constraint(text: str) -> tuple[int, int] | None:
    """A blood pressure threshold ("180/120 mmHg or higher", "≥140/90"): met when either number is reached."""
    for m in _BP_LIMIT.finditer(text):
        if m.group(1) or m.group(0).rstrip().lower().endswith(("higher", "above", "more", "以上", "更高")):
            return int(m.group(2)), int(m.group(3))
    return None


def _glucose_constraint(text: str) -> tuple[str, float] | None:
    """A blood sugar threshold in mmol/L: ("ge", 15.0) for "above 15 mmol/L", ("le", 3.9) for "below 3.9 mmol/L"."""
    for m in _GLUCOSE_LIMIT.finditer(text):
        v = float(m.group(2)) / (18.0 if m.group(3).lower().startswith("mg") else 1.0)
        cue, tail = (m.group(1) or "").lower(), (m.group(4) or "")
        if cue in {"below", "under", "less than", "lower than", "低于", "<"} or tail == "以下":
            return "le", round(v, 1)
        if cue or tail:
            return "ge", round(v, 1)
    return None


# numbers with their units and comparison words are checked as numbers, not as words
_NUMERIC_PHRASE = re.compile(
    r"(more than|longer than|less than|at least|after about|after|about|under|over|above|持续|超过|达到|多于|第)?\s*"
    r"[0-9零一二两三四五六七八九十半几数.]+\s*(°\s*[cf]|℃|℉|度|minutes?|hours?|days?|nights?|weeks?|months?|years?|分钟|小时|天|日|周|星期|"
    r"个多月|个月|月|年|岁)?\s*(old|or higher|or more|or above|and above|及以上|以上|以下|或更高|以内)?|≥|a few (days|weeks)",
    re.IGNORECASE)
_ACTION_PHRASE = re.compile(r"应当|应该|也要|需要|就医|就诊|找医生看|找医生|看医生|当天|立即|马上|尽快|尽早|及早|体温|(?<!high )\btemperature\b")
_DEPT_PHRASE = re.compile(r"(看|到|去)[^，；。、]{0,10}(科|门诊|医院|中心)")


_MALE_BODY = re.compile(r"\btestic\w*|\btestes\b|\btestis\b|\bscrot\w*|\bpenis\b|睾丸|阴囊|阴茎", re.I)
_FEMALE_BODY = re.compile(r"\bvagina\w*|\bvulva\w*|\bwomb\b|\bmenstrua\w*|\bperiods?\b|阴道|外阴|月经", re.I)


_NEW_MED = re.compile(r"after (?:starting |taking )?(?:a )?new (?:medicine|medication|drug|tablets?)|(?:用|服用|吃)(?:了)?新药后", re.I)
_OPENS_WITH_GROUP = re.compile(r"\s*(?:新生儿|小婴儿|婴幼儿|婴儿|幼儿|儿童|老年人|老人|(?:an? |the |your )?(?:newborns?|bab(?:y|ies)|infants?|"
                               r"young child(?:ren)?|toddlers?|older adults?)\b)", re.I)


_WORD_OR_WORD = re.compile(r"^(.*?)\b([a-z][\w-]+) or ([a-z][\w-]+)\b(.*)$", re.IGNORECASE | re.DOTALL)
_NOT_A_NOUN = frozenset("a an the your you if it they this that any other more less if when which who".split())
_VERB_NEXT = re.compile(r"\s+(?:has|have|had|is|are|was|were|gets?|getting|got|spreads?|spreading|keeps?|lasts?|lasting|"
                        r"becomes?|becoming|that|which|who|does|do|did|will|won't|doesn't|hasn't|isn't|looks?|feels?)\b", re.I)
_PREP_BEFORE = re.compile(r"\b(?:around|in|on|after|near|from|of|to|into|at|under|over)\s+(?:the |a |an |your |his |her )?$", re.I)


def _distribute_or(m: re.Match[str]) -> str:
    """One list segment with "X or Y" between two single words that share the phrase around them, as two alternatives."""
    seg = m.group(0)
    w = _WORD_OR_WORD.match(seg)
    if not w or w.group(2).lower() in _NOT_A_NOUN or w.group(3).lower() in _NOT_A_NOUN:
        return seg
    head, x, y, tail = w.groups()
    tail_is_bracket = not tail.strip() or tail.strip().startswith("(")
    if _VERB_NEXT.match(tail) or (_PREP_BEFORE.search(head) and tail_is_bracket):
        return f"{head}{x}{tail} or {head}{y}{tail}"
    return seg


def _clauses(statement: str) -> tuple[_Clause, ...]:
    # the "if ..." part holds the conditions; a lead like "See your doctor if" is not a condition
    # ("for" a purpose is not the condition: "seek emergency care for medical support if ...")
    body = re.split(r"\bif\b|\bfor\b(?! \d)(?!\s+(?:medical |urgent |emergency |expert |specialist |professional )?"
                    r"(?:support|advice|assessment|review|help|checking|tests?|testing|treatment|care|an? (?:assessment|review|check|"
                    r"test|prescription|referral))\b)|如果|出现以下", statement, maxsplit=1, flags=re.IGNORECASE)
    has_head = len(body) == 2 and len(body[1]) > 8 and bool(_SEEK_VERB.search(body[0]))
    conditions = body[1] if has_head else statement
    head = body[0] if has_head else ""
    conditions = re.sub(r"^\s*,?\s*(or\s+)?if\b", " ", conditions)
    # a bracket names examples or a cause ("（出血点、瘀斑）"): its commas do not make new alternatives
    conditions = re.sub(r"（[^）]*）", lambda m: m.group(0).replace("、", "/").replace("，", "/"), conditions)
    conditions = re.sub(r"\([^)]*\)", lambda m: re.sub(r"\bor\b|,", "/", m.group(0)), conditions)
    # "the bite or sting has not started to get better", "redness spreads around the bite or sting": the "or" joins two
    # words, not two conditions; each word gets the rest of the phrase
    conditions = re.sub(r"[^;,；，、]+", _distribute_or, conditions)
    # a group that opens a list of what it is ("A baby or young child who is floppy, unusually sleepy, or refusing to drink")
    # holds for every part
    who = re.match(r"\s*(?:an? |the |your )?((?:bab(?:y|ies)|infants?|young child(?:ren)?|child(?:ren)?|toddlers?|older adults?)"
                   r"(?: or (?:an? )?(?:bab(?:y|ies)|infants?|young child(?:ren)?|child(?:ren)?|toddlers?))?)\s+who (?:is|are|has|have)\b",
                   conditions, re.IGNORECASE)
    who_age = _age_constraint(who.group(1)) if who else None
    if who and who_age is not None and re.search(r",|、|，", conditions[who.end():]):
        conditions = conditions[who.end():]
    else:
        who_age = None
    parts = [p for p in re.split(r"[;；、]|,(?![^()]*\))|，|\bor\b(?!\s+(?:higher|more|above|older|over|less|longer|worse))|或(?!更)",
                        conditions) if p and p.strip()]
    # "painful skin with blistering or peeling and sore mouth or eyes after a new medicine": every part of that list
    # (up to its semicolon) is about a new medicine
    new_med = [p.strip() for seg in re.split(r"[;；]", conditions) if _NEW_MED.search(seg)
               for p in re.split(r"、|,(?![^()]*\))|，|\bor\b|或", seg) if p and p.strip()]
    # "Yellowing of the skin or eyes, or pain under the right ribs after taking paracetamol": only after that medicine
    after_drug = [(p.strip(), m.group(1).lower()) for seg in re.split(r"[;；]", conditions)
                  if (m := re.search(r"\bafter (?:taking|using|starting) ([a-z]{4,})", seg, re.I)) and m.group(1).lower() not in {"a", "new"}
                  for p in re.split(r"、|,(?![^()]*\))|，|\bor\b|或", seg) if p and p.strip()]
    # "婴儿咳嗽时憋气、发紫或呼吸暂停": a list that opens with who it is about holds for that group in every part
    if len(parts) > 1 and _OPENS_WITH_GROUP.match(parts[0]) and not any(_age_constraint(p) for p in parts[1:]):
        group_age = _age_constraint(parts[0])
    else:
        group_age = None
    # "swelling, redness or pain in your leg": the closing place belongs to every short part before it
    place = re.search(r"\s(?:in|on|around|of) (?:your|the|a|one|his|her) [a-z]+\s*$", parts[-1]) if len(parts) > 1 else None
    if place and place.group(0).split()[-1].lower() in _body_words() | {"legs", "leg", "arm", "arms", "chest", "calf"}:
        parts = [p if p is parts[-1] or len(p.split()) > 2 or any(w.lower() in _body_words() for w in p.split())
                 else f"{p.rstrip()}{place.group(0)}" for p in parts]
    # "burns to the face, hands, ... that cause blisters": the closing qualifier belongs to every part
    qualifier = re.search(r"\b(that|which|who)\b.*$", parts[-1]) if len(parts) > 1 else None
    if qualifier:
        parts = [p if p is parts[-1] or re.search(r"\b(that|which|who)\b", p) else f"{p} {qualifier.group(0)}" for p in parts]
    # "In pregnancy, a reading of 140/90 or higher, or a severe headache ...": the opening group holds for every part
    pregnant_all = bool(re.match(r"\s*(in pregnancy|during pregnancy|if you are pregnant|you are pregnant and|you're pregnant and|"
                                 r"pregnant women|孕妇|怀孕|孕期)", conditions, re.IGNORECASE))
    # a sentence about one sex's organs ("pain in a testicle, especially with swelling") holds for that sex only
    male, female = bool(_MALE_BODY.search(statement)), bool(_FEMALE_BODY.search(statement))
    sex_all = "male" if male and not female else "female" if female and not male else None
    # so does an opening age group ("In older adults, severe pain spreading to the back")
    opening = re.fullmatch(r"\s*(?:in|for)\s+([a-z ]{3,30})\s*", parts[0], re.IGNORECASE) if len(parts) > 1 else None
    age_all = _age_constraint(opening.group(1)) if opening else None
    if age_all is not None:
        parts = parts[1:]
    if who_age is not None and age_all is None:
        age_all = who_age
    if pregnant_all and len(parts) > 1 and re.fullmatch(r"\s*(?:in|during) pregnancy\s*|\s*孕期\s*|\s*怀孕期间\s*", parts[0], re.I):
        parts = parts[1:]  # "In pregnancy," opens the sentence; it is not a criterion of its own
    # "unlike normal morning sickness" says what the sign is not
    parts = [p for p in parts if not re.match(r"\s*(?:unlike|other than|except|apart from)\b", p, re.I)] or parts
    if not head:
        # "体检发现空腹血糖≥7.0 mmol/L时，请预约门诊复查": a part that only says what to do is the head of the others
        head = " ".join(p for p in parts if re.match(r"\s*(请|需要|应当|应该|应|建议)", p))
    out: list[_Clause] = []
    for raw in parts:
        text = raw.strip(" .。:：")
        if len(text) < 2:
            continue
        age_range = _age_constraint(text) or age_all or group_age
        # a bracketed label ("(chronic)", "（可能是肺栓塞）") names the cause, not something the patient says
        words_only = _NUMERIC_PHRASE.sub(" ", _DEPT_PHRASE.sub(" ", re.sub(r"\([^)]*\)|（[^）]*）", " ", text)))
        # what to do and how soon ("应当天找医生看") is not something the patient has; Chinese has no spaces to
        # keep those words apart from the condition's, so they go before the text is cut into character pairs
        words_only = _ACTION_PHRASE.sub(" ", words_only)
        # "an obvious focus such as painful urination": what counts is the example, not the category's words
        words_only = re.sub(r"^.*?\b(?:such as|for example|e\.g\.|including)\b|^.*?(?:例如|比如)", " ", words_only, flags=re.I)
        words_only = re.sub(r"\s+", " ", words_only)  # "Green (bile-stained) vomit" is "green vomit" once the bracket is gone
        tokens = _tokens(re.sub(r"\b(a |an )?(bab(y|ies)|infants?|young child(ren)?|child(ren)?|toddlers?|(older )?adults?|newborns?|"
                                r"pregnant people)\b|婴幼儿|婴儿|儿童|孩子|宝宝|成人|新生儿|老人|老年人", " ", words_only, flags=re.IGNORECASE))
        needs_pregnant = pregnant_all or bool(re.search(r"\bpregnan|孕妇|怀孕|孕期", text, re.IGNORECASE))
        tokens = {t for t in tokens if not t.startswith(("pregnan", "孕"))}
        sex = "male" if re.search(r"\byou are a man\b|\bmen\b|男性", text, re.IGNORECASE) else sex_all
        if sex is not None:  # "you are a man": the request's sex says it, not a word the patient must use
            tokens -= {"man", "men", "male", "woman", "women", "female"}
        out.append(_Clause(text=text, tokens=frozenset(tokens), min_temp=_temp_constraint(text), min_days=_days_constraint(text),
                           age_range=age_range, needs_pregnant=needs_pregnant, needs_sex=sex,
                           routine_cue=bool(_ROUTINE_CUE.search(text)), head=head, min_bp=_bp_constraint(text), max_percent=_percent_constraint(text),
                           glucose=_glucose_constraint(text),
                           needs_new_medicine=any(raw.strip().startswith(p) or p.startswith(raw.strip()) for p in new_med),
                           needs_word=next((min(_tokens(w), default="") for p, w in after_drug
                                            if raw.strip().startswith(p) or p.startswith(raw.strip())), "")))
    return tuple(out)


# a time frame the sentence rules out is not its time frame: "请预约门诊（一般不需要当天就医）", "does not need same-day care"
_NOT_CUE = re.compile(r"(?:一般)?(?:不需要|不必|不用|无需)(?:当天|立即|马上|急诊)(?:就医|就诊)?|"
                      r"(?:usually )?(?:does not|doesn't|do not|don't|no) need (?:to be seen )?(?:the )?(?:same[- ]day|urgent|emergency)\w*"
                      r"(?: care| appointment| treatment)?|not (?:usually )?(?:an? )?(?:emergency|urgent|same[- ]day)", re.IGNORECASE)


_WEEKS_WHY = "the criterion is about symptoms lasting weeks"


def _seek_level(statement: str, lead: str, clause_days: float | None, routine_cue: bool) -> tuple[str, str]:
    context = _NOT_CUE.sub(" ", f"{lead} {statement}")
    statement = _NOT_CUE.sub(" ", statement)
    # "Book a routine appointment if ...": a routine cue in the action part holds for every condition
    routine_cue = routine_cue or bool(_ROUTINE_CUE.search(lead))
    if routine_cue and not _URGENT_CUE.search(context) and not _SOON_CUE.search(context):
        # (a time frame the sentence states wins: "Arrange a prompt (within days) medical review if ...")
        return "routine", "the criterion is about recurring, long-standing or regularly measured findings"
    if _URGENT_CUE.search(context):
        return "urgent", f"the guideline says “{_URGENT_CUE.search(context).group(0)}”"  # type: ignore[union-attr]
    if _SOON_CUE.search(context):
        return "soon", f"the guideline says “{_SOON_CUE.search(context).group(0)}”"  # type: ignore[union-attr]
    if clause_days is not None and clause_days >= 14:
        return "routine", _WEEKS_WHY
    if routine_cue:
        return "routine", "the criterion is about recurring or long-standing symptoms"
    return "soon", "the guideline says to see a clinician and gives no time frame"


_RED_SAME_DAY = re.compile(r"same[- ]day|(?:needs?|seek|get|requires?) urgent (?:medical )?(?:assessment|review|advice|appointment)|"
                           r"within 24 hours|当天就医|当天就诊|24小时内就医", re.IGNORECASE)
_RED_EMERGENCY = re.compile(r"\bimmediate(?:ly)?\b|right away|straight away|at once|emergency|\b(?:999|911|112)\b|ambulance|a&e|"
                            r"at minimum|at least|急诊|立即|马上|拨打|120", re.IGNORECASE)


_PARSED: dict[tuple[str, str], list[Criterion]] = {}  # (chunk id, text) -> criteria; chunks are immutable
_PARSED_MAX = 20_000


def criteria_of(passages: list[Passage]) -> list[Criterion]:
    """Every care criterion stated in these passages, each with its level and the reason for it."""
    out: list[Criterion] = []
    seen: set[tuple[str, str]] = set()
    for p in passages:
        key = (p.chunk_id, p.text)
        parsed = _PARSED.get(key)
        if parsed is None:
            parsed = _criteria_of_passage(p)
            if len(_PARSED) >= _PARSED_MAX:
                _PARSED.clear()
            _PARSED[key] = parsed
        for cr in parsed:
            if (p.doc_id, cr.text) not in seen:
                seen.add((p.doc_id, cr.text))
                out.append(cr)
    return out


def _criteria_of_passage(p: Passage) -> list[Criterion]:
    out: list[Criterion] = []
    seen: set[str] = set()
    role = _section_role(p.section)
    if role != "self_care":
        for lead, statement in _statements(p.text):
            if statement in seen or statement.endswith((":", "：")) or (_POINTER.search(statement) and not lead):
                continue
            seen.add(statement)
            own_cue = _SEEK_VERB.search(statement) and (_SOON_CUE.search(statement) or _ROUTINE_CUE.search(statement))
            same_day = _RED_SAME_DAY.search(statement)
            if role == "red_flag" and same_day and not _RED_EMERGENCY.search(statement):
                # listed with the red flags, but the guideline gives it a same-day time frame of its own ("needs urgent
                # assessment", "seek urgent advice"): same day, not an ambulance
                level, why = "urgent", f"the guideline says “{same_day.group(0)}”"
            elif role == "red_flag" and not own_cue:
                level, why = "emergency", "it is listed under the guideline's red flags (seek emergency care)"
            elif role in {"seek_care", "red_flag"} or (_URGENT_CUE.search(statement) and _SEEK_VERB.search(statement)):
                level, why = "", ""
            else:
                continue
            clauses = _clauses(statement)
            if not clauses:
                continue
            if not level:
                days = [c.min_days for c in clauses if c.min_days is not None]
                level, why = _seek_level(statement, lead, min(days) if days else None, False)
            out.append(Criterion(text=statement, level=level, level_why=why, passage=p, clauses=clauses,
                                 lead_tokens=frozenset(_lead_tokens(lead))))
    return out


def _lead_tokens(lead: str) -> set[str]:
    """Words of a list's lead-in that name a condition ("if palpitations come with:"), not a place or a person."""
    if not lead:
        return set()
    conditions = re.split(r"\bif\b|如果", lead, maxsplit=1, flags=re.IGNORECASE)
    if len(conditions) < 2:
        conditions = re.split(r"\bwith\b|伴", lead, maxsplit=1, flags=re.IGNORECASE)
    if len(conditions) < 2:
        return set()
    cleaned = re.sub(r"\b(your|the|a|an)?\s*(bab(y|ies)|infants?|young child|child(ren)?|toddler|adults?|newborn|you|come|comes|"
                     r"have|has|are|and|any|of|these|following)\b", " ", conditions[1], flags=re.IGNORECASE)
    return _tokens(cleaned)


def self_care_of(passages: list[Passage]) -> list[tuple[str, Passage]]:
    """Self-care statements of these passages (from self-care sections), in order."""
    out: list[tuple[str, Passage]] = []
    for p in passages:
        if _section_role(p.section) == "self_care":
            out += [(s, p) for _, s in _statements(p.text) if len(s) > 10]
    return out


# --- matching -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Match:
    """A criterion the patient's facts satisfy: which clause and on what grounds."""

    criterion: Criterion
    clause: str
    level: str
    level_why: str
    grounds: str

    @property
    def on_a_sign(self) -> bool:
        """Matched on something the patient said (a sign, not a number)."""
        return self.grounds.startswith("you mention ")

    @property
    def on_time_alone(self) -> bool:
        """Matched on how long it has lasted and nothing the patient said or measured ("60 days ≥ 21 days", with or
        without the age)."""
        cl = next((c for c in self.criterion.clauses if c.text == self.clause), None)
        return (cl is not None and cl.min_days is not None and "you mention" not in self.grounds and cl.min_temp is None
                and cl.min_bp is None and cl.glucose is None and not cl.needs_pregnant)


@functools.lru_cache(maxsize=4096)
def _guideline_tokens(text: str) -> frozenset[str]:
    """_tokens of guideline text (titles, scope passages, self-care statements: the same strings on every
    request), computed once per process. Never called with patient text, which is not kept across requests."""
    return frozenset(_tokens(text))


def _title_tokens(p: Passage) -> frozenset[str]:
    return _guideline_tokens(p.title)


# a clause that qualifies the one before it ("..., especially with swelling"): the body part it is about is named there
_JOINED = re.compile(r"并且|同时|伴有|伴|后发热|后发烧|\bwith\b|\band\b|\bplus\b", re.IGNORECASE)  # "去过疟疾流行地区后发热": the fever too
_ATTACHED = re.compile(r"\s*(?:especially|particularly|in particular|along with|together with|accompanied by|with)\b|\s*(?:尤其|特别是|伴有|伴)", re.I)


# a clause that is nothing but who the patient is ("the patient is a child", "患者是儿童"): a criterion of its own
_GROUP_ALONE = re.compile(r"\s*(?:the patient|you|they|he|she) (?:is|are) (?:a |an )?(?:child|baby|infant|toddler|newborn)\s*$|"
                          r"\s*(?:患者|病人)?是(?:儿童|孩子|婴儿)\s*$", re.IGNORECASE)


# "chest pain lasts more than a few minutes", "胸痛超过15分钟"
_MINUTES_LONG = re.compile(r"(?:more than|over|longer than|超过|持续)\s*(?:a few|several|\d+|几|十几|[一二三四五六七八九十]+)\s*"
                           r"(?:minutes?|mins?|分钟)", re.IGNORECASE)


# a clause that says where a group is seen ("儿童到儿科就诊", "children are seen by paediatrics"): routing, not a criterion
_ROUTING = re.compile(r"(?:到|去|看|挂)[^，。；,;]{0,10}(?:科|门诊|医院|中心)(?:就诊|看病|就医)?\s*$|"
                      r"\b(?:can |should |may )?(?:see|go to|(?:be|are) (?:seen|assessed|managed) (?:in|by|at)|attend)\b[^,;.]{0,40}"
                      r"\b(?:paediatric\w*|pediatric\w*|gastroenterolog\w*|clinic|department|service)\s*$", re.IGNORECASE)


def _match_clause(c: _Clause, facts: Facts, topic: set[str], sentence: frozenset[str] = frozenset(),
                  title: frozenset[str] = frozenset(), about: bool = False) -> str | None:
    """Why this clause holds for the patient, or None (sentence: the tokens of the whole criterion; title: of the
    guideline's title; about: the guideline is the one the answer is about, i.e. the patient has its subject)."""
    grounds: list[str] = []
    if c.needs_pregnant:
        if not facts.pregnant:
            return None
        grounds.append("pregnant")
    if c.needs_sex:
        if facts.sex != c.needs_sex:
            return None
        grounds.append("a man" if c.needs_sex == "male" else "a woman")
    if c.needs_new_medicine and not facts.new_medicine:
        return None
    if c.needs_word and c.needs_word not in facts.tokens:
        return None
    if c.age_range is not None:
        if facts.age_years is None or not (c.age_range[0] <= facts.age_years < c.age_range[1]):
            return None
        grounds.append("age")
    numeric = False
    if c.min_temp is not None:
        if facts.temperature_c is None or facts.temperature_c < c.min_temp - 0.05:
            return None
        grounds.append(f"temperature {facts.temperature_c:g} °C ≥ {c.min_temp:g} °C")
        numeric = True
    if c.min_bp is not None:
        bp = facts.blood_pressure
        if bp is None or not (bp[0] >= c.min_bp[0] or bp[1] >= c.min_bp[1]):
            return None
        grounds.append(f"blood pressure {bp[0]}/{bp[1]} mmHg, threshold {c.min_bp[0]}/{c.min_bp[1]}")
        numeric = True
    if c.glucose is not None:
        op, limit = c.glucose
        g = facts.glucose_mmol
        if g is None or (g < limit if op == "ge" else g > limit):
            return None
        grounds.append(f"blood sugar {g:g} mmol/L {'≥' if op == 'ge' else '≤'} {limit:g} mmol/L")
        numeric = True
    if c.min_days is not None:
        if facts.duration_days is None or facts.duration_days < c.min_days:
            return None
        grounds.append(f"{facts.duration_days:g} days ≥ {c.min_days:g} days")
        numeric = True
    if c.max_percent is not None and facts.percent is not None and facts.percent >= c.max_percent:
        return None  # "peak flow about 60% of my best" is not "below 50% of your best"
    # the patient denies what the criterion names ("no blisters" against "a burn ... that blisters")
    # (an affirmed mention wins over a denied one: "咳嗽一个多月，也没有咳血" still has a cough)
    if any((f"not_{t}" in facts.tokens and t not in facts.tokens) or (t.startswith("not_") and t[4:] in facts.tokens)
           for t in c.tokens):
        return None
    content = {t for t in c.tokens if t not in topic and t.removeprefix("not_") not in topic}
    shared = content & facts.tokens
    if numeric:
        # a number matched: the clause's words must not be about something else (a temperature threshold is
        # about fever whatever else the sentence says; a duration needs the clause's own words too)
        # (so is a blood pressure or blood sugar threshold)
        by_number_alone = c.min_temp is not None or c.min_bp is not None or c.glucose is not None
        rest = {t for t in c.tokens if t not in topic} if c.min_days is not None or not by_number_alone else set()
        if c.min_days is not None and not c.tokens - {"cnot_improving"}:
            # a duration that names nothing is the duration of the guideline's subject: "..., or more than 24 hours in
            # a child" is the diarrhoea's 24 hours, not a 6-week cough's; "they are not better after 2 days" in the UTI
            # guideline is about a UTI's symptoms, not a fever's
            subject = (sentence & title) or (title & _concept_tokens())
            if subject and not subject & facts.tokens:
                return None
        if c.min_days is not None:
            rest.discard("cnot_improving")  # "发热超过3天不退": lasting past the days is what "not settling" means
        if rest and not (rest & facts.tokens):
            return None
        return "; ".join(grounds)
    if not content:
        if _ROUTING.search(c.text):
            return None  # "成人可到消化内科就诊；儿童到儿科就诊": where each group is seen, not a reason to be seen
        # a group alone ("young children" in "burns in babies, young children, ...") holds when the patient has
        # what the sentence is about (the guideline's subject named in it), not for any child
        # (a sentence that does not name the subject, "you are a man, pregnant, or the patient is a child", keeps
        # its groups as criteria of their own)
        if sentence & title:
            holds = bool(sentence & title & facts.tokens) and bool(grounds)
        else:
            # ("you are a man" in the UTI guideline holds for a man with a UTI, the guideline the answer is about, not for
            # any man whose question retrieved it; so does "you are pregnant": "孕妇、65岁以上老人…" in the diarrhoea guideline
            # is not a pregnant woman's toothache)
            has_subject = about or bool(title & facts.tokens & _concept_tokens())
            holds = bool(grounds) and ((c.needs_pregnant and has_subject)
                                       or (c.needs_sex is not None and has_subject)
                                       or (c.age_range is not None and bool(_GROUP_ALONE.match(c.text)))
                                       # "you are pregnant, over 65, or ..." in the diarrhoea guideline: a patient
                                       # over 65 with diarrhoea (the guideline's subject), not any patient over 65
                                       or (c.age_range is not None and bool(title & facts.tokens & _concept_tokens())))
        return "; ".join(grounds) if holds else None
    if content & _SEVERITY and not facts.tokens & _SEVERITY:
        return None  # the criterion is about how bad it is, and the patient does not say it is bad
    if content & _SPEED and not facts.tokens & _SPEED:
        return None
    course = content & _COURSE
    if course and not course & facts.tokens:
        return None  # "吃了退烧药仍不退烧" is about a fever that does not come down: the other words do not make it
    # how much of the clause the patient must share, counted on its telling words when it has any ("pain that is much
    # worse at night" is met by "my back is way worse at night": the pain goes without saying in a back-pain guideline)
    counted = (content - _WEAK) or content
    need = len(counted) if len(counted) <= 2 else max(2, math.ceil(0.4 * len(counted)))
    if len(shared) < need:
        return None
    # every sign the clause names is the patient's: "a panic attack that you cannot tell from chest pain" needs the chest
    # pain, "if you test positive and are at higher risk" the risk (the share above is for the other words)
    signs = {t for t in content if t in _concept_tokens()} - _COURSE - _WEAK - _body_words() - _CONTEXT
    if "cfever" in content and _JOINED.search(c.text):
        signs.add("cfever")  # "腰痛并且发烧", "back pain under the ribs with a high temperature": the fever is part of it
    if title & facts.tokens & _concept_tokens():
        # the guideline's subject the patient has stands for its alternatives: "redness spreads around the bite or
        # sting" is cut at "or", and a sting's spreading redness is the criterion all the same
        signs -= title
    if signs - facts.tokens:
        return None
    if shared <= _WEAK and not content <= _WEAK:
        return None  # "sinus pain with high fever" is not met by aches and a fever: the word that places it is missing
    if content <= _body_words() | _WEAK and any(sentence & q and not facts.tokens & q for q in (_SEVERITY, _SPEED)):
        return None  # "hot", cut from "a rapidly spreading red, hot, painful area": the list's "rapidly" holds for it too
    if content <= _body_words() | _WEAK and not c.tokens & topic and not sentence & topic \
            and not ((sentence - content - topic - _body_words() - _WEAK) & facts.tokens):
        # (a clause that names the guideline's subject is whole: "a high temperature after a bite")
        # "lips" alone, cut from "blue ... lips or tongue", or "painful", cut from "a rash that is widespread, painful,
        # blistering": the sentence's symptom word is missing
        return None
    body = sentence & _body_words()
    if body and _ATTACHED.match(c.text) and not content & _body_words() and not body & facts.tokens:
        return None  # "especially with swelling", cut from "pain in a testicle, ...": not an ankle's swelling
    grounds.append("you mention " + ", ".join(sorted(_show(t) for t in shared)))
    return "; ".join(grounds)


_ZH_WHY = {
    "it is listed under the guideline's red flags (seek emergency care)": "指南把它列为危险信号（需要急诊）",
    "the criterion is about recurring, long-standing or regularly measured findings": "该标准针对反复出现、长期存在或定期测量的情况",
    _WEEKS_WHY: "该标准针对持续数周的症状",
    "the criterion is about recurring or long-standing symptoms": "该标准针对反复出现或长期存在的症状",
    "you describe it as going on for weeks or months, and the guideline gives no time frame": "您描述的情况已持续数周或数月，指南未给出时限",
    "the guideline says to see a clinician and gives no time frame": "指南建议就医但未给出时限",
}


def _zh_why(why: str) -> str:
    """The level's explanation in Chinese, for a Chinese answer (the quoted cue stays as the guideline wrote it)."""
    if why in _ZH_WHY:
        return _ZH_WHY[why]
    m = re.fullmatch(r"the guideline says “(.*)”", why)
    return f"指南写明“{m.group(1)}”" if m else why


@functools.lru_cache(maxsize=1)
def _zh_names() -> dict[str, str]:
    """A concept's name as shown to a Chinese reader: its first Chinese form ("fever" → "发热")."""
    out: dict[str, str] = {}
    for name, forms in _terms()["concepts"].items():
        zh = next((str(f) for f in forms if _CJK.search(str(f))), None)
        if zh is not None and "+" not in name:
            out[name.replace("_", " ")] = zh
    return out


def _zh_grounds(grounds: str) -> str:
    """Why a criterion holds, in Chinese: each part of "you mention fever, rash; age; 4 days ≥ 2 days" translated
    (a concept by its Chinese name, a word the patient wrote as they wrote it)."""
    names = _zh_names()
    parts = []
    for part in grounds.split("; "):
        if part.startswith("you mention "):
            items = []
            for item in part.removeprefix("you mention ").split(", "):
                neg = item.startswith("no ")
                bare = item.removeprefix("no ")
                shown = names.get(bare, bare)
                items.append(f"没有{shown}" if neg else shown)
            parts.append("您提到" + "、".join(items))
            continue
        for en_text, zh_text in (("pregnant", "怀孕"), ("a man", "男性"), ("a woman", "女性"), ("temperature ", "体温"),
                                 ("blood pressure ", "血压"), ("blood sugar ", "血糖"), (", threshold ", "，阈值"), (" days", "天")):
            part = part.replace(en_text, zh_text)
        parts.append("年龄符合" if part == "age" else part)
    return "；".join(parts)


def _show(token: str) -> str:
    negated = token.startswith("not_")
    bare = token.removeprefix("not_")
    word = bare[1:].replace("_", " ") if bare in _concept_tokens() else bare
    return f"no {word}" if negated else word


# medicines and devices that say the patient has the long-term condition without naming it ("my blue inhaler")
_IMPLIES = {"asthma": frozenset({"creliever", "inhaler", "preventer"}),
            "chronic obstructive pulmonary disease": frozenset({"creliever", "inhaler", "copd"}),
            "type 2 diabetes mellitus": frozenset({"cglucose", "metformin", "insulin", "gliclazide", "diabet", "sitagliptin",
                                                   "empagliflozin", "dapagliflozin", "hba1c", "a1c", "二甲双胍", "胰岛素", "血糖", "糖化"})}


@functools.lru_cache(maxsize=512)
def _long_term_subject(title: str) -> frozenset[str]:
    """The long-term conditions a guideline's title is about (COPD, asthma, type 2 diabetes), if any."""
    from rag.terms import lexicon

    return frozenset(m.name for m in lexicon.find_conditions(title)) & frozenset(_IMPLIES)


def _has_condition_of(p: Passage, facts: Facts, title: frozenset[str]) -> bool:
    """Whether the patient has what a long-term condition's guideline is about (always true for other guidelines)."""
    subject = _long_term_subject(p.title)
    if not subject or subject & facts.conditions or title & facts.tokens:
        return True
    if facts.glucose_mmol is not None and "type 2 diabetes mellitus" in subject:
        return True  # "my fasting sugar was 7.3 at a health check": the criteria are for finding diabetes too
    return any(_IMPLIES[c] & facts.tokens for c in subject)


def match_criteria(facts: Facts, criteria: list[Criterion], topic_doc_ids: AbstractSet[str] = frozenset(),
                   passages: Sequence[Passage] = ()) -> list[Match]:
    """Every criterion one of whose clauses holds for the patient, most urgent first (topic_doc_ids: the guidelines
    the answer is about, when known; passages: what was retrieved of them)."""
    out: list[Match] = []
    subject_words: dict[str, frozenset[str]] = {}
    for p in passages:
        if p.doc_id in topic_doc_ids:
            subject_words[p.doc_id] = subject_words.get(p.doc_id, frozenset()) | _guideline_tokens(p.text)
    for cr in criteria:
        title = frozenset(_title_tokens(cr.passage))
        if cr.level != "emergency" and not _has_condition_of(cr.passage, facts, title):
            continue  # "contact primary care if ankles swell" in the COPD guideline is for people with COPD
        # the guideline's own subject goes without saying only for a patient who has it
        topic = set(title & facts.tokens)  # (a title with two subjects, "2型糖尿病与低血糖": only the one the patient has)
        if cr.lead_tokens and not (cr.lead_tokens & facts.tokens):
            continue  # the list is about a condition the patient does not have
        # the patient has this guideline's subject: the answer is about it and a sign the patient names is in its text
        # ("it burns when I pee" and the UTI guideline's criteria; not "dark wee after a hot day" alone)
        about = cr.passage.doc_id in topic_doc_ids and bool(
            ((facts.tokens & _concept_tokens()) - _CONTEXT - _WEAK - _body_words()) & subject_words.get(cr.passage.doc_id, frozenset()))
        # a Chinese list closed by a sign with a duration gives every item that duration: "鼻塞流涕、鼻后滴漏、声音嘶哑超过3周"
        # is a blocked nose of three weeks, not a cold's third day (a closing item that is only the duration, "皮疹范围广、
        # 疼痛、起水疱、持续数天不退", is an item of its own; an English "ear pain, or symptoms lasting 10 days" is not a list)
        last = cr.clauses[-1]
        tail_days = last.min_days if cr.passage.language == "zh" and "、" in cr.text and last.tokens - _COURSE else None
        best: Match | None = None  # the most urgent reading of the criterion among the clauses that hold
        # "…, especially with swelling" / "…, with a painful swollen bladder" qualifies the clauses before it: without
        # them it stands only when every word of it is the patient's, the patient names something of what it qualifies
        # (the testicle, not an ankle) and does not deny the qualified sign ("it didn't come on suddenly")
        main: frozenset[str] = frozenset()
        main_holds = False
        attached = False
        for cl in cr.clauses:
            # once a qualifier starts, what follows belongs to it ("especially with vision changes or swelling")
            attached = attached or bool(_ATTACHED.match(cl.text))
            if not attached:
                main |= cl.tokens
            grounds = _match_clause(cl, facts, topic, cr.tokens, title, about)
            if grounds is not None and tail_days is not None and cl.min_days is None and cl is not last:
                if facts.duration_days is None or facts.duration_days < tail_days:
                    grounds = None
                else:
                    grounds += f"; {facts.duration_days:g} days ≥ {tail_days:g} days"
            if not attached:
                main_holds = main_holds or grounds is not None
            if grounds is None:
                continue
            if attached and not main_holds and (
                    not {t for t in cl.tokens if t not in topic} <= facts.tokens
                    or not ((main - topic) & facts.tokens)
                    or any(f"not_{t}" in facts.tokens and t not in facts.tokens for t in main)):
                continue
            level, why = cr.level, cr.level_why
            if level == "emergency" and "breath_on_exertion" in facts.tokens and "cbreathless" in cl.tokens \
                    and not ((cl.tokens - {"cbreathless"} - topic - _WEAK) & facts.tokens):
                continue  # breathless walking the dog or up the stairs is not breathing difficulty that is an emergency
            if level == "emergency" and "crest_relief" in facts.tokens and _MINUTES_LONG.search(cl.text):
                continue  # pain that goes off within minutes of stopping has not lasted "more than a few minutes"
            if level != "emergency" and cl.head:
                # the time frame is the one the sentence gives this condition, not another condition's
                level, why = _seek_level(cl.text, cl.head, cl.min_days, cl.routine_cue)
            elif level == "routine" and why == _WEEKS_WHY and cl.min_days is None:
                # the weeks are another clause's: "咳嗽超过3周、反复发热、气短喘息、体重下降：到呼吸内科就诊" gives weight loss
                # no time frame, not the cough's weeks
                level, why = _seek_level(cr.text, "", None, cl.routine_cue)
            if level not in {"emergency", "urgent"} and cl.min_days is not None and _improving(facts):
                continue  # "cough since a cold 2 weeks ago, slowly getting better": past "more than 10 days", on its way out
            if level not in {"emergency", "urgent"} and cl.min_days is not None and cl.min_days >= 14 and "no time frame" in why:
                # (a criterion that gives its own time frame keeps it: "a prompt (within days) review if ... more than 3 weeks")
                level, why = "routine", _WEEKS_WHY
            elif level == "soon" and cl.routine_cue and "no time frame" in why:
                level, why = "routine", "the criterion is about recurring or long-standing symptoms"
            elif level == "soon" and "no time frame" in why and _long_standing(facts):
                # "see your primary care doctor if palpitations keep coming back" for months of skipped beats: an
                # appointment, not a visit within days (nothing the patient says asks for sooner)
                level, why = "routine", "you describe it as going on for weeks or months, and the guideline gives no time frame"
            if best is None or LEVEL_RANK[level] < LEVEL_RANK[best.level]:
                best = Match(criterion=cr, clause=cl.text, level=level, level_why=why, grounds=grounds)
        if best is not None:
            out.append(best)
    return sorted(_longest_duration_only(out), key=lambda m: LEVEL_RANK[m.level])


# signs that keep a criterion without a time frame at "soon" however long they have lasted
_SOONER = frozenset({"cbleeding", "cblood_urine", "clump", "cchest_pain", "cfever", "cworse", "csevere_pain", "cnew_medicine"})


def _improving(facts: Facts) -> bool:
    """Getting better on its own within the first three weeks, and nothing that says otherwise (worse again, not
    improving, an alarm sign): a duration threshold (a cold "more than 10 days", diarrhoea "more than 2 days") is then
    the illness's natural course, not a reason to be seen (NICE CKS: a cough after a cold lasts up to 3 weeks)."""
    return (facts.improving and facts.duration_days is not None and facts.duration_days < 21
            and not facts.tokens & (_COURSE | _ALARM | {"crebound"}))


def _long_standing(facts: Facts) -> bool:
    """Four weeks or more, with nothing the patient says that a clinician would want to see sooner."""
    if facts.duration_days is None or facts.duration_days < 28 or facts.tokens & (_ALARM | _SOONER) or facts.new_medicine:
        return False
    if facts.tokens & {"clong_term", "cfirst_time"}:
        return False  # "diabetic for ten years": the years are the condition's, not the complaint's; "never had one before" is new
    if "cbreathless" in facts.tokens and "breath_on_exertion" not in facts.tokens:
        return False
    return not (facts.pregnant or (facts.age_years is not None and (facts.age_years < 2 or facts.age_years >= 75)))


def _longest_duration_only(matches: list[Match]) -> list[Match]:
    """Of two criteria of one guideline met by how long it has lasted ("more than 2 days", "more than 4 weeks
    (chronic)"), the longer one says what this is: six weeks of loose stools are a chronic problem (routine), not a
    two-day one (within days)."""
    timed = [(m, cl) for m in matches for cl in m.criterion.clauses if cl.text == m.clause and cl.min_days is not None]
    drop: set[int] = set()
    for m, cl in timed:
        for other, ocl in timed:
            if other is not m and other.criterion.passage.doc_id == m.criterion.passage.doc_id \
                    and ocl.min_days is not None and cl.min_days is not None and ocl.min_days > cl.min_days \
                    and (ocl.tokens & cl.tokens or not ocl.tokens or not cl.tokens):
                drop.add(id(m))
    return [m for m in matches if id(m) not in drop]


# --- the decision -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UrgencyDecision:
    """The level, the reason in the patient's language, and the passage that backs it (if any)."""

    level: str
    reason: str
    basis: str  # red_flag | criterion | self_care | no_criterion | model | out_of_scope
    passage: Passage | None = None
    quote: str = ""
    matches: tuple[Match, ...] = ()

    @property
    def top(self) -> Match | None:
        """The most urgent matched criterion, if any."""
        return self.matches[0] if self.matches else None


def _quote(p: Passage, text: str, language: str) -> str:
    return f"《{p.title}》：“{text}”" if language == "zh" else f"“{text}” ({p.title})"


def decide_urgency(facts: Facts, passages: list[Passage], *, red_flag_labels: list[str], language: str,
                   ranked_doc_ids: list[str] | None = None, topic_doc_ids: Sequence[str] = ()) -> UrgencyDecision:
    """Walk the ladder: red flags, then the most urgent matched criterion, then self-care, else say why not.

    `topic_doc_ids` are the guidelines about the complaint (the answer's own choice), when known: a red flag that
    fired from the rules quotes only their warning signs (another guideline's "chest pain" line is not the reason a
    chest-pain answer is an emergency), and the self-care they give counts as self-care for this presentation."""
    zh = language == "zh"
    label = _LABEL["zh" if zh else "en"]
    criteria = criteria_of(passages)
    # equally urgent matches: the guideline about the complaint first (ranked_doc_ids), then the rest
    order = {d: i for i, d in enumerate(ranked_doc_ids or [])}
    matches = sorted(match_criteria(facts, criteria, frozenset(topic_doc_ids), passages),
                     key=lambda m: (LEVEL_RANK[m.level], order.get(m.criterion.passage.doc_id, len(order))))
    understood = facts.describe(language)
    topic = set(topic_doc_ids)
    if red_flag_labels:
        flags = "、".join(red_flag_labels) if zh else "; ".join(red_flag_labels)
        reason = (f"{label['emergency']}：您的描述中有危险信号（{flags}）。" if zh else
                  f"{label['emergency']}: your description has warning signs of an emergency ({flags}).")
        red = next((m for m in matches if m.level == "emergency" and (not topic or m.criterion.passage.doc_id in topic)), None)
        if red is not None:
            reason += (f" 指南的危险信号：{_quote(red.criterion.passage, red.criterion.text, language)}" if zh else
                       f" The guideline's red flag: {_quote(red.criterion.passage, red.criterion.text, language)}")
        return UrgencyDecision("emergency", reason, "red_flag", red.criterion.passage if red else None,
                               red.criterion.text if red else "", tuple(matches))
    same_day = _same_day_without_criterion(facts, language)
    if matches and same_day and LEVEL_RANK[matches[0].level] > LEVEL_RANK["urgent"]:
        # "diarrhoea for more than 24 hours in a child" (within days) with fewer wet nappies: the dehydration is same-day
        matches = []
    if matches:
        top = matches[0]
        cr = top.criterion
        if zh:
            reason = (f"{label[top.level]}：{_quote(cr.passage, cr.text, language)}。依据：{_zh_grounds(top.grounds)}"
                      f"（{_zh_why(top.level_why)}）。")
        else:
            reason = (f"{label[top.level]}: the guideline says {_quote(cr.passage, cr.text, language)}. This applies because "
                      f"{top.grounds} ({top.level_why}).")
        return UrgencyDecision(top.level, reason, "criterion", cr.passage, cr.text, tuple(matches))
    # no criterion holds: self-care only where the guideline gives self-care for this presentation and
    # nothing about the patient asks for a clinician's eyes anyway
    if same_day:
        reason = (f"{label['urgent']}：检索到的指南中没有与您的情况完全相符的就医标准，但{same_day}，因此建议当天就医。" if zh else
                  f"{label['urgent']}: no retrieved guideline criterion matched exactly, but {same_day}, so a clinician should "
                  "see this today.")
        return UrgencyDecision("urgent", reason, "no_criterion", None, "", ())
    risk = _risk_without_criterion(facts, language) or _part_of_a_warning_sign(facts, criteria, language)
    self_care = _self_care_for(facts, passages, ranked_doc_ids or [], topic)
    review = _review_without_criterion(facts, language)
    if self_care is not None and not risk and not review and facts.asks_review:
        review = _ASKS_REVIEW_TEXT["zh" if zh else "en"]
    if self_care is not None and not risk and review:
        # self-care was given for this presentation, but it has lasted, keeps coming back or is not improving:
        # what a nurse line says then is "book an appointment", not "carry on at home"
        text, p = self_care
        reason = (f"{label['routine']}：检索到的指南中没有与您的情况相符的就医标准，但{review}，因此建议预约门诊评估；"
                  f"在此之前可参考：{_quote(p, text, language)}" if zh else
                  f"{label['routine']}: none of the retrieved guidelines' criteria for seeing a clinician match what you "
                  f"describe, but {review}, so book a routine appointment; meanwhile the guideline's self-care: "
                  f"{_quote(p, text, language)}")
        return UrgencyDecision("routine", reason, "no_criterion", p, text, ())
    if self_care is not None and not risk:
        text, p = self_care
        reason = (f"{label['self_care']}：检索到的指南中没有与您的情况相符的就医标准，指南对此给出了居家护理建议：{_quote(p, text, language)}"
                  if zh else
                  f"{label['self_care']}: none of the retrieved guidelines' criteria for seeing a clinician match what you "
                  f"describe{f' ({understood})' if understood else ''}, and the guideline gives self-care for this: "
                  f"{_quote(p, text, language)}")
        return UrgencyDecision("self_care", reason, "self_care", p, text, ())
    lasting_condition = review if facts.conditions and (facts.duration_days or 0) >= 28 else ""
    if not risk and (facts.asks_review or lasting_condition):
        # a request for a review, a referral or help with a medicine is what an appointment is for, and so is a named
        # condition of weeks or years with nothing the guidelines send sooner (numb feet after eight years of diabetes,
        # a month of back pain); nothing here is urgent. A recurring or unnamed complaint keeps "soon".
        asks = lasting_condition or _ASKS_REVIEW_TEXT["zh" if zh else "en"]
        reason = (f"{label['routine']}：检索到的指南中没有与您的情况相符的就医标准，{asks}，因此建议预约门诊。" if zh else
                  f"{label['routine']}: none of the retrieved guidelines' criteria for seeing a clinician match what you "
                  f"describe, and {asks}, so book a routine appointment.")
        return UrgencyDecision("routine", reason, "no_criterion", None, "", ())
    why = risk or ("检索到的指南没有给出适用的居家护理建议" if zh else "the retrieved guidelines give no self-care for this presentation")
    reason = (f"{label['soon']}：没有找到与您的情况相符的就医标准，但{why}，因此建议几天内请医生评估。" if zh else
              f"{label['soon']}: no guideline criterion matched what you describe, but {why}, so a clinician should "
              "assess it within a few days.")
    return UrgencyDecision("soon", reason, "no_criterion", None, "", ())


_COLOURS = frozenset("hot cold red pale blue grey gray green white dark blotchy".split())
# body parts, functions and the words people use for feeling unwell, beyond the concept table
_CLINICAL_WORDS = re.compile(
    r"\b(?:knees?|ankles?|back|shoulders?|hips?|elbows?|wrists?|ears?|nose|stomach|tummy|belly|head|heart|lungs?|kidneys?|"
    r"bladder|bowels?|teeth|tooth|gums?|joints?|muscles?|bones?|spine|breasts?|penis|testicles?|vagina\w*|periods?|pee\w*|"
    r"wee\w*|poo\w*|stools?|urine|blood|sleep\w*|pain\w*|ach(?:e|es|ing|y)|hurt\w*|sore\w*|itch\w*|rash\w*|lumps?|"
    r"swell\w*|swollen|cough\w*|fever\w*|vomit\w*|sick|dizz\w*|tired\w*|faint\w*|breath\w*|numb\w*|tingl\w*|"
    r"bleed\w*|bruis\w*|injur\w*|wound|cut|burn\w*|bite|sting|health|medic\w*|doctor|symptom\w*|ill|illness|unwell|"
    r"mood|anxious|anxiety|depress\w*|stress\w*|weight|diet|vaccin\w*|pregnan\w*|baby|newborn)\b"
    r"|头痛|头疼|头晕|胸痛|胸闷|胸口|肚子|腹痛|腹泻|拉肚子|腰|腿|膝盖|肩|脖子|耳朵|鼻子|眼睛|牙|胃|心脏|心跳|心慌|肺|肾|肝|皮肤"
    r"|疼|痛|痒|肿|咳|发烧|发热|高烧|低烧|呕吐|想吐|晕|麻木|出血|流血|尿|大便|生病|医生|医院|吃药|怀孕|孕|失眠|睡不着|乏力"
    # mood and medicines: a low mood after a birth, or half a bottle of a sleeping pill, is never "outside what clinrag covers"
    r"|心情|情绪|低落|想哭|抑郁|焦虑|烦躁|药|片|粒|困|嗜睡|生完孩子|产后|\b(?:tablets?|pills?|capsules?|overdose\w*|low|mood|crying)\b", re.I)


def out_of_scope(facts: Facts, text: str, language: str) -> UrgencyDecision | None:
    """For a question the guidelines could not answer and that names nothing clinical (no symptom, body part,
    condition, medicine, measurement, pregnancy or young baby): say it is outside what clinrag covers instead
    of sending the asker to a clinician. None when anything clinical is there."""
    from rag.terms import lexicon

    body = _body_words() - _COLOURS  # "red wine" names no body part
    clinical = (facts.tokens & (_concept_tokens() | body) or _CLINICAL_WORDS.search(text)
                or facts.temperature_c is not None or facts.blood_pressure is not None or facts.glucose_mmol is not None
                or facts.readings or facts.pregnant or (facts.age_years is not None and facts.age_years < 1)
                or lexicon.find_conditions(text) or lexicon.find_drugs(text))
    if clinical:
        return None
    reason = ("这个问题不在clinrag的范围内（clinrag根据临床指南回答症状及其处理），因此不提供建议。"
              "如果与您的健康有关，请描述您的症状，或咨询医生。" if language == "zh" else
              "This question is outside what clinrag covers (symptoms and their care, from clinical guidelines), so no "
              "advice is given. If it is about your health, describe your symptoms, or ask a clinician.")
    return UrgencyDecision("routine", reason, "out_of_scope", None, "", ())


def _self_care_for(facts: Facts, passages: list[Passage], ranked_doc_ids: list[str],
                   topic: AbstractSet[str] = frozenset()) -> tuple[str, Passage] | None:
    """The self-care statement of the best-ranked guideline that is about this presentation (shares a word with
    the patient in its title or scope), the statement sharing most words with the patient first. When the answer
    chose the guidelines about the complaint (`topic`), the statement is quoted from one of them where they give
    self-care fit for this patient (whether self-care applies at all is decided as without them, so the level does
    not change): another guideline's self-care is not advice for this complaint."""
    from rag.answer.generators.extractive import suits_patient  # the generator's own per-sentence patient check

    order = {d: i for i, d in enumerate(ranked_doc_ids)}
    by_doc: dict[str, list[tuple[str, Passage]]] = {}
    for text, p in self_care_of(passages):
        by_doc.setdefault(p.doc_id, []).append((text, p))

    def suitable(doc_id: str) -> list[tuple[str, Passage]]:
        return [sp for sp in by_doc[doc_id] if suits_patient(sp[0], facts.age_years, facts.sex, facts.pregnant)]

    def best(found: list[tuple[str, Passage]]) -> tuple[str, Passage]:
        return max(found, key=lambda sp: len(_guideline_tokens(sp[0]) & facts.tokens))

    for doc_id in sorted(by_doc, key=lambda d: order.get(d, len(order))):
        if order and doc_id not in order:
            continue
        scope = set(_title_tokens(by_doc[doc_id][0][1]))
        for p in passages:
            if p.doc_id == doc_id and re.search(r"who this applies|scope|适用", p.section, re.IGNORECASE):
                # concepts and English words only: shared Chinese character pairs say little about the topic
                scope |= {t for t in _guideline_tokens(p.text) if t in _concept_tokens() or not _CJK.search(t)}
        if not (scope & facts.tokens) and not (facts.settled and doc_id in topic):
            # a guideline about something else; the answer's own guideline counts when the patient says it has
            # settled ("38.2 last night, playing fine after Calpol": no fever word, but the fever guideline's self-care)
            continue
        fit = suitable(doc_id)
        if fit and _uncovered(facts, [p for p in passages if p.doc_id == doc_id]):
            return None  # the patient names a sign or a condition this guideline's text never mentions
        if fit:
            if topic and doc_id not in topic:
                own = [sp for d in sorted(topic & by_doc.keys(), key=lambda d: order.get(d, len(order))) for sp in suitable(d)]
                if own:
                    return best(own)
            return best(fit)
    return None


# signs a self-care answer must have heard of: not how bad or how long, not who or where
_NOT_A_SIGN = _WEAK | _CONTEXT | _COURSE | frozenset({"ctravel", "cinjury", "chigh_risk", "csevere_pain", "breath_on_exertion", "rapid", "severe",
                                                     "cgood_spirit", "cpoor_spirit", "cfirst_time", "cmore_often",
                                                     "cfrequent", "citch", "credness", "cdrink_less"})
# everyday conditions a self-care answer need not name (a cold, hay fever)
_EVERYDAY = frozenset({"acute nasopharyngitis", "allergic rhinitis"})


def _uncovered(facts: Facts, doc_passages: list[Passage]) -> list[str]:
    """What the patient names (a sign of the concept table, a condition of the lexicon) that none of this guideline's
    retrieved passages mentions: its self-care is not about that."""
    from rag.terms import lexicon

    said: set[str] = set()
    named: set[str] = set()
    for p in doc_passages:
        said |= _guideline_tokens(p.text) | _title_tokens(p)
        named |= {m.name for m in lexicon.find_conditions(p.text)} | {m.name for m in lexicon.find_conditions(p.title)}
    signs = {t for t in facts.tokens if t in _concept_tokens()} - _NOT_A_SIGN - _body_words()
    return sorted((signs - said) | (facts.conditions - named - _EVERYDAY))


def _part_of_a_warning_sign(facts: Facts, criteria: list[Criterion], language: str) -> str:
    """Every sign (two or more) of a retrieved emergency or same-day criterion clause that the patient names, although the
    whole clause did not hold ("tummy pain and vomiting" against "severe tummy pain with vomiting"): not self-care."""
    for cr in criteria:
        if cr.level not in {"emergency", "urgent"}:
            continue
        title = frozenset(_title_tokens(cr.passage))
        for cl in cr.clauses:
            signs = {t for t in cl.tokens if t in _concept_tokens()} - _NOT_A_SIGN - _body_words() - title
            named = sorted(signs & facts.tokens)
            if len(named) >= 2 and len(named) == len(signs):  # one sign alone (swelling, a headache) says too little
                shown = "、".join(_ZH_ALARM.get(a, _show(a)) for a in named) if language == "zh" else ", ".join(_show(a) for a in named)
                return (f"您提到{shown}，指南把它列为需要尽快就医的情况之一" if language == "zh" else
                        f"you mention {shown}, which the guideline lists among the signs to be seen for")
    return ""


def _risk_without_criterion(facts: Facts, language: str) -> str:
    zh = language == "zh"
    if facts.readings:
        shown = ", ".join(facts.readings[:3])
        return f"您提到的测量值（{shown}）需要医生解读" if zh else f"you report a measurement ({shown}) that a clinician should interpret"
    if facts.pregnant:
        return "您正在怀孕" if zh else "you are pregnant"
    if facts.age_years is not None and facts.age_years < 0.25:
        return "宝宝不到3个月大" if zh else "the baby is under 3 months old"
    if facts.age_years is not None and facts.age_years < 2:
        # a toddler dehydrates and worsens faster than the adult wording of most criteria says; a nurse line
        # does not leave a child under two at home on a guideline's silence
        return "孩子不到2岁" if zh else "the child is under two"
    adult = facts.age_years is not None and 16 <= facts.age_years < 65
    if facts.temperature_c is not None and facts.temperature_c >= (40.0 if adult else 39.0):
        # (an adult of working age with 39 °C on the first day who eats, drinks and thinks clearly is looked after at
        # home; a child, an older adult or someone whose age we do not know is seen)
        return f"体温达{facts.temperature_c:g} °C" if zh else f"the temperature is {facts.temperature_c:g} °C"
    if facts.new_medicine:
        return ("症状是在开始用一种药之后出现的（可能是副作用或过敏），应由开药医生或药师评估" if zh else
                "it began after starting a medicine (a possible side effect or allergy), which the prescriber or a "
                "pharmacist should assess")
    if "cmood" in facts.tokens and "cpostnatal" in facts.tokens:
        # low mood in the year after a birth: postnatal depression is assessed by a clinician, not left to sleep advice
        # (pregnancy warning signs: "postpartum depression ... up to a year after delivery")
        return "您在产后情绪低落（产后抑郁需要医生评估）" if zh else "you feel low after having a baby (postnatal depression needs a clinician)"
    alarm = sorted(facts.tokens & _ALARM)
    if alarm:
        # a sign no guideline here calls self-care ("my eyes have gone yellow"): never left at home on a guideline's silence
        shown = "、".join(_ZH_ALARM.get(a, _show(a)) for a in alarm) if zh else ", ".join(_show(a) for a in alarm)
        return f"您提到{shown}，这需要医生评估" if zh else f"you mention {shown}, which a clinician should assess"
    if "cworse" in facts.tokens:
        return "您说症状在加重" if zh else "you say it is getting worse"
    return ""


# signs that are never self-care, whatever the retrieved guideline says or does not say
_ALARM = frozenset({"cjaundice", "ccough_blood", "cweight_loss", "cnight_sweats", "cconfused", "cfaint", "cnumb", "cvision",
                    "cnonblanch", "cspeech", "cone_side_weak", "cunresponsive", "cthunderclap", "cdrowsy", "cfloppy",
                    "cno_urine", "csaddle", "cpee_trouble", "crigors", "cfluid_leak", "cshingles", "casleep_driving"})
_ZH_ALARM = {"cjaundice": "皮肤或眼睛发黄", "ccough_blood": "咳血", "cweight_loss": "体重下降", "cnight_sweats": "盗汗",
             "cconfused": "意识模糊", "cfaint": "晕倒", "cnumb": "麻木", "cvision": "视力变化", "cnonblanch": "压之不褪色的皮疹",
             "cspeech": "说话不清", "cone_side_weak": "一侧无力", "cunresponsive": "没有反应", "cthunderclap": "突发剧烈头痛",
             "cdrowsy": "嗜睡", "cfloppy": "软弱无力", "cno_urine": "没有尿", "csaddle": "会阴部麻木", "cpee_trouble": "排尿困难",
             "crigors": "寒战", "cfluid_leak": "阴道流水", "cshingles": "带状疱疹", "casleep_driving": "开车时打瞌睡"}


_INFECTION = frozenset({"cfever", "csore_throat", "cdiarrhoea", "cvomit", "ccough", "curine_pain", "crigors", "cpus", "cphlegm"})
_DRY = frozenset({"cless_urine", "cno_urine", "cdry_mouth", "cfewer_tears"})
_LOSING = frozenset({"cdrink_less", "crefuse_drink", "cvomit", "cdiarrhoea", "cfluids_down", "cfever"})


def _same_day_without_criterion(facts: Facts, language: str) -> str:
    """Signs of dehydration (less urine, a dry mouth, fewer tears) while drinking less or losing fluid, in a child or an
    older adult: every starter guideline that names them sends them for same-day assessment, whichever was retrieved.
    So does a weakened immune system with signs of an infection."""
    if "cweak_immune" in facts.tokens and facts.tokens & _INFECTION:
        # chemotherapy, a transplant or immunosuppressants with a fever, sore throat or loose stools: an infection can
        # become sepsis within hours (NHS, NICE NG151 neutropenic sepsis); same-day assessment whatever else matched
        return "您的免疫力低下（化疗、器官移植或免疫抑制药）并有感染迹象" if language == "zh" else \
            "you have a weakened immune system (chemotherapy, a transplant or immunosuppressants) and signs of an infection"
    if facts.pregnant and ("curine_pain" in facts.tokens or "cfever" in facts.tokens
                           or (facts.temperature_c is not None and facts.temperature_c >= 37.8)):
        # a urine infection or a fever in pregnancy is assessed the same day (NICE NG109: treat a UTI in pregnancy
        # at once; a fever in pregnancy needs checking for infection): "soon" is what a non-pregnant adult gets
        return "您怀孕了，并有感染迹象（发热或尿痛）" if language == "zh" else \
            "you are pregnant and have signs of an infection (a fever or pain passing urine)"
    age = facts.age_years
    if not (facts.tokens & _DRY and facts.tokens & _LOSING) or age is None or 16 <= age < 65:
        return ""
    if language == "zh":
        return "孩子有脱水迹象（尿少、口干或眼泪少）" if age < 16 else "老人有脱水迹象（尿少、口干）"
    return ("the child shows signs of dehydration (less urine, a dry mouth or fewer tears)" if age < 16 else
            "an older adult shows signs of dehydration (less urine or a dry mouth)")


def _review_without_criterion(facts: Facts, language: str) -> str:
    """Why a presentation the guideline gives self-care for still wants a routine appointment: it has lasted four
    weeks or more, keeps coming back, or is not improving. Empty when none of these holds."""
    zh = language == "zh"
    if "cnot_improving" in facts.tokens:
        return "您说症状没有好转" if zh else "you say it is not improving"
    if "crecur" in facts.tokens:
        return "症状反复出现" if zh else "it keeps coming back"
    if facts.duration_days is not None and facts.duration_days >= 28:
        said = _days_text(facts.duration_days, zh)
        return f"症状已{said}" if zh else f"it has lasted {said.removeprefix('for ')}"
    return ""


def escalate_by_model(decision: UrgencyDecision, model_level: str, cited: list[Passage], facts: Facts,
                      language: str) -> UrgencyDecision:
    """A generator's level counts only when it is more urgent and a passage it cited holds a criterion the facts meet."""
    if model_level not in LEVEL_RANK or LEVEL_RANK[model_level] >= LEVEL_RANK[decision.level]:
        return decision
    backed = [m for m in match_criteria(facts, criteria_of(cited)) if LEVEL_RANK[m.level] < LEVEL_RANK[decision.level]]
    if not backed:
        return decision
    m = backed[0]
    # raised as far as both the model and its cited criterion go, never further
    level = LEVELS[max(LEVEL_RANK[m.level], LEVEL_RANK[model_level])]
    label = _LABEL["zh" if language == "zh" else "en"][level]
    q = _quote(m.criterion.passage, m.criterion.text, language)
    reason = f"{label}：{q}（{m.grounds}）。" if language == "zh" else f"{label}: the model cited {q}; it applies because {m.grounds}."
    return UrgencyDecision(level, reason, "model", m.criterion.passage, m.criterion.text, (m, *decision.matches))


# --- departments --------------------------------------------------------------------------------

_DEPARTMENTS = re.compile(
    r"emergency|a&e|accident|primary care|general practi|family (medicine|doctor)|\bgp\b|urgent care|minor injur|paediatric|"
    r"pediatric|neonat|obstetric|gynaecolog|gynecolog|maternity|midwi|cardiolog|respirator|pulmonolog|gastro|neurolog|"
    r"dermatolog|endocrin|diabetes|urolog|nephrolog|ent\b|otolaryngolog|ophthalm|orthopaed|orthoped|physiother|psychiatr|"
    r"psycholog|mental health|sexual health|allerg|infectious|surgery|surgical|pharmac|sleep|geriatric|internal medicine|"
    r"急诊|全科|内科|外科|儿科|妇科|产科|心内|呼吸|消化|神经|皮肤|内分泌|泌尿|肾|耳鼻喉|眼科|骨科|精神|心理|感染|发热门诊|胸痛中心|门诊",
    re.IGNORECASE)


def valid_department(name: str) -> bool:
    """True when the text names a real clinical department or service (not a level like "self_care")."""
    return bool(name.strip()) and bool(_DEPARTMENTS.search(name)) and not re.fullmatch(r"\s*(self[_ ]care|none|n/?a)\s*", name, re.IGNORECASE)


def fallback_department(level: str, facts: Facts, language: str) -> str:
    """The department for a level when the generator gave none that is real."""
    zh = language == "zh"
    child = facts.age_years is not None and facts.age_years < 16
    if level == "emergency":
        return ("儿科急诊" if child else "急诊科") if zh else ("Paediatric emergency department" if child else "Emergency department")
    if facts.pregnant:
        return "产科" if zh else "Maternity services (midwife or obstetrics)"
    if child:
        return "儿科" if zh else "Paediatrics (or your family doctor)"
    if level == "self_care":
        return "居家护理；如无好转请到全科/普通内科" if zh else "Self-care at home; primary care if it does not improve"
    return "全科/普通内科" if zh else "Primary care"
