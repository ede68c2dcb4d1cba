"""Triage on patients' typing: the development urgency sets rewritten as a hurried patient types them.

Each English row of the given development sets is rewritten deterministically (random.Random(seed + row index)):
lower case, punctuation dropped, contractions without the apostrophe ("can't" -> "cant"), "you"/"because" as
"u"/"bc", and one typo (a dropped, doubled or swapped letter) in up to two words of five letters or more. The
triage layer (rules + meaning layer, no retrieval) is run on the original and on the rewritten text: emergencies
flagged (rows whose accepted levels are only "emergency"... or include it as the strictest) and other rows
flagged (false alarms), both ways. Development sets only: never point it at a frozen set.

usage: .venv/bin/python bench/triage_noise.py [--seed 1] [--rules-only] SET.jsonl [SET.jsonl ...]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

_LEVELS = ["self_care", "routine", "soon", "same_day", "urgent", "emergency"]
_CONTRACTIONS = re.compile(r"\b(can|won|don|didn|doesn|isn|wasn|couldn|wouldn|hasn|haven|I)'(t|m|ve)\b", re.IGNORECASE)


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["drop", "double", "swap"])
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def hurried(text: str, rng: random.Random) -> str:
    """The text as typed in a hurry on a phone (deterministic for a given rng)."""
    t = _CONTRACTIONS.sub(lambda m: m.group(1) + m.group(2), text).lower()
    t = re.sub(r"\byou\b", "u", t)
    t = re.sub(r"\bbecause\b", "bc", t)
    t = re.sub(r"(?<!\d)[.,;:!?](?!\d)", " ", t)
    t = re.sub(r"\s+", " ", t).strip()
    words = t.split(" ")
    long_ones = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    for i in rng.sample(long_ones, min(2, len(long_ones))):
        words[i] = _typo(words[i], rng)
    return " ".join(words)


def _strictest(accept: list[str]) -> str:
    return max(accept, key=lambda a: _LEVELS.index(a) if a in _LEVELS else -1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("sets", nargs="+")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rules-only", action="store_true")
    ap.add_argument("--show", action="store_true", help="print the rewritten emergencies missed (development sets only)")
    args = ap.parse_args(argv)
    if any("frozen" in s for s in args.sets):
        print("frozen sets are not for this bench", file=sys.stderr)
        return 2
    from clinrag.cli import _triage_embedder
    from rag.safety.triage import triage
    from rag.text import has_cjk

    embedder: Any = None if args.rules_only else _triage_embedder()
    counts = {"em": 0, "em_orig": 0, "em_noisy": 0, "other": 0, "fa_orig": 0, "fa_noisy": 0}
    for path in args.sets:
        rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
        for i, row in enumerate(rows):
            text = row.get("symptoms") or row.get("query") or ""
            if has_cjk(text):
                continue
            accept = row.get("accept") or [row.get("expect", "")]
            emergency = _strictest(accept) == "emergency"
            noisy = hurried(text, random.Random(args.seed * 100003 + i))
            kw = {"age": row.get("age"), "pregnant": row.get("pregnant"), "embedder": embedder}
            orig_hit = triage(text, **kw).urgency == "emergency"
            noisy_hit = triage(noisy, **kw).urgency == "emergency"
            if emergency:
                counts["em"] += 1
                counts["em_orig"] += orig_hit
                counts["em_noisy"] += noisy_hit
                if args.show and orig_hit and not noisy_hit:
                    print("MISSED", noisy)
            else:
                counts["other"] += 1
                counts["fa_orig"] += orig_hit
                counts["fa_noisy"] += noisy_hit
                if args.show and noisy_hit and not orig_hit:
                    print("RAISED", noisy)
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
