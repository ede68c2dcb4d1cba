"""Text prepared for BM25: Chinese is segmented into words (jieba) so Milvus' standard analyzer
indexes words rather than single characters; other text passes through."""

from __future__ import annotations

import logging
import re
import threading

__all__ = ["has_cjk", "detect_language", "bm25_text"]

_CJK = re.compile(r"[\u3400-\u9fff]")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_lock = threading.Lock()
_jieba = None


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def detect_language(text: str) -> str:
    """'zh' when a meaningful share of the letters are Chinese characters, else 'en'."""
    cjk = len(_CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return "zh" if cjk and cjk * 3 >= latin * 0.5 else "en"


def _segmenter():
    global _jieba
    with _lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba = jieba
    return _jieba


def bm25_text(text: str) -> str:
    """Insert spaces between Chinese words; leave everything else unchanged."""
    if not has_cjk(text):
        return text
    jieba = _segmenter()
    return _CJK_RUN.sub(lambda m: " " + " ".join(jieba.lcut(m.group(0))) + " ", text)
