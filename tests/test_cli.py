"""The CLI through its installed entry points and through main([...])."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clinrag.cli import main
from tests.conftest import GUIDELINES

SUBCOMMANDS = [["ingest"], ["ask"], ["search"], ["eval"], ["guidelines"], ["guidelines", "list"], ["guidelines", "retire"],
               ["serve"], ["audit"], ["audit", "verify"], ["audit", "show"], ["audit", "export"], ["keys"], ["keys", "create"],
               ["keys", "list"], ["keys", "revoke"], ["config"]]


def _exe(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    assert Path(found).exists(), f"console script {name} is not installed"
    return found


@pytest.mark.parametrize("sub", SUBCOMMANDS, ids=" ".join)
def test_every_subcommand_has_help(sub):
    out = subprocess.run([_exe("clinrag"), *sub, "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "usage: clinrag" in out.stdout


def test_ingest_console_script_is_clinrag_ingest():
    out = subprocess.run([_exe("ingest"), "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "usage: ingest" in out.stdout and "--publisher" in out.stdout


def test_bad_setting_names_the_variable(tmp_path):
    env = {"PATH": str(Path(sys.executable).parent), "CLINRAG_TOP_K": "0", "CLINRAG_DATA_DIR": str(tmp_path)}
    out = subprocess.run([_exe("clinrag"), "config"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 2
    assert "CLINRAG_TOP_K" in out.stderr and "Traceback" not in out.stderr


@pytest.fixture
def kb_env(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("sore-throat.md", "fever-adults.md", "burns.md"):
        shutil.copy(GUIDELINES / "en" / name, docs / name)
    (docs / "burns.md").write_text((docs / "burns.md").read_text(encoding="utf-8").replace("published_as: burns.pdf\n", ""),
                                   encoding="utf-8")
    shutil.copy(GUIDELINES / "zh" / "fever-zh.md", docs / "fever-zh.md")
    monkeypatch.setenv("CLINRAG_DATA_DIR", str(tmp_path / "kb"))
    return docs


def test_cli_workflow(kb_env, tmp_path, capsys):
    assert main(["ingest", str(kb_env), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ingested"] == 4 and report["failed"] == 0

    assert main(["guidelines", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["doc_id"] for r in rows} == {"sore-throat", "fever-adults", "burns", "fever-zh"}
    assert all(r["status"] == "active" and r["chunk_count"] > 0 and r["version"] for r in rows)

    assert main(["ask", "my throat is sore and it hurts to swallow", "--age", "30", "--json"]) == 0
    advice = json.loads(capsys.readouterr().out)
    assert advice["evidence_sufficient"] and advice["citations"]
    trace = advice["trace_id"]

    assert main(["ask", "my throat is sore and it hurts to swallow"]) == 0
    text = capsys.readouterr().out
    assert "Sources:" in text and "no language model" in text

    batch = tmp_path / "q.jsonl"
    batch.write_text('{"query": "burn on my hand"}\n{"query": "发烧怎么办"}\nnot json\n', encoding="utf-8")
    assert main(["search", "--batch", str(batch), "--k", "3"]) == 0
    lines = [json.loads(l) for l in capsys.readouterr().out.splitlines()]
    assert lines[0]["results"][0]["source"] == "burns.md"
    assert lines[1]["results"][0]["source"] == "fever-zh.md"
    assert "error" in lines[2]

    assert main(["search", "I burnt my hand on the oven, what do I do?", "--documents", "--k", "2", "--json"]) == 0
    docs = json.loads(capsys.readouterr().out)["documents"]
    assert docs[0]["source"] == "burns.md" and docs[0]["passages"] and len(docs) <= 2
    assert all(p["doc_id"] == docs[0]["doc_id"] for p in docs[0]["passages"])

    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text('{"query": "cooled my burn with water, what next", "relevant_sources": ["burns.md"]}\n', encoding="utf-8")
    assert main(["eval", "retrieval", str(labelled), "--k", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["all.recall@3"] == 1.0

    assert main(["audit", "verify"]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["audit", "show", trace, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["trace_id"] == trace
    assert main(["audit", "export"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2

    assert main(["guidelines", "retire", "burns"]) == 0
    capsys.readouterr()
    assert main(["guidelines", "list", "--json"]) == 0
    status = {r["doc_id"]: r["status"] for r in json.loads(capsys.readouterr().out)}
    assert status["burns"] == "retired"


def test_keys_commands(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CLINRAG_DATA_DIR", str(tmp_path / "kb"))
    assert main(["keys", "create", "--name", "frontend", "--role", "consult"]) == 0
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("crk_")
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert "frontend" in listing and secret not in listing
    assert main(["keys", "revoke", "frontend"]) == 0
    capsys.readouterr()
    assert main(["keys", "list"]) == 0
    assert "REVOKED" in capsys.readouterr().out


def test_eval_triage_command(capsys):
    vignettes = Path(__file__).parent / "data" / "triage_vignettes.jsonl"
    assert main(["eval", "triage", str(vignettes), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["recall"] == 1.0
    assert report["emergencies"] >= 40 and report["look_alikes"] >= 40
