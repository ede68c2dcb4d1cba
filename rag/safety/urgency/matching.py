"""Matching the patient's facts against the criteria' clauses."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from rag.safety.urgency.criteria import (
    _WEEKS_WHY,
    Criterion,
    _Clause,
    _seek_level,
)
from rag.safety.urgency.facts import (
    Facts,
)
from rag.safety.urgency.terms import (
    _CJK,
    _CONTEXT,
    _COURSE,
    _SEVERITY,
    _SPEED,
    _WEAK,
    LEVEL_RANK,
    _body_words,
    _concept_tokens,
    _terms,
    _tokens,
)
from rag.types import Passage

# --- matching -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Match:
    """A criterion the patient's facts satisfy: which clause and on what grounds."""

    criterion: Criterion
    clause: str
    level: str
    level_why: str
    grounds: str
    # the concept signs of the matched clause the patient named, beyond the guideline's own subject ("hoarse" in the
    # chronic-cough guideline's "a hoarse voice for more than 3 weeks"; not "cough")
    signs: frozenset[str] = frozenset()

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


def _signs(tokens: AbstractSet[str]) -> frozenset[str]:
    """The signs among these tokens: concepts of the table, not how it goes, how bad, the context or a body part."""
    return frozenset(t for t in tokens if t in _concept_tokens()) - _COURSE - _WEAK - _CONTEXT - _body_words()


@functools.lru_cache(maxsize=4096)
def _guideline_tokens(text: str) -> frozenset[str]:
    """_tokens of guideline text (titles, scope passages, self-care statements: the same strings on every
    request), computed once per process. Never called with patient text, which is not kept across requests."""
    return frozenset(_tokens(text))


def _title_tokens(p: Passage) -> frozenset[str]:
    return _guideline_tokens(p.title)


# a clause that qualifies the one before it ("..., especially with swelling"): the body part it is about is named there
_JOINED = re.compile(r"并且|同时|伴有|伴|后发热|后发烧|\bwith\b|\band\b|\bplus\b", re.IGNORECASE)  # "去过疟疾流行地区后发热": the fever too
_ONE_SIGN = re.compile(r"you mention [^,;]+")
_FASTING = re.compile(r"fasting|before (?:breakfast|eating|meals)|空腹|餐前|饭前", re.IGNORECASE)
_WITH_MID = re.compile(r".伴有?")
_ATTACHED = re.compile(r"\s*(?:especially|particularly|in particular|along with|together with|accompanied by|with)\b|\s*(?:尤其|特别是|伴有|伴)", re.I)


# a clause that is nothing but who the patient is ("the patient is a child", "患者是儿童"): a criterion of its own
_GROUP_ALONE = re.compile(r"\s*(?:the patient|you|they|he|she) (?:is|are) (?:a |an )?(?:child|baby|infant|toddler|newborn)\s*$|"
                          r"\s*(?:患者|病人)?是(?:儿童|孩子|婴儿)\s*$", re.IGNORECASE)


# "chest pain lasts more than a few minutes", "胸痛超过15分钟"
_MINUTES_LONG = re.compile(r"(?:more than|over|longer than|超过|持续)\s*(?:a few|several|\d+|几|十几|[一二三四五六七八九十]+)\s*"
                           r"(?:minutes?|mins?|分钟)", re.IGNORECASE)


# a clause that says where a group is seen ("儿童到儿科就诊", "children are seen by paediatrics"): routing, not a criterion
_ROUTING = re.compile(r"(?:到|去|看|挂)[^，。；,;]{0,10}(?:科|门诊|医院|中心)[）)]?(?:就诊|看病|就医)?[。.]?\s*$|"
                      r"\b(?:can |should |may )?(?:see|go to|(?:be|are) (?:seen|assessed|managed) (?:in|by|at)|attend)\b[^,;.]{0,40}"
                      r"\b(?:paediatric\w*|pediatric\w*|gastroenterolog\w*|clinic|department|service)\s*$", re.IGNORECASE)


def _match_clause(c: _Clause, facts: Facts, topic: set[str], sentence: frozenset[str] = frozenset(),
                  title: frozenset[str] = frozenset(), about: bool = False, off_topic: bool = False) -> str | None:
    """Why this clause holds for the patient, or None (sentence: the tokens of the whole criterion; title: of the
    guideline's title; about: the guideline is the one the answer is about, i.e. the patient has its subject; off_topic:
    the answer is about other guidelines)."""
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
        if op == "ge" and "after_meal" in facts.tokens and _FASTING.search(c.text):
            return None  # "空腹血糖≥7.0" is a fasting reading: 8.5 two hours after lunch is not one
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
    if title & _CAUSES and not title & _CAUSES & facts.tokens and not about:
        return None  # the burns guideline's "burns ... that cause blisters" is not little blisters on the penis
    content = {t for t in c.tokens if t not in topic and t.removeprefix("not_") not in topic}
    if _CJK.search(c.text) and title & _concept_tokens() and not title & facts.tokens \
            and not content - _SEVERITY - _SPEED - _COURSE - _WEAK - _HOW_BAD_ZH:
        # how bad or how fast alone, cut from a Chinese list ("肚子突然剧痛、疼得很厉害或迅速加重"), is about the guideline's
        # subject, which the patient lacks (a headache "疼得厉害" is not the abdominal guideline's)
        return None
    if "cdeformed" in content & facts.tokens:
        content -= _LIMB_PARTS  # a deformed limb or joint: the deformity is the sign, whichever part it is (脚踝, a finger)
    shared = content & facts.tokens
    if "cchest_wall" in facts.tokens and "cchest_pain" in content:
        # chest-wall pain (tender to a press or a twist, or a cough or a deep breath after a fall, a strain or a cold's
        # coughing, with no alarm sign: facts.py) is not the criterion's chest pain
        return None
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
            # (a title the concept table does not know is its own subject in a guideline the answer is not about: a
            # period six weeks late is not six weeks of the depression guideline's "symptoms")
            subject = (sentence & title) or (title & _concept_tokens())
            if subject and not subject & facts.tokens:
                return None
            if not subject and off_topic and (title - _WEAK) and not (title - _WEAK) & facts.tokens:
                return None
        if c.min_temp is not None and off_topic and (title - _WEAK) and not (title - _WEAK) & facts.tokens:
            return None  # the diarrhoea guideline's "a fever of 38.9 °C or higher" is about diarrhoea with a fever
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
    if course == {"cnot_helping"} and facts.tokens & {"cworse", "cnot_improving", "cnot_come_down"}:
        course = set()  # a treatment "not helping" is what "I've done everything on my plan and I'm still getting worse" says
    if course and not course & facts.tokens:
        return None  # "吃了退烧药仍不退烧" is about a fever that does not come down: the other words do not make it
    # how much of the clause the patient must share, counted on its telling words when it has any ("pain that is much
    # worse at night" is met by "my back is way worse at night": the pain goes without saying in a back-pain guideline)
    counted = (content - _WEAK) or content
    if counted <= _NOT_ALONE:
        counted = content  # "pain during sex": sex alone is not the pain (the clause's weak word is its sign here)
    need = len(counted) if len(counted) <= 2 else max(2, math.ceil(0.4 * len(counted)))
    if len(shared) < need:
        return None
    # every sign the clause names is the patient's: "a panic attack that you cannot tell from chest pain" needs the chest
    # pain, "if you test positive and are at higher risk" the risk (the share above is for the other words)
    signs = set(_signs(content))
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
    # ("both legs" with back pain is bilateral leg symptoms, a cauda equina warning sign: only where the patient does not
    # have the guideline's subject is "both" no sign)
    how_many = _HOW_MANY if not (title - _WEAK - {"low", "high"}) & facts.tokens else frozenset()
    if shared <= _body_words() | _WEAK | how_many | {"back"} and (content - _body_words() - _WEAK - _COURSE - how_many - {"back"}) \
            and len(content) >= 3:
        # "a sudden tearing pain going through to the back" is not any back pain, nor "weakness in both legs" sore calves
        # in both legs: the telling words are missing
        return None
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


# how many, which one: words that place a sign ("both legs") but are none
_HOW_MANY = frozenset({"both", "one", "either", "each", "all"})


_CHRONIC_WHY = ("the criterion is about a new complaint that has not settled after a few days; weeks or months of it, not "
                "worse and not severe, are seen within days")
_POSTNATAL_WHY = "low mood after having a baby is assessed within days (postnatal depression needs a clinician)"
_HOARSE_WHY = ("a hoarse voice for three weeks or more, at 45 or over or in a smoker, is checked within days (NICE NG12 lists "
               "persistent hoarseness for a suspected-cancer referral)")
_HYPOS_WHY = ("lows that keep happening need the diabetes medicines reviewed within days (a low can become a severe one); "
              "the guideline gives no time frame")
_COUGH_WHY = ("a cough of three weeks or more at 40 or over, in a smoker or with tiredness, weight loss, breathlessness or chest "
              "pain, is checked within days (NICE NG12 offers a chest X-ray within 2 weeks)")
_APNOEA_WHY = ("suspected sleep apnoea is assessed at a routine appointment (a referral for a sleep study); sleepiness "
               "while driving would make it sooner")
_NO_SYMPTOMS_WHY = "you say you have no symptoms, and the guideline gives no time frame: a check at a routine appointment"
_ZH_WHY = {
    _COUGH_WHY: "40岁以上咳嗽3周以上，吸烟或伴乏力、体重下降、气短或胸痛，需要几天内请医生检查（NICE NG12 建议2周内拍胸片）",
    _NO_SYMPTOMS_WHY: "您说目前没有症状，指南也未给出时限：预约门诊检查即可",
    _APNOEA_WHY: "疑似睡眠呼吸暂停可预约门诊评估（转诊做睡眠监测）；如开车时犯困则需更早就医",
    _HYPOS_WHY: "低血糖反复发生，需要几天内请医生调整降糖药（低血糖可能发展为严重低血糖）；指南未给出时限",
    _CHRONIC_WHY: "该标准针对新出现、几天不见好转的情况；已持续数周或数月、没有加重也不严重的，几天内就医即可",
    _POSTNATAL_WHY: "产后情绪低落需要几天内请医生评估（产后抑郁需要医生评估）",
    _HOARSE_WHY: "45岁以上或吸烟者声音嘶哑超过3周，需要几天内请医生检查（NICE NG12 将持续声音嘶哑列为需排查肿瘤的转诊指征）",
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
    # where the first Chinese form names one example, not the concept (long_term's first is "透析", dialysis)
    out.update(_ZH_CONCEPT_NAMES)
    return out


_ZH_CONCEPT_NAMES = {"long term": "慢性病", "high risk": "高危因素"}


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
    word = bare[1:].replace("_", " ") if bare in _concept_tokens() else _WHOLE_WORD.get(bare, bare)
    return f"no {word}" if negated else word


_WHOLE_WORD = {"diabet": "diabetes"}  # stems a reader would not recognise


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


# a subject a criterion names, and the patient's concepts that are a kind of it
_SUBJECT_IS = {"cinjury": frozenset({"csprain"})}


def match_criteria(facts: Facts, criteria: list[Criterion], topic_doc_ids: AbstractSet[str] = frozenset(),
                   passages: Sequence[Passage] = ()) -> list[Match]:
    """Every criterion one of whose clauses holds for the patient, most urgent first (topic_doc_ids: the guidelines
    the answer is about, when known; passages: what was retrieved of them)."""
    out: list[Match] = []
    subject_words: dict[str, frozenset[str]] = {}
    for p in passages:
        if p.doc_id in topic_doc_ids:
            subject_words[p.doc_id] = subject_words.get(p.doc_id, frozenset()) | _guideline_tokens(p.text)
    # the answer's own guideline is about what the patient says (its title names something of it): another guideline is
    # then "off topic" (a c-section wound answered from the adult fever guideline, "no temperature", is not)
    topic_named = any(p.doc_id in topic_doc_ids and _title_tokens(p) & facts.tokens for p in passages)
    # what the patient's complaint is, as a criterion below an emergency names it: a sprain or a strain is an injury ("if
    # the injury stops you working or playing sport"); an emergency's "after an injury" keeps its own word
    below = replace(facts, tokens=facts.tokens | {sub for sub, kinds in _SUBJECT_IS.items() if kinds & facts.tokens})
    every = facts
    for cr in criteria:
        facts = every if cr.level == "emergency" else below
        title = frozenset(_title_tokens(cr.passage))
        off_topic = bool(topic_doc_ids) and cr.passage.doc_id not in topic_doc_ids and (topic_named or not passages)
        if cr.level != "emergency" and not _has_condition_of(cr.passage, facts, title):
            continue  # "contact primary care if ankles swell" in the COPD guideline is for people with COPD
        # the guideline's own subject goes without saying only for a patient who has it
        topic = set(title & facts.tokens)  # (a title with two subjects, "2型糖尿病与低血糖": only the one the patient has)
        if cr.level == "emergency" and topic_doc_ids and cr.passage.doc_id not in topic_doc_ids and title & _CAUSES \
                and not title & _CAUSES & facts.tokens:
            # a guideline about what happened to the patient (a burn, a bite or sting), when the answer is about another
            # complaint, calls an ambulance only for those it happened to: "burns to the face, hands, ... or genitals that
            # cause blisters" is not a band of shingles blisters on the back (below an emergency its criteria still count: a
            # red, hot, weeping wound is infected whatever caused it). When the answer is about that guideline, the
            # retrieval's choice stands in for words the concept table lacks ("pulled the kettle over"): round 17 widened
            # this to every answer and took it back (a safety net for a scald told in unlisted words)
            continue
        if cr.lead_tokens and not (cr.lead_tokens & facts.tokens):
            continue  # the list is about a condition the patient does not have
        if _PRONOUN_SUBJECT.match(cr.text) and any(f"not_{t}" in facts.tokens and t not in facts.tokens for t in title) \
                and not facts.tokens & _PAIN_OF_ITS_OWN:
            # "it comes with ... a racing heart" is the chest pain's, not for a patient who says "no chest pain" and tells
            # of no pain or pressure of another name ("no chest pain as such, more a pressure ... and my jaw" still is)
            continue
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
        with_at = -1  # where the last Chinese item with "伴" in it ends in the criterion's text
        for cl in cr.clauses:
            # once a qualifier starts, what follows belongs to it ("especially with vision changes or swelling"); and
            # "剧烈头痛伴脖子发硬、怕光": what follows "伴" (with) in a Chinese list qualifies the sign before it, up to the
            # end of that item (a "；" starts the next one)
            at = cr.text.find(cl.text, with_at) if with_at >= 0 else -1
            attached = attached or bool(_ATTACHED.match(cl.text))
            qualifies = attached or (at >= 0 and not re.search(r"[；;。]", cr.text[with_at:at]))
            if cr.passage.language == "zh" and _WITH_MID.search(cl.text) and (end := cr.text.find(cl.text)) >= 0:
                with_at = end + len(cl.text)
            if not qualifies:
                main |= cl.tokens
            grounds = _match_clause(cl, facts, topic, cr.tokens, title, about, off_topic)
            if grounds is not None and tail_days is not None and cl.min_days is None and cl is not last:
                if facts.duration_days is None or facts.duration_days < tail_days:
                    grounds = None
                else:
                    grounds += f"; {facts.duration_days:g} days ≥ {tail_days:g} days"
            if not qualifies:
                main_holds = main_holds or grounds is not None
            if grounds is None:
                continue
            if qualifies and not main_holds and (
                    not {t for t in cl.tokens if t not in topic} <= facts.tokens
                    or not ((main - topic) & facts.tokens)
                    or any(f"not_{t}" in facts.tokens and t not in facts.tokens for t in main)
                    or (main & _SEVERITY and not facts.tokens & _SEVERITY)):
                # (the severity of what is qualified goes with it: "severe pain, especially with …" is not any pain)
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
            if level == "routine" and {"cmood", "cpostnatal"} <= facts.tokens:
                # low mood in the year after a birth: a clinician within days, not a routine appointment (the ladder's
                # own fallback for it says as much: postnatal depression needs a clinician)
                level, why = "soon", _POSTNATAL_WHY
            if level == "urgent" and cl.min_days is not None and cl.min_days <= 7 and (facts.duration_days or 0) >= 28 \
                    and "no time frame" not in why and not facts.tokens & {"cworse", "csevere_pain"}:
                # "the tummy pain has not gone away after a few days" (same day) is an acute pain that lingers; the same
                # complaint unchanged for weeks or months is seen within days, not today (NICE CKS: chronic abdominal
                # pain, a tick bite's rash, without an alarm sign)
                level, why = "soon", _CHRONIC_WHY
            if level not in {"emergency", "urgent"} and cl.min_days is not None and _improving(facts):
                continue  # "cough since a cold 2 weeks ago, slowly getting better": past "more than 10 days", on its way out
            if level not in {"emergency", "urgent"} and cl.min_days is not None and cl.min_days >= 14 and "no time frame" in why:
                # (a criterion that gives its own time frame keeps it: "a prompt (within days) review if ... more than 3 weeks")
                level, why = "routine", _WEEKS_WHY
            elif level == "soon" and cl.routine_cue and "no time frame" in why:
                level, why = "routine", "the criterion is about recurring or long-standing symptoms"
            elif level == "soon" and "no time frame" in why and (_long_standing(facts) or _recurring_episodes(facts)):
                # "see your primary care doctor if palpitations keep coming back" for months of skipped beats: an
                # appointment, not a visit within days (nothing the patient says asks for sooner)
                level, why = "routine", "you describe it as going on for weeks or months, and the guideline gives no time frame"
            if level == "routine" and _persistent_hoarseness_at_risk(facts):
                level, why = "soon", _HOARSE_WHY
            if level == "routine" and _persistent_cough_at_risk(facts):
                level, why = "soon", _COUGH_WHY
            if level == "soon" and "no time frame" in why and "capnoea" in cr.tokens & facts.tokens \
                    and "casleep_driving" not in facts.tokens:
                # snoring with pauses in breathing: a routine appointment (a referral for a sleep study, NICE NG202), not
                # one within days; sleepiness at the wheel is what makes it sooner
                level, why = "routine", _APNOEA_WHY
            if level == "soon" and "no time frame" in why and "no_symptoms" in facts.tokens and not _signs(cl.tokens) \
                    and cl.min_temp is None and cl.min_bp is None and cl.glucose is None:
                # (only a criterion about an exposure, "sex without a condom with a new partner": not a finding such as a
                # blood pressure reading or a sign, which "no symptoms" does not make less pressing)
                # "had sex without a condom with someone new, no symptoms, just want a check-up": a criterion with no time
                # frame, for someone who says they have no symptoms, is a check at a routine appointment
                level, why = "routine", _NO_SYMPTOMS_WHY
            if level == "routine" and "chypo" in facts.tokens and facts.tokens & _AGAIN and (facts.duration_days or 0) < 28:
                # "my sugars keep dropping under 4 most days this week": the hypoglycaemia guideline's "frequent lows"
                # (no time frame) is a medicine to adjust within days, not a booking weeks away
                level, why = "soon", _HYPOS_WHY
            if level != "emergency" and off_topic and not title & facts.tokens and _ONE_SIGN.fullmatch(grounds):
                # below an emergency, a guideline the answer is not about, whose subject the patient does not name,
                # does not decide on one shared word: "back pain" in the UTI guideline's list is a UTI's back pain, not a
                # back that locked lifting a sofa
                continue
            if best is None or LEVEL_RANK[level] < LEVEL_RANK[best.level]:
                best = Match(criterion=cr, clause=cl.text, level=level, level_why=why, grounds=grounds,
                             signs=_signs(cl.tokens & facts.tokens) - title)
        if best is not None:
            out.append(best)
    return sorted(_longest_duration_only(out), key=lambda m: LEVEL_RANK[m.level])


# signs that keep a criterion without a time frame at "soon" however long they have lasted
_SOONER = frozenset({"cbleeding", "cblood_urine", "clump", "cchest_pain", "cfever", "cworse", "csevere_pain", "cnew_medicine"})


_ALARM = frozenset({"cjaundice", "ccough_blood", "cweight_loss", "cnight_sweats", "cconfused", "cfaint", "cnumb", "cvision",
                    "cnonblanch", "cspeech", "cone_side_weak", "cunresponsive", "cthunderclap", "cdrowsy", "cfloppy",
                    "cno_urine", "cpee_trouble", "crigors", "cfluid_leak", "cshingles", "casleep_driving",
                    "cswallow_trouble"})


_AGAIN = frozenset({"crecur", "cfrequent", "cmost_days"})
_NOT_ALONE = frozenset({"sex"})  # what someone does, not a sign: a clause's sign goes with it
_CAUSES = frozenset({"cburn", "cbite", "csting"})
_LIMB_PARTS = frozenset({"cjoint", "cleg", "carm"})
_PAIN_OF_ITS_OWN = frozenset({"pain", "pressure", "tight", "heavi", "squeez", "crush", "discomfort", "ache", "csevere_pain",
                              "ctummy_pain", "cloin_pain"})
_HOW_BAD_ZH = frozenset({"厉害", "很厉", "not_能动"})
# a criterion whose subject is the guideline's own ("it spreads to the arm", "they are not better after 2 days")
_PRONOUN_SUBJECT = re.compile(r"(?:it|they|this|these)\b", re.IGNORECASE)


# a second unexplained symptom with a long cough (NICE NG12): tiredness, weight or appetite loss, breathlessness, chest pain
_WITH_COUGH = frozenset({"tired", "shatter", "exhaust", "fatigu", "appetit", "cweight_loss", "cbreathless", "cchest_pain",
                         "乏力", "没胃口", "没力气"})


def _persistent_cough_at_risk(facts: Facts) -> bool:
    """A cough for three weeks or more at 40 or over, in a smoker or with a second unexplained symptom: not a routine booking."""
    return ("ccough" in facts.tokens and (facts.duration_days or 0) >= 21 and (facts.age_years or 0) >= 40
            and ("csmoker" in facts.tokens or bool(facts.tokens & _WITH_COUGH)))


def _persistent_hoarseness_at_risk(facts: Facts) -> bool:
    """A hoarse voice for three weeks or more in someone 45 or over or who smokes: not a routine ENT booking."""
    return ("choarse" in facts.tokens and (facts.duration_days or 0) >= 21
            and ("csmoker" in facts.tokens or (facts.age_years or 0) >= 45))


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


def _recurring_episodes(facts: Facts) -> bool:
    """Brief episodes that keep coming back ("a skipped beat a few times a week", "thrush for the third time this year"),
    between which the patient is well, with nothing a clinician would want to see sooner: an appointment, as for a
    complaint of weeks (round 17: development writers labelled such episodes routine). Not headaches: a new pattern, night
    waking or worse on coughing are what the headache guideline sends sooner."""
    if not facts.tokens & {"crecur", "cfrequent"} or facts.tokens & (_ALARM | _SOONER | {"cmore_often", "cbreathless", "cheadache", "not_cheadache"}):
        return False
    if facts.new_medicine or facts.pregnant or facts.tokens & {"clong_term", "cfirst_time"}:
        return False
    if facts.duration_days is None or facts.duration_days < 7:
        return False  # "a couple of episodes this week": new, not a pattern yet (and how long is not said: not known to be one)
    return facts.age_years is None or 2 <= facts.age_years < 75


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
