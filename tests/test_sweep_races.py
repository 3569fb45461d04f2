"""Deletions no person asked for (the idle sweep's drop of sessions too short, retention) and the visitor's next
batch, accepted as they run; a person's deletion of the same session at the same time; and a crash in the
middle of the sweep."""
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from privacy.services import retention_purge, session_delete
from recorder.compaction import session_compact
from recorder.models import Chunk, ObjectDeletion, Segment, Session
from recorder.services import sessions_finish_idle
from recorder.storage import object_write, recordings, segment_key
from replay.recordings import session_all_parts, session_events
from tests.conftest import make_batch, post_batch, process_pending, stopped_at, stored_parts


@pytest.fixture
def short_session(client, site) -> tuple[dict, dict]:
    """A session stored too short for the site (20 s), its page hidden, idle; and its visitor's next batch,
    a minute later (the session is long enough with it), not sent yet."""
    site.min_session_sec, site.session_timeout_min = 20, 1
    site.save()
    first = make_batch(site.pk)
    assert post_batch(client, first).status_code == 202
    assert process_pending() == 1
    # Its page was hidden, and its frustration signals settled (the sweep takes the row for those first)
    Session.objects.filter(pk=first["sid"]).update(status=Session.FINISHED, signal_state=None)
    later = make_batch(site.pk, sid=first["sid"], seq=1)
    for event in later["events"]:
        event["timestamp"] += 60_000
    return first, later


def idle_sweep() -> None:
    """The sweep two minutes on: the short session's site times out after one."""
    sessions_finish_idle(now=timezone.now() + timedelta(minutes=2))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_accepted_while_the_sweep_waits_to_drop_its_short_session_keeps_it_whole(client, site, short_session):
    """The sweep chose the session (short, idle, nothing waiting for the worker), deleted its objects, then
    waited for its row (a worker's commit held it): a batch accepted meanwhile was deleted with the session
    after its 202. Then it was kept, but without its compacted segment (whose object was gone), and its
    counts still counted that segment's events: it could not be replayed."""
    first, later = short_session
    assert session_compact(session_id=first["sid"]) == 1

    # Given the sweep waiting for the session's row, when the visitor's next batch comes in meanwhile
    with stopped_at("SELECT 1 FROM recorder_session WHERE id = %s FOR UPDATE", [first["sid"]], idle_sweep):
        assert post_batch(client, later).status_code == 202

    # Then the session and the batch are kept, and the batch is stored; the session is whole: it replays
    # from its segment on, and counts every event
    assert Chunk.objects.filter(session_id=first["sid"], seq=1, status=Chunk.PENDING).exists()
    assert process_pending() == 1
    session = Session.objects.get(pk=first["sid"])
    assert session.duration_ms >= 60_000
    events = list(session_events(session_all_parts(session)))
    assert events == first["events"] + later["events"]
    assert session.event_count == len(events) and session.chunk_count == 2
    assert Segment.objects.filter(session_id=first["sid"]).count() == 1 and stored_parts(site.pk) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_accepted_after_the_sweep_asked_again_is_not_deleted_with_the_session(client, site, short_session):
    """The sweep asks again once the session's row is locked, then deletes its rows in the same transaction:
    a batch accepted between the two (ingest takes no lock of the session) went with the session's chunks."""
    first, later = short_session

    # Given the sweep past its second look (the session still too short, nothing waiting), stopped at the
    # deletion of the session's page views, which another transaction holds; when the visitor's next batch
    # is accepted then, and the sweep goes on
    with stopped_at("SELECT 1 FROM recorder_pageview WHERE session_id = %s FOR UPDATE", [first["sid"]], idle_sweep):
        assert post_batch(client, later).status_code == 202

    # Then the batch is kept, and stored: the worker makes its session again from it
    assert list(Chunk.objects.filter(session_id=first["sid"]).values_list("seq", "status")) == [(1, "pending")]
    assert process_pending() == 1
    assert list(session_events(session_all_parts(Session.objects.get(pk=first["sid"])))) == later["events"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("purge", ["retention", "idle sweep"])
def test_a_session_its_owner_deletes_as_retention_or_the_sweep_deletes_it_refuses_its_later_batches(
        client, site, short_session, purge):
    """Both deletions lock the session's row: the owner's waited for the other's, then found no row, and wrote
    no refusal of the session's later batches. The visitor's next batch made the session again."""
    first, later = short_session
    session = Session.objects.get(pk=first["sid"])
    if purge == "retention":
        Session.objects.filter(pk=session.pk).update(received_at=timezone.now() - timedelta(days=site.retention_days + 1))

    # Given retention (or the sweep) holding the session's row, stopped at the deletion of its page views,
    # and the owner's deletion of the session waiting for the row; when both go on
    with stopped_at("SELECT 1 FROM recorder_pageview WHERE session_id = %s FOR UPDATE", [session.pk],
                    retention_purge if purge == "retention" else idle_sweep, lambda: session_delete(session=session)):
        pass

    # Then the session is gone, and its visitor's next batch is refused: nothing of it is kept
    assert not Session.objects.filter(pk=session.pk).exists()
    response = post_batch(client, later)
    assert (response.status_code, response.json().get("error")) == (410, "session_deleted")
    assert not Chunk.objects.filter(session_id=session.pk).exists()


@pytest.mark.django_db
def test_a_batch_waiting_for_the_worker_is_not_deleted_with_its_session_past_retention(client, site):
    """Retention deleted an expired session's chunks whatever their state: a batch of it accepted and not
    stored yet (a browser that sent it late) went too, after its 202."""
    first = make_batch(site.pk)
    assert post_batch(client, first).status_code == 202
    assert process_pending() == 1
    Session.objects.filter(pk=first["sid"]).update(received_at=timezone.now() - timedelta(days=site.retention_days + 1))
    later = make_batch(site.pk, sid=first["sid"], seq=1)
    assert post_batch(client, later).status_code == 202

    assert retention_purge() == 1

    assert list(Chunk.objects.filter(session_id=first["sid"]).values_list("seq", "status")) == [(1, "pending")]
    assert process_pending() == 1
    assert list(session_events(session_all_parts(Session.objects.get(pk=first["sid"])))) == later["events"]


@pytest.mark.django_db
def test_objects_a_crashed_sweep_left_to_delete_are_deleted_by_the_next(site):
    """The sweep deletes a dropped session's rows, then its objects: a crash in between leaves their keys."""
    key = segment_key(site.pk, uuid.uuid4(), 0, 3, "leftover0001")
    object_write(key, b"segment")
    ObjectDeletion.objects.create(key=key)

    sessions_finish_idle()

    assert not ObjectDeletion.objects.exists()
    assert not recordings().exists(key)
