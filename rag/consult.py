"""consult(): symptoms in, verified and audited advice out, as a short pipeline of named steps.

    validate -> deidentify -> triage -> retrieve -> generate -> verify -> decide urgency -> record

Triage runs before anything that can fail; from then on a failure of any step (retrieval, generation,
a timeout, any exception) turns the answer into the triage-only answer: urgency, red flags and the
emergency instruction, `evidence_sufficient: false`, `status: "degraded"` and a note naming the step.
Every outcome is recorded in the audit trail before the answer is returned.

Urgency comes from the ladder in the rag/safety/urgency package (red flags, then the retrieved guidelines'
own criteria); a generator may raise it only by citing a criterion the patient's facts meet.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Literal

from rag.answer.generators.base import GenerationRequest, GenerationResult
from rag.answer.schema import (
    OTHER_LANGUAGE_NOTES,
    URGENCY_ORDER,
    Advice,
    Citation,
    Condition,
    ConsultRequest,
    GeneratorInfo,
    PassageSource,
    RedFlag,
    SeekCare,
    SelfCareItem,
    Urgency,
)
from rag.audit.record import (
    ConsultationRecord,
    FailurePart,
    GenerationPart,
    PromptPart,
    RequestPart,
    RetrievalPart,
    RetrievedPassage,
    TriagePart,
    UrgencyPart,
    VerificationPart,
)
from rag.audit.sessions import SessionMemory
from rag.backends import Backends
from rag.errors import ClinragError
from rag.knowledge.embedders.base import Embedder
from rag.knowledge.embedders.batching import RequestEmbedder
from rag.knowledge.search import PatientContext, Retrieval, allowed_documents, retrieve
from rag.safety.similar_cases import raise_by_similar_cases
from rag.safety.triage import TriageResult
from rag.safety.urgency import (
    Facts,
    UrgencyDecision,
    decide_urgency,
    escalate_by_model,
    extract_facts,
    fallback_department,
    valid_department,
)
from rag.safety.urgency.facts import recently_pregnant
from rag.text import detect_language, words
from rag.types import Passage

__all__ = ["consult", "ConsultOutcome", "condense_history", "triage_only_advice", "DISCLAIMERS"]

log = logging.getLogger("clinrag.consult")

DISCLAIMERS = {
    "en": ("This is general information from clinical guidelines ({what}), not a diagnosis or a substitute for a clinician. "
           "If you think this is an emergency, call your local emergency number now."),
    "zh": ("以上为依据临床指南整理的一般性信息（{what}），不是诊断，也不能替代医生面诊。"
           "如认为情况紧急，请立即拨打120或前往最近的急诊。"),
}
_ABSTAIN = {
    "en": "The knowledge base has no guideline passage that covers this question well enough, so no advice is given. Please see a clinician.",
    "zh": "知识库中没有足以回答此问题的指南内容，因此不提供建议。请咨询医生。",
}
_ALL_FAILED = {
    "en": ("Guideline passages on this were found, but none of the generated advice could be verified against them, "
           "so none is shown."),
    "zh": "找到了相关的指南内容，但生成的建议均未通过与指南原文的核对，因此不予显示。",
}
_DEGRADED = {
    "en": ("Only the safety check of your description could be completed ({what} failed), so no guideline advice is "
           "shown. The urgency above still applies."),
    "zh": "只完成了对您描述的安全筛查（{what}失败），因此未给出指南建议。上面的紧急程度仍然适用。",
}
_EMERGENCY = {
    "en": "Warning signs of an emergency were found in your description. Seek emergency care now (call your local emergency number).",
    "zh": "您的描述中出现了急症危险信号。请立即就医（拨打120或前往急诊）。",
}
_URGENT_ASSESS = {"en": " — to be assessed urgently", "zh": "（需紧急评估）"}


@dataclass(slots=True)
class ConsultOutcome:
    advice: Advice
    audit_seq: int | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)


Language = Literal["en", "zh"]
_URGENCY: dict[str, Urgency] = {"emergency": "emergency", "urgent": "urgent", "soon": "soon", "routine": "routine",
                                "self_care": "self_care"}
assert tuple(_URGENCY) == URGENCY_ORDER


@dataclass(slots=True)
class Intake:
    """The request after de-identification: what every later step may see and store."""

    language: Language
    symptoms: str
    context: dict[str, str]
    earlier: list[str]
    condensed_away: list[str]
    query: str


@dataclass(slots=True)
class Evidence:
    """Retrieved passages plus every care-criterion passage of the guidelines they come from."""

    found: Retrieval
    criteria_passages: list[Passage]
    ranked_doc_ids: list[str]
    topic_doc_ids: list[str] = field(default_factory=list)  # the guidelines about the complaint (the answer's anchor first)
    named: list[Passage] = field(default_factory=list)  # chosen guidelines retrieval did not reach: one passage each
    # the anchor, when it is about the complaint only through its warning signs (extractive.weak_anchor)
    warning_signs_only: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Composed:
    """The advice before urgency is decided, and the record's status so far."""

    advice: Advice
    status: str
    model_level: str | None = None
    model_cited: list[Passage] = field(default_factory=list)


@dataclass(slots=True)
class _Clock:
    t0: float = field(default_factory=time.perf_counter)
    last: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    step: str = "validate"

    def start(self, step: str) -> None:
        self.step = step

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round((now - self.last) * 1000, 2)
        self.last = now

    def total(self) -> float:
        self.timings["total"] = round((time.perf_counter() - self.t0) * 1000, 2)
        return self.timings["total"]


# --- condensing a long history ----------------------------------------------------------------


def condense_history(history: str, symptoms: str, max_chars: int = 600) -> str:
    """Keep the history sentences that share the most words with the symptoms, in their order (never "" for a
    non-empty history: an over-long sentence is cut at a word boundary)."""
    kept, _ = _condense(history, symptoms, max_chars)
    return kept


def _condense(history: str, symptoms: str, max_chars: int) -> tuple[str, list[str]]:
    sentences = [s.strip() for s in re.split(r"(?<=[.!?。！？；;\n])\s*", history) if s.strip()]
    if sum(len(s) for s in sentences) <= max_chars:
        return " ".join(sentences), []
    # an unpunctuated record is one long "sentence": split it into pieces that can fit
    pieces: list[str] = []
    for s in sentences:
        while len(s) > max_chars:
            cut = s.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            pieces.append(s[:cut].strip())
            s = s[cut:].strip()
        if s:
            pieces.append(s)
    q = set(words(symptoms))
    ranked = sorted(range(len(pieces)), key=lambda i: -len(q & set(words(pieces[i]))))
    keep: set[int] = set()
    used = 0
    for i in ranked:
        if used + len(pieces[i]) > max_chars:
            continue
        keep.add(i)
        used += len(pieces[i])
    return " ".join(pieces[i] for i in sorted(keep)), [pieces[i] for i in range(len(pieces)) if i not in keep]


# --- the steps --------------------------------------------------------------------------------


def _deidentify(request: ConsultRequest, sessions: SessionMemory | None, caller: str) -> Intake:
    from rag.safety.deid import safe_age, scrub

    language: Language = "zh" if (request.language or detect_language(request.symptoms)) == "zh" else "en"
    symptoms = scrub(request.symptoms)
    context: dict[str, str] = {}
    condensed_away: list[str] = []
    if request.age is not None:
        context["age"] = safe_age(request.age)
    if request.sex:
        context["sex"] = request.sex
    if request.pregnant is not None:
        context["pregnant"] = "yes" if request.pregnant else "no"
    if request.duration:
        context["duration"] = scrub(request.duration)
    if request.history:
        context["history"], condensed_away = _condense(scrub(request.history), symptoms, 600)
    if request.medications:
        context["medications"] = scrub(", ".join(request.medications))
    if request.allergies:
        context["allergies"] = scrub(", ".join(request.allergies))
    earlier: list[str] = []
    if request.session_id and sessions is not None:
        # a session is the caller's own: another key sending the same id starts afresh
        earlier = sessions.earlier(request.session_id, owner=caller)
        if earlier:
            context["earlier turns"] = " | ".join(earlier)
    # the search reads shorthand in words ("SOB", "cp x2h", "N/V") and a pinyin keyboard's typos corrected (头通 -> 头痛)
    from rag.safety.spelling import search_words

    query = search_words(" ".join([symptoms, context.get("duration", ""), *earlier]).strip())
    return Intake(language=language, symptoms=symptoms, context=context, earlier=earlier, condensed_away=condensed_away,
                  query=query)


def _scrubbed(flags: list[RedFlag]) -> list[RedFlag]:
    """What a rule matched is shown and recorded: de-identified like everything else the patient wrote (a
    combination's match spans the text between its parts, which can hold a name or a photo's file name)."""
    from rag.safety.deid import scrub

    return [f.model_copy(update={"matched_text": scrub(f.matched_text)}) if f.matched_text else f for f in flags]


def _triage(request: ConsultRequest, intake: Intake, embedder: Embedder | None = None) -> tuple[TriageResult, Facts]:
    from rag.safety.triage import triage

    # triage reads the patient's words as written (never logged); history is excluded on purpose:
    # "had a stroke in 2019" is not an emergency today
    text = " ".join([request.symptoms, request.duration or "", *intake.earlier])
    tri = triage(text, age=request.age, pregnant=request.pregnant, language=intake.language, embedder=embedder)
    tri = dataclasses.replace(tri, red_flags=_scrubbed(tri.red_flags))
    # the ladder reads the words as the red-flag layers do: typos, text-speak and run-ons normalised
    # (rag.safety.spelling); the record and the answer keep the patient's own text
    from rag.safety.spelling import normalise

    facts = extract_facts(normalise(" ".join([request.symptoms, *intake.earlier])), age=request.age, sex=request.sex,
                          pregnant=request.pregnant, duration=request.duration)
    return tri, facts


def _patient(request: ConsultRequest) -> PatientContext:
    pregnant = request.pregnant
    if pregnant is False and request.sex != "male" and recently_pregnant(request.symptoms):
        # not pregnant now, but a pregnancy has just ended (a miscarriage 17 days ago, a birth 6 days ago): the pregnancy
        # guidelines' after-a-miscarriage and after-birth criteria are about her, so they are not filtered out
        pregnant = None
    return PatientContext(age=request.age, sex=request.sex if request.sex in {"female", "male"} else None, pregnant=pregnant)


def _retrieve(request: ConsultRequest, intake: Intake, backends: Backends, embedder: Embedder | None = None,
              red_flags: tuple[str, ...] = (), facts: Facts | None = None) -> Evidence:
    patient = _patient(request)
    found = retrieve(intake.query, embedder or backends.embedder, backends.store, backends.settings, patient)
    ranked = list(dict.fromkeys(p.doc_id for p in found.passages))
    criteria: list[Passage] = list(found.passages)
    topic: list[str] = []
    named: list[Passage] = []
    weak: list[str] = []
    if found.sufficient:
        from rag.answer.evidence import candidate_documents, patient_groups
        from rag.answer.generators.extractive import matching_documents, weak_anchor

        # the care criteria of every retrieved guideline, and of the guidelines written for this patient's
        # group (pregnancy, young babies), even when the passage that holds them ranked lower
        snapshot = backends.store.snapshot()
        allowed, _ = allowed_documents(snapshot.active, patient)
        # passages read by document rather than by search skip what screening holds back, as search does
        blocked = snapshot.blocked
        young = request.age is not None and request.age < 0.25
        wanted = [v for v in allowed if v.doc_id in ranked or (request.pregnant and "pregnant" in v.groups)
                  or (young and "infant" in v.groups and "child" not in v.groups)]
        criteria = [p for p in backends.store.passages_of(wanted) if p.chunk_id not in blocked]
        # guidelines retrieval did not reach that the complaint names by title, or that are written for this
        # patient's group, may be chosen too (Chinese retrieval often ranks other guidelines first)
        groups = patient_groups(request.age, request.sex, request.pregnant, intake.query)
        if patient.pregnant is None and request.pregnant is False:
            # a pregnancy that has just ended (see _patient): the pregnancy guidelines, written for pregnancy and the
            # year after a birth, are her group's when the answer chooses its guidelines ("生完孩子第6天…头疼…血压150/100");
            # which of their sentences suit her is still read from what she said (not pregnant now)
            groups.add("pregnant")
        extra = candidate_documents(found.passages, allowed, backends.store, intake.query, intake.language, patient=groups,
                                    red_flags=red_flags, blocked=blocked)
        extra_docs = [v for v in allowed if v.doc_id in {p.doc_id for p in extra} and v.doc_id not in {w.doc_id for w in wanted}]
        context = [*criteria, *(p for p in backends.store.passages_of(extra_docs) if p.chunk_id not in blocked)]
        # the guidelines about this complaint (the answer's own choice, read from the whole of each candidate
        # guideline), then retrieval's order: where two guidelines' criteria are equally urgent, the one about
        # the complaint is quoted
        # the candidates whose own criteria, met by the patient's facts, send them to a clinician the same day or sooner:
        # the chief complaint's guideline among them leads the answer (matching_documents)
        pressing = frozenset(_pressing(facts, context, intake.language)) if facts is not None else frozenset()
        topic = matching_documents([*found.passages, *extra], intake.query, intake.language, groups, context=context,
                                   red_flags=red_flags, pressing=pressing)
        named = [p for p in extra if p.doc_id in topic]
        # read from the whole anchor guideline, as the choice was
        weak = topic[:1] if topic and weak_anchor([*context, *found.passages, *extra], topic[0], intake.query, intake.language) else []
        criteria = [*criteria, *(p for p in context[len(criteria):] if p.doc_id in topic)]
        ranked = list(dict.fromkeys([*topic, *ranked]))
    return Evidence(found=found, criteria_passages=criteria, ranked_doc_ids=ranked, topic_doc_ids=topic, named=named,
                    warning_signs_only=weak)


def _pressing(facts: Facts, passages: list[Passage], language: str) -> set[str]:
    """The guidelines among `passages` with a criterion the patient's facts meet at the same-day or emergency level."""
    decision = decide_urgency(facts, passages, red_flag_labels=[], language=language)
    return {m.criterion.passage.doc_id for m in decision.matches if m.level in {"emergency", "urgent"}}


def _guideline_red_flags(request: ConsultRequest, intake: Intake, evidence: Evidence, tri: TriageResult,
                         embedder: Embedder, record: ConsultationRecord) -> TriageResult:
    """Triage's third layer: the retrieved guidelines' own red-flag sentences, matched against the patient's
    clauses, escalate to emergency and are cited (a new guideline extends triage without a code change)."""
    from rag.safety.guideline_flags import guideline_red_flags

    found = _scrubbed(guideline_red_flags(request.symptoms, evidence.criteria_passages, intake.language, embedder,
                                           request.age))
    if not found:
        return tri
    tri = dataclasses.replace(tri, urgency="emergency", red_flags=[*tri.red_flags, *found])
    record.triage.red_flags = [f.model_dump() for f in tri.red_flags]
    return tri


def _retrieval_part(found: Retrieval) -> RetrievalPart:
    return RetrievalPart(
        best_dense=round(found.best_dense, 4), sufficient=found.sufficient, candidates=found.candidates,
        filtered_out_docs=found.filtered_out_docs,
        passages=[RetrievedPassage.of(i, p) for i, p in enumerate(found.passages, start=1)],
    )


def _generate(request: ConsultRequest, intake: Intake, evidence: Evidence, tri: TriageResult, backends: Backends,
              record: ConsultationRecord) -> tuple[GenerationResult, str]:
    from rag.answer.evidence import complete_sections, patient_groups
    from rag.answer.prompt import render_prompt

    found = evidence.found
    # the chosen guidelines retrieval did not reach, then the matched guideline's self-care, see-a-clinician and
    # test sections, when retrieval missed them
    found.passages = complete_sections([*found.passages, *evidence.named], backends.store, intake.query, intake.language,
                                       patient=patient_groups(request.age, request.sex, request.pregnant, intake.query),
                                       documents=evidence.topic_doc_ids, blocked=backends.store.snapshot().blocked)
    if record.retrieval is not None:  # the audit lists every passage the prompt numbers
        record.retrieval.passages += [RetrievedPassage.of(i, p, via=p.extra["via"])
                                      for i, p in enumerate(found.passages, start=1) if p.extra.get("via")]
    prompt = render_prompt(intake.query, found.passages, intake.language, intake.context)
    record.prompt = PromptPart(template_id=prompt.template_id, text=prompt.text)
    result = backends.generator.generate(GenerationRequest(
        query=intake.query, language=intake.language, passages=found.passages, messages=prompt.messages,
        triage_urgency=tri.urgency, red_flags=tuple(f.label for f in tri.red_flags), age=request.age, sex=request.sex,
        pregnant=request.pregnant, documents=tuple(evidence.topic_doc_ids), warning_signs_only=tuple(evidence.warning_signs_only)))
    record.generation = GenerationPart(backend=result.backend, model=result.model, params=result.params,
                                       raw_output=result.raw_output, attempts=result.attempts, error=result.error)
    return result, prompt.template_id


def _verify(trace_id: str, intake: Intake, tri: TriageResult, result: GenerationResult, found: Retrieval,
            prompt_version: str, record: ConsultationRecord) -> Composed:
    from rag.safety.verify import verify

    language = intake.language
    if result.draft is None:
        return Composed(_bare_advice(trace_id, language, tri, result.backend, result.model, prompt_version,
                                     [f"abstained: the model's output could not be used ({result.error})"],
                                     _ABSTAIN[language]), "abstained")
    checked = verify(result.draft, found.passages)
    record.verification = VerificationPart(items=checked.verdicts, notes=checked.notes)
    seek = checked.seek_care
    has_items = bool(checked.conditions or checked.self_care or checked.tests or (seek is not None and seek.reason))
    notes = list(checked.notes)
    if not has_items:
        notes.append("abstained: passages were found but no generated item survived citation checks")
    used = {n for c in checked.conditions for n in c.citations} | {n for i in checked.self_care for n in i.citations}
    used |= {n for t in checked.tests for n in t.citations}
    used |= set(seek.citations) if seek is not None and seek.reason else set()
    quoted_ids = {c.chunk_id for c in checked.citations if c.n in used}
    quoted_languages = {p.language for p in found.passages if p.chunk_id in quoted_ids}
    if has_items and quoted_languages - {language}:
        # a Chinese question answered from an English guideline (no Chinese guideline matched it): said, not hidden;
        # and said truthfully when the answer quotes a guideline in its own language too
        notes.append(OTHER_LANGUAGE_NOTES["some" if language in quoted_languages else "all"][language])
    what = _describe(result.backend, result.model, language)
    draft_seek = seek or SeekCare(needed=True, urgency="soon", department="", reason="", citations=[])
    advice = Advice(
        trace_id=trace_id, language=language, urgency=draft_seek.urgency, red_flags=list(tri.red_flags),
        evidence_sufficient=has_items, possible_conditions=checked.conditions, self_care=checked.self_care,
        seek_care=draft_seek if has_items else draft_seek.model_copy(update={"reason": _ALL_FAILED[language]}),
        suggested_tests=checked.tests, citations=checked.citations,
        generator=GeneratorInfo(backend=result.backend, model=result.model, prompt_version=prompt_version, description=what),
        disclaimer=DISCLAIMERS[language].format(what=what), notes=notes, status="ok" if has_items else "abstained",
    )
    by_n = {c.n: c.chunk_id for c in checked.citations}
    cited = [p for p in found.passages if p.chunk_id in {by_n.get(n) for n in draft_seek.citations}]
    return Composed(advice, "ok" if has_items else "abstained", model_level=draft_seek.urgency if seek else None,
                    model_cited=cited)


def _decide(composed: Composed, tri: TriageResult, facts: Facts, evidence: Evidence | None, language: Language,
            record: ConsultationRecord, text: str = "", *, similar_cases: bool = False) -> Advice:
    """The final urgency and seek-care advice from the ladder; emergency answers lose reassurance."""
    from rag.safety.urgency import out_of_scope

    passages = evidence.criteria_passages if evidence is not None and evidence.found.sufficient else []
    labels = [f.label for f in tri.red_flags]
    ranked = evidence.ranked_doc_ids if evidence is not None else []
    # the guidelines about the complaint, once the answer rests on them (an answer with nothing else in it keeps the
    # quote it rests on, whichever guideline holds it)
    topic = list(evidence.topic_doc_ids) if evidence is not None and composed.advice.evidence_sufficient else []
    decision = decide_urgency(facts, passages, red_flag_labels=labels, language=language, ranked_doc_ids=ranked,
                              topic_doc_ids=topic)
    if topic and decision.passage is not None and decision.passage.doc_id not in topic:
        # the level comes from every retrieved guideline, but the reason quotes the guideline about the complaint
        # when its own criteria lead to the same level (a back-pain answer does not quote the UTI guideline's
        # "not better after..." when the back-pain guideline says as much, or nothing more urgent), and a criterion
        # of the complaint's own guideline that matches is the one that applies below an emergency (a cough of
        # 5 weeks is the chronic-cough guideline's "more than 3 weeks", not the cold guideline's "more than 10 days");
        # another guideline's emergency criteria hold everywhere
        own = decide_urgency(facts, [p for p in passages if p.doc_id in topic], red_flag_labels=labels, language=language,
                             ranked_doc_ids=ranked, topic_doc_ids=topic)
        if decision.level == "emergency" and decision.basis == "criterion" and own.basis == "criterion" \
                and decision.passage is not None and _one_word(decision):
            # another guideline's warning sign matched on one word alone ("tingling" in the sprains guideline's
            # "the hand below the injury is numb or tingling" for sciatica; "怕光" of the fever guideline's "剧烈头痛伴脖子
            # 发硬、怕光" for a migraine) is not this complaint's emergency when a criterion of its own guideline holds;
            # the other guidelines still count below it (a smoker's month of hoarseness is the chronic-cough guideline's
            # prompt review, once the allergy guideline's "声音嘶哑" with a swollen throat is set aside)
            one_word_doc = decision.passage.doc_id
            decision = decide_urgency(facts, [p for p in passages if p.doc_id != one_word_doc], red_flag_labels=labels,
                                      language=language, ranked_doc_ids=ranked, topic_doc_ids=topic)
            if decision.passage is None or decision.passage.doc_id in topic or decision.level == "emergency":
                decision = own
        decision = _own_or_other(decision, own, language)
        decision = _about_another_complaint(decision, own, text, language, topic)
    if decision.passage is not None and decision.passage.language != language and decision.basis == "criterion":
        # equally urgent criteria: one in the answer's language is quoted before another language's (a Chinese question
        # about a fever with high sugars quotes 《成人发热》 or 《2型糖尿病》, not an English guideline, when one says as much);
        # the level is the ladder's either way
        # (but not another complaint's guideline over the complaint's own: a known asthmatic child's night cough told in
        # Chinese quotes the English asthma guideline's criterion, not 《儿童发热》's "孩子有慢性病", when the two are equally
        # urgent; the answer already says it quotes a guideline in another language)
        same = decide_urgency(facts, [p for p in passages if p.language == language], red_flag_labels=labels,
                              language=language, ranked_doc_ids=ranked, topic_doc_ids=topic)
        # (nor where the own guideline's grounds would be told in its language: "依据：您提到severe" is no Chinese reason)
        if same.level == decision.level and same.basis == "criterion" and same.passage is not None and (
                decision.passage.doc_id not in topic or same.passage.doc_id in topic or _foreign_grounds(decision.reason, language)):
            decision = same
    if composed.status == "abstained" and decision.basis == "no_criterion":
        # nothing in the guidelines and nothing clinical in the question: outside what clinrag covers
        decision = out_of_scope(facts, text, language) or decision
    if composed.model_level is not None:
        decision = escalate_by_model(decision, composed.model_level, composed.model_cited, facts, language)
    if similar_cases:
        # below same day, a presentation like the labelled ones that needed a same-day assessment is raised to it
        # (the nearest same-day criterion it quotes is one of the complaint's own guidelines', where they are known: a
        # possible heart attack told as "心口烧" is not given the diabetes guideline's same-day line as its nearest one)
        decision = raise_by_similar_cases(decision, text, facts, [p for p in passages if p.doc_id in topic] if topic else passages,
                                          language, ranked)
    record.urgency = UrgencyPart.of(decision, composed.model_level)
    advice = _apply_urgency(composed.advice, decision, facts, language)
    if decision.basis == "red_flag" and decision.passage is not None and not advice.evidence_sufficient:
        # an emergency answer rests on the guideline red flag it quotes, even when nothing else was composed
        note = ("emergency: the answer is the emergency instruction and the guideline red flag it quotes; "
                "no other item was composed")
        advice = advice.model_copy(update={"evidence_sufficient": True, "status": "ok", "notes": [
            *(n for n in advice.notes if not n.startswith("abstained: passages were found")), note]})
    return advice


def _own_or_other(decision: UrgencyDecision, own: UrgencyDecision, language: str) -> UrgencyDecision:
    """Of the ladder's decision from every retrieved guideline and the one from the guidelines about the complaint (`own`),
    the one whose reason the answer gives."""
    if decision.passage is None or decision is own:
        return decision
    if own.level == decision.level and (own.basis == "criterion" or decision.basis != "criterion"
                                        or decision.passage.language != language):
        # (another guideline's criterion in the answer's language is kept over the complaint's own guideline saying
        # only "no criterion": six weeks of looser stools quote the abdominal-pain guideline's "change in bowel habit")
        return own
    if own.basis == "criterion" and decision.level != "emergency" and not (
            decision.top is not None and own.top is not None
            and ((decision.top.on_a_sign and own.top.on_time_alone)
                 or (decision.top.signs and own.top.signs <= decision.top.signs))):
        # (but a sign the patient names that another guideline sends sooner is not outweighed by the complaint's own
        # guideline matching on how long it has lasted: a smoker's cough of two months is the chronic-cough
        # guideline's "a cough and you are a smoker" (within days), not the Chinese cough guideline's "咳嗽超过3周";
        # nor by its own criterion on the same signs: a hoarse voice of a month is the chronic-cough guideline's "a
        # hoarse voice for more than 3 weeks" (a prompt review), not only the Chinese "声音嘶哑超过3周：可看耳鼻喉科")
        return own
    return decision


def _about_another_complaint(decision: UrgencyDecision, own: UrgencyDecision, text: str, language: str,
                             topic: list[str]) -> UrgencyDecision:
    """The complaint's own guidelines' decision (`own`) instead of another guideline's criterion that is about a complaint
    the patient does not have, where that costs no urgency: below an emergency, when `own` gives the same level, the
    patient names nothing of the other guideline's title and the criterion matched on no sign the patient names beyond
    that guideline's own subject (Match.signs). A criterion is written for its guideline's subject: the vomiting
    guideline's "you are pregnant and cannot keep food or drink down" is no reason for a pregnant woman's stinging pee,
    nor the UTI guideline's "not better after 2 days" for three weeks of vaginal discharge, nor 《咳嗽》's "反复发热" for
    eczema that keeps coming back (where the own guidelines say "no criterion, but within a few days", the answer says
    that). The level never changes here."""
    p = decision.passage
    if p is None or p.doc_id in topic or decision.basis != "criterion" or decision.level == "emergency" or not text:
        return decision
    if own.level != decision.level:
        return decision  # the other guideline's criterion sets the level: kept, and quoted
    if decision.top is not None and decision.top.signs:
        return decision  # it matched on a sign the patient names ("a change in bowel habit" for six weeks of looser stools)
    if decision.top is not None and decision.top.on_time_alone:
        # how long something has lasted says nothing of whether the criterion is about this complaint (asthma "since
        # childhood" is no cough of three years; the chronic-cough guideline's "any cough lasting more than 3 weeks")
        return own
    from rag.answer.generators.extractive import names_subject

    return decision if names_subject(text, p.title, language, p.language) else own


_QUOTED = re.compile(r"“[^”]*”|《[^》]*》|\"[^\"]*\"")


def _foreign_grounds(reason: str, language: str) -> bool:
    """True when a Chinese reason holds English words outside its quotations and titles (the grounds of an English
    criterion's match)."""
    return language == "zh" and bool(re.search(r"[A-Za-z]{2,}", _QUOTED.sub(" ", reason)))


def _one_word(decision: UrgencyDecision) -> bool:
    """True when the decision's criterion matched on one word the patient used and nothing else (no reading, age,
    duration or second word)."""
    top = decision.top
    return top is not None and top.on_a_sign and not re.search(r"[,;，；]", top.grounds)


def _guard(advice: Advice, record: ConsultationRecord) -> Advice:
    """Serve-time safety net (rag.safety.screen.guard_advice): drop items that stand the patient down
    against the urgency, speak to a model or state a dose above the table; what it drops is audited."""
    from rag.safety.screen import guard_advice

    guarded, dropped = guard_advice(advice, advice.urgency)
    if dropped.dropped:
        record.guard = dropped.dropped
    return guarded


def _apply_urgency(advice: Advice, decision: UrgencyDecision, facts: Facts, language: Language) -> Advice:
    citations = list(advice.citations)
    seek_cites: list[int] = []
    if decision.passage is not None:
        n = next((c.n for c in citations if c.chunk_id == decision.passage.chunk_id), None)
        if n is None:
            n = max((c.n for c in citations), default=0) + 1
            p = decision.passage
            citations.append(Citation(n=n, **PassageSource.fields_of(p), quote=p.text, retrieval_score=round(p.score, 4),
                                      support="supported", active=p.active))
        seek_cites = [n]
    level = _URGENCY[decision.level]
    emergency = level == "emergency"
    department = advice.seek_care.department
    if decision.basis == "out_of_scope":
        department = ""
    elif emergency or not valid_department(department) or re.search(r"emergency|a&e|急诊", department, re.IGNORECASE):
        # the emergency department only for an emergency: a referral sentence that names it ("swallowing emergencies
        # belong in the emergency department") does not make it the place for a same-day or self-care answer
        department = fallback_department(level, facts, language)
    reason = decision.reason
    if emergency and _EMERGENCY[language] not in reason:
        reason = f"{_EMERGENCY[language]} {reason}"
    seek = SeekCare(needed=level != "self_care" and decision.basis != "out_of_scope", urgency=level, department=department, reason=reason, citations=seek_cites)
    update: dict[str, object] = {"urgency": level, "seek_care": seek, "citations": citations}
    from rag.answer.generators.extractive import NO_TESTS, RED_FLAG_TESTS

    if level not in {"self_care", "routine"}:
        # "many short fevers need no tests", "scans are not routinely needed": reassurance for an answer managed at home,
        # not for one that sends the patient to a clinician (whichever generator wrote it)
        tests = [t for t in advice.suggested_tests if not NO_TESTS.search(f"{t.test} {t.reason}")]
    else:
        # and the other way round: tests for "when red flags are present" are not for an answer managed at home
        tests = [t for t in advice.suggested_tests if not RED_FLAG_TESTS.search(t.reason)]
    if len(tests) < len(advice.suggested_tests):
        update["suggested_tests"] = tests
    if emergency:
        # no reassurance under an emergency: only first-aid steps that cite an emergency section survive,
        # and conditions are named only as what the emergency team will assess
        red = {c.n for c in citations if re.search(r"red flag|emergency|危险信号|急症|立即就医", c.section, re.IGNORECASE)}
        first_aid = [s for s in advice.self_care if s.citations and set(s.citations) <= red]
        dropped = len(advice.self_care) - len(first_aid)
        update["self_care"] = [SelfCareItem(advice=s.advice, confidence=s.confidence, citations=s.citations, support=s.support)
                               for s in first_aid]
        # (in the item's own language: an English condition quoted into a Chinese answer gets the English words, so
        # that no item mixes languages)
        update["possible_conditions"] = [
            c if c.name.endswith(tuple(_URGENT_ASSESS.values())) else
            Condition(name=c.name + _URGENT_ASSESS[detect_language(f"{c.name} {c.rationale}")], icd10=c.icd10,
                      rationale=c.rationale, confidence=c.confidence, citations=c.citations, support=c.support)
            for c in advice.possible_conditions]
        if dropped:
            update["notes"] = [*advice.notes, f"emergency: {dropped} self-care item(s) not from an emergency section withheld"]
    return advice.model_copy(update=update)


def _bare_advice(trace_id: str, language: Language, tri: TriageResult, backend: str, model: str, prompt_version: str,
                 notes: list[str], reason: str, status: str = "abstained") -> Advice:
    """An answer without guideline items: the triage result, a reason, and the notes saying why."""
    emergency = tri.urgency == "emergency"
    return Advice(
        trace_id=trace_id, language=language, urgency="emergency" if emergency else "soon", red_flags=list(tri.red_flags),
        evidence_sufficient=False, possible_conditions=[], self_care=[], suggested_tests=[], citations=[],
        seek_care=SeekCare(needed=True, urgency="emergency" if emergency else "soon", department="",
                           reason=_EMERGENCY[language] if emergency else reason, citations=[]),
        generator=GeneratorInfo(backend=backend, model=model, prompt_version=prompt_version,
                                description=_describe(backend, model, language)),
        disclaimer=DISCLAIMERS[language].format(what=_describe(backend, model, language)), notes=notes,
        status="degraded" if status == "degraded" else "abstained",
    )


def _describe(backend: str, model: str, language: str) -> str:
    if backend == "extractive":
        return "抽取式：直接引用指南原文，未使用语言模型" if language == "zh" else "extractive: quoted from guideline passages, no language model"
    if not backend:
        return "仅安全筛查，未生成建议" if language == "zh" else "safety check only, no advice generated"
    if language == "zh":
        return f"由语言模型 {model} 依据所引用指南生成，并经引文核对"
    return f"written by the language model {model} from the cited guideline passages, with citations checked"


_STEP_WORDS = {
    "en": {"retrieve": "searching the guidelines", "generate": "writing the answer", "verify": "checking the answer",
           "decide urgency": "deciding the urgency", "deadline": "answering in time"},
    "zh": {"retrieve": "检索指南", "generate": "生成回答", "verify": "核对回答", "decide urgency": "判断紧急程度",
           "deadline": "按时作答"},
}


def _degraded(trace_id: str, language: Language, tri: TriageResult, facts: Facts, evidence: Evidence | None, step: str,
              exc_name: str, record: ConsultationRecord) -> Advice:
    what = _STEP_WORDS[language].get(step, step)
    note = f"degraded: {step} failed ({exc_name}); the answer carries the triage result and urgency only"
    bare = _bare_advice(trace_id, language, tri, "", "", "", [note], _DEGRADED[language].format(what=what), status="degraded")
    try:
        advice = _decide(Composed(bare, "degraded"), tri, facts, evidence, language, record)
    except Exception:  # the ladder itself failed: triage alone decides, and says so (once: the bare reason is that)
        log.exception("urgency ladder failed for %s", trace_id)
        advice = bare
    said = _DEGRADED[language].format(what=what)
    reason = advice.seek_care.reason if advice.seek_care.reason.endswith(said) else f"{advice.seek_care.reason} {said}"
    return advice.model_copy(update={"seek_care": advice.seek_care.model_copy(update={"reason": reason}),
                                     "evidence_sufficient": False, "status": "degraded"})


def triage_only_advice(request: ConsultRequest, trace_id: str, step: str, error_type: str = "DeadlineExceeded",
                       message: str = "no answer within the request deadline") -> tuple[Advice, ConsultationRecord]:
    """The answer and record for a consultation that could not finish (deadline, or a failure outside the
    steps): de-identify, triage, urgency without evidence."""
    intake = _deidentify(request, None, "")
    tri, facts = _triage(request, intake)
    record = _new_record(request, intake, tri)
    advice = _degraded(trace_id, intake.language, tri, facts, None, step, error_type, record)
    record.failure = FailurePart(step=step, error_type=error_type, message=message)
    record.answer = advice
    return advice, record


def _new_record(request: ConsultRequest, intake: Intake, tri: TriageResult) -> ConsultationRecord:
    req = RequestPart(symptoms=intake.symptoms, language=intake.language, context=intake.context,
                      session_id=request.session_id)
    if intake.condensed_away:
        req.condensed_away = intake.condensed_away  # audited although left out of the prompt
    return ConsultationRecord(
        request=req, triage=TriagePart(rules_version=tri.rules_version, red_flags=[f.model_dump() for f in tri.red_flags]))


# --- the pipeline -----------------------------------------------------------------------------


def consult(request: ConsultRequest, backends: Backends, *, caller: str = "cli", trace_id: str | None = None,
            deadline: float | None = None) -> ConsultOutcome:
    """Run the pipeline; the audit record is committed before the answer is returned.

    `deadline` (a time.monotonic() value) is the caller's: when the answer is ready only after it, the
    record is kept under `<trace_id>-late` (status `completed_after_deadline`), because the caller
    already answered and recorded the triage-only answer under the trace id itself."""
    from rag.answer.prompt import PROMPT_VERSION

    trace_id = trace_id or uuid.uuid4().hex
    clock = _Clock()
    sessions = backends.sessions
    # the patient's clauses are embedded by the meaning layer and again by the guideline red-flag layer:
    # once per request is enough (nothing is kept after the request)
    embedder = RequestEmbedder(backends.embedder)
    clock.start("deidentify")
    intake = _deidentify(request, sessions, caller)
    clock.lap("deidentify")
    clock.start("triage")
    tri, facts = _triage(request, intake, embedder)
    clock.lap("triage")
    record = _new_record(request, intake, tri)
    language = intake.language
    evidence: Evidence | None = None
    try:
        clock.start("retrieve")
        evidence = _retrieve(request, intake, backends, embedder, tuple(f.label for f in tri.red_flags), facts)
        record.retrieval = _retrieval_part(evidence.found)
        clock.lap("retrieve")
        tri = _guideline_red_flags(request, intake, evidence, tri, embedder, record)
        if not evidence.found.sufficient:
            gen = backends.generator
            composed = Composed(_bare_advice(trace_id, language, tri, gen.backend, gen.model, PROMPT_VERSION,
                                             ["abstained: no guideline passage reached the relevance floor"],
                                             _ABSTAIN[language]), "abstained")
        else:
            clock.start("generate")
            result, template_id = _generate(request, intake, evidence, tri, backends, record)
            clock.lap("generate")
            clock.start("verify")
            composed = _verify(trace_id, intake, tri, result, evidence.found, template_id, record)
            clock.lap("verify")
        clock.start("decide urgency")
        advice = _decide(composed, tri, facts, evidence, language, record, intake.query,
                         similar_cases=backends.settings.similar_cases)
        advice = _guard(advice, record)
        clock.lap("urgency")
        status = advice.status if composed.status == "abstained" else composed.status
    except Exception as exc:  # noqa: BLE001 - any failure after triage still answers with the triage result
        name = type(exc).__name__
        log.warning("consultation %s: step %s failed (%s); answering with the triage result", trace_id, clock.step, name)
        message = str(exc) if isinstance(exc, ClinragError) else f"{name} (details in the server log)"
        if not isinstance(exc, ClinragError):
            log.debug("step %s failed", clock.step, exc_info=True)
        record.failure = FailurePart(step=clock.step, error_type=name, message=message[:500])
        record.error = f"{name}: {message[:500]}"
        advice = _degraded(trace_id, language, tri, facts, evidence if clock.step != "retrieve" else None, clock.step,
                           name, record)
        status = "degraded"
    clock.total()
    record_id = trace_id
    if deadline is not None and time.monotonic() > deadline:
        status, record_id = "completed_after_deadline", f"{trace_id}-late"
    record.answer = advice
    record.latency_ms = clock.timings
    stored = backends.audit.append(trace_id=record_id, kind="consultation", caller=caller, status=status,
                                   payload=record.to_payload())
    if request.session_id:
        sessions.add(request.session_id, intake.symptoms, owner=caller)
    # no patient text in logs: ids, counts and timings only
    log.info("consultation %s status=%s urgency=%s red_flags=%d passages=%d total_ms=%.0f", trace_id, status,
             advice.urgency, len(advice.red_flags), len(advice.citations), clock.timings["total"])
    return ConsultOutcome(advice=advice, audit_seq=stored.seq, timings_ms=clock.timings)
