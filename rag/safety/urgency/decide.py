"""The decision: the ladder walked, its reason in the patient's language, and departments."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from rag.safety.urgency.criteria import (
    Criterion,
    criteria_of,
    normal_of,
    self_care_of,
)
from rag.safety.urgency.facts import (
    _ASKS_REVIEW_TEXT,
    Facts,
    _days_text,
    illness_days,
)
from rag.safety.urgency.matching import (
    _ALARM,
    _CAUSES,
    Match,
    _guideline_tokens,
    _has_condition_of,
    _show,
    _signs,
    _title_tokens,
    _zh_grounds,
    _zh_names,
    _zh_why,
    match_criteria,
)
from rag.safety.urgency.terms import (
    _CJK,
    _CONTEXT,
    _COURSE,
    _LABEL,
    _WEAK,
    LEVEL_RANK,
    LEVELS,
    _body_words,
    _concept_tokens,
)
from rag.types import Passage

# --- the decision -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UrgencyDecision:
    """The level, the reason in the patient's language, and the passage that backs it (if any)."""

    level: str
    reason: str
    basis: str  # red_flag | criterion | self_care | normal | no_criterion | model | out_of_scope
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
    warning = _part_of_a_warning_sign(facts, criteria, language)
    risk = _risk_without_criterion(facts, language) or warning
    normal = _normal_for(facts, passages, topic) if not warning else None
    if normal is not None:
        # the complaint's own guideline lists everything the patient describes among normal things ("sneezing, hiccups,
        # ... small white spots on the nose": a 10-day-old who feeds well; "mild ankle swelling at the end of the day"
        # at 30 weeks): reassurance with the guideline's words, where being a young baby or pregnant would otherwise
        # ask for a clinician on the guideline's silence (nothing else about the patient does: no fever, reading, new
        # medicine, alarm sign, worsening or failure to improve)
        text, p = normal
        said = (f"检索到的指南中没有与您的情况相符的就医标准，而且指南把您描述的情况列为正常现象：{_quote(p, text, language)}" if zh else
                f"none of the retrieved guidelines' criteria for seeing a clinician match what you describe"
                f"{f' ({understood})' if understood else ''}, and the guideline lists what you describe among normal things: "
                f"{_quote(p, text, language)}")
        if facts.asks_review or facts.asks_booking:
            # normal, and the patient asks to book (a first pregnancy's booking visit, "啥时候去建档"): an appointment,
            # with the guideline's reassurance
            reason = (f"{label['routine']}：{said}；{_ASKS_REVIEW_TEXT['zh']}，因此建议预约门诊。" if zh else
                      f"{label['routine']}: {said}; {_ASKS_REVIEW_TEXT['en']}, so book a routine appointment.")
            return UrgencyDecision("routine", reason, "no_criterion", p, text, ())
        reason = f"{label['self_care']}：{said}" if zh else f"{label['self_care']}: {said}"
        return UrgencyDecision("self_care", reason, "normal", p, text, ())
    self_care = _self_care_for(facts, passages, ranked_doc_ids or [], topic)
    review = _review_without_criterion(facts, language)
    if self_care is not None and not risk and not review and (facts.asks_review or facts.asks_booking):
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

    def has_condition(doc_id: str) -> bool:
        first = by_doc[doc_id][0][1]
        return _has_condition_of(first, facts, frozenset(_title_tokens(first)))

    def best(found: list[tuple[str, Passage]]) -> tuple[str, Passage]:
        return max(found, key=lambda sp: len(_guideline_tokens(sp[0]) & facts.tokens))

    passed: set[str] = set()  # guidelines that never name a condition the patient has
    for doc_id in sorted(by_doc, key=lambda d: order.get(d, len(order))):
        if order and doc_id not in order:
            continue
        scope = set(_title_tokens(by_doc[doc_id][0][1]))
        for p in passages:
            if p.doc_id == doc_id and re.search(r"who this applies|scope|适用", p.section, re.IGNORECASE):
                # concepts and English words only: shared Chinese character pairs say little about the topic
                scope |= {t for t in _guideline_tokens(p.text) if t in _concept_tokens() or not _CJK.search(t)}
        # a temperature taken ("量了37.9度") is what a fever guideline is about, even below the fever it names
        measured = facts.temperature_c is not None and "cfever" in scope
        if not (scope & facts.tokens) and not (facts.settled and doc_id in topic) and not measured:
            # a guideline about something else; the answer's own guideline counts when the patient says it has
            # settled ("38.2 last night, playing fine after Calpol": no fever word, but the fever guideline's self-care)
            continue
        if not has_condition(doc_id):
            continue  # "pursed-lip breathing" in the COPD guideline is self-care for COPD, not for new breathlessness
        if any(_ASSESSED_FIRST.search(t) for t, _ in by_doc[doc_id]) and not (facts.conditions or facts.tokens & {"ctold", "cdischarged"}) \
                and not (facts.tokens & _MECHANICAL and "cinjury" not in facts.tokens):
            # "Self-care is only for pain that a clinician has already assessed": none for new, unassessed pain, except the
            # same guideline's "mild chest-wall muscle strain" (pain a press or a twist brings on; not after an injury)
            continue
        cause = _title_tokens(by_doc[doc_id][0][1]) & _CAUSES
        if cause and not cause & facts.tokens:
            continue  # a burns guideline's "stop the burning" is no self-care for a red, weeping c-section scar
        if any(f"not_{t}" in facts.tokens and t not in facts.tokens
               for t in _signs(_title_tokens(by_doc[doc_id][0][1]))):
            continue  # the patient denies what the guideline is about ("no chest pain": not the chest-pain guideline's)
        fit = suitable(doc_id)
        if fit and (unsaid := _uncovered(facts, [p for p in passages if p.doc_id == doc_id])):
            if _by_medicine_only(scope & facts.tokens):
                # the guideline shares only a medicine's name with the patient ("can I take paracetamol and ibuprofen
                # together" and the medicines guideline), not the complaint: another guideline may be about it
                passed.add(doc_id)
                continue
            if set(unsaid) <= facts.conditions and not facts.tokens & _RISK:
                # a known condition this guideline never names ("diagnosed panic attacks"): another guideline may name it
                # (not a long-term condition or a weakened immune system: those make any illness a clinician's question)
                passed.add(doc_id)
                continue
            return None  # the patient names a sign or a condition this guideline's text never mentions
        if fit:
            if topic and doc_id not in topic:
                own = [sp for d in sorted(topic & by_doc.keys(), key=lambda d: order.get(d, len(order)))
                       if has_condition(d) and d not in passed for sp in suitable(d)]
                if own:
                    return best(own)
            return best(fit)
    return None


_RISK = frozenset({"clong_term", "chigh_risk", "cweak_immune"})
_MEDICINE_WORDS = frozenset({"take", "taking", "medicin", "tablet", "pill", "dose"})


def _by_medicine_only(shared: AbstractSet[str]) -> bool:
    """True when the words a guideline shares with the patient are medicines' names (and words about taking them)."""
    from rag.terms import normalise_drug

    drugs = {t for t in shared if normalise_drug(t)}
    return bool(drugs) and shared - drugs <= _MEDICINE_WORDS


# pain a press, a twist or a strained muscle brings on
_MECHANICAL = frozenset({"pres", "twist", "muscl", "一按", "按着", "按压"})
# a guideline's self-care that holds only after a clinician has assessed the complaint (chest pain)
_ASSESSED_FIRST = re.compile(r"\bonly for \w+(?: \w+)? that a (?:clinician|doctor) has (?:already )?(?:assessed|checked|diagnosed)\b|"
                             r"只适用于已经(?:医生|医师)?(?:评估|诊断|检查)过", re.IGNORECASE)
# signs a self-care answer must have heard of: not how bad or how long, not who or where
_NOT_A_SIGN = _WEAK | _CONTEXT | _COURSE | frozenset({"cvaccinated", "ctravel", "cinjury", "chigh_risk", "csevere_pain", "breath_on_exertion", "rapid", "severe",
                                                     "cgood_spirit", "cpoor_spirit", "cfirst_time", "cmore_often",
                                                     "cfrequent", "cmost_days", "citch", "credness", "cdrink_less",
                                                     "ccommon_cold", "clong_time"})
# everyday conditions a self-care answer need not name (a cold, hay fever)
_EVERYDAY = frozenset({"acute nasopharyngitis", "allergic rhinitis"})


# what a guideline's list of normal things never covers: a fever, how bad or fast, a course that is not settling,
# drinking or feeding less, fewer wet nappies
_NOT_NORMAL = frozenset({"cfever", "severe", "csevere_pain", "rapid", "cworse", "cnot_improving", "cnot_come_down",
                         "cpattern_change", "cdrink_less", "crefuse_drink", "cless_urine", "cno_urine", "cbreathless"})


_IN_LABOUR = frozenset({"regular", "contraction", "ccontraction", "every_minutes", "cwaters", "cfluid_leak", "cbleeding"})


def _near(token: str, said: AbstractSet[str]) -> bool:
    """The same word as one of `said`, allowing for its ending ("ankl" and "ankle", "hiccups" and "hiccup")."""
    if token in said:
        return True
    return token.isascii() and len(token) >= 4 and any(s.isascii() and len(s) >= 4 and (s.startswith(token[:4]) and
                                                                                        token.startswith(s[:4])) for s in said)


def _normal_for(facts: Facts, passages: list[Passage], topic: AbstractSet[str]) -> tuple[str, Passage] | None:
    """A statement of the complaint's own guideline (`topic`) that lists everything the patient describes among normal
    things, when nothing else about the patient asks for a clinician; None otherwise. Every sign of the concept table and
    every part of the body the patient names must be in the list (a fever or vomiting is not "some spitting up"), and a
    telling word of the list must be the patient's."""
    if not topic or facts.tokens & (_NOT_NORMAL | _ALARM) or facts.readings or facts.new_medicine or facts.past_reaction:
        return None
    if facts.pregnant and facts.tokens & _IN_LABOUR:
        return None  # tightenings that come regularly or are contractions are not "mild Braxton Hicks" (preterm labour)
    if (facts.temperature_c is not None and facts.temperature_c >= 37.5) or facts.glucose_mmol is not None or (
            facts.blood_pressure is not None and (facts.blood_pressure[0] >= 140 or facts.blood_pressure[1] >= 90)):
        return None
    if _risk_without_criterion(dataclasses.replace(facts, pregnant=False, age_years=None), "en"):
        return None  # something beyond being a young baby or pregnant (a reading, a medicine, an alarm sign, a worsening)
    # (and every part of the body the patient names: "small white spots on the nose" is not white patches on the tongue,
    # and a bite's normal local reaction is not tender glands in the armpit)
    signs = ({t for t in facts.tokens if t in _concept_tokens()} - _NOT_A_SIGN - _body_words()) | (facts.tokens & _body_words())
    for text, p in normal_of([q for q in passages if q.doc_id in topic]):
        cause = _title_tokens(p) & _CAUSES
        if cause and not cause & facts.tokens:
            continue  # a bite's "normal local reaction" is for a bite
        said = _guideline_tokens(text)
        # (being pregnant is no telling word: "normal pregnancy discomforts" names every pregnant patient, and one who
        # has kept nothing down for a day has none of them)
        telling = {t for t in facts.tokens if not t.startswith("not_") and t not in _WEAK and _near(t, said)} \
            - {"normal", "pregnant", "chigh_risk"}
        if all(_near(t, said) for t in signs) and telling and not (facts.conditions - _EVERYDAY):
            return text, p
    return None


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


# a warning sign set apart from the normal form of the same signs
_UNLIKE_NORMAL = re.compile(r"\bunlike (?:normal|usual|your usual)\b|\bdifferent from (?:normal|usual)\b|与平常的?.{0,6}(?:明显)?不同|"
                            r"和平时的?.{0,6}不一样", re.IGNORECASE)


def _part_of_a_warning_sign(facts: Facts, criteria: list[Criterion], language: str) -> str:
    """Every sign (two or more) of a retrieved emergency or same-day criterion clause that the patient names, although the
    whole clause did not hold ("tummy pain and vomiting" against "severe tummy pain with vomiting"): not self-care."""
    for cr in criteria:
        if cr.level not in {"emergency", "urgent"} or _UNLIKE_NORMAL.search(cr.text):
            continue  # ("severe vomiting, unlike normal morning sickness": its signs told plainly are the normal kind)
        title = frozenset(_title_tokens(cr.passage))
        for cl in cr.clauses:
            signs = {t for t in cl.tokens if t in _concept_tokens()} - _NOT_A_SIGN - _body_words() - title
            named = sorted(signs & facts.tokens)
            if len(named) >= 2 and len(named) == len(signs):  # one sign alone (swelling, a headache) says too little
                shown = "、".join(_zh_show(a) for a in named) if language == "zh" else ", ".join(_show(a) for a in named)
                return (f"您提到{shown}，指南把它列为需要尽快就医的情况之一" if language == "zh" else
                        f"you mention {shown}, which the guideline lists among the signs to be seen for")
    return ""


# what may be told beside a baby's fever after the jabs, for it to be the expected reaction
_VACCINE_FEVER_ONLY = frozenset({"cvaccinated", "cfever", "cgood_spirit", "cfluids_down", "crunny_nose", "not_crash", "not_cvomit"})


def _expected_vaccine_fever(facts: Facts) -> bool:
    """A fever under 39 °C in a baby of 3 months to 2 years who had the jabs within the last two days and is otherwise
    well (nothing else told): the expected reaction the NHS says to treat at home (paracetamol, fluids), not a reason for
    a clinician within days; every development writer (six vignettes, four writers) labelled it self-care."""
    if "cvaccinated" not in facts.tokens or facts.age_years is None or not 0.25 <= facts.age_years < 2:
        return False
    if facts.temperature_c is not None and facts.temperature_c >= 39.0:
        return False
    days = illness_days(facts)
    if days is not None and days > 2:
        return False
    from rag.safety.urgency.terms import _concept_tokens

    return {t for t in facts.tokens if t in _concept_tokens() or t.startswith("not_c")} <= _VACCINE_FEVER_ONLY


def _risk_without_criterion(facts: Facts, language: str) -> str:
    zh = language == "zh"
    if facts.readings:
        shown = ", ".join(facts.readings[:3])
        return f"您提到的测量值（{shown}）需要医生解读" if zh else f"you report a measurement ({shown}) that a clinician should interpret"
    if facts.pregnant:
        return "您正在怀孕" if zh else "you are pregnant"
    if facts.age_years is not None and facts.age_years < 0.25:
        return "宝宝不到3个月大" if zh else "the baby is under 3 months old"
    if facts.age_years is not None and facts.age_years < 2 and not _expected_vaccine_fever(facts):
        # a toddler dehydrates and worsens faster than the adult wording of most criteria says; a nurse line
        # does not leave a child under two at home on a guideline's silence
        return "孩子不到2岁" if zh else "the child is under two"
    adult = facts.age_years is not None and 16 <= facts.age_years < 65
    if facts.temperature_c is not None and facts.temperature_c >= (40.0 if adult else 39.0) and not facts.settled:
        # (a fever that came down and a child who is playing again is what the guidelines' self-care is for)
        # (an adult of working age with 39 °C on the first day who eats, drinks and thinks clearly is looked after at
        # home; a child, an older adult or someone whose age we do not know is seen)
        return f"体温达{facts.temperature_c:g} °C" if zh else f"the temperature is {facts.temperature_c:g} °C"
    if facts.new_medicine:
        return ("症状是在开始用药或调整药量之后出现的（可能是副作用或过敏），应由开药医生或药师评估" if zh else
                "it began after starting or changing a medicine (a possible side effect or allergy), which the prescriber or a "
                "pharmacist should assess")
    if "cmood" in facts.tokens and "cpostnatal" in facts.tokens:
        # low mood in the year after a birth: postnatal depression is assessed by a clinician, not left to sleep advice
        # (pregnancy warning signs: "postpartum depression ... up to a year after delivery")
        return "您在产后情绪低落（产后抑郁需要医生评估）" if zh else "you feel low after having a baby (postnatal depression needs a clinician)"
    if "crash" in facts.tokens and ("cfever" in facts.tokens or (facts.temperature_c or 0) >= 38.0) and not facts.settled:
        # a rash with a fever is assessed by a clinician (an infection that causes both, or a drug reaction), whichever
        # guideline's self-care was retrieved (no development vignette accepts self-care or routine for it)
        return "您出疹子并且发热" if zh else "you have a rash and a fever"
    if "curine_pain" in facts.tokens and not (facts.usual_pattern or facts.settled or facts.improving):
        # a urine infection is treated by a clinician or a pharmacist who can prescribe (the UTI guideline's "see ... a
        # pharmacist who can treat UTIs if you have symptoms for the first time"); the self-care is what helps meanwhile
        return ("排尿时疼痛或烧灼（可能是尿路感染）需要医生或能处理尿路感染的药师评估" if zh else
                "burning or pain when passing urine (a possible urine infection) should be checked by a clinician or a "
                "pharmacist who can treat urine infections")
    alarm = sorted(facts.tokens & _ALARM)
    if alarm:
        # a sign no guideline here calls self-care ("my eyes have gone yellow"): never left at home on a guideline's silence
        shown = "、".join(_zh_show(a) for a in alarm) if zh else ", ".join(_show(a) for a in alarm)
        return f"您提到{shown}，这需要医生评估" if zh else f"you mention {shown}, which a clinician should assess"
    if "cworse" in facts.tokens:
        return "您说症状在加重" if zh else "you say it is getting worse"
    return ""


def _zh_show(token: str) -> str:
    """A sign as a Chinese reader is shown it, by the concept's first Chinese form (nausea is 想吐), not its English name."""
    return _ZH_ALARM.get(token) or _zh_names().get(_show(token)) or _show(token)


# signs that are never self-care, whatever the retrieved guideline says or does not say
_ZH_ALARM = {"cjaundice": "皮肤或眼睛发黄", "ccough_blood": "咳血", "cweight_loss": "体重下降", "cnight_sweats": "盗汗",
             "cconfused": "意识模糊", "cfaint": "晕倒", "cnumb": "麻木", "cvision": "视力变化", "cnonblanch": "压之不褪色的皮疹",
             "cspeech": "说话不清", "cone_side_weak": "一侧无力", "cunresponsive": "没有反应", "cthunderclap": "突发剧烈头痛",
             "cdrowsy": "嗜睡", "cfloppy": "软弱无力", "cno_urine": "没有尿", "csaddle": "会阴部麻木", "cpee_trouble": "排尿困难",
             "crigors": "寒战", "cfluid_leak": "阴道流水", "cshingles": "带状疱疹", "casleep_driving": "开车时打瞌睡",
             "cswallow_trouble": "吞咽困难"}


_INFECTION = frozenset({"cfever", "csore_throat", "cdiarrhoea", "cvomit", "ccough", "curine_pain", "crigors", "cpus", "cphlegm"})
_DRY = frozenset({"cless_urine", "cno_urine", "cdry_mouth", "cfewer_tears"})
_PEAK_FLOW = frozenset({"peak", "flow"})
_LOSING = frozenset({"cdrink_less", "crefuse_drink", "cvomit", "cdiarrhoea", "cfluids_down", "cfever"})


def _same_day_without_criterion(facts: Facts, language: str) -> str:
    """Signs of dehydration (less urine, a dry mouth, fewer tears) while drinking less or losing fluid, in a child or an
    older adult: every starter guideline that names them sends them for same-day assessment, whichever was retrieved.
    So do a weakened immune system with signs of an infection, an infection in pregnancy, a peak flow below 75 % of the
    best, a reliever needed several times a day, a cough with a fever and breathlessness, new pain low on the right of
    the tummy, and a fever at 65 or over with a long-term condition."""
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
    if facts.new_medicine and "crash" in facts.tokens and (facts.temperature_c or 0) >= 38.0:
        # a rash with a fever after starting a medicine is a drug reaction until shown otherwise (NICE CKS: drug
        # reactions with systemic features are assessed the same day); the blistering kind is a red flag (triage)
        return "您开始用药后出现皮疹并且发热（可能是药物反应）" if language == "zh" else \
            "you have a rash and a fever after starting a medicine (a possible drug reaction)"
    if {"cleg", "cswelling", "cclot_risk"} <= facts.tokens and not facts.tokens & {"both", "两条", "双腿", "两腿"}:
        # one swollen leg after a long flight or journey, an operation, a plaster cast or days in bed is a possible deep
        # vein thrombosis (NHS: an urgent GP appointment or 111; NICE NG158: assessed and scanned the same day), whatever
        # else the patient blames it on ("I assumed I'd pulled something hauling the suitcases")
        return "您一条腿肿，并且最近长途旅行、做过手术、打过石膏或长时间卧床（需排除深静脉血栓）" if language == "zh" else \
            "one leg is swollen after a long journey, an operation, a plaster cast or time laid up in bed (a possible blood clot, DVT)"
    if facts.percent is not None and facts.percent < 75 and (_PEAK_FLOW <= facts.tokens or "峰流" in facts.tokens):
        # a peak flow between half and three quarters of the patient's best is a moderate asthma attack (BTS/SIGN 158;
        # NICE NG245 action plans: the "amber" zone, seen the same day); below half is the guideline's red flag
        return "您的峰流速低于个人最佳值的75%" if language == "zh" else "your peak flow is below 75% of your best"
    feverish = "cfever" in facts.tokens or (facts.temperature_c is not None and facts.temperature_c >= 38.0)
    if "creliever" in facts.tokens and "cmore_often" in facts.tokens and "several_a_day" in facts.tokens:
        # a reliever needed several times a day where it used to be seldom: asthma out of control (BTS/SIGN 158: an
        # urgent review the same day), more than the guideline's "more often than usual" (within days)
        return "您的缓解药现在一天要用好几次" if language == "zh" else "you now need your reliever several times a day"
    if {"ccough", "cbreathless"} <= facts.tokens and feverish and not facts.settled:
        # a cough with a fever and breathlessness is a possible pneumonia (NICE CKS: assessed the same day), more than
        # the cough or fever guidelines' "breathless: see a chest clinic" (within days)
        return "您咳嗽、发热并且气促（需排除肺炎）" if language == "zh" else \
            "you have a cough, a fever and breathlessness (a possible chest infection such as pneumonia)"
    if {"ccough", "cchest_wall"} <= facts.tokens and feverish and not facts.settled and "cinjury" not in facts.tokens:
        # a fever and a cough with chest pain that facts.py reads as the chest wall's (tender to a press, or after a cold's
        # coughing) is still a possible pneumonia (NICE CKS: assessed the same day), though not the guidelines' emergency
        # "chest pain"
        return "您发热、咳嗽，并且胸口疼（需排除肺炎）" if language == "zh" else \
            "you have a fever and a cough with chest pain (a possible chest infection such as pneumonia)"
    if "clower_right" in facts.tokens and (facts.duration_days is None or facts.duration_days <= 3) \
            and not facts.settled and not facts.improving and _tummy_pain(facts.tokens):
        # new pain low on the right of the tummy is a possible appendicitis (NICE CKS: same-day assessment), whichever
        # guideline was retrieved (a Chinese question may retrieve none about the tummy)
        return "您右下腹新出现疼痛（需排除阑尾炎）" if language == "zh" else \
            "you have new pain low on the right of the tummy (a possible appendicitis)"
    age = facts.age_years
    if age is not None and age >= 65 and feverish and "clong_term" in facts.tokens and not facts.settled \
            and not facts.improving:
        # a fever at 65 or over with a long-term condition (diabetes, heart failure, COPD, kidney disease): both are the
        # fever guidelines' risk factors ("make a fever more important"; 《成人发热》's 高危因素), and together a nurse line
        # has it assessed the same day rather than within days
        return "您65岁以上、有慢性病，并且发热" if language == "zh" else \
            "you are 65 or over with a long-term condition and a fever"
    if not (facts.tokens & _DRY and facts.tokens & _LOSING) or age is None or 16 <= age < 65:
        return ""
    if language == "zh":
        return "孩子有脱水迹象（尿少、口干或眼泪少）" if age < 16 else "老人有脱水迹象（尿少、口干）"
    return ("the child shows signs of dehydration (less urine, a dry mouth or fewer tears)" if age < 16 else
            "an older adult shows signs of dehydration (less urine or a dry mouth)")


def _tummy_pain(tokens: frozenset[str]) -> bool:
    """Pain, and no body part named but the tummy ("lower right" of a leg or a tooth is not the tummy's)."""
    pained = any(t in {"pain", "ctummy_pain", "sore", "hurt"} or "痛" in t or "疼" in t for t in tokens)
    elsewhere = tokens & (_body_words() | {"tooth", "teeth", "cback_pain"}) - {"tummy", "belly", "肚子"}
    return pained and not elsewhere


_CHANGED = frozenset({"cworse", "cpattern_change", "cfirst_time"})


def _review_without_criterion(facts: Facts, language: str) -> str:
    """Why a presentation the guideline gives self-care for still wants a routine appointment: it is not improving, it
    may be an allergy to a medicine or a food, it keeps coming back, or it has lasted four weeks or more. Empty when none
    of these holds."""
    zh = language == "zh"
    if "cnot_improving" in facts.tokens:
        return "您说症状没有好转" if zh else "you say it is not improving"
    if facts.past_reaction:
        # a reaction after a medicine or a food: the guidelines send a suspected drug or food allergy to a clinician (an
        # allergy clinic) to be confirmed or ruled out, not left to self-care
        return "您描述了用药或进食后的疑似过敏反应，需要医生评估" if zh else \
            "you describe what may be an allergic reaction to a medicine or a food, which a clinician should assess"
    if "crecur" in facts.tokens and not (facts.usual_pattern and not facts.tokens & _CHANGED):
        # (a known pattern the patient recognises, "my usual migraine, same as always", is what the self-care is for;
        # not when it is worse, different or new this time)
        return "症状反复出现" if zh else "it keeps coming back"
    if "csciatica" in facts.tokens:
        # pain, tingling or numbness going down the leg from the back (sciatica): the back-pain guideline's self-care
        # helps, and a clinician or physiotherapist should see it (every development writer labelled it routine or
        # sooner, none self-care)
        return "您描述的是坐骨神经痛（疼痛或麻木沿腿往下走），需要医生或理疗师评估" if zh else \
            "pain or tingling going down the leg from the back (sciatica) is worth a clinician's or physiotherapist's review"
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
