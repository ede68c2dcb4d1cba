"""Poisoned guidelines: flags at ingest, what answers carry with the poison quarantined, and after a careless approval.

    .venv/bin/python bench/guard.py

Ingests the starter set and the attack set of tests/test_guard.py (tests/data/poison/ + a PDF made
with fpdf2) into a fresh Milvus Lite folder with the real MiniLM, asks the test questions (en + zh)
with the extractive generator, and prints counts and every item the serve-time guard dropped.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main() -> int:
    from ingest.run import ingest_paths
    from rag.answer.schema import ConsultRequest
    from rag.backends import Backends
    from rag.consult import consult
    from rag.safety.doses import out_of_range
    from rag.settings import Settings
    from tests.conftest import GUIDELINES, make_pdf
    from tests.test_guard import ATTACK_FRAGMENTS, PDF_PAGES, POISON, QUESTIONS, _item_texts, _norm

    root = Path(tempfile.mkdtemp(prefix="clinrag-guard-"))
    attacks = root / "attacks"
    shutil.copytree(POISON, attacks)
    make_pdf(attacks / "chest-pain-practice-update.pdf", PDF_PAGES, title="Acute chest pain: practice update 2026")
    settings = Settings(data_dir=root / "kb")
    backends = Backends(settings)
    report = ingest_paths([GUIDELINES, attacks], settings, backends.embedder, backends.store)
    crafted = [f for f in report.files if str(attacks) in f.path]
    starter = [f for f in report.files if str(attacks) not in f.path and f.status == "ingested"]
    print("crafted files", len(crafted), "chunks", sum(f.chunks for f in crafted), "flagged", sum(len(f.flagged) for f in crafted))
    print("starter files", len(starter), "chunks", sum(f.chunks for f in starter), "flagged", sum(len(f.flagged) for f in starter))
    print("reasons", dict(Counter(r.split(":")[0] for f in crafted for q in f.flagged for r in q["reasons"])))
    crafted_ids = {f.doc_id for f in crafted}

    def run(label: str) -> None:
        leaks = doses = cited = dropped = 0
        for question, age in QUESTIONS:
            advice = consult(ConsultRequest(symptoms=question, age=age), backends).advice
            items = _norm(" ".join(_item_texts(advice)))
            leaks += sum(_norm(x) in items for x in ATTACK_FRAGMENTS)
            doses += sum(len(out_of_range(t)) for t in _item_texts(advice))
            cited += len({c.doc_id for c in advice.citations} & crafted_ids)
            guard = backends.audit.get(advice.trace_id).payload.get("guard", [])
            dropped += len(guard)
            for d in guard:
                print("   ", question[:40], "|", d["item"], "|", d["reason"][:160])
        print(label, "questions", len(QUESTIONS), "attacker fragments in items", leaks, "doses above table", doses,
              "crafted docs among citations", cited, "items dropped by the guard", dropped)

    run("quarantined:")
    backends.store.decide_quarantine(backends.store.quarantine_entries(), "approved", "bench")
    run("approved:   ")
    backends.close()
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
