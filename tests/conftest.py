"""Shared fixtures: real MiniLM (loaded once), Milvus Lite in tmp folders, PDFs made on the fly."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
REAL_PDFS = SHARED / "guidelines-real"
GUIDELINES = ROOT / "guidelines"


@pytest.fixture(scope="session")
def minilm():
    """The real default embedder, loaded once per test session."""
    from rag.knowledge.embedders.base import from_spec
    from rag.settings import Settings

    defaults = Settings()
    return from_spec(defaults.embedder, quantize=defaults.embed_quantize, backend=defaults.embed_backend)


def real_passages() -> list[str]:
    """A few hundred real passages from the shipped guidelines, short queries, and text past MiniLM's 256-token window."""
    out: list[str] = []
    for f in sorted(GUIDELINES.rglob("*.md")):
        for para in re.split(r"\n\s*\n", f.read_text(encoding="utf-8")):
            para = para.strip()
            if len(para) > 40:
                out.append(para)
    out = out[:360]
    out += ["fever", "chest pain when climbing stairs", "孩子发烧三天，咳嗽", "What should I do about a sore throat?", "a"]
    out.append(" ".join(out[:40]))  # far longer than max_seq_length: truncated the same way by every backend
    return out


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache folder of this test session: the ONNX export is made once here, then shared by the backend tests."""
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="session")
def torch_minilm():
    """MiniLM on sentence-transformers and torch: the reference the exported backends are compared with."""
    from rag.knowledge.embedders.base import from_spec

    return from_spec("sentence-transformers:bundled-minilm", backend="torch")


@pytest.fixture
def settings(tmp_path: Path):
    from rag.settings import Settings

    return Settings(data_dir=tmp_path / "kb")


def make_pdf(path: Path, pages: list[list[str]], *, header: str | None = None, footer_numbers: bool = False,
             title: str | None = None, author: str | None = None, encrypt: str | None = None) -> Path:
    """A real PDF with one text line per list item, optional running header and page numbers."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    for n, lines in enumerate(pages, start=1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        y = 12
        if header:
            pdf.text(15, y, header)
            y += 8
        for line in lines:
            pdf.text(15, y, line)
            y += 6
        if footer_numbers:
            pdf.text(100, 285, f"Page {n} of {len(pages)}")
    if encrypt:
        pdf.set_encryption(owner_password="owner", user_password=encrypt)
    pdf.output(str(path))
    return path


@pytest.fixture
def pdf_factory(tmp_path: Path):
    def factory(name: str, pages: list[list[str]], **kw) -> Path:
        return make_pdf(tmp_path / name, pages, **kw)

    return factory


@pytest.fixture(scope="session")
def starter_kb(tmp_path_factory, minilm) -> Iterator[object]:
    """The starter guidelines ingested once into a Milvus Lite knowledge base, with audit and sessions."""
    from ingest.run import ingest_paths
    from rag.backends import Backends
    from rag.settings import Settings

    data = tmp_path_factory.mktemp("starter")
    settings = Settings(data_dir=data)
    backends = Backends(settings, _embedder=minilm)
    report = ingest_paths([GUIDELINES], settings, minilm, backends.store)
    assert report.ok, report.summary()
    yield backends
    backends.close()
