"""Celery entry points of the recorder app; each calls one service."""
from botocore.exceptions import BotoCoreError, ClientError
from celery import shared_task

from . import services

TRANSIENT = (OSError, BotoCoreError, ClientError, ConnectionError)


@shared_task(
    acks_late=True, autoretry_for=TRANSIENT, retry_backoff=2, retry_backoff_max=300,
    retry_jitter=True, max_retries=12,
)
def chunk_store(chunk_id: int, events: list[dict]) -> bool:
    """Store one accepted batch. Safe to run twice (see services.chunk_store)."""
    return services.chunk_store(chunk_id=chunk_id, events=events)


@shared_task(acks_late=True)
def sessions_sweep() -> int:
    """Finish idle sessions and drop too-short ones. Safe to rerun."""
    return services.sessions_finish_idle()
