"""Reads of recorded sessions shared by the dashboard, the API and commands (a recording's own: replay/recordings.py)."""
from datetime import timedelta

from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Now

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


def live_condition() -> Q:
    """In progress: not finished, and a batch arrived within the last minute. By the database's clock, on
    which ingest wrote the arrival: a web host's clock a minute or more off would show no session live, or
    every one that stopped minutes ago."""
    return Q(status=Session.ACTIVE, received_at__gte=Now() - timedelta(seconds=LIVE_WINDOW_SECONDS))


def sessions_live_marked(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """These sessions, each with `is_live` (see `live_condition`), read in the same query."""
    return sessions.annotate(is_live=ExpressionWrapper(live_condition(), output_field=BooleanField()))


def session_is_live(session: Session) -> bool:
    """Whether a session read through `sessions_live_marked` was in progress."""
    return bool(session.is_live)
