"""Deterministic red-flag triage: versioned regex rules (English and Chinese) run before retrieval.

Rules live in ``rag/safety/rules/redflags.{en,zh}.yaml``. Every rule of both languages is matched whatever
the query's language (patients mix languages). A rule fires when one of its ``patterns`` matches, or
when every group of one of its ``combinations`` matches somewhere in the text, and its conditions
(``max_age_years``, ``requires_pregnant``) hold. A match preceded by a negation cue in the same clause
("no chest pain", "denies ...", "没有胸痛", "否认呕血") does not count.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any

from rag.answer.schema import RedFlag
from rag.errors import ConfigError
from rag.safety.clauses import CLAUSE_DENIALS, ZH_RULE_PSEUDO, Clause, DenialTable, clause_at, denial_cues, split_clauses
from rag.safety.literals import LiteralGate
from rag.safety.spelling import normalise

__all__ = [
    "TriageResult",
    "triage",
    "rules_version",
    "load_rules",
    "Rule",
    "RuleSet",
    "extract_age_years",
    "RULE_LANGUAGES",
]

RULE_LANGUAGES: tuple[str, ...] = ("en", "zh")
_DEF_REF = re.compile(r"%\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class TriageResult:
    """Outcome of triage: urgency is "emergency" when any red-flag rule fired, else None."""

    urgency: str | None
    red_flags: list[RedFlag]
    rules_version: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled red-flag rule."""

    id: str
    label: str
    language: str
    source: str
    patterns: tuple[re.Pattern[str], ...]
    combinations: tuple[tuple[tuple[re.Pattern[str], ...], ...], ...]
    max_age_years: float | None = None
    requires_pregnant: bool = False
    # per pattern: a benign explanation in the same sentence that cancels it ("black stools ... iron tablets")
    unless: tuple[re.Pattern[str] | None, ...] = ()
    # searched in the whole message, not only the match's sentence: an explanation often comes in the next one ("my poo
    # has gone black. I started iron tablets last week")
    unless_message: tuple[re.Pattern[str] | None, ...] = ()
    # all its patterns (and its combinations') as one alternation: no match of it, no match of any of them, so the
    # rule is skipped with one scan of the text instead of one per pattern (None when they cannot be joined)
    any_pattern: LiteralGate | None = None


@dataclass(frozen=True, slots=True)
class RuleSet:
    """All rules of one language file, with the file's version."""

    language: str
    version: str
    rules: tuple[Rule, ...]


# --- loading -------------------------------------------------------------------------------


def _expand(pattern: str, defs: dict[str, str], where: str) -> str:
    for _ in range(5):
        if "%{" not in pattern:
            return pattern
        try:
            pattern = _DEF_REF.sub(lambda m: "(?:" + defs[m.group(1)] + ")", pattern)
        except KeyError as exc:
            raise ConfigError(f"{where}: unknown definition %{{{exc.args[0]}}}") from exc
    raise ConfigError(f"{where}: definitions nest too deeply")


def _compile(pattern: Any, defs: dict[str, str], where: str) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern.strip():
        raise ConfigError(f"{where}: a pattern must be a non-empty string")
    try:
        return re.compile(_expand(pattern, defs, where), re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(f"{where}: bad regex {pattern!r}: {exc}") from exc


_BACKREF = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")


def _any_pattern(patterns: tuple[re.Pattern[str], ...]) -> LiteralGate | None:
    """One alternation of the patterns, found wherever any one of them is (same flags, no group references: the
    groups are renumbered when joined)."""
    if not patterns or len({p.flags for p in patterns}) != 1 or any(_BACKREF.search(p.pattern) for p in patterns):
        return None
    try:
        return LiteralGate(re.compile("|".join(f"(?:{p.pattern})" for p in patterns), patterns[0].flags))
    except re.error:  # e.g. a global inline flag that must come first
        return None


def _format_source(src: Any, where: str) -> str:
    keys = ("title", "publisher", "year", "url")
    if not isinstance(src, dict) or any(not str(src.get(k, "")).strip() for k in keys):
        raise ConfigError(f"{where}: a source needs title, publisher, year and url")
    return f"{src['publisher']}, {src['title']} ({src['year']}). {src['url']}"


def _parse(data: Any, language: str, name: str) -> RuleSet:
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: top level must be a mapping")
    version = str(data.get("version", "")).strip()
    if not version:
        raise ConfigError(f"{name}: missing top-level version")
    defs = {str(k): str(v) for k, v in (data.get("defs") or {}).items()}
    sources = data.get("sources") or {}
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("rules") or []):
        where = f"{name} rule #{i + 1}"
        rid = str(raw.get("id", "")).strip()
        if not rid or rid in seen:
            raise ConfigError(f"{where}: missing or duplicate id {rid!r}")
        seen.add(rid)
        where = f"{name} rule {rid}"
        refs = raw.get("source")
        refs = [refs] if isinstance(refs, str) else list(refs or [])
        if not refs or any(r not in sources for r in refs):
            raise ConfigError(f"{where}: source must name entries of the top-level sources")
        source = "; ".join(_format_source(sources[r], f"{name} source {r}") for r in refs)
        raw_patterns = [p if isinstance(p, dict) else {"pattern": p} for p in raw.get("patterns") or []]
        patterns = tuple(_compile(p.get("pattern"), defs, where) for p in raw_patterns)
        unless = tuple(_compile(p["unless"], defs, where) if p.get("unless") else None for p in raw_patterns)
        unless_message = tuple(_compile(p["unless_message"], defs, where) if p.get("unless_message") else None
                               for p in raw_patterns)
        combos = tuple(
            tuple(tuple(_compile(p, defs, where) for p in (g if isinstance(g, list) else [g])) for g in combo)
            for combo in raw.get("combinations") or []
        )
        if not patterns and not combos:
            raise ConfigError(f"{where}: needs patterns or combinations")
        if any(len(c) < 2 for c in combos):
            raise ConfigError(f"{where}: a combination needs at least two groups")
        max_age = raw.get("max_age_years")
        rules.append(
            Rule(
                id=rid,
                label=str(raw.get("label", "")).strip() or rid,
                language=language,
                source=source,
                patterns=patterns,
                combinations=combos,
                max_age_years=float(max_age) if max_age is not None else None,
                requires_pregnant=bool(raw.get("requires_pregnant", False)),
                unless=unless,
                unless_message=unless_message,
                any_pattern=_any_pattern(patterns + tuple(p for combo in combos for group in combo for p in group)),
            )
        )
    return RuleSet(language=language, version=version, rules=tuple(rules))


@functools.cache
def load_rules(language: str) -> RuleSet:
    """Load and compile ``redflags.<language>.yaml`` (cached)."""
    if language not in RULE_LANGUAGES:
        raise ConfigError(f"no red-flag rules for language {language!r}")
    import yaml

    name = f"redflags.{language}.yaml"
    text = resources.files("rag.safety").joinpath("rules", name).read_text(encoding="utf-8")
    return _parse(yaml.safe_load(text), language, name)


@functools.lru_cache(maxsize=1)
def rules_version() -> str:
    """Version of the rule set; both language files carry one version, else 'en=..;zh=..'."""
    versions = {lang: load_rules(lang).version for lang in RULE_LANGUAGES}
    if len(set(versions.values())) == 1:
        return next(iter(versions.values()))
    return ";".join(f"{k}={v}" for k, v in versions.items())


# --- text normalisation and negation -------------------------------------------------------


def _normalize(text: str) -> str:
    """Case-folded, NFKC-per-character text with the same length as the input (spans map back)."""
    out = []
    for ch in text:
        n = unicodedata.normalize("NFKC", ch)
        n = n if len(n) == 1 else ch
        low = n.lower()
        n = low if len(low) == 1 else n
        out.append("'" if n in "\u2018\u2019\u02bc`\u00b4" else n)
    return "".join(out)


# a clause ends at punctuation (not a decimal point) or a contrastive word
_CLAUSE_BREAK = re.compile(
    r"[;!?\n,:\u3002\uff1b\uff01\uff1f\uff0c\uff1a]|(?<!\d)\.|\.(?!\d)|\s-\s"
    r"|\b(?:but|however|although|though|yet|except|apart from|now|then|until|whereas|while)\b"
    r"|但是|但|可是|不过|然而|却|就是|只是|现在|后来|然后"
)
_EN_CUE = re.compile(
    r"\b(?:no|not|denies|denied|deny|denying|without|never|negative for|free of|none|nor|neither"
    r"|absence of|ruled out|(?:do|does|did|is|are|was|were|have|has|had|ain)n'?t)\b"
)
_EN_PSEUDO = re.compile(
    r"\s*(?:only|just|sure|stop|stopping|help|helping|helped|work|working|improv\w*|get(?:ting)? better"
    r"|better|go(?:ing)? away|ease|easing|settl\w*|know|matter|longer able|able|responding|respond"
    r"|waking|wake|breathing|fade|fading|blanch\w*|make sense|making sense|feel right|seem right"
    r"|improvement|relief|response|change|idea|clue|warning|reason)\b"
)
# narrower than the clause table (rag.safety.clauses.CLAUSE_DENIALS): here a cue must also stand within a few
# words before the rule's term, and modal cues ("shouldn't have taken 30 tablets") are not denials
_RULE_DENIALS = DenialTable(_EN_CUE, _EN_PSEUDO, CLAUSE_DENIALS.zh, ZH_RULE_PSEUDO)
# "vision fine", "breathing is normal", "speech completely normal": the sign a rule matched, named and at once called fine
# (a telegraphic denial, the rule-side twin of the clause table's "X is fine"); only at the end of a clause, and not
# "ok"/"alright", which a hurried writer uses as a filler ("he's not responding ok what do i do")
_POST_FINE = re.compile(r"\s+(?:(?:is|are|was|were|seems?|looks?|feels?|all|totally|completely|perfectly|absolutely|quite)\s+){0,2}"
                        r"(?:fine|normal|unaffected|unchanged)\b(?=\s*(?:[,.;!\n]|$|and\b|but\b|no\b|too\b))")
_NEVER_AFFIRM = re.compile(r"[^.;!?,\n]{0,40}?\b(?:like (?:this|that)|this bad|so bad|this severe|until (?:now|today)|till (?:now|today))\b")
_POST_NEG = re.compile(r"[^\n.;,:=\-]{0,30}?\s*[:=\-]\s*(?:no|none|nil|negative|denied|denies|absent|无|没有|否认)\b")
_TOKEN = re.compile(r"[a-z0-9']+|[\u3400-\u9fff]")
_EN_WINDOW = 4  # words allowed between an English cue and the term
_ZH_WINDOW = 6  # characters allowed between a Chinese cue and the term


def _negated(norm: str, start: int, end: int) -> bool:
    """Whether the span [start, end) sits in the scope of a preceding negation cue."""
    if _POST_NEG.match(norm, end) or _POST_FINE.match(norm, end):
        return True
    window_start = max(0, start - 80)
    prefix = norm[window_start:start]
    cut = 0
    for m in _CLAUSE_BREAK.finditer(prefix):
        cut = m.end()
    scope = prefix[cut:]
    for cue in denial_cues(scope, _RULE_DENIALS):
        english = cue.group(0).isascii()
        if len(_TOKEN.findall(scope, cue.end())) > (_EN_WINDOW if english else _ZH_WINDOW):
            continue
        if cue.group(0) == "never" and _NEVER_AFFIRM.match(norm, end):
            continue
        return True
    return False


def _find(pattern: re.Pattern[str], norm: str, clauses: list[Clause] | None = None) -> re.Match[str] | None:
    """First non-negated match of pattern in the normalised text, outside history/hypothetical/topic clauses."""
    for m in pattern.finditer(norm):
        if m.end() > m.start() and not _negated(norm, m.start(), m.end()):
            if clauses is not None:
                c = clause_at(clauses, m.start())
                if c is not None and (c.history or c.hypothetical or c.topic):
                    continue
            return m
    return None


def _sentence_text(clauses: list[Clause], pos: int, norm: str) -> str:
    c = clause_at(clauses, pos)
    if c is None:
        return norm
    parts = [x for x in clauses if x.sentence == c.sentence]
    return norm[parts[0].start:parts[-1].end]


# --- age and pregnancy from the text --------------------------------------------------------

_NUM_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNIT_YEARS = {"d": 1 / 365.25, "w": 7 / 365.25, "m": 1 / 12, "y": 1.0}
_EN_AGE = re.compile(
    r"\b(\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
    r"[\s-]*(days?|d|weeks?|wks?|wk|w|months?|mos?|mths?|years?|yrs?|yr|y)[\s-]*(?:old|\/o|o\b)"
)
_EN_IS_AGE = re.compile(
    r"\b(?:baby|infant|newborn|son|daughter|boy|girl|kid|child|he|she)(?:'s| is| who is| was)?\s+"
    r"(\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s*(days?|weeks?|wks?|months?|mos?)\b(?!\s*(?:ago|into|later|after|before|of|in|since))"
)
_EN_AGED = re.compile(r"\b(?:aged?|age of)\s*(\d+(?:\.\d+)?)\s*(days?|weeks?|months?|years?)?\b")
_EN_NEWBORN = re.compile(r"\b(?:new[\s-]?born|neonate|neonatal)\b")
_ZH_NUM = r"(\d+(?:\.\d+)?|[零一二两三四五六七八九十]+)"
_ZH_AGE = (
    re.compile(r"(?:出生|生下来|刚出生|出世)(?:才|刚)?" + _ZH_NUM + r"\s*(?:个)?\s*(天|周|星期|礼拜|月)"),
    re.compile(_ZH_NUM + r"\s*(?:个)?\s*(天|周|星期|礼拜|月)\s*(?:大|的宝宝|的婴儿|的孩子|宝宝|婴儿|龄)"),
    re.compile(
        r"(?:宝宝|婴儿|孩子|小孩|儿子|女儿|闺女|娃|宝)(?:才|刚|刚满|满|已经)?" + _ZH_NUM + r"\s*(?:个)?\s*(天|周|星期|礼拜|月)(?!前|后|了?以来)"
    ),
    re.compile(_ZH_NUM + r"\s*(岁)"),
)
_ZH_NEWBORN = re.compile(r"新生儿|刚出生|未满月|没满月")
_ZH_HALF_YEAR = re.compile(r"半岁")


def _zh_number(s: str) -> float | None:
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return float(s)
    if not s or any(c not in _ZH_DIGITS and c != "十" for c in s):
        return None
    if "十" in s:
        tens, _, ones = s.partition("十")
        t = _ZH_DIGITS.get(tens, 1) if tens else 1
        o = _ZH_DIGITS.get(ones, 0) if ones else 0
        return float(t * 10 + o)
    value = 0
    for c in s:
        value = value * 10 + _ZH_DIGITS[c]
    return float(value)


def extract_age_years(text: str) -> list[float]:
    """Ages stated in the text ("my 6 week old", "2 months old", "两个月大", "出生40天"), in years."""
    norm = _normalize(text)
    ages: list[float] = []
    for m in _EN_AGE.finditer(norm):
        n = float(m.group(1)) if m.group(1)[0].isdigit() else float(_NUM_WORDS[m.group(1)])
        ages.append(n * _UNIT_YEARS[m.group(2)[0]])
    for m in _EN_IS_AGE.finditer(norm):
        n = float(m.group(1)) if m.group(1)[0].isdigit() else float(_NUM_WORDS[m.group(1)])
        ages.append(n * _UNIT_YEARS[m.group(2)[0]])
    for m in _EN_AGED.finditer(norm):
        ages.append(float(m.group(1)) * _UNIT_YEARS[(m.group(2) or "y")[0]])
    if _EN_NEWBORN.search(norm) or _ZH_NEWBORN.search(norm):
        ages.append(0.02)
    if _ZH_HALF_YEAR.search(norm):
        ages.append(0.5)
    zh_units = {"天": "d", "周": "w", "星期": "w", "礼拜": "w", "月": "m", "岁": "y"}
    for rx in _ZH_AGE:
        for m in rx.finditer(norm):
            zn = _zh_number(m.group(1))
            if zn is not None:
                ages.append(zn * _UNIT_YEARS[zh_units[m.group(2)]])
    return ages


_PREGNANT = re.compile(
    r"\bpregnan(?:t|cy)\b(?!\s*test)|\bpositive pregnancy test\b|\bexpecting a baby\b|\b\d+\s*weeks?\s*(?:gestation|along)\b"
    r"|怀孕|孕期|孕早期|孕中期|孕晚期|孕\d+周|妊娠|孕妇|有身孕|怀了(?:宝宝|孩子|二胎)"
    # round 16: the weeks said as a pregnancy is ("34 weeks. baby hasn't moved", "I'm 26 weeks and ..."): at the start of
    # the message or after "I'm / she's", 12-42 weeks, not "weeks ago / old / post-op / of physio"
    r"|(?:^\W*|\b(?:i\W?m|i am|she\W?s|she is|my wife is|my partner is)\s+)(?:1[2-9]|[23]\d|4[0-2])\s?(?:weeks?|wks?)\b"
    r"(?![\s-]*(?:ago|old|post|after|since|into|of|later|on|off|in|now|running|straight|late|overdue|behind|left))"
)


# "can't be pregnant, I have the coil", "definitely not pregnant", "不可能怀孕": the word is there, the pregnancy is not
_NOT_PREGNANT = re.compile(r"(?:can\W?t|cannot|couldn\W?t|could not|not|isn\W?t|no way (?:i\W?m|she\W?s)|never been)\s+"
                           r"(?:be\s+|being\s+)?(?:possibly\s+|definitely\s+)?$|(?:不可能|不会|没有|没)$")


def denies_pregnancy(text: str, at: int) -> bool:
    """Whether the words just before position `at` (a pregnancy word) say it is not so: "not pregnant", "没怀孕"."""
    return bool(_NOT_PREGNANT.search(text[max(0, at - 30):at]))


def _pregnant_in_text(norm: str) -> bool:
    for m in _PREGNANT.finditer(norm):
        if denies_pregnancy(norm, m.start()):
            continue
        if m.end() > m.start() and not _negated(norm, m.start(), m.end()):
            return True
    return False


# --- matching --------------------------------------------------------------------------------


def _match_rule(rule: Rule, norm: str, text: str, clauses: list[Clause]) -> str | None:
    """The original-text span that made the rule fire, or None."""
    if rule.any_pattern is not None and rule.any_pattern.search(norm) is None:
        return None
    for i, p in enumerate(rule.patterns):
        m = _find(p, norm, clauses)
        if m:
            unless = rule.unless[i] if i < len(rule.unless) else None
            if unless is not None and unless.search(_sentence_text(clauses, m.start(), norm)):
                continue
            whole = rule.unless_message[i] if i < len(rule.unless_message) else None
            if whole is not None and whole.search(norm):
                continue
            return text[m.start():m.end()]
    for combo in rule.combinations:
        spans: list[tuple[int, int]] = []
        for group in combo:
            hit = next((m for m in (_find(p, norm, clauses) for p in group) if m), None)
            if hit is None:
                break
            spans.append((hit.start(), hit.end()))
        else:
            spans.sort()
            lo, hi = spans[0][0], max(e for _, e in spans)
            if hi - lo <= 160:
                return text[lo:hi]
            return " … ".join(text[s:e] for s, e in spans)
    return None


def triage(
    text: str,
    *,
    age: float | None = None,
    pregnant: bool | None = None,
    language: str | None = None,
    embedder: Any | None = None,
) -> TriageResult:
    """Rules (both languages), then the meaning layer, over the text; "emergency" when any fires.

    ``embedder``: the configured embedder; the English meaning layer runs only when it is the model
    its thresholds were calibrated for (bundled MiniLM). The Chinese meaning layer needs none."""
    version = rules_version()
    if not text or not text.strip():
        return TriageResult(urgency=None, red_flags=[], rules_version=version)
    # typos, text-speak and run-ons read as the rules' words (rag.safety.spelling); what a rule matched is quoted
    # from this version of the text
    text = normalise(text)
    norm = _normalize(text)
    clauses = split_clauses(norm)
    ages = extract_age_years(norm)
    if age is not None:
        ages.append(float(age))
    is_pregnant = bool(pregnant) or _pregnant_in_text(norm)
    order = sorted(RULE_LANGUAGES, key=lambda lang: lang != language)
    flags: list[RedFlag] = []
    seen: set[str] = set()
    for lang in order:
        for rule in load_rules(lang).rules:
            if rule.id in seen:
                continue
            if rule.requires_pregnant and not is_pregnant:
                continue
            if rule.max_age_years is not None and not any(0 <= a <= rule.max_age_years for a in ages):
                continue
            matched = _match_rule(rule, norm, text, clauses)
            if matched is None:
                continue
            seen.add(rule.id)
            flags.append(
                RedFlag(rule_id=rule.id, label=rule.label, matched_text=matched, source=rule.source, rules_version=version,
                        layer="rule", concept=rule.id)
            )
    flags.extend(_meaning_flags(text, clauses, embedder, seen, version))
    return TriageResult(urgency="emergency" if flags else None, red_flags=flags, rules_version=version)


def _meaning_flags(text: str, clauses: list[Clause], embedder: Any | None, seen: set[str], version: str) -> list[RedFlag]:
    """Meaning-layer flags for concepts the rules did not already raise."""
    from rag.safety.meaning import load_bank, meaning_hits

    original = [dataclasses.replace(c, text=text[c.start:c.end]) for c in clauses]
    out = []
    for hit in meaning_hits(original, embedder):
        if hit.concept.id in seen:
            continue
        seen.add(hit.concept.id)
        out.append(RedFlag(
            rule_id=f"meaning:{hit.concept.id}", label=hit.concept.label, matched_text=hit.text, source=hit.concept.source,
            rules_version=f"{version}+concepts.{load_bank().version}", layer="meaning", concept=hit.concept.id, score=hit.score,
        ))
    return out
