"""Text analysis written once: word units, CJK ranges, stop lists, language detection, and text
prepared for BM25 (Chinese segmented into words with jieba so Milvus' standard analyzer indexes
words rather than single characters; other text passes through).

`words()` is the unit every overlap check uses (verification, extractive composition, history
condensing, duplicate collapsing, the auditor page's highlights): lower-cased Latin/digit runs and
single Chinese characters. BM25 keeps its own analyzer (rag/knowledge/local.py mirrors Milvus'
`standard` analyzer) and triage keeps its own tokens (apostrophes matter to negation cues)."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any

__all__ = ["CJK_RANGE", "WORD", "EN_STOP", "QUESTION_STOP", "UK_US_SPELLINGS", "words", "content_words", "has_cjk",
           "detect_language", "fold", "us_spelling", "bm25_text", "bm25_query_text", "chinese_content_words"]

CJK_RANGE = "\u3400-\u9fff"  # CJK Unified Ideographs and Extension A
_CJK = re.compile(f"[{CJK_RANGE}]")
_CJK_RUN = re.compile(f"[{CJK_RANGE}]+")
WORD = re.compile(f"[a-z0-9]+|[{CJK_RANGE}]", re.IGNORECASE)
EN_STOP = frozenset("a an and are as at be by for from has have in is it its of on or that the this to was were with".split())
# also the words of a patient's question that say nothing about its topic
QUESTION_STOP = EN_STOP | frozenset("i my you your me what should do does can how when".split()) | frozenset("的了是我在有和就不也都很吗呢吧啊")
# British -> US spelling pieces: condition names and their aliases are compared in US spelling
UK_US_SPELLINGS = (
    ("oesophag", "esophag"), ("haemorrh", "hemorrh"), ("haemat", "hemat"), ("haemo", "hemo"),
    ("anaemi", "anemi"), ("ischaem", "ischem"), ("oedema", "edema"), ("diarrhoea", "diarrhea"),
    ("leukaem", "leukem"), ("tumour", "tumor"), ("foetal", "fetal"), ("paediatr", "pediatr"),
    ("glycaem", "glycem"), ("lipidaem", "lipidem"), ("orthopaed", "orthoped"), ("coeliac", "celiac"),
    ("oestrogen", "estrogen"), ("dyspnoea", "dyspnea"), ("apnoea", "apnea"), ("gonorrhoea", "gonorrhea"),
    ("septicaem", "septicem"), ("uraem", "urem"), ("sulph", "sulf"), ("gynaecol", "gynecol"),
    ("paracetamol", "paracetamol"), ("centre", "center"), ("generalised", "generalized"), ("counsell", "counsel"),
    ("faec", "fec"), ("manoeuvre", "maneuver"),
)
_lock = threading.Lock()
_jieba = None


def words(text: str) -> list[str]:
    """Lower-cased word units: Latin/digit runs and single Chinese characters."""
    return WORD.findall(text.lower())


@lru_cache(maxsize=16384)
def guideline_words(text: str) -> frozenset[str]:
    """words() of a stored guideline text (a passage or one of its sentences) as a set, once per process: the same
    passages come back request after request. Never call it with the patient's text (it is kept in the cache)."""
    return frozenset(words(text))


def content_words(text: str, stop: frozenset[str] = EN_STOP) -> list[str]:
    """words() without stop words."""
    return [w for w in WORD.findall(text.lower()) if w not in stop]


def fold(text: str) -> str:
    """NFKC, lower case, curly apostrophes straightened (length-preserving for typical text)."""
    return unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")


def us_spelling(text: str) -> str:
    """British spelling pieces replaced by their US forms (UK_US_SPELLINGS; expects lower case)."""
    for uk, us in UK_US_SPELLINGS:
        text = text.replace(uk, us)
    return text


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def detect_language(text: str) -> str:
    """'zh' when a meaningful share of the letters are Chinese characters, else 'en'."""
    cjk = len(_CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return "zh" if cjk and cjk * 3 >= latin * 0.5 else "en"


def _segmenter() -> Any:
    global _jieba
    with _lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            try:  # medical words (rag/terms) so 沙丁胺醇 or 盗汗 stay one word
                from rag.terms import add_to_jieba

                add_to_jieba(jieba)
            except ImportError:  # the term tables are optional for text analysis
                pass
            _jieba = jieba
    return _jieba


def bm25_text(text: str) -> str:
    """Insert spaces between Chinese words; leave everything else unchanged."""
    if not has_cjk(text):
        return text
    jieba = _segmenter()
    return _CJK_RUN.sub(lambda m: " " + " ".join(jieba.lcut(m.group(0))) + " ", text)


def bm25_query_text(text: str) -> str:
    """Like bm25_text, plus the shorter words inside long Chinese words, so a query matches text
    segmented with or without the medical word list."""
    if not has_cjk(text):
        return text
    jieba = _segmenter()
    return _CJK_RUN.sub(lambda m: " " + " ".join(jieba.lcut_for_search(m.group(0))) + " ", text)


# function words and question words that say nothing about the topic of a Chinese query
_ZH_STOP = set("的 了 是 我 你 他 她 在 有 和 就 不 也 都 很 吗 呢 吧 啊 什么 怎么 怎么办 怎么样 原因 为什么 多少 哪里 "
               "一下 可以 需要 要 会 能 还 又 好 这 那 去 给 到 后 前 个 几 是不是 有没有 应该 如何".split())


def chinese_content_words(text: str) -> set[str]:
    """jieba words of the Chinese parts of text, without function and question words."""
    return {w for w in bm25_text(text).split() if _CJK.search(w) and w not in _ZH_STOP}
