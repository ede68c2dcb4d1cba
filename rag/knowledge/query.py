"""Query understanding for consumer text: what to embed and what BM25 should match.

Patients write "Gluten information. Re:NDC# 0115-0672-50 Zolmitriptan tabkets 5mg. I have celiac
disease & need to know if these contain gluten, Thank you!". Before searching:

- boilerplate goes: greetings, thanks and sign-offs, "please help", form subjects
  ("ClinicalTrials.gov - Question - general information."), forwarded/reply prefixes, order and
  NDC numbers, e-mail addresses, phone numbers, links, redaction placeholders (NAME);
- the question is split into its parts (sentences; questions first), kept for callers that search
  per part;
- misspelt words unknown to the index are corrected to a known word one edit away
  ("tabkets" -> tablets, "ibuprofin" -> ibuprofen, "Cronic" -> chronic), preferring names from the
  drug and condition tables, then the commoner word;
- BM25 also gets expansions from rag/terms: lay phrases -> medical terms ("tummy ache" ->
  abdominal pain), brand -> generic drug names, Chinese lay synonyms (发烧 -> 发热) and, for
  Chinese questions, English terms (疟疾 -> malaria) so Chinese questions reach English guidelines.
  A Chinese question's English terms are embedded with it too (MiniLM reads English).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rag.text import CJK_RANGE, bm25_text, detect_language

__all__ = ["Query", "Speller", "clean", "split_parts", "understand"]

_BOILERPLATE = [
    r"\b(?:clinicaltrials\.gov|medlineplus|ghr|gard)\s*-\s*(?:[\w ]+?\s*-\s*)?[\w ]{0,40}?\.\s",  # web-form subjects
    r"^(?:re|fw|fwd)\s*:\s*",
    r"\b(?:re|fw|fwd)\s*:",
    r"\b(?:ndc|order|ref|reference|case|ticket|lot|rx)\s*(?:#|no\.?|number)?\s*:?\s*[\d][\d\-]{3,}\b",
    r"\b\d{4,5}-\d{3,4}-\d{1,2}\b",  # NDC codes without a label
    r"\S+@\S+\.\w+",
    r"https?://\S+|www\.\S+",
    r"\+?\d[\d \-().]{8,}\d",  # phone numbers
    r"\bmy name is (?:NAME|[A-Z][a-z]+)\b[.,]?",
    r"\bNAME\b|\bDATE\b|\bLOCATION\b|\bPHONE\b|\bEMAIL\b",
    r"^\s*(?:hi|hello|hey|greetings|good (?:morning|afternoon|evening)|dear (?:sir|madam|sir or madam|doctor|dr\.?|team|all))\b[\s,!.:]*(?:there\b[\s,!.]*)?",
    r"(?:^|(?<=[.!?]\s))\s*(?:hi|hello|hey)\b[\s,!.]*",
    r"\b(?:thank you|thanks|thank u|thx|many thanks)(?: (?:so|very) much)?(?: in advance)?(?: for (?:your|the) (?:help|time|reply|answer|assistance))?[\s!.,]*",
    r"\b(?:best |kind |warm )?regards\b.*$|\bsincerely\b.*$|\bgod bless\b[\s\w]*[.!]?",
    r"\bplease (?:help(?: me| us)?(?: out)?|reply|advise|respond)(?: as soon as possible| asap)?\b[\s!.,:]*",
    r"\bi (?:really )?need your (?:help|reply|advice)(?: and (?:your )?(?:help|reply|advice))?\b[\s!.,]*",
    r"\bplease\b[\s,]*",
    r"[:;]-?[()DP]",  # emoticons
]
_BOILER = [re.compile(p, re.IGNORECASE | re.MULTILINE) for p in _BOILERPLATE]
_SPACES = re.compile(r"\s+")
_SENT = re.compile(r"[^.!?？。！]+[.!?？。！]*")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]{3,}")
_CJK = re.compile(f"[{CJK_RANGE}]")
# Chinese words that say nothing about a question's topic: function and question words, how long and how
# much, and asking where to go ("要不要去医院"). Left out of what BM25 matches: in a knowledge base that mixes
# languages, every Chinese passage contains "的" or "医院" and no English one does, so these words gave any
# Chinese guideline a head start over the English one that answers the question (docs/ranking.md, round 4).
_ZH_QUERY_STOP = frozenset("""
的 了 是 我 你 他 她 它 在 有 和 与 就 不 也 都 很 吗 呢 吧 啊 呀 么 嘛 哦 得 地 着 过 被 把 让 给 对 从 向 跟 比
什么 怎么 怎么办 怎么样 怎样 怎么回事 为什么 为啥 多少 多久 多长时间 哪里 哪儿 哪个 是否 是不是 有没有 要不要 能不能 会不会 可不可以 需不需要 用不用
一下 可以 需要 要 会 能 还 又 再 好 这 那 这个 那个 这样 那样 这些 那些 去 到 后 前 以后 之后 以前 之前 时 时候 的时候
个 几 一 一个 一次 两次 几次 几个 一些 有点 有些 一点 一点儿 特别 非常 比较 很多 太 更 最 挺 老是 总是 经常 常常 一直 还是 或者
应该 如何 如果 因为 所以 但是 可是 而且 然后 就是 只是 已经 刚才 刚刚 突然 最近 现在 今天 昨天 前天 这两天 这几天 几天 平时
自己 我们 你们 他们 人 东西 事 问题 情况 办法 厉害 严重 觉得 感觉 好像 感到 担心 害怕 没事 正常 请问 谢谢 医院 诊所 门诊 医生 大夫 医师 看医生 看病 就医
""".split())


# lay words that name a body function, a person or a thing rather than a complaint ("peeing and pooing normally",
# "no temperature", "my toddler"): their terms go to BM25 but are not embedded, where they pulled the guideline of the
# function (a urinary-tract guideline for a back-pain question that said "peeing normally")
_CONTEXT_LAY = frozenset({"pee", "peeing", "wee", "wees", "weeing", "poo", "pooing", "baby", "toddler", "kid", "pregnant",
                          "temperature", "painkiller", "painkillers", "inhaler", "puffer"})


def clean(text: str) -> str:
    """The question without greetings, sign-offs, form boilerplate, order numbers and contact details."""
    out = text
    for rx in _BOILER:
        out = rx.sub(" ", out)
    if _SPACES.sub(" ", out).strip() == _SPACES.sub(" ", text).strip():
        return text.strip()  # nothing to remove: the question as written
    out = re.sub(r"\s+([.,!?])", r"\1", _SPACES.sub(" ", out)).strip(" .,;:-")
    out = re.sub(r"^[.,!?\s]+", "", out)
    # never clean a question away entirely: a bare "Hello?" stays what it was
    return out if len(re.findall(r"\w", out)) >= 3 else text.strip()


def split_parts(text: str) -> list[str]:
    """Sentences of a multi-part question, the questions first, each once."""
    parts = [s.strip() for s in _SENT.findall(text) if len(re.findall(r"\w", s)) >= 3]
    questions = [p for p in parts if p.endswith(("?", "？"))]
    rest = [p for p in parts if p not in questions]
    return list(dict.fromkeys(questions + rest)) or [text.strip()]


class Speller:
    """Corrects words one edit away from a known word (symmetric deletes): known = the index's
    vocabulary with document frequencies, plus the drug and condition names of rag/terms."""

    def __init__(self, vocabulary: Iterable[tuple[str, int]], preferred: Iterable[str] = ()) -> None:
        self._df: dict[str, int] = {}
        for w, df in vocabulary:
            if w.isalpha() and w.isascii():
                self._df[w] = self._df.get(w, 0) + df
        self._preferred = {w for w in preferred if w.isalpha() and w.isascii()}
        self._deletes: dict[str, list[str]] = {}
        for w in set(self._df) | self._preferred:
            if len(w) >= 5:
                for d in self._edits(w):
                    self._deletes.setdefault(d, []).append(w)

    @staticmethod
    def _edits(w: str) -> set[str]:
        return {w} | {w[:i] + w[i + 1:] for i in range(len(w))}

    def known(self, word: str) -> bool:
        return word in self._df or word in self._preferred

    def correct(self, word: str) -> str | None:
        """The known word one edit away (insert, delete, substitute, transpose), or None."""
        w = word.lower()
        if len(w) < 5 or self.known(w) or not w.isalpha():
            return None
        found: set[str] = set()
        for d in self._edits(w):
            found.update(self._deletes.get(d, ()))
        found = {f for f in found if _one_edit(w, f)}
        if not found:
            return None
        return max(found, key=lambda f: (f in self._preferred, self._df.get(f, 0), f))


def _one_edit(a: str, b: str) -> bool:
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


@functools.lru_cache(maxsize=1)
def term_names() -> frozenset[str]:
    """Single English words of the drug and condition tables (what spelling prefers)."""
    from rag.terms import conditions, drug_names
    from rag.terms.lexicon import _terms

    names: set[str] = set()
    for entry in conditions():
        for n in (entry.name, *entry.aliases_en):
            names.update(n.lower().split())
    for canon in _terms("drug")[0]:
        for n in drug_names(canon):
            names.update(n.lower().split())
    return frozenset(n for n in names if n.isalpha() and n.isascii())


@dataclass(frozen=True, slots=True)
class Query:
    original: str
    text: str  # what is embedded
    bm25: str  # what BM25 matches
    parts: tuple[str, ...]
    language: str
    corrections: tuple[tuple[str, str], ...] = ()
    expansions: tuple[str, ...] = ()


def understand(text: str, known: Callable[[str], str | None] | None = None, *, topic_only: bool = True,
               embed_lay: bool = True) -> Query:
    """Clean, split, correct and expand a question (`known` corrects one word, or None when it cannot).

    `topic_only` (document search): a Chinese question's BM25 text and expansions leave out _ZH_QUERY_STOP and what
    only those words brought. Passage retrieval for a consultation passes False and keeps them (docs/ranking.md
    round 4: the answer and urgency layers read the passages it returns, and were measured with them).
    `embed_lay`: an English question's embedded text carries the medical terms of its lay phrases (Settings.embed_lay_terms)."""
    from rag.terms import english_lay_phrases, english_terms, expand_zh, find_drugs, lay_phrase_words

    language = detect_language(text)
    cleaned = clean(text)
    corrections: list[tuple[str, str]] = []
    if known is not None and language == "en":
        lay_words = lay_phrase_words(cleaned)  # "threw up" is not a misspelt "three up", nor "weeing" "peeing"
        for w in dict.fromkeys(_WORD.findall(cleaned)):
            if w.lower() in lay_words:
                continue
            fixed = known(w)
            if fixed and fixed != w.lower():
                corrections.append((w, fixed))
    fixed_text = cleaned
    for wrong, right in corrections:
        fixed_text = re.sub(rf"\b{re.escape(wrong)}\b", right, fixed_text)
    expansions: list[str] = []
    lay: list[str] = []
    if language == "zh" or _CJK.search(text):
        expansions += expand_zh(fixed_text)
        expansions += english_terms(fixed_text)
    if language == "en":
        phrases = english_lay_phrases(fixed_text)
        expansions += [t for _, terms in phrases for t in terms]
        lay = [t for phrase, terms in phrases if phrase not in _CONTEXT_LAY for t in terms]
    for m in find_drugs(fixed_text, "en" if language == "en" else None):
        if m.name.lower() not in fixed_text.lower():
            expansions.append(m.name)  # brand -> generic
    expansions = [e for e in dict.fromkeys(expansions) if e.lower() not in fixed_text.lower()]
    embed = fixed_text
    if language == "zh":
        english = [e for e in expansions if not _CJK.search(e)]
        if english:
            embed = f"{fixed_text} ({', '.join(english)})"
    elif lay and embed_lay:
        # the medical words of an English lay phrase are embedded with it: dense similarity carries 0.95 of an
        # English question's fused score, so terms BM25 alone matched barely moved the ranking (docs/ranking.md,
        # lay paraphrase round)
        # only terms that add a word the question does not have ("tight chest" gains nothing from "chest tightness",
        # which pulled asthma passages towards a panic attack): words compared by their first five letters
        said = {w[:5] for w in re.findall(r"[a-z]+", fixed_text.lower())}
        lay = [e for e in dict.fromkeys(lay) if any(w[:5] not in said for w in re.findall(r"[a-z]+", e.lower()))]
        if lay:
            embed = f"{fixed_text} ({', '.join(lay)})"
    bm25 = " ".join([fixed_text, *expansions])
    if topic_only and _CJK.search(fixed_text):
        # the topic words alone: Chinese segmented (jieba) without _ZH_QUERY_STOP, and no term only a stop word gave
        segmented = bm25_text(fixed_text).split()
        from_stop = {e for w in set(segmented) & _ZH_QUERY_STOP for e in (*expand_zh(w), *english_terms(w))}
        expansions = [e for e in expansions if e not in from_stop and e not in _ZH_QUERY_STOP]
        topic = [w for w in segmented if w not in _ZH_QUERY_STOP]
        bm25 = " ".join([*topic, *expansions]) if topic or expansions else bm25
        if language == "zh":
            english = [e for e in expansions if not _CJK.search(e)]
            embed = f"{fixed_text} ({', '.join(english)})" if english else fixed_text
    return Query(text, embed, bm25, tuple(split_parts(fixed_text)), language, tuple(corrections), tuple(expansions))
