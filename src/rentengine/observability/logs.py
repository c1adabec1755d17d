"""Log lines of a `serve` process: text for people (`make run`), JSON lines for a cluster's collector.

`RENTENGINE_LOG_FORMAT=text` (the default) keeps uvicorn's look; `json` writes one object per line
with `time`, `level`, `logger`, `message`, the `request_id` of the request being handled (when
there is one) and, for the access log, the request's fields. Both go to stderr.

The access log is written by `RequestObservability` (logger `rentengine.access`), once per request
after its response, with the route, status and duration; uvicorn's own access log is switched off.

Secrets never reach a line on purpose (no header, query string or body is logged); as a second
guard every message is passed through `redact`, which masks Bearer tokens, JWTs, webhook signing
secrets and passwords in URLs.
"""

import logging
import re
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from uvicorn.logging import DefaultFormatter

from rentengine.observability.requestid import current_request_id

LogFormat = Literal["text", "json"]
ACCESS_LOGGER = "rentengine.access"
MASK = "[redacted]"
_SECRETS = (
    # `Authorization: Bearer <token>` and the like, whatever the token looks like.
    (re.compile(r"(?i)\b(bearer|basic)\s+[^\s\"',;]+"), rf"\1 {MASK}"),
    # API keys are JWTs: three base64url parts, the first a JSON object ("eyJ").
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), MASK),
    # Webhook signing secrets (`whsec_` + base64).
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]+"), MASK),
    # Credentials in a URL: scheme://user:password@host.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"), rf"\1{MASK}@"),
    # key=value pairs naming a secret (password=…, "token": "…", api_key=…).
    (
        re.compile(
            r"(?i)\b(password|passwd|secret|token|api_key|apikey|signing_secret)(\"?\s*[:=]\s*\"?)[^\s\"',;&]+"
        ),
        rf"\1\2{MASK}",
    ),
)


# Every pattern above needs one of these (lower-cased): a few substring tests spare most lines the
# five full searches.
_MARKERS = ("bearer", "basic", "eyj", "whsec_", "://", "passw", "secret", "token", "apikey", "api_key")


def redact(text: str) -> str:
    """`text` with anything shaped like a secret replaced by "[redacted]"."""
    lowered = text.lower()
    if not any(marker in lowered for marker in _MARKERS):
        return text
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the access log's `fields` (an `extra`) are merged in."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            entry["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(DefaultFormatter):
    """uvicorn's look, the message redacted and followed by `[request id]` within a request."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = redact(super().formatMessage(record))
        request_id = getattr(record, "request_id", None)
        return f"{text} [{request_id}]" if request_id else text

    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))


def log_config(log_format: LogFormat, access_log: bool) -> dict[str, Any]:
    """uvicorn's `log_config` (applied in every process it starts): uvicorn's, the app's and the
    access log's lines in one format on stderr."""
    if log_format == "json":
        formatter: dict[str, Any] = {"()": f"{__name__}.JsonFormatter"}
    else:
        formatter = {"()": f"{__name__}.TextFormatter", "fmt": "%(levelprefix)s %(message)s"}
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "main",
        "filters": ["request_id"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": {
            "uvicorn": {"handlers": ["main"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "rentengine": {"handlers": ["main"], "level": "INFO", "propagate": False},
            # Off: the middleware checks the level once per request and skips the line's work.
            ACCESS_LOGGER: {"level": "INFO" if access_log else "WARNING"},
        },
    }
