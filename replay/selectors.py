"""Reads of recorded sessions shared by the dashboard, the API and commands."""
import gzip
from collections.abc import Iterator

from django.db.models import F, QuerySet

from recorder.models import Chunk, Session
from recorder.processing import events_decode
from recorder.storage import chunk_blob
from sites.models import Site


def sessions_for_site(site: Site) -> QuerySet[Session]:
    """Sessions worth showing: stored at least once and past the site's minimum length."""
    return (
        Session.objects.filter(site=site, chunk_count__gt=0, duration_ms__gte=site.min_session_sec * 1000)
        .order_by(F("started_at").desc(nulls_last=True), "-id")
    )


def session_chunks(session: Session, *, from_seq: int = 0) -> QuerySet[Chunk]:
    return session.chunks.filter(status=Chunk.STORED, seq__gte=from_seq).order_by("seq")


# How long a missing sequence number may hold back the chunks after it (live follow).
GAP_WAIT_SECONDS = 30


def session_chunks_contiguous(session: Session, *, from_seq: int, now=None) -> tuple[list[Chunk], int]:
    """Stored chunks from `from_seq` on, stopping at a gap that may still fill; and the next seq to ask for.

    A batch can be stored after a later one (retries, two tabs). Stopping at the
    gap lets a live viewer get it on its next poll; a gap older than
    GAP_WAIT_SECONDS is taken as lost and skipped.
    """
    from django.utils import timezone

    now = now or timezone.now()
    chunks, expected = [], from_seq
    for chunk in session_chunks(session, from_seq=from_seq).only("seq", "key", "data", "stored_at"):
        if chunk.seq != expected and (now - chunk.stored_at).total_seconds() < GAP_WAIT_SECONDS:
            break
        chunks.append(chunk)
        expected = chunk.seq + 1
    return chunks, expected


def session_events(chunks: list[Chunk]) -> Iterator[dict]:
    for chunk in chunks:
        yield from events_decode(chunk_blob(chunk))


def session_events_json(chunks: list[Chunk]) -> Iterator[bytes]:
    """The events of these chunks as one JSON array, chunk by chunk: each stored array's text, joined."""
    yield b"["
    first = True
    for chunk in chunks:
        inner = gzip.decompress(chunk_blob(chunk)).strip()[1:-1]
        if inner:
            yield inner if first else b"," + inner
            first = False
    yield b"]"


LIVE_WINDOW_SECONDS = 60


def session_is_live(session: Session) -> bool:
    """In progress: not finished, and a batch arrived within the last minute."""
    from django.utils import timezone

    if session.status != Session.ACTIVE or session.received_at is None:
        return False
    return (timezone.now() - session.received_at).total_seconds() < LIVE_WINDOW_SECONDS
