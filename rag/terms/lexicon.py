"""Medical term tables (English and Chinese) and typed lookups over them.

Tables (data files next to this module, loaded once on first use):

- conditions.yaml   condition names and lay aliases (en + zh) -> canonical name -> ICD-10-CM code
- drugs.yaml        generic (INN) names, other generic names, brands and Chinese names
- tests.yaml        tests and examinations, en + zh
- departments.yaml  departments and services, en + zh
- zh_synonyms.txt   Chinese lay-term synonym groups (发烧/发热, 拉肚子/腹泻 ...)
- zh_en.tsv         Chinese -> English medical terms (symptoms, body parts, tests ...)
- zh_lay.tsv        Chinese lay phrases -> English and Chinese guideline terms (not given to jieba)
- en_lay.tsv        English lay phrase -> medical terms ("{a,b}" in a phrase: either word, lay_variants)
- jieba_medical.txt extra words for jieba (every Chinese term of the tables is added too)

Matching: English aliases match whole words, case-insensitive, with British/US spellings, hyphen or
space between words, and a plural -s/-es; a few short abbreviations that are also ordinary words
("MI", "AF", "ED", "AIDS") match only when written in capitals. Chinese aliases match as substrings.
Longest alias wins; mentions never overlap.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import yaml

from rag.text import UK_US_SPELLINGS, fold, has_cjk, us_spelling

__all__ = [
    "ConditionEntry",
    "ConditionMention",
    "TermMention",
    "conditions",
    "condition",
    "condition_code",
    "find_conditions",
    "find_drugs",
    "find_tests",
    "find_departments",
    "normalise_drug",
    "drug_names",
    "test_names",
    "department_names",
    "expand_zh",
    "zh_synonyms",
    "english_terms",
    "english_medical",
    "english_lay_phrases",
    "lay_phrase_words",
    "jieba_words",
    "add_to_jieba",
]

Language = Literal["en", "zh"]
TermKind = Literal["drug", "test", "department"]


@dataclass(frozen=True, slots=True)
class ConditionEntry:
    """One row of the alias table: a condition with its code and names."""

    name: str  # canonical English name
    name_zh: str  # canonical Chinese name
    icd10: str  # ICD-10-CM code, validated against the CMS table in tests/test_terms.py
    aliases_en: tuple[str, ...]
    aliases_zh: tuple[str, ...]
    kind: Literal["condition", "symptom"]  # symptom: an R-code complaint rather than a diagnosis

    def display(self, language: str) -> str:
        """The canonical name in the answer language."""
        return self.name_zh if language == "zh" else self.name


@dataclass(frozen=True, slots=True)
class ConditionMention:
    """A condition named in a text: canonical name, code, and the alias as written at [start, end)."""

    name: str
    icd10: str
    start: int
    end: int
    alias: str
    name_zh: str = ""
    kind: Literal["condition", "symptom"] = "condition"


@dataclass(frozen=True, slots=True)
class TermMention:
    """A drug, test or department named in a text: canonical name and the alias as written at [start, end)."""

    kind: TermKind
    name: str
    start: int
    end: int
    alias: str


# short aliases that are also ordinary words or other abbreviations: match only as written in capitals
_CAPS_ONLY = frozenset({"mi", "af", "er", "ed", "pe", "ct", "gad", "bv", "pid", "osa", "ent", "asa", "ors",
                        "aids", "trich", "hhs", "tbe", "nrt", "pct", "echo", "hbp", "gtn", "apap", "tsh", "tb"})
# longer phrases that contain a condition alias but name something else ("感冒药" is a medicine)
# (and "pee burns" is a symptom, not a burn)
_BLOCK = ("感冒药", "感冒灵", "感冒冲剂", "感冒颗粒", "止咳感冒", "发热门诊", "pee burns", "that burns", "it burns",
          "burns when", "burns on", "burning")
_SEP = re.compile(r"[\s\-‐‑–_/]+")


def _key(text: str) -> str:
    """Lookup key of an English alias: folded, US-spelled, words joined by single spaces."""
    return _SEP.sub(" ", us_spelling(fold(text))).strip(" .,;:")


def _data(name: str) -> str:
    return resources.files("rag.terms").joinpath(name).read_text(encoding="utf-8")


def _yaml_rows(name: str) -> list[dict[str, Any]]:
    rows = yaml.safe_load(_data(name))
    if not isinstance(rows, list):
        raise ValueError(f"rag/terms/{name}: expected a list of rows")
    return rows


def _tsv(name: str) -> list[tuple[str, list[str]]]:
    out = []
    for line in _data(name).splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        left, _, right = line.partition("\t")
        out.append((left.strip(), [t.strip() for t in right.split("|") if t.strip()]))
    return out


# --- a matcher over many aliases ------------------------------------------------------------


class _Matcher:
    """Leftmost-longest, non-overlapping alias matching for English (whole words) and Chinese (substrings)."""

    def __init__(self, en: dict[str, str], zh: dict[str, str]) -> None:
        # en: alias key -> canonical; zh: folded alias -> canonical
        self.en = en
        self.zh = zh
        self.en_re = self._en_regex(en, caps=False)
        self.en_caps_re = self._en_regex(en, caps=True)
        alts = sorted(zh, key=len, reverse=True)
        self.zh_re = re.compile("|".join(re.escape(a) for a in alts)) if alts else None

    @staticmethod
    def _en_regex(en: dict[str, str], *, caps: bool) -> re.Pattern[str] | None:
        # one trie-shaped pattern (shared prefixes written once): Python's re tries alternatives one by
        # one, so a flat alternation of ~1,500 aliases is about ten times slower
        variants: set[str] = set()
        for key in en:
            if (key in _CAPS_ONLY) != caps:
                continue
            variants.add(key)
            for uk, us in UK_US_SPELLINGS:  # aliases are stored in one spelling and matched in both
                if us in key:
                    variants.add(key.replace(us, uk))
        if not variants:
            return None
        trie: dict[str, Any] = {}
        for v in variants:
            node = trie
            for ch in (v.upper() if caps else v):
                node = node.setdefault(ch, {})
            node[""] = {}
        body = _trie_regex(trie)
        if not caps:
            body = f"(?:{body})(?:e?s)?"
        flags = 0 if caps else re.IGNORECASE
        return re.compile(r"(?<![A-Za-z0-9])(?:" + body + r")(?![A-Za-z0-9])", flags)

    def _en_canonical(self, matched: str) -> str | None:
        k = _key(matched)
        for cand in (k, k[:-2] if k.endswith("es") else "", k[:-1] if k.endswith("s") else ""):
            if cand and cand in self.en:
                return self.en[cand]
        return None

    def find(self, text: str, language: str | None) -> list[tuple[int, int, str, str]]:
        """(start, end, alias as written, canonical) for every mention, in text order."""
        spans: list[tuple[int, int, str, str]] = []
        folded = fold(text) if len(fold(text)) == len(text) else text.lower()
        blocked = [(m.start(), m.end()) for b in _BLOCK for m in re.finditer(re.escape(b), folded)]
        if language in (None, "en"):
            for rx in (self.en_re, self.en_caps_re):
                if rx is None:
                    continue
                for m in rx.finditer(text):
                    canon = self._en_canonical(m.group(0))
                    if canon is not None and not any(bs <= m.start() and m.end() <= be for bs, be in blocked):
                        spans.append((m.start(), m.end(), m.group(0), canon))
        if language in (None, "zh") and self.zh_re is not None and has_cjk(text):
            for m in self.zh_re.finditer(folded):
                if any(bs <= m.start() and m.end() <= be for bs, be in blocked):
                    continue
                spans.append((m.start(), m.end(), text[m.start():m.end()], self.zh[m.group(0)]))
        # keep the longest of overlapping mentions, then text order
        spans.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
        kept: list[tuple[int, int, str, str]] = []
        for s in spans:
            if all(s[1] <= k[0] or s[0] >= k[1] for k in kept):
                kept.append(s)
        return sorted(kept)


def _trie_regex(node: dict[str, Any]) -> str:
    """Regex for a character trie; '' marks an alias end. Greedy, so longer aliases are tried first."""
    alts = []
    for ch in sorted(k for k in node if k):
        if ch == " ":
            piece = r"[\s\-‐‑–]+"
        elif ch == "'":
            piece = "['\u2019]?"
        else:
            piece = re.escape(ch)
        alts.append(piece + _trie_regex(node[ch]))
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    if "" in node:
        return f"(?:{body})?"
    return body


def _matcher(rows: Iterable[tuple[str, Iterable[str], Iterable[str]]]) -> _Matcher:
    en: dict[str, str] = {}
    zh: dict[str, str] = {}
    for canon, en_names, zh_names in rows:
        for a in en_names:
            en.setdefault(_key(a), canon)
        for a in zh_names:
            zh.setdefault(fold(a), canon)
    return _Matcher(en, zh)


# --- conditions -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _conditions() -> tuple[tuple[ConditionEntry, ...], dict[str, ConditionEntry], _Matcher]:
    entries = []
    for row in _yaml_rows("conditions.yaml"):
        kind = row.get("kind", "condition")
        entries.append(ConditionEntry(
            name=str(row["name"]), name_zh=str(row["zh"]), icd10=str(row["icd10"]),
            aliases_en=tuple(str(a) for a in row.get("en", [])), aliases_zh=tuple(str(a) for a in row.get("zh_aliases", [])),
            kind="symptom" if kind == "symptom" else "condition",
        ))
    by_key: dict[str, ConditionEntry] = {}
    for e in entries:
        for a in (e.name, *e.aliases_en):
            by_key.setdefault(_key(a), e)
        for a in (e.name_zh, *e.aliases_zh):
            by_key.setdefault(fold(a), e)
    matcher = _matcher((e.name, (e.name, *e.aliases_en), (e.name_zh, *e.aliases_zh)) for e in entries)
    return tuple(entries), by_key, matcher


def conditions() -> tuple[ConditionEntry, ...]:
    """Every row of the alias table."""
    return _conditions()[0]


def condition(name: str) -> ConditionEntry | None:
    """The table row for a condition name or alias (English or Chinese), or None."""
    if not isinstance(name, str) or not name.strip():
        return None
    _, by_key, _ = _conditions()
    return by_key.get(_key(name)) or by_key.get(fold(name).strip())


def condition_code(name: str) -> str | None:
    """ICD-10-CM code of a condition name or alias from the table, or None (never a guess)."""
    e = condition(name)
    return e.icd10 if e else None


def find_conditions(text: str, language: str | None = None) -> list[ConditionMention]:
    """Conditions named in text (language 'en', 'zh' or None for both), in text order, non-overlapping."""
    return list(_find_conditions(text, language))


@functools.lru_cache(maxsize=4096)
def _find_conditions(text: str, language: str | None) -> tuple[ConditionMention, ...]:
    # cached: verification and condition ranking look at the same passages many times
    entries, by_key, matcher = _conditions()
    by_name = {e.name: e for e in entries}
    out = []
    for start, end, alias, canon in matcher.find(text, language):
        e = by_name[canon]
        out.append(ConditionMention(name=e.name, icd10=e.icd10, start=start, end=end, alias=alias,
                                    name_zh=e.name_zh, kind=e.kind))
    return tuple(out)


def conditions_in(text: str, language: str | None = None) -> list[ConditionMention]:
    """find_conditions without its cache: for a patient's text, which is not kept after the request."""
    return list(_find_conditions.__wrapped__(text, language))


# --- drugs, tests, departments ----------------------------------------------------------------


@functools.lru_cache(maxsize=3)
def _terms(kind: TermKind) -> tuple[dict[str, tuple[str, ...]], dict[str, str], _Matcher]:
    """(canonical -> all names, name key -> canonical, matcher) for one table."""
    names: dict[str, tuple[str, ...]] = {}
    if kind == "drug":
        for row in _yaml_rows("drugs.yaml"):
            g = str(row["generic"])
            en = [g, *row.get("names", []), *row.get("brands", [])]
            names[g] = tuple(str(x) for x in (*en, *row.get("zh", [])))
    else:
        for row in _yaml_rows("tests.yaml" if kind == "test" else "departments.yaml"):
            n = str(row["name"])
            names[n] = tuple(str(x) for x in (n, *row.get("en", []), *row.get("zh", [])))
    index: dict[str, str] = {}
    rows = []
    for canon, all_names in names.items():
        en = [a for a in all_names if not has_cjk(a)]
        zh = [a for a in all_names if has_cjk(a)]
        rows.append((canon, en, zh))
        for a in en:
            index.setdefault(_key(a), canon)
        for a in zh:
            index.setdefault(fold(a), canon)
    return names, index, _matcher(rows)


def _find(kind: TermKind, text: str, language: str | None) -> list[TermMention]:
    return list(_find_cached(kind, text, language))


@functools.lru_cache(maxsize=4096)
def _find_cached(kind: TermKind, text: str, language: str | None) -> tuple[TermMention, ...]:
    return tuple(TermMention(kind=kind, name=c, start=s, end=e, alias=a) for s, e, a, c in _terms(kind)[2].find(text, language))


def find_drugs(text: str, language: str | None = None) -> list[TermMention]:
    """Drugs named in text (generic, brand or Chinese name), canonical generic name, in text order."""
    return _find("drug", text, language)


def find_tests(text: str, language: str | None = None) -> list[TermMention]:
    """Tests and examinations named in text, in text order."""
    return _find("test", text, language)


def find_departments(text: str, language: str | None = None) -> list[TermMention]:
    """Departments and services named in text, in text order."""
    return _find("department", text, language)


def normalise_drug(name: str) -> str | None:
    """Canonical generic name for a drug name, brand or Chinese name ('Tylenol' -> 'paracetamol'), or None."""
    if not isinstance(name, str) or not name.strip():
        return None
    _, index, _ = _terms("drug")
    hit = index.get(_key(name)) or index.get(fold(name).strip())
    if hit:
        return hit
    found = {m.name for m in find_drugs(name)}
    return found.pop() if len(found) == 1 else None


def drug_names(generic: str) -> tuple[str, ...]:
    """Every name of a drug (generic, other generic names, brands, Chinese); empty when unknown."""
    g = normalise_drug(generic)
    return _terms("drug")[0].get(g, ()) if g else ()


def test_names(name: str) -> tuple[str, ...]:
    """Every name of a test (English and Chinese); empty when unknown."""
    names, index, _ = _terms("test")
    canon = index.get(_key(name)) or index.get(fold(name).strip())
    return names.get(canon, ()) if canon else ()


def department_names(name: str) -> tuple[str, ...]:
    """Every name of a department (English and Chinese); empty when unknown."""
    names, index, _ = _terms("department")
    canon = index.get(_key(name)) or index.get(fold(name).strip())
    return names.get(canon, ()) if canon else ()


# --- Chinese synonyms and zh -> en ----------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _zh_groups() -> tuple[tuple[tuple[str, ...], ...], re.Pattern[str]]:
    groups = []
    for line in _data("zh_synonyms.txt").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        words = tuple(dict.fromkeys(w for w in line.split() if len(w) > 1))
        if len(words) > 1:
            groups.append(words)
    every = sorted({w for g in groups for w in g}, key=len, reverse=True)
    return tuple(groups), re.compile("|".join(re.escape(w) for w in every))


def zh_synonyms(word: str) -> list[str]:
    """Other words for a Chinese term (发烧 -> 发热, 高烧 ...); empty when it has none."""
    groups, _ = _zh_groups()
    out: dict[str, None] = {}
    for g in groups:
        if word in g:
            out.update(dict.fromkeys(w for w in g if w != word))
    return list(out)


def expand_zh(text: str) -> list[str]:
    """Synonyms of the Chinese lay and medical terms in text that the text does not already contain."""
    groups, rx = _zh_groups()
    present = [m.group(0) for m in rx.finditer(text)]
    out: dict[str, None] = {}
    for word in present:
        for g in groups:
            if word in g:
                out.update(dict.fromkeys(w for w in g if w not in text))
    lay = _zh_lay()
    for phrase, targets in lay.items():
        if phrase in text:
            out.update(dict.fromkeys(t for t in targets if has_cjk(t) and t not in text))
    return list(out)


@functools.lru_cache(maxsize=1)
def _zh_lay() -> dict[str, tuple[str, ...]]:
    """zh_lay.tsv: Chinese lay phrase -> English and Chinese guideline terms (kept out of jieba, see the file)."""
    table: dict[str, dict[str, None]] = {}
    for zh, terms in _tsv("zh_lay.tsv"):
        table.setdefault(fold(zh), {}).update(dict.fromkeys(terms))
    return {k: tuple(v) for k, v in table.items()}


def _zh_en() -> tuple[dict[str, tuple[str, ...]], re.Pattern[str]]:
    table, rx, _ = _zh_en_and_lay_keys()
    return table, rx


@functools.lru_cache(maxsize=1)
def _zh_en_and_lay_keys() -> tuple[dict[str, tuple[str, ...]], re.Pattern[str], frozenset[str]]:
    """The zh -> en table, its regex, and the keys that only zh_lay.tsv brings (which jieba does not get)."""
    table: dict[str, dict[str, None]] = {}

    def add(zh: str, en: Iterable[str]) -> None:
        table.setdefault(fold(zh), {}).update(dict.fromkeys(en))

    for zh, en in _tsv("zh_en.tsv"):
        add(zh, en)
    for e in conditions():
        # the canonical name and the most common English alias
        en_names = [e.name, *e.aliases_en[:1]]
        for a in (e.name_zh, *e.aliases_zh):
            if has_cjk(a):
                add(a, en_names)
    drugs, _, _ = _terms("drug")
    for names in drugs.values():
        en_names = [n for n in names if not has_cjk(n)][:2]
        for n in names:
            if has_cjk(n):
                add(n, en_names)
    # lay words translate through their canonical synonym (拉稀 -> 腹泻 -> diarrhoea)
    groups, _ = _zh_groups()
    for group in groups:
        known = [w for w in group if fold(w) in table]
        if known:
            for w in group:
                if fold(w) not in table:
                    add(w, table[fold(known[0])])
    lay_only = set()
    for zh, terms in _zh_lay().items():
        english = [t for t in terms if not has_cjk(t)]
        if english:
            if zh not in table:
                lay_only.add(zh)
            add(zh, english)
    frozen = {k: tuple(v) for k, v in table.items()}
    rx = re.compile("|".join(re.escape(k) for k in sorted(frozen, key=len, reverse=True)))
    return frozen, rx, frozenset(lay_only)


def english_terms(text_zh: str) -> list[str]:
    """English medical terms for the Chinese terms in text (疟疾 -> malaria, 沙丁胺醇 -> salbutamol, albuterol)."""
    return list(dict.fromkeys(term for group in english_term_groups(text_zh) for term in group))


def english_term_spans(text_zh: str) -> list[tuple[int, tuple[str, ...]]]:
    """Where each Chinese term of english_term_groups starts in the text, with its English terms."""
    table, rx = _zh_en()
    folded = fold(text_zh) if len(fold(text_zh)) == len(text_zh) else text_zh.lower()
    return [(m.start(), table[m.group(0)]) for m in rx.finditer(folded)]


def english_term_groups(text_zh: str) -> list[tuple[str, ...]]:
    """english_terms one Chinese term at a time: the English terms of each Chinese term found, in order (a term that
    has several English forms, "发烧" -> fever, high temperature, is one group: one concept, not two matches)."""
    return list(dict.fromkeys(terms for _, terms in english_term_spans(text_zh)))


def lay_variants(phrase: str) -> list[str]:
    """The phrases a row of en_lay.tsv stands for: each "{a,b,c}" is one of its comma-separated parts, so
    "{throw,throws,threw,throwing} up" is four phrases (verb forms, which the matcher's plural -s does not cover);
    an empty part drops the words ("{my ,}heart racing"), and groups nest ("{tight,tight in {my,the}} chest").
    A phrase without braces is itself. Unbalanced braces or a comma outside braces raise ValueError."""

    def sequence(i: int) -> tuple[list[str], int]:
        outs = [""]
        while i < len(phrase) and phrase[i] not in ",}":
            if phrase[i] == "{":
                alternatives: list[str] = []
                i += 1
                while True:
                    parts, i = sequence(i)
                    alternatives += parts
                    if i >= len(phrase):
                        raise ValueError(f"en_lay.tsv: unclosed brace in {phrase!r}")
                    i += 1
                    if phrase[i - 1] == "}":
                        break
                outs = [o + a for o in outs for a in alternatives]
            else:
                j = i
                while j < len(phrase) and phrase[j] not in "{},":
                    j += 1
                outs = [o + phrase[i:j] for o in outs]
                i = j
        return outs, i

    variants, end = sequence(0)
    if end != len(phrase):
        raise ValueError(f"en_lay.tsv: stray {phrase[end]!r} in {phrase!r}")
    return list(dict.fromkeys(v for v in (_SEP.sub(" ", x).strip() for x in variants) if v))


_LAY_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def _lay_words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) of a text's words for the lay table: folded, apostrophes dropped ("can't" = "cant"), US
    spelling; hyphens, slashes and dots separate words as spaces do ("light-headed" = "light headed")."""
    folded = fold(text)
    if len(folded) != len(text):
        folded = text.lower().replace("\u2019", "'")
    return [(m.start(), m.end(), us_spelling(m.group(0).replace("'", ""))) for m in _LAY_WORD.finditer(folded)]


class _LayMatcher:
    """Longest lay phrase at each word, then the longest of overlapping phrases, as _Matcher does, but by
    looking word sequences up in a dict: the lay table's thousands of phrase forms (lay_variants) made
    _Matcher's one regex take seconds to compile. A plural -s/-es on a phrase's last word is allowed."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.keys: dict[tuple[str, ...], str] = {}
        for phrase in phrases:
            words = tuple(w for _, _, w in _lay_words(phrase))
            if words:
                self.keys.setdefault(words, phrase)
        self.longest = max((len(k) for k in self.keys), default=0)

    def _lookup(self, words: tuple[str, ...]) -> str | None:
        hit = self.keys.get(words)
        if hit is None and len(words[-1]) > 3 and words[-1].endswith("s"):
            last = words[-1]
            hit = self.keys.get((*words[:-1], last[:-1])) or (
                self.keys.get((*words[:-1], last[:-2])) if last.endswith("es") else None)
        return hit

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, phrase) of every lay phrase in text, in text order, non-overlapping."""
        words = _lay_words(text)
        folded = fold(text) if len(fold(text)) == len(text) else text.lower()
        blocked = [(m.start(), m.end()) for b in _BLOCK for m in re.finditer(re.escape(b), folded)]
        spans = []
        for i in range(len(words)):
            for n in range(min(self.longest, len(words) - i), 0, -1):
                phrase = self._lookup(tuple(w for _, _, w in words[i:i + n]))
                if phrase is not None:
                    start, end = words[i][0], words[i + n - 1][1]
                    if not any(bs <= start and end <= be for bs, be in blocked):
                        spans.append((start, end, phrase))
                    break
        spans.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
        kept: list[tuple[int, int, str]] = []
        for sp in spans:
            if all(sp[1] <= k[0] or sp[0] >= k[1] for k in kept):
                kept.append(sp)
        return sorted(kept)


@functools.lru_cache(maxsize=1)
def _en_lay() -> tuple[dict[str, tuple[str, ...]], _LayMatcher]:
    table: dict[str, dict[str, None]] = {}
    for lay, med in _tsv("en_lay.tsv"):
        for variant in lay_variants(lay):
            table.setdefault(_key(variant), {}).update(dict.fromkeys(med))
    return {k: tuple(v) for k, v in table.items()}, _LayMatcher(table)


def lay_phrase_words(text: str) -> set[str]:
    """The words (lower case, as written) of the English lay phrases found in text: spelling correction leaves
    them alone ("threw up" is a lay phrase, not a misspelt "three up")."""
    _, matcher = _en_lay()
    return {w.lower() for start, end, _ in matcher.find(text) for w in re.findall(r"[A-Za-z][A-Za-z'\-]*", text[start:end])}


def english_medical(text: str) -> list[str]:
    """Medical terms for the English lay phrases in text ('tummy ache' -> abdominal pain)."""
    out: dict[str, None] = {}
    for _, terms in english_lay_phrases(text):
        out.update(dict.fromkeys(terms))
    return list(out)


def english_lay_phrases(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """(lay phrase as the table keys it, its medical terms) for each English lay phrase in text, in text order."""
    table, matcher = _en_lay()
    return [(phrase, table[phrase]) for _, _, phrase in matcher.find(text)]


# --- jieba ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def jieba_words() -> tuple[str, ...]:
    """Medical words for jieba: jieba_medical.txt plus every Chinese term of the tables."""
    words: dict[str, None] = {}
    for line in _data("jieba_medical.txt").splitlines():
        if line.strip() and not line.startswith("#"):
            words[line.split()[0]] = None
    for e in conditions():
        words.update(dict.fromkeys(a for a in (e.name_zh, *e.aliases_zh) if has_cjk(a)))
    kinds: tuple[TermKind, ...] = ("drug", "test", "department")
    for kind in kinds:
        for names in _terms(kind)[0].values():
            words.update(dict.fromkeys(a for a in names if has_cjk(a) and not re.search(r"[A-Za-z0-9]", a)))
    groups, _ = _zh_groups()
    for g in groups:
        words.update(dict.fromkeys(g))
    table, _, lay_only = _zh_en_and_lay_keys()
    words.update(dict.fromkeys(k for k in table if k not in lay_only and not re.search(r"[A-Za-z0-9]", k)))
    return tuple(words)


def add_to_jieba(jieba: Any, freq: int = 2000) -> int:
    """Add the medical words to a jieba module or Tokenizer; returns how many were added."""
    words = jieba_words()
    for w in words:
        jieba.add_word(w, freq=freq)
    return len(words)
