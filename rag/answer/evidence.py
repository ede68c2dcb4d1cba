"""Complete the evidence from the guideline that matches the complaint.

Retrieval returns the k passages nearest to the patient's words, which are usually the guideline's
description and warning signs; the same guideline's self-care, when-to-see-a-clinician and test
sections often rank just below k. An answer anchored on one guideline should be able to quote
them, so the matched document's sections for the roles the answer needs are added (a few chunks,
read from the store by document version, marked `extra["via"] = "matched document"`)."""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from rag.answer.generators.extractive import _patient_groups as patient_groups
from rag.answer.generators.extractive import (
    about_terms,
    drugs_named,
    english_bridge,
    guideline_drugs,
    guideline_sentences,
    label_names_english_title,
    label_names_title,
    matching_documents,
    names_by_reading,
    names_title,
)
from rag.knowledge.roles import heading_role, sentence_role
from rag.text import content_words, guideline_words
from rag.types import Passage

if TYPE_CHECKING:
    from rag.knowledge.base import DocVersion

__all__ = ["complete_sections", "candidate_documents", "patient_groups", "ANSWER_ROLES"]

ANSWER_ROLES = ("red_flag", "self_care", "seek_care", "tests")


@lru_cache(maxsize=8192)
def _passage_roles(text: str, section: str) -> frozenset[str]:
    """The roles of a stored passage's sentences: guideline text only, so computed once per process."""
    return frozenset(sentence_role(s, section) for s in guideline_sentences(text))


class DocumentReader(Protocol):
    def document_passages(self, content_hash: str) -> list[Passage]: ...


def complete_sections(passages: list[Passage], store: DocumentReader, query: str, language: str,
                      *, patient: set[str] | None = None, documents: Sequence[str] | None = None, max_documents: int = 2,
                      max_added: int = 6, blocked: AbstractSet[str] = frozenset()) -> list[Passage]:
    """The passages plus, for each matched document (`documents`, else chosen here from the passages), one chunk per
    answer role it lacks (the chunk of that role that shares the most words with the query; document order breaks ties)."""
    from rag.answer.generators.extractive import _DOSE_QUESTION

    wanted = ANSWER_ROLES + (("treatment",) if _DOSE_QUESTION.search(query) else ())
    have = {p.chunk_id for p in passages}
    q = set(content_words(query))
    if language == "zh":  # an English guideline's chunks are read with the complaint's English terms
        q |= set(content_words(english_bridge(query)))
    added: list[Passage] = []
    chosen = list(documents) if documents is not None else matching_documents(passages, query, language, patient)
    for doc_id in chosen[:max_documents]:
        mine = [p for p in passages if p.doc_id == doc_id]
        if not mine:
            continue
        content_hash = mine[0].content_hash
        if not content_hash:
            continue
        present = set().union(*(_passage_roles(p.text, p.section) for p in mine))
        floor = min(p.score for p in mine)
        best: dict[str, tuple[bool, int, int, Passage]] = {}
        for pos, p in enumerate(store.document_passages(content_hash)):
            if p.chunk_id in have or p.chunk_id in blocked:  # held back by screening: never searched, never added
                continue
            roles = _passage_roles(p.text, p.section)
            overlap = len(q & guideline_words(p.text))
            # the section whose heading is the role first: a self-care section that ends with "call 120 if it is not
            # relieved" holds a red-flag line, but the red-flag section is where the guideline lists its warning signs
            # (the self-care section is added for its own role)
            headed = heading_role(p.section.split(" > ")[-1])
            for role in roles & set(wanted) - present:
                if role not in best or (headed == role, overlap, -pos) > best[role][:3]:
                    best[role] = (headed == role, overlap, -pos, p)
        for role in wanted:
            if role in best and len(added) < max_added and best[role][3].chunk_id not in have:
                p = best[role][3]
                p.score = floor  # it belongs to a matched guideline; it was not itself retrieved higher
                p.extra["via"] = "matched document"
                have.add(p.chunk_id)
                added.append(p)
    return passages + added


def candidate_documents(passages: list[Passage], versions: Sequence[DocVersion], store: DocumentReader, query: str,
                        language: str, *, patient: set[str] | None = None, red_flags: Sequence[str] = (),
                        blocked: AbstractSet[str] = frozenset(), limit: int = 2) -> list[Passage]:
    """Guidelines retrieval did not reach that the answer should still be able to choose: one whose title the
    complaint (when no retrieved guideline's title is named) or a red flag that fired names ("胸口疼" names 胸痛 when Chinese retrieval ranked the cough and headache
    guidelines first; "Possible anaphylaxis" names the allergic-reactions guideline), and
    one written for this patient's group alone (pregnancy; babies under 3 months). One passage of each, the one
    whose description and warning signs share most of the complaint's words (document order breaks ties), scored at
    the retrieved passages' floor and marked `extra["via"]`. Only guidelines in the question's language (an answer
    never mixes languages) among `versions` (those allowed for this patient); chunks screening holds back (`blocked`)
    are never offered."""
    if not passages:
        return []
    have = {p.doc_id for p in passages}
    floor = min(p.score for p in passages)
    top = max(p.score for p in passages)
    patient = patient or set()
    # a title is read only to correct a retrieval that missed the complaint's topic: when a retrieved guideline's
    # title is named already, another named one would be a second topic ("caught the flu" beside type 2 diabetes)
    titled = any(names_title(query, p.title, language) for p in {p.doc_id: p for p in passages}.values())
    bridge = english_bridge(query) if language == "zh" else ""
    out: list[Passage] = []

    def best_passage(v: DocVersion, drugs: AbstractSet[str] = frozenset()) -> Passage | None:
        """The guideline's passage (not held back by screening) that shares most of the complaint's words, the first
        such in document order; where `drugs` are given, the first passage that names one of them; None when screening
        holds back all of it."""
        chunks = [p for p in store.document_passages(v.content_hash) if p.chunk_id not in blocked]
        if not chunks:
            return None
        for p in chunks if drugs else ():
            if drugs & guideline_drugs(p.text):
                return p
        return max(enumerate(chunks), key=lambda t: (len(about_terms(query, t[1], language)), -t[0]))[1]

    # the medicines the patient asks about: a guideline written for the patient's group offers its passage on them
    # ("怀孕20周…能不能吃布洛芬" meets the pregnancy guideline's "孕妇…应避免使用布洛芬")
    asked = drugs_named(query)

    def for_group(v: DocVersion) -> bool:
        return set(v.groups) <= {"pregnant", "infant", "female"} and bool(
            ("pregnant" in v.groups and "pregnant" in patient) or ("infant" in v.groups and "young_infant" in patient))

    # a guideline written for this patient's group in another language is offered when none in the question's language
    # covers the group at all (a Chinese question at 30 weeks, where the pregnancy guideline is English; not a baby's, whom
    # 《儿童发热》 covers)
    groups_here = {g for v in versions if v.language == language for g in v.groups}
    own_group = any(for_group(v) for v in versions if v.language == language)
    retrieved = {p.chunk_id for p in passages}
    for v in versions:
        if len(out) >= limit:
            continue
        group = for_group(v)
        if v.doc_id in have:
            # a guideline written for this patient's group that retrieval reached only by another passage (its scope)
            # offers the passage about the complaint too: a pregnant woman's question about ibuprofen meets the
            # pregnancy guideline's own medicine advice
            if group and v.language == language and asked:
                best = best_passage(v, asked)
                if best is not None and best.chunk_id not in retrieved:
                    best.score = floor
                    best.extra["via"] = "written for the patient's group"
                    out.append(best)
            continue
        # (a baby under 3 months is the newborn guideline's, written for that age alone, where the question's language
        # has only children's guidelines that cover babies among others and the complaint names none of their titles: a
        # 3-week-old's crying and bed-sharing; a fever at two months stays 《儿童发热》's)
        newborn = group and not titled and "young_infant" in patient and set(v.groups) == {"infant"} and not any(
            names_title(query, w.title, language) for w in versions if w.language == language and "infant" in w.groups)
        if v.language != language and (not group or own_group or (set(v.groups) - {"female"} <= groups_here and not newborn)):
            continue
        # (a reading of the whole presentation names its guideline whatever else is named: a strip of blisters after a
        # burning pain in the chest is shingles, a skin rash, beside "Chest pain")
        reading = names_by_reading(query, v.title, language)
        named = ((not titled and names_title(query, v.title, language)) or reading
                 or any(names_title(label, v.title, language) for label in red_flags))
        if not (named or group):
            continue
        best = best_passage(v, asked if group else frozenset())
        if best is None:
            continue
        # it was not retrieved higher; the choice of guideline rests on its title or its group (scored at the floor),
        # or on what the whole presentation is (scored as the best retrieved passage: the passages retrieval ranked
        # first are about the words of the presentation, a burning pain in the chest, not about what it is)
        best.score = top if reading else floor
        best.extra["via"] = "named in the complaint" if named else "written for the patient's group"
        out.append(best)
    if bridge and red_flags and len(out) < limit and not any(
            label_names_title(red_flags, v.title, True) for v in versions if v.language == language):
        # a red flag whose Chinese label names no guideline in the question's language may name an English one through
        # its English terms ("大面积或深度烧烫伤" names "Burns and scalds"): the emergency's guideline
        for v in versions:
            if (v.doc_id in have or v.language != "en" or v.doc_id in {p.doc_id for p in out} or len(out) >= limit
                    or not label_names_english_title(red_flags, v.title)):
                continue
            best = best_passage(v)
            if best is None:
                continue
            best.score = floor
            best.extra["via"] = "named by a red flag (English terms)"
            out.append(best)
    if bridge and not out and not titled:
        # a Chinese complaint that names no Chinese guideline may name an English one through its English terms
        # (english_bridge: "嗓子疼" -> "sore throat" names "Sore throat"); it then competes in matching_documents, read
        # in English. Only when no guideline retrieved, in either language, has its title named already
        if any(names_title(bridge, p.title, "en") for p in {p.doc_id: p for p in passages}.values() if p.language == "en"):
            return out
        # (where the English terms name two titles, the guideline more about the complaint is offered, read from the
        # whole of each: "心慌…心律不齐…工作压力大" names "Palpitations" and, through "stress", "Depression and anxiety")
        offered: list[tuple[int, int, Passage]] = []
        for n, v in enumerate(versions):
            if v.doc_id in have or v.language != "en" or not names_title(bridge, v.title, "en"):
                continue
            chunks = [p for p in store.document_passages(v.content_hash) if p.chunk_id not in blocked]
            if not chunks:
                continue
            about = [about_terms(query, p, language) for p in chunks]
            pos = max(range(len(chunks)), key=lambda i: (len(about[i]), -i))
            offered.append((len(set().union(*about)), -n, chunks[pos]))
        if offered:
            best = max(offered, key=lambda t: t[:2])[2]
            best.score = floor
            best.extra["via"] = "named in the complaint (English terms)"
            out.append(best)
    return out
