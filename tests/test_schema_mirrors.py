"""The API models that publish a rag record keep its fields (the two are declared apart; this guards their drift)."""

from __future__ import annotations

from dataclasses import fields

from api.schemas import FlaggedPassageOut, GuidelineOut, PassageOut
from rag.answer.schema import Citation, PassageSource
from rag.knowledge.base import DocVersion
from rag.knowledge.milvus import QuarantineEntry
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
