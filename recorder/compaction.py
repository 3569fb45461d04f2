"""Compacting a session's stored chunks into a few segments: objects of a few minutes each, with an index.

A chunk row holds about ten seconds of a recording; an hour is 360 of them.
Once they are older than COMPACT_LIVE_MINUTES they become segments: each a
zstd-compressed JSON array of five minutes or more that starts at a full
snapshot where it can, so the player can start from any segment and a
browser decodes it as it is. The JSON text of the chunks is joined as text;
no event is read or rewritten.

Crash-safe and idempotent: the segment rows are written first (`writing`),
then the objects, then one transaction marks them `ready` and deletes the
chunks. Until then readers see the chunks; after, the segments; never both,
never neither. Each run names its objects afresh, so a run that failed
never stands in the way of the next; a failed run deletes what it wrote,
and one that died leaves `writing` rows, whose objects a later run (or the
session's deletion) deletes. One object can still be left that no row knows
of: a run that dies after writing a segment of a session deleted meanwhile
(see recorder/orphans.py, whose daily job deletes it).
"""
import logging
import uuid
from datetime import datetime, timedelta

from botocore.exceptions import BotoCoreError
from django.conf import settings
from django.db import transaction
from django.db.models.functions import Now

from config.middleware import dependency_unavailable

from .models import Chunk, Segment, Session
from .processing import ChunkInfo, chunk_text, json_arrays_join, segment_encode, segments_plan
from .sql import db_now
from .storage import chunk_blob, object_write, objects_delete, segment_key

log = logging.getLogger(__name__)

# A segment starts at a full snapshot once the one before it spans this long (the
# recorder takes one every five minutes, and at every page load): an hour is a
# dozen segments or fewer.
SEGMENT_MIN_MS = 5 * 60_000
# Never more raw JSON than a browser's zstd window (8 MB).
SEGMENT_MAX_BYTES = 8 * 1024 * 1024
# A run that has not finished its segments this long after starting them has crashed.
STALE_WRITING = timedelta(minutes=15)


class Overtaken(Exception):
    """While a run wrote its segments, another run (an operator's command beside the periodic task)
    compacted the same chunks, or the session was deleted: the run has nothing left to do."""


def sessions_compact(*, now: datetime | None = None, limit: int = 50) -> dict:
    """Compact the sessions that have chunks stored more than COMPACT_LIVE_MINUTES ago, up to `limit` of them.
    Returns the run's report: `{"segments": made, "skipped": sessions that cannot be compacted}`.

    Picks work by state, so a rerun resumes where a crashed one stopped. A
    session that fails for its own data (a corrupt chunk, an older chunk's
    object that is gone) is logged with its id and skipped, and does not
    count towards `limit`: it would otherwise fail every run at the same
    place, and no other session would be compacted again. A dependency that
    is down (database, object storage) stops the run, to be retried.
    """
    _leftovers_sweep(limit)
    cutoff = (now or db_now()) - timedelta(minutes=settings.COMPACT_LIVE_MINUTES)
    waiting = (
        Chunk.objects.filter(status=Chunk.STORED, stored_at__lt=cutoff)
        .order_by("session_id").values_list("session_id", flat=True).distinct()
    )
    made, tried, skipped, after = 0, 0, 0, None
    while tried < limit:
        page = list((waiting if after is None else waiting.filter(session_id__gt=after))[:limit - tried])
        if not page:
            break
        for session_id in page:
            after = session_id
            try:
                made += session_compact(session_id=session_id, quiet_before=cutoff)
            except Exception as error:
                if dependency_unavailable(error) or isinstance(error, BotoCoreError):  # (not a session's data)
                    raise
                log.exception("session %s cannot be compacted; skipped", session_id)
                skipped += 1
            else:
                tried += 1
    return {"segments": made, "skipped": skipped}


def session_compact(*, session_id, quiet_before: datetime | None = None) -> int:
    """Turn a session's stored chunks into segments; returns how many.

    With `quiet_before`, a session that stored a chunk since then is still
    being recorded: only its segments that are complete (another segment
    follows them) and stored before then are made, so a live hour still ends
    up as a handful of segments. Without it, or once the session has been
    quiet since then (finished, or the visitor left), every chunk goes.
    """
    session = Session.objects.filter(pk=session_id).only("id", "site_id").first()
    if session is None:
        return 0
    _leftovers_delete(session)
    chunks = list(
        Chunk.objects.filter(session_id=session_id, status=Chunk.STORED).order_by("seq")
        .only("id", "seq", "data", "key", "first_ts", "last_ts", "snapshots", "event_count", "stored_bytes", "stored_at")
    )
    if not chunks:
        return 0
    texts = {chunk.pk: _chunk_text(chunk) for chunk in chunks}
    by_seq = {chunk.seq: chunk for chunk in chunks}
    plan = [[by_seq[info.seq] for info in group] for group in segments_plan(
        [ChunkInfo(c.seq, c.first_ts, c.last_ts, len(texts[c.pk]), bool(c.snapshots)) for c in chunks],
        min_ms=SEGMENT_MIN_MS, max_bytes=SEGMENT_MAX_BYTES,
    )]
    if quiet_before is not None and max(c.stored_at for c in chunks) >= quiet_before:
        plan = [group for group in plan[:-1] if all(c.stored_at < quiet_before for c in group)]
    if not plan:
        return 0
    built = [_segment_build(session, group, texts) for group in plan]
    segments = [segment for segment, _ in built]
    with transaction.atomic():
        Segment.objects.bulk_create(segments)
    try:
        for segment, blob in built:
            object_write(segment.key, blob)
        _swap(session.pk, segments, [chunk for group in plan for chunk in group])
    except Overtaken as overtaken:
        _segments_discard(segments)  # what stands is the other run's segments, or nothing
        log.info("compaction left off: %s", overtaken)
        return 0
    except Exception:
        _segments_discard(segments)
        raise
    return len(segments)


def _chunk_text(chunk: Chunk) -> bytes:
    return chunk_text(chunk_blob(chunk))


def _segment_build(session: Session, group: list[Chunk], texts: dict) -> tuple[Segment, bytes]:
    raw = json_arrays_join([texts[chunk.pk] for chunk in group])
    blob = segment_encode(raw)
    seqs = [chunk.seq for chunk in group]
    segment = Segment(
        session_id=session.pk, key=segment_key(session.site_id, session.pk, seqs[0], seqs[-1], uuid.uuid4().hex[:12]),
        seqs=seqs, first_ts=min(c.first_ts for c in group), last_ts=max(c.last_ts for c in group),
        snapshots=sorted(ts for c in group for ts in c.snapshots), event_count=sum(c.event_count for c in group),
        raw_bytes=len(raw), stored_bytes=len(blob),
    )
    return segment, blob


def _swap(session_id, segments: list[Segment], chunks: list[Chunk]) -> None:
    """One transaction: the segments become readable and their chunks go, or nothing changes."""
    with transaction.atomic():
        session = Session.objects.select_for_update().filter(pk=session_id).first()
        if session is None:
            raise Overtaken(f"session {session_id} was deleted during its compaction")
        ids = [chunk.pk for chunk in chunks]
        if Chunk.objects.filter(pk__in=ids, status=Chunk.STORED).count() != len(ids):
            raise Overtaken(f"the chunks of session {session_id} were compacted by another run meanwhile")
        ready = Segment.objects.filter(pk__in=[s.pk for s in segments], state=Segment.WRITING).update(
            state=Segment.READY,
        )
        if ready != len(segments):
            raise RuntimeError(f"the segments of session {session_id} were discarded during its compaction")
        Chunk.objects.filter(pk__in=ids).delete()
        session.stored_bytes += sum(s.stored_bytes for s in segments) - sum(c.stored_bytes for c in chunks)
        session.save(update_fields=["stored_bytes"])


def _segments_discard(segments: list[Segment]) -> None:
    """A failed run leaves nothing behind: its objects, then its rows."""
    try:
        objects_delete([segment.key for segment in segments])
        Segment.objects.filter(pk__in=[s.pk for s in segments], state=Segment.WRITING).delete()
    except Exception:  # noqa: BLE001 - the next run deletes what is left (see _leftovers_delete)
        log.exception("could not discard the segments of a failed compaction")


def _leftovers_sweep(limit: int) -> None:
    """The leftovers of crashed runs, of sessions that no run would pick again: the next run may have
    compacted every chunk of the session before they were stale."""
    stale = Segment.objects.filter(state=Segment.WRITING, created_at__lt=Now() - STALE_WRITING)
    for session_id in list(stale.values_list("session_id", flat=True).distinct()[:limit]):
        _leftovers_delete(Session(pk=session_id))


def _leftovers_delete(session: Session) -> None:
    """Segments a crashed run left half-written (rows still `writing`, a while ago): objects, then rows."""
    stale = Segment.objects.filter(
        session_id=session.pk, state=Segment.WRITING, created_at__lt=Now() - STALE_WRITING,
    )
    leftovers = list(stale.values_list("pk", "key"))
    if leftovers:
        objects_delete([key for _, key in leftovers])
        Segment.objects.filter(pk__in=[pk for pk, _ in leftovers]).delete()
