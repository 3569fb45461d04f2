"""Writes of the recorder app: storing chunks and keeping Session rows up to date."""
import logging
from datetime import datetime, timedelta, timezone

from django.db import transaction
from django.db.models import F
from django.utils import timezone as dj_timezone

from privacy.scrub import ScrubState, events_scrub

from .models import Chunk, PageView, Session
from .processing import Summary, batch_summarise, events_encode
from .storage import chunk_write

log = logging.getLogger(__name__)


def chunk_store(*, chunk_id: int, events: list[dict]) -> bool:
    """Scrub, compress and write one chunk, then fold its summary into the session.

    Safe to run twice: the object key is deterministic (same bytes, same key),
    and the session is updated only by the run that moves the chunk from
    pending to stored. Returns whether this run did that.
    """
    chunk = Chunk.objects.select_related("session__site").filter(pk=chunk_id).first()
    if chunk is None or chunk.status == Chunk.STORED:
        return False
    session = chunk.session
    state = ScrubState(emails=session.site.scrub_emails, sensitive_ids=set(session.scrub_ids))
    clean = events_scrub(events, state)
    blob = events_encode(clean)
    chunk_write(chunk.key, blob)  # outside any transaction: storage is network I/O
    summary = batch_summarise(clean)
    with transaction.atomic():
        claimed = Chunk.objects.filter(pk=chunk.pk, status=Chunk.PENDING).update(
            status=Chunk.STORED, stored_bytes=len(blob), event_count=summary.event_count,
            first_ts=summary.first_ts, last_ts=summary.last_ts, stored_at=dj_timezone.now(),
        )
        if claimed:
            _session_merge(session.pk, summary, len(blob), state.sensitive_ids)
    return bool(claimed)


def _ms(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp / 1000, tz=timezone.utc)


def _session_merge(session_id, summary: Summary, stored: int, sensitive_ids: set[int]) -> None:
    session = Session.objects.select_for_update().get(pk=session_id)
    first, last = _ms(summary.first_ts), _ms(summary.last_ts)
    session.started_at = min(session.started_at or first, first)
    session.last_activity_at = max(session.last_activity_at or last, last)
    session.duration_ms = int((session.last_activity_at - session.started_at).total_seconds() * 1000)
    session.event_count = F("event_count") + summary.event_count
    session.error_count = F("error_count") + summary.error_count
    session.chunk_count = F("chunk_count") + 1
    session.stored_bytes = F("stored_bytes") + stored
    session.page_count = F("page_count") + len(summary.pages)
    session.scrub_ids = sorted(sensitive_ids)[-5000:]
    session.status = Session.ACTIVE
    session.received_at = dj_timezone.now()
    fields = ["received_at",
        "started_at", "last_activity_at", "duration_ms", "event_count", "error_count",
        "chunk_count", "stored_bytes", "page_count", "scrub_ids", "status",
    ]
    fields += _session_facts(session, summary)
    session.save(update_fields=fields)
    PageView.objects.bulk_create(
        PageView(session_id=session_id, url=p["url"], title=p["title"], kind=p["kind"], at=_ms(p["at"]))
        for p in summary.pages
    )


def _session_facts(session: Session, summary: Summary) -> list[str]:
    """Identity, tags, entry page and device facts; returns the fields it changed."""
    changed = []
    if summary.identity is not None:
        session.identity = summary.identity
        changed.append("identity")
    if summary.tags:
        session.tags = {**session.tags, **summary.tags}
        changed.append("tags")
    if summary.pages:
        entry = min(summary.pages, key=lambda p: p["at"])
        if not session.entry_url or _ms(entry["at"]) <= session.started_at:
            session.entry_url, session.referrer = entry["url"], entry["referrer"]
            changed += ["entry_url", "referrer"]
    if summary.viewport and max(summary.viewport) <= 100_000:
        session.viewport_w, session.viewport_h = summary.viewport
        changed += ["viewport_w", "viewport_h"]
    device = summary.device
    for field, key, kind in (
        ("screen_w", "screenW", int), ("screen_h", "screenH", int),
        ("language", "lang", str), ("timezone", "tz", str),
    ):
        value = device.get(key)
        if isinstance(value, kind) and not isinstance(value, bool):
            if kind is int and not 0 <= value <= 100_000:
                continue
            setattr(session, field, value if kind is int else value[: Session._meta.get_field(field).max_length])
            changed.append(field)
    return changed


def sessions_finish_idle(*, now: datetime | None = None) -> int:
    """Finish sessions idle past their site's timeout; drop finished ones shorter than its minimum.

    Picks work by state, so a rerun resumes where a crashed one stopped.
    """
    from privacy.services import session_delete  # privacy depends on recorder models

    now = now or dj_timezone.now()
    finished = 0
    for site_id, timeout in Session.objects.filter(status=Session.ACTIVE).values_list(
        "site_id", "site__session_timeout_min"
    ).distinct():
        finished += Session.objects.filter(
            site_id=site_id, status=Session.ACTIVE, received_at__lt=now - timedelta(minutes=timeout)
        ).update(status=Session.FINISHED)
    too_short = Session.objects.filter(status=Session.FINISHED, duration_ms__lt=F("site__min_session_sec") * 1000)
    for session in too_short.select_related("site"):
        session_delete(session=session)
    return finished
