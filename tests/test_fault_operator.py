"""What an operator's bad day must not cost: a worker behind its queue."""
from datetime import timedelta

import pytest
from django.utils import timezone

from recorder.models import Chunk, Session
from recorder.services import sessions_finish_idle
from tests.conftest import make_batch, post_batch, process_pending

pytestmark = pytest.mark.django_db


def test_a_session_whose_batches_wait_for_the_worker_is_neither_finished_nor_dropped(client, site):
    """Given a session stored short so far, and its next batch accepted while the worker is behind
    (a backlog, an outage) for longer than the site's timeout; when the idle sweep runs; then the session
    and the accepted batch are kept, and the batch is stored once the worker catches up."""
    site.min_session_sec, site.session_timeout_min = 20, 1
    site.save()
    first = make_batch(site.pk)
    assert post_batch(client, first).status_code == 202
    assert process_pending() == 1
    later = make_batch(site.pk, sid=first["sid"], seq=1)
    for event in later["events"]:
        event["timestamp"] += 60_000  # a minute later: the session is long enough once this is stored
    assert post_batch(client, later).status_code == 202

    assert sessions_finish_idle(now=timezone.now() + timedelta(minutes=2)) == 0

    assert Session.objects.filter(pk=first["sid"], status=Session.ACTIVE).exists()
    assert Chunk.objects.filter(session_id=first["sid"], seq=1, status=Chunk.PENDING).exists()
    assert process_pending() == 1
    assert Session.objects.get(pk=first["sid"]).duration_ms >= 60_000


def test_a_short_session_with_a_failed_batch_is_kept_for_its_redrive(client, site):
    site.min_session_sec = 20
    site.save()
    batch = make_batch(site.pk)
    assert post_batch(client, batch).status_code == 202
    assert process_pending() == 1
    broken = make_batch(site.pk, sid=batch["sid"], seq=1)
    assert post_batch(client, broken).status_code == 202
    Chunk.objects.filter(session_id=batch["sid"], seq=1).update(body=b"\x00broken")
    process_pending()
    assert Chunk.objects.get(session_id=batch["sid"], seq=1).status == Chunk.FAILED

    sessions_finish_idle(now=timezone.now() + timedelta(minutes=31))

    assert Chunk.objects.filter(session_id=batch["sid"], seq=1, status=Chunk.FAILED).exists()

