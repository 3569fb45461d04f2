"""Compaction on Postgres and the S3 API: a session's chunks become a few segments, replayable throughout."""
import gzip
import time
import json
from datetime import timedelta
from unittest import mock

import pytest
import zstandard
from django.utils import timezone

from privacy.services import retention_purge, session_delete
from recorder import compaction
from recorder.compaction import session_compact, sessions_compact
from recorder.models import Chunk, Segment, Session
from replay.recordings import session_all_parts, session_events
from tests.conftest import (
    make_batch, post_batch, process_pending, s3_objects, stored_parts, until_waiting_for_locks,
)
from tests.test_fault_operator import host_clock_off

pytestmark = pytest.mark.django_db
T0 = (int(time.time()) - 3600) * 1000  # an hour ago: inside any retention


@pytest.fixture(autouse=True)
def empty_site_prefix(site):
    """On SQLite a rolled-back test's site id comes again: start without the objects an earlier test left."""
    from recorder.storage import objects_delete

    objects_delete(list(s3_objects(f"sites/{site.pk}/")))


def snapshot(ts: int, text: str) -> list[dict]:
    node = {"type": 0, "id": 1, "childNodes": [{"type": 2, "tagName": "p", "attributes": {}, "id": 2, "childNodes": [
        {"type": 3, "textContent": text, "id": 3}]}]}
    return [{"type": 4, "data": {"href": "https://shop.example.com/", "width": 800, "height": 600}, "timestamp": ts},
            {"type": 2, "data": {"node": node, "initialOffset": {"left": 0, "top": 0}}, "timestamp": ts}]


def clicks(ts: int, count: int = 5) -> list[dict]:
    return [{"type": 3, "data": {"source": 2, "type": 2, "id": 3, "x": n, "y": n}, "timestamp": ts + n} for n in range(count)]


def record(client, site, minutes: int, *, sid=None) -> str:
    """A session of `minutes` minutes: a batch every 10 s, a full snapshot every 5 minutes."""
    sid = sid or make_batch(site.pk)["sid"]
    for seq in range(minutes * 6):
        ts = T0 + seq * 10_000
        events = (snapshot(ts, f"minute {seq // 6}") if seq % 30 == 0 else []) + clicks(ts + 100)
        assert post_batch(client, make_batch(site.pk, sid=sid, seq=seq, events=events)).status_code == 202
    process_pending()
    return sid


def every_event(sid) -> list[dict]:
    return list(session_events(session_all_parts(Session.objects.get(pk=sid))))


def test_a_finished_session_becomes_a_few_segments_each_starting_at_a_snapshot(client, site):
    sid = record(client, site, 12)
    before = every_event(sid)
    Session.objects.filter(pk=sid).update(status=Session.FINISHED)

    assert sessions_compact()["segments"] == 0  # stored a moment ago: live viewers read the chunks
    assert sessions_compact(now=timezone.now() + timedelta(minutes=11))["segments"] == 3
    segments = list(Segment.objects.filter(session_id=sid))
    assert [s.state for s in segments] == ["ready"] * 3
    assert not Chunk.objects.filter(session_id=sid).exists()
    assert [s.snapshots[0] == s.first_ts for s in segments] == [True] * 3
    assert sorted(seq for s in segments for seq in s.seqs) == list(range(72))
    objects = s3_objects(f"sites/{site.pk}/sessions/{sid}/")
    assert sorted(objects) == sorted(s.key for s in segments)
    assert every_event(sid) == before
    first = json.loads(zstandard.ZstdDecompressor().decompressobj().decompress(objects[segments[0].key]))
    assert first[0]["type"] == 4 and first[1]["type"] == 2


def test_segments_take_less_room_than_the_chunks_they_replace(client, site):
    sid = record(client, site, 10)
    chunk_bytes = sum(Chunk.objects.filter(session_id=sid).values_list("stored_bytes", flat=True))
    session_compact(session_id=sid)
    segment_bytes = sum(Segment.objects.filter(session_id=sid).values_list("stored_bytes", flat=True))
    assert segment_bytes < 0.6 * chunk_bytes
    assert Session.objects.get(pk=sid).stored_bytes == segment_bytes


def test_a_live_session_keeps_its_last_minutes_as_chunks_and_compacts_only_whole_segments(client, site):
    sid = record(client, site, 6)
    Chunk.objects.filter(session_id=sid, seq__lt=33).update(stored_at=timezone.now() - timedelta(minutes=30))
    assert sessions_compact()["segments"] == 1
    assert sorted(Segment.objects.get(session_id=sid).seqs) == list(range(30))
    assert sorted(Chunk.objects.filter(session_id=sid).values_list("seq", flat=True)) == list(range(30, 36))
    assert len(every_event(sid)) == 36 * 5 + 2 * 2


def test_a_crash_before_the_swap_leaves_the_session_replayable_and_nothing_doubled(client, site):
    sid = record(client, site, 6)
    before = every_event(sid)
    with mock.patch.object(compaction, "_swap", side_effect=RuntimeError("power cut")), pytest.raises(RuntimeError):
        session_compact(session_id=sid)
    assert every_event(sid) == before
    assert not Segment.objects.exists() and s3_objects(f"sites/{site.pk}/") == {}
    session_compact(session_id=sid)
    assert every_event(sid) == before and Chunk.objects.filter(session_id=sid).count() == 0


def test_the_command_compacts_each_session_named_and_reports_the_one_that_failed(client, site):
    from django.core.management import CommandError, call_command

    first, second = record(client, site, 6), record(client, site, 6)
    swap = compaction._swap

    def power_cut_on_first(session_id, *args, **kwargs):
        if str(session_id) == first:
            raise RuntimeError("power cut")
        return swap(session_id, *args, **kwargs)

    with mock.patch.object(compaction, "_swap", side_effect=power_cut_on_first), \
            pytest.raises(CommandError, match="1 of 2 sessions could not be compacted"):
        call_command("compactsessions", "--session", first, "--session", second)
    assert Chunk.objects.filter(session_id=first).count() == 36 and not Segment.objects.filter(session_id=first)
    assert not Chunk.objects.filter(session_id=second) and Segment.objects.filter(session_id=second).count() == 2


def test_a_session_that_cannot_be_compacted_is_skipped_and_the_others_are_compacted(client, site, caplog):
    """A corrupt chunk, or an older chunk whose object is gone, failed every periodic run at its session:
    no session after it was compacted again."""
    from io import StringIO

    from django.core.management import call_command

    # (in the order a run takes them: the broken ones first)
    corrupt, missing, sound = (record(client, site, 1, sid=f"{n:08d}-0000-4000-8000-000000000000") for n in (1, 2, 3))
    Chunk.objects.filter(session_id=corrupt, seq=2).update(data=b"\x28\xb5\x2f\xfd not zstd")
    Chunk.objects.filter(session_id=missing, seq=0).update(data=None, key=f"sites/{site.pk}/sessions/{missing}/gone.json.gz")
    Chunk.objects.update(stored_at=timezone.now() - timedelta(minutes=30))

    # (the broken ones count towards no run's limit: they would take every place in it)
    assert sessions_compact(limit=1) == {"segments": 1, "skipped": 2}
    out, err = StringIO(), StringIO()
    call_command("compactsessions", stdout=out, stderr=err)

    assert Segment.objects.filter(session_id=sound).count() == 1 and not Chunk.objects.filter(session_id=sound)
    assert Chunk.objects.filter(session_id__in=[corrupt, missing]).count() == 12 and Segment.objects.count() == 1
    assert f"session {corrupt} cannot be compacted" in caplog.text and f"session {missing} cannot be compacted" in caplog.text
    assert (out.getvalue(), err.getvalue()) == ("Made 0 segments.\n", "Skipped 2 sessions that cannot be compacted "
                                                "(the log names each, with its error).\n")


def test_a_run_stops_while_the_object_storage_is_down_to_be_retried(client, site, settings):
    if not settings.S3_BUCKET:
        pytest.skip("needs the S3 API")
    from botocore.exceptions import ClientError

    from tests.test_fault_operator import storage_answering

    sid = record(client, site, 1)
    Chunk.objects.update(stored_at=timezone.now() - timedelta(minutes=30))
    with storage_answering(settings, 503, "SlowDown"), pytest.raises(ClientError, match="SlowDown"):
        sessions_compact()
    assert Chunk.objects.filter(session_id=sid).count() == 6 and not Segment.objects.filter(state=Segment.READY)


def test_a_run_killed_after_writing_objects_is_cleaned_up_by_the_next(client, site):
    sid = record(client, site, 6)
    before = every_event(sid)
    # A run dies after writing its rows and objects, before its swap (no cleanup ran).
    with mock.patch.object(compaction, "_swap", side_effect=SystemExit), \
            mock.patch.object(compaction, "_segments_discard"), pytest.raises(SystemExit):
        session_compact(session_id=sid)
    assert Segment.objects.filter(state=Segment.WRITING).count() == 2 and len(s3_objects(f"sites/{site.pk}/")) == 2
    assert every_event(sid) == before
    Segment.objects.update(created_at=timezone.now() - timedelta(hours=1))
    session_compact(session_id=sid)
    assert Segment.objects.filter(state=Segment.WRITING).count() == 0
    assert sorted(s3_objects(f"sites/{site.pk}/")) == sorted(Segment.objects.values_list("key", flat=True))
    assert every_event(sid) == before



def test_a_killed_runs_leftovers_go_once_stale_though_the_next_run_compacted_the_whole_session(client, site):
    """The next run comes minutes later, takes every chunk, and the session is no run's work any more: its
    leftovers (rows and objects) stayed until the session's retention."""
    sid = record(client, site, 6)
    before = every_event(sid)
    Chunk.objects.filter(session_id=sid).update(stored_at=timezone.now() - timedelta(minutes=30))
    with mock.patch.object(compaction, "_swap", side_effect=SystemExit), \
            mock.patch.object(compaction, "_segments_discard"), pytest.raises(SystemExit):
        session_compact(session_id=sid)  # killed before its swap
    assert sessions_compact()["segments"] == 2  # the periodic run minutes later: the killed run's segments are not stale yet
    assert Segment.objects.filter(state=Segment.WRITING).count() == 2

    Segment.objects.filter(state=Segment.WRITING).update(created_at=timezone.now() - timedelta(hours=1))
    assert sessions_compact()["segments"] == 0

    assert not Segment.objects.filter(state=Segment.WRITING).exists()
    assert sorted(s3_objects(f"sites/{site.pk}/")) == sorted(Segment.objects.values_list("key", flat=True))
    assert every_event(sid) == before

def test_a_run_on_a_host_whose_clock_runs_ahead_leaves_the_segments_another_run_is_writing(client, site):
    """Given a run that has written its segments' rows and objects and not yet swapped them in; when a run
    on a host whose clock is twenty minutes ahead compacts the same session; then it takes the other run's
    segments for no crashed run's leftovers (which it deletes after STALE_WRITING, on the database's clock)."""
    sid = record(client, site, 6)
    before = every_event(sid)
    with mock.patch.object(compaction, "_swap", side_effect=SystemExit), \
            mock.patch.object(compaction, "_segments_discard"), pytest.raises(SystemExit):
        session_compact(session_id=sid)  # stands for the run still writing: stopped before its swap
    writing = sorted(Segment.objects.filter(state=Segment.WRITING).values_list("key", flat=True))
    assert len(writing) == 2

    with host_clock_off(timedelta(minutes=20)):
        session_compact(session_id=sid)

    assert sorted(Segment.objects.filter(state=Segment.WRITING).values_list("key", flat=True)) == writing
    assert set(writing) <= set(s3_objects(f"sites/{site.pk}/"))
    assert every_event(sid) == before


def test_a_late_repeat_of_a_compacted_batch_is_not_stored_twice(client, site):
    sid = record(client, site, 1)
    session_compact(session_id=sid)
    before = every_event(sid)
    repeat = make_batch(site.pk, sid=sid, seq=3, events=clicks(T0 + 30_100))
    assert post_batch(client, repeat).status_code == 202
    process_pending()
    assert every_event(sid) == before
    assert not Chunk.objects.filter(session_id=sid).exists()


def test_deleting_a_compacted_session_removes_every_object_and_row(client, site):
    sid = record(client, site, 6)
    session_compact(session_id=sid)
    assert stored_parts(site.pk, sid) == 2
    session_delete(session=Session.objects.get(pk=sid))
    assert stored_parts(site.pk, sid) == 0 and not Segment.objects.exists()


def test_retention_deletes_expired_sessions_in_bulk_with_their_objects(client, site, django_assert_max_num_queries):
    sids = [record(client, site, 1) for _ in range(4)]
    for sid in sids:
        session_compact(session_id=sid)
    keep = record(client, site, 1)
    Session.objects.filter(pk__in=sids).update(received_at=timezone.now() - timedelta(days=40))
    with django_assert_max_num_queries(30):  # the same for four sessions as for a thousand (roll-ups and heatmaps included)
        assert retention_purge() == 4
    assert stored_parts(site.pk) == stored_parts(site.pk, keep) > 0
    assert list(Session.objects.values_list("pk", flat=True)) == [Session.objects.get(pk=keep).pk]


def test_the_events_api_serves_segments_and_chunks_as_one_array(client, site, owner):
    sid = record(client, site, 6)
    Chunk.objects.filter(session_id=sid, seq__lt=30).update(stored_at=timezone.now() - timedelta(minutes=30))
    assert sessions_compact()["segments"] == 1
    client.force_login(owner)
    response = client.get(f"/api/v1/sessions/{sid}/events/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    events = json.loads(gzip.decompress(b"".join(response.streaming_content)))
    assert events == every_event(sid) and len(events) == 36 * 5 + 4



def test_the_events_api_serves_every_event_once_when_compaction_swaps_the_chunks_while_it_answers(client, site, owner):
    """The answer streams after it listed the session's parts: the chunks it listed went into a segment
    meanwhile (an export as the session finishes), and it read the rows that were gone."""
    sid = record(client, site, 6)
    before = every_event(sid)
    client.force_login(owner)

    response = client.get(f"/api/v1/sessions/{sid}/events/")
    assert session_compact(session_id=sid) == 2  # while the answer is on its way

    assert json.loads(b"".join(response.streaming_content)) == before


def test_the_recording_lists_parts_and_each_part_is_sent_as_stored(client, site, owner):
    sid = record(client, site, 12)
    Session.objects.filter(pk=sid).update(status=Session.FINISHED)
    assert sessions_compact(now=timezone.now() + timedelta(minutes=11))["segments"] == 3
    more = make_batch(site.pk, sid=sid, seq=72, events=clicks(T0 + 720_100))
    post_batch(client, more)
    process_pending()
    client.force_login(owner)

    manifest = client.get(f"/api/v1/sessions/{sid}/recording/").json()

    assert [len(p["snapshots"]) for p in manifest["parts"]] == [1, 1, 1, 0]
    assert manifest["next_seq"] == 73 and manifest["start"] == T0
    first = client.get(manifest["parts"][0]["url"], HTTP_ACCEPT_ENCODING="gzip, deflate, br, zstd")
    assert first["Content-Encoding"] == "zstd" and "immutable" in first["Cache-Control"]
    plain = client.get(manifest["parts"][0]["url"], HTTP_ACCEPT_ENCODING="identity")
    assert "Content-Encoding" not in plain and json.loads(plain.content)[1]["type"] == 2
    tail = client.get(manifest["parts"][3]["url"], HTTP_ACCEPT_ENCODING="gzip")
    assert tail["Content-Encoding"] == "gzip" and len(json.loads(gzip.decompress(tail.content))) == 5
    as_stored = client.get(manifest["parts"][3]["url"], HTTP_ACCEPT_ENCODING="gzip, zstd")
    assert as_stored["Content-Encoding"] == "zstd" and as_stored.content == bytes(Chunk.objects.get(session_id=sid, seq=72).data)
    assert client.get(f"/api/v1/sessions/{sid}/recording/s999999/").status_code == 404
    assert client.get(f"/api/v1/sessions/{sid}/recording/c9-x/").status_code == 404


def test_chunks_an_earlier_version_stored_as_gzip_are_served_joined_and_compacted(client, site, owner):
    def as_gzip(seq):  # as the version before zstd wrote it
        chunk = Chunk.objects.get(session_id=sid, seq=seq)
        Chunk.objects.filter(pk=chunk.pk).update(data=gzip.compress(zstandard.ZstdDecompressor().decompress(chunk.data)))

    sid = record(client, site, 6)
    before = every_event(sid)
    as_gzip(0)
    assert every_event(sid) == before  # joined with the zstd ones
    Session.objects.filter(pk=sid).update(status=Session.FINISHED)
    assert sessions_compact(now=timezone.now() + timedelta(minutes=11))["segments"] >= 1
    assert not Chunk.objects.filter(session_id=sid).exists()
    assert every_event(sid) == before
    post_batch(client, make_batch(site.pk, sid=sid, seq=36, events=clicks(T0 + 360_100)))
    process_pending()
    as_gzip(36)
    client.force_login(owner)
    last = client.get(f"/api/v1/sessions/{sid}/recording/").json()["parts"][-1]
    assert last["seqs"] == [36, 36]
    part = client.get(last["url"], HTTP_ACCEPT_ENCODING="gzip, zstd")  # sent as its gzip
    assert part["Content-Encoding"] == "gzip" and json.loads(gzip.decompress(part.content)) == every_event(sid)[-5:]


def test_an_outsider_gets_404_for_the_recording_and_its_parts(client, site):
    from tests.factories import UserFactory

    sid = record(client, site, 1)
    client.force_login(UserFactory(username="outsider"))
    assert client.get(f"/api/v1/sessions/{sid}/recording/").status_code == 404
    assert client.get(f"/api/v1/sessions/{sid}/recording/c0-5/").status_code == 404



def compactions_while_held(sid, *, runs: int, lock: str = "UPDATE", meanwhile=None) -> list[str]:
    """What `runs` compactsessions at once print (or raise), started while another transaction holds the
    session's row (FOR `lock`) and run on once they all wait for it; `meanwhile(cursor)` runs in that
    transaction first."""
    import threading
    from io import StringIO

    import psycopg
    from django.core.management import call_command
    from django.db import connection

    other = psycopg.connect(**connection.get_connection_params())
    outcomes = []

    def compact():
        out = StringIO()
        try:
            call_command("compactsessions", stdout=out)
            outcomes.append(out.getvalue().strip())
        except Exception as error:  # noqa: BLE001 - what the tests look at
            outcomes.append(repr(error))
        finally:
            connection.close()

    try:
        other.execute(f"SELECT 1 FROM recorder_session WHERE id = %s FOR {lock}", [sid])
        threads = [threading.Thread(target=compact) for _ in range(runs)]
        for thread in threads:
            thread.start()
        until_waiting_for_locks(runs, threads)
        if meanwhile:
            meanwhile(other.cursor())
        other.commit()
        for thread in threads:
            thread.join(60)
    finally:
        other.close()
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_compaction_runs_at_once_both_succeed_and_the_session_is_compacted_once(client, site):
    """An operator's compactsessions while the periodic one runs: both read the same chunks; the one that
    swapped second found them gone and failed with a traceback (the rest of its sessions left for later)."""
    sid = record(client, site, 6)
    before = every_event(sid)
    Chunk.objects.filter(session_id=sid).update(stored_at=timezone.now() - timedelta(minutes=30))

    # Given two runs that read the session's chunks while a worker held the session, when the worker commits
    outcomes = compactions_while_held(sid, runs=2)

    # Then both runs succeed, one of them made the segments, and nothing is left over or doubled
    assert sorted(outcomes) == ["Made 0 segments.", "Made 2 segments."]
    segments = Segment.objects.filter(session_id=sid)
    assert [s.state for s in segments] == ["ready"] * 2 and not Chunk.objects.filter(session_id=sid).exists()
    assert sorted(s3_objects(f"sites/{site.pk}/")) == sorted(s.key for s in segments)
    assert every_event(sid) == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_session_deleted_while_a_run_writes_its_segments_leaves_nothing_and_the_run_succeeds(client, site):
    """The run's swap found the session gone: a traceback, and the periodic task's other sessions left."""
    sid = record(client, site, 6)
    Chunk.objects.filter(session_id=sid).update(stored_at=timezone.now() - timedelta(minutes=30))

    def delete(cursor):  # as sessions_delete does, in the transaction that held the session
        for table in ("recorder_segment", "recorder_chunk"):
            cursor.execute(f"DELETE FROM {table} WHERE session_id = %s", [sid])
        cursor.execute("DELETE FROM recorder_session WHERE id = %s", [sid])

    # Given a run that wrote its segments and waits to swap them in, when the session is deleted meanwhile
    outcomes = compactions_while_held(sid, runs=1, lock="NO KEY UPDATE", meanwhile=delete)

    # Then the run succeeds with nothing made, and leaves no row or object behind
    assert outcomes == ["Made 0 segments."]
    assert not Segment.objects.exists() and s3_objects(f"sites/{site.pk}/") == {}
