"""Ingest against real PDFs (made here, and the shared real ones when present) and real Milvus Lite."""

from __future__ import annotations

import json
import os
import stat
import zlib
from pathlib import Path

import pytest

from ingest.cli import main as ingest_main
from ingest.run import ingest_paths
from rag.knowledge.embedders.hashing import HashEmbedder
from rag.knowledge.milvus import MilvusStore
from rag.settings import Settings
from tests.conftest import REAL_PDFS

HASH = HashEmbedder(dim=32)
REAL = Path(os.environ.get("CLINRAG_REAL_PDFS", str(REAL_PDFS)))  # a worktree elsewhere can point at the shared copy

GUIDE_PAGES = [
    ["1 Introduction", "Acute otitis media is a common infection of the middle ear in young chil-",
     "dren. This guideline covers assessment and treatment in primary care."],
    ["2 Assessment", "2.1 Symptoms", "Ear pain, fever and irritability are typical. Look for a bulging eardrum.",
     "Treatment", "Pain relief with paracetamol or ibuprofen is the first step."],
    ["3 Red flags", "Swelling behind the ear, a stiff neck or drowsiness need emergency care.",
     "4 Follow up", "Review after 3 days if symptoms do not improve."],
]


def _store(settings: Settings, dim: int) -> MilvusStore:
    return MilvusStore.from_settings(settings, dim)


def test_pdf_pages_sections_and_running_lines(pdf_factory, settings):
    pdf = pdf_factory("otitis.pdf", GUIDE_PAGES, header="Ear Guideline 2024 | NHS Example", footer_numbers=True,
                      title="Otitis media guideline", author="Example Health Service")
    store = _store(settings, HASH.dim)
    report = ingest_paths([pdf], settings, HASH, store)
    assert report.ok, report.summary()
    f = report.files[0]
    assert f.pages == 3 and f.chunks >= 3
    hits = store.search_bm25("bulging eardrum", 5, store.active_documents())
    top = hits[0]
    assert top.page_start == 2 and top.section.startswith("2 Assessment > 2.1 Symptoms")
    assert top.title == "Otitis media guideline" and top.publisher == "Example Health Service"
    everything = " ".join(p.text for p in store.search_bm25("ear guideline page pain", 50, store.active_documents()))
    assert "Ear Guideline 2024" not in everything, "running header must be removed"
    assert "Page 2 of 3" not in everything, "page numbers must be removed"
    assert "children" in everything, "a word hyphenated across lines is joined"
    red = store.search_bm25("stiff neck drowsiness", 1, store.active_documents())[0]
    assert red.page_start == 3 and red.section == "3 Red flags"


def test_markdown_front_matter_and_text(tmp_path, settings):
    md = tmp_path / "burns.md"
    md.write_text("---\nid: burns-care\ntitle: Burns\npublisher: clinrag starter set\nversion: '2026.1'\nlanguage: en\n"
                  "patient_groups: [adult]\n---\n# Burns\n## Self-care\nCool the burn under cool running water for 20 minutes.\n",
                  encoding="utf-8")
    txt = tmp_path / "notes.txt"
    txt.write_text("发热时多喝水，注意休息。如果高烧超过三天，请到发热门诊就诊。", encoding="utf-8")
    store = _store(settings, HASH.dim)
    report = ingest_paths([tmp_path], settings, HASH, store)
    assert report.ok, report.summary()
    docs = {d.doc_id: d for d in store.active_documents()}
    assert docs["burns-care"].version == "2026.1" and docs["burns-care"].groups == ("adult",)
    assert docs["notes"].language == "zh"
    hit = store.search_bm25("cool running water", 1, store.active_documents())[0]
    assert hit.section == "Burns > Self-care"


def test_chunks_never_exceed_minilm_window(tmp_path, settings, minilm):
    from ingest.chunk import chunk_document, embed_text
    from ingest.document import Page
    from rag.types import GuidelineDoc

    long_para = " ".join(f"Sentence {i} about hypertension, blood pressure targets and lifestyle change." for i in range(400))
    no_spaces = "x" * 5000
    zh = "。".join(["高血压患者应当低盐饮食并规律监测血压"] * 300)
    doc = GuidelineDoc(doc_id="d", title="A long title about blood pressure", publisher="p", version="1", language="en",
                       source="d.txt", content_hash="h")
    chunks = chunk_document(doc, [Page(1, long_para), Page(2, no_spaces), Page(3, zh)], "text", minilm.count_tokens,
                            chunk_tokens=240, overlap_tokens=24, max_tokens=minilm.max_tokens)
    assert len(chunks) > 10
    assert max(minilm.count_tokens(embed_text(doc, c.section, c.text)) for c in chunks) <= minilm.max_tokens
    assert {c.page_start for c in chunks} == {1, 2, 3}
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_reingest_unchanged_is_noop_and_change_makes_new_version(tmp_path, settings):
    md = tmp_path / "cough.md"
    md.write_text("---\ntitle: Cough\npublisher: t\nversion: '1'\n---\n# Cough\nHoney may ease a cough in adults.\n", encoding="utf-8")
    store = _store(settings, HASH.dim)
    first = ingest_paths([md], settings, HASH, store)
    assert first.files[0].status == "ingested"
    again = ingest_paths([md], settings, HASH, store)
    assert again.files[0].status == "unchanged"
    assert store.count_chunks() == first.files[0].chunks
    md.write_text("---\ntitle: Cough\npublisher: t\nversion: '2'\n---\n# Cough\nSee a doctor if a cough lasts 3 weeks.\n", encoding="utf-8")
    third = ingest_paths([md], settings, HASH, store)
    assert third.files[0].status == "ingested" and third.files[0].replaced_version == "1"
    hits = store.search_bm25("cough", 10, store.active_documents())
    assert {h.version for h in hits} == {"2"}
    statuses = sorted(v.version for v in store.versions())
    assert statuses == ["1", "2"]
    assert store.count_chunks() == first.files[0].chunks + third.files[0].chunks  # old chunks kept


def _bomb_pdf(path: Path) -> Path:
    """A valid PDF whose one content stream inflates to 600 MB of zeros (a decompression bomb)."""
    comp = zlib.compressobj(9)
    data = b"".join(comp.compress(b"\0" * (1 << 20)) for _ in range(600)) + comp.flush()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def test_bad_inputs_each_reported_while_good_files_ingest(tmp_path, pdf_factory, monkeypatch, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    good = pdf_factory("good.pdf", [["1 Fever", "Drink fluids and rest when you have a fever."]])
    (bad / "good.pdf").write_bytes(good.read_bytes())
    (bad / "notapdf.pdf").write_text("hello, I am text", encoding="utf-8")
    (bad / "truncated.pdf").write_bytes(good.read_bytes()[: len(good.read_bytes()) // 3])
    pdf_factory("secret.pdf", [["1 Private", "Encrypted content here for nobody."]], encrypt="pw")
    (bad / "secret.pdf").write_bytes((tmp_path / "secret.pdf").read_bytes())
    pdf_factory("blank.pdf", [[], []])
    (bad / "blank.pdf").write_bytes((tmp_path / "blank.pdf").read_bytes())
    (bad / "latin1.txt").write_bytes("fi\xe8vre et toux".encode("latin-1"))
    (bad / "badmeta.md").write_text("---\ntitle: [unclosed\n---\nbody text here\n", encoding="utf-8")
    (bad / "unknownkey.md").write_text("---\ntitel: typo\n---\nbody text here\n", encoding="utf-8")
    (bad / "empty.md").write_text("", encoding="utf-8")
    (bad / "image.png").write_bytes(b"\x89PNG\r\n")  # ignored when walking a folder: not a guideline format
    _bomb_pdf(bad / "bomb.pdf")
    locked = bad / "locked.md"
    locked.write_text("# Locked\nCannot read me.\n", encoding="utf-8")
    locked.chmod(0)
    monkeypatch.setenv("CLINRAG_DATA_DIR", str(tmp_path / "kb"))
    monkeypatch.setenv("CLINRAG_EMBEDDER", "hash:32")
    monkeypatch.setenv("CLINRAG_PARSE_MEMORY_MB", "400")
    rc = ingest_main([str(bad), str(tmp_path / "missing.pdf"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1
    by_name = {Path(f["path"]).name: f for f in out["files"]}
    assert by_name["good.pdf"]["status"] == "ingested"
    expect = {
        "notapdf.pdf": "not a PDF", "truncated.pdf": "PDF", "secret.pdf": "encrypted", "blank.pdf": "no extractable text",
        "latin1.txt": "not UTF-8", "badmeta.md": "not valid YAML", "unknownkey.md": "unknown keys", "empty.md": "empty",
        "bomb.pdf": "", "missing.pdf": "no such file",
    }
    if os.geteuid() != 0:  # root reads files whatever their mode
        expect["locked.md"] = "cannot read"
    for name, words in expect.items():
        f = by_name[name]
        assert f["status"] == "failed", (name, f)
        assert name in f["error"] or name == "missing.pdf"
        assert words.lower() in f["error"].lower(), (name, f["error"])
        assert "Traceback" not in f["error"]
    assert "image.png" not in by_name
    locked.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_identical_bytes_under_two_names_are_two_documents(tmp_path, settings):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("Rest and drink fluids when you have a cold.", encoding="utf-8")
    store = _store(settings, HASH.dim)
    report = ingest_paths([tmp_path / "a.txt", tmp_path / "b.txt"], settings, HASH, store)
    assert [f.status for f in report.files] == ["ingested", "ingested"]
    assert {d.doc_id for d in store.active_documents()} == {"a", "b"}


def test_blank_pages_reported_by_page(pdf_factory, settings):
    pdf = pdf_factory("mixed.pdf", [["1 Rash", "An itchy rash after a new soap is often contact dermatitis."], [],
                                    ["2 Care", "Stop the soap and use a bland moisturiser twice a day."]])
    report = ingest_paths([pdf], settings, HASH, _store(settings, HASH.dim))
    f = report.files[0]
    assert f.status == "ingested"
    assert any(w.startswith("page 2:") for w in f.warnings), f.warnings


def test_dry_run_writes_nothing(pdf_factory, settings):
    pdf = pdf_factory("dry.pdf", [["1 Topic", "Some guideline text long enough to chunk."]])
    report = ingest_paths([pdf], settings, HASH, None, dry_run=True)
    assert report.files[0].status == "dry-run" and report.files[0].chunks >= 1
    assert not settings.lite_path().exists()


@pytest.mark.slow
@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/guidelines-real is not present")
def test_real_guideline_pdfs(tmp_path, minilm):
    settings = Settings(data_dir=tmp_path / "kb")
    store = MilvusStore.from_settings(settings, minilm.dim)
    report = ingest_paths(sorted(REAL.glob("*.pdf")), settings, minilm, store)
    assert report.ok, report.summary()
    pages = {Path(f.path).name: f.pages for f in report.files}
    assert pages["statpearls_kawasaki_disease.pdf"] == 11
    assert pages["cdc_us_mec_summary_chart_2024.pdf"] == 2
    assert len(store.active_documents()) == 6
    hit = store.search_dense(minilm.embed_query("Kawasaki disease coronary artery aneurysm"), 3, store.active_documents())[0]
    assert hit.source == "statpearls_kawasaki_disease.pdf" and 1 <= hit.page_start <= 11
    again = ingest_paths(sorted(REAL.glob("*.pdf")), settings, minilm, store)
    assert [f.status for f in again.files] == ["unchanged"] * 6


def test_revised_version_embeds_only_changed_chunks(tmp_path):
    """A new version of a guideline reuses the embeddings of its unchanged text (the cache is on by default)."""
    from ingest.run import ingest_paths
    from rag.knowledge.embedders.hashing import HashEmbedder
    from rag.knowledge.milvus import MilvusStore
    from rag.settings import Settings

    def doc(extra: str) -> str:
        body = "\n\n".join(f"## Part {k}\n\n" + " ".join(f"Sentence {k}.{j} about fever, fluids and rest." for j in range(40))
                           for k in range(8))
        return f"---\ntitle: Living guideline\npublisher: t\nversion: '{1 if not extra else 2}'\n---\n# Living guideline\n\n{body}\n{extra}"

    settings = Settings(data_dir=tmp_path / "data", embedder="hash:32", chunk_tokens=64)
    emb = HashEmbedder(32)
    store = MilvusStore.from_settings(settings, emb.dim)
    path = tmp_path / "living.md"
    try:
        path.write_text(doc(""), encoding="utf-8")
        first = ingest_paths([path], settings, emb, store).to_json()
        assert first["ingested"] == 1 and first["embedded"] == first["chunks"] and first["reused"] == 0
        path.write_text(doc("## Part 9\n\nA new section on dosing in children.\n"), encoding="utf-8")
        second = ingest_paths([path], settings, emb, store).to_json()
        assert second["ingested"] == 1 and second["files"][0]["replaced_version"] == "1"
        assert second["embedded"] == 1, second  # only the new section's chunk
        assert second["reused"] == second["chunks"] - 1
        # reused vectors are the vectors the embedder gives for that text
        active = store.active_version(second["files"][0]["doc_id"])
        assert active is not None and active.version == "2"
        rows = store._query_all(f'content_hash == "{active.content_hash}"', ["text", "vector", "section"])
        for r in rows[:5]:
            fresh = emb.embed_documents([f"Living guideline — {r['section'].split(' > ')[-1]}\n{r['text']}"])[0]
            assert [round(x, 5) for x in r["vector"]] == [round(x, 5) for x in fresh]
    finally:
        store.close()
