"""bench/retrieval.py's MEDIQA loader: answer ids reused across files, and answers shared between questions."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _question(qid: str, text: str, answers: list[tuple[str, int, str]]) -> str:
    items = "".join(f'<Answer AID="{aid}" ReferenceScore="{score}"><AnswerText>{body}</AnswerText></Answer>'
                    for aid, score, body in answers)
    return f'<Question QID="{qid}"><QuestionText>{text}</QuestionText><AnswerList>{items}</AnswerList></Question>'


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    # two files that reuse an AID for different answers, as MEDIQA's training and validation files do (188 times),
    # and one answer text given to two questions (1,096 answers, 741 texts)
    (tmp_path / "MEDIQA2019-Task3-QA-TrainingSet2-Alexa.xml").write_text(
        "<Questions>" + _question("1", "What is flu?", [("1_Answer1", 4, "Flu is a viral infection."), ("1_Answer2", 1, "Asthma.")])
        + _question("2", "What causes flu?", [("2_Answer1", 3, "Flu is a viral infection.")]) + "</Questions>", encoding="utf-8")
    (tmp_path / "MEDIQA2019-Task3-QA-ValidationSet.xml").write_text(
        "<Questions>" + _question("1", "What is gout?", [("1_Answer1", 4, "Gout is a kind of arthritis.")]) + "</Questions>",
        encoding="utf-8")
    monkeypatch.setenv("CLINRAG_MEDIQA", str(tmp_path))
    spec = importlib.util.spec_from_file_location("bench_retrieval_test", ROOT / "bench" / "retrieval.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_texts_mode_one_document_per_distinct_text(bench: Any) -> None:
    answers, questions = bench.load()
    assert sorted(answers.values()) == ["Asthma.", "Flu is a viral infection.", "Gout is a kind of arthritis."]
    grades = {text: g for _, text, g in questions}
    flu = "TrainingSet2-Alexa_1_Answer1"
    assert answers[flu] == "Flu is a viral infection."
    assert grades["What causes flu?"] == {flu: 3}  # the shared text is one document, graded for each question
    assert grades["What is gout?"] == {"ValidationSet_1_Answer1": 4}


def test_ids_mode_keeps_copies_and_legacy_mode_loses_reused_ids(bench: Any) -> None:
    answers, questions = bench.load("ids")
    assert len(answers) == 4 and answers["ValidationSet_1_Answer1"].startswith("Gout")
    answers, questions = bench.load("legacy")
    assert len(answers) == 3 and answers["1_Answer1"].startswith("Gout")  # the training answer was overwritten
    assert {text: g for _, text, g in questions}["What is flu?"]["1_Answer1"] == 4  # graded against gout's text
    with pytest.raises(ValueError, match="answer mode 'x'"):
        bench.load("x")
