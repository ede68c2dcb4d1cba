"""`clinrag serve --workers 2`: workers forked from a warmed supervisor, one shared embedder process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from tests.helpers import free_port
from tests.test_api import FEVER_EN, FEVER_ZH, THROAT_V1

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [{"symptoms": "fever and aches for two days", "age": 30}, {"symptoms": "发烧两天，浑身酸痛", "age": 40}]


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clinrag.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def _answers(env: dict[str, str], key: str, log: Path, workers: int,
             upload: tuple[str, bytes] | None = None) -> tuple[list[dict[str, object]], dict[str, list[int]]]:
    """Serve with `workers`, ask each question a few times, stop; the answers (trace ids aside) and the process tree.
    With `upload` (an ingest key, a Markdown guideline), also upload it and wait for its job to succeed."""
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "clinrag.cli", "serve", "--port", str(port), "--workers", str(workers)],
                                env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while log.read_text(errors="replace").count("clinrag API ready") < workers:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        # serve's Python children: the workers and the shared embedder (forked from serve, so by their maps: the
        # one process that loaded the model's runtime)
        tree: dict[str, list[int]] = {"workers": [], "embedder": []}
        for child in psutil.Process(proc.pid).children():
            if "milvus" in " ".join(child.cmdline()):
                continue
            maps = Path(f"/proc/{child.pid}/maps").read_text()
            tree["embedder" if "openvino" in maps or "onnxruntime" in maps else "workers"].append(child.pid)
        out: list[dict[str, object]] = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120, headers={"X-API-Key": key}) as client:
            assert client.get("/readyz").status_code == 200
            for _ in range(3):
                for q in QUESTIONS:
                    r = client.post("/v1/consultations", json=q)
                    assert r.status_code == 200, r.text
                    body = r.json()
                    body.pop("trace_id", None)
                    out.append(body)
            if upload is not None:  # an ingest job in a worker embeds through the shared process too
                ingest_key, text = upload
                up = client.post("/v1/guidelines", files={"file": ("sore-throat-test.md", text, "text/markdown")},
                                 headers={"X-API-Key": ingest_key})
                assert up.status_code == 202, up.text
                deadline = time.monotonic() + 240
                while (job := client.get(f"/v1/jobs/{up.json()['job_id']}", headers={"X-API-Key": ingest_key}).json())[
                        "status"] not in {"succeeded", "failed"}:
                    assert time.monotonic() < deadline, job
                    time.sleep(0.5)
                assert job["status"] == "succeeded", job
                listing = client.get("/v1/guidelines", headers={"X-API-Key": ingest_key}).json()["guidelines"]
                assert any(g["doc_id"] == "sore-throat-test" and g["status"] == "active" for g in listing), listing
        return out, tree
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def test_two_forked_workers_share_one_embedder_and_answer_as_one_worker_does(tmp_path: Path) -> None:
    data, docs = tmp_path / "data", tmp_path / "docs"
    docs.mkdir()
    (docs / "fever-test.md").write_text(FEVER_EN, encoding="utf-8")
    (docs / "fever-zh-test.md").write_text(FEVER_ZH, encoding="utf-8")
    env = {**os.environ, "CLINRAG_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", "CLINRAG_RATE_LIMIT_PER_MIN": "0"}
    env.pop("CLINRAG_EMBED_SOCKET", None)
    assert _cli(env, "ingest", str(docs)).returncode == 0
    key = _cli(env, "keys", "create", "--name", "workers", "--role", "consult").stdout.strip()
    ingest_key = _cli(env, "keys", "create", "--name", "content", "--role", "ingest").stdout.strip()
    one, _ = _answers(env, key, tmp_path / "one.log", 1)
    two, tree = _answers(env, key, tmp_path / "two.log", 2, upload=(ingest_key, THROAT_V1.encode()))
    log = (tmp_path / "two.log").read_text(errors="replace")
    assert "shared embedder process" in log and "not forking" not in log
    assert len(tree["embedder"]) == 1 and len(tree["workers"]) == 2, tree  # the workers load no model runtime
    assert two == one  # the same advice, citations, urgency and confidence as a single worker gives
    # stopped: no embedder process left behind
    deadline = time.monotonic() + 30
    while any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in tree["embedder"]):
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_supervisor_preloads_what_workers_import_and_no_model_runtime() -> None:
    # what a worker imports while it starts (the Milvus client with pandas, pyarrow and grpc; scipy.sparse) is loaded
    # before the fork, so workers share those pages; no model runtime is (it starts threads a fork would lose)
    code = ("import sys; from api.serve import preload_for_workers; bad = preload_for_workers(); "
            "need = ('pymilvus', 'pandas', 'pyarrow', 'grpc._channel', 'scipy.sparse', 'anyio._backends._asyncio'); "
            "print(bad, [m for m in need if m not in sys.modules])")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == "[] []"
