"""Decoding, validating and summarising batches: data in, data out, no I/O.

The wire format is described in docs/protocol.md.
"""
import gzip
import json
import re
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

from .wire import node_ids_restore

GZIP_MAGIC = b"\x1f\x8b"
VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
EVENT_TYPES = range(0, 7)
CUSTOM = 5
META = 4
INCREMENTAL = 3
VIEWPORT_RESIZE = 4  # rrweb IncrementalSource.ViewportResize
ERROR_KINDS = {"error", "rejection", "console.error"}
MAX_TAGS = 50
MAX_TIMESTAMP = 32_503_680_000_000  # 3000-01-01 in ms


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


def body_decode(body: bytes, *, max_inflated: int) -> Any:
    """Parse a request body (JSON, or gzip of JSON) without inflating past `max_inflated`."""
    if body[:2] == GZIP_MAGIC:
        body = _gunzip_bounded(body, max_inflated)
    elif len(body) > max_inflated:
        raise BatchError(413, "too_large", "The batch is larger than the server accepts.")
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BatchError(415, "bad_encoding", "The body must be UTF-8 JSON or gzip of it.") from None
    except ValueError:
        raise BatchError(400, "malformed_json", "The body is not valid JSON.") from None


def _gunzip_bounded(body: bytes, limit: int) -> bytes:
    """Inflate every gzip member of `body` (a closing page sends several) into one text."""
    out = bytearray()
    rest = body
    while rest:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(rest, limit + 1 - len(out))
        except zlib.error:
            raise BatchError(415, "bad_gzip", "The body is not valid gzip.") from None
        if len(out) > limit or inflater.unconsumed_tail:
            raise BatchError(413, "too_large", "The batch inflates past the size the server accepts.")
        if not inflater.eof:
            raise BatchError(415, "bad_gzip", "The gzip stream is truncated.")
        rest = inflater.unused_data
    return bytes(out)


def batch_validate(data: Any, *, max_events: int) -> Batch:
    """Check every field's type and range; raise BatchError(400) naming the first bad field."""
    if not isinstance(data, dict):
        raise _invalid("body", "must be a JSON object")
    wid = _int_field(data, "wid", minimum=1)
    seq = _int_field(data, "seq", minimum=0)
    vid = data.get("vid")
    if not isinstance(vid, str) or not VISITOR_ID.match(vid):
        raise _invalid("vid", "must be 8 to 64 characters of A-Z, a-z, 0-9, _ and -")
    sid = data.get("sid")
    try:
        sid = uuid.UUID(sid) if isinstance(sid, str) else None
    except ValueError:
        sid = None
    if sid is None:
        raise _invalid("sid", "must be a UUID string")
    sent = data.get("sent")
    if sent is not None and not _is_int(sent):
        raise _invalid("sent", "must be an integer timestamp in ms")
    events = data.get("events")
    if not isinstance(events, list) or not events:
        raise _invalid("events", "must be a non-empty array")
    if len(events) > max_events:
        raise BatchError(413, "too_many_events", f"A batch holds at most {max_events} events.")
    for index, event in enumerate(events):
        _event_validate(event, index)
        node_ids_restore(event)
    return Batch(wid=wid, vid=vid, sid=sid, seq=seq, sent=sent, events=events)


def _event_validate(event: Any, index: int) -> None:
    where = f"events[{index}]"
    if not isinstance(event, dict):
        raise _invalid(where, "must be an object")
    if not _is_int(event.get("type")) or event["type"] not in EVENT_TYPES:
        raise _invalid(f"{where}.type", "must be an integer from 0 to 6")
    if not isinstance(event.get("data"), dict):
        raise _invalid(f"{where}.data", "must be an object")
    if not _is_int(event.get("timestamp")) or not 0 <= event["timestamp"] <= MAX_TIMESTAMP:
        raise _invalid(f"{where}.timestamp", "must be a positive integer (ms) before the year 3000")
    if "ids" in event and event["ids"] != "delta":
        raise _invalid(f"{where}.ids", 'must be "delta" when present')


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_field(data: dict, name: str, *, minimum: int) -> int:
    value = data.get(name)
    if not _is_int(value) or value < minimum or value > 2**31 - 1:
        raise _invalid(name, f"must be an integer of at least {minimum}")
    return value


def _invalid(name: str, detail: str) -> BatchError:
    return BatchError(400, "invalid_field", f"{name} {detail}.")


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


def batch_summarise(events: list[dict]) -> Summary:
    stamps = [event["timestamp"] for event in events]
    summary = Summary(event_count=len(events), first_ts=min(stamps), last_ts=max(stamps))
    for ts, page in custom_events(events, "hs.page"):
        summary.pages.append({
            "at": ts,
            "url": _text(page.get("url"), 2048),
            "title": _text(page.get("title"), 512),
            "kind": _text(page.get("kind"), 10) or "load",
            "referrer": _text(page.get("referrer"), 2048),
        })
    for _, payload in custom_events(events, "hs.identify"):
        summary.identity = _text(payload.get("id"), 255)
    for _, payload in custom_events(events, "hs.tag"):
        tags = payload.get("tags")
        if isinstance(tags, dict):
            summary.tags.update({_text(k, 64): _text(v, 255) for k, v in list(tags.items())[:MAX_TAGS]})
    summary.error_count = sum(
        1 for _, payload in custom_events(events, "hs.error") if payload.get("kind") in ERROR_KINDS
    )
    for _, payload in custom_events(events, "hs.device"):
        summary.device = payload
    summary.viewport = _last_viewport(events)
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


def _text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    return str(value)[:limit]


def events_encode(events: list[dict]) -> bytes:
    """The stored form of a chunk: gzip of compact JSON. mtime=0 keeps it deterministic."""
    raw = json.dumps(events, separators=(",", ":"), ensure_ascii=False).encode()
    return gzip.compress(raw, compresslevel=6, mtime=0)


def events_decode(blob: bytes) -> list[dict]:
    return json.loads(gzip.decompress(blob))
