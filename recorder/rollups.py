"""Daily roll-ups of shown sessions and their pages, so the overview reads a month in a few rows;
and each site's distinct page URLs, so "visited URL contains" searches a few rows, not every page view.

A session counts once stored and past its site's minimum length (what the
list shows), on the day it started (default time zone), and there once for
each URL it visited, however many times it viewed it (so a page's figure is
what the list of sessions that visited the page shows). The worker applies each commit's difference
(`rollups_sessions_stored`), deletions take sessions out
(`rollups_sessions_removed`), and `rollups_rebuild` recomputes them from the
rows (`manage.py rebuildrollups`), e.g. after a site's minimum length changed.
Increments are `INSERT ... ON CONFLICT DO UPDATE`, in the caller's
transaction, keys in a fixed order so two workers never deadlock.
"""
import hashlib
from collections import Counter
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Left, TruncDate
from django.utils import timezone

from sites.models import Site

from .models import DailyRollup, PageRollup, PageView, Session, SiteUrl

_SESSION_FIELDS = ("started_at", "duration_ms", "error_count", "chunk_count", "page_count")


def _day(moment: datetime) -> date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def _counted(row: dict, min_ms: int) -> bool:
    return row["chunk_count"] > 0 and row["started_at"] is not None and row["duration_ms"] >= min_ms


def session_counted_state(session: Session) -> dict:
    """What the roll-ups need of a session row as it is before a commit changes it."""
    return {name: getattr(session, name) for name in _SESSION_FIELDS}


def rollups_sessions_stored(*, changes: list[tuple[Session, dict]]) -> None:
    """Apply what one commit changes to the roll-ups, all its sessions at once: a few statements.

    `changes` pairs each session (changed in memory, row locked) with its
    state before the commit (`session_counted_state`); its page views of this
    commit are already written. A session counts on the day it started, once
    past its site's minimum length; the difference between the two states is
    what is added and taken away.
    """
    if not changes:
        return
    min_ms = {pk: sec * 1000 for pk, sec in
              Site.objects.filter(pk__in={s.site_id for s, _ in changes}).values_list("pk", "min_session_sec")}
    plans = []
    for session, old in changes:
        new = session_counted_state(session)
        was, now = _counted(old, min_ms[session.site_id]), _counted(new, min_ms[session.site_id])
        if was or now:
            plans.append((session, old, new, was, now))
    urls = _urls([session.pk for session, old, new, was, now in plans
                  if new["page_count"] > old["page_count"] or not (was and now and old["started_at"] == new["started_at"])])
    per_site: dict[int, tuple[Counter, Counter]] = {}
    for session, old, new, was, now in plans:
        days, pages = per_site.setdefault(session.site_id, (Counter(), Counter()))
        every = urls.get(session.pk, [])
        added = max(0, new["page_count"] - old["page_count"])
        older = every[: len(every) - added] if added else every
        # A page counts a session once, however many times it was viewed in it.
        if was and now and _day(old["started_at"]) == _day(new["started_at"]):
            pages.update((_day(new["started_at"]), url) for url in set(every[len(older):]) - set(older))
        else:
            if was:
                pages.subtract((_day(old["started_at"]), url) for url in set(older))
            if now:
                pages.update((_day(new["started_at"]), url) for url in set(every))
        for row, sign, counted in ((old, -1, was), (new, 1, now)):
            if counted:
                key = _day(row["started_at"])
                days[(key, "sessions")] += sign
                days[(key, "duration_ms")] += sign * row["duration_ms"]
                days[(key, "with_errors")] += sign * (row["error_count"] > 0)
    for site_id in sorted(per_site):
        _apply(site_id, *per_site[site_id])


def _urls(session_ids: list) -> dict:
    """Each session's page URLs (cut as stored in the roll-up), oldest first."""
    found: dict = {}
    if session_ids:
        views = PageView.objects.filter(session_id__in=session_ids).order_by("session_id", "id")
        for session_id, url in views.values_list("session_id", "url"):
            found.setdefault(session_id, []).append(url[: PageRollup.URL_MAX])
    return found


def rollups_sessions_removed(*, session_ids: list) -> None:
    """Take these sessions (about to be deleted) out of the roll-ups."""
    for site_id, days, pages in _aggregates(Session.objects.filter(pk__in=session_ids)):
        _apply(site_id, Counter({k: -v for k, v in days.items()}), Counter({k: -v for k, v in pages.items()}))


def rollups_rebuild(*, site_ids: list[int] | None = None) -> int:
    """Recompute the roll-ups of these sites (all if None) from their sessions; returns the day rows written."""
    sites = Site.objects.all() if site_ids is None else Site.objects.filter(pk__in=site_ids)
    written = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Workers wait to apply their differences until the rebuilt rows are in (they
            # were computed against rows this rebuild does not see yet, so none is lost).
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {DailyRollup._meta.db_table}, {PageRollup._meta.db_table} IN EXCLUSIVE MODE")
        for site_id in sites.values_list("pk", flat=True):
            DailyRollup.objects.filter(site_id=site_id).delete()
            PageRollup.objects.filter(site_id=site_id).delete()
            for _, days, pages in _aggregates(Session.objects.filter(site_id=site_id)):
                _apply(site_id, days, pages)
                written += len({day for day, _ in days})
    return written


def _aggregates(sessions: QuerySet) -> list[tuple[int, Counter, Counter]]:
    """(site id, {(day, field): value}, {(day, url): sessions}) of the counted sessions among `sessions`."""
    zone = timezone.get_default_timezone()
    counted = sessions.filter(
        chunk_count__gt=0, started_at__isnull=False, duration_ms__gte=F("site__min_session_sec") * 1000,
    ).order_by()
    found: dict[int, tuple[Counter, Counter]] = {}
    per_day = counted.annotate(day=TruncDate("started_at", tzinfo=zone)).values("site_id", "day").annotate(
        n=Count("id"), duration=Sum("duration_ms"), errors=Count("id", filter=Q(error_count__gt=0)),
    )
    for row in per_day:
        days, _ = found.setdefault(row["site_id"], (Counter(), Counter()))
        days.update({(row["day"], "sessions"): row["n"], (row["day"], "duration_ms"): row["duration"] or 0,
                     (row["day"], "with_errors"): row["errors"]})
    views = (
        PageView.objects.filter(session__in=counted.values("pk")).order_by()
        .annotate(day=TruncDate("session__started_at", tzinfo=zone), cut=Left("url", PageRollup.URL_MAX))
        .values("session__site_id", "day", "cut").annotate(n=Count("session_id", distinct=True))
    )
    for row in views:
        _, pages = found.setdefault(row["session__site_id"], (Counter(), Counter()))
        pages[(row["day"], row["cut"])] += row["n"]
    return [(site_id, days, pages) for site_id, (days, pages) in sorted(found.items())]


def _apply(site_id: int, days: Counter, pages: Counter) -> None:
    """Add these differences to the roll-up rows (creating them), then drop the rows that reached zero."""
    by_day: dict[date, list[int]] = {}
    for (day, field), value in days.items():
        by_day.setdefault(day, [0, 0, 0])[("sessions", "duration_ms", "with_errors").index(field)] += value
    day_rows = [(site_id, day, *values) for day, values in sorted(by_day.items()) if any(values)]
    page_rows = [(site_id, day, url, n) for (day, url), n in sorted(pages.items()) if n]
    _upsert(DailyRollup, ("site_id", "day", "sessions", "duration_ms", "with_errors"), 2, day_rows)
    _upsert(PageRollup, ("site_id", "day", "url", "sessions"), 3, page_rows)
    if any(row[2] < 0 for row in day_rows):
        DailyRollup.objects.filter(site_id=site_id, day__in=[row[1] for row in day_rows], sessions__lte=0).delete()
    if any(row[3] < 0 for row in page_rows):
        PageRollup.objects.filter(site_id=site_id, day__in={row[1] for row in page_rows}, sessions__lte=0).delete()


def _upsert(model, columns: tuple[str, ...], keys: int, rows: list[tuple], batch: int = 500) -> None:
    """INSERT ... ON CONFLICT (the first `keys` columns) DO UPDATE adding the other columns."""
    table = connection.ops.quote_name(model._meta.db_table)
    added = ", ".join(f"{name} = {table}.{name} + EXCLUDED.{name}" for name in columns[keys:])
    one = f"({', '.join(['%s'] * len(columns))})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            part = rows[start:start + batch]
            params = [connection.ops.adapt_datefield_value(v) if isinstance(v, date) else v for row in part for v in row]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * len(part))} "
                f"ON CONFLICT ({', '.join(columns[:keys])}) DO UPDATE SET {added}",
                params,
            )


def url_key(url: str) -> str:
    """md5 of the URL in hex, as Postgres's md5(url) writes it (a key, not a secret)."""
    return hashlib.md5(url.encode("utf-8", "surrogatepass")).hexdigest()


def site_urls_note(*, page_views: list[PageView]) -> None:
    """Remember the URLs of these new page views (one INSERT, keys in order so two workers never deadlock)."""
    rows = {(view.site_id, url_key(view.url)): view.url for view in page_views if view.site_id is not None}
    SiteUrl.objects.bulk_create(
        [SiteUrl(site_id=site_id, key=key, url=rows[site_id, key]) for site_id, key in sorted(rows)],
        batch_size=500, ignore_conflicts=True,
    )


def site_urls_prune(*, pairs: set[tuple[int, str]]) -> None:
    """Forget these (site id, URL) pairs whose last page view was just deleted: no URL outlives its visits."""
    by_site: dict[int, list[str]] = {}
    for site_id, url in pairs:
        if site_id is not None:
            by_site.setdefault(site_id, []).append(url_key(url))
    for site_id, keys in sorted(by_site.items()):
        for start in range(0, len(keys), 500):
            SiteUrl.objects.filter(site_id=site_id, key__in=sorted(keys[start:start + 500])).exclude(
                Exists(PageView.objects.filter(site_id=OuterRef("site_id"), url=OuterRef("url")))
            ).delete()


def site_urls_rebuild(*, site_ids: list[int] | None = None) -> int:
    """The distinct URLs of these sites (all if None) from their page views again; how many."""
    sites = Site.objects.all() if site_ids is None else Site.objects.filter(pk__in=site_ids)
    written = 0
    for site_id in sites.values_list("pk", flat=True):
        with transaction.atomic():
            SiteUrl.objects.filter(site_id=site_id).delete()
            urls = PageView.objects.filter(site_id=site_id).values_list("url", flat=True).distinct().order_by()
            batch = []
            for url in urls.iterator():
                batch.append(SiteUrl(site_id=site_id, key=url_key(url), url=url))
                if len(batch) == 500:
                    written += len(SiteUrl.objects.bulk_create(batch, ignore_conflicts=True))
                    batch = []
            written += len(SiteUrl.objects.bulk_create(batch, ignore_conflicts=True))
    return written
