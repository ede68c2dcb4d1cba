"""A parsed guideline file: cleaned page texts plus the metadata found for it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Page", "ParsedFile", "clean_text", "slugify"]

_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"})
_HYPHEN_BREAK = re.compile(r"(\w)-\n(\w)")
_SOFT = re.compile("[\u00ad\u200b\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0]+")


@dataclass(slots=True)
class Page:
    number: int  # 1-based page in the source file
    text: str


@dataclass(slots=True)
class ParsedFile:
    """What a parser returns; `warnings` name pages that lost text."""

    source: str
    fmt: str  # pdf | markdown | text
    pages: list[Page]
    metadata: dict[str, Any] = field(default_factory=dict)
    metadata_origin: str = ""
    warnings: list[str] = field(default_factory=list)
    page_count: int = 0
    raw_hash: str = ""  # sha256 of the file's bytes
    reused_pages: int = 0  # PDF pages whose text came from the page cache (unchanged since an earlier parse)


def clean_text(text: str) -> str:
    """Fix ligatures, soft hyphens and words broken across lines; normalise spaces."""
    text = _SOFT.sub("", text.translate(_LIGATURES))
    text = _HYPHEN_BREAK.sub(lambda m: m.group(1) + m.group(2) if m.group(2).islower() else m.group(0), text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip()


def slugify(text: str) -> str:
    """A stable, readable document id from a title or file stem."""
    slug = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-")
    return slug[:120] or "document"
