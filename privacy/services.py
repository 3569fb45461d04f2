"""Deleting recordings (one session, a visitor's sessions, what is past retention) and exporting a visitor's."""
import logging
from collections.abc import Generator, Iterator
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Now
from django.utils import timezone

from insights.services import heat_forget
from recorder import jsontext
from recorder.models import Chunk, DeletedSession, ObjectDeletion, PageView, Segment, Session
from recorder.rollups import rollups_sessions_removed, site_urls_prune
from recorder.sql import db_now
from recorder.storage import objects_delete
from replay.recordings import session_events_stream
from sites.models import Site

log = logging.getLogger(__name__)


# Sessions deleted per round: one bulk delete of their objects, a few statements for their rows.
DELETE_BATCH = 1000


def session_delete(*, session: Session) -> None:
    """Delete a session's stored objects, then its rows. A rerun after a crash finishes the job."""
    sessions_delete(session_ids=[session.pk], refused_site_id=session.site_id)


DELETED_SESSION_DAYS = 7  # how long a deleted session's later batches are refused: longer than any visit


def sessions_delete(*, session_ids: list, refused_site_id: int | None = None, still=None,
                    unstored_stay: bool = False) -> int:
    """Delete sessions in bulk: every object of theirs first, then their rows (children before parents).

    Objects go first, so a crash in between leaves rows that a rerun
    deletes again, never an object that no row points to. With
    `refused_site_id` (a person asked to delete these sessions of that
    site), ingest refuses their later batches for DELETED_SESSION_DAYS: a
    visitor still on the site would bring them back. Each is refused, found
    or not: retention or the sweep may have deleted its rows just before,
    and they refuse nothing. Retention and the sweep of sessions too short
    delete what no visitor is adding to, thousands at a time, and write no
    such rows; with `unstored_stay` they keep the sessions' batches not
    stored yet (accepted late, or failed: they are not what is deleted), from
    which the worker makes the session again.

    With `still` (the query a sweep chose the sessions by), see `_sessions_drop`.
    """
    if still is not None:
        return _sessions_drop(session_ids=session_ids, still=still)
    for start in range(0, len(session_ids), DELETE_BATCH):
        ids = session_ids[start:start + DELETE_BATCH]
        objects_delete(_object_keys(ids))
        with transaction.atomic():  # roll-ups and heatmaps lose the sessions with their rows, not twice on a rerun
            # Nor twice when two deletions of the same sessions run at once (a viewer's and retention's):
            # the second waits for the first's rows, then finds them gone.
            present = _rows_locked(ids)
            if refused_site_id is not None:  # on the database's clock, which retention compares it with
                DeletedSession.objects.bulk_create(
                    [DeletedSession(id=pk, site_id=refused_site_id, deleted_at=Now()) for pk in ids], ignore_conflicts=True,
                )
            _rows_delete(ids, present=present, unstored_stay=unstored_stay)
    return len(session_ids)


def _sessions_drop(*, session_ids: list, still) -> int:
    """The sweep's deletion: each session is asked again once its row is locked, and one that no longer
    matches `still` (a batch came in meanwhile: the visitor went on) is kept whole, untouched. Returns how
    many were deleted.

    The answer is final only under the lock, so the rows go first, in that transaction, and their objects
    after it commits (`ObjectDeletion` knows them meanwhile): objects deleted before the lock were lost to
    a session kept then, which could no longer be replayed. The batches it has not stored stay (one can be
    accepted after the answer, in the same transaction), as `unstored_stay` keeps them.
    """
    object_deletions_finish()  # what a crashed run left
    dropped = 0
    for start in range(0, len(session_ids), DELETE_BATCH):
        with transaction.atomic():
            rows = _rows_locked(session_ids[start:start + DELETE_BATCH])
            # A statement after the lock: it sees what committed while it waited.
            ids = list(still.filter(pk__in=rows).values_list("pk", flat=True))
            kept = len(rows) - len(ids)
            if kept:
                log.info("%d sessions got a batch since they were chosen for deletion: kept", kept)
            keys = _object_keys(ids)
            ObjectDeletion.objects.bulk_create([ObjectDeletion(key=key) for key in keys], ignore_conflicts=True)
            _rows_delete(ids, present=ids, unstored_stay=True)
        _objects_then_deletions(keys)
        dropped += len(ids)
    return dropped


def object_deletions_finish() -> None:
    """Delete the objects whose rows a crashed sweep deleted, a thousand at a time."""
    while keys := list(ObjectDeletion.objects.order_by("pk").values_list("key", flat=True)[:DELETE_BATCH]):
        _objects_then_deletions(keys)


def _objects_then_deletions(keys: list[str]) -> None:
    objects_delete(keys)
    ObjectDeletion.objects.filter(key__in=keys).delete()


def _object_keys(ids: list) -> list[str]:
    """The keys of these sessions' objects in the recordings storage."""
    keys = list(Segment.objects.filter(session_id__in=ids).values_list("key", flat=True))
    return keys + list(Chunk.objects.filter(session_id__in=ids).exclude(key="").values_list("key", flat=True))


def _rows_locked(ids: list) -> list:
    """The ids of those of these sessions that exist, each row locked until the transaction ends."""
    return list(Session.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


def _rows_delete(ids: list, *, present: list, unstored_stay: bool = False) -> None:
    """Delete these sessions' rows (`present`: those that exist), children before parents, and take them
    out of the roll-ups and heatmaps. With `unstored_stay`, their batches not stored yet are kept."""
    rollups_sessions_removed(session_ids=present)
    heat_forget(session_ids=present)
    urls = set(PageView.objects.filter(session_id__in=ids).values_list("site_id", "url").order_by())
    for model in (PageView, Segment):
        model.objects.filter(session_id__in=ids).delete()
    chunks = Chunk.objects.filter(session_id__in=ids)
    (chunks.filter(status=Chunk.STORED) if unstored_stay else chunks).delete()
    sessions = Session.objects.filter(pk__in=ids)
    if unstored_stay:  # (Django's delete would take the chunks along: a chunk's session is a foreign key)
        sessions._raw_delete(sessions.db)
    else:
        sessions.delete()
    site_urls_prune(pairs=urls)  # a URL no other session visited goes with them


def visitor_sessions(*, site: Site, visitor: str):
    """Sessions of one visitor, by identity or visitor id."""
    return site.sessions.filter(Q(identity=visitor) | Q(visitor_id=visitor))


def visitor_forget(*, site: Site, visitor: str) -> int:
    """Delete every session of one visitor (identity or visitor id), and every session of the visitor ids
    seen with them that has batches not stored yet (unless another identity's); returns the sessions deleted."""
    sessions = visitor_sessions(site=site, visitor=visitor)
    # A visitor known by identity is the visitor ids seen with it: a session of one of them whose batches wait
    # for the worker (or failed) is not known by the identity yet (a new one has no row at all), and those
    # batches may say it, the worker then making the session the identity's again.
    # First, so that one the worker stores meanwhile has its row when the sessions are looked up.
    unstored = _unstored_forget(site=site, visitor=visitor,
                                visitor_ids={visitor, *sessions.values_list("visitor_id", flat=True)})
    # Those too: a worker's commit that read no refusal yet, holding their batches, made their rows meanwhile.
    ids = {*sessions.values_list("pk", flat=True), *Session.objects.filter(pk__in=unstored).values_list("pk", flat=True)}
    return sessions_delete(session_ids=sorted(ids, key=str), refused_site_id=site.pk)


def _unstored_forget(*, site: Site, visitor: str, visitor_ids: set[str]) -> set:
    """Delete these visitor ids' batches not stored yet, of sessions that no other identity is known by, and
    refuse the sessions' later batches, as a deleted session's: the worker drops one it holds (or one
    accepted meanwhile) at its commit. Returns those sessions' ids."""
    others = Session.objects.filter(pk=OuterRef("session_id")).exclude(identity__in=["", visitor])
    unstored = Chunk.objects.filter(site=site, sender__vid__in=sorted(visitor_ids)).exclude(status=Chunk.STORED).exclude(
        Exists(others),
    )
    with transaction.atomic():
        session_ids = set(unstored.values_list("session_id", flat=True))
        DeletedSession.objects.bulk_create(
            [DeletedSession(id=pk, site=site, deleted_at=Now()) for pk in sorted(session_ids)], ignore_conflicts=True,
        )
        unstored.filter(session_id__in=session_ids).delete()  # (waits for a worker's commit holding one)
    return session_ids


def retention_purge(*, now=None) -> int:
    """Delete what is older than its site's retention, a thousand sessions at a time.

    A session's age counts from the last time the server received a batch of it, by the server's
    clock: its event times are the visitor's clock, which may be years off either way (behind, a batch
    just accepted would go at once; ahead, a session would outlive its retention). That time is the
    database's (ingest writes it), and so is the one it is compared with: a host whose clock runs ahead
    would delete sessions before their time.
    """
    deleted = 0
    now = now or db_now()
    DeletedSession.objects.filter(deleted_at__lt=now - timedelta(days=DELETED_SESSION_DAYS)).delete()
    for site in Site.objects.only("id", "retention_days"):
        cutoff = now - timedelta(days=site.retention_days)
        expired = Session.objects.filter(site=site).filter(
            Q(received_at__lt=cutoff) | Q(received_at__isnull=True, created_at__lt=cutoff)
        ).order_by()
        while ids := list(expired.values_list("pk", flat=True)[:DELETE_BATCH]):
            deleted += sessions_delete(session_ids=ids, unstored_stay=True)
        # Batches that never became part of a stored session (failed ones, kept for a re-drive), by their own age.
        Chunk.objects.filter(site=site, created_at__lt=cutoff).exclude(status=Chunk.STORED).delete()
    return deleted


EXPORT_SESSION_FIELDS = [
    "visitor_id", "identity", "tags", "started_at", "last_activity_at", "clock_offset_ms", "duration_ms", "page_count",
    "event_count", "error_count", "status", "user_agent", "browser", "os", "device_type", "viewport_w",
    "viewport_h", "screen_w", "screen_h", "language", "timezone", "entry_url", "referrer", "ip",
]


def visitor_export(*, site: Site, visitor: str) -> dict:
    """Everything kept about one visitor on a site (by identity or visitor id), oldest session first.

    `{"visitor", "site", "exported_at", "sessions": [{metadata..., "pages": [...], "events": [...]}]}`,
    JSON-ready: times are ISO 8601 strings, events are the stored (scrubbed) rrweb events. In memory:
    `visitor_export_json` is the same document as text, for a download of any size.
    """
    return jsontext.loads(b"".join(visitor_export_json(site=site, visitor=visitor)))


def visitor_export_sessions(*, site: Site, visitor: str):
    """The sessions a visitor's export holds, in its order."""
    return visitor_sessions(site=site, visitor=visitor).order_by(F("started_at").asc(nulls_last=True), "created_at", "id")


EXPORT_SESSIONS_AT_ONCE = 100  # session rows (and their page views) read at a time


def visitor_export_json(*, site: Site, visitor: str) -> Generator[bytes, None, bool]:
    """`visitor_export`'s document as UTF-8 JSON text, piece by piece: a few sessions' rows at a time, and
    each session's events a stored part at a time, as their text was stored (never parsed and written again).
    A visitor with many long sessions makes a document far larger than a process should hold. Returns whether
    every session was read whole (none deleted during the export)."""
    whole = True
    head = {"visitor": visitor, "site": site.pk, "exported_at": timezone.now().isoformat(), "sessions": []}
    yield jsontext.dumps(head)[:-2]  # (the sessions' list left open)
    sessions = visitor_export_sessions(site=site, visitor=visitor).prefetch_related("pageviews")
    for index, session in enumerate(sessions.iterator(chunk_size=EXPORT_SESSIONS_AT_ONCE)):
        item = {"id": str(session.pk), **{name: _jsonable(getattr(session, name)) for name in EXPORT_SESSION_FIELDS}}
        item["pages"] = [
            {"url": page.url, "title": page.title, "kind": page.kind, "at": page.at.isoformat()}
            for page in session.pageviews.all()
        ]
        item["events"] = None
        yield (b", " if index else b"") + jsontext.dumps(item)[:-len(b"null}")]  # (its events follow)
        complete = yield from _events_while_kept(session)
        whole = whole and complete
        yield b"}" if complete else b', "deleted_during_export": true}'
    yield b"]}"
    return whole


def _events_while_kept(session: Session) -> Iterator[bytes]:
    """The session's events as JSON text; if the session is deleted meanwhile (a forget, a deletion racing the
    export) and a stored part is gone when its turn comes, the array ends after the events already sent, so the
    document stays whole. Returns whether every part was read."""
    pieces, _ = session_events_stream(session, hold_at_gaps=False)  # a stored part at a time
    complete = yield from pieces
    if not complete:
        log.info("Session %s was deleted during a visitor's export; its events end where they were.", session.pk)
    return complete


def _jsonable(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
