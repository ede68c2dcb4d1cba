"""The concept table: lay and guideline wordings as shared concept tokens, and the urgency levels."""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

import yaml

from rag.errors import ConfigError
from rag.text import CJK_RANGE

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
_EN_NEG = re.compile(r"\b(no|not|without|never|denies|isn't|wasn't|aren't|weren't|doesn't|don't|didn't|haven't|hasn't|hadn't|nor|free of|"
                     r"isnt|wasnt|arent|werent|doesnt|dont|didnt|havent|hasnt|hadnt)\b")
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
_ZH_GENERIC = frozenset("疑似 发生 出现 情况 症状 就医 医生 门诊 就诊 急诊 诊科 医院 看病 挂号 急救 立即 尽快 或者 以及 已经 现在 最近 感觉 有点 比较 明显 孩子 宝宝 患者 婴儿 儿童 并且 而且 同时 请 并 和 或 也 及 有 迹象 多小 小时 个小".split())  # also connectives: "小便疼痛并且发烧" needs no "并且" from the patient; and places of care, as
# "emergency" and "hospital" in English: "晚上用去急诊吗" asks where to go, it is no sign a criterion can name


_WEAK = frozenset({"pain", "cfever", "high", "bad", "severe", "sore"})  # too common to place a criterion on their own
_COURSE = frozenset({"cnot_improving", "cworse", "crecur", "cnot_come_down", "cnot_helping"})  # how it goes, which a criterion that names it needs
# concepts that say who or when, not a sign ("your partner notices loud snoring", "comes on with exercise")
_CONTEXT = frozenset({"cpartner", "ctold", "cbp", "cglucose", "cexertion", "crest_relief", "cclot_risk"})
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
    if w in ("diabetic", "diabetics"):
        return "diabet"  # "I'm not diabetic" and the guideline's "without diabetes"
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

    return rx.sub(token, _ZH_HEAD_ADVERB.sub(r"\1\2", text.lower().replace("’", "'")))


# "一咳嗽脑袋就疼", "一低头头都痛": an adverb between the head and its pain still makes a headache
_ZH_HEAD_ADVERB = re.compile("(头|脑袋|脑壳)(?:就|都|也|又|还|会|立马|马上)+(疼|痛)")


_NEVER_LIKE = re.compile(r"\b(?:never|not ever)\s+(?:had|felt|experienced|known|get|got)\s+(?:a |an |any |one )?(?:c[a-z_]+|[a-z]+)"
                         r"(?:\s+[a-z]+)?\s+like\s+(?:this|it|that)\b|"
                         r"\b(?:not|never been|never|isn't|am not|i'm not)\s+(?:really\s+|usually\s+)?(?:a|an)\s+(?:c[a-z_]+|[a-z]+)\s+"
                         r"(?:person|sufferer|type)\b")
_FACULTY = frozenset({"cvision", "vision", "sleep", "breath", "hear", "hearing", "speech", "eating", "eat", "drink", "walk", "weeing",
                      "peeing", "wee", "pee", "urine", "balance"})


def _clause_tokens(clause: str) -> set[str]:
    """Content tokens of one clause; words under a negation cue become "not_<word>"."""
    out: set[str] = set()
    # "never had a headache like this", "I'm not a headache person": said to tell the sign is new, not to deny it
    neg_en = _EN_NEG.search(_NEVER_LIKE.sub(lambda m: " " * len(m.group(0)), clause))
    neg_start = neg_en.end() if neg_en else None
    # "hands and face fine": the body parts it names are reported as normal ("asthma is mostly ok" still has asthma)
    fine = bool(_FINE_AFTER.search(clause))
    # ("vision fine", "sleeping fine", "hearing normal": what a faculty does, reported as normal, is denied; a named
    # condition is not: "asthma is mostly ok" still has asthma)
    for m in re.finditer(r"c[a-z_]+(?=\s)|[a-z][a-z']+|[" + CJK_RANGE + r"]+", clause + " "):
        tok = m.group(0)
        if _CJK.match(tok):
            for part, negated in _zh_parts(tok):
                for bg in _bigrams(part, keep_single=negated):
                    out.add(f"not_{bg}" if negated else bg)
            continue
        if tok in _concept_tokens():
            # "没有胸闷气短": a cue before a run of concepts denies each of them
            zh_neg = bool(re.search("(没有|没|无|不|未|否认)[出有起见长]?(?:手脚|手指|脚趾|手|脚|腿|胳膊|脸|嘴唇|嘴|身上|全身)?\\s*"
                                    "(c[a-z_]+\\s*)*$", clause[max(0, m.start() - 60):m.start()]))
            # "视力也正常", "胸口都没问题": a sign said to be normal is denied
            zh_neg = zh_neg or bool(re.match("\\s*(?:也|都|还|一切)?(?:正常|没问题|没有问题|挺好)", clause[m.end():m.end() + 8]))
            denied = zh_neg or (neg_start is not None and m.start() >= neg_start) or (fine and (tok in _body_words() or tok in _FACULTY))
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
        denied = (neg_start is not None and m.start() >= neg_start) or (fine and (tok in _body_words() or stem in _body_words()
                                                                                  or stem in _FACULTY))
        out.add(f"not_{stem}" if denied else stem)
    # a body part and a pain word in one clause are that part's pain, however it is said ("belly has been hurting",
    # "stings like mad when I pee", "肚子一阵阵地疼"); a denied pain ("no tummy pain") is not
    if "pain" in out or _affirmed_pain(clause) and not neg_en:
        for rx, concept in _PART_PAIN:
            if rx.search(clause) and f"not_{concept}" not in out:
                out.add(concept)
    # "a tight ache in the middle of my chest", "chest feels heavy and squeezed": the chest and a word for its pain,
    # tightness or pressure in one clause, undenied (not "burning": heartburn; not a chest infection or a chesty cough)
    if ("cchest_pain" not in out and "not_cchest_pain" not in out and not neg_en and _CHEST_WORD.search(clause)
            and _CHEST_HURT.search(clause) and not _CHEST_NOT.search(clause)):
        out.add("cchest_pain")
        out.discard("chest")  # as a concept form would: the words are the concept now, not a second match on "chest"
    return out


_CHEST_WORD = re.compile(r"\b(?:middle of (?:my|his|her|the) chest|(?:my|his|her|the|centre of (?:my|his|her)) chest)\b", re.I)
_CHEST_HURT = re.compile(r"\b(?:ach(?:e|es|ing|y)|hurt\w*|pain\w*|tight\w*|pressure|squeez\w*|crush\w*|heavy|heaviness|"
                         r"pressing|band)\b", re.I)
_CHEST_NOT = re.compile(r"\b(?:infection|chesty|burn\w*|heartburn|reflux|indigestion|rash|spots?|itch\w*|bruis\w*|"
                        r"cut|scratch\w*|sunburn\w*|hair|x-?ray|clinic)\b", re.I)


_PAINISH = re.compile(r"\b(?:hurt\w*|ach(?:e|es|ing|y)|sore|burn\w*|sting\w*|cburn|csting|pound\w*|throb\w*)\b|疼|痛")


def _affirmed_pain(clause: str) -> bool:
    """A pain word in the clause that a Chinese cue does not deny ("胸口不痛" names the chest to say it does not hurt)."""
    return any(not re.search("(?:不|没|没有|无|未)[^，。,;；]{0,2}$", clause[max(0, m.start() - 4):m.start()])
               for m in _PAINISH.finditer(clause))
_PART_PAIN = (
    (re.compile(r"\b(?:belly|stomach|tummy|abdomen|abdominal|gut)\b|肚子|胃|小腹|下腹"), "ctummy_pain"),
    (re.compile(r"\b(?:pee(?:s|d|ing)?|wee(?:s|d|ing|ed|y)?|urin\w*|cpee_trouble|cblood_urine)\b|小便|撒尿|尿尿|排尿"), "curine_pain"),
    (re.compile(r"\bhead\b|脑袋"), "cheadache"),
    (re.compile(r"\bribs?\b|\bribcage\b|肋骨|肋下|胸口|胸部"), "cchest_pain"),  # "sore ribs when I twist": chest (wall) pain
    (re.compile(r"\bthroat\b|嗓子|喉咙"), "csore_throat"),  # "my throat has gone sore"
)


def _zh_parts(run: str) -> list[tuple[str, bool]]:
    """A run of Chinese split at negation cues; the part after a cue (up to 4 characters) is negated."""
    parts: list[tuple[str, bool]] = []
    pos = 0
    run = re.sub(r"([\u4e00-\u9fff])[不没]\1", r"\1\1", run)  # "要不要去看看", "是不是", "有没有": a question, not a denial
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


# "the results came back", "back from Spain", "a while back": not the back of the body
_NOT_THE_BACK = re.compile(r"\b(came|come|comes|got|get|gets|getting|went|go|goes|going|been|brought|bring|called|rang|ring|wrote|write|"
                           r"sent|send|looked|look|results?|tests?|bloods?|cblood_test|stepped|step|fight|fought|hold|held|cut|cutting|"
                           r"pay|paid|put|moved|move|settle|settled)\s+back\b(?!\s*(?:pain|ache|aches|spasms?|problems?|trouble|injur\w*|"
                           r"muscles?|of\b|is\b|was\b|has\b|hurts?\b|went\b|cpain))|\bback\s+(?=from\b|home\b|to (?:work|normal|school|bed|sleep)\b)|"
                           r"\b(a while|years|months|weeks|way|days|ages)\s+back\b|\b(?:there|and)\s+back\b(?=\s*(?:$|[.,;!?]|again))", re.IGNORECASE)


_BURNING_FEELING = re.compile(r"\b(it|that|this|which|skin|rash|blisters?)\s+(?:really |also |just )?burns\b(?!\s+(?:when|to|while|on|if)\b)",
                              re.IGNORECASE)
@functools.lru_cache(maxsize=1)
def _own_iron() -> re.Pattern[str]:
    """The patient's own iron, ferrous salt or bismuth named in the message: the gi_bleeding concept's `unless_message`
    (rules/concepts.yaml), one pattern for the meaning layer and the ladder."""
    from rag.safety.meaning import load_bank

    found = next((c.unless_message for c in load_bank().concepts if c.id == "gi_bleeding"), None)
    if found is None:
        raise ConfigError("rules/concepts.yaml: the gi_bleeding concept has no unless_message (the ladder reads it)")
    return found


_STOOL_WORD = re.compile(r"\b(?:poo\w*|stools?|motions?|bowel movements?)\b", re.IGNORECASE)
_DARK = re.compile(r"\b(?:black|dark|tarry)\b", re.IGNORECASE)
_STINGER = re.compile(r"\b(?:bee|bees|wasp\w*|hornet\w*|insect\w*|jelly ?fish|nettles?|scorpion\w*|ants?|stung|bug|bugs|bitten)\b|蜇|蜂",
                      re.IGNORECASE)
_STINGING_FEELING = re.compile(r"\b(it|it's|and|that|which|skin|finger|eyes?|cut|wound|graze)\s+(?:really |just |still |a bit |also )?"
                               r"stings\b(?!\s+(?:me|him|her|you)\b)|()\bstings (?=a bit|a little|a lot|like mad)", re.IGNORECASE)
_URINE_NEAR = re.compile(r"\b(?:wee\w*|pee\w*|urin\w*|toilet|loo|pass(?:ing)? water)\b|尿", re.IGNORECASE)
_LOOKED_GREEN = re.compile(r"\b(?:i|he|she|they|we|you|face|faces|baby|kid|child|and|then)\s+(?:went|gone|go|goes|turned|turning|looked|looking|"
                           r"looks)\s+(?:a bit |quite |all |really |very )?green(?:ish)?\b|\bgreen as a frog\b|\bgreen (?:a)?round the gills\b")


def _tokens(text: str) -> set[str]:
    if _own_iron().search(text):
        # black stools with iron tablets, ferrous salts or bismuth named in the message are what those do (the red-flag
        # rules' and the meaning layer's `unless`), not a bleed: the colour word is kept out of the stool's description
        for m in list(_STOOL_WORD.finditer(text)):
            lo, hi = max(0, m.start() - 30), m.end() + 60
            text = text[:lo] + _DARK.sub("iron-coloured", text[lo:hi]) + text[hi:]
    # "it's red and stings but no blister": a feeling, not an insect's sting (unless an insect, a jellyfish or a nettle is named)
    if not _STINGER.search(text):
        text = _STINGING_FEELING.sub(lambda m: m.group(0) if _URINE_NEAR.search(text[max(0, m.start() - 60):m.end() + 30])
                                     else (m.group(1) or "") + " smarting ", text)
    # "a band of blisters, it burns": a feeling, not a burn injury (next to a wee it is the wee's: "pinkish and it burns")
    text = _BURNING_FEELING.sub(lambda m: m.group(0) if _URINE_NEAR.search(text[max(0, m.start() - 60):m.end() + 30])
                                else m.group(1) + " burning", text)
    # "the bite is red and itchy, hot to touch": the heat of an inflamed spot, not a fever
    text = re.sub(r"(\b(?:bite|sting|swelling|swollen|lump|wound|cut|scar|joint|knee|ankle|elbow|wrist|calf|breast|area|patch|"
                  r"boil|spot)\b[^.;!?]{0,60}?)\b(?:hot|warm) to (?:the )?touch\b", r"\1 warm spot", text, flags=re.IGNORECASE)
    # "a blister about 4cm across": a size, not "across a joint"
    text = re.sub(r"(\d\s*(?:cm|mm|centimet\w*|millimet\w*|inch\w*|in\b)?)\s*(?:across|wide)\b", r"\1", text, flags=re.IGNORECASE)
    # "也没有尿痛" denies a pain on passing urine; it is not "没有尿" (no urine), a sign of shock
    text = re.sub(r"(没有|没)(?=尿[痛频急血])", r"\1 ", text)
    norm = _NOT_THE_BACK.sub(lambda m: (m.group(1) or m.group(2) or "") + " ", _normalise(text))
    norm = _LOOKED_GREEN.sub(" pale ", norm)  # "went green as a frog" is a colour of the face, not of the vomit
    # "hands and face fine": each of them is fine ("and" ends a clause below)
    norm = re.sub(r"\b([a-z_]+)\s+and\s+([a-z_]+)\s+((?:are |look |seem |feel )?(?:fine|ok|okay|normal))\b", r"\1 \3, \2 \3", norm)
    # "my wee is pinkish and it burns": "it" is the same complaint, so the pain stays in its clause
    norm = re.sub(r"\band\s+(?=(?:it|that|this)\s+(?:cburn|csting|burns?|hurts?|stings?|aches?|is (?:sore|painful|agony))\b)", " ", norm)
    out: set[str] = set()
    for clause in _CLAUSE.split(norm):
        if clause and clause.strip():
            out |= _clause_tokens(clause)
            if _NIGHTLY.search(clause) and not _EN_NEG.search(clause):
                out |= {"crecur", "cfrequent"}  # (the night stays a word: "awake at 3am every night" is about sleep)
    return out


# "heartburn most nights", "coughs every night", "每天晚上都咳": it keeps happening (the word "night" is kept, so not a form)
_NIGHTLY = re.compile(r"\b(?:most|every) (?:single )?(?:nights?|evenings?)\b|每天晚上|每晚|天天晚上")
