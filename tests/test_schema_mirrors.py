"""The API models that publish a rag record keep its fields (they are built from the record by rag.published; this
checks the result, and the JSON shape they publish)."""

from __future__ import annotations

from dataclasses import fields

import pytest
from pydantic import ValidationError

from api.schemas import AuditRecordOut, FlaggedPassageOut, GuidelineOut, PassageOut
from rag.answer.schema import Citation, PassageSource
from rag.audit.trail import AuditRecord
from rag.knowledge.base import DocVersion
from rag.knowledge.milvus import QuarantineEntry
from rag.published import read_fields
from rag.types import Passage


def test_guideline_and_flagged_models_publish_every_catalog_field_but_the_fingerprint():
    assert list(GuidelineOut.model_fields) == [f.name for f in fields(DocVersion) if f.name != "fingerprint"] + ["held_back"]
    assert list(FlaggedPassageOut.model_fields) == [f.name for f in fields(QuarantineEntry)]


def test_passage_source_fields_are_read_from_a_passage():
    p = Passage(chunk_id="c", doc_id="d", title="T", publisher="P", version="1", source="s.md", section="S",
                page_start=2, page_end=3, text="x", language="en")
    src = PassageSource.fields_of(p)
    assert list(src) == list(PassageSource.model_fields) and src["pages"] == p.pages and src["source"] == "s.md"
    assert list(PassageOut.model_fields)[:len(src)] == list(src)
    assert list(Citation.model_fields)[:len(src) + 1] == ["n", *src]  # the number leads a citation's JSON


def test_published_models_keep_their_json_shape():
    """What the OpenAPI schema showed when these models were written out by hand: tuples are arrays, statuses
    enums, defaults only where the record has one, and a description where the contract gives one."""
    guideline = GuidelineOut.model_json_schema()
    assert guideline["properties"]["groups"] == {"items": {"type": "string"}, "title": "Groups", "type": "array"}
    assert guideline["properties"]["status"]["enum"] == ["active", "superseded", "retired", "pending"]
    assert guideline["required"] == [f.name for f in fields(DocVersion) if f.name != "fingerprint"]
    assert guideline["additionalProperties"] is False and "description" not in guideline
    flagged = FlaggedPassageOut.model_json_schema()
    assert flagged["properties"]["status"]["enum"] == ["quarantined", "approved", "rejected"]
    assert flagged["properties"]["decided_by"]["default"] == "" and "decided_by" not in flagged["required"]
    passage = PassageOut.model_json_schema()
    assert passage["required"] == list(PassageOut.model_fields)  # every field, though a Passage has defaults
    assert passage["properties"]["active"]["description"].startswith("false when")
    assert list(AuditRecordOut.model_fields) == [f.name for f in fields(AuditRecord)]
    with pytest.raises(ValidationError):
        GuidelineOut.from_row({"doc_id": "d"})  # missing fields are still rejected


def test_published_models_accept_what_the_records_give_them():
    entry = QuarantineEntry(chunk_id="c", doc_id="d", content_hash="h", index=0, page_start=1, page_end=1, section="S",
                            reasons=("model_instruction: 'x'",), excerpt="e", status="quarantined", flagged_at="t")
    out = FlaggedPassageOut(**entry.to_json())
    assert out.model_dump()["reasons"] == ["model_instruction: 'x'"] and out.model_dump()["note"] == ""
    p = Passage(chunk_id="c", doc_id="d", title="T", publisher="P", version="1", source="s.md", section="S",
                page_start=2, page_end=3, text="x", language="en", active=False, content_hash="h")
    assert PassageOut(**read_fields(PassageOut, p)).model_dump() == {
        "chunk_id": "c", "doc_id": "d", "title": "T", "publisher": "P", "version": "1", "source": "s.md", "section": "S",
        "pages": "2-3", "page_start": 2, "page_end": 3, "language": "en", "text": "x", "active": False, "content_hash": "h"}
