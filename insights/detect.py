"""Frustration signals and heatmap facts from a session's events: data in, data out, no I/O.

The worker reads each stored chunk's events down to a few *marks*
(`marks_extract`, part of the batch summary), then folds them, in seq order,
into the session's carry-over state (`marks_fold`): a signal that spans two
batches (a rage click, a dead click whose window ends in the next batch) is
settled when a later mark shows its window is over, or when the session ends
(`state_settle`). The state is plain JSON, kept on the Session row.

Thresholds (README, "Frustration signals"):
- rage click: RAGE_CLICKS or more clicks within RAGE_MS, each within RAGE_PX of the first;
- dead click: nothing visible within DEAD_MS of a click: no DOM change, page view, scroll,
  network request started or page hidden; clicks on inputs, labels and text selections
  do not count, nor the clicks of a rage click or an error click;
  (the clicks of a rage click are that one signal: neither dead nor error clicks)
- error click: an uncaught error, unhandled rejection or console.error within ERROR_MS of a click;
- quick back: a page view left within QUICK_BACK_MS for the URL of the page view before it, by going
  back in the same tab (BACK_KINDS): the same URL opened in a new tab, or by a link, is no going back.
"""
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

RAGE_CLICKS, RAGE_MS, RAGE_PX = 3, 1000, 30
DEAD_MS = 2500
ERROR_MS = 1000
QUICK_BACK_MS = 7000
ERROR_KINDS = {"error", "rejection", "console.error"}
# Friction: weights of each signal, and of each recorded error (at most ERRORS_COUNTED of them).
FRICTION_WEIGHTS = {"rage": 3.0, "error": 3.0, "dead": 2.0, "quick_back": 2.0}
ERROR_WEIGHT, ERRORS_COUNTED = 0.5, 10
# Heatmap cells: a click's place in its element's box in tenths; pointer positions in
# MOVE_COLUMNS of the viewport's width and rows of MOVE_ROW_PX page pixels.
MOVE_COLUMNS, MOVE_ROW_PX = 20, 50
MAX_PX = 1_000_000  # coordinates past this are clamped (they must fit the database's integers)
MAX_OFFSET_MS = 60_000  # a pointer position's offset from its event, at most
MAX_OPEN = 200  # clicks waiting for their window to end, at most (a click storm keeps the newest)
# hs.page kinds of a page replacing its URL's fragment (a scroll-spy) or query (a search box's query, a
# map's position) in place: the same page, its scroll and clicks one; no page view either.
IN_PLACE_KINDS = ("fragment", "state")
# Page views reached through the tab's history: from the back-forward cache, an SPA's popstate, and a full
# load the browser says came from its history ("history": an hs.page `load` whose `nav` is back_forward).
BACK_KINDS = ("back", "pop", "history")

INCREMENTAL, FULL_SNAPSHOT, META, CUSTOM = 3, 2, 4, 5
MUTATION, MOUSE_MOVE, SCROLL, VIEWPORT_RESIZE, INPUT = 0, 1, 3, 4, 5


def marks_extract(events: list[dict]) -> list[list]:
    """What the detector needs of a chunk's (plain, scrubbed) events, in time order.

    Marks: ["c", ts, click payload], ["p", ts, url, kind], ["e", ts], ["a", ts] (the page did
    something visible), ["d", ts, tenths seen], ["s", ts, node id, scroll y], ["m", ts, x, y],
    ["v", ts, viewport width], ["doc", ts, document node id].
    """
    marks: list[list] = []
    for event in events:
        ts, kind, data = event.get("timestamp"), event.get("type"), event.get("data") or {}
        if kind == CUSTOM:
            _custom_mark(marks, ts, data.get("tag"), data.get("payload"))
        elif kind == INCREMENTAL:
            _incremental_mark(marks, ts, data)
        elif kind == FULL_SNAPSHOT and isinstance(data.get("node"), dict):
            marks.append(["doc", ts, data["node"].get("id")])
        elif kind == META and _num(data.get("width")):
            marks.append(["v", ts, _clamp(data["width"], 0, MAX_PX)])
    marks.sort(key=lambda mark: mark[1])
    return marks


def _custom_mark(marks: list, ts: int, tag: Any, payload: Any) -> None:
    if not isinstance(payload, dict):
        return
    if tag == "hs.click" and _num(payload.get("x")) and _num(payload.get("y")):
        marks.append(["c", ts, {
            "s": _text(payload.get("s"), 512), "x": _clamp(payload["x"], -MAX_PX, MAX_PX),
            "y": _clamp(payload["y"], -MAX_PX, MAX_PX),
            "rx": _clamp(payload.get("rx"), 0, 999), "ry": _clamp(payload.get("ry"), 0, 999), "q": bool(payload.get("q")),
        }])
    elif tag == "hs.page" and payload.get("kind") not in IN_PLACE_KINDS:
        kind = _text(payload.get("kind"), 10) or "load"
        if kind == "load" and payload.get("nav") == "back_forward":
            kind = "history"
        marks.append(["p", ts, _text(payload.get("url"), 2048), kind])
    elif tag == "hs.error" and payload.get("kind") in ERROR_KINDS:
        marks.append(["e", ts])
    elif tag == "hs.net":
        duration = payload.get("duration")
        marks.append(["a", ts - int(duration) if _num(duration) and 0 <= duration < ts else ts])
    elif tag == "hs.visibility" and payload.get("state") == "hidden":
        marks.append(["a", ts])
    elif tag == "hs.depth" and _num(payload.get("d")):
        marks.append(["d", ts, _clamp(payload["d"], 0, 10)])


def _incremental_mark(marks: list, ts: int, data: dict) -> None:
    source = data.get("source")
    if source == MUTATION:
        if not marks or marks[-1] != ["a", ts]:
            marks.append(["a", ts])
    elif source == SCROLL:
        marks.append(["a", ts])
        if _num(data.get("y")):
            marks.append(["s", ts, data.get("id"), _clamp(data["y"], 0, MAX_PX)])
    elif source == MOUSE_MOVE:
        for position in data.get("positions") or []:
            if isinstance(position, dict) and _num(position.get("x")) and _num(position.get("y")):
                offset = position.get("timeOffset")
                offset = int(offset) if _num(offset) and abs(offset) < MAX_OFFSET_MS else 0
                marks.append(["m", ts + offset, _clamp(position["x"], 0, MAX_PX), _clamp(position["y"], 0, MAX_PX)])
    elif source == VIEWPORT_RESIZE and _num(data.get("width")):
        marks.append(["v", ts, _clamp(data["width"], 0, MAX_PX)])


def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(value: Any, limit: int) -> str:
    """A client's string as a database column takes it: no NUL, no lone surrogate, at most `limit` long."""
    text = value if isinstance(value, str) else ""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:limit]


def _clamp(value: Any, low: int, high: int) -> int:
    return min(high, max(low, int(value))) if _num(value) else low


@dataclass
class Found:
    """A frustration signal: kind (rage, dead, error, quick_back), when, where, on which page and element."""

    kind: str
    ts: int
    url: str
    x: int | None = None
    y: int | None = None
    selector: str = ""


@dataclass
class Findings:
    signals: list[Found] = field(default_factory=list)
    # Heatmap facts: (kind, url, day, selector, cx, cy, count); kind click, move or scroll.
    facts: list[tuple] = field(default_factory=list)


def state_new() -> dict:
    return {"url": "", "at": 0, "prev": None, "burst": None, "raged": [], "open": [], "depth": None,
            "doc": None, "sy": 0, "vw": 0, "off": 0}


def marks_fold(marks: list[list], state: dict | None, clock_offset_ms: int = 0) -> tuple[Findings, dict]:
    """Fold a chunk's marks into the carry-over state; what was settled, and the new state.

    Marks are at the visitor's clock; the days of heatmap facts are at the server's (the session's
    `clock_offset_ms` added), as its start and page views are."""
    state = {**state_new(), **(state or {}), "off": clock_offset_ms}
    found = Findings()
    for mark in marks:
        kind, ts = mark[0], mark[1]
        if state["open"]:  # (most marks come with no click waiting to be settled)
            _clicks_settle(state, found, before=ts)
            if kind in ("a", "p"):  # the page did something visible (a new page view is one)
                _clicks_mark(state, "busy", ts, DEAD_MS)
        if kind == "c":
            _click(state, found, ts, mark[2])
        elif kind == "e":
            _clicks_mark(state, "err", ts, ERROR_MS)
        elif kind == "p":
            _page(state, found, ts, mark[2], mark[3])
        elif kind != "a":
            _position(state, found, mark)
    return found, state


def _clicks_mark(state: dict, flag: str, ts: int, window: int) -> None:
    for click in state["open"]:  # the same millisecond counts: a handler throws as the click is reported
        if click["t"] <= ts <= click["t"] + window:
            click[flag] = True


def state_settle(state: dict | None) -> Findings:
    """The session ended: settle every open click and the last page view's scroll depth."""
    state = {**state_new(), **(state or {})}
    found = Findings()
    _clicks_settle(state, found, before=None)
    _depth_close(state, found)
    return found


def _click(state: dict, found: Findings, ts: int, click: dict) -> None:
    burst = state["burst"]
    near = burst and ts - burst["t"] <= RAGE_MS and abs(click["x"] - burst["x"]) <= RAGE_PX and abs(click["y"] - burst["y"]) <= RAGE_PX
    if not near:
        burst = state["burst"] = {"t": ts, "x": click["x"], "y": click["y"], "n": 0, "rage": False}
    burst["n"] += 1
    if burst["n"] >= RAGE_CLICKS and not burst["rage"]:
        burst["rage"] = True
        state["raged"] = (state["raged"] + [burst["t"]])[-20:]
        found.signals.append(Found("rage", burst["t"], state["url"], int(burst["x"]), int(burst["y"]), click["s"]))
    state["open"] = (state["open"] + [{"t": ts, "x": int(click["x"]), "y": int(click["y"]), "s": click["s"],
                                       "q": click["q"], "b": burst["t"], "url": state["url"]}])[-MAX_OPEN:]
    if click["s"]:
        found.facts.append(("click", state["url"], _day(ts + state["off"]), click["s"], click["rx"] // 100, click["ry"] // 100, 1))


def _clicks_settle(state: dict, found: Findings, *, before: int | None) -> None:
    """Clicks whose windows are over (all of them when `before` is None) become signals or nothing."""
    still = []
    for click in state["open"]:
        if before is not None and before <= click["t"] + DEAD_MS:
            still.append(click)
            continue
        if click["b"] in state["raged"]:
            continue
        if click.get("err"):
            found.signals.append(Found("error", click["t"], click["url"], click["x"], click["y"], click["s"]))
        elif not (click["q"] or click.get("busy")):
            found.signals.append(Found("dead", click["t"], click["url"], click["x"], click["y"], click["s"]))
    state["open"] = still


def _page(state: dict, found: Findings, ts: int, url: str, kind: str) -> None:
    prev = state["prev"]
    if prev and url == prev["url"] and url != state["url"] and ts - state["at"] <= QUICK_BACK_MS and kind in BACK_KINDS:
        found.signals.append(Found("quick_back", ts, state["url"]))
    _depth_close(state, found)
    state["prev"] = {"url": state["url"], "at": state["at"]} if state["url"] else None
    state["url"], state["at"], state["depth"] = url, ts, None


def _depth_close(state: dict, found: Findings) -> None:
    if state["url"] and state["depth"] is not None:
        found.facts.append(("scroll", state["url"], _day(state["at"] + state["off"]), "", state["depth"], 0, 1))
    state["depth"] = None


def _position(state: dict, found: Findings, mark: list) -> None:
    kind, ts = mark[0], mark[1]
    if kind == "d":
        state["depth"] = max(state["depth"] or 0, mark[2])
    elif kind == "doc":
        state["doc"], state["sy"] = mark[2], 0
    elif kind == "s" and mark[2] == state["doc"]:
        state["sy"] = max(0, int(mark[3]))
    elif kind == "v" and mark[2] > 0:
        state["vw"] = int(mark[2])
    elif kind == "m" and state["vw"] and state["url"]:
        column = min(MOVE_COLUMNS - 1, max(0, int(mark[2] * MOVE_COLUMNS // state["vw"])))
        row = max(0, int((mark[3] + state["sy"]) // MOVE_ROW_PX))
        found.facts.append(("move", state["url"], _day(ts + state["off"]), "", column, min(row, 32000), 1))


QUARTER_MS = 15 * 60_000  # every time zone's offset from UTC is a whole number of quarter hours


def _day(ts: int) -> str:
    return _day_of(int(max(ts, 0) // QUARTER_MS), settings.TIME_ZONE)


@lru_cache(maxsize=64)
def _day_of(quarter: int, zone: str) -> str:
    """The date, in the dashboard's time zone (TIME_ZONE, as the overview's days and the heatmap's date
    filter), of this quarter hour since the epoch (asked of every pointer move a batch holds). In UTC, a
    click after midnight in Tokyo counted for the day before."""
    return datetime.fromtimestamp(quarter * (QUARTER_MS // 1000), tz=ZoneInfo(zone)).date().isoformat()


def friction_score(*, rage: int, dead: int, error: int, quick_back: int, errors: int) -> float:
    """The session's friction: weighted signals plus a little for each recorded error."""
    weights = FRICTION_WEIGHTS
    score = (weights["rage"] * rage + weights["dead"] * dead + weights["error"] * error
             + weights["quick_back"] * quick_back + ERROR_WEIGHT * min(errors, ERRORS_COUNTED))
    return round(score, 1)


def facts_merge(facts: list[tuple]) -> dict[tuple, int]:
    """Identical facts counted once each: (kind, url, day, selector, cx, cy) -> count."""
    counts: dict[tuple, int] = {}
    for *key, count in facts:
        counts[tuple(key)] = counts.get(tuple(key), 0) + count
    return counts
