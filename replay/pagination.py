"""Keyset pagination for the session list: deep pages cost the same as the first.

The list is ordered by (column, id), both descending; the next page is what
comes after the last row, written as one row-value comparison
`(column, id) < (x, y)` so that Postgres walks the matching index from there.
A cursor is `<column value>_<id>`; one that does not parse is no cursor.
"""
import base64
import binascii
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone

from django.db.models import BigIntegerField, DateTimeField, F, Field, FloatField, Func, QuerySet, UUIDField, Value
from django.db.models.lookups import GreaterThan, LessThan
from django.utils import timezone
from django.utils.dateparse import parse_datetime

PAGE_SIZE = 50


class Row(Func):
    """A row value, `(a, b)`."""

    function = ""
    template = "(%(expressions)s)"
    output_field = Field()


@dataclass
class Page:
    items: list
    next_cursor: str | None
    next_query: str | None = None  # the dashboard's link to the next page, with the filters
    previous_cursor: str | None = None  # `<` + the first row's cursor: the page before this one


def cursor_of(session, field: str) -> str:
    value = getattr(session, field)
    return f"{value.isoformat() if isinstance(value, datetime) else value}_{session.pk}"


def cursor_parse(cursor: str, field: str) -> tuple | None:
    """(column value, id) from a cursor, or None if it is not one."""
    value, sep, pk = cursor.rpartition("_")
    if not sep or len(cursor) > 100 or not cursor.isascii():
        return None
    try:
        key = uuid.UUID(pk)
        if field == "duration_ms":
            return (int(value), key) if value.lstrip("-").isdigit() and len(value) <= 15 else None
        if field == "friction":
            number = float(value)
            return (number, key) if math.isfinite(number) else None
        moment = parse_datetime(value)
        if moment is None:
            return None
        moment = moment if moment.tzinfo else timezone.make_aware(moment)
        moment.astimezone(dt_timezone.utc)
        return moment, key
    except (ValueError, OverflowError):
        return None


def cursor_encode(cursor: str) -> str:
    return base64.urlsafe_b64encode(cursor.encode()).decode().rstrip("=")


def cursor_decode(text: str) -> str | None:
    """The cursor inside an API `cursor` parameter, or None if it is not base64 of ASCII."""
    if not text.isascii() or len(text) > 200:
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        return None


def _key(field: str, value, pk):
    kind = {"started_at": DateTimeField(), "friction": FloatField()}.get(field, BigIntegerField())
    return Row(Value(value, output_field=kind), Value(pk, output_field=UUIDField()))


def keyset_after(sessions: QuerySet, field: str, key: tuple) -> QuerySet:
    """The sessions after `key` in the list: `(field, id) < key`."""
    return sessions.filter(LessThan(Row(F(field), F("id")), _key(field, *key)))


def keyset_page(sessions: QuerySet, *, field: str, cursor: str | None) -> Page:
    """One page after `cursor`, or before it if it starts with `<` (None or unreadable: the first page)."""
    backwards = bool(cursor) and cursor.startswith("<")
    key = cursor_parse(cursor.lstrip("<"), field) if cursor else None
    if key is not None and backwards:
        before = sessions.filter(GreaterThan(Row(F(field), F("id")), _key(field, *key)))
        items = list(before.order_by(F(field).asc(), F("id").asc())[: PAGE_SIZE + 1])[::-1]
        more_before = len(items) > PAGE_SIZE
        items = items[-PAGE_SIZE:]
        return Page(items=items, next_cursor=cursor_of(items[-1], field) if items else None,
                    previous_cursor="<" + cursor_of(items[0], field) if more_before else None)
    if key is not None:
        sessions = keyset_after(sessions, field, key)
    items = list(sessions[: PAGE_SIZE + 1])
    previous = "<" + cursor_of(items[0], field) if key is not None and items else None
    if len(items) > PAGE_SIZE:
        return Page(items=items[:PAGE_SIZE], next_cursor=cursor_of(items[PAGE_SIZE - 1], field),
                    previous_cursor=previous)
    return Page(items=items, next_cursor=None, previous_cursor=previous)


def neighbours(sessions: QuerySet, current, *, field: str) -> tuple[object | None, object | None]:
    """The sessions just before (newer/longer) and just after (older/shorter) `current` in the list."""
    value = getattr(current, field)
    if value is None:
        return None, None
    here = _key(field, value, current.pk)
    after = sessions.filter(LessThan(Row(F(field), F("id")), here))
    before = sessions.filter(GreaterThan(Row(F(field), F("id")), here))
    return before.order_by(F(field).asc(), F("id").asc()).first(), after.first()
