"""Log lines: readable text by default, one JSON object a line with LOG_FORMAT=json.

Every line written while a request or a task runs carries its request id.
"""
import logging
import re
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_ID_SHAPE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = ["asctime", "levelname", "name", "message", "request_id"]


class RequestIdFilter(logging.Filter):
    """Adds the current request id to every record, so handlers can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_from(header: str | None) -> str | None:
    """A proxy's X-Request-ID if it looks like an id (no spaces or control characters), else None."""
    return header if header and _ID_SHAPE.fullmatch(header) else None


def logging_config(*, fmt: str, level: str) -> dict:
    """settings.LOGGING for `fmt` "json" or "text"."""
    formatter = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if fmt == "json"
        else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "ops.logs.RequestIdFilter"}},
        "formatters": {"main": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "main", "filters": ["request_id"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Celery's own "Task ... succeeded" line repeats ours (and prints the task's result); failures still show.
            "celery.app.trace": {"level": "WARNING"},
            # django-axes says INFO for every login; lockouts are WARNING.
            "axes": {"level": "WARNING"},
            # runserver's access line repeats ours.
            "django.server": {"level": "WARNING"},
        },
    }
