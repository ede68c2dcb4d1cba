"""The urgency ladder from evidence: the patient's facts matched against the guidelines' own criteria.

    emergency  any red flag (triage) or a matched criterion from a red-flag / emergency section
    urgent     a matched "see a clinician" criterion that says same day / urgently / today
    soon       a matched criterion with a time frame of days, or none stated
    routine    a matched criterion about persistence over weeks, recurrence or regular review
    self_care  no criterion matched and a retrieved guideline gives self-care for this presentation

Criteria are the sentences and list items of the retrieved guidelines' red-flag and seek-care
sections (plus any sentence elsewhere that names a time frame for care). Numbers are understood on
both sides: temperatures (°C and °F), durations ("3 days", "两周", "for a week"), ages ("2 weeks
old", "两个月大", the request's `age`), weeks of pregnancy. No level is a default: every decision
carries the reason, and a matched criterion is quoted. Lay and guideline wordings meet through the
concept table in urgency_terms.yaml.

Modules: terms (the concept table and levels), facts (the patient's facts), criteria (the guidelines'
criteria), matching (facts against criteria), decide (the ladder walked, the reason, departments).
"""

from __future__ import annotations

from rag.safety.urgency.criteria import (
    Criterion,
    criteria_of,
    normal_of,
    self_care_of,
)
from rag.safety.urgency.decide import (
    UrgencyDecision,
    decide_urgency,
    escalate_by_model,
    fallback_department,
    out_of_scope,
    valid_department,
)
from rag.safety.urgency.facts import (
    Facts,
    blood_pressures,
    extract_facts,
    glucose_values,
)
from rag.safety.urgency.matching import (
    Match,
    match_criteria,
)
from rag.safety.urgency.terms import (
    LEVEL_RANK,
    LEVELS,
)

__all__ = [
    "blood_pressures",
    "glucose_values",
    "Facts",
    "Criterion",
    "UrgencyDecision",
    "extract_facts",
    "criteria_of",
    "normal_of",
    "self_care_of",
    "decide_urgency",
    "out_of_scope",
    "escalate_by_model",
    "valid_department",
    "fallback_department",
    "LEVEL_RANK",
    "LEVELS",
    "Match",
    "match_criteria",
]
