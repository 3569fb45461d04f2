"""Reads of the sites app shared by views and the API."""
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Case, QuerySet, Sum, Value, When
from django.http import Http404
from django.utils import timezone

from insights.selectors import frustration_per_page
from privacy.models import AuditEntry
from recorder.models import DailyRollup, PageRollup, Session

from .models import Membership, Site


def sites_for_user(user):
    """The user's sites; not one being deleted (sites.deletion), whatever membership of it is left or was added."""
    return Site.objects.filter(memberships__user=user, deleting_since__isnull=True).distinct()


def membership_get(user, site_id: int) -> Membership:
    """The user's membership of a site; a non-member gets 404, never 403, and so does anyone for a site being
    deleted (its deletion removes its members, but the admin's Memberships can add one meanwhile)."""
    if not user.is_authenticated or not 0 < int(site_id) < 2**63:  # a path's int may be past any id (and SQLite's range)
        raise Http404
    membership = Membership.objects.select_related("site").filter(
        site_id=site_id, user=user, site__deleting_since__isnull=True,
    ).first()
    if membership is None:
        raise Http404
    return membership


def members_of_site(site: Site) -> QuerySet[Membership]:
    """The site's members, the owner first, then admins, then viewers, each by username."""
    rank = Case(
        When(role=Membership.OWNER, then=Value(0)), When(role=Membership.ADMIN, then=Value(1)), default=Value(2),
    )
    return site.memberships.select_related("user").order_by(rank, "user__username")


AUDIT_PAGE_SIZE = 50


def audit_page(site: Site, *, before: str | None = None) -> tuple[list, int | None]:
    """One page of the site's audit log, newest first, and the id to continue before (or None)."""
    entries = AuditEntry.objects.filter(site=site).order_by("-id")
    if before and before.isascii() and before.isdigit() and len(before) <= 18:
        entries = entries.filter(id__lt=int(before))
    items = list(entries[: AUDIT_PAGE_SIZE + 1])
    if len(items) > AUDIT_PAGE_SIZE:
        return items[:AUDIT_PAGE_SIZE], items[AUDIT_PAGE_SIZE - 1].pk
    return items, None


def audit_targets_present(site: Site, entries: list) -> dict[str, set[str]]:
    """Which of the entries' targets the site still has, by kind: sessions, members and visitors with sessions.

    One query per kind, whatever the page holds.
    """
    wanted = {"session": set(), "member": set(), "visitor": set()}
    for entry in entries:
        kind = entry.action.split(".")[0]
        if kind in wanted and entry.target:
            wanted[kind].add(entry.target)
    present = {kind: set() for kind in wanted}
    sessions = {target for target in wanted["session"] if _is_uuid(target)}
    if sessions:
        found = Session.objects.filter(site=site, pk__in=sessions).values_list("pk", flat=True)
        present["session"] = {str(pk) for pk in found}
    if wanted["member"]:
        found = site.memberships.filter(user__username__in=wanted["member"]).values_list("user__username", flat=True)
        present["member"] = set(found)
    if wanted["visitor"]:
        found = Session.objects.filter(site=site, visitor_id__in=wanted["visitor"]).values_list("visitor_id", flat=True)
        present["visitor"] = set(found.distinct())
    return present


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


OVERVIEW_DAYS = 30


@dataclass
class Overview:
    days: list[dict]  # {"day", "sessions", "height"} for each of the last OVERVIEW_DAYS days, oldest first
    sessions: int
    average_ms: int
    with_errors: int
    top_pages: list[dict]  # {"url", "sessions"}: the sessions that visited the page, each once
    frustration: list[dict]  # {"url", "sessions", "total", "rage", "dead", "error", "quick_back"}: insights.selectors
    peak: int

    @property
    def date_range(self) -> str:
        """The overview's days as the session list's and the heatmaps' query: its links list what it counts."""
        return urlencode({"date_from": self.days[0]["day"].isoformat(), "date_to": self.days[-1]["day"].isoformat()})

    @property
    def average_seconds(self) -> int:
        # Whole seconds passed, as the session list shows each length (Session.duration_seconds).
        return self.average_ms // 1000


def site_overview(site: Site, *, today: date | None = None) -> Overview:
    """The last 30 days of a site from its daily roll-ups (recorder/rollups.py) and its frustration signals."""
    today = today or timezone.localdate()
    first = today - timedelta(days=OVERVIEW_DAYS - 1)
    per_day = {
        row["day"]: row
        for row in DailyRollup.objects.filter(site=site, day__gte=first, day__lte=today)
        .values("day", "sessions", "duration_ms", "with_errors")
    }
    top_pages = list(
        PageRollup.objects.filter(site=site, day__gte=first, day__lte=today).values("url")
        .annotate(sessions=Sum("sessions")).order_by("-sessions", "url")[:10]
    )
    total = sum(row["sessions"] for row in per_day.values())
    peak = max((row["sessions"] for row in per_day.values()), default=0)
    days = []
    for offset in range(OVERVIEW_DAYS):
        day = first + timedelta(days=offset)
        count = per_day.get(day, {}).get("sessions", 0)
        days.append({"day": day, "sessions": count, "height": round(100 * count / peak) if peak else 0})
    return Overview(
        days=days, sessions=total, peak=peak, top_pages=top_pages,
        frustration=frustration_per_page(
            site_id=site.pk, min_ms=site.min_session_sec * 1000,
            since=timezone.make_aware(datetime.combine(first, datetime.min.time())),
            until=timezone.make_aware(datetime.combine(today + timedelta(days=1), datetime.min.time())),
        ),
        average_ms=(sum(row["duration_ms"] for row in per_day.values()) // total) if total else 0,
        with_errors=sum(row["with_errors"] for row in per_day.values()),
    )
