"""Criteria from guideline passages: the "when to get care" statements, their clauses and levels."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from rag.knowledge.roles import heading_role
from rag.safety.urgency.facts import (
    _spans,
    _temperatures,
)
from rag.safety.urgency.terms import (
    _CJK,
    _body_words,
    _tokens,
)
from rag.types import Passage

# --- criteria from guideline passages -----------------------------------------------------------

_POINTER = re.compile(r"red flag|any emergency|emergencies (go|need|belong)|emergency symptoms need|任何危险信号|出现危险信号|属于急症", re.IGNORECASE)
# an open invitation ("contact your midwife for any concern, you do not need to wait"; 有任何担心都可以随时联系): no criterion
_OPEN_INVITATION = re.compile(r"\bfor any concerns?\b|\bany time you are worried\b|有任何担心|有任何疑虑|都可以随时联系", re.IGNORECASE)
# a pharmacist named first ("Ask a pharmacist or your doctor before starting a painkiller if ..."): advice on taking a
# medicine, which a pharmacist gives, not a reason to be seen (a pharmacist's advice is self-care)
_PHARMACIST_FIRST = re.compile(r"^(?:ask|check with|speak to|talk to) (?:a|your) pharmacist\b|^(?:请)?先?(?:咨询|问问?)药师", re.IGNORECASE)
_URGENT_CUE = re.compile(r"same[- ]day|same or next day|today|urgently|urgent medical|immediate|straight away|right away|"
                         r"minor injuries unit|emergency department|within 24 hours|当天|立即|急诊|马上", re.IGNORECASE)
_SOON_CUE = re.compile(r"\bsoon\b|sooner|prompt(ly)?\b|within days|\bearly\b|within (the first )?(a )?few days|within \d+ days|尽快|及早|尽早|几天内|数天内", re.IGNORECASE)
_ROUTINE_CUE = re.compile(r"\bregular(ly)?\b|review|yearly|every \d|keep(s)? coming back|keep getting|coming back|frequent|"
                          r"several a week|most days|routine appointment|定期|每年|每\s*\d|反复|频繁|每周数次|越来越(?:频繁|多|常|密)|预约|复查", re.IGNORECASE)
_SEEK_VERB = re.compile(r"\b(see|contact|call|seek|go to|ask|book|arrange|needs? (urgent )?(medical )?(assessment|checking|review)|"
                        r"should be checked|should be investigated|needs? investigating|tell your)\b|就医|就诊|找医生|看医生|到.{0,6}(科|门诊)", re.IGNORECASE)
_LATE_SEEK = re.compile(r"(.{8,}?)\s+(?:should be investigated|needs? investigating)\b", re.IGNORECASE)
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


# a list item's marker ("- ", "* ", "• ", "1. ", "2) ")
LIST_ITEM = re.compile(r"^([-*•]|\d+[.)])\s+")


def _statements(text: str) -> list[tuple[str, str]]:
    """(lead-in, statement) pairs: list items carry the line that introduced them, sentences stand alone."""
    out: list[tuple[str, str]] = []
    lead = ""
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        # PDF text wraps mid-sentence: a line that neither starts an item nor follows a finished one continues it
        if line and lines and lines[-1] and not LIST_ITEM.match(line) \
                and not lines[-1].endswith((".", "。", ":", "：", "!", "?", "；", ";")):
            lines[-1] = f"{lines[-1]} {line}"
        else:
            lines.append(line)
    for line in lines:
        if not line:
            continue
        item = LIST_ITEM.match(line)
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
    m = re.search(r"(over|older than|aged over|above)\s+(\d+)", low) or re.search(r"(\d+)\s*岁(以上|以后)", low) or \
        re.search(r"(?:aged?\s+(\d+)|(\d+)\s+years?(?: old)?)\s+(?:or over|or older|and over|or above)", low)  # "aged 55 or over"
    if m:
        lo = float(next(g for g in m.groups() if g and g.isdigit()))
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


_VERY_HIGH_TEMP = re.compile(r"\bvery high (?:temperature|fever)\b|体温很高|体温非常高", re.IGNORECASE)


def _temp_constraint(text: str) -> float | None:
    if _VERY_HIGH_TEMP.search(text) and not _temperatures(text):
        return 39.0  # "a very high temperature" with no number: 39 °C, where a fever is called high (高热 39.1-41 ℃)
    if not re.search(r"or higher|or more|or above|and above|≥|以上|及以上|或更高|达到|above|over", text, re.IGNORECASE):
        return None
    temps = _temperatures(text.replace("≥", " "))
    return min(temps) if temps else None


def _days_constraint(text: str) -> float | None:
    # (words, not pieces of words: "overdue" says nothing about how long)
    # ("in the last 72 hours" is a window the event falls in, not how long it has lasted)
    if not re.search(r"\b(?:more than|longer than|over|at least|or more|after|(?<!the )(?<!the past )lasts?|lasting)\b|持续|超过|以上|及以上|多于|"
                     r"未见好转|还没好", text, re.IGNORECASE):
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
_UNABLE_BEFORE = re.compile(r"\b(?:unable to|not able to|cannot|can't|can not|could not|couldn't)\s+[a-z]+\s+(?:the |a |any |your )?$",
                            re.IGNORECASE)
_PREP_BEFORE = re.compile(r"\b(?:around|in|on|after|near|from|of|to|into|at|under|over)\s+(?:the |a |an |your |his |her )?$", re.I)


def _distribute_or(m: re.Match[str]) -> str:
    """One list segment with "X or Y" between two single words that share the phrase around them, as two alternatives."""
    seg = m.group(0)
    w = _WORD_OR_WORD.match(seg)
    if not w or w.group(2).lower() in _NOT_A_NOUN or w.group(3).lower() in _NOT_A_NOUN:
        return seg
    head, x, y, tail = w.groups()
    # the phrase ends after Y: a closing stop, a bracket, or a particle that goes with both ("cannot keep food or
    # drink down")
    tail_closes = not tail.strip(" .;:。") or tail.strip().startswith("(") or _PARTICLE_TAIL.match(tail) is not None
    if _VERB_NEXT.match(tail) or ((_PREP_BEFORE.search(head) or _UNABLE_BEFORE.search(head)) and tail_closes):
        # ("being unable to pass stool or wind": unable to pass either; "wind" alone is no red flag)
        return f"{head}{x}{tail} or {head}{y}{tail}"
    if not head.strip() and _DESCRIBING.fullmatch(x) and y.lower() not in _INTENSIFIERS \
            and (noun := _ONE_NOUN.match(tail)) is not None:
        # "Bloody or black stools.": two words that describe the one noun after them; each keeps the noun (blood in the
        # urine is not "bloody" stools)
        return f"{x} {noun.group(1)} or {y} {noun.group(1)}{noun.group(2)}"
    return seg


_PARTICLE_TAIL = re.compile(r"^\s+(?:down|up|out|off)\s*[.;:。]?\s*$", re.IGNORECASE)
_ONE_NOUN = re.compile(r"^\s+([a-z]{3,})(\s*[.:;。]?\s*)$", re.IGNORECASE)
# a word that describes a noun rather than naming one ("bloody", "runny", "swollen", "black", "high-pitched")
_DESCRIBING = re.compile(r"[a-z]+(?:y|ed|en)|[a-z]+-[a-z]+|black|brown|grey|gray|pale|red|white|yellow|green|blue|dark|little",
                         re.IGNORECASE)
_INTENSIFIERS = frozenset({"very", "extremely", "quite", "really", "more", "less", "most"})


# Chinese list parts that continue the one before ("…排气，同时呕吐、肚子胀大", "从肚脐周围开始、后来转移到右下腹"), a sign
# that comes with others ("心慌同时伴有胸痛、胸口压迫感或胸口发紧"; "皮疹按压不褪色伴发热或精神差": a listless feverish child
# without a rash is not this red flag), and where the conditions end (可能是…, 请…)
_ZH_THEN = re.compile(r"\s*(?:同时|并且|而且|后来|然后|之后|随后)")
_ZH_HEAD_WITH = re.compile(r"^(.+?(?:同时)?伴有?)(?=.)")
_ZH_ADVICE = re.compile(r"就医|就诊|拨打|急诊|门诊|联系|看医生")
_ZH_END = re.compile(r"\s*(?:可能是|可能为|提示|请|需要|需|应)")


def _zh_joined(parts: list[str]) -> list[str]:
    """Chinese list parts as conditions: a part that opens with 同时/并且/后来 joins the one before, with every part after
    it up to the advice; the sign before 伴 heads every alternative after it."""
    out: list[str] = []
    joining, head = False, ""
    for p in parts:
        if _ZH_END.match(p) or not _CJK.search(p):
            joining, head = False, ""
            out.append(p)
        elif out and (joining or _ZH_THEN.match(p)):
            out[-1] = f"{out[-1]}，{p.strip()}"
            joining = True
        elif head:
            out.append(p if p.strip().startswith(head) else head + p.strip())
        else:
            w = _ZH_HEAD_WITH.match(p.strip())
            head = w.group(1) if w and not _ZH_END.match(w.group(1)) else ""
            out.append(p)
    return out


def _clauses(statement: str) -> tuple[_Clause, ...]:
    # "Hypoglycaemia in someone without diabetes should be investigated by a doctor": the condition comes first
    if (late_verb := _LATE_SEEK.match(statement)) is not None:
        statement = late_verb.group(1)
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
    parts = _zh_joined(parts)
    # "burns that go all the way around a limb or the chest": a last part that is only a body part ("the chest") is the
    # same phrase about that part, not the body part alone (a burn on the chest is not one all the way around it)
    for i in range(1, len(parts)):
        bare = re.fullmatch(r"\s*(?:the|a|an|your|one)\s+([a-z]+)\s*[.;]?\s*", parts[i], re.IGNORECASE)
        lead = re.search(r"^(.*\s)(?:the|a|an|your|one)\s+([a-z]+)\s*$", parts[i - 1], re.IGNORECASE)
        if bare and lead and {bare.group(1).lower(), lead.group(2).lower()} <= _body_words() and len(lead.group(1).split()) >= 2:
            parts[i] = f"{lead.group(1)}{parts[i].strip()}"
    # "burns to the face, hands, arms, feet, legs, genitals or across a joint": a list of bare body parts after an opening
    # "burns to the <part>" is burns to each part (blisters on the hands are not burns to the hands). Burns only: "it spreads
    # to the arm, jaw, neck" and "swelling of the lips, tongue" keep their bare parts, which the chest-pain and allergy
    # guidelines' emergencies rest on
    opening_head = re.match(r"^(\s*(?:burns?|scalds?)\s+(?:to|on)\s+(?:the|your)\s+)([a-z]+)\s*$", parts[0], re.I) \
        if len(parts) > 2 else None
    if opening_head and opening_head.group(2).lower() in _body_words():
        singular = {w.rstrip("s") for w in _body_words()} | {"genital"}
        parts = [parts[0]] + [f"{opening_head.group(1)}{p.strip()}" if p.strip().lower().rstrip("s") in singular else p
                              for p in parts[1:]]
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
    # but not a last part that is a condition of its own ("..., is severe, or if you have sciatica that is not settling")
    qualifier = (re.search(r"\b(that|which|who)\b.*$", parts[-1])
                 if len(parts) > 1 and not re.match(r"\s*(?:if|when|you)\b", parts[-1], re.I) else None)
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
        if len(text) < 2 or (_ZH_END.match(text) and _ZH_ADVICE.search(text)):
            continue  # ("请当天就医" is what to do: no condition, whatever the sentence says about who)
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


_RED_SAME_DAY = re.compile(r"same[- ]day|(?:needs?|seek|get|requires?) (?:urgent|prompt) (?:medical )?(?:assessment|review|advice|appointment)|"
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
            if statement in seen or statement.endswith((":", "：")) or (_POINTER.search(statement) and not lead) \
                    or _OPEN_INVITATION.search(statement) or _PHARMACIST_FIRST.search(statement):
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


# a list the guideline calls normal ("Normal things that worry parents: sneezing, hiccups, ..."; "Common, usually normal
# pregnancy discomforts: ..."; "Normal local reaction: redness, a raised bump, ..."): reassurance, not a reason to be seen
_NORMAL_LIST = re.compile(r"^(?:common,?\s+)?(?:usually\s+)?normal\b[^:：]{0,50}[:：]|\busually normal\b[^:：]{0,50}[:：]|"
                          r"属于正常现象|是正常现象|都是正常的", re.IGNORECASE)


def normal_of(passages: list[Passage]) -> list[tuple[str, Passage]]:
    """Statements of these passages that list what is normal (outside the red-flag and seek-care sections), in order."""
    out: list[tuple[str, Passage]] = []
    for p in passages:
        if _section_role(p.section) in {"red_flag", "seek_care"}:
            continue
        out += [(s, p) for _, s in _statements(p.text) if _NORMAL_LIST.search(s) and not _SEEK_VERB.search(s)]
    return out


def self_care_of(passages: list[Passage]) -> list[tuple[str, Passage]]:
    """Self-care statements of these passages (from self-care sections), in order."""
    out: list[tuple[str, Passage]] = []
    for p in passages:
        if _section_role(p.section) == "self_care":
            out += [(s, p) for _, s in _statements(p.text) if len(s) > 10]
    return out
