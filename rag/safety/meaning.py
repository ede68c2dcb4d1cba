"""The meaning layer of triage: patient clauses compared with exemplar statements per red-flag concept.

English clauses are embedded (one batch per request) and compared by cosine similarity with the
exemplar bank of ``rules/concepts.yaml`` (embedded once per embedder and cached). The thresholds in
that file were calibrated for the bundled MiniLM; any other embedder (the test-only hashing one, a
different model) leaves the English part off rather than firing on uncalibrated scores. Chinese
clauses are segmented with a private jieba tokenizer, mapped to canonical terms through the file's
``zh_terms`` table and compared by term coverage with each Chinese exemplar. Only affirmed clauses
count (see ``rag.safety.clauses``): negated, past-history, hypothetical and topic clauses never fire.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from rag.errors import ConfigError
from rag.safety.clauses import Clause, units

__all__ = ["Concept", "ConceptBank", "MeaningHit", "load_bank", "meaning_hits", "zh_terms", "en_scores",
           "CALIBRATED_EMBEDDER", "split_units", "zh_scores"]

log = logging.getLogger(__name__)

# the English thresholds hold for this model only (int8-quantised copies included)
CALIBRATED_EMBEDDER = "sentence-transformers:bundled-minilm"
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True, slots=True)
class Concept:
    """One red-flag concept of the exemplar bank."""

    id: str
    label: str
    source: str
    threshold_en: float
    threshold_zh: float
    en: tuple[str, ...]
    zh: tuple[frozenset[str], ...]  # canonical term sets of the Chinese exemplars
    zh_text: tuple[str, ...]
    # a clause matching `not_when` does not count ("a few streaks of blood" is not "a lot of blood");
    # `needs_any`: the patient's text must hold one of these cues (a sting is anaphylaxis only with a body-wide sign)
    not_when: re.Pattern[str] | None = None
    needs_any: re.Pattern[str] | None = None
    # `needs_in_clause`: the matched clause itself must hold one of these cues ("is paracetamol and rest enough for her?"
    # names a medicine but no taking of anything, no amount: not an overdose)
    needs_in_clause: re.Pattern[str] | None = None
    # `unless`: a benign explanation anywhere in the clause's sentence cancels it, as a rule's `unless` does (black
    # stools "because I take iron tablets")
    unless: re.Pattern[str] | None = None
    # `unless_message`: the same, anywhere in the message ("my poo has gone black. I started iron tablets last week")
    unless_message: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class ConceptBank:
    """All concepts with the zh term table, and the file's version."""

    version: str
    concepts: tuple[Concept, ...]
    zh_variants: dict[str, str]  # variant word -> canonical term


@dataclass(frozen=True, slots=True)
class MeaningHit:
    """A concept whose exemplar a clause (or adjacent pair of clauses) came close enough to."""

    concept: Concept
    score: float
    text: str
    exemplar: str


def _format_source(src: Any, where: str) -> str:
    keys = ("title", "publisher", "year", "url")
    if not isinstance(src, dict) or any(not str(src.get(k, "")).strip() for k in keys):
        raise ConfigError(f"{where}: a source needs title, publisher, year and url")
    return f"{src['publisher']}, {src['title']} ({src['year']}). {src['url']}"


_tokenizer_lock = threading.Lock()


@functools.cache
def _tokenizer(words: tuple[str, ...]) -> Any:
    """A private jieba tokenizer that knows the table's words (the shared one, used for BM25, stays untouched)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    for w in words:
        tok.add_word(w, freq=200000)
    return tok


def zh_terms(text: str, bank: ConceptBank) -> frozenset[str]:
    """Canonical terms of a Chinese text: jieba words looked up in the bank's zh_terms table."""
    tok = _tokenizer(tuple(sorted(bank.zh_variants)))
    with _tokenizer_lock:
        words = tok.lcut(text.lower())
    return frozenset(bank.zh_variants[w] for w in words if w in bank.zh_variants)


_NORMAL = re.compile(r"\b(?:fine|normal(?:ly)?|ok|okay|all right|alright)\b|正常|没事|没问题|挺好", re.IGNORECASE)
# a short clause that names a sign and calls it fine ("breathing fine", "lips normal", "呼吸正常"): a sign reported as
# absent, not affirmed, whatever it sounds like to the encoder
_SIGN_FINE = re.compile(r"^(?!.*\b(?:not|no|isn'?t|aren'?t|never|hardly|barely|far from)\b)(?!.*[不没未])\W*(?:"
                        r"(?:(?:his|her|my|their|the|and|but|otherwise|still|he'?s|she'?s|they'?re|i'?m|he|she|they|i)\s+)*"
                        r"[a-z]+(?:\s+[a-z]+)?\s+(?:is\s+|are\s+|all\s+|both\s+)?"
                        r"(?:fine|normal|ok|okay|all right|alright|good|clear)|[\u3400-\u9fff]{1,4}(?:都|也|还)?(?:正常|没事|挺好|还好))\W*$",
                        re.IGNORECASE)


# the parts of a unit that may each call a sign fine: comma-separated, or joined by "and" / "but"
_PARTS = re.compile(r"[,，]|\s+(?:and|but)\s+", re.IGNORECASE)


def _pattern(raw: Any, where: str) -> re.Pattern[str] | None:
    """An optional list of cue regexes (either language), joined into one case-insensitive pattern."""
    if raw is None:
        return None
    cues = [str(x) for x in (raw if isinstance(raw, list) else [raw]) if str(x).strip()]
    try:
        return re.compile("|".join(f"(?:{c})" for c in cues), re.IGNORECASE) if cues else None
    except re.error as exc:
        raise ConfigError(f"{where}: not a valid pattern ({exc}); write a list of regular expressions") from exc


@functools.cache
def load_bank() -> ConceptBank:
    """Load and check ``rules/concepts.yaml`` (cached)."""
    import yaml

    name = "concepts.yaml"
    data = yaml.safe_load(resources.files("rag.safety").joinpath("rules", name).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not str(data.get("version", "")).strip():
        raise ConfigError(f"{name}: needs a top-level mapping with a version")
    sources = data.get("sources") or {}
    variants: dict[str, str] = {}
    for canon, words in (data.get("zh_terms") or {}).items():
        for w in [canon, *(words or [])]:
            w = str(w).lower()
            if variants.get(w, canon) != canon:
                raise ConfigError(f"{name}: zh term {w!r} belongs to both {variants[w]!r} and {canon!r}")
            variants[w] = str(canon)
    partial = ConceptBank(version=str(data["version"]), concepts=(), zh_variants=variants)
    concepts = []
    for cid, raw in (data.get("concepts") or {}).items():
        where = f"{name} concept {cid}"
        refs = raw.get("source") or []
        refs = [refs] if isinstance(refs, str) else list(refs)
        if not refs or any(r not in sources for r in refs):
            raise ConfigError(f"{where}: source must name entries of the top-level sources")
        en = tuple(str(x) for x in raw.get("en") or [])
        zh_text = tuple(str(x) for x in raw.get("zh") or [])
        if not en or not zh_text:
            raise ConfigError(f"{where}: needs English (en) and Chinese (zh) exemplars")
        zh = tuple(zh_terms(t, partial) for t in zh_text)
        if any(not z for z in zh):
            raise ConfigError(f"{where}: a Chinese exemplar has no word of the zh_terms table: {zh_text}")
        concepts.append(Concept(
            id=str(cid), label=str(raw.get("label") or cid),
            source="; ".join(_format_source(sources[r], f"{name} source {r}") for r in refs),
            threshold_en=float(raw["threshold_en"]), threshold_zh=float(raw["threshold_zh"]),
            en=en, zh=zh, zh_text=zh_text,
            not_when=_pattern(raw.get("not_when"), f"{where} not_when"),
            needs_any=_pattern(raw.get("needs_any"), f"{where} needs_any"),
            needs_in_clause=_pattern(raw.get("needs_in_clause"), f"{where} needs_in_clause"),
            unless=_pattern(raw.get("unless"), f"{where} unless"),
            unless_message=_pattern(raw.get("unless_message"), f"{where} unless_message"),
        ))
    return ConceptBank(version=partial.version, concepts=tuple(concepts), zh_variants=variants)


# --- English: the exemplar matrix, embedded once per embedder -------------------------------------

_matrices: dict[tuple[str, str], tuple[np.ndarray, list[int], list[str]]] = {}
_matrix_lock = threading.Lock()


def _calibrated(embedder: Any) -> bool:
    return str(getattr(embedder, "name", "")).split("#")[0] == CALIBRATED_EMBEDDER


def _unit(v: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return np.asarray(v / np.where(norms == 0, 1, norms), dtype=np.float32)


def _exemplar_matrix(embedder: Any, bank: ConceptBank) -> tuple[np.ndarray, list[int], list[str]]:
    key = (str(embedder.name), bank.version)
    with _matrix_lock:
        if key not in _matrices:
            owners = [i for i, c in enumerate(bank.concepts) for _ in c.en]
            texts = [t for c in bank.concepts for t in c.en]
            _matrices[key] = (_unit(np.asarray(embedder.embed_documents(texts), dtype=np.float32)), owners, texts)
        return _matrices[key]


def en_scores(texts: Sequence[str], embedder: Any, bank: ConceptBank | None = None) -> list[dict[str, tuple[float, str]]]:
    """Per text: concept id -> (best cosine with that concept's exemplars, the exemplar)."""
    bank = bank or load_bank()
    if not texts:
        return []
    matrix, owners, ex_texts = _exemplar_matrix(embedder, bank)
    q = _unit(np.asarray(embedder.embed_documents(list(texts)), dtype=np.float32))
    sims = q @ matrix.T
    out: list[dict[str, tuple[float, str]]] = []
    for row in sims:
        best: dict[str, tuple[float, str]] = {}
        for j, s in enumerate(row):
            cid = bank.concepts[owners[j]].id
            if cid not in best or s > best[cid][0]:
                best[cid] = (float(s), ex_texts[j])
        out.append(best)
    return out


def zh_scores(text: str, bank: ConceptBank | None = None) -> dict[str, tuple[float, str]]:
    """Concept id -> (best coverage of a Chinese exemplar's terms by the text's terms, the exemplar)."""
    bank = bank or load_bank()
    have = zh_terms(text, bank)
    best: dict[str, tuple[float, str]] = {}
    if not have:
        return best
    for c in bank.concepts:
        for terms, ex in zip(c.zh, c.zh_text, strict=True):
            cover = len(terms & have) / len(terms)
            if c.id not in best or cover > best[c.id][0]:
                best[c.id] = (cover, ex)
    return best


def split_units(clauses: list[Clause]) -> tuple[list[str], list[str]]:
    """The texts the layer compares: (English units of two words or more, Chinese units)."""
    en: list[str] = []
    zh: list[str] = []
    for text, _parts in units(clauses):
        if _CJK.search(text):
            zh.append(text)
        elif len(re.findall(r"[a-z]+", text.lower())) >= 2:
            en.append(text)
    return en, zh


_BROUGHT_UP = re.compile(r"vomit|\bsick\b|thr(?:ew|ow\w*) up|brought up|bringing up|cough\w* up|呕|吐|咳", re.IGNORECASE)


def meaning_hits(clauses: list[Clause], embedder: Any | None = None) -> list[MeaningHit]:
    """Concepts reached by affirmed clauses; English only with the calibrated embedder, Chinese always."""
    bank = load_bank()
    by_id = {c.id: c for c in bank.concepts}
    best: dict[str, MeaningHit] = {}

    # what the patient affirms: "breathing fine" or "no swelling of the lips" is not a body-wide sign
    whole = " ".join(c.text for c in clauses if not c.negated and not _NORMAL.search(c.text))

    everything = " ".join(c.text for c in clauses if not c.negated)
    # each unit's sentence, affirmed clauses only: where a concept's `unless` looks for a benign explanation
    sentence_of: dict[str, str] = {}
    for text, parts in units(clauses):
        sentence_of.setdefault(text, " ".join(c.text for c in clauses if c.sentence == parts[0].sentence and not c.negated))

    rescored: dict[str, dict[str, tuple[float, str]]] = {}  # a unit's text less its parts called fine, scored once

    def keep(cid: str, score: float, text: str, exemplar: str) -> None:
        concept = by_id[cid]
        parts = _PARTS.split(text)
        fine = [part for part in parts if _SIGN_FINE.match(part)]
        if len(fine) == len(parts):
            return
        if fine and embedder is not None and not _CJK.search(text):
            # "He's breathing ok and drinking fluids": the encoder reads the sign, not the "ok"; what is left once the
            # signs called fine are taken out must reach the concept on its own
            rest = ", ".join(part for part in parts if not _SIGN_FINE.match(part))
            if rest not in rescored:
                rescored[rest] = en_scores([rest], embedder, bank)[0]
            again = rescored[rest].get(cid)
            if again is None or again[0] < concept.threshold_en:
                return
        if concept.not_when is not None and concept.not_when.search(text):
            return
        if concept.unless is not None and concept.unless.search(sentence_of.get(text, text)):
            return
        if concept.unless_message is not None and concept.unless_message.search(everything) and not _BROUGHT_UP.search(text):
            return  # (blood brought up is never explained by a tablet taken: only what the stools look like is)
        if concept.needs_any is not None and not concept.needs_any.search(whole):
            return
        if concept.needs_in_clause is not None and not concept.needs_in_clause.search(text):
            return
        if cid not in best or score > best[cid].score:
            best[cid] = MeaningHit(concept=by_id[cid], score=round(score, 4), text=text, exemplar=exemplar)

    en_units, zh_units = split_units(clauses)
    for text in zh_units:
        for cid, (score, ex) in zh_scores(text, bank).items():
            if score >= by_id[cid].threshold_zh:
                keep(cid, score, text, ex)
    if en_units and embedder is not None and _calibrated(embedder):
        for text, scores in zip(en_units, en_scores(en_units, embedder, bank), strict=True):
            for cid, (score, ex) in scores.items():
                if score >= by_id[cid].threshold_en:
                    keep(cid, score, text, ex)
    return sorted(best.values(), key=lambda h: -h.score)
