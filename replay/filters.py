"""Session list filters, shared by the dashboard and the API; values come from the query string.

`SESSION_FILTERS` is the whole list: a query parameter's name, its help text,
and the condition it adds for a value (None: the value means nothing, and is
ignored). Adding a filter is adding a line. Every condition is one an index
answers on Postgres (recorder/migrations/0004_scale.py): a b-tree in list
order, a trigram index for "contains", a partial index for rare states, an
EXISTS on the site's page views.
"""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone
from typing import Callable

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from insights.models import Signal
from recorder.models import PageRollup, PageView, SiteUrl

from .selectors import live_condition

Condition = Q | Exists | Exact | None


@dataclass(frozen=True)
class SessionFilter:
    name: str
    help: str
    # (value, the other parameters) -> the condition; the value is stripped and never empty.
    query: Callable[[str, "Parameters"], Condition] | None


@dataclass(frozen=True)
class Parameters:
    """What a filter may read besides its own value: the other parameters (called with a name),
    and the site whose sessions are listed."""

    params: object
    site_id: int | None = None

    def __call__(self, name: str) -> str:
        return param_get(self.params, name)


PARAM_MAX = 1000  # characters of a parameter's value that are read


def param_get(params, name: str) -> str:
    """A query parameter, stripped; "" when missing, a list, or holding a NUL (Postgres refuses NUL)."""
    value = params.get(name)
    if not isinstance(value, str) or "\x00" in value:
        return ""
    return value.strip()[:PARAM_MAX]


def number_parse(value: str, *, limit: int = 10**15) -> int | None:
    """A non-negative integer in ASCII digits (not '²'), at most `limit` (5000 nines are the limit), else None."""
    if not (value.isascii() and value.isdigit()):
        return None
    return limit if len(value.lstrip("0")) > len(str(limit)) else min(int(value), limit)


def moment_parse(value: str, *, end: bool) -> datetime | None:
    """A date (a "to" date includes the whole day) or an ISO 8601 time, aware; None if not one."""
    # A bare date first: parse_datetime reads "2025-03-05" as that day's midnight, which
    # would make a "to" date exclude the very day it names.
    try:
        if (day := parse_date(value)) is not None:
            moment = timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(days=1 if end else 0)
        elif (moment := parse_datetime(value)) is None:
            return None
        moment = moment if moment.tzinfo else timezone.make_aware(moment)
        moment.astimezone(dt_timezone.utc)  # what the database is given: out of range near year 1 or 9999
        return moment
    except (ValueError, OverflowError):  # impossible (2025-02-30) or past datetime's range (9999-12-31 + 1 day)
        return None


_VERSION = re.compile(r"[\s/]*v?\d+(\.\d+)*\s*$", re.IGNORECASE)


def family_name(value: str) -> str:
    """A browser's or OS's name without its version ("" for a version alone: no filter)."""
    return _VERSION.sub("", value).strip()


def _family(field: str) -> Callable[[str, Callable], Condition]:
    """Browser or OS by name, ignoring case and a version: `chrome` finds Chrome and HeadlessChrome."""
    def query(value: str, get) -> Condition:
        name = family_name(value)
        return Q(**{f"{field}__icontains": name}) if name else None
    return query


def _tag(key: str, get) -> Condition:
    value = get("tag_value")
    if not value:
        return Q(tags__has_key=key)
    if connection.vendor == "postgresql":
        return Q(tags__contains={key: value})  # `@>`: what the GIN index on tags answers
    return Exact(KeyTextTransform(key, "tags"), value)


# "Visited URL contains": past this many distinct URLs matching, each session's page views are searched.
URL_MATCHES_MAX = 100


def _visited(value: str, get: Parameters) -> Condition:
    """Sessions with a page view whose URL contains `value`.

    The distinct URLs are searched first (a trigram index over a few rows),
    and the page views of those URLs found by URL: Postgres then knows how
    common they are and either reads the page views of rare URLs, or walks
    the newest sessions and probes each one's page views for common ones.
    When very many URLs match, each session's page views are searched.
    """
    site_urls = SiteUrl.objects.filter(url__icontains=value)
    if get.site_id is not None:  # other sites' URLs would only use up the matches
        site_urls = site_urls.filter(site_id=get.site_id)
    urls = list(site_urls.values_list("url", flat=True)[:URL_MATCHES_MAX + 1])
    if len(urls) > URL_MATCHES_MAX:
        return Exists(PageView.objects.filter(session_id=OuterRef("pk"), url__icontains=value))
    return Exists(PageView.objects.filter(site_id=OuterRef("site_id"), session_id=OuterRef("pk"), url__in=urls))


def _visited_page(value: str, get: Parameters) -> Condition:
    """Sessions with a page view of this very URL (the overview's pages, cut to PageRollup.URL_MAX: one of
    that length names the page views it is the start of)."""
    lookup = "url__startswith" if len(value) >= PageRollup.URL_MAX else "url"
    return Exists(PageView.objects.filter(session_id=OuterRef("pk"), **{lookup: value}))


def _frustrated_on(value: str, get: Parameters) -> Condition:
    """Sessions with a frustration signal on the page of exactly this URL (the overview's pages where visitors
    struggle; one as long as a value is read names the pages it is the start of)."""
    lookup = "url__startswith" if len(value) >= PARAM_MAX else "url"
    return Exists(Signal.objects.filter(session_id=OuterRef("pk"), **{lookup: value}))


def _live(value: str, get) -> Condition:
    if value != "1":
        return None
    return live_condition()


def _when(lookup: str, *, end: bool) -> Callable[[str, Callable], Condition]:
    def query(value: str, get) -> Condition:
        moment = moment_parse(value, end=end)
        return Q(**{lookup: moment}) if moment is not None else None
    return query


def _seconds(lookup: str, *, whole: bool = False) -> Callable[[str, Callable], Condition]:
    """`whole`: the value is a length in whole seconds as the list shows it (9.9 s reads 0:09), so all of that second."""
    def query(value: str, get) -> Condition:
        seconds = number_parse(value)
        return Q(**{lookup: (seconds + whole) * 1000}) if seconds is not None else None
    return query


def _equals(lookup: str) -> Callable[[str, Callable], Condition]:
    return lambda value, get: Q(**{lookup: value})


def _flag(lookup: str) -> Callable[[str, Callable], Condition]:
    return lambda value, get: Q(**{lookup: 0}) if value == "1" else None


SESSION_FILTERS = [
    SessionFilter("date_from", "Started on or after this date (YYYY-MM-DD) or time (ISO 8601).",
                  _when("started_at__gte", end=False)),
    SessionFilter("date_to", "Started on or before this date or time.", _when("started_at__lt", end=True)),
    SessionFilter("min_duration", "At least this many seconds long.", _seconds("duration_ms__gte")),
    SessionFilter("max_duration", "At most this many whole seconds long, as lengths are shown: 9 takes in 9.9 s.",
                  _seconds("duration_ms__lt", whole=True)),
    SessionFilter("identity", "Identity equals this.", _equals("identity")),
    SessionFilter("identity_contains", "Identity contains this.", _equals("identity__icontains")),
    SessionFilter("tag", "Has this tag key.", _tag),
    SessionFilter("tag_value", "With `tag`: the tag has this value.", None),
    SessionFilter("url", "Visited a page whose URL contains this.", _visited),
    SessionFilter("page_url", "Visited the page of exactly this URL.", _visited_page),
    SessionFilter("frustrated_on", "Had a frustration signal on the page of exactly this URL (without its anchor).",
                  _frustrated_on),
    SessionFilter("errors", "`1`: only sessions with errors.", _flag("error_count__gt")),
    SessionFilter("browser", "Browser by name, any case or version: `chrome` finds Chrome and HeadlessChrome.",
                  _family("browser")),
    SessionFilter("os", "Operating system by name, any case or version, e.g. windows.", _family("os")),
    SessionFilter("device", "desktop, mobile, tablet or bot.", _equals("device_type")),
    SessionFilter("live", "`1`: only sessions in progress.", _live),
    SessionFilter("visitor", "Visitor id equals this.", _equals("visitor_id")),
    # Frustration signals (insights): sessions with at least one.
    SessionFilter("rage", "`1`: only sessions with a rage click.", _flag("rage_clicks__gt")),
    SessionFilter("dead", "`1`: only sessions with a dead click.", _flag("dead_clicks__gt")),
    SessionFilter("error_click", "`1`: only sessions with an error click.", _flag("error_clicks__gt")),
    SessionFilter("quick_back", "`1`: only sessions with a quick back.", _flag("quick_backs__gt")),
]
SORTS = {"newest": "started_at", "longest": "duration_ms", "friction": "friction"}
SESSION_FILTER_PARAMS = [(f.name, f.help) for f in SESSION_FILTERS] + [
    ("sort", "`newest` (default), `longest` or `friction` (most frustrated first)."),
]


def sessions_filter(sessions: QuerySet, params, *, site_id: int | None = None) -> QuerySet:
    """Apply every filter present in `params`; unknown or malformed values are ignored.
    `site_id`: the site whose sessions these are, when there is one."""
    get = Parameters(params, site_id)
    for item in SESSION_FILTERS:
        value = get(item.name)
        if item.query is not None and value and (condition := item.query(value, get)) is not None:
            sessions = sessions.filter(condition)
    return sessions


def sort_field(params) -> str:
    """The column the list is ordered by (then by id), both descending."""
    return SORTS.get(param_get(params, "sort"), SORTS["newest"])


def sessions_sort(sessions: QuerySet, params) -> QuerySet:
    field = sort_field(params)
    return sessions.order_by(F(field).desc(), F("id").desc())
