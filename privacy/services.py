"""Deleting recordings: one session, a visitor's sessions, or what is past retention."""
import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from recorder.models import Session
from recorder.storage import chunk_delete
from sites.models import Site

log = logging.getLogger(__name__)


def session_delete(*, session: Session) -> None:
    """Delete a session's stored objects, then its rows. A rerun after a crash finishes the job."""
    for key in session.chunks.values_list("key", flat=True):
        chunk_delete(key)
    session.delete()


def visitor_sessions(*, site: Site, visitor: str):
    """Sessions of one visitor, by identity or visitor id."""
    return site.sessions.filter(Q(identity=visitor) | Q(visitor_id=visitor))


def visitor_forget(*, site: Site, visitor: str) -> int:
    sessions = list(visitor_sessions(site=site, visitor=visitor))
    for session in sessions:
        session_delete(session=session)
    return len(sessions)


def retention_purge() -> int:
    """Delete sessions whose last activity is older than their site's retention."""
    deleted = 0
    now = timezone.now()
    for site in Site.objects.only("id", "retention_days"):
        cutoff = now - timedelta(days=site.retention_days)
        expired = Session.objects.filter(site=site).filter(
            Q(last_activity_at__lt=cutoff) | Q(last_activity_at__isnull=True, created_at__lt=cutoff)
        )
        for session in expired.iterator():
            session_delete(session=session)
            deleted += 1
    return deleted
