"""Prometheus metrics shared by every process.

An API runs several gunicorn worker processes, and a scrape of /metrics reaches one of them: each
master gives its workers a directory for prometheus-client's multiprocess mode (shared/serve.py sets
PROMETHEUS_MULTIPROC_DIR before any worker starts), and `exposition()` adds up every worker's
metrics from it, those of workers that have exited included. A worker process (`mmm worker`) and an
app in a test are one process: their own registry. A Gauge added here needs a `multiprocess_mode`.
"""
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest

from shared import config

HTTP_REQUESTS = Counter("mmm_http_requests_total", "HTTP requests", ["service", "method", "endpoint", "status"])
HTTP_LATENCY = Histogram("mmm_http_request_seconds", "HTTP request latency", ["service", "endpoint"])
OUTBOX_PUBLISHED = Counter("mmm_outbox_published_total", "Events published by the relay", ["service"])
OUTBOX_UNROUTABLE = Counter("mmm_outbox_unroutable_total", "Events no queue was bound for", ["service"])
EVENTS_CONSUMED = Counter("mmm_events_consumed_total", "Events consumed", ["service", "type", "outcome"])
JOB_RUNS = Counter("mmm_job_runs_total", "Periodic job runs", ["service", "job", "outcome"])


def exposition() -> bytes:
    """The text of a scrape: every process of this API (multiprocess mode), else this process."""
    directory = config.metrics_dir()
    if not directory:
        return generate_latest(REGISTRY)
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return generate_latest(registry)
