"""Prometheus metrics, one registry per app (tests build many apps in one process).

With several uvicorn workers each worker is its own process; when `PROMETHEUS_MULTIPROC_DIR` is set
(`ratecalc serve --workers N` sets it) `/metrics` aggregates every worker's figures.
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Milliseconds matter here: the target is p99 <= 10 ms for one quote.
LATENCY_BUCKETS = (
    0.001,
    0.002,
    0.003,
    0.005,
    0.0075,
    0.01,
    0.015,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "ratecalc_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "ratecalc_http_request_duration_seconds",
            "Time from request start to the end of the response body",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.quotes = Counter(
            "ratecalc_quotes_computed",
            "Parcels quoted (one per parcel, whatever the number of services)",
            ["endpoint"],
            registry=r,
        )
        self.batch_item_errors = Counter(
            "ratecalc_batch_item_errors", "Batch parcels answered with an error entry", registry=r
        )
        self.reloads = Counter(
            "ratecalc_tariff_reloads",
            "Tariff reload attempts by result (ok / refused)",
            ["result", "trigger"],
            registry=r,
        )
        self.tariffs_loaded_at = Gauge(
            "ratecalc_tariffs_loaded_timestamp_seconds",
            "Unix time the tariff set in use was loaded",
            registry=r,
            multiprocess_mode="max",
        )

    def render(self) -> tuple[bytes, str]:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
