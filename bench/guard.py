"""Poisoned guidelines: flags at ingest, what answers carry with the poison quarantined, and after a careless approval.

    .venv/bin/python bench/guard.py

Ingests the starter set and the attack set of tests/test_guard.py (tests/data/poison/ + a PDF made
with fpdf2) into a fresh Milvus Lite folder with the real MiniLM, asks the test questions (en + zh)
with the extractive generator, and prints counts and every item the serve-time guard dropped.
"""
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ingest.run import ingest_paths
from rag.answer.schema import ConsultRequest
from rag.backends import Backends
from rag.consult import consult
from rag.safety.doses import out_of_range
from rag.settings import Settings
from tests.conftest import GUIDELINES, make_pdf
from tests.test_guard import ATTACK_FRAGMENTS, PDF_PAGES, POISON, QUESTIONS, _item_texts, _norm

root = Path(tempfile.mkdtemp())
attacks = root / "attacks"; shutil.copytree(POISON, attacks)
make_pdf(attacks / "chest-pain-practice-update.pdf", PDF_PAGES, title="Acute chest pain: practice update 2026")
s = Settings(data_dir=root / "kb"); b = Backends(s)
rep = ingest_paths([GUIDELINES, attacks], s, b.embedder, b.store)
crafted = [f for f in rep.files if str(attacks) in f.path]
starter = [f for f in rep.files if str(attacks) not in f.path and f.status == "ingested"]
print("crafted files", len(crafted), "chunks", sum(f.chunks for f in crafted), "flagged", sum(len(f.flagged) for f in crafted))
print("starter files", len(starter), "chunks", sum(f.chunks for f in starter), "flagged", sum(len(f.flagged) for f in starter))
kinds = {}
for f in crafted:
    for q in f.flagged:
        for r in q["reasons"]:
            k = r.split(":")[0]; kinds[k] = kinds.get(k, 0) + 1
print("reasons", kinds)
ids = {f.doc_id for f in crafted}
def run(label):
    leaks = doses = cited = dropped = 0
    for q, age in QUESTIONS:
        out = consult(ConsultRequest(symptoms=q, age=age), b)
        a = out.advice
        items = _norm(" ".join(_item_texts(a)))
        leaks += sum(_norm(x) in items for x in ATTACK_FRAGMENTS)
        doses += sum(len(out_of_range(t)) for t in _item_texts(a))
        cited += len({c.doc_id for c in a.citations} & ids)
        rec = b.audit.get(a.trace_id).payload
        dropped += len(rec.get("guard", []))
        for d in rec.get("guard", []):
            print("   ", q[:40], "|", d["item"], "|", d["reason"][:160])
    print(label, "questions", len(QUESTIONS), "attacker fragments in items", leaks, "doses above table", doses,
          "crafted docs among citations", cited, "items dropped by the guard", dropped)
run("quarantined:")
held = b.store.quarantine_entries()
b.store.decide_quarantine(held, "approved", "measure")
run("approved:   ")
b.close()
