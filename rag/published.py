"""Pydantic models that publish fields of one of rag's dataclass records.

A record's fields are declared once, in its dataclass; the JSON model that shows them (a citation's
source; the API's catalog row, passage, search hit, flagged passage and audit record) is built from
that declaration, in its order, with its types and defaults. A tuple is a list in JSON; `types` narrows a field for the published contract.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from types import GenericAlias
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

from pydantic import BaseModel, Field, create_model

__all__ = ["fields_model", "read_fields"]

M = TypeVar("M", bound=BaseModel)


def _json_type(hint: Any) -> Any:
    """tuple[X, ...] -> list[X]: what a JSON array validates to."""
    args = get_args(hint)
    if get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis:
        return GenericAlias(list, (args[0],))
    return hint


def fields_model(
    record: type,
    base: type[M],
    names: Iterable[str] | None = None,
    *,
    omit: Iterable[str] = (),
    types: Mapping[str, Any] | None = None,
    descriptions: Mapping[str, str] | None = None,
    required: bool = False,
) -> type[M]:
    """A `base` subclass with `names` (default: every field but `omit`) of the dataclass `record`.

    A name may also be a property of the record (its return annotation is the type). `required`: the
    record's defaults are not the published contract's, every field must be given."""
    hints = get_type_hints(record)
    defaults = {f.name: f for f in dataclasses.fields(record)}
    skipped = set(omit)
    fields: dict[str, Any] = {}
    for name in names if names is not None else defaults:
        if name in skipped:
            continue
        if name in hints:
            hint = hints[name]
        else:  # a derived value, such as Passage.pages
            hint = get_type_hints(getattr(record, name).fget)["return"]
        spec = defaults.get(name)
        kwargs: dict[str, Any] = {}
        if descriptions and name in descriptions:
            kwargs["description"] = descriptions[name]
        if not required and spec is not None and spec.default is not dataclasses.MISSING:
            info = Field(spec.default, **kwargs)
        elif not required and spec is not None and spec.default_factory is not dataclasses.MISSING:
            info = Field(default_factory=spec.default_factory, **kwargs)
        else:
            info = Field(**kwargs)
        fields[name] = ((types or {}).get(name, _json_type(hint)), info)
    model: type[M] = create_model(f"{record.__name__}Fields", __base__=base, __module__=base.__module__, **fields)
    return model


def read_fields(model: type[BaseModel], record: object) -> dict[str, Any]:
    """The values of `model`'s fields read off `record` (a dataclass instance with those attributes)."""
    return {name: getattr(record, name) for name in model.model_fields}
