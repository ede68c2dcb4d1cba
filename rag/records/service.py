"""The record services both the CLI and the HTTP API call: read a record, summarise it (any generator, always
checked), recognise entities, de-identify the output, and write the audit record.

De-identification policy: a summary leaves the service with its identifiers replaced (patient_id -> [MRN], the two
dates -> [DATE], free-text values through rag.safety.deid.scrub) unless the caller may see identifiers (the HTTP
`admin` role asking with include_identifiers, or the local CLI with --identifiers). Spans are always returned: the
caller sent the record, so spans reveal nothing new, and a receiving system can store the de-identified summary.
The audit trail never holds identifiers: it stores the input's SHA-256, the de-identified record text, the
de-identified summary, the spans, the generator and the check notes.
"""

from __future__ import annotations

import hashlib
import io
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import InputError
from rag.records.entities import Entity, recognize
from rag.records.schema import RecordSummary
from rag.records.summary import check_grounding, check_summary, summarize_extractive
from rag.text import words

__all__ = ["MAX_RECORD_CHARS", "RecordInput", "SummaryOutcome", "read_record_file", "record_from_bytes", "record_from_text",
           "summarize_record", "deidentify_summary", "audit_entities", "entities_for", "offset_map", "map_span"]

MAX_RECORD_CHARS = 120_000  # "up to ~100k characters" with room for headers; above it the caller splits the record
_TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text", ""}


@dataclass(frozen=True, slots=True)
class RecordInput:
    """The record text and where it came from (for the audit: 'text', 'markdown', 'pdf')."""

    text: str
    source: str


def record_from_text(text: str, source: str = "text") -> RecordInput:
    """Validate a record given as text: not empty, not binary, not over the size limit."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("the record is empty; send the text of an admission/discharge record or clinic note")
    if "\x00" in text:
        raise InputError("the record contains NUL bytes (a binary file?); send plain text, Markdown or a PDF with a text layer")
    if len(text) > MAX_RECORD_CHARS:
        raise InputError(f"the record has {len(text)} characters; the limit is {MAX_RECORD_CHARS}: split it (for example one "
                         "admission per request)")
    if len(words(text)) < 3:
        raise InputError(f"the record has {len(words(text))} word(s); send the text of an admission/discharge record or "
                         "clinic note, not a fragment")
    return RecordInput(text, source)


def _pdf_text(data: bytes, name: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [(p.extract_text() or "") for p in reader.pages]
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise InputError(f"{name}: not a readable PDF ({type(exc).__name__}); re-export it or send the text") from None
    text = "\n".join(pages)
    if not text.strip():
        raise InputError(f"{name}: the PDF has no text layer (a scan?); run OCR first or send the text")
    return text


def record_from_bytes(data: bytes, name: str = "record") -> RecordInput:
    """A record from file bytes: PDF (by its %PDF signature) or UTF-8 text/Markdown; anything else is refused."""
    if not data:
        raise InputError(f"{name}: the file is empty")
    if data[:5] == b"%PDF-":
        return record_from_text(_pdf_text(data, name), "pdf")
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: binary file; send plain text (.txt), Markdown (.md) or a PDF with a text layer")
    for enc in ("utf-8-sig", "gb18030"):  # Chinese hospital exports are often GB18030
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(f"{name}: not UTF-8 or GB18030 text; convert it to UTF-8")
    source = "markdown" if name.lower().endswith((".md", ".markdown")) else "text"
    return record_from_text(text, source)


def read_record_file(path: str | Path) -> RecordInput:
    """A record from a .txt/.md/.pdf file, with errors that name the file and the fix."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file")
    size = p.stat().st_size
    if size > 50 * 1024 * 1024:
        raise InputError(f"{p}: {size} bytes is over the 50 MB file limit")
    if p.suffix.lower() not in _TEXT_SUFFIXES | {".pdf"}:
        raise InputError(f"{p}: unsupported file type {p.suffix!r}; use .txt, .md or .pdf")
    return record_from_bytes(p.read_bytes(), p.name)


# --- de-identification ---------------------------------------------------------------------------------------------


def deidentify_summary(s: RecordSummary) -> dict[str, Any]:
    """The summary as JSON with identifiers replaced; spans kept."""
    from rag.safety.deid import scrub

    data = s.to_json()
    if data["patient_id"] is not None:
        data["patient_id"]["value"] = "[MRN]"
    for name in ("admission_date", "discharge_date"):
        if data[name] is not None:
            data[name]["value"] = "[DATE]"
    for name in ("chief_complaint", "treatment_plan", "follow_up", "summary"):
        if data[name] is not None:
            data[name]["value"] = scrub(data[name]["value"])
    for name in ("medications", "tests"):
        for v in data[name]:
            v["value"] = scrub(v["value"])
    return data


def offset_map(original: str, deidentified: str) -> list[tuple[int, int, int, int]] | None:
    """Aligned blocks (orig_start, orig_end, deid_start, deid_end) between a record and its scrubbed text, line by line
    (scrubbing never joins lines); None when the line counts differ and no alignment is attempted."""
    import difflib

    a_lines, b_lines = original.split("\n"), deidentified.split("\n")
    if len(a_lines) != len(b_lines):
        return None
    blocks: list[tuple[int, int, int, int]] = []
    ao = bo = 0
    for la, lb in zip(a_lines, b_lines, strict=True):
        if la == lb:
            blocks.append((ao, ao + len(la), bo, bo + len(lb)))
        else:
            for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, la, lb, autojunk=False).get_opcodes():
                if tag == "equal" or (i2 > i1 and j2 > j1):
                    blocks.append((ao + i1, ao + i2, bo + j1, bo + j2))
        ao += len(la) + 1
        bo += len(lb) + 1
    return blocks


def map_span(blocks: list[tuple[int, int, int, int]], span: tuple[int, int]) -> tuple[int, int] | None:
    """A span of the record as a span of the scrubbed text (an identifier inside it widens it to its placeholder)."""
    s, e = span

    def one(x: int, end: bool) -> int | None:
        for a0, a1, b0, b1 in blocks:
            if a0 <= x <= a1 and (a1 > a0 or b1 == b0):
                if a1 - a0 == b1 - b0:
                    return b0 + (x - a0)
                return b1 if end else b0  # inside a replaced identifier: snap to the placeholder's edge
        return None

    ms, me = one(s, False), one(e, True)
    return (ms, me) if ms is not None and me is not None and me > ms else None


def _deid_spans(data: dict[str, Any], blocks: list[tuple[int, int, int, int]] | None) -> dict[str, Any]:
    """{field: [[start, end], ...]} of the summary's spans in the de-identified record text (for the auditor page)."""
    out: dict[str, Any] = {}
    if blocks is None:
        return out

    def mapped(spans: list[list[int]]) -> list[list[int]]:
        res = []
        for sp in spans:
            m = map_span(blocks, (sp[0], sp[1]))
            if m is not None:
                res.append(list(m))
        return res

    for name, v in data.items():
        if isinstance(v, dict) and "spans" in v:
            out[name] = mapped(v["spans"])
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            out[name] = [mapped(x.get("spans", [])) for x in v]
    return out


# --- summaries -------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class SummaryOutcome:
    """The checked summary, its output form (de-identified or not), the trace id and the grounding figures."""

    summary: RecordSummary
    output: dict[str, Any]
    trace_id: str
    grounded: int
    values: int
    timings_ms: dict[str, float] = field(default_factory=dict)


def _generate(record: RecordInput, generator: Any | None, language: str | None) -> RecordSummary:
    if generator is None:
        return summarize_extractive(record.text, language)
    from rag.records.generate import model_summary

    return model_summary(record.text, generator, language)


def summarize_record(record: RecordInput, *, audit: Any | None, caller: str, generator: Any | None = None,
                     language: str | None = None, include_identifiers: bool = False,
                     trace_id: str | None = None) -> SummaryOutcome:
    """Summarise, check, de-identify (unless allowed) and audit one record; the audit is written before returning."""
    from rag.safety.deid import scrub

    trace_id = trace_id or uuid.uuid4().hex
    t0 = time.perf_counter()
    summary = _generate(record, generator, language)
    t1 = time.perf_counter()
    summary = check_summary(record.text, summary)
    report = check_grounding(record.text, summary)
    t2 = time.perf_counter()
    deid = deidentify_summary(summary)
    output = summary.to_json() if include_identifiers else deid
    output["trace_id"] = trace_id
    output["identifiers"] = "included" if include_identifiers else "de-identified"
    timings = {"generate": round((t1 - t0) * 1000, 1), "check": round((t2 - t1) * 1000, 1)}
    if audit is not None:
        scrubbed = scrub(record.text)
        payload = {
            "input": {"sha256": hashlib.sha256(record.text.encode("utf-8")).hexdigest(), "chars": len(record.text),
                      "source": record.source, "language": summary.language, "text_deidentified": scrubbed},
            "spans_deidentified": _deid_spans(deid, offset_map(record.text, scrubbed)),
            "generator": summary.generator,
            "summary": deid,  # never the raw identifiers, whatever the caller received
            "identifiers_returned": include_identifiers,
            "checks": {"notes": list(summary.notes), "values": report.values, "grounded": report.grounded,
                       "negated_diagnoses": report.negated_diagnoses, "problems": report.problems},
            "latency_ms": timings,
        }
        audit.append(trace_id=trace_id, kind="record_summary", caller=caller, status="ok", payload=payload)
    return SummaryOutcome(summary, output, trace_id, report.grounded, report.values, timings)


def audit_entities(record: RecordInput, entities: list[Entity], *, audit: Any | None, caller: str,
                   trace_id: str | None = None) -> str:
    """Write the audit record of an entity request (hash, de-identified text, spans and types; no raw text)."""
    from rag.safety.deid import scrub

    trace_id = trace_id or uuid.uuid4().hex
    if audit is not None:
        audit.append(trace_id=trace_id, kind="record_entities", caller=caller, status="ok", payload={
            "input": {"sha256": hashlib.sha256(record.text.encode("utf-8")).hexdigest(), "chars": len(record.text),
                      "source": record.source, "text_deidentified": scrub(record.text)},
            "entities": [{"start": e.start, "end": e.end, "type": e.type, "canonical": e.canonical, "negated": e.negated,
                          "icd10": e.icd10} for e in entities],
        })
    return trace_id


def entities_for(record: RecordInput) -> list[Entity]:
    """The entities of a validated record."""
    return recognize(record.text)


