"""create_app(): the FastAPI application. Nothing heavy happens at import time.

The lifespan builds the backends once per worker process and warms the embedder, the Milvus
connection and the audit store, so the first consultation is not the slow one.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Scope

from api.errors import install_error_handlers
from api.gate import GatedPool, PythonGate
from api.jobs import JobRunner, JobStore
from api.metrics import Metrics
from api.middleware import AdmissionMiddleware, BodyLimitMiddleware, ObserveMiddleware
from api.state import AppState
from rag.backends import Backends
from rag.errors import BackendUnavailableError
from rag.knowledge.embedders.batching import BatchingEmbedder
from rag.knowledge.embedders.shared import release_free_memory
from rag.settings import Settings, load_settings

__all__ = ["create_app"]

log = logging.getLogger("clinrag.api")

_UPLOAD_OVERHEAD = 64 * 1024  # multipart boundaries and metadata fields around the file
_RECORD_PATHS = frozenset({"/v1/summaries", "/v1/summaries/file", "/v1/entities"})
_RECORD_LIMIT = 8 * 1024 * 1024  # record bodies: the service refuses text over its character limit with a clear 400


def _warm(backends: Backends) -> None:
    """Load everything the first consultation would otherwise load (model, jieba, rules: seconds)."""
    from rag.answer.icd10 import lookup_icd10
    from rag.knowledge.search import retrieve
    from rag.safety.deid import scrub
    from rag.safety.triage import triage
    from rag.text import bm25_text

    backends.embedder.embed_query("warm up")  # loads the model; fail fast if it cannot load
    from rag.safety.meaning import _exemplar_matrix, load_bank

    _exemplar_matrix(backends.embedder, load_bank())  # embedded once, under a lock, before any consultation waits on it
    bm25_text("预热 warm up")
    triage("warm up", age=None, pregnant=None, language="en")
    scrub("warm up")
    lookup_icd10("fever")  # builds the ICD-10-CM index (~7 s on 2 cores)
    if backends.settings.similar_cases:
        from rag.safety.similar_cases import load_model

        load_model()  # the similar-cases weights (~0.2 s to parse)
    for name in ("store", "audit", "generator"):
        try:
            getattr(backends, name)
        except BackendUnavailableError as exc:
            # Milvus or PostgreSQL not up yet: start anyway, /readyz says 503 until they are
            log.warning("%s not available at start-up: %s", name, exc)
    try:
        retrieve("warm up", backends.embedder, backends.store, backends.settings, None)
    except BackendUnavailableError:
        pass


def _serve_embedder(backends: Backends, *, threads: bool) -> BatchingEmbedder | None:
    """Concurrent consultations share encode calls (CLINRAG_EMBED_MICRO_BATCH); with the default
    CLINRAG_EMBED_THREADS=0 a serving process gives torch one thread: the parallelism is across
    requests (the other core runs the Python of the other requests), and torch's own threads fight
    them for the cores (a single-text encode took 20x the CPU with 2 threads on a busy 2-core machine)."""
    s = backends.settings
    if s.embed_socket:  # the shared embedder process batches every worker's calls and sets its own threads
        if threads:
            sys.setswitchinterval(0.001)
        return None
    if threads and s.embed_threads == 0 and s.embedder.startswith("sentence-transformers"):
        if s.embed_backend == "torch":
            import torch

            torch.set_num_threads(1)
        elif backends._embedder is None:  # an onnxruntime session or OpenVINO compiled model takes its thread count when made
            backends.settings = s = s.model_copy(update={"embed_threads": 1})
    if threads:
        # a dozen consultation threads run Python: a 1 ms GIL switch interval (5 ms by default) lets the event
        # loop in sooner, which answers the 503s of a full service
        sys.setswitchinterval(0.001)
    if s.embed_micro_batch <= 0 or isinstance(backends.embedder, BatchingEmbedder):
        return None
    batcher = BatchingEmbedder(backends.embedder, max_batch=s.embed_micro_batch, wait_ms=s.embed_batch_wait_ms)
    backends.replace_embedder(batcher)
    return batcher


def create_app(settings: Settings | None = None, backends: Backends | None = None) -> FastAPI:
    """The HTTP API; `backends` lets tests share a loaded embedder (its settings then win)."""
    if settings is None:
        settings = backends.settings if backends is not None else load_settings()
    metrics = Metrics()
    upload_limit = int(settings.max_upload_mb * 1024 * 1024) + _UPLOAD_OVERHEAD
    json_limit = settings.max_body_kb * 1024

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from api.offload import ConsultProcessLost, Offload, offload_wanted
        from api.ratelimit import make_rate_limiter

        owns = backends is None
        b = backends if backends is not None else Backends(settings)
        offload: Offload | None = None
        batcher = None
        if offload_wanted(settings, owns):
            try:
                offload = await Offload.start(settings)
                b.know_embed_dim(offload.processes[0].embed_dim)  # the store opens here without loading the model
                log.info("consultations run in %d child process(es): %s", len(offload.processes),
                         ", ".join(str(p.pid) for p in offload.processes))
            except ConsultProcessLost as exc:
                log.warning("%s; consultations run in this process's threads", exc)
        if offload is None:
            batcher = _serve_embedder(b, threads=owns)
            _warm(b)
            release_free_memory()  # warming (ICD-10 index, exemplar vectors, the search copy) frees much of what it built
        keys = None
        if settings.auth:
            from api.keys import KeyStore

            keys = KeyStore(settings.data_dir / "keys.sqlite3")
        else:
            log.warning("CLINRAG_AUTH=false: every endpoint is open to anyone who can reach it (demo mode)")
        jobs = JobStore(settings.data_dir / "jobs.sqlite3")
        gate = PythonGate(settings.consult_python)
        state = AppState(
            settings=settings, backends=b, keys=keys, limiter=make_rate_limiter(settings.redis_url, settings.rate_limit_per_min),
            metrics=metrics, jobs=jobs, runner=JobRunner(jobs),
            # few threads, many slots: admitted consultations queue in arrival order instead of two dozen threads
            # contending for the GIL with the event loop, which must still answer 503 at once when full
            consult_pool=GatedPool(gate, max_workers=min(settings.max_concurrency, settings.consult_threads),
                                   thread_name_prefix="consult"),
            slots=threading.BoundedSemaphore(settings.max_concurrency), owns_backends=owns, gate=gate, offload=offload,
        )
        app.state.clinrag = state
        log.info("clinrag API ready (generator %s, max %d concurrent consultations)", settings.generator, settings.max_concurrency)
        try:
            yield
        finally:
            # let running consultations finish: their audit records must be committed
            if offload is not None:
                await offload.close(max(30.0, settings.request_deadline_s))
            state.consult_pool.shutdown(wait=True)
            state.runner.shutdown()
            state.limiter.close()
            jobs.close()
            if keys is not None:
                keys.close()
            if batcher is not None:
                batcher.close()
                log.info("embedding micro-batches: %d encodes of %d texts", batcher.batches, batcher.texts)
                b.replace_embedder(batcher.inner)  # a test's shared backends get their own embedder back
            if owns:
                b.close()

    app = FastAPI(
        title="clinrag",
        version="0.1.0",
        summary="Clinical-guideline consultations with cited passages, red-flag triage and an audit trail",
        description=(
            "Authenticate with `Authorization: Bearer <key>` or `X-API-Key: <key>` (create keys with "
            "`clinrag keys create --name NAME --role consult`). Errors are `{\"error\": {\"code\", \"message\"}}`. "
            "The advice is general information from guidelines, not a diagnosis."
        ),
        lifespan=lifespan,
    )
    install_error_handlers(app)

    from api.routes import audit, consultations, guidelines, health, records, search

    app.include_router(consultations.router)
    app.include_router(records.router)
    app.include_router(guidelines.router)
    app.include_router(audit.router)
    app.include_router(health.router)
    app.include_router(search.router)

    def limit_for(scope: Scope) -> int:
        if scope.get("method") == "POST" and scope.get("path", "").rstrip("/") == "/v1/guidelines":
            return upload_limit
        if scope.get("method") == "POST" and scope.get("path", "").rstrip("/") in _RECORD_PATHS:
            return max(json_limit, _RECORD_LIMIT)  # a 100k-character Chinese record is ~600 KB of escaped JSON
        return json_limit

    # added innermost first: CORS (outermost) -> observe -> admission -> body limit -> routes
    app.add_middleware(BodyLimitMiddleware, limit_for=limit_for)
    pooled = {"/v1/consultations": "consultations", **dict.fromkeys(_RECORD_PATHS, "requests")}
    app.add_middleware(AdmissionMiddleware, paths=pooled)
    app.add_middleware(ObserveMiddleware, metrics=metrics)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"], expose_headers=["Retry-After", "X-Trace-Id", "Location"],
            max_age=600,
        )
    return app
