"""Reads of one session's recording: its parts (compacted segments, and the chunks after them) and their bytes.

A part is what the player fetches at once. Its bytes are served as stored
where the browser decodes them (zstd; gzip for chunks an earlier version stored); joining
parts into one JSON array joins their text. No event is ever parsed and
written again on the way out.
"""
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.db.models.functions import Now

from recorder import jsontext
from recorder.models import Chunk, Segment, Session
from recorder.processing import ChunkInfo, chunk_encoding, chunk_text, json_arrays_join, segment_decode, segments_plan
from recorder.storage import chunk_blob, object_read

# How long a missing sequence number may hold back the chunks after it (live follow).
GAP_WAIT_SECONDS = 30
# Chunks not compacted yet are served in parts like segments: from a full snapshot, a minute or more.
CHUNK_PART_MIN_MS = 60_000
CHUNK_PART_MAX_BYTES = 8 * 1024 * 1024


@dataclass
class Part:
    """A segment (`s<id>`), or a run of stored chunks (`c<first seq>-<last seq>`)."""

    name: str
    first_seq: int
    last_seq: int
    first_ts: int
    last_ts: int
    snapshots: list[int]
    event_count: int
    stored_bytes: int
    encoding: str  # of a segment's object: "zstd" (empty for chunks: each blob says its own)
    chunks: list[Chunk] = field(default_factory=list, repr=False)
    key: str = ""

    def as_json(self) -> dict:
        return {
            "name": self.name, "seqs": [self.first_seq, self.last_seq], "first_ts": self.first_ts,
            "last_ts": self.last_ts, "snapshots": self.snapshots, "events": self.event_count,
            "bytes": self.stored_bytes,
        }


def session_parts(
    session: Session, *, from_seq: int = 0, hold_at_gaps: bool = True, with_data: bool = False,
) -> tuple[list[Part], int]:
    """The parts holding batches `from_seq` and later, in order, and the next seq to ask for.

    `with_data` reads the chunks' bytes with the list, for an answer that reads them all: read later,
    compaction may have moved them into a segment meanwhile (a segment, once ready, stays as it is).

    A batch can be stored after a later one (retries, two tabs). With
    `hold_at_gaps`, the chunks stop at a gap younger than GAP_WAIT_SECONDS,
    so that a live viewer gets the late batch on its next poll; an older gap
    is taken as lost. A gap's age is the chunk after it's, by the database's
    clock (which stored_at is on): a web host's clock that is off would skip
    every gap at once, or hold at one for minutes.
    """
    fresh = Q(stored_at__gte=Now() - timedelta(seconds=GAP_WAIT_SECONDS))
    parts, expected = [], from_seq
    for segment in Segment.objects.filter(session=session, state=Segment.READY).order_by("first_ts", "id"):
        if max(segment.seqs) >= from_seq:
            parts.append(_segment_part(segment))
            expected = max(expected, max(segment.seqs) + 1)
    chunks = []
    for chunk in Chunk.objects.filter(session=session, status=Chunk.STORED, seq__gte=from_seq).order_by("seq").defer(
        "body", "sender", *(() if with_data else ("data",)),
    ).annotate(fresh=ExpressionWrapper(fresh, output_field=BooleanField())):
        if hold_at_gaps and chunk.seq > expected and chunk.fresh:
            break
        chunks.append(chunk)
        expected = max(expected, chunk.seq + 1)
    return parts + _chunk_parts(chunks), expected


def _segment_part(segment: Segment) -> Part:
    return Part(
        name=f"s{segment.pk}", first_seq=min(segment.seqs), last_seq=max(segment.seqs), first_ts=segment.first_ts,
        last_ts=segment.last_ts, snapshots=segment.snapshots, event_count=segment.event_count,
        stored_bytes=segment.stored_bytes, encoding=segment.encoding, key=segment.key,
    )


def _chunk_parts(chunks: list[Chunk]) -> list[Part]:
    by_seq = {chunk.seq: chunk for chunk in chunks}
    infos = [ChunkInfo(c.seq, c.first_ts, c.last_ts, c.stored_bytes * 8, bool(c.snapshots)) for c in chunks]
    plan = segments_plan(infos, min_ms=CHUNK_PART_MIN_MS, max_bytes=CHUNK_PART_MAX_BYTES)
    return [_chunk_run([by_seq[info.seq] for info in group]) for group in plan]


def _chunk_run(run: list[Chunk]) -> Part:
    return Part(
        name=f"c{run[0].seq}-{run[-1].seq}", first_seq=run[0].seq, last_seq=run[-1].seq,
        first_ts=min(c.first_ts for c in run), last_ts=max(c.last_ts for c in run),
        snapshots=sorted(ts for c in run for ts in c.snapshots), event_count=sum(c.event_count for c in run),
        stored_bytes=sum(c.stored_bytes for c in run), encoding="", chunks=run,
    )


def part_find(session: Session, name: str) -> Part | None:
    """One part by name, as `session_parts` names it; None when there is no such part (any more)."""
    kind, rest = name[:1], name[1:]
    if kind == "s" and rest.isascii() and rest.isdigit() and len(rest) <= 18:
        segment = Segment.objects.filter(session=session, state=Segment.READY, pk=int(rest)).first()
        return segment and _segment_part(segment)
    first, _, last = rest.partition("-")
    if kind != "c" or not all(x.isascii() and x.isdigit() and len(x) <= 9 for x in (first, last)):
        return None
    chunks = list(Chunk.objects.filter(
        session=session, status=Chunk.STORED, seq__gte=int(first), seq__lte=int(last),
    ).order_by("seq").defer("body", "sender"))
    return _chunk_run(chunks) if chunks else None


def part_stored(part: Part) -> tuple[bytes, str]:
    """A part's bytes as stored and their encoding: a segment's object (zstd), or one chunk's (zstd, or
    gzip if an earlier version stored it)."""
    if part.key:
        return object_read(part.key), part.encoding
    if len(part.chunks) == 1:
        blob = chunk_blob(part.chunks[0])
        return blob, chunk_encoding(blob)
    return part_text(part), "identity"


def part_text(part: Part) -> bytes:
    """A part's events as the text of one JSON array."""
    if part.key:
        return segment_decode(object_read(part.key))
    return json_arrays_join([chunk_text(chunk_blob(chunk)) for chunk in _with_data(part.chunks)])


def _with_data(chunks: list[Chunk]) -> list[Chunk]:
    """The chunks with their stored data loaded (parts are listed without it), as copies: a part's chunks
    keep no data once it is read, so a stream of many parts holds one part's at a time."""
    if all("data" in chunk.__dict__ for chunk in chunks):
        return chunks
    data = dict(Chunk.objects.filter(pk__in=[c.pk for c in chunks]).values_list("pk", "data"))
    return [Chunk(pk=chunk.pk, key=chunk.key, data=data.get(chunk.pk)) for chunk in chunks]


# Ends the events of a session deleted while they were read (see session_events_json): a custom rrweb event.
DELETED_TAG = "hs.session"


def session_events_json(parts: list[Part], *, note_deletion: bool = False) -> Generator[bytes, None, bool]:
    """The events of these parts as one JSON array, a stored piece (a segment, a chunk) at a time.

    Returns whether every part was read. A part that is gone when its turn
    comes (the session was deleted meanwhile) ends the array after the events
    already sent, so the text stays whole JSON; with `note_deletion`, after
    one more event that says so (`{"deleted_during_read": true}`), for a
    reader that has only the array.
    """
    yield b"["
    first, last_ts = True, 0
    try:
        for part in parts:
            for inner, inner_last_ts in _part_insides(part):  # whole events: a read fails before one is sent
                if inner:
                    if not first:
                        yield b","
                    yield inner
                    first, last_ts = False, inner_last_ts
    except FileNotFoundError:
        if note_deletion:
            note = jsontext.dumps({"type": 5, "timestamp": last_ts, "data": {
                "tag": DELETED_TAG, "payload": {"deleted_during_read": True}}})
            yield note if first else b"," + note
        yield b"]"
        return False
    yield b"]"
    return True


def _part_insides(part: Part) -> Iterator[tuple[bytes, int]]:
    """A part's events as the insides of JSON arrays (the text between the brackets), with the time of the
    last: a segment's, or each of its chunks' in turn (their bytes read together, their texts one by one)."""
    if part.key:
        yield _inside(segment_decode(object_read(part.key))), part.last_ts
        return
    for listed, chunk in zip(part.chunks, _with_data(part.chunks)):
        yield _inside(chunk_text(chunk_blob(chunk))), listed.last_ts


def _inside(text: bytes) -> bytes:
    return text.strip()[1:-1].strip()


def session_events_stream(
    session: Session, *, from_seq: int = 0, hold_at_gaps: bool = True, note_deletion: bool = False,
) -> tuple[Generator[bytes, None, bool], int]:
    """The session's events from batch `from_seq` on as session_events_json's text, read a stored part at
    a time, and the next seq to ask for (see session_parts).

    A session of thousands of batches not compacted yet would otherwise be
    held whole. On Postgres the parts are listed and read in one read-only
    snapshot (a transaction that lasts while the text is sent): a
    compaction meanwhile moves the chunks listed into a segment, and a
    chunk read later would be gone. (The transaction is idle while a slow
    client reads: an `idle_in_transaction_session_timeout` shorter than a
    download cuts it.) Elsewhere (SQLite, where a reader holds off every
    writer; or inside a transaction already) the chunks' bytes are read
    with the list, as before.
    """
    stream = _events_stream(session, from_seq=from_seq, hold_at_gaps=hold_at_gaps, note_deletion=note_deletion)
    return stream, next(stream)


def _events_stream(session: Session, *, from_seq: int, hold_at_gaps: bool, note_deletion: bool):
    """Yields the next seq once the parts are listed, then the text."""
    with _one_snapshot() as lasting:
        parts, next_seq = session_parts(session, from_seq=from_seq, hold_at_gaps=hold_at_gaps, with_data=not lasting)
        yield next_seq
        return (yield from session_events_json(parts, note_deletion=note_deletion))


@contextmanager
def _one_snapshot() -> Iterator[bool]:
    """A read-only transaction whose reads all see the database as the first did; yields whether it is one."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield False
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield True


def session_events(parts: list[Part]) -> Iterator[dict]:
    """The parts' events, parsed (for checks of what is stored; answers send the text, session_events_stream)."""
    for part in parts:
        yield from jsontext.loads(part_text(part))


def session_all_parts(session: Session) -> list[Part]:
    """Every stored part of a session, gaps or not, the chunks' bytes read with the list: the whole session at
    once (exports read a part at a time: session_events_stream)."""
    return session_parts(session, hold_at_gaps=False, with_data=True)[0]
