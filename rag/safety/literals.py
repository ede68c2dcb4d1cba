"""A regex's required literals: strings one of which is in every text the regex is found in (issue 14, round 11).

The red-flag rules are compiled case-insensitively, and for such a pattern `re` cannot skip positions by their first
character: each rule's joined alternation (`triage._any_pattern`) was tried at every position of the patient's text,
~130 scans a consultation, most of triage's CPU. `required_literals` reads the pattern's parse tree for a set of plain
strings one of which every match must contain; `LiteralGate.search` looks for them first, with one case-sensitive
alternation of plain strings over the lower-cased text (which `re` does skip through by first character), and runs
the pattern only where one is there. It returns what the pattern's own search returns: a match, or None where the
pattern has none.

Why the check can only say "maybe" where the pattern matches (never "no"): a literal is taken only from a run of
LITERAL items that every match goes through (a top-level sequence, a group, a repeat of at least one, one literal
from each branch of an alternation), and only of characters that match nothing but themselves and their ASCII case
partner under IGNORECASE: ASCII characters (lower-cased here) and characters of no case (Chinese, punctuation:
Unicode categories Lo and P*). Under IGNORECASE a few non-ASCII letters match ASCII ones (the Kelvin sign K, long s,
dotted and dotless i: `_ASCII_FOLDING`; tests/test_serving_caches.py checks the list against every code point), so a
text holding any of them is searched without the check. Patterns with the LOCALE flag are left alone.
"""

from __future__ import annotations

import re
import unicodedata
from re import _constants as _C  # type: ignore[attr-defined]
from re import _parser as _P  # type: ignore[attr-defined]
from typing import Any

__all__ = ["LiteralGate", "required_literals"]

# non-ASCII characters that IGNORECASE matches to an ASCII letter (K: KELVIN SIGN, ſ: LONG S, İ and ı)
_ASCII_FOLDING = "\u212a\u017f\u0130\u0131"
_FOLDING = re.compile(f"[{_ASCII_FOLDING}]")
# how selective a set of literals is: its shortest, an ASCII character counting 1 and any other 3 (one Chinese
# character is rarer in a text than three letters, and absent from every English one)
_MIN_WEIGHT = 2


def _weight(strings: list[str]) -> int:
    return min(sum(1 if ch.isascii() else 3 for ch in s) for s in strings)


def _plain(ch: str) -> bool:
    """A character whose IGNORECASE matches are itself and (ASCII) its case partner."""
    return ch.isascii() or unicodedata.category(ch) == "Lo" or unicodedata.category(ch).startswith("P")


def _alternatives(sub: Any) -> list[str] | None:
    """Strings one of which every match of this (sub)pattern contains, or None."""
    data = list(sub.data) if hasattr(sub, "data") else list(sub)
    return _sequence(data)


def _sequence(items: list[tuple[Any, Any]]) -> list[str] | None:
    best: list[str] | None = None

    def consider(found: list[str] | None) -> None:
        nonlocal best
        if found and _weight(found) >= _MIN_WEIGHT and (best is None or _weight(found) > _weight(best)):
            best = found

    run: list[str] = []
    for op, av in items:
        if op is _C.LITERAL and _plain(chr(av)):
            run.append(chr(av).lower())
            continue
        consider(["".join(run)] if run else None)
        run = []
        if op is _C.SUBPATTERN:
            consider(_alternatives(av[3]))
        elif op is _C.ATOMIC_GROUP:
            consider(_alternatives(av))
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT):
            lo, _hi, inner = av
            if lo >= 1:
                consider(_alternatives(inner))
        elif op is _C.BRANCH:
            each: list[str] = []
            for alt in av[1]:
                got = _alternatives(alt)
                if got is None:
                    each = []
                    break
                each += got
            consider(each or None)
    consider(["".join(run)] if run else None)
    return best


def required_literals(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Lower-case strings one of which is in every text (lower-cased) `pattern` is found in; None when the parse tree
    gives no such set (or only one of very short strings)."""
    if pattern.flags & re.LOCALE or not isinstance(pattern.pattern, str):
        return None
    try:
        found = _alternatives(_P.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - a parse tree this reader does not know: no literals, the pattern runs as is
        return None
    return tuple(dict.fromkeys(found)) if found else None


class LiteralGate:
    """A compiled pattern behind the check for its required literals; `search` returns what the pattern's does."""

    __slots__ = ("flags", "literals", "needs", "pattern", "regex")

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex
        self.pattern = regex.pattern
        self.flags = regex.flags
        self.literals = required_literals(regex)
        self.needs = re.compile("|".join(map(re.escape, self.literals))) if self.literals else None

    def search(self, text: str) -> re.Match[str] | None:
        if self.needs is not None and (text.isascii() or not _FOLDING.search(text)) and not self.needs.search(text.lower()):
            return None
        return self.regex.search(text)
