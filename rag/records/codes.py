"""Disease -> ICD-10-CM code through the shared alias table; codes are looked up, never made up."""

from __future__ import annotations

import functools

__all__ = ["code_for", "code_exists"]


@functools.lru_cache(maxsize=4096)
def code_for(name: str) -> str | None:
    """The ICD-10-CM code the shared alias table gives a disease name (English or Chinese), or None.

    The condition alias table (rag.terms, shared with the consultation answers) comes first; names it lacks go to
    rag.answer.icd10 (curated names, then exact ICD-10-CM descriptions). Neither guesses.
    """
    from rag.answer.icd10 import lookup_icd10

    try:
        from rag.terms import condition_code
    except ImportError:  # the alias table is not in this build yet
        return lookup_icd10(name)
    return condition_code(name) or lookup_icd10(name)


@functools.lru_cache(maxsize=4096)
def code_exists(code: str) -> bool:
    """Whether `code` is a real ICD-10-CM code (category or billable) in the bundled CMS table."""
    import simple_icd_10_cm as cm

    return bool(cm.is_valid_item(code))
