"""scripts/criteria_review.py: the criteria the urgency ladder reads from a guideline's sections 3 and 5."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from criteria_review import section_passages  # noqa: E402

from rag.safety.urgency import criteria_of  # noqa: E402


def test_sections_3_and_5_are_read_and_the_sti_red_flags_are_whole_criteria() -> None:
    passages = section_passages(ROOT / "guidelines" / "en" / "sti-symptoms.md")
    assert [p.section.split(" > ")[1][:2] for p in passages] == ["3 ", "5 "]
    emergency = [cl for c in criteria_of(passages) if c.level == "emergency" for cl in c.clauses]
    assert emergency and all(len(cl.tokens) >= 2 for cl in emergency), [cl.text for cl in emergency if len(cl.tokens) < 2]


def test_the_script_lists_fragments_and_names_a_bad_path(tmp_path: Path) -> None:
    guide = tmp_path / "g.md"
    guide.write_text("---\nid: test-guide\n---\n\n## 3 Red flags: seek emergency care now\n\n"
                     "- Severe chest pain, sweating, or vomiting.\n\n## 4 Self-care at home\n\n- Rest.\n", encoding="utf-8")
    script = str(ROOT / "scripts" / "criteria_review.py")
    out = subprocess.run([sys.executable, script, "--short", str(guide)], capture_output=True, text=True, check=True).stdout
    assert "g.md\temergency\tvomiting\tcvomit" in out and "need one token or none" in out
    bad = subprocess.run([sys.executable, script, str(tmp_path / "missing")], capture_output=True, text=True)
    assert bad.returncode != 0 and "no such file or folder" in bad.stderr and "Traceback" not in bad.stderr


def test_lists_cut_from_their_lead_in_by_the_chunker_are_named(tmp_path: Path) -> None:
    from criteria_review import split_lists

    items = "".join(f"- a warning sign number {i} that a patient could have at home;\n" for i in range(60))
    long = tmp_path / "long.md"
    long.write_text("---\nid: long-guide\n---\n\n## 5 When to see a clinician\n\nSee a doctor within a few days if you have:\n\n"
                    + items, encoding="utf-8")
    short = tmp_path / "short.md"
    short.write_text("---\nid: short-guide\n---\n\n## 5 When to see a clinician\n\nSee a doctor within a few days if you have:\n\n"
                     "- a fever for more than 3 days;\n- a rash.\n", encoding="utf-8")

    def words(text: str) -> int:  # a stand-in tokenizer: one token a word (the chunker only needs a count)
        return len(text.split()) + 2

    cut = split_lists(long, words, 256)
    assert cut and all(section.startswith("5 ") and item.startswith("- a warning sign number") for section, item in cut)
    assert split_lists(short, words, 256) == []
