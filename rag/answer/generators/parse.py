"""Turn a model's text into a DraftAdvice, tolerating the usual wrapping around the JSON.

Models wrap JSON in code fences, prefix it with a sentence, or emit `<think>` blocks first;
`parse_draft` finds the first complete JSON object and validates it. Anything else raises
GenerationError with a message short enough to send back to the model in a repair request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

from pydantic import ValidationError

from rag.answer.prompt import sanitize
from rag.answer.schema import DraftAdvice
from rag.errors import GenerationError

__all__ = [
    "parse_draft",
    "extract_json_object",
    "clamp_to_limits",
    "describe_validation_error",
    "repair_messages",
]

_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_MAX_ERRORS = 6
_MAX_ECHO_CHARS = 6000  # bad output sent back in a repair request


def _preview(raw: str, n: int = 80) -> str:
    text = " ".join(raw.split())
    return repr(text[:n] + ("..." if len(text) > n else ""))


def extract_json_object(raw: str, expect_keys: Collection[str] = ()) -> dict[str, Any]:
    """The first complete JSON object in `raw` (after removing `<think>` blocks).

    With `expect_keys`, the first object having one of those keys wins, so a fragment nested in
    a cut-off answer is not mistaken for the answer. Raises GenerationError saying whether there
    was no object at all, or one that never closed.
    """
    text = _THINK.sub("", raw)
    # strict=False: raw control characters inside strings are accepted (grammar engines such as
    # xgrammar allow them; rejecting the whole answer for one would be pointless)
    decoder = json.JSONDecoder(strict=False)
    first_error: json.JSONDecodeError | None = None
    first_object: dict[str, Any] | None = None
    start = text.find("{")
    if start < 0:
        raise GenerationError(f"model output contains no JSON object (output starts {_preview(raw)})")
    while start >= 0:
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError as exc:
            first_error = first_error or exc
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            if not expect_keys or any(k in value for k in expect_keys):
                return value
            first_object = first_object or value
        start = text.find("{", end)  # skip what was just decoded
    if first_error is None and first_object is not None:
        return first_object
    assert first_error is not None
    raise GenerationError(
        f"model output is not valid JSON: {first_error.msg} (character {first_error.pos} "
        f"of {len(text)}; the object may have been cut off; output starts {_preview(raw)})"
    )


def describe_validation_error(exc: ValidationError) -> str:
    """`loc: message` for the first few errors, in one line."""
    parts = []
    for err in exc.errors()[:_MAX_ERRORS]:
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{loc}: {err['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def parse_draft(raw: str) -> DraftAdvice:
    """The DraftAdvice in a model's output; raises GenerationError explaining what is wrong."""
    data = extract_json_object(raw, DraftAdvice.model_fields)
    try:
        return DraftAdvice.model_validate(data)
    except ValidationError as exc:
        raise GenerationError(f"model output does not match the answer schema: {describe_validation_error(exc)}") from None


def clamp_to_limits(data: Any, schema: dict[str, Any] | None = None) -> Any:
    """A copy of parsed JSON with over-long strings cut and over-long lists shortened to the
    maxLength / maxItems of `schema` (default: DraftAdvice's simplified schema). Only lengths are
    changed; keys, types and enum values are left for validation to judge."""
    if schema is None:
        from rag.answer.prompt import json_schema

        schema = json_schema()
    return _clamp(data, schema)


def _clamp(value: Any, schema: dict[str, Any]) -> Any:
    if isinstance(value, str) and schema.get("type") == "string":
        limit = schema.get("maxLength")
        if limit is not None and len(value) > limit:
            cut = value[: max(limit - 1, 0)].rstrip()
            return cut + "…" if limit > 0 else ""
        return value
    if isinstance(value, list) and schema.get("type") == "array":
        limit = schema.get("maxItems")
        items = value[:limit] if limit is not None else value
        item_schema = schema.get("items", {})
        return [_clamp(v, item_schema) for v in items]
    if isinstance(value, dict) and schema.get("type") == "object":
        props = schema.get("properties", {})
        return {k: _clamp(v, props[k]) if k in props else v for k, v in value.items()}
    return value


def repair_messages(messages: list[dict[str, str]], bad_output: str, error: str) -> list[dict[str, str]]:
    """The conversation for the single repair attempt: the bad answer and why it failed."""
    echo = sanitize(bad_output)[:_MAX_ECHO_CHARS] or "(empty reply)"
    return [
        *messages,
        {"role": "assistant", "content": echo},
        {
            "role": "user",
            "content": (
                f"Your reply could not be used: {error}. Reply again with only one corrected JSON "
                "object that matches the schema exactly: the four keys possible_conditions, "
                "self_care, seek_care and suggested_tests, no other keys, no prose, and keep every "
                "text short so the object is complete."
            ),
        },
    ]
