"""The similar-cases floor: a same-day assessment for presentations like the ones that needed one.

The urgency ladder (the rag/safety/urgency package) reads the patient's words against the guidelines' criteria, and it knows
the wordings it was taught; three rounds in a row its development sets moved and a new writer's frozen set did not.
This layer learns from presentations instead: a logistic regression over the words of every labelled development
vignette (English word and word-pair stems, Chinese characters and their 2- and 3-grams, an age band, pregnancy),
trained by scripts/train_similar_cases.py to answer one question, "would a careful triage nurse accept anything less
urgent than a same-day assessment?". It can only raise an answer of `soon`, `routine` or `self_care` to `urgent`
(same day), never lower one and never call an ambulance (emergencies stay with the red-flag layers), and the reason
says so, with the words that weighed most. The weights file names the sets it was trained on, the threshold and the
cross-validated figures it was chosen on; frozen sets are never among them.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["FEATURE_SETS", "FloorModel", "concept_features", "features", "load_model", "model_features",
           "raise_by_similar_cases", "same_day_score"]

WEIGHTS = Path(__file__).with_name("similar_cases-2026-12-01.json")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_EN_WORD = re.compile(r"[a-z]+|\d+")


def _age_band(age: float | None) -> str:
    if age is None:
        return "na"
    return "0" if age < 1 else "1" if age < 5 else "5" if age < 16 else "16" if age < 65 else "65"


def features(text: str, age: float | None, pregnant: bool | None) -> set[str]:
    """The model's features of one request: shared by training and serving, so they cannot drift apart."""
    t = text.lower()
    words = [w[:6] for w in _EN_WORD.findall(t)]
    out = {"w:" + w for w in words}
    out.update("b:" + a + "_" + b for a, b in zip(words, words[1:]))
    zh = False
    for run in _CJK_RUN.findall(t):
        zh = True
        out.update("c:" + c for c in run)
        out.update("c2:" + run[i:i + 2] for i in range(len(run) - 1))
        out.update("c3:" + run[i:i + 3] for i in range(len(run) - 2))
    out.add("age:" + _age_band(age))
    if pregnant:
        out.add("preg")
    out.add("lang:" + ("zh" if zh else "en"))
    return out


def _band(value: float, edges: tuple[float, ...], names: tuple[str, ...]) -> str:
    return next((n for e, n in zip(edges, names) if value < e), names[-1])


def concept_features(facts: Any, level: str, basis: str, language: str = "en") -> set[str]:
    """What the ladder understood, as features (feature set "concepts"): its concept tokens ("k:cfever", "k:not_crash")
    and plain stems, bands of the numbers it read, its flags, the conditions named, age band, sex and pregnancy, and its
    own decision (level and basis) before the floor. Training recomputes them exactly as serving does."""
    out = {"k:" + t for t in facts.tokens}
    out.update("cond:" + c for c in facts.conditions)
    if facts.temperature_c is not None:
        out.add("temp:" + _band(facts.temperature_c, (37.5, 38.0, 39.0, 40.0), ("normal", "37.5", "38", "39", "40")))
    if facts.duration_days is not None:
        out.add("days:" + _band(facts.duration_days, (1, 3, 7, 14, 42), ("<1", "1-3", "3-7", "7-14", "14-42", "42+")))
    if facts.blood_pressure is not None:
        sys_, dia = facts.blood_pressure
        out.add("bp:" + ("crisis" if sys_ >= 180 or dia >= 120 else "high" if sys_ >= 140 or dia >= 90
                         else "low" if sys_ < 90 else "normal"))
    if facts.glucose_mmol is not None:
        out.add("sugar:" + _band(facts.glucose_mmol, (4.0, 11.1, 20.0), ("low", "ok", "high", "very_high")))
    if facts.percent is not None:
        out.add("pct:" + _band(facts.percent, (50, 75, 92, 95), ("<50", "50-75", "75-92", "92-95", "95+")))
    if facts.pregnancy_weeks is not None:
        out.add("weeks:" + _band(facts.pregnancy_weeks / 7, (12, 24, 37), ("<12", "12-24", "24-37", "37+")))
    if facts.readings:
        out.add("readings")
    out.update("flag:" + name for name in ("new_medicine", "asks_review", "improving", "usual_pattern", "settled")
               if getattr(facts, name))
    out.add("age:" + _age_band(facts.age_years))
    if facts.pregnant:
        out.add("preg")
    out.add("sex:" + (facts.sex or "na"))
    out.add("lang:" + language)
    out.update({"level:" + level, "basis:" + basis, "lb:" + level + "_" + basis})
    return out


FEATURE_SETS = ("words", "concepts", "words+concepts")


def model_features(kind: str, text: str, age: float | None, pregnant: bool | None, facts: Any, level: str,
                   basis: str) -> set[str]:
    """The features of one request for a model of feature set `kind` (named in its weights file)."""
    if kind not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {kind!r}")
    words = features(text, age, pregnant)
    if kind == "words":
        return words
    language = "zh" if "lang:zh" in words else "en"
    concepts = concept_features(facts, level, basis, language)
    return concepts if kind == "concepts" else words | concepts


# words that weigh in the model but tell a reader nothing ("and", "my"): left out of the reason, not of the score
_FUNCTION_WORDS = frozenset("a an and the i im i'm my me he she his her him they their it its is was be been has have had "
                            "of to in on at for with from but or so not no just now this that then some since about "
                            "very really bit like got get 的 了 是 我 他 她 有 和 在 就 也 都".split())


def _telling(feature: str) -> bool:
    kind, _, body = feature.partition(":")
    parts = body.split("_") if kind == "b" else [body]
    if kind in ("c2", "c3"):
        return not all(ch in _FUNCTION_WORDS for ch in body)
    return any(p not in _FUNCTION_WORDS and not p.isdigit() and len(p) > 2 for p in parts)


@dataclass(frozen=True)
class FloorModel:
    version: str
    weights: dict[str, float]
    intercept: float
    threshold: float
    features: str = "words"  # the feature set it was trained on (FEATURE_SETS; the weights file's "features")

    def score(self, feats: set[str]) -> float:
        """P(needs a same-day assessment or sooner), features weighted equally (the rows were L2-normalised)."""
        if not feats:
            return 0.0
        z = self.intercept + sum(self.weights.get(f, 0.0) for f in feats) / math.sqrt(len(feats))
        return 1.0 / (1.0 + math.exp(-z))

    def top_words(self, feats: set[str], n: int = 3) -> list[str]:
        """The patient's own word stems that pushed the score up most (for the reason; the demographic features and
        single Chinese characters are left out: they explain nothing to a reader)."""
        pos = sorted(((self.weights.get(f, 0.0), f) for f in feats
                      if f.startswith(("w:", "b:", "c2:", "c3:")) and _telling(f)), reverse=True)
        return [f.split(":", 1)[1].replace("_", " ") for w, f in pos[:n] if w > 0]


@lru_cache(maxsize=1)
def load_model(path: Path = WEIGHTS) -> FloorModel:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return FloorModel(version=str(data["version"]), weights={str(k): float(v) for k, v in data["weights"].items()},
                      intercept=float(data["intercept"]), threshold=float(data["threshold"]),
                      features=str(data.get("features", "words")))


def same_day_score(text: str, age: float | None, pregnant: bool | None, facts: Any = None, level: str = "",
                   basis: str = "", model: FloorModel | None = None) -> tuple[float, list[str], FloorModel]:
    """The model's score for one request; `facts` (the ladder's, of this text) and the ladder's level and basis are
    needed by a model on the concept features, and recomputed from the text when no facts are given."""
    model = model or load_model()
    if model.features != "words" and facts is None:
        from rag.safety.spelling import normalise
        from rag.safety.urgency import extract_facts

        facts = extract_facts(normalise(text), age=age, pregnant=pregnant)
    feats = model_features(model.features, text, age, pregnant, facts, level, basis)
    return model.score(feats), model.top_words(feats), model


def _told_as_now(text: str) -> str:
    """The text without its hypothetical and subject-talk clauses ("what should I do if he ever has a fit", "an essay
    about strokes"): the model was trained on presentations, and a question about one that is not happening is not one."""
    from rag.safety.clauses import split_clauses

    clauses = split_clauses(text)
    kept = [c.text for c in clauses if not (c.hypothetical or c.topic)]
    return text if len(kept) == len(clauses) else " ".join(kept).strip()


# NICE NG143's "green" feverish child, as a carer tells it: well in themselves now (playing, feeding, smiling, wet nappies)
_WELL_CHILD = re.compile(
    r"\b(?:feeding (?:well|normally|fine|ok|as normal)|(?:eating|drinking) (?:well|normally|fine|ok)|smiling|smiley|giggl\w*|"
    r"laughing|kicking (?:about|around|on)|plenty of wet|wet nappies (?:as|are) normal|normal wet nappies|playing\b|"
    r"(?:racing|running|charging|tearing) (?:round|around|about)|wee(?:ing|s)? (?:as )?(?:normal(?:ly)?|fine)|"
    r"drinking (?:his|her|their) (?:juice|milk|water|squash|bottle))|"
    r"吃奶(?:很好|正常|都好|挺好)|吃喝(?:正常|都正常)|喝水尿尿都正常|有说有笑|又蹦又跳|跑来跑去|玩得挺好|照常玩|精神(?:还可以|挺好|很好|好|不错)", re.I)
# what may be told beside the fever of a green child: a cold, and signs that all is well
_GREEN_CONCEPTS = frozenset({"cfever", "crunny_nose", "ccommon_cold", "ccough", "cgood_spirit", "cfluids_down", "csore_throat",
                             "cvaccinated"})
_EAR = re.compile(r"\bears?\b(?! ?thermometer)|耳(?!温)", re.I)  # (an ear thermometer reads a temperature)
# anything a carer says that is not "well": less, fewer or hardly any of something, refusing, sleepy, floppy, pale or
# mottled, breathing, a rash, being sick, crying that will not settle, getting worse (kept even when the table has no word
# for it: any of these keeps the floor)
_NOT_GREEN = re.compile(r"\b(?:less|fewer|hardly|barely|won'?t|wont|refus\w*|not (?:drinking|feeding|eating|weeing|peeing|"
                        r"himself|herself|right)|sleep(?:y|ier)|drows\w*|flopp\w*|letharg\w*|listless|limp|pale|mottled|blotchy|"
                        r"grey|blue|breath\w*|rash|spots?|stiff|vomit\w*|sick|diarrh\w*|whimper\w*|grunt\w*|inconsolable|"
                        r"worse|worried|concerned|fit|seizure|shak\w*|shiver\w*|cold hands|cold feet)\b|"
                        r"少|不肯|不愿|没精神|蔫|嗜睡|昏|软|苍白|发紫|发灰|花斑|喘|皮疹|疹|吐|拉|抽|哭闹不止|越来越|加重|担心", re.I)


def _green_feverish_child(text: str, facts: Any) -> bool:
    """A feverish child the carer says is well in themselves, with nothing NICE NG143 calls amber or red that the ladder
    reads: 3 months to 15 years (and under 39 °C below 6 months), fever under 5 days, nothing told beside the fever but a
    cold and signs of being well (no pain, no ear, no rash, no drinking less, no drowsiness: any other concept keeps the
    floor). Such a child is the fever guideline's self-care (home care with a safety net), not a same-day assessment;
    before this, the floor raised 9 such development vignettes labelled self-care by five writers."""
    from rag.safety.urgency.terms import _concept_tokens

    age = facts.age_years
    if age is None or not 0.25 <= age < 16:
        return False
    temp = facts.temperature_c
    if not ("cfever" in facts.tokens or (temp or 0.0) >= 38.0):
        return False
    if age < 0.5 and (temp is None or temp >= 39.0):
        return False
    from rag.safety.urgency.facts import illness_days

    days = illness_days(facts)
    if days is not None and days >= 5:
        return False
    if not (facts.settled or "cgood_spirit" in facts.tokens or _WELL_CHILD.search(text)):
        return False
    told = {t for t in facts.tokens if t in _concept_tokens()}
    return told <= _GREEN_CONCEPTS and not facts.conditions and not _EAR.search(text) and not _NOT_GREEN.search(text)


def raise_by_similar_cases(decision: Any, text: str, facts: Any, passages: list[Any], language: str,
                           ranked_doc_ids: list[str] | None = None) -> Any:
    """The ladder's decision, raised to same day where the similar-cases model is sure enough; otherwise unchanged.

    Only `soon`, `routine` and `self_care` answers with something clinical in them are raised (an out-of-scope answer
    is not). The reason keeps what the ladder found, names the model, its score and the words that weighed most, and
    quotes the retrieved guidelines' same-day criterion that shares most words with the patient, as the nearest one
    (not as one that matched)."""
    from rag.safety.urgency import LEVEL_RANK, UrgencyDecision, criteria_of
    from rag.safety.urgency.decide import _quote
    from rag.safety.urgency.terms import _LABEL

    if not text.strip() or decision.basis in {"out_of_scope", "normal"} or LEVEL_RANK[decision.level] <= LEVEL_RANK["urgent"]:
        # (nor what the complaint's own guideline lists, sign by sign, among normal things: the guideline's word is read)
        return decision
    if decision.level == "routine" and getattr(facts, "asks_review", False):
        # a booking the patient asks for ("his COPD review is overdue, just want it booked", "想预约一下") that the ladder
        # already answers with a routine appointment: every such raise on the development sets was wrong (5 of 5)
        return decision
    if _green_feverish_child(text, facts):
        return decision  # the fever guideline's self-care with its safety net, as the ladder said
    told = _told_as_now(text)
    if not told:
        return decision  # every clause is a hypothetical question or talk about a subject: nothing is happening to score
    own = facts
    if told != text and load_model().features != "words":
        from rag.safety.spelling import normalise
        from rag.safety.urgency import extract_facts

        # the facts of what is happening now, as the model was trained (the ladder's facts read the whole message)
        own = extract_facts(normalise(told), age=facts.age_years, sex=facts.sex, pregnant=facts.pregnant)
    text = told
    score, words, model = same_day_score(text, facts.age_years, facts.pregnant, own, decision.level, decision.basis)
    if score < model.threshold:
        return decision
    zh = language == "zh"
    label = _LABEL["zh" if zh else "en"]
    order = {d: i for i, d in enumerate(ranked_doc_ids or [])}
    same_day = [c for c in criteria_of(passages) if c.level == "urgent" and len(c.tokens & facts.tokens) >= 2]
    nearest = min(same_day, key=lambda c: (-len(c.tokens & facts.tokens), order.get(c.passage.doc_id, len(order))),
                  default=None)
    shown = "、".join(words) if zh else ", ".join(f"“{w}”" for w in words)
    if zh:
        reason = (f"{label['urgent']}：没有完全相符的指南就医标准（阶梯判断为“{label[decision.level]}”），但与您的描述相似的"
                  f"已标注病例需要当天评估（相似病例模型 {model.version}，评分 {score:.2f} ≥ {model.threshold:.2f}"
                  f"{'；权重最大的词：' + shown if words else ''}），因此建议当天就医。")
        if nearest is not None:
            reason += f"最接近的当天就医标准：{_quote(nearest.passage, nearest.text, language)}。"
    else:
        reason = (f"{label['urgent']}: no guideline criterion matched exactly (the ladder said "
                  f"“{label[decision.level]}”), but presentations like this one needed a same-day assessment in "
                  f"clinrag's labelled triage cases (similar-cases model {model.version}, score {score:.2f} ≥ "
                  f"{model.threshold:.2f}{'; the words that weighed most: ' + shown if words else ''}), so a clinician "
                  "should see this today.")
        if nearest is not None:
            reason += f" The nearest same-day criterion in the guidelines: {_quote(nearest.passage, nearest.text, language)}."
    return UrgencyDecision("urgent", reason, "similar_cases", nearest.passage if nearest else None,
                           nearest.text if nearest else "", decision.matches)
