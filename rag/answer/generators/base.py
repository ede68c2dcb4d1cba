"""Generator protocol: every backend turns a prompt and its passages into a DraftAdvice."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from rag.answer.schema import DraftAdvice
from rag.types import Passage

__all__ = ["GenerationRequest", "GenerationResult", "Generator", "model_result"]


@dataclass(slots=True)
class GenerationRequest:
    """Everything a generator may use. Passages are numbered 1..n in this order in the prompt."""

    query: str  # de-identified patient text (symptoms plus condensed context)
    language: str  # "en" | "zh": the language the answer must be written in
    passages: list[Passage]
    messages: list[dict[str, str]]  # chat messages from rag.answer.prompt.render_prompt
    triage_urgency: str | None = None  # "emergency" when a red flag fired, else None
    red_flags: tuple[str, ...] = ()  # the labels of the red flags that fired (what the emergency is)
    # the patient's context, for sentence-level choices (no adult-only advice for a child)
    age: float | None = None
    sex: str | None = None
    pregnant: bool | None = None
    # the guidelines about the complaint, anchor first, when the pipeline chose them from the whole of each retrieved
    # guideline (rag.consult); None: the extractive generator chooses from the passages alone
    documents: tuple[str, ...] | None = None
    # of `documents`, the anchor when it is about the complaint only through its warning signs, read from the whole
    # guideline (extractive.weak_anchor): it gives only its sentences about the complaint
    warning_signs_only: tuple[str, ...] = ()


@dataclass(slots=True)
class GenerationResult:
    """A draft (None when the output was unusable after one repair) and what produced it."""

    draft: DraftAdvice | None
    raw_output: str
    backend: str  # "extractive" | "transformers" | "openai"
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # why draft is None, in words
    attempts: int = 1
    description: str = ""  # e.g. "extractive: sentences copied from guideline passages, no language model"


class Generator(Protocol):
    backend: str
    model: str

    def generate(self, request: GenerationRequest) -> GenerationResult:
        """Never raises for bad model output (returns draft=None with error); raises
        BackendUnavailableError / BackendTimeoutError when the backend cannot be reached in time."""
        ...


def model_result(gen: Any, draft: DraftAdvice | None, raw: str, params: dict[str, Any], error: str | None,
                 attempts: int) -> GenerationResult:
    """The result of a language-model backend; `gen` gives backend, model and description."""
    return GenerationResult(draft=draft, raw_output=raw, backend=gen.backend, model=gen.model, params=params,
                            error=error, attempts=attempts, description=gen.description)
