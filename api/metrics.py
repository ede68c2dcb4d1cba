"""Prometheus metrics. Labels are route templates, methods, statuses and stage names: never ids or patient text.

With several workers `clinrag serve` sets PROMETHEUS_MULTIPROC_DIR, and /metrics aggregates every
worker's numbers (prometheus_client multiprocess mode).
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["Metrics", "CONTENT_TYPE_LATEST"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
STAGES = ("deidentify", "triage", "retrieve", "generate", "verify", "total")


class Metrics:
    """The service's metrics in their own registry (so several apps can live in one test process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("clinrag_http_requests_total", "HTTP requests by route template and status",
                                ["method", "route", "status"], registry=r)
        self.latency = Histogram("clinrag_http_request_duration_seconds", "HTTP request latency by route template",
                                 ["method", "route"], buckets=_LATENCY_BUCKETS, registry=r)
        self.stage = Histogram("clinrag_consult_stage_seconds", "time spent in each consultation stage",
                               ["stage"], buckets=_LATENCY_BUCKETS, registry=r)
        self.consultations = Counter("clinrag_consultations_total", "consultations by outcome and urgency",
                                     ["outcome", "urgency"], registry=r)
        self.abstentions = Counter("clinrag_abstentions_total", "consultations answered without advice (evidence insufficient)",
                                   registry=r)
        self.red_flags = Counter("clinrag_red_flag_escalations_total", "consultations escalated to emergency by red-flag triage",
                                 registry=r)
        self.rejected = Counter("clinrag_rejected_total", "requests turned away before doing work",
                                ["reason"], registry=r)  # overload | rate_limit | unauthenticated | forbidden | body_too_large
        self.in_flight = Gauge("clinrag_consultations_in_flight", "consultations running now", registry=r,
                               multiprocess_mode="livesum")
        self.ingest_jobs = Counter("clinrag_ingest_jobs_total", "ingest jobs by final status", ["status"], registry=r)

    def observe_consultation(self, timings_ms: dict[str, float], *, abstained: bool, red_flag: bool, urgency: str) -> None:
        for stage in STAGES:
            if stage in timings_ms:
                self.stage.labels(stage).observe(timings_ms[stage] / 1000)
        self.consultations.labels("abstained" if abstained else "answered", urgency).inc()
        if abstained:
            self.abstentions.inc()
        if red_flag:
            self.red_flags.inc()

    def render(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            agg = CollectorRegistry()
            multiprocess.MultiProcessCollector(agg)
            return generate_latest(agg)
        return generate_latest(self.registry)
