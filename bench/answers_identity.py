"""Answers identity: the advice and audit record of fixed consultations, to compare two checkouts byte for byte.

Runs rag.consult.consult() in-process (one torch thread, the serving warm-up) on bench/load.py's questions plus
development sets (never the frozen ones), twice: a first pass on cold caches, a second in the same process on warm
ones. Writes one JSON line per consultation and pass: the advice and the audit record's payload, with what differs
between any two runs taken out (trace ids, the record's timings). Run it from each checkout (its own code):

    CLINRAG_DATA_DIR=<copy of a kb> .venv/bin/python bench/answers_identity.py dump OUT.jsonl
    .venv/bin/python bench/answers_identity.py compare BASE.jsonl BRANCH.jsonl

or through `clinrag serve` (each answer over HTTP and its audit record read back; NAME=VALUE settings for the server):

    .venv/bin/python bench/answers_identity.py http OUT.jsonl <copy of a kb> [CLINRAG_CONSULT_PROCESSES=0 ...]
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

DEV_SETS = ("urgency_dev9.jsonl", "urgency_dev10.jsonl", "answers_dev3.jsonl", "out_of_domain.jsonl")


def requests(root: Path) -> list[dict[str, Any]]:
    sys.path.insert(0, str(root / "bench"))
    from load import QUESTIONS

    out: list[dict[str, Any]] = [{"symptoms": q, "age": 20 + i % 50} for i, q in enumerate(QUESTIONS)]
    for name in DEV_SETS:
        assert "frozen" not in name
        for line in (root / "tests" / "data" / name).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            req: dict[str, Any] = {"symptoms": row.get("symptoms") or row["query"]}
            for k in ("age", "sex", "pregnant", "duration", "language"):
                if row.get(k) is not None:
                    req[k] = row[k]
            out.append(req)
    return out


def _clean(obj: Any) -> Any:
    """Drop what differs between any two runs: trace ids and timings."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items() if k not in {"trace_id", "latency_ms", "timings_ms"}}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def dump(out_path: Path) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    root = Path.cwd()
    sys.path.insert(0, str(root))
    import torch

    torch.set_num_threads(1)
    from api.app import _warm
    from rag.answer.schema import ConsultRequest
    from rag.backends import Backends
    from rag.consult import consult
    from rag.settings import load_settings

    b = Backends(load_settings())
    _warm(b)
    captured: list[dict[str, Any]] = []
    append = b.audit.append

    def capture(**kw: Any) -> Any:
        captured.append(kw["payload"])
        return append(**kw)

    b.audit.append = capture  # type: ignore[method-assign]
    reqs = requests(root)
    with out_path.open("w", encoding="utf-8") as f:
        for pass_ in (1, 2):
            for i, r in enumerate(reqs):
                captured.clear()
                outcome = consult(ConsultRequest(**r), b, trace_id=f"t{pass_}-{i}")
                advice = outcome.advice.model_dump(mode="json")
                rec = json.loads(json.dumps(captured[0], default=str, sort_keys=True))
                f.write(json.dumps({"pass": pass_, "i": i, "advice": _clean(advice), "record": _clean(rec)},
                                   ensure_ascii=False, sort_keys=True) + "\n")
    print(f"{len(reqs)} requests x 2 passes -> {out_path}")
    return 0


def http(out_path: Path, data_dir: Path, extra_env: dict[str, str]) -> int:
    """The same requests through `clinrag serve` of this checkout (started on data_dir, which it uses in place):
    each answer as HTTP returns it and the audit record GET /v1/consultations/{trace_id} returns for it."""
    import subprocess

    import httpx

    root = Path.cwd()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from load import start_server

    proc, url, key = start_server(data_dir, root / "guidelines", 8, 1, extra_env)
    env = {**os.environ, "CLINRAG_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    audit_key = subprocess.run([sys.executable, "-m", "clinrag.cli", "keys", "create", "--name", "identity-audit", "--role", "audit"],
                               env=env, check=True, capture_output=True, text=True).stdout.strip()
    reqs = requests(root)
    try:
        with httpx.Client(base_url=url, timeout=120) as c, out_path.open("w", encoding="utf-8") as f:
            for pass_ in (1, 2):
                for i, r in enumerate(reqs):
                    resp = c.post("/v1/consultations", json=r, headers={"Authorization": f"Bearer {key}"})
                    body = resp.json()
                    got = c.get(f"/v1/consultations/{body.get('trace_id')}", headers={"Authorization": f"Bearer {audit_key}"})
                    rec = got.json().get("payload") if got.status_code == 200 else {"status": got.status_code}
                    f.write(json.dumps({"pass": pass_, "i": i, "status": resp.status_code, "advice": _clean(body),
                                        "record": _clean(rec)}, ensure_ascii=False, sort_keys=True) + "\n")
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    print(f"{len(reqs)} requests x 2 passes over HTTP -> {out_path}")
    return 0


def compare(a: Path, b: Path) -> int:
    la, lb = a.read_text(encoding="utf-8").splitlines(), b.read_text(encoding="utf-8").splitlines()
    if len(la) != len(lb):
        print(f"different counts: {len(la)} vs {len(lb)}")
        return 1
    diff = [json.loads(x)["i"] for x, y in zip(la, lb, strict=True) if x != y]
    adv = sum(1 for x, y in zip(la, lb, strict=True) if json.loads(x)["advice"] != json.loads(y)["advice"])
    print(f"{len(la)} lines ({len(la) // 2} requests x 2 passes): {len(diff)} differ ({adv} in the advice)"
          + (f", requests {sorted(set(diff))[:20]}" if diff else ""))
    return 1 if diff else 0


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "dump" and len(sys.argv) == 3:
        raise SystemExit(dump(Path(sys.argv[2])))
    if cmd == "http" and len(sys.argv) >= 4:
        raise SystemExit(http(Path(sys.argv[2]), Path(sys.argv[3]), dict(a.split("=", 1) for a in sys.argv[4:])))
    if cmd == "compare" and len(sys.argv) == 4:
        raise SystemExit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
    raise SystemExit(__doc__)
