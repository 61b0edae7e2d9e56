"""Prometheus metrics shared by every process."""
from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter("mmm_http_requests_total", "HTTP requests", ["service", "method", "endpoint", "status"])
HTTP_LATENCY = Histogram("mmm_http_request_seconds", "HTTP request latency", ["service", "endpoint"])
OUTBOX_PUBLISHED = Counter("mmm_outbox_published_total", "Events published by the relay", ["service"])
OUTBOX_UNROUTABLE = Counter("mmm_outbox_unroutable_total", "Events no queue was bound for", ["service"])
EVENTS_CONSUMED = Counter("mmm_events_consumed_total", "Events consumed", ["service", "type", "outcome"])
JOB_RUNS = Counter("mmm_job_runs_total", "Periodic job runs", ["service", "job", "outcome"])
