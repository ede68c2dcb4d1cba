"""Feature-based document reranker on MEDIQA 2019 (issue 13, round 3): train, cross-validate, report, write weights.

    .venv/bin/python bench/rerank.py --kb /tmp/ranking/mediqa [--cache /tmp/ranking/cands.pkl]
        [--write-weights rag/knowledge/reranker-mediqa2019-texts-dev-<date>.json] [--answers texts|ids|legacy]

1. Candidates, collected once (cached in --cache): for each of the 129 questions, the dense-only
   ranking (raw question, w = 1, best chunk: the baseline) and the shipped document stage's candidates
   (query understanding, hybrid w = 0.95, k = CLINRAG_RERANK_CANDIDATES per engine (100 since round 5; was 50),
   the dense-only ranking at the same depth (at 50, a few questions' top 50 passages held fewer than 10
   documents, which held dense-only down: recall@10 0.9276 at 50, 0.9327 at 100 and 200), mean passage
   vector 0.7 x min(1, 2 / chunks)): every hit's scores, each candidate document's mean-vector score
   and term coverage, chunk counts and titles. The knowledge base is bench/retrieval.py's (`--kb`,
   ingested there on first use).
2. Features per candidate document: rag/knowledge/rerank.py's `document_features` (what the product
   computes). Models: linear, pointwise logistic regression (relevant = grade >= 3) or pairwise
   logistic (RankNet; pairs of differently graded documents of a question, weighted by their gain
   difference), L2, features standardised on the training questions; fitted with L-BFGS.
3. Reported, document level (nDCG@10 with gain 2^(s-1) - 1, recall@10 of answers graded >= 3):
   - dev / held-out: the bench's split by hash (bench/retrieval.py `held_out`); settings (model
     kind, C, feature set, depth) chosen by 4-fold cross-validation inside dev, the model refitted on
     all of dev, held-out reported once;
   - out-of-fold over all 129 (the headline): 5 folds by question; in each, settings chosen by 4-fold
     cross-validation inside the training folds (nested), the model fitted there, the held-out fold
     scored. Every question's number comes from a model that never saw it.
   Stage by stage: the same candidates ranked by the formula, then by models using growing feature
   sets (where the gain comes from).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import itertools
import json
import pickle
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.knowledge.base import Hit  # noqa: E402
from rag.knowledge.rerank import FEATURES, DocumentFeatures, Reranker, document_features, title_field  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_retrieval", ROOT / "bench" / "retrieval.py")
R: Any = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(R)  # type: ignore[union-attr]

# feature sets, growing: where the gain comes from (the last is an ablation)
_SCORES = ("base", "dense", "bm25", "doc_vector")
_INTENT = ("intent_match", "intent_conflict")
_TITLE_FIELD = ("title_bm25", "head_overlap", "head_precision")  # round 6
_REST = tuple(f for f in FEATURES if f not in (*_SCORES, "title_overlap", "term_coverage", "rare_coverage", *_INTENT, *_TITLE_FIELD))
_ALL5 = tuple(f for f in FEATURES if f not in _TITLE_FIELD)  # "all" as round 5 had it (23 features)
SETS: dict[str, tuple[str, ...]] = {
    "scores (formula, best dense, best BM25, mean vector)": _SCORES,
    "+ title overlap": (*_SCORES, "title_overlap"),
    "+ term coverage": (*_SCORES, "title_overlap", "term_coverage", "rare_coverage"),
    "+ title overlap + intent": (*_SCORES, "title_overlap", *_INTENT),
    "+ term coverage + intent": (*_SCORES, "title_overlap", "term_coverage", "rare_coverage", *_INTENT),
    "+ ranks, gaps, passage counts, length (all)": _ALL5,
    "all but title overlap (ablation)": tuple(f for f in _ALL5 if f != "title_overlap"),
    # round 6: the title as its own field
    "+ title overlap + intent + title BM25": (*_SCORES, "title_overlap", *_INTENT, "title_bm25"),
    "+ title overlap + intent + heading": (*_SCORES, "title_overlap", *_INTENT, "head_overlap", "head_precision"),
    "+ title overlap + intent + title fields": (*_SCORES, "title_overlap", *_INTENT, *_TITLE_FIELD),
}


# --- collection -------------------------------------------------------------------------------

def collect(kb: Path, answers_mode: str = "texts") -> dict[str, Any]:
    from ingest.run import ingest_paths
    from rag.backends import Backends
    from rag.knowledge.documents import aggregate
    from rag.knowledge.milvus import MilvusStore
    from rag.knowledge.search import candidates
    from rag.settings import Settings

    answers, questions = R.load(answers_mode)
    docs = R.write_docs(answers, kb / "docs")
    settings = Settings(data_dir=kb / "kb")
    backends = Backends(settings)
    report = ingest_paths([docs], settings, backends.embedder, backends.store)
    print(f"ingested {report.count('ingested')}, {report.count('unchanged')} unchanged", file=sys.stderr)
    embedder = R.CachedQueries(backends.embedder, kb / "queries-onnx-none.json")
    store = MilvusStore(backends.store.uri, backends.store.collection, backends.embedder.dim, local_search=True)
    active = store.active_documents()
    source = {d.content_hash: Path(d.source).stem for d in active}
    counts = {d.content_hash: d.chunk_count for d in active}
    titles = {d.content_hash: d.title for d in active}
    topics = {d.content_hash: d.topic for d in active}
    dense_s = settings.model_copy(update={"dense_weight": 1.0, "query_understanding": False, "doc_vector_weight": 0.0,
                                          "doc_second_share": 0.0, "relevance_floor": 0.0})
    shipped = settings.model_copy(update={"relevance_floor": 0.0})
    out = []
    t0 = time.perf_counter()
    for key, text, grades in questions:
        n = shipped.rerank_candidates  # the reranked path's pool (English questions); dense-only at the same depth
        d = candidates(text, embedder, store, dense_s, None, n)
        dense_rank = [source[c] for c, _, _ in aggregate(d.hits, 0.0)]
        f = candidates(text, embedder, store, shipped, None, n)
        hashes = list(dict.fromkeys(h.content_hash for h, _ in f.hits))
        out.append({
            "key": key, "question": text, "grades": grades, "text": f.text, "bm25_text": f.bm25_text,
            "dense_rank": dense_rank,
            "hits": [(h.chunk_id, h.content_hash, h.dense, h.bm25, s) for h, s in f.hits],
            "doc_scores": store.searcher.document_scores(f.vector, hashes),
            "coverage": store.searcher.term_coverage(f.bm25_text, hashes),
        })
    print(f"collected {len(out)} questions in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    embedder.save()
    data = {"questions": out, "source": source, "counts": counts, "titles": titles, "topics": topics,
            "settings": {"w": shipped.dense_weight, "a": shipped.doc_vector_weight, "n": shipped.doc_vector_chunks,
                         "k": shipped.rerank_candidates}}
    store._client.close()
    backends.close()
    return data


# --- features and metrics ---------------------------------------------------------------------

class Query:
    def __init__(self, q: dict[str, Any], data: dict[str, Any]) -> None:
        from rag.knowledge.documents import aggregate

        s = data["settings"]
        hits = [(Hit(c, h, dense, bm25), fused) for c, h, dense, bm25, fused in q["hits"]]
        self.key, self.grades = q["key"], q["grades"]
        self.held_out = R.held_out(q["key"])
        ranked = aggregate(hits, 0.0, q["doc_scores"], s["a"], data["counts"], s["n"])
        topics = data.get("topics", {})  # caches written before round 6 have none (MEDIQA's answers declare no topic)
        field = title_field({h: f"{t} {topics.get(h, '')}" for h, t in data["titles"].items()})
        self.features: DocumentFeatures = document_features(ranked, q["doc_scores"], q["coverage"], data["counts"],
                                                            data["titles"], q["text"], field)
        self.aids = [data["source"][h] for h in self.features.hashes]
        self.labels = np.array([q["grades"].get(a, 0) for a in self.aids], dtype=np.float64)
        self.dense_rank = q["dense_rank"]

    def metrics(self, order: list[int]) -> tuple[float, float]:
        return R.ndcg_recall([self.aids[i] for i in order], self.grades)  # type: ignore[no-any-return]


def gain(s: np.ndarray) -> np.ndarray:
    return np.where(s >= 1, 2.0 ** (s - 1) - 1, 0.0)


def fit(train: list[Query], feats: tuple[str, ...], kind: str, c: float, depth: int) -> Reranker:
    from scipy.optimize import minimize

    cols = [FEATURES.index(f) for f in feats]
    xs = [q.features.matrix[:depth, cols] for q in train]
    ys = [q.labels[:depth] for q in train]
    stacked = np.concatenate(xs)
    mean = np.nanmean(stacked, axis=0)
    mean = np.where(np.isnan(mean), 0.0, mean)
    filled = np.where(np.isnan(stacked), mean, stacked)
    scale = filled.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    zs = [(np.where(np.isnan(x), mean, x) - mean) / scale for x in xs]
    f = len(cols)
    if kind == "pointwise":
        z = np.concatenate(zs)
        y = (np.concatenate(ys) >= 3).astype(np.float64)

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            s = z @ w[:f] + w[f]
            p = 1 / (1 + np.exp(-s))
            val = float(np.sum(np.logaddexp(0, s) - y * s) + 0.5 / c * w[:f] @ w[:f])
            g = p - y
            return val, np.concatenate([z.T @ g + w[:f] / c, [g.sum()]])

        w0 = np.zeros(f + 1)
    else:
        pairs = []
        for z, y in zip(zs, ys, strict=True):
            i, j = np.nonzero(y[:, None] > y[None, :])
            if len(i):
                pairs.append((z[i] - z[j], gain(y[i]) - gain(y[j])))
        dz = np.concatenate([p[0] for p in pairs])
        wt = np.concatenate([p[1] for p in pairs])
        wt = wt / wt.mean()

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            s = dz @ w
            val = float(np.sum(wt * np.logaddexp(0, -s)) + 0.5 / c * w @ w)
            g = -wt / (1 + np.exp(s))
            return val, dz.T @ g + w / c

        w0 = np.zeros(f)
    res = minimize(loss, w0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return Reranker(tuple(feats), mean, scale, res.x[:f], depth)


def evaluate(qs: list[Query], model: Reranker | None) -> np.ndarray:
    rows = []
    for q in qs:
        order = model.order(q.features) if model else list(range(len(q.aids)))
        rows.append(q.metrics(order))
    return np.array(rows)


GRID_KINDS = ("pointwise", "pairwise")
GRID_C = (0.01, 0.1, 1.0, 10.0)
GRID_DEPTH = (30, 50, 100)


def choose(train: list[Query], sets: list[str], folds: int = 4) -> tuple[float, tuple[str, str, float, int]]:
    """(mean nDCG@10, settings) of the best settings by `folds`-fold cross-validation over these questions."""
    best: tuple[float, tuple[str, str, float, int]] | None = None
    parts = split(train, folds)
    for name, kind, c, depth in itertools.product(sets, GRID_KINDS, GRID_C, GRID_DEPTH):
        scores = []
        for k in range(folds):
            inner = [q for j, p in enumerate(parts) if j != k for q in p]
            scores.append(evaluate(parts[k], fit(inner, SETS[name], kind, c, depth)))
        nd = float(np.nanmean(np.concatenate(scores)[:, 0]))
        if best is None or nd > best[0] + 1e-12:
            best = (nd, (name, kind, c, depth))
    assert best is not None
    return best


def split(qs: list[Query], folds: int) -> list[list[Query]]:
    """Folds by a hash of the question key (stable across runs)."""
    import hashlib

    parts: list[list[Query]] = [[] for _ in range(folds)]
    for i, q in enumerate(sorted(qs, key=lambda q: hashlib.sha256(f"fold:{q.key}".encode()).hexdigest())):
        parts[i % folds].append(q)
    return parts


def _set_key(name: str, cache: Path) -> str:
    """A file name for one feature set's results over one candidates cache (its features, grid and the cache's bytes)."""
    import hashlib

    key = json.dumps([name, SETS[name], GRID_KINDS, GRID_C, GRID_DEPTH, hashlib.sha256(cache.read_bytes()).hexdigest()])
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def mean(rows: np.ndarray) -> tuple[float, float]:
    return float(np.nanmean(rows[:, 0])), float(np.nanmean(rows[:, 1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kb", default="/tmp/clinrag-mediqa", help="bench/retrieval.py's knowledge-base folder")
    ap.add_argument("--cache", help="candidates pickle (default: <kb>/rerank-candidates.pkl)")
    ap.add_argument("--sets", default=";".join(SETS), help="feature sets to report, separated by ; (names from SETS)")
    ap.add_argument("--write-weights", help="write the dev-trained model to this JSON file")
    ap.add_argument("--json", help="also write the results as JSON")
    ap.add_argument("--per-set", help="keep each feature set's results in this folder and reuse them (runs over the same "
                    "--cache may then share the sets between them, and a last run with all sets prints the table)")
    ap.add_argument("--answers", default="texts", choices=R.ANSWER_MODES, help="documents as bench/retrieval.py --answers makes them")
    args = ap.parse_args()
    kb = Path(args.kb)
    cache = Path(args.cache) if args.cache else kb / "rerank-candidates.pkl"
    if cache.exists():
        data = pickle.loads(cache.read_bytes())
    else:
        data = collect(kb, args.answers)
        cache.write_bytes(pickle.dumps(data))
    qs = [Query(q, data) for q in data["questions"]]
    dev = [q for q in qs if not q.held_out]
    held = [q for q in qs if q.held_out]
    sets = [s for s in args.sets.split(";") if s]
    per_set = Path(args.per_set) if args.per_set else None
    t0 = time.perf_counter()

    results: list[dict[str, Any]] = []

    def row(stage: str, per_q: dict[str, tuple[float, float]], note: str = "", held_q: dict[str, tuple[float, float]] | None = None) -> None:
        """all and dev from `per_q` (out-of-fold where a model is involved); held-out from `held_q` (trained on dev) if given."""
        parts = {}
        for part, members in (("all", qs), ("dev", dev), ("held-out", held)):
            source = held_q if (held_q is not None and part == "held-out") else per_q
            parts[part] = mean(np.array([source[q.key] for q in members]))
        results.append({"stage": stage, "note": note, **{p: {"ndcg@10": v[0], "recall@10": v[1]} for p, v in parts.items()}})
        if held_q is not None:
            results[-1]["held-out, out-of-fold"] = dict(zip(("ndcg@10", "recall@10"), mean(np.array([per_q[q.key] for q in held])),
                                                           strict=True))

    dense = {q.key: R.ndcg_recall(q.dense_rank, q.grades) for q in qs}
    row("dense only", dense)
    row("shipped formula (hybrid + query understanding + mean passage vector 0.7 x min(1, 2/chunks))",
        {q.key: q.metrics(list(range(len(q.aids)))) for q in qs})

    # per feature set: settings chosen on dev (model refitted on dev, held-out scored once), and nested
    # 5-fold out-of-fold over all; then the same with the feature set chosen too (the headline)
    outer = split(qs, 5)
    dev_picks: dict[str, tuple[float, tuple[str, str, float, int]]] = {}
    outer_picks: dict[str, list[tuple[float, tuple[str, str, float, int]]]] = {}
    oof_by_set: dict[str, dict[str, tuple[float, float]]] = {}
    held_by_set: dict[str, dict[str, tuple[float, float]]] = {}
    for name in sets:
        saved = per_set / f"{_set_key(name, cache)}.json" if per_set else None
        if saved is not None and saved.exists():  # this set's results from an earlier run over the same candidates
            got = json.loads(saved.read_text())
            dev_picks[name] = (got["dev_pick"][0], tuple(got["dev_pick"][1]))
            pick = dev_picks[name][1]
            outer_picks[name] = [(p[0], tuple(p[1])) for p in got["outer_picks"]]
            held_by_set[name] = {k: (v[0], v[1]) for k, v in got["held"].items()}
            oof = {k: (v[0], v[1]) for k, v in got["oof"].items()}
        else:
            dev_picks[name] = choose(dev, [name])
            pick = dev_picks[name][1]
            model = fit(dev, SETS[name], pick[1], pick[2], pick[3])
            held_by_set[name] = {q.key: q.metrics(model.order(q.features)) for q in qs}  # dev rows in-sample: not reported
            oof = {}
            outer_picks[name] = []
            for k in range(5):
                train = [q for j, p in enumerate(outer) if j != k for q in p]
                chosen = choose(train, [name])
                outer_picks[name].append(chosen)
                m = fit(train, SETS[name], chosen[1][1], chosen[1][2], chosen[1][3])
                for q in outer[k]:
                    oof[q.key] = q.metrics(m.order(q.features))
            if saved is not None:
                saved.parent.mkdir(parents=True, exist_ok=True)
                saved.write_text(json.dumps({"set": name, "features": SETS[name], "dev_pick": dev_picks[name],
                                             "outer_picks": outer_picks[name], "held": held_by_set[name], "oof": oof}))
        oof_by_set[name] = oof
        note = f"dev pick {pick[1:]}; outer-fold picks {[p[1][1:] for p in outer_picks[name]]}"
        row(f"reranker [{name}]", oof, note, held_by_set[name])
        print(f"{name}: {note} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    candidates_sets = [s for s in sets if "ablation" not in s]
    if len(candidates_sets) > 1:
        oof = {}
        picked = []
        for k in range(5):
            name = max(candidates_sets, key=lambda s: outer_picks[s][k][0])
            picked.append(name)
            for q in outer[k]:
                oof[q.key] = oof_by_set[name][q.key]
        dev_name = max(candidates_sets, key=lambda s: dev_picks[s][0])
        row("reranker, feature set chosen too (nested)", oof, f"outer-fold sets {picked}; dev set {dev_name!r}", held_by_set[dev_name])
        final = dev_name
    else:
        final = sets[0]
    chosen_final = (final, dev_picks[final][1], fit(dev, SETS[final], *dev_picks[final][1][1:]))
    print(f"\n{len(qs)} questions ({len(dev)} dev, {len(held)} held-out); candidates: {data['settings']}\n")
    print("all and dev: out-of-fold (nested 5-fold); held-out: the model trained on dev only (its out-of-fold figure in brackets)\n")
    print("| stage | nDCG@10 all / dev / held-out | recall@10 all / dev / held-out | all vs dense-only | all vs shipped |")
    print("|---|---|---|---|---|")
    base, shipped = results[0], results[1]
    for r in results:
        held_oof = r.get("held-out, out-of-fold")
        nd = " / ".join(f"{r[p]['ndcg@10']:.4f}" for p in ("all", "dev", "held-out")) + (
            f" ({held_oof['ndcg@10']:.4f})" if held_oof else "")
        rc = " / ".join(f"{r[p]['recall@10']:.4f}" for p in ("all", "dev", "held-out")) + (
            f" ({held_oof['recall@10']:.4f})" if held_oof else "")
        diff = " | ".join(f"{r['all']['ndcg@10'] - b['all']['ndcg@10']:+.4f} / {r['all']['recall@10'] - b['all']['recall@10']:+.4f}"
                          for b in (base, shipped))
        print(f"| {r['stage']} | {nd} | {rc} | {diff} |")
    for r in results:
        if r["note"]:
            print(f"- {r['stage']}: {r['note']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    if args.write_weights and chosen_final is not None:
        name, pick, model = chosen_final
        assert model is not None
        meta = {"name": Path(args.write_weights).stem, "trained_on": f"MEDIQA 2019 task 3 dev part ({len(dev)} questions, "
                "bench/retrieval.py held_out() split)", "documents": f"--answers {args.answers} (bench/retrieval.py load())", "date": dt.date.today().isoformat(), "feature_set": name,
                "model": pick[1], "C": pick[2], "command": ".venv/bin/python " + shlex.join(sys.argv)}
        Path(args.write_weights).write_text(json.dumps(model.to_json(**meta), indent=1) + "\n")
        print(f"wrote {args.write_weights}", file=sys.stderr)


if __name__ == "__main__":
    main()
