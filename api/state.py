"""Everything a running app holds: settings, backends, keys, limits, metrics, jobs (one per process)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from api.gate import PythonGate
from api.jobs import JobRunner, JobStore
from api.keys import KeyStore
from api.metrics import Metrics
from api.ratelimit import RateLimiter
from rag.backends import Backends
from rag.settings import Settings

__all__ = ["AppState"]


@dataclass
class AppState:
    settings: Settings
    backends: Backends
    keys: KeyStore | None  # None when auth is off
    limiter: RateLimiter
    metrics: Metrics
    jobs: JobStore
    runner: JobRunner
    # consultations run here (consult_threads at a time, the rest of the admitted ones queued); `slots` admits at
    # most max_concurrency and turns the excess away at once
    consult_pool: ThreadPoolExecutor
    slots: threading.BoundedSemaphore
    owns_backends: bool = True
    # the pool's threads run Python one (CLINRAG_CONSULT_PYTHON) at a time: api.gate
    gate: PythonGate = field(default_factory=lambda: PythonGate(0))
    # the consultation processes (api.offload.Offload) when consultations run outside this process; None: in consult_pool
    offload: Any = None
