"""Celery signal handlers: one log line per task (with the request id that queued it), task metrics,
and the worker's own metrics endpoint."""
import logging
import time

from celery import signals
from django.conf import settings

from . import metrics
from .logs import request_id_var

logger = logging.getLogger("hindsight.task")
HEADER = "request_id"
_running: dict[str, tuple[float, object]] = {}


def connect() -> None:
    signals.setup_logging.connect(_logging_from_django, weak=False)
    signals.before_task_publish.connect(_publish, weak=False)
    signals.task_prerun.connect(_prerun, weak=False)
    signals.task_postrun.connect(_postrun, weak=False)
    signals.worker_init.connect(_worker_init, weak=False)


def _logging_from_django(**_):
    """Celery leaves logging alone when this signal has a receiver: settings.LOGGING (LOG_FORMAT, LOG_LEVEL) rules."""


def _publish(headers=None, **_):
    """Carry the id of the request that queued the task, so its log lines share it."""
    if headers is not None and request_id_var.get() != "-":
        headers.setdefault(HEADER, request_id_var.get())


def _prerun(task_id=None, task=None, **_):
    queued_by = getattr(task.request, HEADER, None) if task else None
    token = request_id_var.set(queued_by) if queued_by else None
    _running[task_id] = (time.perf_counter(), token)


def _postrun(task_id=None, task=None, state=None, **_):
    started, token = _running.pop(task_id, (None, None))
    name = getattr(task, "name", "?")
    if started is not None:
        seconds = time.perf_counter() - started
        duration_ms = round(seconds * 1000, 1)
        logger.log(
            logging.ERROR if state == "FAILURE" else logging.INFO,
            "task %s %s %s %.1fms", name, task_id, state, duration_ms,
            extra={"task": name, "task_id": task_id, "state": state, "duration_ms": duration_ms},
        )
        metrics.task_observed(name, state or "UNKNOWN", seconds)
    if token is not None:
        request_id_var.reset(token)


def _worker_init(**_):
    """In the worker's main process, before its pool starts: serve the pool's metrics if asked to."""
    if settings.WORKER_METRICS_PORT:
        from prometheus_client import start_http_server

        start_http_server(
            settings.WORKER_METRICS_PORT, addr=settings.WORKER_METRICS_ADDR,
            registry=metrics.registry_for_scrape(backlog=False),
        )
        logger.info("worker metrics on %s:%s/metrics", settings.WORKER_METRICS_ADDR, settings.WORKER_METRICS_PORT)
