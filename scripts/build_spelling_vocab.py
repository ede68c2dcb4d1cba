"""Write rag/terms/spelling_en.txt: the words a misspelling may be corrected TO (rag/safety/spelling.py).

Built from our own text only: the English starter guidelines (guidelines/en/*.md), the red-flag rules and the
meaning layer's exemplars (rag/safety/rules/*.yaml), the urgency ladder's terms (read, never edited) and the
term tables (rag/terms/*.tsv, *.yaml). One word a line with its count over those sources ("word<TAB>count"),
sorted; never from a test set.

The general English words a word must be absent from before it is ever corrected are read at run time from the
installed pyspellchecker package (a dependency), not copied into the project.

usage: .venv/bin/python scripts/build_spelling_vocab.py [--check]
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "rag" / "terms" / "spelling_en.txt"
SOURCES = [
    *sorted((ROOT / "guidelines" / "en").glob("*.md")),
    *sorted((ROOT / "rag" / "safety" / "rules").glob("*.yaml")),
    ROOT / "rag" / "safety" / "urgency_terms.yaml",
    *sorted((ROOT / "rag" / "terms").glob("*.tsv")),
    *sorted((ROOT / "rag" / "terms").glob("*.yaml")),
]
# a regex's literal words: runs of letters (the rules' alternations give whole words or stems; stems under 4
# letters are dropped below)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def build() -> str:
    counts: Counter[str] = Counter()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8").lower()
        if path.suffix == ".yaml":  # drop comments: they are not patients' words
            text = re.sub(r"#.*", " ", text)
        text = re.sub(r"(?:https?://|www\.)\S+|\S+\.(?:org|com|uk|gov|int)\S*", " ", text)  # nor are addresses
        for w in _WORD.findall(text):
            if len(w) >= 4 and "'" not in w:
                counts[w] += 1
    return "".join(f"{w}\t{n}\n" for w, n in sorted(counts.items()))


def main() -> int:
    text = build()
    if "--check" in sys.argv:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{OUT} is out of date: run scripts/build_spelling_vocab.py")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({text.count(chr(10))} words)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
