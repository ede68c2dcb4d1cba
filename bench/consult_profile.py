"""CPU time of each step of an extractive consultation, in-process and sequential (issue 14 item 5).

Wraps the pipeline's steps with thread-CPU timers (time.thread_time: the machine is shared, so wall
time says little; wall time is printed beside it because the audit commit's fsync is I/O wait) and runs bench/load.py's questions through rag.consult.consult() on one torch thread,
as `clinrag serve` does. Prints a Markdown table. Run from the checkout to profile (its own code):

    CLINRAG_DATA_DIR=/path/to/kb .venv/bin/python bench/consult_profile.py 36

CLINRAG_EMBED_THREADS=1 gives the model one thread, as `clinrag serve` does. Also prints the process's CPU time per
consultation (every thread; the primary figure on a shared machine: run two checkouts at the same time, so that both
see the same load, and compare medians of several runs).
"""
# ruff: noqa: E401, E402, E701, E702, I001
import os, sys, time, statistics, functools, importlib
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, os.getcwd()); sys.path.insert(0, os.getcwd() + "/bench")
import torch
torch.set_num_threads(1)
from rag.settings import load_settings
from rag.backends import Backends
from rag.answer.schema import ConsultRequest
import rag.consult as C
from api.app import _warm
from load import QUESTIONS
T = {}
W = {}  # wall ms: the audit commit's fsync is I/O wait, not CPU
def timed(name, fn):
    @functools.wraps(fn)
    def w(*a, **k):
        t, w0 = time.thread_time(), time.perf_counter()
        try: return fn(*a, **k)
        finally:
            T.setdefault(name, []).append((time.thread_time() - t) * 1000)
            W.setdefault(name, []).append((time.perf_counter() - w0) * 1000)
    return w
def patch(modname, attr, name):
    m = importlib.import_module(modname); setattr(m, attr, timed(name, getattr(m, attr)))
s = load_settings(); b = Backends(s); _warm(b)
emb = b.embedder
emb.embed_documents = timed("  embedding (all calls)", emb.embed_documents)
patch("rag.safety.deid", "scrub", "de-identification (scrub)")
patch("rag.safety.triage", "triage", "triage: rules + meaning layer")
patch("rag.safety.meaning", "en_scores", "  triage meaning layer: embed + compare")
patch("rag.consult", "extract_facts", "urgency: fact extraction")
patch("rag.knowledge.search", "candidates", "retrieval: query embed + dense/BM25 search")
patch("rag.knowledge.search", "read_passages", "retrieval: passage fetch (by id)")
patch("rag.consult", "retrieve", "retrieval total")
patch("rag.consult", "allowed_documents", "criteria: allowed documents")
patch("rag.safety.guideline_flags", "guideline_red_flags", "triage layer 3: guideline red flags")
patch("rag.answer.evidence", "complete_sections", "generation: complete sections")
patch("rag.answer.prompt", "render_prompt", "generation: prompt")
patch("rag.safety.verify", "verify", "verification")
patch("rag.consult", "decide_urgency", "urgency ladder")
patch("rag.consult", "raise_by_similar_cases", "urgency: similar-cases floor")
patch("rag.safety.screen", "guard_advice", "guard")
b.generator.generate = timed("generation: extractive compose", b.generator.generate)
st = b.store; st.passages_of = timed("criteria passages fetch", st.passages_of)
au = b.audit; au.append = timed("audit commit (fsync)", au.append)
orig = C.ConsultationRecord.to_payload
C.ConsultationRecord.to_payload = timed("audit record to_payload (pydantic dump)", orig)
C.consult = timed("consult() total", C.consult)
reqs = [ConsultRequest(symptoms=q, age=20 + i % 50) for i, q in enumerate(QUESTIONS)]
for r in reqs: C.consult(r, b)
T.clear(); W.clear()
N = int(sys.argv[1]) if len(sys.argv) > 1 else 48
w0, p0 = time.perf_counter(), time.process_time()
for i in range(N): C.consult(reqs[i % len(reqs)], b)
print(f"wall ms/consult {(time.perf_counter()-w0)/N*1000:.1f}; process CPU ms/consult {(time.process_time()-p0)/N*1000:.1f}")
print("| step | CPU ms per consultation (mean) | median per call | wall ms per consultation (mean) |")
print("|---|---:|---:|---:|")
for k, v in T.items(): print(f"| {k} | {sum(v)/N:.1f} | {statistics.median(v):.1f} | {sum(W[k])/N:.1f} |")
