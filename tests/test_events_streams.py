"""A session's events streamed while it is deleted or compacted, and how much of it a stream holds at once.

Postgres and the S3 API over HTTP, each test in committed transactions: the
stream reads in a snapshot of its own connection, and the deletion or
compaction runs on another connection (a second thread) between two parts,
as a viewer's deletion or the periodic job would while a download is sent.
"""
import json
import os
import secrets
import subprocess
import sys
import threading
import tracemalloc
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from privacy import services
from privacy.services import session_delete
from recorder.compaction import session_compact
from recorder.models import Chunk, Session
from recorder.processing import events_encode
from replay.recordings import CHUNK_PART_MAX_BYTES, session_all_parts
from tests.conftest import ROOT, make_batch, post_batch, process_pending
from tests.factories import SessionFactory
from tests.test_compaction import T0, every_event, record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DELETED_NOTE = {"tag": "hs.session", "payload": {"deleted_during_read": True}}


def elsewhere(work, *args, **kwargs):
    """Run `work` on a connection of its own (another thread), to its end."""
    failed = []

    def run():
        try:
            work(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - raised again in the test's thread
            failed.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive() and not failed, failed


def delete_session(sid: str) -> None:
    session_delete(session=Session.objects.get(pk=sid))


def compacted(client, site) -> tuple[str, list[dict], int]:
    """A session of three segments: its id, its events, and how many events the first segment holds."""
    sid = record(client, site, 12)
    assert session_compact(session_id=sid) == 3
    first = session_all_parts(Session.objects.get(pk=sid))[0]
    return sid, every_event(sid), first.event_count


def test_the_events_api_ends_as_whole_json_saying_so_when_the_session_is_deleted_between_two_parts(
    client, site, owner,
):
    """The session's objects went after the first part was sent: reading the second raised mid-stream, after
    the 200 had gone out, and the client got a truncated array."""
    sid, events, first_count = compacted(client, site)
    client.force_login(owner)
    pieces = iter(client.get(reverse("api-session-events", args=[sid])).streaming_content)
    sent = [next(pieces), next(pieces)]  # the array's bracket, the first segment's events

    elsewhere(delete_session, sid)
    sent.extend(pieces)

    served = json.loads(b"".join(sent))
    assert served[:-1] == events[:first_count]
    assert served[-1]["type"] == 5 and served[-1]["data"] == DELETED_NOTE
    assert served[-1]["timestamp"] == max(event["timestamp"] for event in events[:first_count])
    assert not Session.objects.filter(pk=sid).exists()


class DeletesAfterFirstPart(StringIO):
    """A terminal that prints the export: the session is deleted once the first part's events are written."""

    def __init__(self, sid: str):
        super().__init__()
        self.sid, self.writes = sid, 0

    def write(self, text: str) -> int:
        written = super().write(text)
        self.writes += 1
        if self.writes == 2:  # the array's bracket, the first segment's events
            elsewhere(delete_session, self.sid)
        return written


def test_exportsession_says_the_session_was_deleted_during_the_export_and_fails(client, site):
    sid, events, first_count = compacted(client, site)
    out = DeletesAfterFirstPart(sid)

    with pytest.raises(CommandError, match="was deleted during the export") as failure:
        call_command("exportsession", sid, stdout=out)

    assert failure.value.returncode == 1  # (manage.py prints the message and exits with it, no traceback)
    assert json.loads(out.getvalue()) == events[:first_count]


def stored_with_other_characters(client, site) -> tuple[dict, list[dict]]:
    """A batch whose page title has characters Latin-1 has no byte for, stored; and its events."""
    events = make_batch(site.pk)["events"]
    events[1]["data"]["payload"]["title"] = "Zoë’s shop ✓ 東京"
    batch = make_batch(site.pk, events=events)
    assert post_batch(client, batch).status_code == 202 and process_pending() == 1
    return batch, events


def run_on_latin1_terminal(*command: str) -> subprocess.CompletedProcess:
    """A management command run as on a terminal set to Latin-1, on the test database."""
    database = connection.settings_dict
    env = {**os.environ, "PYTHONIOENCODING": "latin-1", "DATABASE_URL":
           f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"}
    return subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, timeout=60)


def test_exportsession_prints_utf8_whatever_the_terminals_encoding(client, site):
    """The events are UTF-8 JSON as stored, written as bytes: a terminal set to Latin-1 could not take them
    as text."""
    batch, events = stored_with_other_characters(client, site)

    printed = run_on_latin1_terminal("exportsession", batch["sid"])

    assert printed.returncode == 0, printed.stderr.decode()
    assert json.loads(printed.stdout.decode()) == events


def test_exportvisitor_prints_utf8_whatever_the_terminals_encoding(client, site):
    """The same for a visitor's export: it wrote its pieces as text, and a Latin-1 terminal failed on the
    first character it has no byte for."""
    batch, events = stored_with_other_characters(client, site)

    printed = run_on_latin1_terminal("exportvisitor", "--site", str(site.pk), batch["vid"])

    assert printed.returncode == 0, printed.stderr.decode()
    assert json.loads(printed.stdout.decode())["sessions"][0]["events"] == events


def test_the_events_api_serves_every_event_once_when_compaction_moves_the_chunks_between_two_parts(
    client, site, owner,
):
    """The chunks are read a part at a time, after the list: the snapshot the list was read in keeps them."""
    sid = record(client, site, 12)
    events = every_event(sid)
    assert len(session_all_parts(Session.objects.get(pk=sid))) == 3  # chunk runs of a minute or more
    client.force_login(owner)
    pieces = iter(client.get(reverse("api-session-events", args=[sid])).streaming_content)
    sent = [next(pieces), next(pieces)]

    elsewhere(lambda: session_compact(session_id=sid))
    sent.extend(pieces)

    assert not Chunk.objects.filter(session_id=sid).exists()  # (they are in segments now)
    assert json.loads(b"".join(sent)) == events


def test_an_events_answer_closed_unread_ends_its_snapshot(client, site, owner):
    """A HEAD, or a client gone before the first byte: the server closes the answer without reading it. The
    snapshot the parts were listed in stayed open on the connection, which the next request then used."""
    sid = record(client, site, 1)
    client.force_login(owner)

    for method in (client.head, client.get):
        response = method(reverse("api-session-events", args=[sid]))
        assert response.status_code == 200 and response["X-Next-Seq"] == "6"
        response.close()  # (what a WSGI server does once it has sent what it sends)

        assert not connection.in_atomic_block


def test_a_visitors_export_reads_each_session_in_a_snapshot_of_its_own(client, site, owner, monkeypatch):
    """Between two sessions' snapshots the export reads its cursor over the visitor's sessions (held over
    transactions): every session comes whole, compacted or not."""
    monkeypatch.setattr(services, "EXPORT_SESSIONS_AT_ONCE", 2)  # (the cursor is read again after two sessions)
    sids = [record(client, site, 1) for _ in range(5)]
    for sid in sids[::2]:
        assert session_compact(session_id=sid) == 1
    expected = {sid: every_event(sid) for sid in sids}
    client.force_login(owner)

    response = client.post(reverse("site-privacy-export", args=[site.pk]), {"export-visitor": "visitor-0001"})

    body = json.loads(b"".join(response.streaming_content))
    assert {item["id"]: item["events"] for item in body["sessions"]} == expected
    assert not connection.in_atomic_block


BATCHES = 800
BATCH_TEXT = 30_000  # characters of text that compress little, in each batch's one event


def many_batches(site, *, visitor: str = "visitor-long", count: int = BATCHES) -> tuple[Session, int]:
    """A session of `count` stored batches, none compacted (the job behind, or failing on it), as the worker
    stores them; returns it and the bytes they take."""
    session = SessionFactory(site=site, visitor_id=visitor, started_at=timezone.now())
    rows = []
    for seq in range(count):
        ts = T0 + seq * 10_000
        typed = {"source": 5, "id": 9, "text": secrets.token_urlsafe(BATCH_TEXT)}
        blob = events_encode([{"type": 3, "timestamp": ts, "data": typed}])
        rows.append(Chunk(site=site, session=session, seq=seq, status=Chunk.STORED, data=blob, stored_bytes=len(blob),
                          event_count=1, first_ts=ts, last_ts=ts, stored_at=timezone.now()))
    Chunk.objects.bulk_create(rows, batch_size=50)
    return session, sum(row.stored_bytes for row in rows)


class Tally:
    """Where a stream goes, keeping nothing of it: how many bytes it sent and how many events they held."""

    def __init__(self):
        self.size = self.events = 0

    def write(self, text: str) -> None:
        self.size += len(text)
        self.events += text.count('"source":5')


def drained(pieces) -> Tally:
    tally = Tally()
    for piece in pieces:  # each piece is whole events
        tally.write(piece.decode())
    return tally


def events_api(client, owner, session) -> Tally:
    client.force_login(owner)
    return drained(client.get(reverse("api-session-events", args=[session.pk])).streaming_content)


def visitor_export(client, owner, session) -> Tally:
    client.force_login(owner)
    url = reverse("site-privacy-export", args=[session.site_id])
    response = client.post(url, {"export-visitor": session.visitor_id})
    return drained(response.streaming_content)


def exportsession(client, owner, session) -> Tally:
    call_command("exportsession", str(session.pk), stdout=(tally := Tally()))
    return tally


@pytest.mark.parametrize("reader", [events_api, exportsession, visitor_export])
def test_a_session_of_many_batches_is_read_a_part_at_a_time(client, site, owner, reader):
    """The events API and the exports read every chunk's bytes with the list of parts: a session of thousands
    of batches not compacted yet was held whole by the process sending it."""
    session, stored = many_batches(site)
    assert stored > 20 * CHUNK_PART_MAX_BYTES // 8  # more than twenty parts' worth
    reader(client, owner, many_batches(site, visitor="visitor-short", count=1)[0])  # (what the first use imports)

    tracemalloc.start()
    try:
        sent = reader(client, owner, session)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert sent.size > BATCHES * BATCH_TEXT and sent.events == BATCHES
    assert peak < stored / 4, f"{peak:,} bytes at once for a session of {stored:,}"
