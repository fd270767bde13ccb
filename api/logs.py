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
from typing import Optional, TextIO

import orjson

request_id_var: ContextVar[Optional[str]] = ContextVar("request_id", default=None)

HANDLER_NAME = "ratecalc-json"
_STD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "msg", "request_id", ...extra}`; tracebacks go in `exc` as one string.

    Written for one line per request (the access log is on the hot path): the second's text is reused
    while it lasts and orjson writes the line (dates, dataclasses and str subclasses passed to `str()` as
    `json.dumps(default=str)` did; what orjson refuses, an int past 64 bits, goes through `json`).
    """

    _ENCODE = json.JSONEncoder(default=str, ensure_ascii=False, separators=(",", ":")).encode
    _OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
    _second: tuple[int, str] = (-1, "")  # one tuple, replaced whole: threads never see half of it

    def format(self, record: logging.LogRecord) -> str:
        extra = {k: v for k, v in record.__dict__.items() if k not in _STD_ATTRS and k[0] != "_"}
        if record.exc_info:
            extra["exc"] = self.formatException(record.exc_info)
        return self.line(record.created, int(record.msecs), record.levelname, record.name, record.getMessage(), extra)

    def line(self, created: float, msecs: int, levelname: str, logger: str, msg: str, extra: dict) -> str:
        """The JSON line of a record with these attributes and extra members (request id from the context)."""
        second, text = self._second
        if int(created) != second:  # what datetime.isoformat(timespec="milliseconds") prints in UTC
            second = int(created)
            text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = (second, text)
        out = {"ts": f"{text}.{msecs:03d}+00:00", "level": levelname.lower(), "logger": logger, "msg": msg}
        rid = request_id_var.get()
        if rid is not None:
            out["request_id"] = rid
        out.update(extra)
        try:
            return orjson.dumps(out, default=str, option=self._OPTIONS).decode()
        except TypeError:
            return self._ENCODE(out)


def write_direct(logger: logging.Logger, msg: str, extra: dict) -> bool:
    """Write an INFO line to `logger` without a LogRecord, when nothing could tell the difference: the
    logger's one handler is this module's own JSON handler and no filter is set. False: nothing written,
    log it the usual way (a test's or an operator's handler, a filter).

    The access log writes one line per request; the LogRecord and the handler chain were ~15 µs of it.
    The caller has checked `logger.isEnabledFor(logging.INFO)`.
    """
    handlers = logger.handlers
    if len(handlers) != 1 or logger.filters:
        return False
    h = handlers[0]
    fmt = h.formatter
    if h.name != HANDLER_NAME or h.filters or h.level > logging.INFO or not isinstance(fmt, JsonFormatter):
        return False
    assert isinstance(h, logging.StreamHandler)
    created = time.time()
    text = fmt.line(created, int((created - int(created)) * 1000), "INFO", logger.name, msg, extra)
    with h.lock:  # type: ignore[union-attr]  # created with the handler
        try:
            h.stream.write(text + h.terminator)
            h.stream.flush()
        except Exception:  # e.g. a closed stderr: report it as logging would, never fail the request
            h.handleError(logger.makeRecord(logger.name, logging.INFO, "", 0, msg, (), None, extra=extra))
    return True


def json_handler(stream: Optional[TextIO] = None) -> logging.StreamHandler:
    """The handler the app's loggers write through: JSON lines to `stream` (stderr), named HANDLER_NAME
    so that `write_direct` and `setup_logging` know it as their own."""
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(JsonFormatter())
    handler.set_name(HANDLER_NAME)
    return handler


def setup_logging(level: str = "INFO") -> None:
    """JSON to stderr for ratecalc's and uvicorn's loggers; idempotent (tests build many apps)."""
    handler = json_handler()
    for name in ("ratecalc.api", "ratecalc.api.access", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(h.get_name() == HANDLER_NAME for h in logger.handlers):
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
