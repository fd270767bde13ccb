"""Structured JSON logs, one object per line, each carrying the id of the request it belongs to.

The request id comes from the caller's `X-Request-ID` when it is a sane token (so ids follow a request
across services) and is generated otherwise; it is echoed in the response header and in problem bodies.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from contextvars import ContextVar
from typing import Optional

request_id_var: ContextVar[Optional[str]] = ContextVar("request_id", default=None)

_STD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "msg", "request_id", ...extra}`; tracebacks go in `exc` as one string."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            # what datetime.isoformat(timespec="milliseconds") prints in UTC, at a third of its cost
            # (one line per request: the access log is on the hot path)
            "ts": f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(record.created))}.{int(record.msecs):03d}+00:00",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id_var.get()
        if rid is not None:
            out["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STD_ATTRS and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def setup_logging(level: str = "INFO") -> None:
    """JSON to stderr for ratecalc's and uvicorn's loggers; idempotent (tests build many apps)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.set_name("ratecalc-json")
    for name in ("ratecalc.api", "ratecalc.api.access", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(h.get_name() == "ratecalc-json" for h in logger.handlers):
            logger.handlers = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False


def uvicorn_log_config(level: str = "INFO") -> dict:
    """uvicorn's own log config, JSON-formatted (its access log is off: the app writes its own)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
        },
    }
