"""Decoding, validating and summarising batches: data in, data out, no I/O.

Ingest and the worker run the same checks on the same bytes, so a batch
that ingest accepts is one the worker can store: every type the worker or
the player relies on is checked here, without recursion (a DOM may be
thousands of elements deep). The wire format is described in
docs/protocol.md.
"""
import gzip
import re
import threading
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec
import zstandard

from insights.detect import IN_PLACE_KINDS, marks_extract

from . import jsontext, schema
from .wire import RestoreBudget, TextsShown, attribute_columns_restore, events_ids_restore, step_text_count

GZIP_MAGIC = b"\x1f\x8b"
VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
EVENT_TYPES = range(0, 7)
FULL_SNAPSHOT = 2
INCREMENTAL = 3
META = 4
CUSTOM = 5
ERROR_KINDS = {"error", "rejection", "console.error"}
MAX_TAGS = 50
MAX_TIMESTAMP = schema.MAX_TIMESTAMP
# hs.page kinds the replay follows that are no page view: back to a page another tab showed; a page that
# rewrote itself with document.open() at the same address; a URL changed in place.
NOT_PAGE_VIEWS = ("tab", "open", *IN_PLACE_KINDS)
# Page views one batch (about 10 s of a visit) may count: more is no person reading pages but a page pushing
# addresses in a loop (a buggy SPA, a hostile client), which would make page counts and page views absurd.
MAX_PAGE_VIEWS = 20
ID_MAX = schema.ID_LIMIT  # node ids beyond this do not survive the player's JSON.parse

# rrweb's IncrementalSource numbers.
MUTATION, MOUSE_MOVE, MOUSE_INTERACTION, SCROLL, VIEWPORT_RESIZE, INPUT, TOUCH_MOVE = range(7)
DRAG, SELECTION = 12, 14
INCREMENTAL_SOURCES = range(17)
POSITION_SOURCES = (MOUSE_MOVE, TOUCH_MOVE, DRAG)
# rrweb-snapshot's NodeType numbers.
NODE_DOCUMENT, NODE_DOCTYPE, NODE_ELEMENT, NODE_TEXT, NODE_CDATA, NODE_COMMENT = range(6)
NODE_TYPES = range(6)
_CONTROL = re.compile("[\x00\ud800-\udfff]")
# A number that may overflow a double (JSON allows it; the readers after ingest refuse it) has 300
# digits in a row or a three-digit exponent. It is looked for in the text with every digit written 0,
# every e or E as e and every sign as s: a translation and substring searches, all in C (a regex for
# the same costs as much as msgspec's whole decode). A hit counts only as a number token, after `:`,
# `,` or `[`: hex ids are full of `9e123`. A string holding such text only takes the slow path.
_NUMBER_SHAPES = bytes.maketrans(b"0123456789Ee+-", b"0000000000eess")
def _huge_number(text: bytes) -> bool:
    shape = text.translate(_NUMBER_SHAPES)
    if b"0" * 300 in shape:
        return True
    for marker in (b"0e000", b"0es000"):
        at = shape.find(marker)
        while at >= 0:
            i = at
            while i > 0 and shape[i - 1] in b"0.":  # back to the number's first digit
                i -= 1
            i -= 1
            if i >= 0 and shape[i] == 0x73:  # its minus sign
                i -= 1
            while i >= 0 and shape[i] in b" \t\r\n":
                i -= 1
            if i < 0 or shape[i] in b":,[":
                return True
            at = shape.find(marker, at + 1)
    return False


class BatchError(Exception):
    """A batch that must be refused; `status` is the HTTP answer, `code` its JSON error."""

    def __init__(self, status: int, code: str, detail: str):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


@dataclass(frozen=True)
class Batch:
    wid: int
    vid: str
    sid: uuid.UUID
    seq: int
    sent: int | None
    events: list[dict[str, Any]]


def body_inflate(body: bytes, *, max_inflated: int) -> bytes:
    """A request body's JSON text (it may be gzip), never inflated past `max_inflated`."""
    if body[:2] == GZIP_MAGIC:
        return _gunzip_bounded(body, max_inflated)
    if len(body) > max_inflated:
        raise BatchError(413, "too_large", "The batch is larger than the server accepts.")
    return body


def body_decode(body: bytes, *, max_inflated: int) -> Any:
    """Parse a request body (JSON, or gzip of JSON) without inflating past `max_inflated`."""
    return _json_decode(body_inflate(body, max_inflated=max_inflated))


def _json_decode(text: bytes) -> Any:
    try:
        return jsontext.loads(text)
    except UnicodeDecodeError:
        raise BatchError(415, "bad_encoding", "The body must be UTF-8 JSON or gzip of it.") from None
    except ValueError as error:
        raise BatchError(400, "malformed_json", f"The body is not valid JSON: {str(error)[:200]}") from None


# A closing page sends a batch's pieces as gzip members: a few dozen at most (docs/protocol.md).
GZIP_MEMBERS_MAX = 1000
_GZIP_STEP = 64 * 1024


def _gunzip_bounded(body: bytes, limit: int) -> bytes:
    """Inflate every gzip member of `body` (a closing page sends several) into one text.

    The body is fed in steps of 64 KB: what follows a member is never copied
    whole (200,000 empty members took 10 s when the rest of the body was
    copied after each)."""
    out = bytearray()
    view = memoryview(body)
    at = members = 0
    while at < len(body):
        members += 1
        if members > GZIP_MEMBERS_MAX:
            raise BatchError(415, "bad_gzip", f"The body holds more than {GZIP_MEMBERS_MAX} gzip members.")
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        while not inflater.eof:
            if at >= len(body):
                raise BatchError(415, "bad_gzip", "The gzip stream is truncated.")
            step = view[at:at + _GZIP_STEP]
            at += len(step)
            try:
                out += inflater.decompress(step, limit + 1 - len(out))
            except zlib.error:
                raise BatchError(415, "bad_gzip", "The body is not valid gzip.") from None
            if len(out) > limit or inflater.unconsumed_tail:
                raise BatchError(413, "too_large", "The batch inflates past the size the server accepts.")
        at -= len(inflater.unused_data)
    return bytes(out)


@dataclass(frozen=True)
class Envelope:
    """What ingest needs of a checked batch."""

    wid: int
    vid: str
    sid: uuid.UUID
    seq: int
    event_count: int
    page_urls: list[str]


def batch_check(body: bytes, *, max_inflated: int, max_events: int) -> Envelope:
    """Check a request body as `batch_parse` does, fast: msgspec reads it against recorder/schema.py.

    msgspec only ever says yes quickly: a batch it refuses or cannot read
    (nesting past its recursion limit, a lone surrogate) goes to
    `batch_validate`, whose verdict and message stand.
    """
    text = body_inflate(body, max_inflated=max_inflated)
    checked = _schema_read(text)
    if checked is None:
        batch = batch_validate(_json_decode(text), max_events=max_events)
        pages = [str(page.get("url", "")) for _, page in custom_events(batch.events, "hs.page")]
        return Envelope(batch.wid, batch.vid, batch.sid, batch.seq, len(batch.events), pages)
    envelope = {name: getattr(checked, name) for name in ("wid", "vid", "sid", "seq", "sent", "events")}
    wid, vid, sid, seq, _ = _envelope_validate(envelope, max_events=max_events)
    pages = [
        str(event.data.payload.get("url", "")) for event in checked.events
        if type(event) is schema.CustomEvent and event.data.tag == "hs.page" and isinstance(event.data.payload, dict)
    ]
    return Envelope(wid, vid, sid, seq, len(checked.events), pages)


def _schema_read(text: bytes) -> "schema.Batch | None":
    """The batch as msgspec reads it against the schema, or None when msgspec refuses or cannot tell."""
    if _huge_number(text):  # msgspec skips unknown fields without reading their numbers
        return None
    try:
        return schema.decoder.decode(text)
    except (msgspec.MsgspecError, RecursionError):
        return None


def batch_parse(body: bytes, *, max_inflated: int, max_events: int, deep: bool = True) -> Batch:
    """A request body, decoded and checked: what ingest accepts and the worker stores.

    With `deep` off only the envelope and each event's type, data and
    timestamp are checked, not what is inside (node trees, mutation lists):
    the worker skips that, ingest checked it.
    """
    return batch_validate(body_decode(body, max_inflated=max_inflated), max_events=max_events, deep=deep)


def batch_validate(data: Any, *, max_events: int, deep: bool = True) -> Batch:
    """Check every field's type and range; raise BatchError(400) naming the first bad field."""
    if not isinstance(data, dict):
        raise _invalid("body", "must be a JSON object")
    wid, vid, sid, seq, sent = _envelope_validate(data, max_events=max_events)
    events = data["events"]
    for index, event in enumerate(events):
        _event_validate(event, f"events[{index}]", deep)
    return Batch(wid=wid, vid=vid, sid=sid, seq=seq, sent=sent, events=events)


def _envelope_validate(data: dict, *, max_events: int) -> tuple[int, str, uuid.UUID, int, int | None]:
    wid = _int_field(data, "wid", minimum=1)
    seq = _int_field(data, "seq", minimum=0)
    vid = data.get("vid")
    if not isinstance(vid, str) or not VISITOR_ID.match(vid):
        raise _invalid("vid", "must be 8 to 64 characters of A-Z, a-z, 0-9, _ and -")
    sid = data.get("sid")
    try:
        sid = uuid.UUID(sid) if isinstance(sid, str) and len(sid) <= 64 else None
    except ValueError:
        sid = None
    if sid is None:
        raise _invalid("sid", "must be a UUID string")
    sent = data.get("sent")
    # Within what every reader takes for an integer: msgspec (ingest) reads a longer one as one, the worker's
    # reader as a float, which it would refuse after ingest's 202.
    if sent is not None and not (_is_int(sent) and jsontext.INT_MIN <= sent <= jsontext.INT_MAX):
        raise _invalid("sent", "must be an integer timestamp in ms")
    events = data.get("events")
    if not isinstance(events, list) or not events:
        raise _invalid("events", "must be a non-empty array")
    if len(events) > max_events:
        raise BatchError(413, "too_many_events", f"A batch holds at most {max_events} events.")
    return wid, vid, sid, seq, sent


def _event_validate(event: Any, where: str, deep: bool) -> None:
    if not isinstance(event, dict):
        raise _invalid(where, "must be an object")
    kind = event.get("type")
    if not _is_int(kind) or kind not in EVENT_TYPES:
        raise _invalid(f"{where}.type", "must be an integer from 0 to 6")
    data = event.get("data")
    if not isinstance(data, dict):
        raise _invalid(f"{where}.data", "must be an object")
    if not _is_int(event.get("timestamp")) or not 0 <= event["timestamp"] <= MAX_TIMESTAMP:
        raise _invalid(f"{where}.timestamp", "must be a positive integer (ms) before the year 3000")
    if "ids" in event and event["ids"] != "delta":
        raise _invalid(f"{where}.ids", 'must be "delta" when present')
    where = f"{where}.data"
    if kind == FULL_SNAPSHOT:
        if deep:
            _node_tree_validate(data.get("node"), f"{where}.node")
        _optional(data, "initialOffset", dict, where)
    elif kind == INCREMENTAL and deep:
        _incremental_validate(data, where)
    elif kind == META:
        _optional(data, "href", str, where)
        _number(data, "width", where, required=False)
        _number(data, "height", where, required=False)
    elif kind == CUSTOM and not isinstance(data.get("tag"), str):
        raise _invalid(f"{where}.tag", "must be a string")


def _incremental_validate(data: dict, where: str) -> None:
    source = data.get("source")
    if not _is_int(source) or source not in INCREMENTAL_SOURCES:
        raise _invalid(f"{where}.source", "must be an rrweb incremental source, 0 to 16")
    if "id" in data:
        _node_id(data, "id", where)
    if source == MUTATION:
        _mutation_validate(data, where)
    elif source in POSITION_SOURCES:
        for index, position in enumerate(_list(data, "positions", where)):
            at = f"{where}.positions[{index}]"
            _object(position, at)
            _number(position, "x", at)
            _number(position, "y", at)
            _node_id(position, "id", at)
            _number(position, "timeOffset", at, required=False)
    elif source in (MOUSE_INTERACTION, SCROLL, INPUT):
        _node_id(data, "id", where)
        if source == MOUSE_INTERACTION and not _is_int(data.get("type")):
            raise _invalid(f"{where}.type", "must be an integer")
        if source == SCROLL:
            _number(data, "x", where)
            _number(data, "y", where)
        if source == INPUT:
            _optional(data, "text", str, where)
            _optional(data, "isChecked", bool, where)
    elif source == VIEWPORT_RESIZE:
        _number(data, "width", where)
        _number(data, "height", where)
    elif source == SELECTION:
        for index, item in enumerate(_list(data, "ranges", where)):
            at = f"{where}.ranges[{index}]"
            _object(item, at)
            for key in ("start", "end"):
                _node_id(item, key, at)


def _mutation_validate(data: dict, where: str) -> None:
    for index, item in enumerate(_list(data, "texts", where)):
        at = f"{where}.texts[{index}]"
        _object(item, at)
        _node_id(item, "id", at)
        if item.get("value") is not None and not isinstance(item["value"], str):
            raise _invalid(f"{at}.value", "must be a string or null")
        if "n" in item and not _is_step(item["n"]):
            raise _invalid(f"{at}.n", "must be an integer step")
    if "textSteps" in data:
        columns = data["textSteps"]
        steps = columns[1] if isinstance(columns, list) and len(columns) == 2 else None
        count = len(steps) if isinstance(steps, list) else step_text_count(steps) if isinstance(steps, str) else None
        if count is None or not isinstance(columns[0], list) or len(columns[0]) != count:
            raise _invalid(f"{where}.textSteps", "must be node ids and as many steps: a list of integers, or a string "
                                                 "of step characters (docs/protocol.md)")
        for index, value in enumerate(columns[0]):
            if not _is_node_id(value):
                raise _invalid(f"{where}.textSteps[0][{index}]", "must be an integer node id")
        for index, value in enumerate(steps if isinstance(steps, list) else ()):
            if not _is_step(value):
                raise _invalid(f"{where}.textSteps[1][{index}]", "must be an integer step")
    if "attrColumns" in data:
        columns = data["attrColumns"]
        for index, column in enumerate(columns if isinstance(columns, list) else (None,)):
            at = f"{where}.attrColumns[{index}]"
            if not (isinstance(column, list) and len(column) == 3 and isinstance(column[0], str)
                    and isinstance(column[1], list) and isinstance(column[2], list) and len(column[1]) == len(column[2])):
                raise _invalid(at, "must be an attribute name, node ids and as many values (docs/protocol.md)")
            for value in column[1]:
                if not _is_node_id(value):
                    raise _invalid(f"{at}[1]", "must hold integer node ids")
            for value in column[2]:
                if value is not None and not isinstance(value, str):
                    raise _invalid(f"{at}[2]", "must hold strings or null")
    for index, item in enumerate(_list(data, "attributes", where)):
        at = f"{where}.attributes[{index}]"
        _object(item, at)
        _node_id(item, "id", at)
        attributes = item.get("attributes")
        if not isinstance(attributes, dict):
            raise _invalid(f"{at}.attributes", "must be an object")
        for value in attributes.values():
            if value is not None and not isinstance(value, (str, dict)):
                raise _invalid(f"{at}.attributes", "values must be strings, style objects or null")
    for index, item in enumerate(_list(data, "removes", where)):
        at = f"{where}.removes[{index}]"
        _object(item, at)
        _node_id(item, "id", at)
        _node_id(item, "parentId", at)
    for index, item in enumerate(_list(data, "adds", where)):
        at = f"{where}.adds[{index}]"
        _object(item, at)
        _node_id(item, "parentId", at)
        if item.get("nextId") is not None:
            _node_id(item, "nextId", at)
        _node_tree_validate(item.get("node"), f"{at}.node")


def _node_tree_validate(root: Any, where: str) -> None:
    """A serialized node and everything under it, walked with a stack."""
    stack = [root]
    while stack:
        node = stack.pop()
        at = where if node is root else f"a node inside {where}"
        if not isinstance(node, dict):
            raise _invalid(at, "must be an object")
        if not _is_int(node.get("type")) or node["type"] not in NODE_TYPES:
            raise _invalid(f"{at}.type", "must be a node type from 0 to 5")
        _node_id(node, "id", at)
        kind = node["type"]
        if kind == NODE_ELEMENT:
            if not isinstance(node.get("tagName"), str):
                raise _invalid(f"{at}.tagName", "must be a string")
            attributes = node.get("attributes")
            if not isinstance(attributes, dict):
                raise _invalid(f"{at}.attributes", "must be an object")
            for value in attributes.values():
                if isinstance(value, (dict, list)):
                    raise _invalid(f"{at}.attributes", "values must be strings, numbers, booleans or null")
        elif kind in (NODE_TEXT, NODE_CDATA, NODE_COMMENT):
            _optional(node, "textContent", str, at)
            if kind == NODE_TEXT and "n" in node and not _is_step(node["n"]):
                raise _invalid(f"{at}.n", "must be an integer step")
        children = node.get("childNodes")
        if children is not None:
            if not isinstance(children, list):
                raise _invalid(f"{at}.childNodes", "must be an array")
            stack.extend(children)


def _object(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise _invalid(where, "must be an object")


def _list(data: dict, key: str, where: str) -> list:
    value = data.get(key)
    if not isinstance(value, list):
        raise _invalid(f"{where}.{key}", "must be an array")
    return value


def _optional(data: dict, key: str, kind: type, where: str) -> None:
    if data.get(key) is not None and not isinstance(data[key], kind):
        raise _invalid(f"{where}.{key}", f"must be {_KIND_NAMES[kind]}")


_KIND_NAMES = {dict: "an object", str: "a string", bool: "true or false"}


def _number(data: dict, key: str, where: str, *, required: bool = True) -> None:
    value = data.get(key)
    if value is None and not required:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _invalid(f"{where}.{key}", "must be a number")


def _node_id(data: dict, key: str, where: str) -> None:
    if not _is_node_id(data.get(key)):
        raise _invalid(f"{where}.{key}", "must be an integer node id")


def _is_node_id(value: Any) -> bool:
    return _is_int(value) and -ID_MAX <= value <= ID_MAX


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_step(value: Any) -> bool:
    """A number step of a text (docs/protocol.md, "Text changes")."""
    return _is_int(value) and abs(value) <= ID_MAX


def _int_field(data: dict, name: str, *, minimum: int) -> int:
    value = data.get(name)
    if not _is_int(value) or value < minimum or value > 2**31 - 1:
        raise _invalid(name, f"must be an integer of at least {minimum}")
    return value


def _invalid(name: str, detail: str) -> BatchError:
    return BatchError(400, "invalid_field", f"{name} {detail}.")


class StringWork(Protocol):
    floor: int  # an ASCII string shorter than this is never wanted (0: `wants` is asked of every string)

    def wants(self, value: str) -> bool:
        """Whether `mend` may change this string (cheap: asked of every string)."""

    def mend(self, value: str, key: Any = None) -> str:
        """The string as it is to be stored; `key` says where it stands (`string_key`)."""


def string_key(container: dict, key: Any) -> Any:
    """What `StringWork.mend` is told of where a string in an object stands: its key, and a stylesheet's text
    node as `_cssText`, the name rrweb gives a stylesheet's text in an attribute."""
    if key == "textContent" and container.get("isStyle"):
        return "_cssText"
    return key


def events_restore(events: list[dict], strings: StringWork | None = None) -> list[dict]:
    """The recorder's wire encodings undone, in place: plain rrweb events.

    With `strings` (the scrubber's work on each string on its own), every
    string value of the events and every text made from a number step goes
    through `strings.mend` where `strings.wants` it, in the same walk; the
    steps are applied to the texts as they arrived.
    """
    budget = RestoreBudget()  # shared by the batch's number steps and attribute columns
    texts = TextsShown(budget)
    wanted, mend, floor = (strings.wants, strings.mend, strings.floor) if strings is not None else (None, None, 0)
    for event, found in zip(events, events_ids_restore(events, wanted, floor)):
        made = texts.restore(event)
        if strings is not None:
            columns = _column_names(event) if found else None
            for container, key in found:
                if type(container) is dict:
                    container[key] = mend(container[key], string_key(container, key))
                else:  # a list: an attribute column's values are named by the column
                    container[key] = mend(container[key], columns.get(id(container)) if columns else None)
            for container, key in made:
                value = container[key]
                if type(value) is str and wanted(value):
                    container[key] = mend(value)
        attribute_columns_restore(event, budget)  # last: the scrubber mended the columns' values where they stood
    return events


def _column_names(event: dict) -> dict[int, str] | None:
    """The attribute named by each of an event's attribute columns (docs/protocol.md), by its list of values."""
    data = event.get("data")
    columns = data.get("attrColumns") if type(data) is dict else None
    if type(columns) is not list:
        return None
    return {id(column[2]): column[0] for column in columns if type(column) is list and len(column) == 3}


def custom_events(events: list[dict], tag: str) -> list[tuple[int, dict]]:
    """The (timestamp, payload) of each custom event with this tag."""
    found = []
    for event in events:
        if event.get("type") == CUSTOM:
            data = event.get("data") or {}
            if data.get("tag") == tag and isinstance(data.get("payload"), dict):
                found.append((event["timestamp"], data["payload"]))
    return found


@dataclass
class Summary:
    """What a batch tells about its session, to be merged into the Session row."""

    event_count: int = 0
    first_ts: int | None = None
    last_ts: int | None = None
    pages: list[dict] = field(default_factory=list)
    identity: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    error_count: int = 0
    device: dict = field(default_factory=dict)
    viewport: tuple[int, int] | None = None
    snapshots: list[int] = field(default_factory=list)
    # What the batch's last hs.visibility said ("hidden": the visitor's page was hidden, closed or left).
    visibility: str | None = None
    # What the frustration and heatmap detector needs of the batch (insights/detect.py).
    marks: list = field(default_factory=list)


def batch_summarise(events: list[dict]) -> Summary:
    stamps = [event["timestamp"] for event in events]
    summary = Summary(event_count=len(events), first_ts=min(stamps), last_ts=max(stamps))
    summary.snapshots = [event["timestamp"] for event in events if event.get("type") == FULL_SNAPSHOT]
    # The address the page showed last: the same one again (pushState in a loop) is no new view, unless the
    # site says it is one (`virtualPage`, for a router that keeps the address).
    shown = None
    for ts, page in custom_events(events, "hs.page"):
        url, before, kind = db_text(page.get("url"), 2048), shown, page.get("kind")
        shown = url
        if kind in NOT_PAGE_VIEWS or (url == before and kind != "virtual"):
            continue
        if len(summary.pages) == MAX_PAGE_VIEWS:
            break
        summary.pages.append({
            "at": ts,
            "url": url,
            "title": db_text(page.get("title"), 512),
            "kind": db_text(page.get("kind"), 10) or "load",
            "referrer": db_text(page.get("referrer"), 2048),
        })
    for _, payload in custom_events(events, "hs.identify"):
        # (without the spaces and line ends around it, which the dashboard does not show and a person asking
        # to be forgotten does not type: they found no session)
        summary.identity = db_text(payload.get("id"), 255).strip()
    for _, payload in custom_events(events, "hs.tag"):
        tags = payload.get("tags")
        if isinstance(tags, dict):
            summary.tags.update({db_text(k, 64): db_text(v, 255) for k, v in list(tags.items())[:MAX_TAGS]})
    summary.error_count = sum(
        1 for _, payload in custom_events(events, "hs.error") if payload.get("kind") in ERROR_KINDS
    )
    for _, payload in custom_events(events, "hs.device"):
        summary.device = {key: db_text(value, 64) if isinstance(value, str) else value for key, value in payload.items()}
    summary.viewport = _last_viewport(events)
    states = [(ts, p.get("state")) for ts, p in custom_events(events, "hs.visibility") if p.get("state") in ("hidden", "visible")]
    summary.visibility = max(states, key=lambda item: item[0])[1] if states else None
    summary.marks = marks_extract(events)
    return summary


def _last_viewport(events: list[dict]) -> tuple[int, int] | None:
    viewport = None
    for event in events:
        data = event.get("data") or {}
        is_meta = event.get("type") == META
        is_resize = event.get("type") == INCREMENTAL and data.get("source") == VIEWPORT_RESIZE
        if is_meta or is_resize:
            width, height = data.get("width"), data.get("height")
            if _is_int(width) and _is_int(height) and width >= 0 and height >= 0:
                viewport = (width, height)
    return viewport


def db_text(value: Any, limit: int) -> str:
    """A client's value as text a database column takes: no NUL, no lone surrogate, at most `limit` long."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else jsontext.dumps(value).decode() if isinstance(value, (dict, list)) else str(value)
    if _CONTROL.search(text):
        text = jsontext.text_repair(text.replace("\x00", ""))
    return text[:limit]


# A chunk lives until its session is compacted into zstd segments: zstd at level 1 writes it in a
# quarter of the time gzip took at level 3 (the level earlier versions wrote; their chunks are read
# by their magic bytes), and 8% smaller. Browsers decode it as it is (`Content-Encoding: zstd`).
CHUNK_ZSTD_LEVEL = 1
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


_chunk_compressors = threading.local()


def events_encode(events: list[dict]) -> bytes:
    """The stored form of a chunk: zstd of compact JSON, its size written in the frame.

    Each thread keeps its compressor (one may not be shared between threads):
    making one cost half as much as compressing an average batch with it.
    """
    compressor = getattr(_chunk_compressors, "zstd", None)
    if compressor is None:
        compressor = _chunk_compressors.zstd = zstandard.ZstdCompressor(level=CHUNK_ZSTD_LEVEL, write_content_size=True)
    return compressor.compress(jsontext.dumps(events))


def chunk_encoding(blob: bytes) -> str:
    """How a stored chunk is compressed, as a Content-Encoding: zstd, or gzip (earlier versions)."""
    return "gzip" if blob[:2] == GZIP_MAGIC else "zstd"


def chunk_text(blob: bytes) -> bytes:
    """A stored chunk's JSON text."""
    return gzip.decompress(blob) if chunk_encoding(blob) == "gzip" else segment_decode(blob)


def events_decode(blob: bytes) -> list[dict]:
    return jsontext.loads(chunk_text(blob))


def json_arrays_join(texts: list[bytes]) -> bytes:
    """Several JSON arrays' texts as one array's text, joined as text: no event is read or rewritten."""
    inner = [text.strip()[1:-1].strip() for text in texts]
    return b"[" + b",".join(part for part in inner if part) + b"]"


# zstd as browsers decode it (Content-Encoding: zstd): a window of at most 8 MB.
SEGMENT_WINDOW_LOG = 23
SEGMENT_LEVEL = 12


def segment_encode(raw: bytes) -> bytes:
    params = zstandard.ZstdCompressionParameters.from_level(
        SEGMENT_LEVEL, window_log=SEGMENT_WINDOW_LOG, enable_ldm=True, source_size=len(raw), write_content_size=True,
    )
    return zstandard.ZstdCompressor(compression_params=params).compress(raw)


def segment_decode(blob: bytes) -> bytes:
    return zstandard.ZstdDecompressor().decompressobj().decompress(blob)


@dataclass(frozen=True)
class ChunkInfo:
    """What planning segments needs to know of a stored chunk."""

    seq: int
    first_ts: int
    last_ts: int
    raw_bytes: int
    has_snapshot: bool


def segments_plan(chunks: list[ChunkInfo], *, min_ms: int, max_bytes: int) -> list[list[ChunkInfo]]:
    """Group chunks (in seq order) into segments: a new one starts at a chunk holding a full
    snapshot once the current one spans `min_ms`, or before the current one would pass `max_bytes`."""
    plan: list[list[ChunkInfo]] = []
    size = 0
    for chunk in chunks:
        current = plan[-1] if plan else None
        long_enough = current and chunk.first_ts - current[0].first_ts >= min_ms
        if current is None or (chunk.has_snapshot and long_enough) or size + chunk.raw_bytes > max_bytes:
            plan.append([chunk])
            size = chunk.raw_bytes
        else:
            current.append(chunk)
            size += chunk.raw_bytes
    return plan
