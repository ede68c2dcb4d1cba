"""The auditor page of a record summary: the de-identified record beside the summary, each field's spans highlighted.

Self-contained, escaped HTML like the consultation page (same stylesheet, no scripts). The record shown is the
de-identified text the audit trail holds; spans were mapped onto it when the record was written.
"""

from __future__ import annotations

from html import escape
from typing import Any

from api.auditor import _CSS
from rag.audit.trail import AuditRecord

__all__ = ["render_summary_page", "PAGE_CSS"]

_EXTRA_CSS = """
.cols{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px}
.record{font-size:13px;line-height:1.5;white-space:pre-wrap;max-height:80vh;overflow:auto}
mark.f0{background:#ffe066}mark.f1{background:#b8e0ff}mark.f2{background:#c8f0c0}mark.f3{background:#f6c6e8}mark.f4{background:#ffd3a8}
.field{border-top:1px solid #eef0f3;padding:6px 0;font-size:13px}.field b{color:#12355b}
"""
PAGE_CSS = _CSS + _EXTRA_CSS
_ORDER = ("patient_id", "admission_date", "discharge_date", "chief_complaint", "diagnoses", "medications", "tests",
          "treatment_plan", "follow_up", "summary")


def _pairs(value: Any) -> list[tuple[int, int]]:
    """Every [start, end] pair in a span list or a list of span lists."""
    if isinstance(value, list) and len(value) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in value):
        return [(value[0], value[1])]
    if isinstance(value, list):
        return [pair for v in value for pair in _pairs(v)]
    return []


def _field_spans(p: dict[str, Any]) -> list[tuple[int, int, str, int]]:
    """(start, end, field, colour) in the de-identified text, earliest first, without overlaps."""
    mapped: dict[str, Any] = p.get("spans_deidentified") or {}
    out: list[tuple[int, int, str, int]] = []
    for i, name in enumerate(_ORDER):
        for s, e in _pairs(mapped.get(name)):
            out.append((s, e, name, i % 5))
    out.sort()
    kept: list[tuple[int, int, str, int]] = []
    for item in out:
        if not kept or item[0] >= kept[-1][1]:
            kept.append(item)
    return kept


def render_summary_page(rec: AuditRecord) -> str:
    """HTML for one record_summary audit record."""
    p: dict[str, Any] = rec.payload
    text = str((p.get("input") or {}).get("text_deidentified", ""))
    summary: dict[str, Any] = p.get("summary") or {}
    pieces, pos = [], 0
    for s, e, name, colour in _field_spans(p):
        if s < pos or e > len(text):
            continue
        pieces.append(escape(text[pos:s]))
        pieces.append(f'<mark class="f{colour}" title="{escape(name)}">{escape(text[s:e])}</mark>')
        pos = e
    pieces.append(escape(text[pos:]))
    fields = []
    for i, name in enumerate(_ORDER):
        v = summary.get(name)
        if isinstance(v, dict):
            shown = escape(str(v.get("value", "")))
        elif isinstance(v, list):
            shown = "; ".join(escape(str(x.get("name") or x.get("value") or "")) + (f" [{escape(str(x['icd10']))}]" if x.get("icd10") else "")
                              for x in v if isinstance(x, dict))
        else:
            shown = '<span class="muted">not found</span>'
        fields.append(f'<div class="field"><mark class="f{i % 5}">&nbsp;</mark> <b>{escape(name)}</b>: {shown or "—"}</div>')
    checks: dict[str, Any] = p.get("checks") or {}
    notes = "".join(f"<li>{escape(str(n))}</li>" for n in checks.get("notes", []))
    inp: dict[str, Any] = p.get("input") or {}
    meta = (f"<p class=\"muted\">trace {escape(rec.trace_id)} · {escape(rec.created_at)} · caller {escape(rec.caller)} · "
            f"generator {escape(str(p.get('generator', '')))} · {escape(str(checks.get('grounded', '')))}/"
            f"{escape(str(checks.get('values', '')))} values grounded · input sha256 <code>{escape(str(inp.get('sha256', '')))}</code>"
            f" · record hash <code>{escape(rec.hash)}</code></p>")
    body = (f"<header><h1>Record summary</h1><p>Audit record {escape(rec.trace_id)} (identifiers de-identified)</p></header>"
            f"<main>{meta}<div class=\"cols\"><section><h2>Record</h2><div class=\"record\">{''.join(pieces)}</div></section>"
            f"<section><h2>Summary</h2>{''.join(fields)}"
            + (f"<h3>Check notes</h3><ul>{notes}</ul>" if notes else "") + "</section></div></main>")
    return (f'<!doctype html><html lang="{escape(str(inp.get("language") or "en"))}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>Summary {escape(rec.trace_id)}</title>'
            f"<style>{PAGE_CSS}</style></head><body>{body}</body></html>")
