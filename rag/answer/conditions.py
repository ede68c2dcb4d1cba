"""Possible conditions from the evidence: the conditions the cited passages name, never a document title.

For every sentence of every passage, the conditions it names are found with the alias table
(rag.terms: English and Chinese names and lay aliases -> canonical name -> ICD-10-CM code).
Symptoms (R-codes such as "fever") are not offered as conditions. Each candidate is scored by how well
the patient's words match the sentence that names it and, less, its passage:

    score = 0.55 * sentence match + 0.30 * passage match + 0.15 * retrieval score

where a match is the share of the patient's terms found: their content words (jieba words for
Chinese), the symptoms and conditions they name (canonical, so 拉肚子 matches 腹泻 and "tummy ache"
matches "abdominal pain"), and for Chinese patients over English passages the English terms of
their words (rag.terms.english_terms). A candidate needs at least one matching term in its sentence
or passage. The rationale names the patient's matching symptoms and quotes the sentence; the code
comes from the table, never from a model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag import terms
from rag.answer.schema import Confidence, DraftCondition
from rag.text import QUESTION_STOP, chinese_content_words, content_words, has_cjk
from rag.types import Passage

__all__ = ["ConditionCandidate", "can_have", "conditions_from_evidence", "draft_conditions", "patient_terms"]

_SENTENCE = re.compile(r"(?<=[.!?。！？；;])\s+|(?<=[。！？；])|\n+")
_MARKUP = re.compile(r"^\s*(?:[-*•#]+|\d+[.)])\s*|\*\*|__|\*")


@dataclass(frozen=True, slots=True)
class ConditionCandidate:
    """A condition named in a passage, with the evidence for offering it to this patient."""

    name: str  # in the answer language (canonical name from the table)
    canonical: str  # canonical English name
    icd10: str
    score: float
    confidence: Confidence
    passage: int  # 1-based number of the passage that names it
    quote: str  # the sentence that names it, verbatim
    matched: tuple[str, ...]  # the patient's symptoms/words that the sentence or passage shares
    rationale: str

    def draft(self) -> DraftCondition:
        """As a generator's draft item, citing its passage."""
        return DraftCondition(name=self.name, rationale=self.rationale[:1000], confidence=self.confidence,
                              citations=[self.passage])


def _sentences(text: str) -> list[str]:
    """Sentences without list markers; a lead-in ending in ':' takes the list items after it ("Features
    that suggest a heart attack: pressure ...; pain spreading to the arm ...")."""
    out: list[str] = []
    lead: str | None = None
    for raw in _SENTENCE.split(text):
        s = _MARKUP.sub("", raw).strip()
        if not s or s.startswith("#"):
            continue
        is_item = bool(re.match(r"^\s*(?:[-*•]|\d+[.)])\s+", raw))
        if lead is not None and is_item and len(lead) < 400:
            lead = f"{lead} {s}"
            out[-1] = lead
            continue
        lead = None
        out.append(s)
        if s.endswith((":", "：")):
            lead = s
    return out


_CHRONIC = re.compile(r"慢性|chronic|long-lasting|persistent|超过\s*\d+\s*周|\d+\s*周以上|more than \d+ weeks|over \d+ weeks|"
                      r"\d+ weeks or (?:more|longer)", re.IGNORECASE)
_ACUTE = re.compile(r"急性|acute|少于\s*\d+\s*周|less than \d+ weeks", re.IGNORECASE)
_CLAUSE = re.compile(r"[，,；;、（）()]")
_CHILD = re.compile(r"儿童|小儿|婴儿|幼儿|孩子|宝宝|\b(?:child|children|baby|babies|infant|infants|toddler|toddlers|newborn)\b",
                    re.IGNORECASE)
_DAYS = re.compile(r"(\d+(?:\.\d+)?)\s*(天|日|days?|周|星期|weeks?|个月|months?)", re.IGNORECASE)


def _clause_of(sentence: str, start: int, end: int) -> str:
    """The clause of a sentence around [start, end), cut at commas, semicolons and brackets."""
    left = max((m.end() for m in _CLAUSE.finditer(sentence, 0, start)), default=0)
    right = next((m.start() for m in _CLAUSE.finditer(sentence, end)), len(sentence))
    return sentence[left:right]


def _days(query: str) -> float | None:
    """How long the complaint has lasted, in days, when the patient says ("这两天", "for 3 days")."""
    from rag.safety.verify import normalise_numerals

    m = _DAYS.search(normalise_numerals(query))
    if not m:
        return None
    unit = m.group(2).lower()
    factor = 1 if unit[0] in "天日d" else 7 if unit[0] in "周星w" else 30
    return float(m.group(1)) * factor


# words of a complaint that say nothing about which condition it is
_WEAK = frozenset("need needs all go going time times feel feeling felt very had have been day days week weeks two three "
                  "get got too since also just really much lot like bit some still keep keeps now today yesterday last "
                  "started start getting think not no myself lately weird "
                  # how long and how often: a duration is no symptom ("for about 20 minutes" names no arrhythmia's "minutes")
                  "minute minutes hour hours month months year years every afterwards come comes came "
                  # what the patient does with a medicine names no condition ("take medicines that may be affected")
                  "take takes taking took taken give gives giving gave given "
                  # where the patient is or goes: "when can I go back to work" names no cause
                  "work office job school".split())
# a condition named as a risk group or history ("people with diabetes", "糖尿病患者") is not offered as a cause
_RISK_BEFORE = re.compile(r"(?:people|those|patients|anyone|someone|adults|children|women|men)\s+(?:who\s+have\s+|with\s+)"
                          r"(?:\w+\s+){0,2}$|(?:history\s+of|known|have\s+had|if\s+you\s+have|living\s+with)\s+(?:\w+\s+){0,2}$"
                          r"|(?:患有|有|合并)$", re.IGNORECASE)
_RISK_AFTER = re.compile(r"^(?:患者|病人|人群|病史|的人|者)")
_PREVENT = re.compile(r"(?:avoid|prevent|preventing|reduce\s+the\s+risk\s+of|protect\s+against|预防|避免|防止)\s*(?:\w+\s+){0,3}$",
                      re.IGNORECASE)

# a condition named as what a medicine treats ("一种治疗甲亢的药物", "a medicine used to treat an overactive thyroid")
_TREATS = re.compile(r"治疗\s*$|\b(?:used (?:to treat|for)|to treat|medicines? for|tablets? for|drugs? for)\s+(?:\w+\s+){0,2}$",
                     re.IGNORECASE)


# Chinese words that are grammar, not symptoms ("胸口像被压着一样痛" is not like a headache "像被箍住一样")
_ZH_FUNCTION = frozenset("的了着过是在有和就不也都很吗呢吧啊像被把一样些个这那我你他她它们得地么什怎还又再才")
# a one-character Chinese word is a symptom or a body part only when it is one of these ("痒", "吐", "肿", "腿"); the rest ("多" in 一天比一天好,
# "行" in 行吗, "急" in 又疼又急, "天", "第", "度") are grammar, counts or units, and matched a guideline's 急性 or 多数
_ZH_SIGN_CHARS = frozenset("痒疼痛晕吐咳喘肿胀麻烫酸泻抖闷烧红黄血痰汗尿脓渴哑累困冷热青紫肥瘦"
                           "头脸眼耳鼻嘴牙舌喉颈胸背腰腹肚胃肝肾肺心手臂腿膝脚足皮")
# Chinese words of a complaint that say nothing about which condition it is, as _WEAK for English: when, how much,
# how it feels to be asking, who was asked, where the patient is (question words such as 怎么办, 可以, 应该 never get
# here: rag.text.chinese_content_words leaves them out)
_ZH_WEAK = frozenset(
    "已经 有点 有些 一点 一些 感觉 觉得 整体 开始 今天 昨天 前天 明天 后天 上午 中午 下午 晚上 早上 早晨 夜里 半夜 最近 "
    "这两天 这几天 前几天 这阵子 偶尔 另外 还是 就是 但是 可是 因为 所以 然后 现在 以前 之前 之后 后来 一直 一阵阵 一阵 "
    "加点 右边 左边 两边 能不能 要不要 医生 医院 看病 问问 一天 整天 每天 平时 时候 "
    "时不时 经常 总是 老是 不知道 担心 害怕 请问 谢谢 家里 家里人 上班 单位 领导 学校 不要 "
    # who the patient is or who asks
    "宝宝 宝贝 孩子 小孩 儿子 女儿 老公 老婆 婆婆 奶奶 爷爷 姥姥 姥爷 我爸 我妈 爸爸 妈妈".split())


def _words(text: str) -> set[str]:
    """Comparable words: English content words and, for Chinese, jieba words."""
    out = {w for w in content_words(text, QUESTION_STOP) if not has_cjk(w) and w not in _WEAK and len(w) > 1}
    if has_cjk(text):
        out |= {w for w in chinese_content_words(text) if not set(w) <= _ZH_FUNCTION}
    return out


def _names_nothing(label: str) -> bool:
    """A Chinese word of the complaint that names no symptom, sign or body part ("多", "行", "有点", "医院"): it still
    counts in how much of the complaint a sentence shares, as it always has, but it is no evidence that a sentence is
    about the complaint, and a rationale does not say the patient mentioned it."""
    return has_cjk(label) and (label in _ZH_WEAK or (len(label) == 1 and label not in _ZH_SIGN_CHARS))


@dataclass(frozen=True, slots=True)
class _Concept:
    label: str  # as the patient wrote it
    names: frozenset[str]  # canonical condition/symptom names (matched through the alias table)
    variants: tuple[str, ...]  # lower-cased strings that also count (synonyms, English terms)


_DURATION = re.compile(r"^[\d一二两三四五六七八九十几半多]+[天日周月年个小时分钟次岁]")


def patient_terms(query: str) -> list[_Concept]:
    """What the patient said, as concepts: each named symptom/condition, then each other content word,
    with its synonyms (Chinese lay words) and English terms (for English passages)."""
    concepts: list[_Concept] = []
    spans = []
    for m in terms.find_conditions(query):
        spans.append((m.start, m.end))
        # a named symptom matches through the alias table only, so "fever" does not match "scarlet fever"
        concepts.append(_Concept(m.alias, frozenset({m.name}), ()))
    rest = "".join(" " if any(a <= i < b for a, b in spans) else ch for i, ch in enumerate(query))
    for w in sorted(_words(rest)):
        if _DURATION.match(w):
            continue
        variants = {w.lower(), *(v.lower() for v in terms.zh_synonyms(w))}
        variants |= {t.lower() for t in (terms.english_terms(w) if has_cjk(w) else terms.english_medical(w))}
        concepts.append(_Concept(w, frozenset(), tuple(sorted(variants))))
    return concepts


def _item_quote(sentence: str, start: int, end: int) -> str:
    """The part of a sentence to quote for the mention at [start, end): of a list joined to its lead-in ("请立即就医：
    血糖很高…；严重口渴…；低血糖患者…"), the one item that names the condition, so the quote says what is said of that
    condition and nothing of the others."""
    lead = re.match(r"^[^:：]{2,200}[:：]\s*", sentence)
    if lead is None or start < lead.end():
        return sentence
    rest = sentence[lead.end():]
    items = list(re.finditer(r"[^;；]+(?:[;；]|$)", rest))
    if len(items) < 2:
        return sentence
    for item in items:
        if lead.end() + item.start() <= start and end <= lead.end() + item.end():
            return item.group(0).strip()  # verbatim, so verification reads it as a quote
    return sentence


def _contains(text_low: str, variant: str) -> bool:
    if has_cjk(variant):
        return variant in text_low
    return re.search(rf"(?<![a-z0-9]){re.escape(variant)}(?:s|es)?(?![a-z0-9])", text_low) is not None


def _match(text: str, concepts: list[_Concept]) -> tuple[float, list[str]]:
    """Share of the patient's concepts found in text, and their labels (as the patient said them)."""
    if not concepts:
        return 0.0, []
    names = {m.name for m in terms.find_conditions(text)}
    low = text.lower()
    found = [c.label for c in concepts if (c.names & names) or any(_contains(low, v) for v in c.variants)]
    return len(found) / len(concepts), found


def said_in(query: str, text: str) -> list[str]:
    """The patient's words (as they said them, denials left out) that `text` says, with their synonyms."""
    from rag.safety.clauses import affirmed_text

    return _match(text, patient_terms(affirmed_text(query)))[1]


def _shown(query: str, matched: list[str]) -> list[str]:
    """The matched terms the patient wrote, longest first kept, words inside a kept phrase dropped."""
    low = query.lower()
    said = [w for w in dict.fromkeys(matched) if w.lower() in low]
    out: list[str] = []
    for w in sorted(said, key=len, reverse=True):
        if not any(w.lower() in k.lower() for k in out):
            out.append(w)
    # back in the patient's order
    return sorted(out, key=lambda w: low.find(w.lower()))


# per language: how matched words are joined, then the rationale with no match, with matches in the quoted
# sentence, and with matches elsewhere in its section
_RATIONALE = {
    "zh": ("、", "指南中写道：\u201c{quote}\u201d", "您提到的{said}与指南中的这段描述相符：\u201c{quote}\u201d",
           "与您提到的{said}相符的指南段落写道：\u201c{quote}\u201d"),
    "en": (", ", "The guideline says: \u201c{quote}\u201d", "You mention {said}, which the guideline describes: \u201c{quote}\u201d",
           "The guideline section that matches your {said} says: \u201c{quote}\u201d"),
}


def _rationale(language: str, matched: list[str], quote: str, in_sentence: bool) -> str:
    joiner, unmatched, in_quote, in_section = _RATIONALE["zh" if language == "zh" else "en"]
    shown = matched[:4]
    template = unmatched if not shown else in_quote if in_sentence else in_section
    return template.format(said=joiner.join(shown), quote=quote)


# who can have a condition at all, by canonical name: (lowest age, age it no longer occurs from, sex). A candidate the
# patient cannot have is not offered, however well the words match ("COPD" for a six-year-old's cold, "giant cell
# arteritis" for a 23-year-old's tension headaches, "hyperemesis gravidarum" for a four-week-old boy who vomits feeds)
_PREGNANCY = (10.0, 60.0, "female")
_WHO_CAN_HAVE: dict[str, tuple[float | None, float | None, str | None]] = {
    "chronic obstructive pulmonary disease": (35.0, None, None),  # NICE NG115: considered over 35 with a risk factor
    "giant cell arteritis": (50.0, None, None),  # ACR/EULAR 2022 classification: age 50 or over at diagnosis
    "lung cancer": (18.0, None, None), "acute myocardial infarction": (18.0, None, None), "angina pectoris": (18.0, None, None),
    "coronary artery disease": (18.0, None, None), "atrial fibrillation": (18.0, None, None), "osteoporosis": (18.0, None, None),
    "prostatitis": (12.0, None, "male"),
    "gestational diabetes": _PREGNANCY, "ectopic pregnancy": _PREGNANCY, "miscarriage": _PREGNANCY, "pre-eclampsia": _PREGNANCY,
    "eclampsia": _PREGNANCY, "placental abruption": _PREGNANCY, "hyperemesis gravidarum": _PREGNANCY,
    "postpartum hemorrhage": _PREGNANCY, "postpartum depression": (10.0, None, "female"),
    "pelvic inflammatory disease": (10.0, None, "female"), "bacterial vaginosis": (10.0, None, "female"),
    # conditions of babies and young children (NICE: bronchiolitis under 2, febrile seizures 6 months to 6 years)
    "neonatal sepsis": (None, 0.25, None), "neonatal jaundice": (None, 0.25, None), "infant botulism": (None, 1.0, None),
    "bronchiolitis": (None, 2.0, None), "roseola infantum": (None, 4.0, None), "febrile seizure": (None, 6.0, None),
    "croup": (None, 16.0, None), "Kawasaki disease": (None, 16.0, None),
}


def can_have(canonical: str, age: float | None, sex: str | None) -> bool:
    """False when the patient's age or sex rules the condition out (unknown age or sex rules nothing out)."""
    low, high, only = _WHO_CAN_HAVE.get(canonical, (None, None, None))
    if age is not None and ((low is not None and age < low) or (high is not None and age >= high)):
        return False
    return not (only and sex in {"male", "female"} and sex != only)


def _level(score: float) -> Confidence:
    return "high" if score >= 0.5 else "medium" if score >= 0.25 else "low"


@lru_cache(maxsize=4096)
def _passage_mentions(text: str) -> tuple[tuple[str, bool, tuple[tuple[terms.ConditionMention, bool, bool, bool, str], ...]], ...]:
    """What conditions_from_evidence reads from a passage's own text, once per process (guideline text, the same
    passages request after request): for each sentence that names a condition, (sentence, about children?, and for
    each condition named not after a word of prevention: (mention, named as a risk?, chronic illness said of it?, an
    acute cause said just before it?, the part of the sentence to quote))."""
    out = []
    for sentence in _sentences(text):
        mentions = [m for m in terms.find_conditions(sentence) if m.kind == "condition"]
        if not mentions:
            continue
        lead = re.split(r"[:：]", sentence, maxsplit=1)[0] if re.search(r"[:：]", sentence) else ""
        acute_sentence = bool(_ACUTE.search(sentence))
        kept = []
        for m in mentions:
            before = sentence[max(0, m.start - 40):m.start]
            if _PREVENT.search(before):
                continue  # "avoid long periods of dehydration" names no cause
            if _TREATS.search(before) and (not has_cjk(m.alias) or sentence[m.end:m.end + 1] == "的"):
                continue  # what a medicine is for is no cause: "卡比马唑（一种治疗甲亢的甲状腺药物…）的人嗓子疼" names no 甲亢
            risk = bool(_RISK_BEFORE.search(before) or _RISK_AFTER.match(sentence[m.end:m.end + 3]))
            # chronic illness, said of this mention (its clause) or of the whole list (the lead-in)
            clause = _clause_of(sentence, m.start, m.end)
            chronic = bool((_CHRONIC.search(clause) or _CHRONIC.search(lead)) if acute_sentence else _CHRONIC.search(sentence))
            acute = bool(_ACUTE.search(re.split(r"[）)。.;；]", before[-24:])[-1]))
            kept.append((m, risk, chronic, acute, _item_quote(sentence, m.start, m.end)))
        out.append((sentence, bool(_CHILD.search(sentence)), tuple(kept)))
    return tuple(out)


def conditions_from_evidence(query: str, passages: list[Passage], language: str, *, limit: int = 3,
                             age: float | None = None, exclude_patient_named: bool = False,
                             sex: str | None = None) -> list[ConditionCandidate]:
    """Conditions named in the passages, best match to the patient's words first, one per condition.

    A sentence about chronic illness counts half for a complaint of two weeks or less (an acute cause,
    said in the mention's clause, a quarter more), and one about children half for a patient aged 16
    or more. `exclude_patient_named` leaves out conditions the
    patient already named ("I have asthma"); a condition the patient's age or sex rules out (`can_have`) is never offered."""
    from rag.safety.clauses import affirmed_text

    concepts = patient_terms(affirmed_text(query))  # "没有血" names no symptom to match
    days = _days(query)
    named = {name for c in concepts for name in c.names}
    best: dict[str, ConditionCandidate] = {}
    for n, p in enumerate(passages, start=1):
        p_score, p_found = _match(p.text, concepts)
        p_told = [w for w in p_found if not _names_nothing(w)]
        for sentence, child, mentions in _passage_mentions(p.text):
            s_score, s_found = _match(sentence, concepts)
            s_found = [w for w in s_found if not _names_nothing(w)]
            if not s_found and not p_told:
                continue
            score = 0.55 * s_score + 0.30 * p_score + 0.15 * max(0.0, min(1.0, p.score))
            if age is not None and age >= 16 and child:
                score *= 0.5
            for m, risk, chronic, acute, quote in mentions:
                if (exclude_patient_named and m.name in named) or not can_have(m.name, age, sex):
                    continue
                m_score = score * (0.4 if risk else 1.0)
                if days is not None and days <= 14 and chronic:
                    m_score *= 0.5
                elif days is not None and days <= 14 and acute:
                    m_score = min(1.0, m_score * 1.25)  # "急性咳嗽…多由感冒、急性支气管炎引起" fits two days of cough
                if m.name in best and best[m.name].score >= m_score:
                    continue
                # the patient's words the quoted sentence shares (else those its passage shares), not the
                # condition's own name
                if quote != sentence:
                    # the patient's words said in the quoted item (else those its passage shares)
                    _, q_found = _match(quote, concepts)
                    s_found = [w for w in q_found if not _names_nothing(w)]
                in_sentence = bool(s_found)
                shown = _shown(query, [w for w in (s_found or p_told)
                                       if getattr(terms.condition(w), "name", None) != m.name])
                best[m.name] = ConditionCandidate(
                    name=m.name_zh if language == "zh" else m.name, canonical=m.name, icd10=m.icd10,
                    score=round(m_score, 4), confidence=_level(m_score), passage=n, quote=quote,
                    matched=tuple(shown), rationale=_rationale(language, shown, quote, in_sentence),
                )
    ranked = sorted(best.values(), key=lambda c: (-c.score, c.passage, c.canonical))
    return ranked[:limit]


def draft_conditions(query: str, passages: list[Passage], language: str, *, limit: int = 3,
                     age: float | None = None, sex: str | None = None) -> list[DraftCondition]:
    """conditions_from_evidence() as draft items for a generator."""
    return [c.draft() for c in conditions_from_evidence(query, passages, language, limit=limit, age=age, sex=sex)]
