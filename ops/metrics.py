"""Prometheus metrics: counters the app increments and gauges read at scrape time.

With `PROMETHEUS_MULTIPROC_DIR` set (gunicorn's workers, a prefork Celery
worker), every process writes its counters to files in that directory and a
scrape adds them up; each process group (the web server, each worker) needs a
directory of its own, empty when the group starts (gunicorn's master clears
the web's; give the worker a tmpfs). Without it the process's own registry
is served.
"""
import logging

from django.conf import settings
from django.db.models import Count, Min

from .deadline import run_with_deadline
from .multiproc import multiproc_dir, multiproc_dir_ensure

multiproc_dir_ensure()  # before prometheus_client writes its first file there

from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess  # noqa: E402
from prometheus_client.core import REGISTRY, GaugeMetricFamily  # noqa: E402
from prometheus_client.exposition import choose_encoder  # noqa: E402

logger = logging.getLogger(__name__)

_BATCHES_ACCEPTED = Counter("hindsight_batches_accepted", "Batches ingest accepted (answered 202).")
_BATCHES_REFUSED = Counter("hindsight_batches_refused", "Batches ingest refused, by error code.", ["reason"])
_BATCHES_STORED = Counter("hindsight_batches_stored", "Accepted batches the worker stored.")
_BATCH_STORE_SECONDS = Histogram("hindsight_batch_store_seconds", "Time the worker took to store one batch.")
_BATCHES_FAILED = Counter("hindsight_batches_failed", "Accepted batches the worker could not store, by reason.", ["reason"])
_EVENTS_API_SECONDS = Histogram(
    "hindsight_events_api_seconds", "Time to answer the events API (the player's and the REST API's).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
_HTTP_RESPONSES = Counter("hindsight_http_responses", "HTTP answers of the web server, by status code.", ["status"])
_HTTP_SECONDS = Histogram("hindsight_http_request_seconds", "Time the web server took to answer a request.")
_TASKS = Counter("hindsight_tasks", "Celery tasks run, by task name and final state.", ["task", "state"])
_TASK_SECONDS = Histogram("hindsight_task_seconds", "Time a Celery task ran, by task name.", ["task"])

_REASON_MAX = 64  # reasons are short codes; a long one is cut so it cannot flood the label set


def _reason(reason: str) -> str:
    return (reason or "unknown")[:_REASON_MAX]


def batch_accepted() -> None:
    """Ingest answered 202 to a batch."""
    _BATCHES_ACCEPTED.inc()


def batch_refused(reason: str) -> None:
    """Ingest refused a batch; `reason` is the JSON error code (e.g. `origin_not_allowed`)."""
    _BATCHES_REFUSED.labels(reason=_reason(reason)).inc()


def batch_stored(seconds: float) -> None:
    """The worker stored an accepted batch in `seconds`."""
    _BATCHES_STORED.inc()
    _BATCH_STORE_SECONDS.observe(seconds)


def batch_failed(reason: str) -> None:
    """The worker gave up on an accepted batch; `reason` is a short code such as `storage_error`."""
    _BATCHES_FAILED.labels(reason=_reason(reason)).inc()


def events_api_observed(seconds: float) -> None:
    """The events API answered in `seconds`."""
    _EVENTS_API_SECONDS.observe(seconds)


def http_response_observed(status: int, seconds: float) -> None:
    _HTTP_RESPONSES.labels(status=str(status)).inc()
    _HTTP_SECONDS.observe(seconds)


def task_observed(task: str, state: str, seconds: float) -> None:
    _TASKS.labels(task=task, state=state).inc()
    _TASK_SECONDS.labels(task=task).observe(seconds)


def pending_batches() -> tuple[int, float]:
    """How many accepted batches wait to be stored, and the oldest one's age in seconds (0: none).

    The one place that knows how the recorder marks a batch as waiting: adapt
    it here when the chunk's states change. The age is on the database's clock,
    which wrote the batch's arrival: a scraped host's clock may be minutes off.
    """
    from recorder.models import Chunk
    from recorder.sql import db_now

    row = Chunk.objects.filter(status=Chunk.PENDING).aggregate(count=Count("id"), oldest=Min("created_at"))
    age = (db_now() - row["oldest"]).total_seconds() if row["oldest"] else 0.0
    return row["count"], max(age, 0.0)


def broker_queue_length(timeout: float) -> int | None:
    """Messages waiting in the worker's queue; None when tasks run in-process (no broker)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    from kombu import Connection
    from kombu.exceptions import ChannelError

    def measure() -> int:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout) as connection:
            try:
                _, count, _ = connection.default_channel.queue_declare(
                    queue=settings.CELERY_TASK_DEFAULT_QUEUE, passive=True,
                )
            except ChannelError:
                return 0  # an empty queue does not exist on some brokers (Redis)
            return count

    return run_with_deadline(measure, timeout)


class BacklogCollector:
    """Scrape-time gauges: pending batches, the oldest one's age, the broker's queue length."""

    def collect(self):
        yield from self._pending()
        yield from self._queue()

    def _pending(self):
        try:
            count, age = pending_batches()
        except Exception as error:  # a scrape still serves the counters when the database is down
            logger.warning("metrics: pending batches unavailable: %s", type(error).__name__)
            return
        yield GaugeMetricFamily("hindsight_batches_pending", "Accepted batches not stored yet.", value=count)
        yield GaugeMetricFamily(
            "hindsight_batch_oldest_pending_age_seconds", "Age of the oldest accepted batch not stored yet (0: none).",
            value=age,
        )

    def _queue(self):
        try:
            length = broker_queue_length(settings.READYZ_TIMEOUT)
        except Exception as error:  # DeadlineExceeded too: a dead broker leaves this gauge out
            logger.warning("metrics: broker queue length unavailable: %s", type(error).__name__)
            return
        if length is not None:
            gauge = GaugeMetricFamily("hindsight_broker_queue_length", "Tasks waiting in the broker queue.", labels=["queue"])
            gauge.add_metric([settings.CELERY_TASK_DEFAULT_QUEUE], length)
            yield gauge


def registry_for_scrape(*, backlog: bool) -> CollectorRegistry:
    """The counters of every process of this group, plus the backlog gauges when asked."""
    if multiproc_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_ProcessRegistry())
    if backlog:
        registry.register(BacklogCollector())
    return registry


class _ProcessRegistry:
    """This process's own metrics (single-process mode), wrapped so a scrape registry can add gauges."""

    def collect(self):
        return REGISTRY.collect()


def exposition(registry: CollectorRegistry, accept: str | None) -> tuple[bytes, str]:
    """The scrape's body and content type (Prometheus text, or OpenMetrics when asked for)."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type
