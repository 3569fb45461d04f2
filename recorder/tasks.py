"""Celery entry points of the recorder app; each calls one service."""
from botocore.exceptions import BotoCoreError, ClientError
from celery import shared_task
from django.db import InterfaceError, InternalError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from config.middleware import database_unavailable

from . import services

# Failures of a dependency that may come back: retried with backoff. Anything
# else is a chunk the worker cannot process, kept as failed by the service.
TRANSIENT = (
    OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError,
    OSError, BotoCoreError, ClientError, ConnectionError,
)


RETRIED = dict(
    acks_late=True, ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=1, retry_backoff_max=60,
    retry_jitter=True, max_retries=20,
)


def _process(task, chunk_ids: list[int]) -> int:
    try:
        return services.chunks_process(chunk_ids=chunk_ids)
    except services.SessionBusy as busy:
        if task.request.is_eager:  # a retry here would run at once, again and again, on this thread
            return busy.stored
        raise  # retried with backoff, as any transient failure
    except InternalError as error:
        if database_unavailable(error):  # a database that takes no writes: down, as an unreachable one is
            raise OperationalError(str(error)) from error
        raise


@shared_task(bind=True, **RETRIED, soft_time_limit=90, time_limit=120)
def chunks_process(self, chunk_ids: list[int]) -> int:
    """Store pending chunks and the others of their sessions. Safe to run twice (see services.chunks_process)."""
    return _process(self, chunk_ids)


@shared_task(bind=True, **RETRIED, soft_time_limit=90, time_limit=120)
def chunk_process(self, chunk_id: int) -> int:
    """One chunk (and its session's others): what tests and a single re-drive call."""
    return _process(self, [chunk_id])


@shared_task(bind=True, **RETRIED)
def chunk_store(self, chunk_id: int, events: list[dict]) -> int:
    """Messages queued by the previous version carried the events; they are stored the new way."""
    services.chunk_body_adopt(chunk_id=chunk_id, events=events)
    return _process(self, [chunk_id])


@shared_task(acks_late=True, ignore_result=True)
def chunks_sweep() -> dict:
    """Queue again what waited too long. Safe to rerun."""
    return services.chunks_sweep()


@shared_task(acks_late=True, ignore_result=True)
def sessions_sweep() -> int:
    """Finish idle sessions and drop too-short ones. Safe to rerun."""
    return services.sessions_finish_idle()


@shared_task(**RETRIED, soft_time_limit=600, time_limit=660)
def sessions_compact() -> int:
    """Compact finished sessions (and live ones' older chunks) into segments. Safe to rerun."""
    from .compaction import sessions_compact as compact

    return compact()


@shared_task(**RETRIED, soft_time_limit=600, time_limit=660)
def site_rollups_rebuild(site_id: int) -> int:
    """Recompute one site's overview roll-ups (after its minimum session length changed)."""
    from .rollups import rollups_rebuild

    return rollups_rebuild(site_ids=[site_id])


@shared_task(**{**RETRIED, "acks_late": False}, soft_time_limit=3300, time_limit=3600)
def orphans_delete() -> int:
    """Delete the stored objects no row points to, a day after they were written. Safe to rerun; acknowledged
    as it starts, so that a long run is not handed to a second worker (CELERY_VISIBILITY_TIMEOUT): a run
    that dies is made good by the next day's."""
    from .orphans import orphans_delete as delete

    return delete()
