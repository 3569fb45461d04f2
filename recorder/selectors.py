"""Reads of the recorder app shared by commands, the admin and metrics."""
from django.db.models import QuerySet

from .models import Chunk


def chunks_failed(*, site_id: int | None = None, limit: int = 100) -> tuple[list[Chunk], int]:
    """The newest failed chunks (without their bodies) and how many there are in all."""
    failed: QuerySet[Chunk] = Chunk.objects.filter(status=Chunk.FAILED)
    if site_id is not None:
        failed = failed.filter(site_id=site_id)
    rows = list(failed.defer("body", "data").order_by("-created_at", "-pk")[:limit])
    return rows, failed.count()
