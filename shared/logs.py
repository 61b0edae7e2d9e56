"""JSON-lines logs carrying the request id and the correlation id of the work in hand."""
from __future__ import annotations

import contextvars
import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from shared import config

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)


class _ContextFilter(logging.Filter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.request_id = request_id.get()
        record.correlation_id = correlation_id.get()
        return True


_configured = False


def configure(service: str, level: str | None = None) -> None:
    """Send every log record to stderr as one JSON object per line."""
    global _configured
    root = logging.getLogger()
    if _configured:
        for h in root.handlers:
            for f in h.filters:
                if isinstance(f, _ContextFilter):
                    f.service = service
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(request_id)s %(correlation_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_ContextFilter(service))
    root.handlers[:] = [handler]
    root.setLevel(level or config.log_level())
    logging.getLogger("pika").setLevel(logging.WARNING)
    _configured = True
