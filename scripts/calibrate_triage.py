"""Calibrate the meaning layer's English thresholds on the DEVELOPMENT data (never the frozen set).

Reads tests/data/triage_dev.jsonl and tests/data/triage_vignettes.jsonl (labelled),
tests/data/out_of_domain.jsonl (all benign) and tests/data/urgency_dev.jsonl (everyday presentations:
a row is an emergency only when "emergency" is its one accepted level). For each concept the threshold is set just above the best
similarity any affirmed clause of a benign row reaches (margin 0.03), floored at 0.60, and printed
with the development recall it leaves; the numbers are then written into rag/safety/rules/concepts.yaml
by hand and frozen. Run: .venv/bin/python scripts/calibrate_triage.py [--all-dev]

--all-dev (round 14): every development urgency set (tests/data/urgency_*dev*.jsonl, never a frozen one) adds its rows
whose accepted levels exclude emergency as benign rows. Every row is read as triage reads it, through
rag.safety.spelling.normalise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rag.knowledge.embedders.base import from_spec
from rag.safety.clauses import split_clauses
from rag.safety.meaning import en_scores, load_bank, split_units, zh_scores
from rag.safety.spelling import normalise

ROOT = Path(__file__).resolve().parents[1] / "tests" / "data"
# 2026-11-30: a wider margin above the closest benign row (everyday presentations reached 0.6-0.7 at
# margin 0.03, see docs/triage.md); the floor stays where unseen wording is still caught
FLOOR, MARGIN = 0.60, 0.08


def rows() -> list[dict]:
    out = []
    for name in ("triage_dev.jsonl", "triage_vignettes.jsonl", "out_of_domain.jsonl"):
        for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                r.setdefault("expect", "not_emergency")
                r["file"] = name
                out.append(r)
    # everyday presentations ("a fever for two days and I feel achy") must not reach any threshold
    for line in (ROOT / "urgency_dev.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            u = json.loads(line)
            out.append({"query": u["symptoms"], "expect": "emergency" if u["accept"] == ["emergency"] else "not_emergency",
                        "language": "zh" if any("\u4e00" <= c <= "\u9fff" for c in u["symptoms"]) else "en",
                        "file": "urgency_dev.jsonl"})
    if "--all-dev" in sys.argv:
        for path in sorted(ROOT.glob("urgency_*dev*.jsonl")):
            if "frozen" in path.name or path.name == "urgency_dev.jsonl":
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    u = json.loads(line)
                    if "emergency" not in u["accept"]:
                        out.append({"query": u["symptoms"], "expect": "not_emergency", "file": path.name})
    return out


def main() -> int:
    if "frozen" in " ".join(sys.argv):
        raise SystemExit("never calibrate on the frozen test set")
    emb = from_spec("sentence-transformers:bundled-minilm")
    bank = load_bank()
    data = rows()
    best_en: list[dict[str, tuple[float, str, str]]] = []
    best_zh: list[dict[str, tuple[float, str, str]]] = []
    for r in data:
        en, zh = split_units(split_clauses(normalise(r["query"])))
        b: dict[str, tuple[float, str, str]] = {}
        for t, sc in zip(en, en_scores(en, emb, bank), strict=True):
            for cid, (s, ex) in sc.items():
                if cid not in b or s > b[cid][0]:
                    b[cid] = (s, t, ex)
        best_en.append(b)
        z: dict[str, tuple[float, str, str]] = {}
        for t in zh:
            for cid, (s, ex) in zh_scores(t, bank).items():
                if cid not in z or s > z[cid][0]:
                    z[cid] = (s, t, ex)
        best_zh.append(z)
    thresholds = {}
    for c in bank.concepts:
        neg = [(b[c.id][0], b[c.id][1]) for r, b in zip(data, best_en, strict=True) if r["expect"] != "emergency" and c.id in b]
        neg_max = max(neg, default=(0.0, ""))
        thr = round(max(FLOOR, neg_max[0] + MARGIN), 2)
        thresholds[c.id] = thr
        print(f"{c.id:24s} threshold_en {thr:.2f}  (closest benign {neg_max[0]:.3f}: {neg_max[1]!r})")
        zneg = [(z[c.id][0], z[c.id][1]) for r, z in zip(data, best_zh, strict=True) if r["expect"] != "emergency" and c.id in z and z[c.id][0] >= c.threshold_zh]
        if zneg:
            print(f"   zh benign clauses reaching coverage {c.threshold_zh}: {zneg}")
    for name in ("triage_dev.jsonl", "triage_vignettes.jsonl"):
        em = [(r, b, z) for r, b, z in zip(data, best_en, best_zh, strict=True) if r["file"] == name and r["expect"] == "emergency"]
        hit = sum(1 for r, b, z in em if any(s >= thresholds[k] for k, (s, _, _) in b.items())
                  or any(s >= next(c.threshold_zh for c in bank.concepts if c.id == k) for k, (s, _, _) in z.items()))
        print(f"{name}: meaning layer alone reaches {hit}/{len(em)} emergencies")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
