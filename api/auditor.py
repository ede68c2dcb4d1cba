"""The auditor page: one consultation's audit record as self-contained, escaped HTML.

Every answer item is shown with its citations; each citation shows the guideline passage with the
span the item rests on highlighted (<mark>), and the guideline's title, version, section and pages.
Passages whose guideline version was later superseded or retired are marked as such.
No scripts, no external assets; every value from the record goes through html.escape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

from rag.audit.record import ConsultationRecord
from rag.audit.trail import AuditRecord
from rag.text import content_words

__all__ = ["PassageView", "highlight_spans", "render_audit_page"]

_SENTENCE = re.compile(r"[^.!?。！？\n]+[.!?。！？]?", re.UNICODE)


@dataclass(frozen=True, slots=True)
class PassageView:
    """A cited passage as the store holds it now."""

    text: str
    active: bool
    status: str  # active | superseded | retired | unknown (passage no longer stored)


def _words(text: str) -> list[str]:
    return content_words(text)


def highlight_spans(passage: str, item: str) -> list[tuple[int, int]]:
    """Character spans of `passage` that `item` quotes: the verbatim quote, else the sentences it draws on."""
    tokens = item.split()
    if tokens:
        m = re.search(r"\s+".join(re.escape(t) for t in tokens), passage, re.IGNORECASE)
        if m:
            return [m.span()]
    want = set(_words(item))
    if not want:
        return []
    scored = []
    for m in _SENTENCE.finditer(passage):
        words = set(_words(m.group()))
        if words:
            scored.append((len(want & words) / len(want), m.start(), m.end()))
    good = [(s, a, b) for s, a, b in scored if s >= 0.5]
    if not good and scored:
        best = max(scored)
        good = [best] if best[0] >= 0.25 else []
    spans = []
    for _, a, b in sorted(good, key=lambda t: t[1]):
        while a < b and passage[a].isspace():
            a += 1
        spans.append((a, b))
    return spans


def _marked(text: str, spans: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for a, b in spans:
        if a < pos:
            continue
        out.append(escape(text[pos:a]))
        out.append(f"<mark>{escape(text[a:b])}</mark>")
        pos = b
    out.append(escape(text[pos:]))
    return "".join(out)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC",sans-serif;margin:0;background:#f6f7f9;color:#1d2329}
header{background:#12355b;color:#fff;padding:16px 28px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;font-size:13px;opacity:.85}
main{max-width:1080px;margin:0 auto;padding:20px 28px}
section{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:14px 18px;margin:0 0 16px}
h2{font-size:16px;margin:0 0 10px;color:#12355b}h3{font-size:14px;margin:12px 0 6px}
table.meta{border-collapse:collapse;font-size:13px}table.meta td{padding:2px 12px 2px 0;vertical-align:top}table.meta td:first-child{color:#5a6572;white-space:nowrap}
code{font-size:12px;background:#eef1f4;padding:1px 4px;border-radius:3px;word-break:break-all}
.badge{display:inline-block;font-size:11px;font-weight:600;padding:1px 7px;border-radius:10px;margin-left:6px;vertical-align:middle}
.b-emergency{background:#b3261e;color:#fff}.b-urgent{background:#e8710a;color:#fff}.b-soon{background:#f2c14e}.b-routine,.b-self_care{background:#d6ecd2}
.b-high{background:#d6ecd2}.b-medium{background:#fdf0c4}.b-low{background:#f5d5d3}
.b-active{background:#d6ecd2}.b-superseded{background:#f5d5d3;color:#7a1b14}.b-retired{background:#e2e2e2;color:#333}.b-unknown{background:#e2e2e2}
.item{border-top:1px solid #eef0f3;padding:10px 0}.item:first-of-type{border-top:0}
.item-text{font-size:14px}
.cite{margin:8px 0 4px 18px;border-left:3px solid #9db4cc;padding:6px 10px;background:#fafbfc}
.cite.superseded,.cite.retired{border-left-color:#c5221f;background:#fff6f5}
.cite-head{font-size:12px;color:#3d4852;margin-bottom:4px}
.passage{font-size:13px;line-height:1.5;white-space:pre-wrap}
mark{background:#ffe066;padding:0 1px}
.flag{color:#b3261e;font-weight:600}
.muted{color:#6b7580;font-size:12px}
"""


def _badge(value: str, label: str | None = None) -> str:
    cls = re.sub(r"[^a-z_]", "", value.lower())
    return f'<span class="badge b-{cls}">{escape(label or value)}</span>'


def _meta_table(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><td>{escape(k)}</td><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="meta">{body}</table>'


def render_audit_page(rec: AuditRecord, lookup: Callable[[str], PassageView | None]) -> str:
    """HTML for one audit record; `lookup(chunk_id)` gives the passage as stored now (None if gone)."""
    p: dict[str, Any] = rec.payload
    record = ConsultationRecord.from_payload(p)
    answer: dict[str, Any] = record.answer_dict()
    request: dict[str, Any] = record.request.model_dump()
    citations = {int(c["n"]): c for c in answer.get("citations", []) if isinstance(c, dict) and "n" in c}
    views: dict[str, PassageView | None] = {}

    def view(chunk_id: str) -> PassageView | None:
        if chunk_id not in views:
            views[chunk_id] = lookup(chunk_id)
        return views[chunk_id]

    def cite_block(n: int, item_text: str) -> str:
        c = citations.get(n)
        if c is None:
            return f'<div class="cite"><div class="cite-head">[{n}] not among the recorded citations</div></div>'
        v = view(str(c.get("chunk_id", "")))
        text = v.text if v is not None else str(c.get("quote", ""))
        status = v.status if v is not None else "unknown"
        spans = highlight_spans(text, item_text)
        head = (f"[{n}] <b>{escape(str(c.get('title', '')))}</b> · {escape(str(c.get('publisher', '')))} · "
                f"version {escape(str(c.get('version', '')))} · section {escape(str(c.get('section') or 'n/a'))} · "
                f"{escape(str(c.get('source', '')))} p.{escape(str(c.get('pages', '')))}"
                f"{_badge(status, 'superseded version' if status == 'superseded' else status)}"
                f" <span class=\"muted\">support: {escape(str(c.get('support', '')))} · retrieval score "
                f"{escape(str(c.get('retrieval_score', '')))} · chunk <code>{escape(str(c.get('chunk_id', '')))}</code></span>")
        note = "" if spans else '<div class="muted">no verbatim span found; the whole passage is shown</div>'
        return (f'<div class="cite {escape(status)}"><div class="cite-head">{head}</div>'
                f'<div class="passage">{_marked(text, spans)}</div>{note}</div>')

    def item_block(kind: str, text: str, extra: str, cites: list[int], quote_text: str | None = None) -> str:
        blocks = "".join(cite_block(int(n), quote_text or text) for n in cites)
        if not cites:
            blocks = '<div class="muted">no citation</div>'
        return f'<div class="item"><div class="item-text"><b>{escape(kind)}</b> {escape(text)} {extra}</div>{blocks}</div>'

    parts: list[str] = []
    urgency = str(answer.get("urgency", ""))
    parts.append(
        f"<header><h1>Audit trace {escape(rec.trace_id)}</h1>"
        f"<p>{escape(rec.created_at)} · record #{rec.seq} · status {escape(rec.status)} · caller {escape(rec.caller)}</p></header><main>"
    )
    # input
    ctx = request.get("context") or {}
    ctx_rows = "".join(f"<tr><td>{escape(str(k))}</td><td>{escape(str(v))}</td></tr>" for k, v in ctx.items())
    parts.append(
        "<section><h2>Input (de-identified)</h2>"
        f'<div class="item-text">{escape(str(request.get("symptoms", "")))}</div>'
        f'<table class="meta">{ctx_rows}<tr><td>language</td><td>{escape(str(request.get("language", "")))}</td></tr></table></section>'
    )
    # answer
    seek = answer.get("seek_care") or {}
    flags = answer.get("red_flags") or []
    flag_html = "".join(f'<div class="flag">RED FLAG {escape(str(f.get("rule_id", "")))}: {escape(str(f.get("label", "")))} '
                        f'(matched “{escape(str(f.get("matched_text", "")))}”; source {escape(str(f.get("source", "")))})</div>'
                        for f in flags if isinstance(f, dict))
    items: list[str] = []
    for c in answer.get("possible_conditions", []):
        extra = _badge(str(c.get("confidence", ""))) + (f' <span class="muted">ICD-10 {escape(str(c["icd10"]))}</span>' if c.get("icd10") else "")
        items.append(item_block("Possible condition:", f"{c.get('name', '')} — {c.get('rationale', '')}", extra,
                                c.get("citations", []), quote_text=str(c.get("rationale", ""))))
    for s in answer.get("self_care", []):
        items.append(item_block("Self-care:", str(s.get("advice", "")), _badge(str(s.get("confidence", ""))), s.get("citations", [])))
    if seek:
        items.append(item_block("Seek care:", f"{seek.get('department', '')} — {seek.get('reason', '')}",
                                _badge(str(seek.get("urgency", ""))), seek.get("citations", []), quote_text=str(seek.get("reason", ""))))
    for t in answer.get("suggested_tests", []):
        items.append(item_block("Test:", f"{t.get('test', '')} — {t.get('reason', '')}", "", t.get("citations", []),
                                quote_text=str(t.get("reason", ""))))
    if not answer:
        items.append(f'<div class="muted">no answer was recorded (error: {escape(str(p.get("error", "")))})</div>')
    evidence = "" if answer.get("evidence_sufficient", True) else '<p class="flag">Evidence insufficient: the service abstained.</p>'
    parts.append(
        f"<section><h2>Answer {_badge(urgency, 'urgency: ' + urgency) if urgency else ''}</h2>{flag_html}{evidence}"
        f"{''.join(items)}"
        f'<p class="muted">{escape(str(answer.get("disclaimer", "")))}</p></section>'
    )
    if record.urgency is not None:
        parts.append(f'<section><h2>Urgency decision</h2><p>{escape(record.urgency.basis)}: {escape(record.urgency.reason)}</p></section>')
    if record.failure is not None:
        parts.append(f'<section><h2>Degraded answer</h2><p class="flag">step {escape(record.failure.step)} failed '
                     f'({escape(record.failure.error_type)}); the answer carried the triage result only.</p></section>')
    # provenance
    gen = p.get("generation") or {}
    gi = answer.get("generator") or {}
    prompt = p.get("prompt") or {}
    tri = p.get("triage") or {}
    notes = answer.get("notes") or []
    retrieval = p.get("retrieval") or {}
    passages = "".join(
        f"<tr><td>[{escape(str(r.get('n', '')))}]</td><td>{escape(str(r.get('doc_id', '')))} v{escape(str(r.get('version', '')))} "
        f"<code>{escape(str(r.get('chunk_id', '')))}</code> score {escape(str(r.get('score', '')))}</td></tr>"
        for r in retrieval.get("passages", []) if isinstance(r, dict))
    parts.append(
        "<section><h2>Provenance</h2>"
        + _meta_table([
            ("generator", escape(str(gi.get("description") or gen.get("backend", "")))),
            ("model", escape(str(gen.get("model") or gi.get("model", "")))),
            ("prompt template", escape(str(prompt.get("template_id") or gi.get("prompt_version", "")))),
            ("triage rules", escape(str(tri.get("rules_version", "")))),
            ("best dense similarity", escape(str(retrieval.get("best_dense", "")))),
            ("record hash", f"<code>{escape(rec.hash)}</code>"),
            ("previous hash", f"<code>{escape(rec.prev_hash)}</code>"),
        ])
        + (f"<h3>Retrieved passages</h3><table class=\"meta\">{passages}</table>" if passages else "")
        + ("<h3>Verification notes</h3><ul>" + "".join(f"<li>{escape(str(n))}</li>" for n in notes) + "</ul>" if notes else "")
        + "</section>"
    )
    parts.append("</main>")
    return (f'<!doctype html><html lang="{escape(str(answer.get("language") or "en"))}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>Audit {escape(rec.trace_id)}</title>'
            f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>")
