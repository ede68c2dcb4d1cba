"""Calibrate the guideline layer's English threshold on DEVELOPMENT data (never the frozen set).

Every starter guideline (guidelines/{en,zh}/*.md) is cut into sections as stand-in retrieved passages
(the worst case: all red-flag sections retrieved at once); each row of the files given is matched and the
emergency hits and look-alike false alarms are printed per threshold. The lowest threshold with no false
alarm was written into rag/safety/guideline_flags.py (EN_THRESHOLD) and frozen. Run:
.venv/bin/python scripts/calibrate_guideline_flags.py tests/data/triage_dev.jsonl tests/data/triage_vignettes.jsonl tests/data/out_of_domain.jsonl
Round 14: urgency development sets may be given too (symptoms/accept rows), with --cover X (LEXICAL_COVER to try)
and --no-lay (the clause's lay phrases not counted with their medical terms).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from rag.evaluation import starter_passages
from rag.knowledge.embedders.base import from_spec
from rag.safety import guideline_flags as g

ROOT = Path(__file__).resolve().parents[1]
_CJK = re.compile(r"[\u3400-\u9fff]")


def main(files: list[str]) -> int:
    if any("frozen" in a for a in files):
        raise SystemExit("never calibrate on the frozen test set")
    passages = starter_passages(ROOT / "guidelines")
    emb = from_spec("sentence-transformers:bundled-minilm")
    g.EN_THRESHOLD = 0.55  # score everything above the floor, then sweep
    if "--cover" in files:  # round 14: the lexical cover to try, and whether lay phrases count with their terms
        i = files.index("--cover")
        g.LEXICAL_COVER = float(files[i + 1])
        files = files[:i] + files[i + 2:]
    if "--no-lay" in files:
        g.LAY_TERMS = False
        files = [f for f in files if f != "--no-lay"]
    res = []
    for name in files:
        for line in Path(name).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            if "accept" in r:  # an urgency set (round 14): emergency when it is the strictest accepted level, benign
                # when it is not accepted at all; rows in between are neither
                if r["accept"][0] != "emergency" and "emergency" in r["accept"]:
                    continue
                r = {"query": r["symptoms"], "expect": "emergency" if r["accept"][0] == "emergency" else "not_emergency"}
            flags = g.guideline_red_flags(r["query"], passages, r.get("language"), emb)
            en = max((f.score or 0.0 for f in flags if not _CJK.search(f.matched_text)), default=0.0)
            zh = any(_CJK.search(f.matched_text) for f in flags)
            res.append((r.get("expect", "not_emergency") == "emergency", en, zh, r["query"], flags[:1]))
    for t in (0.6, 0.65, 0.7, 0.75, 0.8):
        fired = [x for x in res if x[1] >= t or x[2]]
        print(f"threshold {t:.2f}: emergencies reached {sum(1 for x in fired if x[0])}/{sum(1 for x in res if x[0])}, "
              f"look-alike false alarms {sum(1 for x in fired if not x[0])}/{sum(1 for x in res if not x[0])}")
        for x in fired:
            if not x[0]:
                print("    false alarm:", x[3], "->", [(f.score, (f.quote or "")[:80]) for f in x[4]])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
