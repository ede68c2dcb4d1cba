"""Patient text split into clauses, each marked for negation, history, hypotheticals and topic talk.

Red-flag layers read a clause as affirmed (the patient reports it now) unless one of these holds:

* ``negated``: a denial cue governs it ("no chest pain", "denies", "没有胸痛"); words that only contain a
  cue and describe the emergency ("isn't responding", "can't wake", "没反应") are not denials;
* ``history``: it is placed in the past ("in 2019", "years ago", "as a child", "以前", "中过风");
* ``hypothetical``: a question about signs or a conditional ("what should I do if someone collapses",
  "how do you know if", "如果…怎么办", "有什么症状");
* ``topic``: talk about a condition as a subject ("an essay about suicide", "a documentary about
  stroke", "我在写关于自杀的论文"), or a fear of one ("scared of having a heart attack").

Offsets index the input string, so rule matches can be mapped to their clause.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from rag.text import has_cjk

__all__ = ["Clause", "split_clauses", "units", "clause_at", "DenialTable", "CLAUSE_DENIALS", "ZH_RULE_PSEUDO", "denial_cues",
           "affirmed_text", "denied_text"]

# a sentence ends at . ! ? ; newline (not a decimal point); a clause also at , : and contrastive words
_SENTENCE_BREAK = re.compile(r"[;!?\n\u3002\uff1b\uff01\uff1f]+|(?<!\d)\.+|\.(?!\d)")
_CLAUSE_BREAK = re.compile(
    r"[,:\uff0c\uff1a\u3001]|\s[-\u2013\u2014]\s"
    r"|\b(?:but|however|although|though|whereas|except)\b"
    r"|\b(?:and |but )?(?:now|then)\b"
    r"|但是|但|可是|(?<![喘透受比说跑打斗熬挺忍])不过|然而|现在|后来|然后"
)

_EN_DENIAL = re.compile(
    r"\b(?:no|denies|denied|deny|denying|without|never|negative for|free of|absence of|ruled out|nor|neither|not)\b"
    r"|\b(?:do|does|did|is|are|was|were|have|has|had|ain|can|could|wo|would|should|must|need|ca)n'?t\b|\bcannot\b"
)
# after a denial cue these words describe the emergency itself ("not responding", "isn't waking",
# "no response", "hasn't come round"), not the absence of a symptom
_EN_DENIAL_PSEUDO = re.compile(
    r"\s*(?:(?:properly|fully|really|even|yet|at all|been|be|got|getting|any|being|able to|going to|gonna|quite)\s+)*"
    # round 14: "not (quite) with it", "not all there" are a change of consciousness, not a denial; round 16: "not breathing
    # fast" denies fast breathing
    r"(?:with it|all there|respon\w*|wak\w*|woke\w*|breath\w*(?!\s+(?:(?:too|that|as|very|really|any)\s+)?(?:fast|quick\w*|rapid\w*|heav\w*|hard|noisily|loudly))|mov\w*|react\w*|eat\w*|drink\w*|feed\w*|pee\w*|wee\w*|urinat\w*|pass\w*"
    r"|com\w* (?:round|to)|came (?:round|to)|mak\w* sense|stop\w*|improv\w*|better|help\w*|work\w*|able|well|himself|herself"
    r"|myself|themselves|sure|longer|point|reason|way|hope|energy|sensation|strength|control|idea|clue|relief|change|sign"
    r"|future|more|matter|doubt|warning|sleep|sooner|end|choice|air|breath|one|pulse|urine|wet|go\w* away|fad\w*"
    r"|blanch\w*|disappear\w*|settl\w*|eas\w*|answer\w*|open\w*|talk\w*|speak\w*|recogni\w*|see\w*|stay\w*|conscious"
    r"|responsive|rousable|awake|alert|budg\w*|shift\w*|catch\w*|get\w*|lift\w*|rais\w*|feel\w* (?:my|his|her|their)|grip\w*"
    r"|hold\w*|keep\w*|swallow\w*|walk\w*|stand\w*|sit\w*|focus\w*|know|remember\w*|live|want|care|miss|around|here"
    r"|alive|exist|like|do this|cop\w*|manag\w*|cope|bear|take (?:it|this|any)|see the point|normal|himself|right|making)\b"
)
_ZH_DENIAL = re.compile(r"否认|并无|并没有|从未|从没|没有|没|无|未|不")
# after 不/没/无/未 these words describe the emergency, not a denial ("不舒服", "没反应", "无力", "未缓解"): the
# first set serves the rule matcher (rag.safety.triage), clauses read both
_ZH_PSEUDO_WORDS = {
    "不": ("舒服|适|停|止|住|了|清|醒|出|上|能|动|好|断|退|省|对|来|下|开|起|行|见|到|知|晓|确定|明|小心|慎|管|但|得|久|少",
          "错|想|应|去|要|稳|利索|听使唤|动了|过气|肯|愿|吃|喝"),
    "没": ("力|劲|反应|意识|知觉|法|办法|停|醒|完|事|多久|一会|几分钟|过多久|过一会|精神",
          "呼吸(?!困难|急促|不畅|费力)|气(?!短|促|急|喘)|动静|意思|用|救|希望"),
    "无": ("力|法|意识|反应|缘无故|故|明显(?:的)?(?:诱因|原因)|诱因|原因|征兆|预兆|精打采", "明显|尿|呼吸|意义|望|助"),
    "未": ("缓解|好转|见好|止|停|消退|减轻", "醒"),
}


def _zh_pseudo(*, wide: bool) -> dict[str, re.Pattern[str]]:
    lead = {"没": "有?"}  # 没有反应 as well as 没反应
    return {cue: re.compile(lead.get(cue, "") + "(?:" + (f"{core}|{more}" if wide else core) + ")")
            for cue, (core, more) in _ZH_PSEUDO_WORDS.items()}


_ZH_DENIAL_PSEUDO = _zh_pseudo(wide=True)
ZH_RULE_PSEUDO = _zh_pseudo(wide=False)
# "my breathing and lips are fine", "breathing is normal": the symptom named is reported as absent
# (and "his breathing is the same as usual", "breathing is my usual, no worse": the usual state, not a new sign)
_FINE = re.compile(r"\b(?:is|are|was|were|seems?|looks?|feels?)\s+(?:fine|ok|okay|normal|good|all right|alright|unaffected|unchanged|"
                   r"(?:about |just )?(?:the )?same as (?:usual|normal|always|ever|before)|(?:my|his|her|their) (?:usual|normal)|"
                   r"no worse than (?:usual|normal|my usual|his usual|her usual|on (?:my|his|her) bad days))\b")
_POST_DENIAL = re.compile(r"[:=\-]\s*(?:no|none|nil|negative|denied|denies|absent|无|没有|否认)\b|\b(?:denied|absent|ruled out)\s*$")

_HISTORY = re.compile(
    r"\b(?:in|since|back in) (?:19|20)\d\d\b|\b(?:\d+|a few|several|many|two|three|four|five|ten|some) (?:years?|yrs?|months?) ago\b"
    r"|\b(?:years|months|decades) ago\b|\blast (?:year|month|summer|winter|spring|autumn|fall)\b|\bas a (?:child|kid|teen\w*|baby|toddler|student|youngster)\b"
    r"|\bwhen (?:i|he|she|they) (?:was|were) (?:a |younger|little|small|\d)|\bused to\b|\bhistory of\b|\bprevious(?:ly)?\b|\bin the past\b"
    r"|\byears back\b|\bin (?:my|his|her) (?:childhood|twenties|thirties|youth)\b|\bold (?:stroke|mi|heart attack)\b|\bprior\b"
    r"|(?:19|20)\d\d\s*年|\d+\s*年前|[一二两三四五六七八九十几多]+年前|几个月前|以前|从前|小时候|曾经|去年|上个月|既往|过去曾|早年"
    r"|(?:中|梗|抽|吐|发作|得|患|犯)过(?!去|来|气)"
)
# recent time words keep a clause current even with a history word in it ("had a fit an hour ago")
_RECENT = re.compile(
    r"\b(?:today|tonight|right now|just|this (?:morning|afternoon|evening)|(?:an?|\d+|few) (?:hours?|minutes?|mins?) ago"
    r"|last night|yesterday|currently|at the moment)\b|刚才|刚刚|今天|正在|今晚|昨晚"
)
_HYPOTHETICAL = re.compile(
    r"\b(?:what (?:should|do|would|could|can) (?:i|you|we|one|people) do if|what (?:would|will|could) happen if|what happens if"
    r"|how (?:do|can|would|should) (?:you|i|we|one|people) (?:know|tell|recogni[sz]e|spot)|(?:what|which) are the (?:\w+ )?(?:signs|symptoms)"
    r"|(?:signs|symptoms) of (?:a |an )?(?:stroke|heart attack|anaphylaxis|sepsis|meningitis|overdose)|in case (?:someone|somebody|anyone)"
    r"|if (?:someone|somebody|anyone|a person|a child|my (?:child|kid|son|daughter|baby)|i ever)\b.{0,60}\b(?:would|what|how|should))"
    r"|如果|假如|万一|要是.{0,20}(?:怎么办|怎么|会怎样)|有(?:什么|哪些)(?:症状|表现|征兆|信号)|(?:症状|表现)(?:是什么|有哪些)|怎么(?:判断|识别|知道)"
)
_TOPIC = re.compile(
    r"\b(?:essay|dissertation|thesis|research\w*|studying|study on|documentary|novel|book club"
    # round 15: an activity noun is talk about a subject only when the subject follows ("a training course on suicide", "a
    # film about a stroke"); "collapsed during football training", "fainted in class", "a course of antibiotics" are events
    r"|(?:lesson|lecture|seminar|film|movie|training|course|class(?:es)?)\W+(?:[\w'-]+\W+){0,3}?(?:about|covering|on (?:suicide|self[- ]harm"
    r"|strokes?|heart attacks?|sepsis|overdoses?|mental health|first aid|cpr|anaphylaxis|meningitis|seizures|epilepsy|resuscitation))"
    # ... or when it is what the patient asks about ("I'd like to ask about those breathing rehab classes")
    r"|(?:ask\w*|enquir\w*|inquir\w*|info\w* on|know more) about (?:[\w'-]+\s+){0,4}?(?:lessons?|classes|class|courses?|training|sessions?)"
    r"|article|podcast|discuss\w*|talk(?:ing)? (?:about|with \w+ about)|prevention|awareness|statistics|rates? of"
    r"|suicide rates|scared of (?:having|getting)|afraid of (?:having|getting)|worried about (?:having|getting)|fear of (?:having|getting)"
    r"|at risk of|risk of (?:having|getting))\b"
    r"|论文|课上|课堂|讲座|研究|文章|电影|小说|纪录片|讨论|预防|科普|统计|担心(?:会|得)|害怕(?:会|得)"
)
# first-person intent or current experience overrides a topic word ("studying for exams and want to kill myself")
_FIRST_PERSON_NOW = re.compile(
    r"\b(?:myself|i want to|i'?m going to|i will|i'?ll|i plan|my life|i can'?t go on|i am having|i'?m having)\b|我想|我要|我打算|我不想活"
)


@dataclass(frozen=True, slots=True)
class Clause:
    """One clause of the patient text: its offsets, its text and how it is asserted."""

    start: int
    end: int
    text: str
    sentence: int
    negated: bool = False
    history: bool = False
    hypothetical: bool = False
    topic: bool = False
    listed: bool = False  # denied as an item of a list the previous clause opened with a denial ("no X, Y or Z")

    @property
    def affirmed(self) -> bool:
        """True when the clause reports something happening to the patient now."""
        return not (self.negated or self.history or self.hypothetical or self.topic)

    @property
    def context(self) -> str:
        """'affirmed', or the first reason the clause is not (negated, history, hypothetical, topic)."""
        for name in ("negated", "history", "hypothetical", "topic"):
            if getattr(self, name):
                return name
        return "affirmed"


@dataclass(frozen=True, slots=True)
class DenialTable:
    """Denial cues of both languages, and what after a cue makes it describe the emergency instead of deny."""

    en: re.Pattern[str]
    en_pseudo: re.Pattern[str]  # matched right after an English cue: "isn't responding", "can't breathe"
    zh: re.Pattern[str]
    zh_pseudo: dict[str, re.Pattern[str]]  # by the cue's first character, matched after it: 没反应, 不醒
    zh_emergency_before: str = ""  # characters that make a following 不/没/无/未 part of the emergency: 叫不醒


# the clause table: a clause is negated when any cue in it denies
CLAUSE_DENIALS = DenialTable(_EN_DENIAL, _EN_DENIAL_PSEUDO, _ZH_DENIAL, _ZH_DENIAL_PSEUDO, "叫喊醒停止动")


def denial_cues(low: str, table: DenialTable = CLAUSE_DENIALS) -> Iterator[re.Match[str]]:
    """The cues of `table` in low (lower-cased text) that deny something, English ones first; a cue
    followed by words that describe the emergency itself ("isn't responding", "没反应") is skipped."""
    for cue in table.en.finditer(low):
        if not table.en_pseudo.match(low, cue.end()):
            yield cue
    for cue in table.zh.finditer(low):
        pseudo = table.zh_pseudo.get(cue.group(0)[0])
        if pseudo is not None and pseudo.match(low, cue.start() + 1):
            continue
        if cue.group(0) in {"不", "没", "无", "未"} and cue.start() > 0 and low[cue.start() - 1] in table.zh_emergency_before:
            continue  # 叫不醒 / 喊不醒 / 停不下来: the emergency itself
        yield cue


def _negated(low: str) -> bool:
    if _POST_DENIAL.search(low) or _FINE.search(low):
        return True
    return next(denial_cues(low), None) is not None


def _spans(pattern: re.Pattern[str], text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    for m in pattern.finditer(text, start, end):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if end > pos:
        out.append((pos, end))
    return out


# a denial that opens a list governs the whole list: "no chest pain, dizziness or shortness of breath", "没有胸痛、头晕或者喘不上气"
# (the items after the first, split off at the comma or 、, are denied too). A list's tail is a run of items ending in
# "or"/"nor" (English, after a comma) or any item after 、 (Chinese), with no subject or verb of its own
_LIST_OPEN_EN = re.compile(r"^(?:no|not any|without|never had|never)\s")
_LIST_TAIL_EN = re.compile(r"^(?!.*\b(?:i|i'm|i've|he|she|it|it's|we|they|you|is|are|was|were|has|have|had|but|now|then|just|only|"
                           r"still|feel\w*|get\w*|got)\b)[a-z' -]+\b(?:or|nor)\b[a-z' -]+$")
_LIST_OPEN_ZH = re.compile(r"^(?:也|都|并|还|从)?(?:没有|没|无|不|未)")
_LIST_TAIL_ZH = re.compile(r"^(?!.*(?:但|就是|只是|可是|不过|现在|还是|倒是|有点|有些|总是|老是|一直))[\u3400-\u9fff]{1,12}$")


def _denied_list_tail(prev: Clause, between: str, clow: str) -> bool:
    """True when a clause continues a list that the previous clause of its sentence opened with a denial."""
    if not prev.negated or prev.history or prev.hypothetical:
        return False
    plow = prev.text.lower().replace("\u2019", "'").strip()
    if has_cjk(clow):
        return between.strip() == "\u3001" and bool(_LIST_OPEN_ZH.match(plow) and _LIST_TAIL_ZH.match(clow))
    return between.strip() == "," and bool(_LIST_OPEN_EN.match(plow) and _LIST_TAIL_EN.match(clow))


def split_clauses(text: str) -> list[Clause]:
    """Clauses of the text (empty ones dropped), each with its context flags."""
    low = text.lower().replace("\u2019", "'")
    clauses: list[Clause] = []
    for si, (s0, s1) in enumerate(_spans(_SENTENCE_BREAK, low, 0, len(low))):
        first = len(clauses)
        for c0, c1 in _spans(_CLAUSE_BREAK, low, s0, s1):
            raw = text[c0:c1]
            stripped = raw.strip()
            if not re.search(r"\w", stripped):
                continue
            lead = len(raw) - len(raw.lstrip())
            a, b = c0 + lead, c0 + lead + len(stripped)
            clow = low[a:b]
            recent = bool(_RECENT.search(clow))
            prev = clauses[-1] if len(clauses) > first else None
            listed = prev is not None and _denied_list_tail(prev, low[prev.end:a], clow)
            clauses.append(Clause(
                start=a, end=b, text=text[a:b], sentence=si,
                negated=_negated(clow) or listed, listed=listed,
                history=bool(_HISTORY.search(clow)) and not recent,
                hypothetical=bool(_HYPOTHETICAL.search(clow)),
                topic=bool(_TOPIC.search(clow)) and not _FIRST_PERSON_NOW.search(clow),
            ))
    return clauses


def units(clauses: list[Clause]) -> list[tuple[str, tuple[Clause, ...]]]:
    """Affirmed clauses alone and adjacent affirmed pairs of one sentence: what the meaning layers compare."""
    out: list[tuple[str, tuple[Clause, ...]]] = []
    for i, c in enumerate(clauses):
        if not c.affirmed:
            continue
        out.append((c.text, (c,)))
        if i + 1 < len(clauses):
            n = clauses[i + 1]
            if n.affirmed and n.sentence == c.sentence:
                joiner = "，" if re.search(r"[\u3400-\u9fff]", c.text) else ", "
                out.append((c.text + joiner + n.text, (c, n)))
    return out


def clause_at(clauses: list[Clause], pos: int) -> Clause | None:
    """The clause holding character offset pos, or None between clauses."""
    for c in clauses:
        if c.start <= pos < c.end:
            return c
    return None


# a Chinese cue denies a symptom at the start of its clause or after an adverb or a subject ("不发烧", "都不肿",
# "孩子没发烧"); after a verb it is a verb complement that reports one ("睡不着", "吃不下", "喘不上气")
_ZH_DENIES = re.compile(r"(?:^|[都也并从还又就而且全点他她我它子儿女上])(?:" + _ZH_DENIAL.pattern + ")")


# "还没好", "一直不见好", "未缓解": the symptom goes on; that says it is there, not that it is absent
_ZH_PERSISTS = re.compile(r"(?:还|仍|仍然|一直|都)?(?:没有?|未|不见|没见)(?:好转?|见好|好利索|缓解|减轻|退|消)")


# "didn't take the malaria tablets", "haven't used my inhaler": what was not done, not a symptom that is absent
_EN_NOT_DONE = re.compile(r"\b(?:didn'?t|did not|haven'?t|have not|hasn'?t|has not|never|forgot to|wasn'?t able to)\s+"
                          r"(?:take|took|taken|use|used|finish|finished|get|got|go|went|bring|brought)\b", re.IGNORECASE)


# "能吃能玩不发烧", "吃奶还行没发烧": a fever denied at the end of a run of how the child is, after a word _ZH_DENIES does not
# expect before its cue (a parent's list of reassurances; the fever guideline had been the anchor of a constipated
# five-year-old's answer, answers_dev10)
_ZH_NO_FEVER_AT_END = re.compile(r"(?:不|没|没有)(?:发烧|发热|发高烧)了?[~ ]*$")


def _denies_symptom(clause: str) -> bool:
    if not has_cjk(clause):
        return not _EN_NOT_DONE.search(clause.replace("\u2019", "'"))
    bare = _ZH_PERSISTS.sub("", clause.strip())
    return bool(_ZH_DENIES.search(bare) or _ZH_NO_FEVER_AT_END.search(bare))


def affirmed_text(text: str) -> str:
    """The text without its denied and past clauses ("no fever", "没有血", "had a stroke in 2019"): what a
    complaint is about, for choosing the guideline and the conditions it describes. The whole text when
    every clause is denied or past (a question made only of denials still has a topic)."""
    kept = [c.text for c in split_clauses(text) if not (c.history or (c.negated and (c.listed or _denies_symptom(c.text))))]
    if not kept:
        return text
    return ("，" if has_cjk(text) else ", ").join(kept)


def denied_text(text: str) -> str:
    """The denied clauses of the text ("no fever", "不发烧"), joined; "" when none: what the complaint says is not there."""
    kept = [c.text for c in split_clauses(text) if c.negated and not c.history and (c.listed or _denies_symptom(c.text))]
    return ("，" if has_cjk(text) else ", ").join(kept)
