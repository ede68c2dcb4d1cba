"""Screening of guideline text before it can be searched, and of answer items before they are shown.

Guideline passages are data: a model and the extractive generator treat them as trusted. A
passage is flagged (and quarantined until a content owner approves it) when it

- speaks to a model: instructions to an assistant/AI/model, "ignore previous instructions",
  role-play or system-prompt talk, chat-control tokens (`<|im_start|>`, `[INST]`, `<<SYS>>`);
- carries a link built to leak the consultation: a URL with a `{symptoms}`-style placeholder,
  or a query string naming the patient's data (symptoms=, history=, conversation=, prompt=);
- contradicts a red-flag concept: a sentence that names an emergency sign (chest pain, stroke
  signs, trouble breathing, anaphylaxis, ...) and tells the reader to stand down ("does not
  require emergency evaluation", "rest at home", "no need to call 911/120", "在家休息即可");
- states a dose above the maximum-dose table (rag/safety/doses.py).

`screen_text` returns the reasons (empty for clean text). `guard_advice` applies the same checks
to every answer item at serve time and also drops items that contradict the triage result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import TypeVar

from rag.answer.schema import Advice
from rag.safety.doses import out_of_range
from rag.safety.literals import LiteralGate
from rag.types import Chunk

T = TypeVar("T")

__all__ = ["GuardResult", "Flag", "ChunkFlag", "screen_text", "screen_chunks", "contradicts_urgency", "guard_advice"]


@dataclass(frozen=True, slots=True)
class Flag:
    """One reason a text was flagged: the kind of problem and the words that showed it."""

    kind: str  # model_instruction | chat_token | exfiltration_link | red_flag_contradiction | dose_out_of_range
    evidence: str

    def describe(self) -> str:
        return f"{self.kind}: {self.evidence!r}"


@dataclass(frozen=True, slots=True)
class ChunkFlag(Chunk):
    """A flagged chunk of an ingested document (its section cut to 200 characters), with why and an excerpt,
    as the ingest report and the quarantine list show it."""

    flags: tuple[Flag, ...] = ()
    excerpt: str = ""

    def reasons(self) -> list[str]:
        return [f.describe() for f in self.flags]


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts), re.IGNORECASE)


_AI = r"(?:AI|A\.I\.|artificial intelligence|(?:virtual|digital|AI|chat|medical AI)\s+assistant|language model|LLM|chat ?bot|ChatGPT|GPT-?\d*|Qwen|Llama|the assistant|assistants?\s+reading|model reading)"
_MODEL_INSTRUCTION = LiteralGate(_rx(
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+|the\s+|your\s+|every\s+)*(?:previous|prior|above|earlier|preceding|foregoing|former|other|system|original)\s+(?:\w+\s+)?(?:instructions?|guidance|rules|prompts?|messages?|directions|context|safety)",
    r"\b(?:you are|you're|act as|pretend (?:to be|you are)|role-?play(?: as)?|from now on,? you)\b[^.\n]{0,40}\b" + _AI,
    rf"\b{_AI}s?\b[^.\n]{{0,60}}\b(?:must|should|shall|always|never|will|is (?:required|instructed)|are (?:required|instructed))\b",
    rf"\b(?:note|message|instructions?|attention)\s+(?:to|for)\s+(?:any\s+|the\s+)?{_AI}",
    r"\bas an AI\b",
    r"\b(?:system|developer|hidden)\s+(?:prompt|message|instructions?)\b",
    r"\bnew\s+instructions?\s*:",
    r"\b(?:when|while)\s+(?:answering|responding|you answer|you respond|generating)\b",
    r"\b(?:respond|reply|answer|output)\s+(?:only\s+)?(?:with|in)\s+(?:the following|this|exactly)\b",
    r"\bdo not (?:tell|mention|reveal|disclose|show)\s+(?:this|the user|users|the patient|patients|anyone)\b",
    r"\b(?:jailbreak|DAN mode|developer mode)\b",
    # Chinese
    r"(?:忽略|无视|忘记|忘掉|不要理会)(?:之前|以上|前面|上述|先前|原来|所有|全部|一切|的|\s)*(?:指令|指示|提示|说明|要求|规则|设定)",
    r"你(?:现在)?(?:是|扮演|作为)(?:一个|一名)?(?:AI|人工智能|智能|医疗)?(?:助手|助理|语言模型|机器人|模型)",
    r"(?:AI|人工智能|智能|医疗|语言)?(?:助手|助理|语言模型|大模型)[^。\n]{0,20}(?:必须|应当|应该|一律|务必|总是|不得|请)",
    r"系统提示|系统指令|提示词",
    r"(?:回答|回复|作答)(?:用户|患者)?(?:时|的时候)(?:必须|请|务必|一律|要)",
    r"扮演|角色扮演",
    r"不要(?:告诉|透露|提及)(?:用户|患者|任何人)",
))
_CHAT_TOKEN = _rx(
    r"<\|[a-z_]{2,30}\|>", r"\[/?INST\]", r"<</?SYS>>", r"<\s*/?\s*s\s*>", r"###\s*(?:instruction|system|assistant|user|response)\s*:",
    r"(?:^|\n)\s*(?:system|assistant)\s*:\s*(?:you\b|ignore|from now|new instructions|the (?:user|patient))", r"\bBEGIN (?:SYSTEM|INSTRUCTIONS)\b",
)
_URL = re.compile(r"(?:https?://|www\.)[^\s)\]>\"'`]+", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{\{?\s*[\w.\- ]{1,40}\s*\}?\}|%7B|\$\{|<\s*(?:symptoms?|history|conversation|question|patient)\s*>"
                          r"|\[(?:symptoms?|history|conversation|question|patient)\]", re.IGNORECASE)
_LEAKY_PARAM = re.compile(r"[?&](?:symptoms?|history|conversation|chat|prompt|messages?|patient|diagnosis|answer|transcript|dialog|"
                          r"user_?input|exfil|data|payload|secret|token|key)=", re.IGNORECASE)

_RED_FLAG_CONCEPT = LiteralGate(_rx(
    r"\bchest (?:pain|pressure|tightness|discomfort)\b", r"\bheart attack\b", r"\bstroke\b", r"\bface (?:is )?droop", r"\bslurred speech\b",
    r"\b(?:arm|leg|one-sided) weakness\b", r"\b(?:trouble|difficulty|struggling) breathing\b", r"\bshort(?:ness)? of breath\b",
    r"\bcan(?:no|')t breathe\b", r"\banaphyla", r"\bthroat (?:swelling|closing)\b", r"\bunconscious\b", r"\bunresponsive\b",
    r"\bseizure", r"\bsuicid", r"\bmeningitis\b", r"\bsepsis\b", r"\bvomiting blood\b", r"\bcoughing (?:up )?blood\b",
    r"\bsevere bleeding\b", r"\bblue lips\b", r"\bworst headache\b", r"\bthunderclap\b", r"\bstiff neck\b", r"\bFAST\b",
    r"胸痛|胸闷|心梗|心肌梗死|心脏病发作|中风|卒中|脑梗|口角歪斜|嘴歪|言语不清|说话含糊|肢体无力|偏瘫|呼吸困难|喘不上气|过敏性休克|喉头水肿"
    r"|昏迷|意识不清|抽搐|惊厥|自杀|轻生|脑膜炎|败血症|呕血|咯血|大出血|剧烈头痛",
))
_STAND_DOWN = _rx(
    r"\b(?:does|do|did) not (?:require|need|warrant)\b[^.\n]{0,30}\b(?:emergency|urgent|immediate|hospital|ambulance|A&E|ER|911|999|112)",
    r"\b(?:no|without) need (?:to|for)\b[^.\n]{0,30}\b(?:call|emergency|urgent|ambulance|911|999|112|120|hospital|A&E|ER|doctor)",
    r"\bneeds? no (?:emergency|urgent|immediate|hospital|medical)\b",
    r"\bnot (?:necessary|needed|required) to (?:call|seek|go|attend|visit)\b",
    r"\bneed not (?:call|seek|go|attend)\b",
    r"\b(?:don't|do not|never) (?:need to )?(?:call|dial|phone)\s+(?:911|999|112|120|an ambulance|emergency)",
    r"\b(?:should|can|may|must) (?:simply |just )?(?:rest|stay|remain|recover) at home\b", r"\brest at home\b",
    r"\b(?:book|make|schedule|wait for) a routine (?:appointment|visit|review)\b", r"\broutine appointment\b",
    r"\bwait (?:and see|to see|until|for a few days|a few days|24 hours|48 hours|overnight)\b", r"\bsleep it off\b",
    r"\b(?:can|may) (?:safely )?be ignored\b", r"\bis (?:usually |generally |almost always )?(?:harmless|not serious|nothing to worry about)\b",
    r"\bnot an emergency\b", r"\b(?:avoid|stay away from|skip) (?:the )?(?:emergency|hospital|A&E|ER)\b",
    r"(?:不需要|不需|无需|无须|不必|不用|没必要)(?:立即|马上|立刻|去|到|前往|拨打|呼叫|叫)?(?:急诊|就医|就诊|医院|120|救护车|急救)",
    r"在家(?:休息|观察|静养)(?:即可|就行|就好|就可以)?", r"(?:预约|挂)(?:普通|常规)(?:门诊|号)", r"可以忽略|不必在意|不用担心|无需担心|不是急症|不属于急症",
    r"(?:等|观察)(?:几天|一两天|两三天|一段时间)(?:再说|再看)",
)
_NEGATED = re.compile(r"(?:\b(?:do not|don't|never|not|no)\b|不要|切勿|别|不能|不可|千万不)\W{0,3}(?:\w+\W+){0,2}$", re.IGNORECASE)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|[。！？\n]+")


def _first(pattern: re.Pattern[str] | LiteralGate, text: str) -> str | None:
    m = pattern.search(text)
    return m.group(0).strip()[:120] if m else None


def _stand_down(sentence: str) -> str | None:
    """The first de-escalating phrase in the sentence that is not itself negated ("do not wait and see")."""
    for m in _STAND_DOWN.finditer(sentence):
        if not _NEGATED.search(sentence[max(0, m.start() - 25):m.start()]):
            return m.group(0).strip()
    return None


def screen_text(text: str) -> list[Flag]:
    """Why this text must not reach a patient or a model unreviewed; empty when it is clean."""
    flags: list[Flag] = []
    if hit := _first(_CHAT_TOKEN, text):
        flags.append(Flag("chat_token", hit))
    if hit := _first(_MODEL_INSTRUCTION, text):
        flags.append(Flag("model_instruction", hit))
    for m in _URL.finditer(text):
        url = m.group(0)
        if _PLACEHOLDER.search(url) or _LEAKY_PARAM.search(url):
            flags.append(Flag("exfiltration_link", url[:120]))
            break
    # sentence by sentence only when the text names a red flag at all: the concept pattern has no anchors or
    # look-arounds, so a sentence matches only where the whole text does (most guideline chunks name none)
    for sentence in _SENTENCES.split(text) if _RED_FLAG_CONCEPT.search(text) else ():
        concept = _RED_FLAG_CONCEPT.search(sentence)
        if concept and (phrase := _stand_down(sentence)):
            flags.append(Flag("red_flag_contradiction", f"{concept.group(0)} ... {phrase}"))
            break
    flags += [Flag("dose_out_of_range", f.describe()) for f in out_of_range(text)]
    return flags


@lru_cache(maxsize=4096)  # a few MB of guideline text at most
def _screen_guideline(text: str) -> tuple[Flag, ...]:
    """screen_text of guideline text, kept per process: a revised version repeats most of its chunks' text.
    Keyed by guideline text only (a chunk's section and text), never by patient or model text."""
    return tuple(screen_text(text))


def screen_chunks(chunks: Sequence[Chunk]) -> list[ChunkFlag]:
    """The flagged chunks of a document, with page, position and reasons."""
    out = []
    for ch in chunks:
        flags = _screen_guideline(ch.section + "\n" + ch.text)
        if flags:
            same = {f.name: getattr(ch, f.name) for f in fields(Chunk)} | {"section": ch.section[:200]}
            out.append(ChunkFlag(**same, flags=tuple(flags), excerpt=" ".join(ch.text.split())[:200]))
    return out


# --- serve time -------------------------------------------------------------------------------

_SELF_CARE_ONLY = _rx(r"\bself[- ]care\b", r"\bat home\b", r"\broutine\b", r"\bno need\b", r"\bwait\b", r"\bease with rest\b",
                      r"在家|自行|常规|观察|休息")
_EMERGENCY_ACTION = _rx(r"\b(?:call|dial|phone)\b", r"\bemergency\b", r"\bambulance\b", r"\bCPR\b", r"\bAED\b", r"\b(?:911|999|112)\b",
                        r"\bA&E\b", r"\b(?:adrenaline|epinephrine|auto-?injector|EpiPen)\b",
                        r"急救|急诊|120|救护车|心肺复苏|肾上腺素")


# how a raised level's reason names the level it was raised from (rag.safety.similar_cases): "(the ladder said
# “Routine appointment”)", "（阶梯判断为“择期门诊”）"
_LADDER_SAID = re.compile(r"\(the ladder said “[^”]{1,40}”\)|（阶梯判断为“[^”]{1,20}”）")


def contradicts_urgency(text: str, urgency: str | None) -> str | None:
    """Why an answer item's text contradicts the triage urgency, or None.

    With an emergency (or urgent) triage, an item that stands the patient down ("rest at home",
    "routine appointment", "no need to call") contradicts it, whatever red flag it names."""
    if urgency not in {"emergency", "urgent"}:
        return None
    text = _LADDER_SAID.sub(" ", text)  # the reason's own note of the level it raised from is no stand-down
    for sentence in _SENTENCES.split(text):
        if phrase := _stand_down(sentence):
            return f"says {phrase!r} but triage says {urgency}"
    return None


@dataclass(slots=True)
class GuardResult:
    """What `guard_advice` removed, for the answer's notes and the audit record."""

    dropped: list[dict[str, str]] = field(default_factory=list)

    def notes(self) -> list[str]:
        return [f"safety guard dropped {d['item']}: {d['reason']}" for d in self.dropped]


def _item_problem(text: str, urgency: str | None, self_care: bool, quotes: Sequence[str] = ()) -> str | None:
    """`quotes`: the answer's cited passages; an item written in one of them word for word is guideline text, whose
    screening is kept per process (_screen_guideline; the same sentences are quoted request after request)."""
    flags = _screen_guideline(text) if text and any(text in q for q in quotes) else screen_text(text)
    if flags:
        return "; ".join(f.describe() for f in flags)
    if why := contradicts_urgency(text, urgency):
        return why
    if self_care and urgency == "emergency" and not _EMERGENCY_ACTION.search(text):
        return "a self-care item while triage says emergency"
    if urgency in {"emergency", "urgent"} and (m := _RED_FLAG_CONCEPT.search(text)) and _SELF_CARE_ONLY.search(text) \
            and not _EMERGENCY_ACTION.search(text):
        return f"treats {m.group(0)!r} as a home matter while triage says {urgency}"
    return None


def guard_advice(advice: Advice, urgency: str | None) -> tuple[Advice, GuardResult]:
    """Drop answer items (any generator) that contradict the triage urgency, speak to a model, or
    state a dose above the table; returns a copy and what was dropped."""
    res = GuardResult()
    quotes = [c.quote for c in advice.citations]

    def keep(kind: str, items: Sequence[T], text_of: Callable[[T], str], self_care: bool = False) -> list[T]:
        kept = []
        for i, item in enumerate(items, start=1):
            why = _item_problem(text_of(item), urgency, self_care, quotes)
            if why:
                res.dropped.append({"item": f"{kind} {i}", "reason": why})
            else:
                kept.append(item)
        return kept

    conditions = keep("possible condition", advice.possible_conditions, lambda c: f"{c.name}. {c.rationale}")
    self_care = keep("self-care item", advice.self_care, lambda s: s.advice, True)
    tests = keep("suggested test", advice.suggested_tests, lambda t: f"{t.test}. {t.reason}")
    seek = advice.seek_care
    seek_problem = _item_problem(seek.reason, urgency, False, quotes)
    if seek_problem:
        res.dropped.append({"item": "seek-care reason", "reason": seek_problem})
        reason = {"en": "Please see a clinician.", "zh": "请咨询医生。"}[advice.language]
        if urgency == "emergency":
            reason = {"en": "Seek emergency care now (call your local emergency number).",
                      "zh": "请立即就医（拨打120或前往急诊）。"}[advice.language]
        seek = seek.model_copy(update={"reason": reason, "citations": []})
    if not res.dropped:
        return advice, res
    return advice.model_copy(update={
        "possible_conditions": conditions, "self_care": self_care, "suggested_tests": tests, "seek_care": seek,
        "notes": [*advice.notes, *res.notes()],
    }), res
