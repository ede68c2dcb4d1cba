"""recognize(): disease, symptom, drug, test/examination and body-part mentions with character spans.

Chinese is matched character by character against the lexicon (longest match wins, no word segmentation needed);
English token by token after a light stemmer (fevers/fever, wheezing/wheeze). Negation is an attribute of disease
and symptom mentions, from a cue earlier in the same clause ("no fever", "denies chest pain", "否认胸痛", "无发热").
Diseases carry the ICD-10-CM code of the shared alias table, or None.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from rag.records.codes import code_for
from rag.records.lexicon import TOKEN, Lexicon, load_lexicon, stem

__all__ = ["Entity", "recognize", "fold"]

_CJK = re.compile("[\u3400-\u9fff]")
_ASCII_ALNUM = re.compile("[A-Za-z0-9]")


@dataclass(frozen=True, slots=True)
class Entity:
    """One mention: record[start:end] == text."""

    start: int
    end: int
    text: str
    type: str
    canonical: str
    negated: bool = False
    icd10: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def fold(text: str) -> str:
    """Per-character NFKC + lower case, keeping the length (so spans in the folded text are spans in the record)."""
    out = []
    for c in text:
        if c.isascii():
            out.append(c.lower())
            continue
        f = unicodedata.normalize("NFKC", c).lower()
        out.append(f if len(f) == 1 else c)
    return "".join(out)


# phrases that contain a lexicon word but are not a mention of it (多饮水 is advice to drink, not polydipsia)
_ZH_BLOCK = frozenset({"多饮水", "多饮温水"})


def _zh_matches(folded: str, lex: Lexicon) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    n = len(folded)
    i = 0
    firsts = {k[0] for k in lex.zh}
    zh = {**lex.zh, **dict.fromkeys(_ZH_BLOCK)}
    while i < n:
        if folded[i] not in firsts:
            i += 1
            continue
        for length in lex.zh_lengths:
            if i + length > n:
                continue
            s = folded[i:i + length]
            if s in zh:
                # an ASCII edge must not be cut out of a longer English word ("c反应蛋白" yes, "abc反应" no)
                if s.endswith("病") and folded[i + length:i + length + 1] == "史":  # 高血压|病史, not 高血压病|史
                    continue
                if s in _ZH_BLOCK:
                    i += length - 1
                    break
                if _ASCII_ALNUM.match(s[0]) and i > 0 and _ASCII_ALNUM.match(folded[i - 1]):
                    continue
                if _ASCII_ALNUM.match(s[-1]) and i + length < n and _ASCII_ALNUM.match(folded[i + length]):
                    continue
                found.append((i, i + length, s))
                i += length - 1
                break
        i += 1
    return found


_GAP_OK = re.compile(r"^(?:[ \t]{1,3}|[ \t]?[.-][ \t]?)$")


def _en_matches(text: str, folded: str, lex: Lexicon) -> list[tuple[int, int, tuple[str, ...]]]:
    toks = [(m.start(), m.end(), stem(m.group(0))) for m in TOKEN.finditer(folded)]
    found: list[tuple[int, int, tuple[str, ...]]] = []
    i = 0
    while i < len(toks):
        hit = None
        for n in range(min(lex.en_max, len(toks) - i), 0, -1):
            if n > 1 and not all(_GAP_OK.match(folded[toks[j][1]:toks[j + 1][0]]) for j in range(i, i + n - 1)):
                continue
            key = tuple(t[2] for t in toks[i:i + n])
            if key in lex.en:
                start, end = toks[i][0], toks[i + n - 1][1]
                if key in lex.en_upper_only and not text[start:end].isupper():
                    continue
                hit = (start, end, key, n)
                break
        if hit:
            found.append(hit[:3])
            i += hit[3]
        else:
            i += 1
    return found


# --- negation --------------------------------------------------------------------------------------------------------

_ZH_CLAUSE_END = re.compile(r"[，,。；;！!？?\n：:]")
_ZH_CUE = re.compile(r"(否认|未见|未闻及|未触及|未诉|未出现|没有|不伴|排除|除外|无)")
_ZH_BREAK = re.compile(r"(出现|伴有|伴|但|诉|后|仍|再次|诱因)")
_EN_CLAUSE_END = re.compile(r"[.;:\n]|\b(?:but|however|although|though|except|apart from|aside from)\b", re.IGNORECASE)
_EN_CUE = re.compile(r"\b(?:no|denies|denied|deny|denying|without|negative for|free of|ruled out|rules out|"
                     r"absence of|absent|never had|none)\b", re.IGNORECASE)
_EN_BREAK = re.compile(r"\b(?:presents?|presented|reports?|complains?|has|had|with|developed|now)\b", re.IGNORECASE)
_EN_NOT = re.compile(r"\bnot\s+(?:\w+\s+)?$", re.IGNORECASE)
_EN_POST = re.compile(r"^\s*(?:was |were |is |has been |have been )?(?:ruled out|excluded)\b", re.IGNORECASE)


def _negated(text: str, start: int, end: int, zh: bool) -> bool:
    lo = max(0, start - 80)
    before = text[lo:start]
    if zh:
        ends = list(_ZH_CLAUSE_END.finditer(before))
        clause = before[ends[-1].end():] if ends else before
        cues = list(_ZH_CUE.finditer(clause))
        if not cues:
            return False
        return not _ZH_BREAK.search(clause[cues[-1].end():])
    ends = list(_EN_CLAUSE_END.finditer(before))
    clause = before[ends[-1].end():] if ends else before
    cues = list(_EN_CUE.finditer(clause))
    if cues and not _EN_BREAK.search(clause[cues[-1].end():]):
        return True
    # "not" negates only what follows it closely ("not anticoagulated, hypertension" leaves hypertension alone)
    if _EN_NOT.search(clause):
        return True
    return bool(_EN_POST.match(text[end:end + 40]))


def recognize(text: str) -> list[Entity]:
    """Every lexicon mention in `text`, longest first where they overlap, in reading order."""
    lex = load_lexicon()
    folded = fold(text)
    candidates: list[tuple[int, int, Any]] = []
    for s, e, key in _zh_matches(folded, lex):
        candidates.append((s, e, lex.zh[key]))
    for s, e, tkey in _en_matches(text, folded, lex):
        candidates.append((s, e, lex.en[tkey]))
    candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
    out: list[Entity] = []
    last_end = -1
    for s, e, concept in candidates:
        if s < last_end:
            continue
        zh = bool(_CJK.search(text[max(0, s - 3):e + 3]))
        neg = concept.type in ("disease", "symptom") and _negated(text, s, e, zh)
        code = code_for(concept.canonical) if concept.type == "disease" else None
        out.append(Entity(s, e, text[s:e], concept.type, concept.canonical, neg, code))
        last_end = e
    return out
