"""Backends: the heavy objects (embedder, store, generator, audit store) built once from settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.knowledge.embedders.base import Embedder, from_spec
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.answer.generators.base import Generator
    from rag.audit.sessions import SessionMemory
    from rag.audit.trail import AuditStore
    from rag.knowledge.milvus import MilvusStore

__all__ = ["Backends", "build_generator"]


def build_generator(settings: Settings) -> Generator:
    """The generator named by CLINRAG_GENERATOR; heavy imports happen only for the chosen one."""
    kind, _, arg = settings.generator.partition(":")
    if kind == "transformers":
        from rag.answer.generators.transformers import TransformersGenerator
        from rag.answer.prompt import json_schema

        # tighter limits than the pydantic model so a local model finishes within its token budget
        return TransformersGenerator(arg, max_new_tokens=settings.llm_max_tokens, temperature=settings.llm_temperature,
                                     schema=json_schema(text_limit=300, list_limit=3))
    if kind == "openai":
        from rag.answer.generators.openai import OpenAIGenerator

        return OpenAIGenerator(
            model=arg, base_url=settings.openai_base_url, api_key=settings.openai_api_key, timeout_s=settings.llm_timeout_s,
            retries=settings.llm_retries, max_tokens=settings.llm_max_tokens, temperature=settings.llm_temperature,
        )
    from rag.answer.generators.extractive import ExtractiveGenerator

    return ExtractiveGenerator()


@dataclass
class Backends:
    """Lazily built, shared by every request of a process; tests may pass their own parts."""

    settings: Settings
    _embedder: Embedder | None = None
    _store: MilvusStore | None = None
    _generator: Generator | None = None
    _audit: AuditStore | None = None
    _sessions: SessionMemory | None = None
    # the embedder's dimension when known without loading it (a serving process whose consultation processes
    # loaded the model): the store needs only that
    _embed_dim: int | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            s = self.settings
            if s.embed_socket:  # a worker of `clinrag serve --workers N`: the model lives in one shared process
                from rag.knowledge.embedders.shared import SharedEmbedder

                self._embedder = SharedEmbedder(s.embed_socket)
                return self._embedder
            self._embedder = from_spec(s.embedder, batch_size=s.embed_batch_size, threads=s.embed_threads, quantize=s.embed_quantize,
                                       backend=s.embed_backend, cache_dir=s.model_cache_dir or None)
        return self._embedder

    def know_embed_dim(self, dim: int) -> None:
        """The embedder's dimension, told by whoever loaded the same model (the store then opens without it)."""
        self._embed_dim = dim

    @property
    def embedder_loaded(self) -> bool:
        """Whether the embedder is built (asking for `embedder` would build it)."""
        return self._embedder is not None

    def replace_embedder(self, embedder: Embedder) -> Embedder:
        """Serve `embedder` from now on, e.g. a wrapper of the current one; returns the one it replaces."""
        previous = self.embedder
        self._embedder = embedder
        return previous

    @property
    def store(self) -> MilvusStore:
        if self._store is None:
            from rag.knowledge.milvus import MilvusStore

            self._store = MilvusStore.from_settings(self.settings, self._embed_dim or self.embedder.dim)
        return self._store

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            self._generator = build_generator(self.settings)
        return self._generator

    @property
    def audit(self) -> AuditStore:
        if self._audit is None:
            from rag.audit.checkpoint import CheckpointedAuditStore, checkpoint_setup
            from rag.audit.trail import open_audit_store

            store = open_audit_store(self.settings.audit_location())
            setup = checkpoint_setup(self.settings)
            if setup is not None:
                signer, sink, trail = setup
                store = CheckpointedAuditStore(store, signer, sink, trail, every=self.settings.audit_checkpoint_every)
            self._audit = store
        return self._audit

    @property
    def sessions(self) -> SessionMemory:
        """Earlier turns per caller and session id, in `<data_dir>/sessions.sqlite3` (opened on first use)."""
        if self._sessions is None:
            from rag.audit.sessions import SessionMemory

            s = self.settings
            self._sessions = SessionMemory(s.data_dir / "sessions.sqlite3", ttl_s=s.session_ttl_s, max_turns=s.session_max_turns)
        return self._sessions

    def close(self) -> None:
        for part in (self._store, self._audit, self._sessions):
            if part is not None:
                part.close()
