"""Sentence roles: what a guideline sentence is for, decided from its headings and its own words.

    red_flag    seek emergency care now (warning signs, call an ambulance)
    seek_care   see a clinician, when and where (referral, department)
    self_care   what a person can do at home
    tests       tests and examinations a clinician may order
    treatment   treatment and dosing decided by clinicians (prescriptions, doses, procedures)
    condition   what the condition is, its causes, symptoms and course
    prevention  how to avoid it (vaccines, hygiene, screening)
    background  everything else (methods, references, acknowledgements, front matter)

Headings give the prior (a starter "Self-care at home" section, WHO "Recommendations", StatPearls
"Treatment / Management"); a sentence's own words override it where they are unambiguous (a vaccine
sentence inside a self-care list is prevention; "call 911" is a red flag wherever it stands). The
bug this replaces: "Tests a clinician may order" matched "clinician" and was filed as seek-care.
Deterministic and dependency-free, so ingest and the generator agree on every sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from rag.types import Chunk

__all__ = ["ROLES", "heading_role", "content_role", "sentence_role", "chunk_roles", "tag_roles", "encode_roles", "decode_roles"]

ROLES: tuple[str, ...] = ("red_flag", "seek_care", "self_care", "tests", "treatment", "condition", "prevention", "background")


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts), re.IGNORECASE)


# heading patterns, checked in this order: the first match wins, so "Tests a clinician may order"
# is a test heading before "clinician" can make it seek-care, and "Red flags: seek emergency care"
# is a red flag before "seek" can
_HEADINGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("background", _rx(r"\breferences?\b", r"bibliograph", r"acknowledg", r"contributor", r"disclosure", r"conflicts? of interest",
                       r"continuing education", r"review questions", r"copyright", r"\bmethod", r"\babbreviation", r"glossary",
                       r"\bannex", r"\bappendix", r"foreword", r"table of contents", r"\bcontents\b", r"declaration",
                       r"参考文献", r"致谢", r"附录")),
    ("red_flag", _rx(r"red flag", r"emergency", r"warning sign", r"danger sign", r"urgent(?:ly)? (?:help|care|medical)",
                     r"call (?:911|999|112|an ambulance)", r"危险信号", r"警示", r"急诊", r"立即就医", r"紧急")),
    ("tests", _rx(r"\btests?\b", r"\btesting\b", r"investigation", r"diagnos", r"evaluation", r"work-?up", r"laborator",
                  r"\bscreening tests?\b", r"imaging", r"检查", r"化验", r"诊断")),
    ("seek_care", _rx(r"when to (?:see|seek|call|contact|get)", r"see (?:a|your) (?:doctor|clinician|gp|nurse)", r"seek (?:medical )?(?:help|care|advice)",
                      r"which department", r"referr?al", r"\brefer\b", r"getting help", r"get help", r"consult", r"何时就诊", r"科室", r"就医", r"就诊", r"转诊")),
    ("self_care", _rx(r"self[- ]?care", r"at home", r"home (?:care|treatment|remed)", r"looking after", r"what you can do", r"first aid",
                      r"living with", r"self[- ]management", r"tips", r"居家", r"自我护理", r"家庭护理", r"自我管理")),
    ("prevention", _rx(r"prevent", r"vaccin", r"immuni[sz]", r"infection control", r"\bipc\b", r"hygiene", r"precaution",
                       r"healthy (?:diet|eating|living)", r"预防", r"疫苗")),
    ("treatment", _rx(r"treatment", r"management", r"therap", r"medication", r"medicine", r"dosing", r"\bdoses?\b", r"drugs?\b",
                      r"prognosis", r"complication", r"治疗", r"用药", r"药物")),
    ("condition", _rx(r"who (?:this|it) applies", r"overview", r"introduction", r"about\b", r"what is", r"definition", r"etiolog",
                      r"aetiolog", r"epidemiolog", r"pathophysiolog", r"histopatholog", r"history and physical", r"clinical (?:features|presentation)",
                      r"symptoms?", r"signs?\b", r"causes?\b", r"assessment", r"differential", r"适用", r"评估", r"概述", r"病因", r"症状", r"表现")),
)

# content cues: only unambiguous ones, because they override the heading
_RED_FLAG = _rx(r"call (?:911|999|112|000|an ambulance|emergency services|your local emergency)", r"seek emergency", r"emergency care now",
                r"go (?:straight )?to (?:the|an|a hospital) emergency", r"拨打120", r"立即(?:就医|去急诊|到急诊|拨打)", r"直接(?:去|到)\**急诊")
_SEEK = _rx(r"^(?:see|contact|call|book|ask|visit|tell) (?:a |an |your |the )?(?:child's |baby's )?(?:primary care |family |own )?"
            r"(?:doctor|clinician|gp|nurse|midwife|pharmacist|paediatrician|pediatrician|health ?care|diabetes team|health visitor|urgent care|clinic)",
            r"\bmay (?:lead to |be )?referr?", r"\breferral\b", r"should be consulted", r"\bwork with your\b", r"\bcan help you\b",
            r"\b(?:call|contact|tell) (?:your|a) (?:doctor|health care provider|clinician|nurse)", r"\bnotify the (?:facility|clinic)", r"(?:到|看)\**[\u4e00-\u9fff]{1,6}科", r"建议就诊", r"就诊")
_TESTS = _rx(r"\bblood tests?\b", r"\bPCR\b", r"\bCTA\b", r"\bimaging\b", r"\bA1C test", r"\burinalysis\b", r"\bCBC\b", r"\burine tests?\b", r"\bswab\b", r"\bx-?rays?\b", r"\bultrasound\b", r"\b(?:ct|mri) scan", r"\becg\b",
             r"\bechocardiogra", r"\bspirometry\b", r"\bculture\b", r"\bbiopsy\b", r"\bblood count\b", r"\bcrp\b", r"\besr\b", r"\bA1C\b",
             r"血常规", r"尿常规", r"心电图", r"胸片", r"B超", r"彩超", r"化验", r"抽血")
_TREAT = _rx(r"\b\d+(?:\.\d+)? ?(?:mg|mcg|µg|g|ml|mL|units?)(?:/kg)?\b", r"\bmg/kg\b", r"\bprescri", r"\bintravenous", r"\bIVIG\b",
             r"\bantibiotics? (?:is|are) (?:given|prescribed|started|chosen)", r"\bcourse of\b", r"\bsurgery\b", r"\bsurgical\b",
             r"处方", r"静脉", r"遵医嘱")
_PRESCRIBED = _rx(r"\bprescribed (?!by\b)(?:[a-z]+ )?(?:triptans?|antibiotics?|antivirals?|steroids?|opioids?|medicines?|drugs?)\b",
                  r"\bprescription (?:medicine|drug)s?\b", r"遵医嘱使用")
_PREVENT = _rx(r"\bPPE\b", r"\bgloves\b", r"\bgowns\b", r"\bmasks?\b", r"\brespirators?\b", r"hand hygiene", r"infection prevention",
               r"\bIPC\b", r"disinfect", r"sterili[sz]", r"reprocess", r"single-use", r"multi-dose vials?", r"\bsharps\b",
               r"injection (?:practices|safety)", r"exposure control", r"\bcleaning\b", r"\bsurveillance\b", r"\bsanitation\b",
               r"healthy diet", r"dietary practices", r"free sugars", r"saturated fats?", r"trans fats?", r"energy intake", r"\bsalt\b",
               r"noncommunicable", r"breast ?milk", r"complementary foods", r"\btransmission\b", r"\bvaccin", r"\bimmuni[sz]", r"\bprevent", r"\bscreening\b", r"\bhand hygiene\b", r"\bwash(?:ing)? (?:your )?hands\b",
               r"\bcondoms?\b", r"\breduce the risk\b", r"预防", r"疫苗", r"洗手")
_PREVENT_STRONG = _rx(r"^\W*prevention\b", r"\bvaccin", r"\bimmuni[sz]", r"预防", r"疫苗")
_SELF = _rx(r",\s(?:have|eat|take|drink|check) (?:a|an|your|some)\b", r"^(?:(?:for example|other tips|also|then|remember),?:? )?(?:rest|drink|sip|eat|keep|wear|use|take|avoid|try|stay|get|gargle|apply|"
            r"offer|dress|cool|cover|raise|sit|lie|stop|wash|remove|give|go to bed|limit|cut down|do not|don't|never|trim|sprinkle|cook|share|"
            r"order|divide|walk|stretch|fill in|make sure|remember|have|choose|add|include|check|write|follow|learn|plan|measure|warm up|"
            r"to add|to improve)\b", r"\byou(?:'re)? (?:can|should|will|need|may want)\b", r"\b(?:help|helps) you\b",
            r"^(?:多|少|避免|不要|保持|注意|可以|可用|可按|按时|坚持|每天|继续|穿|喝|吃|戒)")
_CONDITION = _rx(r"\bprognosis\b", r"\bpresentation\b", r"mistaken(?:ly)? (?:for|blamed)", r"\bpathogenesis\b",
                 r"most commonly affected", r"\bgenetic\b", r"\bphase\b", r"suggest a diagnosis", r"increase (?:your|the) risk of",r"\bis (?:a|an) (?:common |rare |acute |chronic )?(?:condition|disease|infection|disorder|illness)\b",
                 r"\b(?:is|are) (?:usually |often |mostly )?caused by\b", r"\bsymptoms (?:include|are)\b", r"\bcommon(?:ly)? (?:in|among)\b",
                 r"\bincidence\b", r"\bprevalence\b", r"\bcharacteri[sz]ed by\b", r"引起", r"常见", r"表现为", r"症状")


_TABLE = re.compile(r"(?:\b[1-4]\*?(?:/[1-4]\*?)?\s+){4,}")  # a chart of numeric categories (eligibility criteria)
_REFERENCE = _rx(r"\[PubMed", r"\bPMC\d", r"\b(?:19|20)\d\d (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b", r"\d+\(\d+\):\s?e?\d",
                 r"\bet al\b", r"Geneva: World Health", r"\bPublishing\b", r"\bYes No\b", r"not applicable", r"\.{4,}",
                 r"table of contents", r"\bGDG\b", r"quality of (?:the )?evidence", r"meta-analys", r"\bdeclared?\b", r"research gaps",
                 r"\bacceptability\b", r"cataloguing", r"report of a\b", r"World Health Assembly", r"\bWHA\b", r"\bclearinghouse\b",
                 r"\bbooklet\b", r"\bsee pages?\b", r"\bobjectives?:", r"review questions", r"\bEPOC\b", r"\bPICO\b")
_BACKGROUND = _rx(r"not a substitute for", r"educational (?:starter )?content", r"\bdoi:", r"\bet al\.", r"\bISBN\b", r"all rights reserved",
                  r"licen[cs]ed? under", r"creative commons", r"printed (?:on|in)", r"https?://", r"不能替代", r"仅供参考", r"科普")


def heading_role(heading: str) -> str | None:
    """The role a heading implies, or None when it says nothing about purpose."""
    h = re.sub(r"^[\d.\s]+", "", heading.strip())
    for role, pattern in _HEADINGS:
        if pattern.search(h):
            return role
    return None


def content_role(sentence: str) -> str | None:
    """The role a sentence's own words make unambiguous, or None."""
    s = re.sub(r"\s+", " ", re.sub(r"^[\s*_\-•●]+", "", sentence.strip()).replace("**", "").replace("●", " ")).strip()
    personal = bool(re.search(r"\byou(?:r|'re)?\b", s, re.I))
    if _BACKGROUND.search(s) or _REFERENCE.search(s):
        return "background"
    if _TABLE.search(s):
        return "treatment"
    if _RED_FLAG.search(s):
        return "red_flag"
    if _TESTS.search(s) and not _SELF.search(s):
        return "tests"
    if _SEEK.search(s):
        return "seek_care"
    if personal and (_SELF.search(s) or _PREVENT.search(s)):
        return "self_care"  # advice addressed to the reader is what they do themselves
    if _PREVENT.search(s):
        return "prevention"
    if _TREAT.search(s):
        return "treatment"
    if _SELF.search(s):
        return "self_care"
    if _CONDITION.search(s):
        return "condition"
    return None


# a pure function of two strings; the extractive generator asks it ~125 times per consultation about the
# same guideline sentences (about a third of a consultation's CPU before this cache)
@lru_cache(maxsize=65536)
def sentence_role(sentence: str, section: str = "") -> str:
    """One role for a sentence under its section path ("Title > 4 Self-care at home")."""
    heads = [h for h in section.split(" > ") if h.strip()] if section else []
    # the leaf heading speaks first; a parent heading only when the leaf says nothing
    prior = next((r for r in (heading_role(h) for h in reversed(heads[1:] or heads)) if r), None)
    cue = content_role(sentence)
    if cue == "background":
        return cue  # a disclaimer or a citation is never advice, whatever heading it sits under
    if prior in {"red_flag", "background"}:
        return prior  # every line of a warning-sign list is a warning sign; references stay references
    if cue == "red_flag":
        return cue
    if prior == "tests":
        return "treatment" if cue == "treatment" else "tests"
    if prior == "seek_care":
        return "seek_care"
    if prior == "self_care":
        # advice lists mix in vaccines and hygiene ("Prevention: an annual flu vaccine ...")
        if _PRESCRIBED.search(sentence):
            return "treatment"  # "prescribed triptans work best" is a clinician's treatment, not self-care
        if cue == "prevention" and not _PREVENT_STRONG.search(sentence):
            return "self_care"  # "eat less salt" in a self-care list is self-care; a vaccine line is prevention
        return cue if cue in {"prevention", "seek_care"} else "self_care"
    if prior in {"condition", "treatment", "prevention"}:
        if cue in {"seek_care", "tests"} or (prior == "condition" and cue in {"treatment", "prevention"}):
            return cue
        return prior
    return cue or "background"


def chunk_roles(sentences: Sequence[str], section: str) -> list[str]:
    """The distinct roles of a chunk's sentences, in ROLES order (what ingest stores with the chunk)."""
    found = {sentence_role(s, section) for s in sentences}
    return [r for r in ROLES if r in found]


def encode_roles(roles: Sequence[str]) -> str:
    """Stored form: comma-separated, wrapped in commas so `roles like "%,tests,%"` filters exactly."""
    return "," + ",".join(roles) + "," if roles else ""


def decode_roles(value: str) -> list[str]:
    """Inverse of encode_roles."""
    return [r for r in value.split(",") if r]


def tag_roles(chunks: Sequence[Chunk]) -> list[Chunk]:
    """The chunks with the roles of their sentences set (ingest, before writing)."""
    return [replace(ch, roles=_text_roles(ch.text, ch.section)) for ch in chunks]


@lru_cache(maxsize=4096)  # a revised version repeats most of its chunks; keyed by guideline text only
def _text_roles(text: str, section: str) -> tuple[str, ...]:
    from rag.answer.generators.extractive import split_sentences  # the generator's sentences, so both agree

    return tuple(chunk_roles(split_sentences(text) or [text], section))
