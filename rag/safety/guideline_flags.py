"""The guidelines' own red flags: patient clauses matched against red-flag sentences of retrieved passages.

A criterion is a sentence of a retrieved passage that either sits in a red-flag section (its heading
says red flags / emergency / call 999 / 危险信号 / 急诊 / 立即就医, or the chunk's role says so) or itself
sends the reader to emergency care ("call 999", "go to A&E", "拨打120", "立即去急诊"). Each affirmed
patient clause (or adjacent pair) is compared with each criterion, and with the criterion's
alternatives (split at ";", ", or", "、", "或"): English by MiniLM cosine (the calibrated model only),
Chinese by shared canonical terms of the meaning layer's zh_terms table. A match escalates to
emergency and cites the guideline sentence. Any ingested guideline thereby extends triage with no
code change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from rag.answer.schema import RedFlag
from rag.safety.clauses import split_clauses
from rag.safety.meaning import _calibrated, _unit, load_bank, split_units, zh_terms
from rag.safety.spelling import normalise
from rag.text import EN_STOP, content_words

__all__ = ["Criterion", "criteria", "guideline_red_flags", "EN_THRESHOLD", "ZH_MIN_SHARED"]

# calibrated on the dev split against every starter guideline's red-flag sentences (scripts/calibrate_guideline_flags.py):
# just above the best score a benign dev or vignette clause reached; then frozen
EN_THRESHOLD = 0.75
ZH_MIN_SHARED = 2  # canonical terms a Chinese clause must share with a criterion
# and, like the meaning layer's Chinese exemplars, every term of the criterion ("婴儿咳嗽时憋气" is not
# matched by a five-year-old's cough: 2 of its 3 terms)
ZH_MIN_COVERAGE = 1.0
_ZH_SETTING = frozenset({"孩子", "吃喝"})  # canonical terms that say who or what was going on, never a sign on their own
LEXICAL_COVER = 0.6  # share of the criterion's content words (5-letter stems) the English clause must hold
LAY_TERMS = True  # round 14: the clause's lay phrases count with their medical terms (scripts/calibrate_guideline_flags.py)

_SECTION = re.compile(
    r"red[- ]?flag|emergenc|urgent help|call (?:999|911|112|000|an ambulance)|危险信号|急诊|立即就医|紧急|警示|120", re.IGNORECASE
)
_ROLE = {"red_flag", "red_flags", "emergency", "seek_emergency", "seek_emergency_care"}
_ACTION = re.compile(
    r"\b(?:call (?:999|911|112|000|an ambulance|emergency services)|dial (?:999|911|112)|go (?:straight )?to (?:a&e|the emergency"
    r"|an emergency)|emergency department|seek emergency|emergency care|ambulance)\b|拨打\s*\*{0,2}120|急诊|立即就医|马上就医|急救",
    re.IGNORECASE,
)
# a clause that reassures ("mild", "breathing fine", "a bit") is never read as a guideline's emergency criterion
# mild, settled or small-amount wording: "a few streaks of blood" does not meet "a large amount of blood"
_MILD = re.compile(r"\b(?:mild\w*|slight\w*|a (?:bit|little)|little|fine|ok|okay|normal\w*|better|improv\w*|settl\w*|usual|stopped|gone|"
                   r"resolved|went away|cleared|streak\w*|fleck\w*|speck\w*|tinge\w*|traces? of)\b")
_POLARITY = re.compile(r"\b(?:not|no|never|cannot|unable|without)\b|n't\b|\bwont\b|\bdont\b|\bdoesnt\b|\bcant\b")
_GENERIC = EN_STOP | frozenset(
    "you your i my he she they someone person child children any also very more than or if who after before with".split()
)
_SENT = re.compile(r"(?<=[.!?。！？；;])\s+|\n+|(?<=[。！？；])")
_ALT = re.compile(r";|；|、|,\s*or\s|，或|或者|\bor\b")
# a sentence that gives its own, lesser time frame (same day, within days, a routine appointment) is not an emergency criterion
_LESSER = re.compile(r"\b(?:within (?:a few |\d+ )?days|prompt(?:ly)?|soon|routine|same[- ]day|today|urgent (?:gp |doctor )?appointment|"
                     r"book an? appointment)\b|几天内|尽快|预约|门诊|当天", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)]|[（(]?\d+[）)])\s*")


@dataclass(frozen=True, slots=True)
class Criterion:
    """One red-flag sentence of a passage, with its alternatives."""

    sentence: str
    parts: tuple[str, ...]
    doc_id: str
    chunk_id: str
    title: str
    publisher: str
    version: str
    language: str


def _is_red_section(p: Any) -> bool:
    role = str((getattr(p, "extra", None) or {}).get("role", "")).lower()
    return role in _ROLE or bool(_SECTION.search(str(getattr(p, "section", "") or "")))


def criteria(passages: Sequence[Any]) -> list[Criterion]:
    """Red-flag criteria in the passages: every sentence of a red-flag section, and emergency-action sentences elsewhere."""
    out: list[Criterion] = []
    seen: set[tuple[str, str]] = set()
    for p in passages:
        for s, parts in _passage_criteria(str(p.text), _is_red_section(p)):
            key = (p.doc_id, s)
            if key in seen:
                continue
            seen.add(key)
            out.append(Criterion(sentence=s, parts=parts, doc_id=str(p.doc_id),
                                 chunk_id=str(p.chunk_id), title=str(p.title), publisher=str(p.publisher),
                                 version=str(getattr(p, "version", "")), language=str(getattr(p, "language", ""))))
    return out


@lru_cache(maxsize=4096)
def _passage_criteria(text: str, red: bool) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(sentence, its alternatives) of one passage's text, in order, repeats kept (criteria() drops them per
    document): a pure function of guideline text, so computed once per process (the same passages come back
    request after request)."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for raw, whole in _sentences(text):
        s = _BULLET.sub("", raw).strip().strip("*").strip()
        if len(s) < 4 or s.endswith((":", "：")) or s.startswith("#"):
            continue
        if not red and not _ACTION.search(s):
            continue
        if red and not _ACTION.search(whole) and _LESSER.search(whole):
            continue  # "Arrange a prompt (within days) medical review if ...; ..." under a red-flag heading: a lesser time frame
        # an alternative is compared on its own only when it says enough (three content words, or four characters)
        parts = tuple(x.strip(" ,，.。") for x in _ALT.split(s)
                      if len(_stems(x)) >= 3 or len(re.findall(r"[\u3400-\u9fff]", x)) >= 4)
        out.append((s, parts if len(parts) > 1 else ()))
    return tuple(out)


@lru_cache(maxsize=8192)
def _criterion_terms(text: str) -> frozenset[str]:
    """zh_terms of a criterion's sentence or alternative (guideline text; the concept bank is loaded once)."""
    return zh_terms(text, load_bank())


def _sentences(text: str) -> list[tuple[str, str]]:
    """(piece, the whole sentence it belongs to): pieces are cut at ";" as well, a sentence only at its end."""
    out: list[tuple[str, str]] = []
    for line in re.split(r"\n+", text):
        for whole in re.split(r"(?<=[.!?。！？])\s+|(?<=[。！？])", line):
            out += [(piece, whole) for piece in _SENT.split(whole) if piece]
    return out


_cache: dict[tuple[str, str], np.ndarray] = {}
_CACHE_MAX = 20_000


def _criterion_vectors(texts: list[str], embedder: Any) -> np.ndarray:
    """Unit vectors of criterion texts; guideline sentences repeat across requests, so they are cached."""
    name = str(embedder.name)
    missing = [t for t in dict.fromkeys(texts) if (name, t) not in _cache]
    if missing:
        if len(_cache) + len(missing) > _CACHE_MAX:
            _cache.clear()
        for t, v in zip(missing, _unit(np.asarray(embedder.embed_documents(missing), dtype=np.float32)), strict=True):
            _cache[(name, t)] = v
    return np.stack([_cache[(name, t)] for t in texts])


def _flag(c: Criterion, clause: str, score: float, matched: str) -> RedFlag:
    return RedFlag(
        rule_id=f"guideline:{c.doc_id}", label=c.sentence[:200], matched_text=clause,
        source=f"{c.publisher}, {c.title}" + (f" ({c.version})" if c.version else ""), layer="guideline",
        concept="guideline_red_flag", score=round(score, 4), doc_id=c.doc_id, chunk_id=c.chunk_id, quote=c.sentence if matched == c.sentence else f"{c.sentence} [{matched}]",
    )


def _stems(text: str) -> set[str]:
    return {w[:5] for w in content_words(text, _GENERIC) if not w.isdigit()}


def _clause_stems(clause: str) -> set[str]:
    """The clause's content stems, and (LAY_TERMS) those of the medical terms its lay phrases stand for (rag/terms
    en_lay.tsv: "throwing up" -> vomiting, "tummy" -> abdominal), so a criterion in the guideline's words can be
    met by a patient's own."""
    stems = _stems(clause)
    if LAY_TERMS:
        from rag.terms import english_medical

        for term in english_medical(clause):
            stems |= _stems(term)
    return stems


def _agrees(clause: str, matched: str, sentence: str) -> bool:
    """A close embedding is not enough: same polarity as the matched text, and 60% of its content words in the clause."""
    if bool(_POLARITY.search(clause)) != bool(_POLARITY.search(matched)):
        return False
    want = _stems(matched)
    return len(want) >= 2 and len(want & _clause_stems(clause)) / len(want) >= LEXICAL_COVER


def guideline_red_flags(text: str, passages: Sequence[Any], language: str | None = None,
                        embedder: Any | None = None, age: float | None = None) -> list[RedFlag]:
    """Flags for patient clauses that match a red-flag sentence of the retrieved passages (one per document); with the
    patient's age in years, a sentence about another age group is left out ("3个月以下的婴儿发烧" is no 5-month-old's fever)."""
    crit = criteria(passages)
    if age is not None:
        crit = [c for c in crit if _for_age(c.sentence, age)]
    if not text or not text.strip() or not crit:
        return []
    text = normalise(text)  # typos, text-speak and run-ons (rag.safety.spelling), as triage reads them
    en_units, zh_units = split_units(split_clauses(text))
    best: dict[str, tuple[float, RedFlag]] = {}

    def keep(c: Criterion, clause: str, score: float, matched: str) -> None:
        if c.doc_id not in best or score > best[c.doc_id][0]:
            best[c.doc_id] = (score, _flag(c, clause, score, matched))

    if zh_units:
        bank = load_bank()
        crit_terms = [[(t, _criterion_terms(t)) for t in (c.sentence, *c.parts)] for c in crit]
        for u in zh_units:
            have = zh_terms(u, bank)
            if len(have) < ZH_MIN_SHARED:
                continue
            for c, options in zip(crit, crit_terms, strict=True):
                for t, terms in options:
                    shared = len(have & terms)
                    # who it is and eating or drinking are the setting, not the sign: "孩子…吃东西…呛咳" needs the choking
                    if shared >= ZH_MIN_SHARED and shared >= ZH_MIN_COVERAGE * len(terms) and (have & terms) - _ZH_SETTING:
                        keep(c, u, shared / max(len(terms), 1), t)
    if en_units and embedder is not None and _calibrated(embedder):
        texts = [t for c in crit for t in (c.sentence, *c.parts)]
        owners = [i for i, c in enumerate(crit) for _ in (c.sentence, *c.parts)]
        q = _unit(np.asarray(embedder.embed_documents(list(en_units)), dtype=np.float32))
        sims = q @ _criterion_vectors(texts, embedder).T
        for i, u in enumerate(en_units):
            low = u.lower()
            if _MILD.search(low):
                continue
            for j in np.nonzero(sims[i] >= EN_THRESHOLD)[0]:
                if _agrees(low, texts[j].lower(), crit[owners[j]].sentence.lower()):
                    keep(crit[owners[j]], u, float(sims[i, j]), texts[j])
    return [f for _, f in sorted(best.values(), key=lambda x: -x[0])]


def _for_age(sentence: str, age: float) -> bool:
    """False when the sentence names an age group ("under 3 months", "3个月以下") the patient is outside of."""
    from rag.safety.urgency.criteria import _age_constraint

    group = _age_constraint(sentence)
    return group is None or group[0] <= age < group[1]
