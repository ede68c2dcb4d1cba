"""The record summary every generator returns: each value with the character spans of the record it comes from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Value", "Diagnosis", "RecordSummary", "Span", "FIELDS"]

Span = tuple[int, int]
FIELDS: tuple[str, ...] = ("patient_id", "admission_date", "discharge_date", "chief_complaint", "diagnoses", "medications",
                           "tests", "treatment_plan", "follow_up", "summary")


@dataclass(slots=True)
class Value:
    """A value and where it is in the record (dates: ISO value, span of the date as written)."""

    value: str
    spans: list[Span]

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "spans": [list(s) for s in self.spans]}


@dataclass(slots=True)
class Diagnosis:
    """A diagnosis named in the record, its ICD-10-CM code from the alias table (or None), and its span."""

    name: str
    icd10: str | None
    spans: list[Span]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "icd10": self.icd10, "spans": [list(s) for s in self.spans]}


@dataclass(slots=True)
class RecordSummary:
    """One schema for every generator; notes say what was dropped or could not be found and why."""

    language: str
    generator: str
    patient_id: Value | None = None
    admission_date: Value | None = None
    discharge_date: Value | None = None
    chief_complaint: Value | None = None
    diagnoses: list[Diagnosis] = field(default_factory=list)
    medications: list[Value] = field(default_factory=list)
    tests: list[Value] = field(default_factory=list)
    treatment_plan: Value | None = None
    follow_up: Value | None = None
    summary: Value | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        def one(v: Value | None) -> dict[str, Any] | None:
            return v.to_json() if v is not None else None

        return {
            "language": self.language, "generator": self.generator,
            "patient_id": one(self.patient_id), "admission_date": one(self.admission_date),
            "discharge_date": one(self.discharge_date), "chief_complaint": one(self.chief_complaint),
            "diagnoses": [d.to_json() for d in self.diagnoses], "medications": [m.to_json() for m in self.medications],
            "tests": [t.to_json() for t in self.tests], "treatment_plan": one(self.treatment_plan),
            "follow_up": one(self.follow_up), "summary": one(self.summary), "notes": list(self.notes),
        }
