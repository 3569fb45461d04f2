"""Reads of the insights app: signals per page, heatmap cells."""
import re
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from sites.targeting import wildcard_match

from .detect import MOVE_COLUMNS, MOVE_ROW_PX
from .models import HeatCell, Signal
from .services import DEVICE_WIDTHS, ROUTE_STARTS, page_key, page_url

PER_PAGE_ROWS = 10


def frustration_per_page(*, site_id: int, since: datetime, until: datetime, min_ms: int = 0) -> list[dict]:
    """The pages with the most frustration signals in the sessions started from `since` to before `until` and
    at least `min_ms` long (those the session list shows): {url, sessions, rage, dead, error, quick_back,
    total}, `sessions` being those with a signal on the page (the list's `frustrated_on` filter)."""
    counts = {kind: Count("id", filter=Q(kind=kind)) for kind, _ in Signal.KINDS}
    rows = (
        Signal.objects.filter(site_id=site_id, session__started_at__gte=since, session__started_at__lt=until,
                              session__duration_ms__gte=min_ms).values("url")
        .annotate(total=Count("id"), sessions=Count("session_id", distinct=True), **counts)
        .order_by("-total", "url")[:PER_PAGE_ROWS]
    )
    return list(rows)


# ---- heatmaps: one aggregate query over the cells, whatever the number of page views ----

HEATMAP_ELEMENTS = 200
HEATMAP_DEFAULT_DAYS = 30


def url_pattern_filter(rows: QuerySet, pattern: str) -> QuerySet:
    """The rows whose `url` the pattern matches, `*` standing for any run of characters.

    Postgres matches it as a regular expression, which its engine does in
    linear time. SQLite's regular expressions are Python's, which try every
    placing of each `*` (five of them took 34 s a row of 330 characters):
    there the rows' distinct URLs are matched here, by `wildcard_match`.
    """
    pattern = re.sub(r"\*+", "*", pattern)
    if connection.vendor == "postgresql":
        return rows.filter(url__regex="^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")
    parts = pattern.split("*")
    urls = rows.filter(url__startswith=parts[0], url__endswith=parts[-1]).order_by().values_list("url", flat=True).distinct()
    return rows.filter(url__in=[url for url in urls if wildcard_match(pattern, url)])


@dataclass(frozen=True)
class HeatmapQuery:
    url: str  # a URL, or a pattern with * for any run of characters
    kind: str  # click, scroll or move
    device: str  # desktop, tablet, mobile or "" for all
    day_from: date
    day_to: date


def _cells(site_id: int, query: HeatmapQuery):
    cells = HeatCell.objects.filter(site_id=site_id, kind=query.kind, day__gte=query.day_from, day__lte=query.day_to)
    if "*" in query.url:
        cells = url_pattern_filter(cells, query.url)
    else:
        cells = cells.filter(page=page_key(query.url))
    if query.device:
        cells = cells.filter(device=query.device)
    return cells.order_by()


def heatmap(*, site_id: int, query: HeatmapQuery) -> dict:
    """The heatmap's data as the API and the page give it (see README, "Heatmaps")."""
    rows = list(_cells(site_id, query).values("selector", "cx", "cy").annotate(n=Sum("count")))
    answer = {"url": query.url, "kind": query.kind, "device": query.device or "all",
              "date_from": query.day_from.isoformat(), "date_to": query.day_to.isoformat()}
    if query.kind == "click":
        return {**answer, **_clicks(rows)}
    if query.kind == "scroll":
        return {**answer, **_depths(rows)}
    cells = [{"column": row["cx"], "row": row["cy"], "count": row["n"]} for row in rows]
    return {**answer, "columns": MOVE_COLUMNS, "row_px": MOVE_ROW_PX, "total": sum(c["count"] for c in cells),
            "cells": sorted(cells, key=lambda c: (c["row"], c["column"]))}


def _clicks(rows: list[dict]) -> dict:
    elements: dict[str, dict] = {}
    for row in rows:
        element = elements.setdefault(row["selector"], {"selector": row["selector"], "count": 0, "cells": []})
        element["count"] += row["n"]
        # The cell's centre, as fractions of the element's box.
        element["cells"].append({"x": (row["cx"] + 0.5) / 10, "y": (row["cy"] + 0.5) / 10, "count": row["n"]})
    ranked = sorted(elements.values(), key=lambda e: (-e["count"], e["selector"]))
    return {"total": sum(e["count"] for e in ranked), "elements": ranked[:HEATMAP_ELEMENTS]}


def _depths(rows: list[dict]) -> dict:
    """Page views by the deepest tenth they saw -> the share of page views that saw each tenth."""
    seen = [0] * 11
    for row in rows:
        seen[min(10, max(0, row["cx"]))] += row["n"]
    views = sum(seen)
    reached = [sum(seen[tenth:]) for tenth in range(1, 11)]
    return {"views": views, "depth": [round(n / views, 4) if views else 0 for n in reached]}


# A pattern matching more of a site's URLs than this draws on a page view of the last ones first seen.
PAGE_VIEW_URLS_MAX = 100


def heatmap_page_view(*, site_id: int, url: str, device: str):
    """A recent page view of this URL (on this kind of device) whose session replays it: the page to draw on.

    The URLs are matched among the site's distinct URLs first, and their page views found by URL (an index):
    matching every page view's URL read the whole table on every heatmap shown.
    """
    from recorder.models import PageView, SiteUrl

    urls = SiteUrl.objects.filter(site_id=site_id).order_by("-id")
    if "*" in url:
        urls = url_pattern_filter(urls, url)
    elif url == page_url(url):  # the page's views, those at an anchor of it too (not another route of a hash router)
        anchored = Q(url__startswith=url + "#")
        for start in ROUTE_STARTS:
            anchored &= ~Q(url__startswith=url + "#" + start)
        urls = urls.filter(Q(url=url) | anchored)
    else:
        urls = urls.filter(url=url)
    views = PageView.objects.filter(session__site_id=site_id, session__chunk_count__gt=0,
                                    url__in=list(urls.values_list("url", flat=True)[:PAGE_VIEW_URLS_MAX]))
    if device in DEVICE_WIDTHS:
        low, high = DEVICE_WIDTHS[device]
        views = views.filter(session__viewport_w__gte=low, session__viewport_w__lt=high)
    view = views.select_related("session").order_by("-at", "-id").first()
    if view is None:
        return None, None
    following = PageView.objects.filter(session_id=view.session_id, at__gt=view.at).order_by("at").first()
    return view, following
