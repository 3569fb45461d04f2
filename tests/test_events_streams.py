"""A session's events streamed while it is deleted.

Postgres and the S3 API over HTTP, each test in committed transactions: the
deletion runs on another connection (a second thread) between two parts,
as a viewer's deletion or retention would while a download is sent.
"""
import json
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from privacy.services import session_delete
from recorder.compaction import session_compact
from recorder.models import Session
from replay.recordings import session_all_parts
from tests.test_compaction import every_event, record

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
