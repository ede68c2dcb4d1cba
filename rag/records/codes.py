"""Disease -> ICD-10-CM code through the shared alias table; codes are looked up, never made up."""

from __future__ import annotations

import functools

__all__ = ["code_for", "code_exists"]


@functools.lru_cache(maxsize=4096)
def code_for(name: str) -> str | None:
    """The ICD-10-CM code the shared alias table gives a disease name (English or Chinese), or None."""
    from rag.answer.icd10 import lookup_icd10

    return lookup_icd10(name)


@functools.lru_cache(maxsize=4096)
def code_exists(code: str) -> bool:
    """Whether `code` is a real ICD-10-CM code (category or billable) in the bundled CMS table."""
    import simple_icd_10_cm as cm

    return bool(cm.is_valid_item(code))
