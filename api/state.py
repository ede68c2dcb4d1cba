"""Everything a running app holds: settings, backends, keys, limits, metrics, jobs (one per process)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from rag.backends import Backends
from rag.keys import KeyStore
from rag.ratelimit import RateLimiter
from rag.settings import Settings

from .jobs import JobRunner, JobStore
from .metrics import Metrics

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
    # consultations run here, at most max_concurrency at once; `slots` turns the excess away at once
    consult_pool: ThreadPoolExecutor
    slots: threading.BoundedSemaphore
    owns_backends: bool = True
