"""Session list filters, shared by the dashboard and the API; values come from the query string."""
from datetime import timedelta

from django.db.models import QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from .selectors import LIVE_WINDOW_SECONDS

SESSION_FILTER_PARAMS = [
    ("date_from", "Started on or after this date (YYYY-MM-DD) or time (ISO 8601)."),
    ("date_to", "Started on or before this date or time."),
    ("min_duration", "At least this many seconds long."),
    ("max_duration", "At most this many seconds long."),
    ("identity", "Identity equals this."),
    ("identity_contains", "Identity contains this."),
    ("tag", "Has this tag key."),
    ("tag_value", "With `tag`: the tag has this value."),
    ("url", "Visited a page whose URL contains this."),
    ("errors", "`1`: only sessions with errors."),
    ("browser", "Browser family, e.g. Chrome."),
    ("os", "Operating system family, e.g. Windows."),
    ("device", "desktop, mobile, tablet or bot."),
    ("live", "`1`: only sessions in progress."),
    ("visitor", "Visitor id equals this."),
    ("rage", "`1`: only sessions with a rage click."),
    ("dead", "`1`: only sessions with a dead click."),
    ("error_click", "`1`: only sessions with an error click."),
    ("quick_back", "`1`: only sessions with a quick back."),
    ("sort", "`newest` (default), `longest` or `friction` (most frustrated first)."),
]


# Frustration flags (insights) and the Session counter each one needs above zero.
FRUSTRATION_FILTERS = {"rage": "rage_clicks", "dead": "dead_clicks", "error_click": "error_clicks",
                       "quick_back": "quick_backs"}


def _moment(value: str, *, end: bool):
    # A bare date first: parse_datetime reads "2025-03-05" as that day's midnight, which
    # would make a "to" date exclude the very day it names.
    try:
        day = parse_date(value)
    except ValueError:  # well formed but impossible, e.g. 2025-02-30
        return None
    if day is not None:
        start = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))
        return start + timedelta(days=1) if end else start
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo else timezone.make_aware(moment)


def _seconds(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def sessions_filter(sessions: QuerySet, params) -> QuerySet:
    """Apply every filter present in `params`; unknown or malformed values are ignored."""
    get = lambda name: (params.get(name) or "").strip()  # noqa: E731
    if (start := _moment(get("date_from"), end=False)) is not None:
        sessions = sessions.filter(started_at__gte=start)
    if (stop := _moment(get("date_to"), end=True)) is not None:
        sessions = sessions.filter(started_at__lt=stop)
    if (low := _seconds(get("min_duration"))) is not None:
        sessions = sessions.filter(duration_ms__gte=low * 1000)
    if (high := _seconds(get("max_duration"))) is not None:
        sessions = sessions.filter(duration_ms__lte=high * 1000)
    if get("identity"):
        sessions = sessions.filter(identity=get("identity"))
    if get("identity_contains"):
        sessions = sessions.filter(identity__icontains=get("identity_contains"))
    if get("visitor"):
        sessions = sessions.filter(visitor_id=get("visitor"))
    if get("tag"):
        if get("tag_value"):
            sessions = sessions.alias(tag_match=KeyTextTransform(get("tag"), "tags")).filter(tag_match=get("tag_value"))
        else:
            sessions = sessions.filter(tags__has_key=get("tag"))
    if get("url"):
        sessions = sessions.filter(pageviews__url__icontains=get("url")).distinct()
    if get("errors") == "1":
        sessions = sessions.filter(error_count__gt=0)
    for name, field in (("browser", "browser__iexact"), ("os", "os__iexact"), ("device", "device_type")):
        if get(name):
            sessions = sessions.filter(**{field: get(name)})
    for name, counter in FRUSTRATION_FILTERS.items():
        if get(name) == "1":
            sessions = sessions.filter(**{f"{counter}__gt": 0})
    if get("live") == "1":
        recent = timezone.now() - timedelta(seconds=LIVE_WINDOW_SECONDS)
        sessions = sessions.filter(status="active", received_at__gte=recent)
    return sessions


def sessions_sort(sessions: QuerySet, params) -> QuerySet:
    if (params.get("sort") or "") == "longest":
        return sessions.order_by("-duration_ms", "-id")
    if (params.get("sort") or "") == "friction":
        return sessions.order_by("-friction", "-id")
    return sessions


def sort_field(params) -> str | None:
    """The numeric field a sorted list pages by (None: newest first)."""
    return {"longest": "duration_ms", "friction": "friction"}.get(params.get("sort") or "")
