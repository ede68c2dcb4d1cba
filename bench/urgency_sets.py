"""The urgency ladder over many labelled sets in one process (one model load), as `clinrag eval urgency` does for one.

    CLINRAG_DATA_DIR=kb .venv/bin/python bench/urgency_sets.py [--misses PREFIX] SET [SET ...]

SET is a name under tests/data (urgency_dev17, urgency_frozen13, ...). Prints, per set and in total: within the
accepted levels, under- and over-triage, emergencies recognised (strictest accepted level emergency and answered
emergency) and right guideline cited. With --misses, a development set's misses (patient text, accepted and given level,
reason) go to PREFIX.SET.cases.jsonl for study; a frozen set (a name with "frozen" in it) prints counts only and never
writes its cases, so that it stays held out."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rag.backends import Backends
from rag.evaluation import evaluate_urgency
from rag.settings import load_settings

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sets", nargs="+", help="set names under tests/data, without .jsonl")
    ap.add_argument("--misses", help="write development sets' misses to PREFIX.SET.cases.jsonl")
    args = ap.parse_args()
    backends = Backends(load_settings())
    keys = ("vignettes", "within_accepted", "under_triage", "over_triage", "right_guideline_cited")
    total = dict.fromkeys((*keys, "em_ok", "em_n"), 0)
    for name in args.sets:
        path = DATA / f"{name}.jsonl"
        if not path.is_file():
            raise SystemExit(f"no such set: {path} (give a name under tests/data without .jsonl)")
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        r = evaluate_urgency(rows, backends)
        em = r["by_level"].get("emergency", {})
        em_ok, em_n = em.get("emergency", 0), sum(em.values())
        print(f"{name}: {r['within_accepted']}/{r['vignettes']} within, under {r['under_triage']}, over {r['over_triage']}, "
              f"emergencies {em_ok}/{em_n}, right guideline {r['right_guideline_cited']}", flush=True)
        for k in keys:
            total[k] += r[k]
        total["em_ok"] += em_ok
        total["em_n"] += em_n
        if args.misses and "frozen" not in name:
            with open(f"{args.misses}.{name}.cases.jsonl", "w", encoding="utf-8") as fh:
                for m in r["misses"]:
                    fh.write(json.dumps(m, ensure_ascii=False) + "\n")
    print(f"TOTAL: {total['within_accepted']}/{total['vignettes']} within, under {total['under_triage']}, "
          f"over {total['over_triage']}, emergencies {total['em_ok']}/{total['em_n']}")


if __name__ == "__main__":
    main()
