"""Reads of recorded sessions shared by the dashboard, the API and commands (a recording's own: replay/recordings.py)."""
from django.db.models import F, QuerySet

from recorder.models import Session
from sites.models import Site


def sessions_for_site(site: Site) -> QuerySet[Session]:
    """Sessions worth showing: stored at least once and past the site's minimum length, newest first.

    A stored session always has a start, so the order needs no NULLS placement
    and matches the (site, started_at DESC, id DESC) index as it is.
    """
    return (
        Session.objects.filter(
            site=site, chunk_count__gt=0, started_at__isnull=False, duration_ms__gte=site.min_session_sec * 1000,
        )
        .order_by(F("started_at").desc(), F("id").desc())
    )


LIVE_WINDOW_SECONDS = 60


def session_is_live(session: Session) -> bool:
    """In progress: not finished, and a batch arrived within the last minute."""
    from django.utils import timezone

    if session.status != Session.ACTIVE or session.received_at is None:
        return False
    return (timezone.now() - session.received_at).total_seconds() < LIVE_WINDOW_SECONDS
