"""The default generator: no language model. Advice is composed of whole sentences copied from the
guideline(s) that match the complaint, chosen by sentence role (rag.knowledge.roles) and by the
patient's context; every item cites the passage its sentence came from. Deterministic.

    passages -> documents scored against the complaint -> anchor document (+ any other that matches
    the complaint too) -> sentences (list lead-ins kept) -> role -> patient filter -> items
"""

from __future__ import annotations

import functools
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from rag.answer.generators.base import GenerationRequest, GenerationResult
from rag.answer.schema import Confidence, DraftAdvice, DraftCondition, DraftSeekCare, DraftSelfCare, DraftTest, Urgency
from rag.knowledge.roles import sentence_role
from rag.safety.clauses import affirmed_text
from rag.text import CJK_RANGE, QUESTION_STOP, chinese_content_words, content_words, detect_language, words
from rag.types import Passage, age_group

__all__ = ["ExtractiveGenerator", "split_sentences", "suits_patient", "matching_documents", "DESCRIPTION", "Sentence"]

DESCRIPTION = "extractive: sentences quoted from the cited guideline passages, no language model"
# at most what a phone screen shows
MAX_SELF_CARE, MAX_SEEK, MAX_TESTS, MAX_CONDITIONS = 4, 2, 2, 3

_CJK = re.compile(f"[{CJK_RANGE}]")
_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(*])|(?<=[。！？])")
_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_DEPARTMENTS = [
    ("emergency department", "Emergency department"), ("urgent care", "Urgent care"), ("cardiolog", "Cardiology"),
    ("neurolog", "Neurology"), ("dermatolog", "Dermatology"), ("gastroenterolog", "Gastroenterology"),
    ("obstetric", "Obstetrics"), ("midwife", "Maternity services (midwife / obstetrics)"), ("paediatric", "Paediatrics"),
    ("pediatric", "Paediatrics"), ("child's doctor", "Paediatrics"), ("endocrinolog", "Endocrinology"), ("diabetes team", "Diabetes team"),
    ("pulmonolog", "Pulmonology"), ("respiratory medicine", "Respiratory medicine"), ("mental health", "Mental health services"),
    ("psychiatr", "Psychiatry"), ("sexual health", "Sexual health clinic"), ("urolog", "Urology"), ("orthop", "Orthopaedics"),
    ("physiotherap", "Physiotherapy"), ("ent (", "ENT (ear, nose and throat)"), ("pharmacist", "Pharmacist"),
    ("primary care", "Primary care"), ("family doctor", "Primary care"), ("general practi", "Primary care"),
    ("发热门诊", "发热门诊"), ("儿科", "儿科"), ("心内科", "心内科"), ("神经内科", "神经内科"), ("消化内科", "消化内科"),
    ("内分泌科", "内分泌科"), ("呼吸内科", "呼吸内科"), ("皮肤科", "皮肤科"), ("睡眠", "睡眠门诊"), ("全科", "全科"), ("急诊", "急诊科"),
]
# emergency first aid: the only self-care kept when the answer is "go to the emergency department now"
_FIRST_AID = re.compile(r"first aid|running water|cool the burn|auto-?injector|adrenaline|recovery position|while (?:you )?wait|"
                        r"fast-acting carbohydrate|glucose tablets|stop the burning|急救|冲洗|肾上腺素笔|葡萄糖", re.I)

# who a sentence is about (patient groups), for sentence-level patient context
_GROUPS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("infant", re.compile(r"\bbab(?:y|ies|y's)\b|\binfants?\b|\bnewborns?\b|\bunder (?:1 year|12 months|6 months|3 months)|"
                          r"婴儿|宝宝|新生儿|1岁以下|6个月以下", re.I)),
    ("child", re.compile(r"\bchild(?:ren|'s)?\b|\bkids?\b|\bteen(?:ager)?s?\b|\bschool-age\b|\bunder-1[68]s\b|儿童|孩子|青少年|小儿|1岁以上儿童", re.I)),
    ("adult", re.compile(r"\badults?\b|成人|成年人", re.I)),
    ("older", re.compile(r"\bolder (?:adults|people)\b|\bover 65\b|\belderly\b|65岁以上|老人|老年", re.I)),
    ("pregnant", re.compile(r"(?<!non-)\bpregnan(?:t|cy)\b|\bantenatal\b|\bprenatal\b|\bmidwife\b|孕妇|怀孕|孕期|妊娠", re.I)),
    ("male", re.compile(r"\b(?:men|man|boys)\b|男性", re.I)),
    ("female", re.compile(r"\b(?:women|woman|girls)\b|女性", re.I)),
)
_NOT_FOR = re.compile(r"not (?:be )?(?:used |given )?(?:for|in|to|give[n]? to) (?:young children|children|babies|infants)|(?:young children|babies)[^.;]*(?:may choke|should not)|"
                      r"不要给?[^，。；]{0,6}(?:婴儿|宝宝)|(?:婴儿|宝宝)禁止", re.I)
_EVERYONE = re.compile(r"\banyone\b|\beveryone\b|\ball ages\b|任何人|所有人", re.I)
_OLDER_CHILD = re.compile(r"older children|children (?:over|aged) \d|1岁以上", re.I)
_NSAID_USE = re.compile(r"ibuprofen|naproxen|nsaid|aspirin|布洛芬|阿司匹林", re.I)
_ANY_RED_FLAG = re.compile(r"\b(?:any|for a|the) red flags?\b|red flags need|任何危险信号|出现危险信号", re.I)
_ASPIRIN = re.compile(r"aspirin|阿司匹林", re.I)
_DOSE_QUESTION = re.compile(r"\bhow (?:much|many)\b|\bdoses?\b|\bdosage\b|\bmaximum\b|\bsafe (?:amount|to take)\b|多少|剂量|用量|最多", re.I)
_NSAID_AVOID = re.compile(r"(?:\bavoid|\bnot|\bnever|\bdon't|不要|避免|禁止|不宜|忌)[^.;,，。；]{0,20}(?:ibuprofen|nsaid|aspirin|布洛芬|阿司匹林)", re.I)
_QUESTION_CHILD = re.compile(r"\b(?:child|son|daughter|kid|boy|girl|toddler|baby|infant|newborn)s?\b|year[- ]old|孩子|儿子|女儿|宝宝|婴儿|小孩|岁", re.I)
_EN_SYNONYMS = {"diarrhea": "diarrhoea", "stools": "diarrhoea", "runs": "diarrhoea", "tummy": "abdominal", "belly": "abdominal",
                "stomach": "abdominal", "temperature": "fever", "feverish": "fever", "throat": "throat",
                "wee": "urinary", "pee": "urinary", "peeing": "urinary", "urine": "urinary", "sick": "vomiting", "vomited": "vomiting",
                "throwing": "vomiting", "spins": "dizziness", "spinning": "dizziness", "lightheaded": "dizziness", "dizzy": "dizziness",
                "heart": "palpitations", "fluttering": "palpitations", "sleep": "insomnia", "awake": "insomnia", "sting": "stings",
                "stung": "stings", "bee": "stings", "tick": "tick", "welts": "hives", "pregnant": "pregnancy",
                "baby": "newborn", "breathless": "copd", "wheezy": "asthma", "inhaler": "asthma", "insulin": "blood sugar",
                "diabetic": "diabetes", "ankle": "sprains", "poo": "diarrhoea", "poos": "diarrhoea", "poop": "diarrhoea",
                "fed up": "depression", "low mood": "depression", "flat": "depression", "hopeless": "depression",
                "anxious": "anxiety", "panic": "anxiety", "pulled": "strains", "twisted": "sprains", "rolled": "sprains", "blood pressure": "hypertension", "coughing": "cough", "flu": "influenza"}
_ZH_SYNONYMS = {"发烧": "发热", "烧到": "发热", "高烧": "发热", "低烧": "发热", "退烧": "发热", "拉肚子": "腹泻", "拉稀": "腹泻", "嗓子": "咽喉", "喉咙": "咽喉", "头疼": "头痛", "睡不着": "失眠",
                "风团": "皮疹", "起疹子": "皮疹", "红疹": "皮疹", "血压": "高血压", "心口": "胸痛", "胸口": "胸痛", "糖尿病": "糖尿病"}


_DYSURIA = re.compile(r"\b(?:it )?(?:burns|burning|stings|stinging|hurts) when (?:i |he |she |they |you )?(?:pee|wee|urinat)\w*")
_LOW_SUGAR = re.compile(r"hypoglyc|low blood sugar|rule of 15|\b15 ?g(?:rams)?\b|glucagon|fast-acting|低血糖|15 ?克|胰高血糖素", re.I)
_FEELS_HOT = re.compile(r"\b(?:feels?|felt|feeling|is|was|so|very|burning) (?:really |very )?hot\b|\bhot to (?:the )?touch\b")
_STINGING = re.compile(r"(?<!\ba )(?<!\bthe )(?<!\bbee )(?<!\bwasp )(?<!\binsect )(?<!\bhornet )(?<!\bjellyfish )\bstings?\b|\bstinging\b")
_SITUATION = re.compile(r"^((?!First aid)(?:(?:For|If|In|With|When|After)\b[^:]{0,40}|[A-Z][a-z]+(?: [a-z]+)?)):|^([^：]{2,15}(?:引起的[^：]{0,8}|者|时|患者))：")
# words of red-flag labels that name no topic ("Possible stroke (BE FAST signs)": "stroke" does)
_LABEL_GENERIC = {"possible", "severe", "sign", "signs", "sudden", "suddenly", "feature", "features", "serious", "large", "amount",
                  "very", "high", "person", "child", "lasting", "minute", "minutes", "repeated", "infant", "month", "months",
                  "difficulty", "illness", "will", "stop", "疑似", "征象", "严重", "突然", "特征", "可能", "孩子"}
_ABOUT_ROLES = {"condition", "red_flag", "seek_care", "tests"}
_GENERIC = {"best", "day", "days", "week", "year", "time", "good", "make", "today", "one", "two", "old", "since", "feel", "get",
            "so", "some", "had", "up", "last", "month", "bit", "still", "again", "start", "said", "just", "all", "first",
            "before", "after", "about", "hav", "m", "s", "t", "l", "take", "got", "what", "can",
            "一样", "怎么", "最好", "好看", "推荐", "明天", "今天", "天气", "晚上", "最近", "已经", "两天", "一个", "这两", "多月", "个多"}


@dataclass(frozen=True, slots=True)
class Sentence:
    """One whole sentence of a passage, with the list lead-in it belongs to already joined."""

    text: str
    n: int  # passage number (1-based), the citation
    position: int  # order within the passage
    role: str


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("**", "").replace("__", "")).strip()


def _join_lead_in(lead: str, item: str, zh: bool) -> str:
    item = item.rstrip(" ;；,，。.")
    if zh:
        return f"{lead.rstrip(':：')}：{item}。"
    conditional = re.search(r"\b(?:if|when|unless|who|whether|because)\s*:$", lead, re.I)
    if conditional:
        return f"{lead.rstrip(':').rstrip()} {item[:1].lower() + item[1:]}."
    return f"{lead.rstrip(':').rstrip()}: {item}."


def split_sentences(text: str) -> list[str]:
    """Whole sentences of a passage. A list's lead-in ("See a doctor if:") is joined to each item;
    fragments (an item whose lead-in is in another chunk, text starting mid-sentence), headings and
    questions are dropped."""
    zh = detect_language(text) == "zh"
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    lines: list[tuple[bool, str]] = []  # (is_list_item, text)
    for block in blocks:
        buf: list[str] = []
        for line in block.splitlines():
            if _ITEM.match(line):
                if buf:
                    lines.append((False, " ".join(buf)))
                    buf = []
                lines.append((True, _ITEM.sub("", line)))
            elif lines and lines[-1][0] and not buf and line.startswith((" ", "\t")):
                lines[-1] = (True, lines[-1][1] + " " + line.strip())  # wrapped list item
            else:
                buf.append(line.strip())
        if buf:
            lines.append((False, " ".join(buf)))
    out: list[str] = []
    lead: str | None = None
    for is_item, raw in lines:
        line = _clean(raw)
        if not line or line.startswith("#"):
            continue
        if not is_item:
            lead = None
        parts = [p.strip() for p in _END.split(line) if p and p.strip()]
        for i, part in enumerate(parts):
            if part.endswith((":", "：")) and i == len(parts) - 1:
                lead = part  # introduces the list that follows; says nothing alone
                continue
            if is_item and lead and i == 0:
                part = _join_lead_in(lead, part, zh)
            elif is_item and i == 0 and not zh and part[:1].islower():
                continue  # an item whose lead-in was cut off into another chunk: half a sentence
            if not zh and part[:1].islower():
                continue  # text that starts mid-sentence (chunk boundary)
            if part.endswith(("?", "？")) or len(words(part)) < 3:
                continue
            if not zh and not part.endswith((".", "!", ")", '"', "”")):
                part = part.rstrip(" ;,") + "."
            out.append(part)
    return out


def _patient_groups(age: float | None, sex: str | None, pregnant: bool | None, query: str) -> set[str]:
    group = age_group(age)
    if group is None and _QUESTION_CHILD.search(query):
        group = "child"
    groups = {group} if group else {"adult"}
    if age is not None and age >= 65:
        groups.add("older")
    if age is not None and age < 1:
        groups.add("child")  # most "child" advice covers babies too; infant-excluding wording is checked apart
    if pregnant:
        groups.add("pregnant")
    if sex in {"female", "male"}:
        groups.add(sex)
    else:
        groups |= {"female", "male"}
    return groups


@functools.lru_cache(maxsize=4096)
def _groups_named(sentence: str) -> frozenset[str]:
    """The patient groups a guideline sentence is about, once per sentence and process (guideline text only)."""
    mentioned = {g for g, rx in _GROUPS if rx.search(sentence)}
    if _EVERYONE.search(sentence):
        mentioned = set()  # "the best choice for children, older adults and anyone at risk"
    if "older" in mentioned:
        mentioned.discard("adult")
    return frozenset(mentioned)


def suits_patient(sentence: str, age: float | None, sex: str | None, pregnant: bool | None, query: str = "") -> bool:
    """False when a sentence is about a patient group this patient is not in (adult-only advice for a
    child, pregnancy advice outside pregnancy, infant advice for anyone but an infant) or would harm them.
    `sentence` is guideline text: the groups it names are cached per process."""
    patient = _patient_groups(age, sex, pregnant, query)
    mentioned = set(_groups_named(sentence))
    sexes = mentioned & {"male", "female"}
    if sexes and not sexes & patient:
        return False
    mentioned -= {"male", "female"}
    young = patient & {"child", "infant"}
    if young and _NOT_FOR.search(sentence):
        return False
    if "infant" in patient and _OLDER_CHILD.search(sentence) and "infant" not in mentioned:
        return False
    if age is not None and age < 8 and re.search(r"older children", sentence, re.I) and not re.search(r"\bchildren\b(?! over)", sentence.replace("older children", ""), re.I):
        return False
    if pregnant and any(not _NSAID_AVOID.search(sentence[max(0, m.start() - 30):m.end()]) for m in _NSAID_USE.finditer(sentence)):
        return False  # ibuprofen and other NSAIDs are avoided in pregnancy unless a doctor advises them
    if age is not None and age < 16 and any(not _NSAID_AVOID.search(sentence[max(0, m.start() - 30):m.end()])
                                            for m in _ASPIRIN.finditer(sentence)):
        return False  # aspirin is not offered to under-16s (Reye's syndrome), even as one option of several
    if not mentioned:
        return True
    if "adult" in patient and mentioned <= {"child", "infant"} and not young:
        # children's doses and babies' feeding are not advice for an adult; a closing clause
        # ("...; ice lollies can help children") does not make the whole sentence theirs
        head = " ".join(re.split(r"\b(?:if|when)\b", sentence, maxsplit=1)[-1].split()[:6])
        zh_head = sentence[:8]
        return not any(rx.search(head) or rx.search(zh_head) for g, rx in _GROUPS if g in {"child", "infant"})
    return bool(mentioned & patient)


def _stem(w: str) -> str:
    """A light English stem so "burned", "burns" and "burn" meet."""
    if len(w) > 5 and w.endswith("ing"):
        return w[:-3]
    if len(w) > 4 and w.endswith("ed"):
        return w[:-2]
    return w.rstrip("s") if len(w) > 4 else w


@functools.lru_cache(maxsize=256)
def _query_terms(query: str, zh: bool) -> frozenset[str]:
    """The complaint's topic terms (cached: one request asks for them from retrieval, the evidence completion and
    the generator)."""
    # what the complaint is about: "不发烧" and "no blood" do not make it a fever or a bleeding question
    query = affirmed_text(query)
    if zh:
        terms = chinese_content_words(query) | _bigrams(query)
        terms |= {v for k, v in _ZH_SYNONYMS.items() if k in query}
        return frozenset(terms - _GENERIC | _reading_terms(query, zh))
    # "it burns when I pee" is about urine, not about burns
    low = _DYSURIA.sub(" urinary pee ", query.lower())
    # "feels hot" is a fever, a hot oven tray is not; "it stings" is a sensation, not an insect sting
    low = _FEELS_HOT.sub(" fever ", low)
    low = _STINGING.sub(" sore ", low)
    low = re.sub(r"\bback of (?:my|the|his|her|their|your) ", " ", low)  # "the back of my thigh" is a thigh
    ws = [_stem(w) for w in content_words(low, QUESTION_STOP) if not w.isdigit()]
    return frozenset(set(ws) - _GENERIC | {_stem(v) for k, v in _EN_SYNONYMS.items() if re.search(rf"\b{re.escape(k)}\b", low)}
                     | _reading_terms(query, zh))


def _reading_terms(query: str, zh: bool) -> set[str]:
    """What a blood sugar reading says the complaint is about: below 4 mmol/L a low, from 7 diabetes."""
    from rag.safety.urgency import glucose_values

    out: set[str] = set()
    for v in glucose_values(query):
        if v < 4.0:
            out.add("低血糖" if zh else "hypoglycaemia")
        elif v >= 7.0:
            out.add("糖尿病" if zh else "diabete")  # stemmed, as the title's "diabetes" is
    return out


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1) if _CJK.match(text[i]) and _CJK.match(text[i + 1])}


def _text_terms(text: str, zh: bool) -> set[str]:
    if zh:
        return chinese_content_words(text) | _bigrams(text)
    return {_stem(w) for w in content_words(text, QUESTION_STOP)}


# characters that make a Chinese character pair a piece of grammar, not a topic ("像被", "压着", "样痛")
_ZH_FUNCTION = frozenset("的了着过是在有和就不也都很吗呢吧啊像被把一样些个这那我你他她它们得地么什怎还又再才")


@functools.lru_cache(maxsize=4096)
def _guideline_terms(text: str, zh: bool) -> frozenset[str]:
    """_text_terms of guideline text (titles, sentences, passages: the same few thousand strings on every
    request), computed once per process. Never called with patient text, which is not kept across requests."""
    return frozenset(_text_terms(text, zh))


@functools.lru_cache(maxsize=2048)
def guideline_sentences(text: str) -> tuple[str, ...]:
    """split_sentences of a guideline passage, computed once per process (never for patient text)."""
    return tuple(split_sentences(text))


def _shared(q: AbstractSet[str], text: str, zh: bool) -> set[str]:
    """Topic words of q in `text`, which is guideline text (its terms are cached)."""
    shared = set(q & _guideline_terms(text, zh)) - _GENERIC
    return {w for w in shared if len(w) >= 2 and not (set(w) & _ZH_FUNCTION)} if zh else shared


def _title_words(title: str, zh: bool) -> set[str]:
    if zh:  # words, not character pairs: "皮疹与过敏反应" is two topics, not six pairs
        return {w for w in chinese_content_words(title) if len(w) >= 2}
    return _text_terms(title, zh) - {"care", "sign", "warning", "symptom", "adult", "children", "child", "infant", "including",
                                     "safety", "testing", "long", "lasting", "common", "trouble"}


def _title_terms(q: AbstractSet[str], title: str, zh: bool) -> set[str]:
    """The complaint's terms the document's title names."""
    t = _title_words(title, zh)
    if zh:
        return {w for w in q if any(g in w for g in t)}
    return t & q


def _title_match(q: AbstractSet[str], title: str, zh: bool) -> float:
    """How much of the document's title the complaint names (0..1)."""
    t = _title_words(title, zh)
    if zh:
        return len({g for g in t if any(g in w for w in q)}) / len(t) if t else 0.0
    return len(t & q) / len(t) if t else 0.0


def _covered(q: AbstractSet[str], topic: set[str], zh: bool) -> set[str]:
    """The complaint's terms a guideline covers: those its sentences share, with their lay synonyms
    ("pee" covers "urinary" and the other way round)."""
    pairs = [(_stem(k), _stem(v)) for k, v in _EN_SYNONYMS.items()] if not zh else list(_ZH_SYNONYMS.items())
    out = set(topic)
    for a, b in pairs:
        if a in topic or b in topic:
            out |= {a, b} & q
    return out


def _department(texts: list[str], language: str) -> str:
    joined = " ".join(texts).lower()
    # the department named first in the referral sentences, not the first in our list
    found = sorted((joined.find(key), i) for i, (key, name) in enumerate(_DEPARTMENTS)
                   if key in joined and (language == "zh") == bool(_CJK.search(name)))
    if found:
        return _DEPARTMENTS[found[0][1]][1]
    return "全科/普通内科" if language == "zh" else "Primary care"


@functools.lru_cache(maxsize=4096)
def _sentence_words(sentence: str) -> frozenset[str]:
    return frozenset(words(sentence))


def _near(a: str, b: str) -> bool:
    """Two guideline sentences that say nearly the same (their word sets are cached)."""
    wa, wb = _sentence_words(a), _sentence_words(b)
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.7


def matching_documents(passages: list[Passage], query: str, language: str, patient: set[str] | None = None) -> list[str]:
    """Documents that match the complaint, best first: the anchor, then any other whose title the
    complaint names or whose passages score nearly as well."""
    best: dict[str, float] = {}
    texts: dict[str, str] = {}
    titles: dict[str, str] = {}
    groups: dict[str, tuple[str, ...]] = {}
    for p in passages:
        groups[p.doc_id] = p.patient_groups
        best[p.doc_id] = max(best.get(p.doc_id, 0.0), p.score)
        # what a document is about: its title and the sentences that describe the condition, its
        # warning signs and when to see someone; not its self-care lists ("chocolate" raises blood sugar)
        about = [t for t in guideline_sentences(p.text) if sentence_role(t, p.section) in _ABOUT_ROLES]
        texts[p.doc_id] = texts.get(p.doc_id, "") + " " + " ".join(about)
        titles[p.doc_id] = p.title
    if not best:
        return []
    zh = language == "zh"
    q = _query_terms(query, zh)
    # a guideline written for this patient's own group (pregnancy, babies, children) outranks a general one
    # (children's guidelines are not among them: a child's cough is not a child's fever)
    # (only guidelines written for that group alone: a children's guideline that also covers babies is a general one)
    special = {d: bool(set(g) & (patient or set()) & {"pregnant", "infant"}) and set(g) <= {"pregnant", "infant", "female"}
               for d, g in groups.items()}
    # a document-level score: its best passage, how much of its title the complaint names, and how many
    # of the complaint's topic words its description/warning-sign/referral sentences share (a headache
    # guideline's "像被箍住一样" shares grammar with "胸口像被压着一样痛", not a topic)
    topic = {d: _shared(q, texts[d] + " " + titles[d], zh) for d in best}
    score = {d: best[d] + 0.15 * _title_match(q, titles[d], zh) + 0.04 * min(4, len(topic[d])) for d in best}
    ranked = sorted(best, key=lambda d: (-score[d], d))
    # the anchor must share a topic word with the complaint: an off-topic question ("best recipe for
    # chocolate cake") reaches some passage, but not one that is about what was asked
    ranked = [d for d in ranked if topic[d]]
    if not ranked:
        return []
    anchor = ranked[0]
    keep = [anchor]
    covered = _covered(q, topic[anchor], zh)
    for d in ranked[1:]:
        # the part of the complaint only this guideline's title names: "burning when I pee" is covered by
        # an STI guideline that describes it, so a UTI guideline adds nothing; a rash beside a fever does
        named = _title_terms(q, titles[d], zh) - covered
        related = bool(_shared(q, texts[d] + " " + titles[d], zh))
        # a near-tie in retrieval score is not a topic match: another guideline joins only when the
        # complaint names a topic the anchor does not cover, or when it is written for this patient's
        # group alone (pregnancy, babies)
        if related and ((named and score[d] >= score[anchor] - 0.2) or special[d]):
            keep.append(d)
            covered |= _covered(q, topic[d], zh)
    return keep[:3]



class ExtractiveGenerator:
    """Grounded by construction: it can only repeat what the passages say."""

    backend = "extractive"
    model = "none"

    def generate(self, request: GenerationRequest) -> GenerationResult:
        draft = self.compose(request)
        return GenerationResult(draft=draft, raw_output=draft.model_dump_json(), backend=self.backend, model=self.model,
                                params={}, description=DESCRIPTION)

    def compose(self, request: GenerationRequest) -> DraftAdvice:
        """The advice: items from the matching guideline(s) only, fit for this patient."""
        zh = request.language == "zh"
        q = _query_terms(request.query, zh)
        patient = _patient_groups(request.age, request.sex, request.pregnant, request.query)
        docs = matching_documents(request.passages, request.query, request.language, patient)
        emergency = request.triage_urgency == "emergency"
        empty = DraftAdvice(seek_care=DraftSeekCare(needed=True, urgency="emergency" if emergency else "routine",
                                                    department=("急诊科" if zh else "Emergency department") if emergency else "",
                                                    reason="", citations=[]))
        if not docs:
            return empty  # nothing in the passages is about this complaint: say so rather than fill
        rank = {d: i for i, d in enumerate(docs)}
        seen: list[str] = []
        by_role: dict[str, list[tuple[tuple[float, ...], Sentence]]] = {}
        for n, p in enumerate(request.passages, start=1):
            if p.doc_id not in rank:
                continue
            for pos, text in enumerate(guideline_sentences(p.text)):
                if (detect_language(text) == "zh") != zh:
                    continue  # never mix languages in one answer
                if not suits_patient(text, request.age, request.sex, request.pregnant, request.query):
                    continue
                if any(_near(text, s) for s in seen):
                    continue
                seen.append(text)
                s = Sentence(text=text, n=n, position=pos, role=sentence_role(text, p.section))
                # advice for a situation the patient did not describe ("For motion sickness: ...",
                # "胃食管反流引起的咳嗽：...") goes after general advice
                lead = _SITUATION.match(text)
                off_situation = bool(lead and not _shared(q, lead.group(1) or lead.group(2), zh))
                # the anchor guideline first, then the passage's own order (guidelines put the main advice first)
                key = (float(rank[p.doc_id]), float(off_situation), float(n), float(pos))
                by_role.setdefault(s.role, []).append((key, s))
        for items in by_role.values():
            items.sort(key=lambda t: t[0])

        def take(role: str, k: int) -> list[Sentence]:
            return [s for _, s in by_role.get(role, [])][:k]

        top = max(p.score for p in request.passages if p.doc_id == docs[0])
        conf: Confidence = "high" if top >= 0.6 else "medium" if top >= 0.4 else "low"
        pool = [(key, s) for key, s in by_role.get("self_care", [])]
        if _DOSE_QUESTION.search(request.query):
            # a question about how much to take is answered by the guideline's dosing sentences
            doses = [(key, s) for key, s in by_role.get("treatment", []) if re.search(r"\d", s.text) and _shared(q, s.text, zh)]
            pool = doses[:2] + pool
        # the anchor guideline's main advice, then the best-matching line of another matched guideline
        # (a pregnancy guideline's medicine advice for a pregnant woman with a cold), then the rest
        first = [s for key, s in pool if key[0] == 0][:MAX_SELF_CARE - 1]
        # (the complaint's own words count, not the patient's group: "pregnancy" is in every line of a pregnancy guideline)
        qc = q - {"pregnant", "pregnancy", "newborn", "baby", "怀孕", "孕妇", "宝宝", "婴儿"}
        extra = sorted((s for key, s in pool if key[0] > 0 and _shared(qc, s.text, zh) and not key[1]),
                       key=lambda s: -len(_shared(qc, s.text, zh)))[:1]
        self_care = first + extra + [s for _, s in pool if s not in first and s not in extra]
        reading = _reading_terms(request.query, zh)
        if reading & {"diabete", "糖尿病"} and not reading & {"hypoglycaemia", "低血糖"}:
            # a high reading is not treated as a low: no "rule of 15" or glucagon for it
            self_care = [s for s in self_care if not _LOW_SUGAR.search(s.text)]
        if emergency:
            # judged on the action itself, not on a "First aid:" lead-in shared by a whole list
            self_care = [s for s in self_care if _FIRST_AID.search(re.sub(r"^first aid:\s*", "", s.text, flags=re.I))]
        # the referral criteria that match what the patient said, anchor guideline first
        pool = [(key, s) for key, s in by_role.get("seek_care", [])]
        # a guideline written for this patient's group (pregnancy, babies) says where they go first
        special = {s.n for _, s in pool if set(request.passages[s.n - 1].patient_groups) & patient & {"pregnant", "infant"}}
        # words of the guideline's own title do not tell its referral criteria apart; "for any red
        # flag" criteria say nothing the triage does not already say
        title_terms = _guideline_terms(request.passages[pool[0][1].n - 1].title, zh) if pool else frozenset()
        pool.sort(key=lambda t: (t[1].n not in special, t[0][0], bool(_ANY_RED_FLAG.search(t[1].text)),
                                 -len((q - title_terms) & _guideline_terms(t[1].text, zh)), t[0][2], t[0][3]))
        seek = [s for _, s in pool[:MAX_SEEK]]
        tests = take("tests", MAX_TESTS)
        conditions = self._conditions(request, docs, by_role, conf)
        if emergency:
            # the warning sign that matches what the patient said, or none: triage already says why
            flags = [s for s in take("red_flag", 20) if _shared(q, s.text, zh)]
            reasons = sorted(flags, key=lambda s: -len(q & _guideline_terms(s.text, zh)))[:1]
            # conditions and tests only from the guideline about this emergency: the anchor, when one of its
            # warning signs matches what the patient said or it is about what the red flags name (a
            # sprains guideline retrieved for "can't lift his arm" is not about a stroke); else none,
            # which would only distract from "call now"
            anchor = docs[0]
            label_terms = _text_terms(" ".join(request.red_flags), zh) - _LABEL_GENERIC
            anchor_text = " ".join(p.title + " " + p.text for p in request.passages if p.doc_id == anchor)
            if any(request.passages[s.n - 1].doc_id == anchor for s in flags) or _shared(label_terms, anchor_text, zh):
                tests = [s for s in tests if request.passages[s.n - 1].doc_id == anchor]
                conditions = [c for c in conditions if c.citations and request.passages[c.citations[0] - 1].doc_id == anchor]
            else:
                tests, conditions = [], []
        else:
            reasons = seek
        urgency: Urgency = "emergency" if emergency else ("soon" if seek else "routine")
        department = ("急诊科" if zh else "Emergency department") if emergency else _department([s.text for s in seek], request.language)
        return DraftAdvice(
            possible_conditions=conditions,
            self_care=[DraftSelfCare(advice=s.text[:1000], confidence=conf, citations=[s.n]) for s in self_care[:MAX_SELF_CARE]],
            seek_care=DraftSeekCare(needed=True, urgency=urgency, department=department,
                                    reason=" ".join(s.text for s in reasons)[:1000], citations=sorted({s.n for s in reasons})),
            suggested_tests=[DraftTest(test=re.split(r"[;；,，(]", s.text)[0][:200], reason=s.text[:1000], citations=[s.n])
                             for s in tests],
        )

    @staticmethod
    def _conditions(request: GenerationRequest, docs: list[str], by_role: dict[str, list[tuple[tuple[float, ...], Sentence]]],
                    conf: Confidence) -> list[DraftCondition]:
        """Conditions the matched guidelines' passages name (rag.answer.conditions), never a title."""
        from rag.answer.conditions import conditions_from_evidence

        keep = set(docs)
        # only the matched guidelines' passages may name a condition; numbering stays the prompt's
        shown = [p if p.doc_id in keep else replace(p, text="") for p in request.passages]
        found = conditions_from_evidence(request.query, shown, request.language, limit=MAX_CONDITIONS, age=request.age)
        fit = [c for c in found if suits_patient(c.quote, request.age, request.sex, request.pregnant, request.query)]
        # a weak match ("Lyme disease" for a wasp sting) is left out when a better one exists
        return [c.draft() for c in fit if c.confidence != "low" or c is fit[0]]
