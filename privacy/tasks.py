"""Celery entry points of the privacy app."""
from celery import shared_task

from . import services


@shared_task(acks_late=True)
def retention_purge() -> int:
    """Delete every session past its site's retention. Safe to rerun: it picks by age."""
    return services.retention_purge()
