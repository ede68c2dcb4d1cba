"""The entity lexicons (rag/records/lexicon/*.tsv, en + zh with lay synonyms): surface form -> (type, canonical name).

Each TSV row is `english names separated by |` TAB `chinese names separated by |`; the first English name is the
canonical one (for diseases: the name looked up in the ICD-10-CM alias table). Sources are named in each file's header.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

__all__ = ["ENTITY_TYPES", "Concept", "Lexicon", "load_lexicon", "normalize", "stem"]

ENTITY_TYPES: tuple[str, ...] = ("disease", "symptom", "drug", "test", "body")
_FILES = {"disease": "diseases.tsv", "symptom": "symptoms.tsv", "drug": "drugs.tsv", "test": "tests.tsv", "body": "body.tsv"}
_CJK = re.compile("[\u3400-\u9fff]")
# a token: letters/digits with inner hyphens, slashes, dots or apostrophes (co-amoxiclav, nt-probnp, h. pylori is two)
TOKEN = re.compile(r"[A-Za-z0-9\u00b5\u03b1-\u03c9]+(?:[-/'][A-Za-z0-9\u03b1-\u03c9]+)*")


# short lexicon names that are ordinary words, matched in any case; other names of <= 4 characters are abbreviations
# (MI, AF, CBC, ECG) and only count when the record writes them in capitals ("ra" in "SpO2 90% RA" is room air)
_ORDINARY = frozenset("arm arms leg legs ear ears eye eyes jaw toe toes hip lip lips hand back neck face head knee foot feet shin "
                      "calf nose lung skin bone lobe rash pain ache flu echo urea iron gout acne itch limb ankle chest heart "
                      "liver colon brain spine joint tonsil fever cough pulse vomit sweats thirst sulfa".split())


@dataclass(frozen=True, slots=True)
class Concept:
    """One lexicon entry: its type and canonical (English) name."""

    type: str
    canonical: str


def normalize(text: str) -> str:
    """NFKC (full-width -> half-width) and lower case: the form both lexicon and record are compared in."""
    return unicodedata.normalize("NFKC", text).lower()


def stem(token: str) -> str:
    """A light English stemmer so 'fevers', 'wheezing', 'wheezes' and 'wheeze' meet (applied to both sides)."""
    t = token.lower()
    if len(t) <= 4 or not t.isalpha():
        return t
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", "")):
        if t.endswith(suffix) and not (suffix == "s" and t.endswith(("ss", "us", "is"))):
            t = t[: len(t) - len(suffix)] + repl
            break
    return t[:-1] if len(t) > 4 and t.endswith("e") and not t.endswith("ae") else t


@dataclass(slots=True)
class Lexicon:
    """Chinese surfaces matched character by character; English ones token by token (stemmed)."""

    zh: dict[str, Concept]
    zh_lengths: tuple[int, ...]
    en: dict[tuple[str, ...], Concept]
    en_upper_only: frozenset[tuple[str, ...]]  # short abbreviations ("MI", "AF") only count when written in capitals
    en_max: int

    def concept(self, name: str) -> Concept | None:
        """The concept a surface form names, in either language (None when not in the lexicons)."""
        key = normalize(name).strip()
        if _CJK.search(key):
            return self.zh.get(key)
        return self.en.get(tuple(stem(t) for t in TOKEN.findall(key)))


def _add_alias_table(zh: dict[str, Concept], en: dict[tuple[str, ...], Concept], upper: set[tuple[str, ...]]) -> None:
    """Condition names of the shared alias table (rag.terms) that our disease list lacks: one table for both issues."""
    try:
        from rag.terms import conditions
    except ImportError:
        return
    for entry in conditions():
        etype = "disease" if entry.kind == "condition" else "symptom"
        concept = Concept(etype, entry.name)
        for n in (entry.name, *entry.aliases_en):
            key = tuple(stem(t) for t in TOKEN.findall(normalize(n)))
            if key and key not in en:
                en[key] = concept
                if len(n) <= 4 and n not in _ORDINARY and n.isupper():
                    upper.add(key)
        for n in (entry.name_zh, *entry.aliases_zh):
            n = normalize(n.strip())
            if len(n) >= 2 and _CJK.search(n) and n not in zh:
                zh[n] = concept


@functools.lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """All five lexicons, parsed once per process."""
    zh: dict[str, Concept] = {}
    en: dict[tuple[str, ...], Concept] = {}
    upper: set[tuple[str, ...]] = set()
    for etype in ENTITY_TYPES:
        text = resources.files("rag.records").joinpath("lexicon", _FILES[etype]).read_text(encoding="utf-8")
        for line in text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            en_part, _, zh_part = line.partition("\t")
            names = [n.strip() for n in en_part.split("|") if n.strip()]
            concept = Concept(etype, names[0])
            for n in names:
                key = tuple(stem(t) for t in TOKEN.findall(normalize(n)))
                if key and key not in en:
                    en[key] = concept
                    if len(n) <= 4 and n not in _ORDINARY:
                        upper.add(key)
            for n in zh_part.split("|"):
                n = normalize(n.strip())
                if not _CJK.search(n):  # "CT", "BNP" in the Chinese column: matched as English tokens
                    key = tuple(stem(t) for t in TOKEN.findall(n))
                    if key and key not in en:
                        en[key] = concept
                # one-character Chinese words (心, 肺, 痛) are parts of too many other words to be matched alone
                elif len(n) >= 2 and n not in zh:
                    zh[n] = concept
    _add_alias_table(zh, en, upper)
    lengths = tuple(sorted({len(k) for k in zh}, reverse=True))
    return Lexicon(zh, lengths, en, frozenset(upper), max(len(k) for k in en))
