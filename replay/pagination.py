"""Keyset pagination for the session list: deep pages cost the same as the first."""
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

PAGE_SIZE = 50


@dataclass
class Page:
    items: list
    next_query: str | None


def _numeric(longest: bool | str | None) -> str | None:
    """The numeric field a list is sorted by: True is the length, a name is that field (friction)."""
    return "duration_ms" if longest is True else longest or None


def keyset_page(sessions: QuerySet, params, *, longest: bool | str | None) -> Page:
    """One page after the cursor in `params["after"]` (`<sort value>_<id>`)."""
    after = (params.get("after") or "").rpartition("_")
    if after[1]:
        sessions = _after(sessions, after[0], after[2], longest)
    items = list(sessions[: PAGE_SIZE + 1])
    next_query = None
    if len(items) > PAGE_SIZE:
        items = items[:PAGE_SIZE]
        last = items[-1]
        key = str(getattr(last, _numeric(longest))) if longest else (last.started_at.isoformat() if last.started_at else "")
        query = {k: v for k, v in params.items() if k != "after"}
        next_query = urlencode({**query, "after": f"{key}_{last.pk}"})
    return Page(items=items, next_query=next_query)


def _after(sessions: QuerySet, value: str, pk: str, longest: bool | str | None) -> QuerySet:
    if longest:
        field = _numeric(longest)
        try:
            number = float(value) if field == "friction" else int(value)
        except ValueError:
            return sessions
        return sessions.filter(Q(**{f"{field}__lt": number}) | Q(**{field: number, "id__lt": pk}))
    moment: datetime | None = parse_datetime(value)
    if moment is None:
        return sessions
    return sessions.filter(Q(started_at__lt=moment) | Q(started_at=moment, id__lt=pk))


def neighbours(sessions: QuerySet, current, *, longest: bool | str | None) -> tuple[object | None, object | None]:
    """The sessions just before (newer/longer) and just after (older/shorter) `current` in the list."""
    if longest:
        field = _numeric(longest)
        value = getattr(current, field)
    else:
        value, field = current.started_at, "started_at"
    if value is None:
        return None, None
    after = sessions.filter(Q(**{f"{field}__lt": value}) | Q(**{field: value, "id__lt": current.pk}))
    before = sessions.filter(Q(**{f"{field}__gt": value}) | Q(**{field: value, "id__gt": current.pk}))
    return before.order_by(field, "id").first(), after.first()
