"""Every error clinrag raises on purpose.

    ClinragError
    ├── ConfigError              a setting is missing or invalid (message names the CLINRAG_* key)
    ├── InputError               a request or document is malformed (message says how to fix it)
    │   └── DocumentError        one guideline file cannot be ingested (names the file, and page)
    ├── BackendUnavailableError  Milvus, a model server or the audit store cannot be reached
    │   └── BackendTimeoutError  an upstream call ran past its deadline
    ├── GenerationError          a model returned output that could not be used
    ├── NotFoundError            a trace, passage, document or job id does not exist
    └── AuditIntegrityError      the audit hash chain is broken
"""

from __future__ import annotations

__all__ = [
    "ClinragError",
    "ConfigError",
    "InputError",
    "DocumentError",
    "BackendUnavailableError",
    "BackendTimeoutError",
    "GenerationError",
    "NotFoundError",
    "AuditIntegrityError",
]


class ClinragError(Exception):
    """Base for every error we raise on purpose."""


class ConfigError(ClinragError):
    """A setting is missing or invalid; the message names the CLINRAG_* key."""


class InputError(ClinragError):
    """A request or a document is malformed; the message says how to fix it."""


class DocumentError(InputError):
    """One guideline file cannot be ingested."""

    def __init__(self, source: str, message: str, page: int | None = None) -> None:
        self.source = source
        self.page = page
        where = f"{source}" + (f", page {page}" if page is not None else "")
        super().__init__(f"{where}: {message}")


class BackendUnavailableError(ClinragError):
    """Milvus, a model server or the audit store cannot be reached; retrying later may work."""


class BackendTimeoutError(BackendUnavailableError):
    """An upstream call ran past its deadline."""


class GenerationError(ClinragError):
    """A model returned output that could not be parsed or used."""


class NotFoundError(ClinragError):
    """An id (trace, passage, document, job) does not exist."""


class AuditIntegrityError(ClinragError):
    """The audit hash chain is broken; the message says which record."""
