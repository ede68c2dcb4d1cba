"""End-to-end identifier leak check: real consultations over HTTP, then every file, log line and metric is searched.

Used by tests/test_deid_leaks.py (a sample) and bench/deid_leaks.py (the whole frozen set).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


def load_identifiers(split: str | None = None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (DATA / "deid_identifiers.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split is None or r["split"] == split]


@dataclass
class LeakReport:
    consultations: int = 0
    secrets: int = 0
    files_searched: int = 0
    leaks: list[str] = field(default_factory=list)  # "where: secret (row id)"
    response_leaks: list[str] = field(default_factory=list)  # in the answer sent back to the same caller


def _files(root: Path) -> Iterator[Path]:
    yield from (p for p in sorted(root.rglob("*")) if p.is_file())


def _needle(text: str, secret: str) -> str:
    """What to search for: the secret, or for a short one ("95", "Tom") the secret with its neighbours in the text,
    since the bare token also matches sequence numbers, timings and binary pages."""
    if len(secret) >= 5 or any(ord(c) > 0x3000 for c in secret):
        return secret
    i = text.lower().find(secret.lower())
    return text[max(i - 5, 0): i + len(secret) + 5] if i >= 0 else secret


def _occurrences(blob: bytes, secret: str) -> int:
    """Case-insensitive whole-token count: "45326" inside a hex hash or trace id is not the ZIP code 45326."""
    s = re.escape(secret.encode("utf-8"))
    return len(re.findall(rb"(?<![A-Za-z0-9])" + s + rb"(?![A-Za-z0-9])", blob, re.IGNORECASE))


def run(rows: list[dict[str, Any]], root: Path, embedder: Any, guidelines: Path) -> LeakReport:
    """Ingest `guidelines`, serve, send each row's text (as symptoms, and in history/medications/sessions), then search."""
    import httpx

    from api.app import create_app
    from api.keys import KeyStore
    from ingest.run import ingest_paths
    from rag.backends import Backends
    from rag.settings import Settings
    from tests.helpers import live_server

    data, outside = root / "data", root / "outside"
    outside.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=data, rate_limit_per_min=0, audit_checkpoint_key="leak-check-key-0123456789abcdef",
                        audit_checkpoint_sink=str(outside / "checkpoints.jsonl"))
    log_path = outside / "clinrag.log"
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root_logger = logging.getLogger()
    old_level = root_logger.level
    root_logger.addHandler(handler)
    root_logger.setLevel(logging.DEBUG)
    report = LeakReport()
    secrets = [(_needle(r["text"], s), r["id"]) for r in rows for s in r["secrets"]]
    report.secrets = len(secrets)
    try:
        backends = Backends(settings, _embedder=embedder)
        assert ingest_paths([guidelines], settings, embedder, backends.store).ok
        baseline = {s: sum(_occurrences(p.read_bytes(), s) for p in _files(root)) for s, _ in secrets}
        keys = KeyStore(data / "keys.sqlite3")
        key = keys.create("leak-check", ["consult"])[1]
        keys.close()
        metrics = ""
        with live_server(create_app(settings, backends)) as url, httpx.Client(base_url=url, timeout=120) as client:
            for n, row in enumerate(rows):
                body: dict[str, Any] = {"symptoms": row["text"], "session_id": f"leak-{n % 7}"}
                if n % 3 == 0:
                    body["history"] = row["text"]
                if n % 3 == 1:
                    body["medications"] = [row["text"][:200]]
                    body["duration"] = row["text"][:200]
                r = client.post("/v1/consultations", json=body, headers={"Authorization": f"Bearer {key}"})
                assert r.status_code == 200, r.text
                report.consultations += 1
                answer = r.text
                for s in row["secrets"]:
                    if _occurrences(answer.encode(), _needle(row["text"], s)):
                        report.response_leaks.append(f"response: {s} ({row['id']})")
            metrics = client.get("/metrics").text
        backends.close()
        (outside / "metrics.txt").write_text(metrics, encoding="utf-8")
    finally:
        root_logger.removeHandler(handler)
        root_logger.setLevel(old_level)
        handler.close()
    blobs = {str(p.relative_to(root)): p.read_bytes() for p in _files(root)}
    report.files_searched = len(blobs)
    for s, row_id in secrets:
        found = {name: _occurrences(b, s) for name, b in blobs.items()}
        if sum(found.values()) > baseline.get(s, 0):
            where = ", ".join(n for n, c in found.items() if c)
            report.leaks.append(f"{where}: {s} ({row_id})")
    return report
