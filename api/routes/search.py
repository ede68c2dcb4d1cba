"""GET/POST /v1/search: ranked passages, or documents ranked by their passages (`documents: true`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.deps import ReaderCaller, StateDep
from api.schemas import ERROR_RESPONSES
from api.state import AppState
from rag.knowledge.documents import retrieve_documents
from rag.knowledge.search import PatientContext, retrieve
from rag.published import fields_model
from rag.types import Passage

__all__ = ["router", "SearchBody", "SearchOut"]

router = APIRouter(tags=["search"], responses=ERROR_RESPONSES)


def _whole_number(value: object) -> object:
    """JSON has one number type: 15.0 is the integer 15 there (15.5 and "15" are still rejected)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class SearchBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    query: str = Field(min_length=1, max_length=4000, description="the question, in the patient's words")
    k: Annotated[int, BeforeValidator(_whole_number)] = Field(10, ge=1, le=50, description="passages, or documents, to return")
    documents: bool = Field(False, description="rank documents by an aggregate of their passages, each with its supporting passages")
    age: float | None = Field(None, ge=0, le=130, description="years; documents for other age groups are left out")
    sex: Literal["female", "male"] | None = None
    pregnant: bool | None = None


# a passage as search shows it: these fields are the Passage's, then its scores, rounded
_PASSAGE_FIELDS = ("chunk_id", "doc_id", "title", "version", "source", "section", "pages", "language", "text", "content_hash")


class SearchPassage(fields_model(Passage, BaseModel, _PASSAGE_FIELDS, required=True)):  # type: ignore[misc]
    score: float = Field(description="fused relevance")
    dense: float = Field(description="cosine similarity of question and passage")
    bm25: float

    @classmethod
    def of(cls, p: Passage) -> SearchPassage:
        return cls(**{name: getattr(p, name) for name in _PASSAGE_FIELDS}, score=round(p.score, 4),
                   dense=round(p.dense_score, 4), bm25=round(p.bm25_score, 4))


class SearchDocument(BaseModel):
    doc_id: str
    title: str
    version: str
    source: str
    score: float = Field(description="document score: best passage and the document's own vector (docs/notes-ranking.md)")
    passages: list[SearchPassage] = Field(description="the passages that support this document, best first")


class SearchOut(BaseModel):
    documents: bool
    sufficient: bool = Field(description="false when nothing passed the relevance floor (the question is off-topic)")
    best_dense: float
    passages: list[SearchPassage] = Field(default_factory=list, description="ranked passages (documents: false)")
    results: list[SearchDocument] = Field(default_factory=list, description="ranked documents (documents: true)")


def _search(state: AppState, body: SearchBody) -> SearchOut:
    b = state.backends
    patient = PatientContext(age=body.age, sex=body.sex, pregnant=body.pregnant)
    if body.documents:
        d = retrieve_documents(body.query, b.embedder, b.store, b.settings, patient, k=body.k)
        return SearchOut(documents=True, sufficient=d.sufficient, best_dense=round(d.best_dense, 4), results=[
            SearchDocument(doc_id=x.doc_id, title=x.title, version=x.version, source=x.source, score=round(x.score, 4),
                           passages=[SearchPassage.of(p) for p in x.passages]) for x in d.documents])
    r = retrieve(body.query, b.embedder, b.store, b.settings, patient, top_k=body.k, collapse_duplicates=False)
    return SearchOut(documents=False, sufficient=r.sufficient, best_dense=round(r.best_dense, 4),
                     passages=[SearchPassage.of(p) for p in r.passages])


@router.post("/v1/search", response_model=SearchOut, summary="Ranked guideline passages or documents for a question")
async def post_search(body: SearchBody, caller: ReaderCaller, state: StateDep) -> SearchOut:
    return await run_in_threadpool(_search, state, body)


@router.get("/v1/search", response_model=SearchOut, summary="Ranked guideline passages or documents for a question")
async def get_search(caller: ReaderCaller, state: StateDep,
                     q: Annotated[str, Query(min_length=1, max_length=4000, description="the question")],
                     k: Annotated[int, Query(ge=1, le=50)] = 10, documents: bool = False) -> SearchOut:
    return await run_in_threadpool(_search, state, SearchBody(query=q, k=k, documents=documents, age=None, sex=None, pregnant=None))
