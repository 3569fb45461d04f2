"""Writes of the insights app: signals and heatmap facts as the worker stores chunks, settling, forgetting, rebuilding."""
import hashlib
from datetime import date
from functools import lru_cache
from operator import attrgetter
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Sum

from recorder.models import Session
from recorder.sql import bytes_cursor

from .detect import Findings, facts_merge, friction_score, marks_fold, state_settle
from .models import HeatCell, HeatFact, Signal

COUNTERS = {"rage": "rage_clicks", "dead": "dead_clicks", "error": "error_clicks", "quick_back": "quick_backs"}
CELL_KEY = ["site_id", "page", "kind", "day", "device", "selector", "cx", "cy"]
_cell_key = attrgetter(*CELL_KEY)
BATCH = 500


ROUTE_STARTS = ("/", "!")  # a fragment starting so is a hash router's route (`#/cart`, `#!/cart`)


def page_url(url: str) -> str:
    """The page a URL shows, as heatmaps and frustration per page count it: the URL without its fragment
    (an anchor, a scroll-spy's section: the same document), unless the fragment is a route (a hash-routed
    app's pages)."""
    base, mark, fragment = url.partition("#")
    return url if not mark or fragment.startswith(ROUTE_STARTS) else base


@lru_cache(maxsize=1024)  # (asked of each fact; a session's facts share a few pages)
def page_key(url: str) -> str:
    """The heatmap's key of a page: sha1 of its URL (URLs are too long for a unique index)."""
    return hashlib.sha1(url.encode("utf-8", "surrogatepass")).hexdigest()


# Heatmaps' device classes by the viewport's width in CSS pixels: [low, high).
DEVICE_WIDTHS = {"mobile": (0, 768), "tablet": (768, 1100), "desktop": (1100, 10**6)}


def device_class(session: Session) -> str | None:
    """desktop, tablet or mobile from the viewport's width (else the user agent); None for bots."""
    if session.device_type == "bot":
        return None
    width = session.viewport_w
    if width:
        return next(name for name, (low, high) in DEVICE_WIDTHS.items() if low <= width < high)
    return session.device_type if session.device_type in ("tablet", "mobile") else "desktop"


class Fact(NamedTuple):
    """A HeatFact row to insert, lighter than the model (a stored chunk has about five)."""

    session_id: Any
    site_id: int
    page: str
    url: str
    day: date
    device: str
    kind: str
    selector: str
    cx: int
    cy: int
    count: int


class FindingsWrites:
    """Signals and heatmap facts found while a commit folds its chunks, written together at its end."""

    def __init__(self):
        self.signals: list[Signal] = []
        self.facts: list[Fact] = []

    def write(self) -> None:
        """Insert the signals and facts, and add the facts to the heatmap cells (same cells summed first)."""
        Signal.objects.bulk_create(self.signals, batch_size=BATCH)
        facts_insert(self.facts)
        cells: dict = {}  # one row per cell in an upsert: sessions of one commit may share cells
        counts: dict = {}
        for fact in self.facts:
            key = _cell_key(fact)
            if key in cells:
                counts[key] += fact.count
            else:
                cells[key], counts[key] = fact, fact.count
        cells_add([fact._replace(count=counts[key]) if counts[key] != fact.count else fact
                   for key, fact in cells.items()], sign=1)
        self.signals, self.facts = [], []


def facts_insert(facts: list[Fact]) -> None:
    """Insert heatmap facts: on Postgres with COPY, where Django's bulk_create spent more time
    preparing each row's values than the worker spent on the rest of its heatmap work; elsewhere
    with bulk_create."""
    if not facts:
        return
    if connection.vendor != "postgresql":
        HeatFact.objects.bulk_create([HeatFact(**fact._asdict()) for fact in facts], batch_size=BATCH)
        return
    table = connection.ops.quote_name(HeatFact._meta.db_table)
    with bytes_cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(Fact._fields)}) FROM STDIN") as copy:
        for fact in facts:
            copy.write_row(fact)


def signals_fold(*, session: Session, marks: list, writes: FindingsWrites) -> None:
    """One stored chunk's marks folded into its (locked) session, inside the worker's transaction.

    The caller saves the session row and calls `writes.write()` once its
    chunks are folded.
    """
    found, session.signal_state = marks_fold(marks, session.signal_state, session.clock_offset_ms)
    _findings_store(session, found, writes)


def signals_settle(*, session_ids: list) -> int:
    """Sessions that ended: their open clicks and last page view settled, the carry-over state dropped."""
    settled = 0
    for session_id in session_ids:
        with transaction.atomic():
            session = Session.objects.select_for_update().filter(pk=session_id, signal_state__isnull=False).first()
            if session is None:
                continue
            writes = FindingsWrites()
            _findings_store(session, state_settle(session.signal_state), writes)
            writes.write()
            session.signal_state = None
            session.save(update_fields=[*COUNTERS.values(), "friction", "signal_state"])
            settled += 1
    return settled


def _findings_store(session: Session, found: Findings, writes: FindingsWrites) -> None:
    if found.signals:
        writes.signals += (
            Signal(site_id=session.site_id, session_id=session.pk, kind=s.kind, ts=s.ts, x=s.x, y=s.y,
                   url=page_url(s.url)[:2048], selector=s.selector[:512])
            for s in found.signals
        )
        for signal in found.signals:
            field = COUNTERS[signal.kind]
            setattr(session, field, getattr(session, field) + 1)
    session.friction = friction_score(
        rage=session.rage_clicks, dead=session.dead_clicks, error=session.error_clicks,
        quick_back=session.quick_backs, errors=session.error_count,
    )
    device = device_class(session)
    if found.facts and device:
        pages = [(kind, page_url(url), *rest) for kind, url, *rest in found.facts]
        facts = [
            Fact(session.pk, session.site_id, page_key(page), page, date.fromisoformat(day), device, kind, selector, cx,
                 cy, count)
            for (kind, page, day, selector, cx, cy), count in facts_merge(pages).items() if page
        ]
        writes.facts += facts


def cells_add(facts: list, *, sign: int) -> None:
    """Add (or take back, sign -1) these facts' counts to the heatmap's cells, one upsert per batch."""
    table = connection.ops.quote_name(HeatCell._meta.db_table)
    columns = ", ".join(CELL_KEY + ["url", "count"])
    # In key order, so that two workers adding to the same cells lock them in the same order.
    facts = sorted(facts, key=lambda fact: tuple(map(str, _cell_key(fact))))
    for start in range(0, len(facts), BATCH):
        rows = facts[start:start + BATCH]
        values, params = [], []
        for fact in rows:
            values.append("(" + ", ".join(["%s"] * (len(CELL_KEY) + 2)) + ")")
            params += [fact.site_id, fact.page, fact.kind, fact.day, fact.device, fact.selector, fact.cx, fact.cy,
                       fact.url, sign * fact.count]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join(values)} "
                f"ON CONFLICT ({', '.join(CELL_KEY)}) DO UPDATE SET count = {table}.count + EXCLUDED.count",
                params,
            )
    if sign < 0:
        HeatCell.objects.filter(count__lte=0).delete()


def heat_forget(*, session_ids: list) -> None:
    """Deleted sessions: their share taken out of the heatmaps, their signals and facts deleted."""
    facts = list(HeatFact.objects.filter(session_id__in=session_ids))
    keys: dict = {}
    for fact in facts:  # one fact per key and session: sum across the sessions
        key = _cell_key(fact)
        if key in keys:
            keys[key].count += fact.count
        else:
            keys[key] = fact
    cells_add(list(keys.values()), sign=-1)
    HeatFact.objects.filter(session_id__in=session_ids).delete()
    Signal.objects.filter(session_id__in=session_ids).delete()


def heatmaps_rebuild(*, site_id: int | None = None) -> int:
    """The heatmap cells summed again from the sessions' facts (after a crash, a bug fix, a bulk delete)."""
    facts = HeatFact.objects.all() if site_id is None else HeatFact.objects.filter(site_id=site_id)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # One rebuild at a time, and workers wait to add to the cells until the rebuilt ones are in: a
            # delete does not see the cells another transaction wrote after it began, and its insert of the
            # same cells was a unique violation (a second rebuild; a worker's new cell).
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {HeatCell._meta.db_table} IN EXCLUSIVE MODE")
        (HeatCell.objects.all() if site_id is None else HeatCell.objects.filter(site_id=site_id)).delete()
        sums = facts.values(*CELL_KEY, "url").annotate(total=Sum("count")).order_by()
        cells = [HeatCell(**{k: v for k, v in row.items() if k != "total"}, count=row["total"]) for row in sums.iterator()]
        cells_merge = {}
        for cell in cells:  # one URL per page key
            key = _cell_key(cell)
            if key in cells_merge:
                cells_merge[key].count += cell.count
            else:
                cells_merge[key] = cell
        HeatCell.objects.bulk_create(cells_merge.values(), batch_size=BATCH)
    return len(cells_merge)
