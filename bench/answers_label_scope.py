"""How much of an answers set's 'unrelated items' and 'right guideline missed' involves a Chinese starter guideline that
was added after the set's labels were written (docs/answers.md, "Round 20"), on a complaint the patient names.

    CLINRAG_DATA_DIR=kb .venv/bin/python bench/answers_label_scope.py SET [SET ...]

SET is a name under tests/data (answers_frozen, answers_dev6, ...). For each vignette: items whose guideline is not
among the labels (the scoring of rag.answer.quality, translations counted) that come from one of the nine Chinese
guidelines of 2026-12-04 whose topic word (嗓子, 腰, 肚子, 尿, ...) is in the patient's words, or not; and right-guideline
misses where such a guideline is cited. Prints counts only, never a case, so that frozen sets stay held out."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from rag.answer.quality import answer_items, load_vignettes, same_guidelines
from rag.answer.schema import ConsultRequest
from rag.backends import Backends
from rag.consult import consult
from rag.settings import load_settings

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
# the nine Chinese guidelines of 2026-12-04 and the words a patient names their topic with
TOPIC_WORDS = {"burns-zh": "烫|烧伤|晒", "sprains-strains-zh": "扭|崴|拉伤|抻", "back-pain-zh": "腰|背",
               "palpitations-zh": "心慌|心跳|心悸", "abdominal-pain-zh": "肚子|腹|胃", "dizziness-zh": "晕|眩",
               "pregnancy-warning-signs-zh": "孕|产后", "sore-throat-zh": "嗓子|喉咙|咽|扁桃体",
               "urinary-tract-infection-zh": "尿"}
# the women's-health guidelines of urgency round 25 (2026-12-04), added after every answers set's labels were written
ROUND25 = frozenset({"early-pregnancy-problems", "early-pregnancy-problems-zh", "period-problems", "period-problems-zh"})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sets", nargs="+", help="answers set names under tests/data, without .jsonl")
    args = ap.parse_args()
    backends = Backends(load_settings())
    for name in args.sets:
        path = DATA / f"{name}.jsonl"
        if not path.is_file():
            raise SystemExit(f"no such set: {path} (give a name under tests/data without .jsonl)")
        unrelated = named = not_named = missed = missed_named = r25 = r25_missed = 0
        for v in load_vignettes(path.read_text(encoding="utf-8").splitlines()):
            request = ConsultRequest.model_validate({"symptoms": v.symptoms, "age": v.age, "sex": v.sex, "pregnant": v.pregnant})
            items = answer_items(consult(request, backends, caller="eval").advice)
            related = same_guidelines(v.docs)
            said = {d for d, words in TOPIC_WORDS.items() if re.search(words, v.symptoms)}
            for it in items:
                if v.docs and it.docs and not set(it.docs) & related:
                    unrelated += 1
                    new = set(it.docs) & TOPIC_WORDS.keys()
                    named += bool(new & said)
                    not_named += bool(new) and not new & said
                    r25 += bool(set(it.docs) & ROUND25)
            cited = {d for it in items for d in it.docs}
            if v.docs and not cited & related:
                missed += 1
                missed_named += bool(cited & said)
                r25_missed += bool(cited & ROUND25)
        print(f"{name}: unrelated items {unrelated} (from a new Chinese guideline on a complaint the patient names: {named}; "
              f"on one not named: {not_named}); right guideline missed {missed} (citing a new Chinese guideline on a "
              f"named complaint: {missed_named}); from a round-25 women's-health guideline: {r25} items, {r25_missed} misses citing "
              f"one", flush=True)


if __name__ == "__main__":
    main()
