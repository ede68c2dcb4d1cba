"""No seeded identifier reaches the audit store, sessions, logs, metrics or any file under the data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.leakcheck import load_identifiers, run

pytestmark = pytest.mark.slow
GUIDELINES = Path(__file__).resolve().parents[1] / "guidelines"


def test_seeded_identifiers_leave_no_trace(tmp_path: Path, minilm) -> None:
    rows = load_identifiers("test")
    sample = list({(r["kind"], r["language"]): r for r in rows}.values())  # one per kind and language
    assert len(sample) >= 36
    rep = run(sample, tmp_path, minilm, GUIDELINES)
    assert rep.consultations == len(sample) and rep.files_searched >= 5
    assert rep.leaks == []
