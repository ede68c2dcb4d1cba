"""Retrieval quality on MEDIQA 2019 Task 3 (pooled), stage by stage, at the document and the passage level.

    .venv/bin/python bench/retrieval.py [--kb /tmp/clinrag-mediqa] [--search local,milvus] [--weights 0.95] [--shares 0,0.2]
        [--doc-weights 0.15,0.7] [--doc-chunks 0,2]

Every distinct answer text becomes one document (source name: the file's part after "-QA-" and the AID of
the first answer with that text, since the two files reuse AIDs and many answers are shared between
questions: `load`; `--answers ids` keeps every answer as its own document, `--answers legacy` names them by
AID alone as before 2026-12-01, which loses 188 training answers); all are ingested with clinrag's own
pipeline into one Milvus Lite collection (kept in --kb between runs, so a second run skips the
ingest; query embeddings are cached there too); each question is a query.

Document level (what people judge): documents ranked by clinrag's document mode (best passage +
share x second best; share 0 is "documents ranked by their best chunk"). Gains follow the dataset
README: 2^(ReferenceScore-1) - 1 (score 1 counts 0). nDCG@10, and recall@10 of answers scored >= 3.
Passage level: the passages in fused order, each judged by its document's grade: P@10 (share of
the top 10 passages from an answer scored >= 3) and MRR of the first such passage.

Stages, each adding to the one before: dense only (CLINRAG_DENSE_WEIGHT=1, raw question), BM25
only, the hybrid as it was (raw question, best chunk), + query understanding
(rag/knowledge/query.py), + document aggregation (document vector weight, optionally scaled by
min(1, n / the document's chunk count): --doc-weights, --doc-chunks), + the packaged document reranker
(rag/knowledge/rerank.py; trained on the dev part, so only its held-out figure is out of sample; bench/rerank.py
reports it out-of-fold). Questions are split by a hash of their file and
QID into a dev part (2/3, used to choose settings) and a held-out part (1/3, reported, never used to
choose); both are printed with the whole set.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _data_dir() -> Path:
    """The MEDIQA folder: $CLINRAG_MEDIQA, else shared/eval-public/mediqa2019 beside or above the checkout."""
    if os.environ.get("CLINRAG_MEDIQA"):
        return Path(os.environ["CLINRAG_MEDIQA"])
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared" / "eval-public" / "mediqa2019").is_dir():
            return base / "shared" / "eval-public" / "mediqa2019"
    return ROOT.parent / "shared" / "eval-public" / "mediqa2019"


DATA = _data_dir()


ANSWER_MODES = ("texts", "ids", "legacy")


def answer_key(xml_stem: str, aid: str) -> str:
    """A document name unique across the files: the two files reuse AIDs ("2_Answer1" is in both, 188 of them
    for different answers), so the file's part after "-QA-" ("TrainingSet2-Alexa", "ValidationSet") leads."""
    return f"{xml_stem.rsplit('-QA-', 1)[-1]}_{aid}"


def load(mode: str = "texts") -> tuple[dict[str, str], list[tuple[str, str, dict[str, int]]]]:
    """Answers by document name, and (question key, text, grades by document name) per question.

    mode "texts" (the default since 2026-12-01): one document per distinct answer text, named by the first
    answer that has it (`answer_key`); a question's grade for it is its grade for its own answer with that
    text. MEDIQA reuses answers across questions: the 1,096 answers hold 741 distinct texts, and 69 of the
    129 questions have a relevant answer whose exact text is also another question's answer. As separate
    documents, the copies tie on every score, and whichever copy ranks first decides whether the relevant
    one is found (a copy graded for another question counts 0 and takes a top-10 place).
    mode "ids": every answer its own document (`answer_key`), copies kept.
    mode "legacy": answers named by AID alone, as before 2026-12-01: the validation file's answers replace
    the training file's 188 answers with the same AIDs, so 25 training questions are graded against other
    questions' answers (kept only to reproduce older figures)."""
    if mode not in ANSWER_MODES:
        raise ValueError(f"answer mode {mode!r}: use one of {', '.join(ANSWER_MODES)}")
    answers: dict[str, str] = {}
    by_text: dict[str, str] = {}
    questions = []
    for f in sorted(DATA.glob("*.xml")):
        for q in ET.parse(f).getroot().iter("Question"):
            text = (q.findtext("QuestionText") or "").strip()
            grades = {}
            for a in q.iter("Answer"):
                aid = a.get("AID") or ""
                body = (a.findtext("AnswerText") or "").strip()
                name = aid if mode == "legacy" else answer_key(f.stem, aid)
                if mode == "texts":
                    name = by_text.setdefault(body, name)
                answers[name] = body
                grades[name] = max(grades.get(name, 0), int(a.get("ReferenceScore") or 0))
            questions.append((f"{f.stem}:{q.get('QID')}", text, grades))
    return answers, questions


def write_docs(answers: dict[str, str], folder: Path) -> Path:
    """Every MEDIQA answer document as one text file named by its document name (written once; kept between runs)."""
    folder.mkdir(parents=True, exist_ok=True)
    for aid, text in answers.items():
        f = folder / f"{aid}.txt"
        if not f.exists():
            f.write_text(text or "(empty)", encoding="utf-8")
    return folder


def held_out(key: str) -> bool:
    """One question in three, by a hash of its file and QID: never used to choose a setting."""
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % 3 == 0


def _gain(s: int) -> float:
    return 2 ** (s - 1) - 1 if s >= 1 else 0


def ndcg_recall(ranked: list[str], grades: dict[str, int], k: int = 10) -> tuple[float, float]:
    dcg = sum(_gain(grades.get(d, 0)) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((_gain(s) for s in grades.values()), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    good = {d for d, s in grades.items() if s >= 3}
    recall = len(good & set(ranked[:k])) / len(good) if good else float("nan")
    return (dcg / idcg if idcg else float("nan")), recall


def passage_metrics(passage_docs: list[str], grades: dict[str, int], k: int = 10) -> tuple[float, float]:
    """P@k and MRR over passages, each judged by its document (answer) grade >= 3."""
    good = {d for d, s in grades.items() if s >= 3}
    if not good:
        return float("nan"), float("nan")
    p = sum(1 for d in passage_docs[:k] if d in good) / k
    rr = next((1.0 / (i + 1) for i, d in enumerate(passage_docs) if d in good), 0.0)
    return p, rr


class CachedQueries:
    """The embedder with query vectors kept in a JSON file (the bench embeds the same questions every run)."""

    def __init__(self, inner: Any, path: Path) -> None:
        self._inner = inner
        self._path = path
        self._cache: dict[str, list[float]] = json.loads(path.read_text()) if path.exists() else {}
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens

    def count_tokens(self, text: str) -> int:
        return int(self._inner.count_tokens(text))

    def embed_query(self, text: str) -> list[float]:
        if text not in self._cache:
            self._cache[text] = [float(x) for x in self._inner.embed_query(text)]
        return self._cache[text]

    def embed_documents(self, texts: Any) -> list[list[float]]:
        return list(self._inner.embed_documents(texts))

    def save(self) -> None:
        self._path.write_text(json.dumps(self._cache))


def stages(weights: list[float], shares: list[float], doc_weights: list[float], doc_chunks: list[int], rerank: bool = True,
           default_a: float = 0.7, default_n: int = 2) -> list[tuple[str, dict[str, Any]]]:
    plain = {"query_understanding": False, "doc_second_share": 0.0, "doc_vector_weight": 0.0, "doc_vector_chunks": 0}
    out: list[tuple[str, dict[str, Any]]] = [
        ("dense only", {**plain, "dense_weight": 1.0}),
        ("BM25 only", {**plain, "dense_weight": 0.0}),
    ]
    for w in weights:
        out.append((f"hybrid w={w} (raw question, best chunk)", {**plain, "dense_weight": w}))
        understood = {**plain, "dense_weight": w, "query_understanding": True}
        out.append((f"hybrid w={w} + query understanding", understood))
        for share in shares:
            out.append((f"hybrid w={w} + query understanding + 2nd passage x{share}", {**understood, "doc_second_share": share}))
        for a in doc_weights:
            for n in doc_chunks:
                scaled = f", x min(1, {n}/chunks)" if n else ""
                out.append((f"hybrid w={w} + query understanding + document vector x{a}{scaled}",
                            {**understood, "doc_vector_weight": a, "doc_vector_chunks": n}))
        if rerank:  # the shipped document stage: the default formula, then the packaged reranker
            out.append((f"hybrid w={w} + query understanding + default document vector + reranker (trained on dev: dev in-sample)",
                        {**understood, "doc_vector_weight": default_a, "doc_vector_chunks": default_n, "doc_rerank": True}))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kb", help="knowledge-base folder kept between runs (default: a temporary one)")
    ap.add_argument("--quantize", default="auto", choices=["auto", "none", "fp32", "bf16", "int8"],
                    help="CLINRAG_EMBED_QUANTIZE; bf16 and fp32 share an embedder name, so give each its own --kb (the embedding cache)")
    ap.add_argument("--backend", default="auto", choices=["auto", "openvino", "onnx", "torch"], help="embedder backend (CLINRAG_EMBED_BACKEND)")
    ap.add_argument("--weights", default="0.95", help="comma-separated dense weights for the hybrid")
    ap.add_argument("--shares", default="", help="comma-separated second-passage shares to try in document aggregation")
    ap.add_argument("--doc-weights", default="0.15,0.7", help="comma-separated weights of the document vector in document aggregation")
    ap.add_argument("--doc-chunks", default="0,2", help="comma-separated doc_vector_chunks (0: weight not scaled by document length)")
    ap.add_argument("--no-rerank", action="store_true", help="leave out the reranker stage (rag/knowledge/rerank.py)")
    ap.add_argument("--search", default="local", help="comma-separated search modes over the same data: local, milvus")
    ap.add_argument("--json", help="also write the table as JSON to this file")
    ap.add_argument("--answers", default="texts", choices=ANSWER_MODES,
                    help="documents: one per distinct answer text (default), one per answer (ids), or by AID alone as before "
                         "2026-12-01 (legacy); give each mode its own --kb")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"MEDIQA data not found at {DATA}; set CLINRAG_MEDIQA to the mediqa2019 folder")

    from ingest.run import ingest_paths
    from rag.backends import Backends
    from rag.knowledge.documents import aggregate, rerank
    from rag.knowledge.milvus import MilvusStore
    from rag.knowledge.rerank import WEIGHTS, load_reranker
    from rag.knowledge.search import candidates
    from rag.settings import Settings

    answers, questions = load(args.answers)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.kb) if args.kb else Path(tmp)
        docs = write_docs(answers, base / "docs")
        settings = Settings(data_dir=base / "kb", embed_quantize=args.quantize, embed_backend=args.backend)
        backends = Backends(settings)
        t0 = time.perf_counter()
        report = ingest_paths([docs], settings, backends.embedder, backends.store)
        print(f"ingested {report.count('ingested')} answers, {report.count('unchanged')} unchanged ({report.count('failed')} failed) "
              f"in {time.perf_counter() - t0:.0f} s, embedder {backends.embedder.name} ({args.backend}, "
              f"{getattr(backends.embedder, 'precision', args.quantize)})")
        embedder = CachedQueries(backends.embedder, base / f"queries-{args.backend}-{args.quantize}.json")
        rows: dict[str, dict[str, list[tuple[float, float, float, float]]]] = {}
        for mode in args.search.split(","):
            store = MilvusStore(backends.store.uri, backends.store.collection, backends.embedder.dim, local_search=mode == "local")
            source = {d.content_hash: Path(d.source).stem for d in store.active_documents()}
            counts = {d.content_hash: d.chunk_count for d in store.active_documents()}
            floats = lambda v: [float(x) for x in v.split(",") if x.strip()]  # noqa: E731
            for name, update in stages(floats(args.weights), floats(args.shares), floats(args.doc_weights),
                                       [int(x) for x in floats(args.doc_chunks)], not args.no_rerank, settings.doc_vector_weight,
                                       settings.doc_vector_chunks):
                s = settings.model_copy(update={**update, "relevance_floor": 0.0})
                n = s.rerank_candidates  # every stage at the reranker's pool depth (MEDIQA is English): dense-only fills its top 10
                per = rows.setdefault(f"{mode} | {name}", {"dev": [], "held-out": [], "all": []})
                for key, text, grades in questions:
                    found = candidates(text, embedder, store, s, None, n)
                    hits = found.hits
                    if update["dense_weight"] == 0.0:  # BM25 only: the BM25 list alone, in its own order
                        hits = sorted(((h, h.bm25) for h, _ in hits if h.bm25 > 0), key=lambda x: (-x[1], x[0].chunk_id))
                    doc_scores = (store.searcher.document_scores(found.vector, list(dict.fromkeys(h.content_hash for h, _ in hits)))
                                  if s.doc_vector_weight > 0 else {})
                    docs_ranked = aggregate(hits, s.doc_second_share, doc_scores, s.doc_vector_weight, counts, s.doc_vector_chunks)
                    if update.get("doc_rerank"):  # what retrieve_documents does for an English question
                        docs_ranked = rerank(docs_ranked, found, store, doc_scores, load_reranker(WEIGHTS))
                    ranked = [source[c] for c, _, _ in docs_ranked]
                    nd, rc = ndcg_recall(ranked, grades)
                    pp, prr = passage_metrics([source[h.content_hash] for h, _ in hits], grades)
                    for part in ("held-out" if held_out(key) else "dev", "all"):
                        per[part].append((nd, rc, pp, prr))
            store._client.close()  # the file's embedded server is released once, by backends.close()
        embedder.save()
        n_dev = sum(not held_out(k) for k, _, _ in questions)
        print(f"\n{len(questions)} questions ({n_dev} dev, {len(questions) - n_dev} held-out), {len(answers)} answers; pooled retrieval\n")
        print("| search | stage | part | doc nDCG@10 | doc recall@10 | passage P@10 | passage MRR |")
        print("|---|---|---|---:|---:|---:|---:|")
        table = []
        for name, parts in rows.items():
            for part in ("all", "dev", "held-out"):
                vals = parts[part]
                means = [sum(v[i] for v in vals if not math.isnan(v[i])) / max(1, sum(not math.isnan(v[i]) for v in vals))
                         for i in range(4)]
                mode, stage = name.split(" | ", 1)
                print(f"| {mode} | {stage} | {part} | {means[0]:.4f} | {means[1]:.4f} | {means[2]:.4f} | {means[3]:.4f} |")
                table.append({"search": mode, "stage": stage, "part": part, "ndcg@10": means[0], "recall@10": means[1],
                              "passage_p@10": means[2], "passage_mrr": means[3]})
        if args.json:
            Path(args.json).write_text(json.dumps(table, indent=1))
        backends.close()


if __name__ == "__main__":
    main()
