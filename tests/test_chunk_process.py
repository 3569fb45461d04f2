"""The worker's task on Postgres: a pending chunk becomes stored events and a session, once."""
import json
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from recorder import services
from recorder.models import Chunk, PageView, Session
from recorder.processing import ZSTD_MAGIC, chunk_text, events_decode
from recorder.tasks import chunk_process
from tests.conftest import make_batch, password_field_batches, post_batch
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _ingest_sends_no_message(request, monkeypatch):
    """These tests run the worker's code themselves and count what it stored. In a full run the e2e tests'
    Celery worker (one for the session) still consumes this run's queue: a message ingest sent for rows
    a test committed would have it store, or take along, the chunks the test counts."""
    from recorder.ingest import publisher

    if "publisher" not in request.node.name:
        monkeypatch.setattr(chunk_process.app, "send_task", lambda *args, **kwargs: None)
    yield
    publisher.flush()  # what it still holds goes nowhere, not to the next test


def accept(client, site, **kwargs) -> tuple[Chunk, dict]:
    batch = make_batch(site.pk, **kwargs)
    assert post_batch(client, batch).status_code == 202
    return Chunk.objects.get(session_id=batch["sid"], seq=batch["seq"]), batch


def test_a_stored_chunk_holds_its_events_compressed_and_drops_the_request_body(client, site):
    chunk, batch = accept(client, site)
    assert chunk_process.apply(args=[chunk.pk]).get() == 1
    chunk.refresh_from_db()
    assert chunk.status == Chunk.STORED and chunk.body is None
    assert bytes(chunk.data[:4]) == ZSTD_MAGIC
    assert events_decode(chunk.data) == batch["events"]
    assert chunk.stored_bytes == len(chunk.data) and chunk.event_count == 3


def test_the_worker_masks_the_url_parameters_the_site_names_and_every_value_of_the_address_with_a_star(client, site):
    # A client that bypasses the recorder sends the page's address whole.
    site.url_mask_params = "*\nref"
    site.save()
    now = int(timezone.now().timestamp() * 1000)
    address = "https://shop.example.com/search?q=green+tea&token=T0kenValue"
    chunk, batch = accept(client, site, events=[
        {"type": 4, "data": {"href": address, "width": 1280, "height": 720}, "timestamp": now},
        {"type": 5, "data": {"tag": "hs.page", "payload": {
            "url": address, "title": "Search", "kind": "load", "referrer": "https://mail.test/?ref=Newsletter7&x=1"}}, "timestamp": now},
        {"type": 5, "data": {"tag": "hs.net", "payload": {"url": "https://shop.example.com/api?ref=R1&q=green"}}, "timestamp": now + 1},
    ])
    assert chunk_process.apply(args=[chunk.pk]).get() == 1
    session = Session.objects.get(pk=batch["sid"])
    assert session.entry_url == "https://shop.example.com/search?q=*&token=*"
    assert list(session.pageviews.values_list("url", flat=True)) == [session.entry_url]
    assert session.referrer == "https://mail.test/?ref=*&x=*"
    chunk.refresh_from_db()
    stored = chunk_text(chunk.data).decode()
    assert "green" not in stored.split("hs.net")[0] and "T0kenValue" not in stored and "Newsletter7" not in stored
    assert "https://shop.example.com/api?ref=*&q=green" in stored  # a request's URL: the names, not every value


def test_storing_creates_and_updates_the_session(client, site):
    chunk, batch = accept(client, site)
    chunk_process.apply(args=[chunk.pk])
    session = Session.objects.get(pk=batch["sid"])
    assert (session.page_count, session.event_count, session.chunk_count) == (1, 3, 1)
    assert session.duration_ms == 500
    assert (session.viewport_w, session.viewport_h) == (1280, 720)
    assert session.entry_url == "https://shop.example.com/"
    assert session.visitor_id == "visitor-0001"
    assert session.received_at == chunk.created_at
    assert session.stored_bytes > 0


def test_a_rerun_changes_nothing(client, site):
    chunk, batch = accept(client, site)
    chunk_process.apply(args=[chunk.pk])
    before = Session.objects.values().get(pk=batch["sid"])
    stored = Chunk.objects.values().get(pk=chunk.pk)
    assert chunk_process.apply(args=[chunk.pk]).get() == 0
    assert Session.objects.values().get(pk=batch["sid"]) == before
    assert Chunk.objects.values().get(pk=chunk.pk) == stored
    assert PageView.objects.count() == 1


def test_a_chunk_whose_row_is_gone_is_skipped(client, site):
    chunk, batch = accept(client, site)
    Chunk.objects.filter(pk=chunk.pk).delete()
    assert chunk_process.apply(args=[chunk.pk]).get() == 0


def _password_session(client, site):
    """Batch 0 adds a password field (id 9), batch 1 types "hunter2" into it (conftest.password_field_batches)."""
    sid = make_batch(site.pk)["sid"]
    add, typed = password_field_batches(["hunter2"])
    first, _ = accept(client, site, sid=sid, seq=0, events=add)
    second, _ = accept(client, site, sid=sid, seq=1, events=typed)
    return sid, first, second


def test_the_pending_chunks_of_a_session_are_stored_together_in_order(client, site):
    """A password field seen in batch 0 masks what batch 1 types into it, whichever message comes first."""
    sid, first, second = _password_session(client, site)
    assert chunk_process.apply(args=[second.pk]).get() == 2
    second.refresh_from_db()
    assert b"hunter2" not in chunk_text(second.data)
    assert Session.objects.get(pk=sid).chunk_count == 2


def test_a_message_takes_along_the_chunks_waiting_longest_up_to_the_claim_limit(client, site, settings):
    """A queue of small messages is stored in few transactions: each takes what waited longest with it."""
    settings.CHUNK_CLAIM_MAX = 3
    chunks = [accept(client, site)[0] for _ in range(5)]
    Chunk.objects.filter(pk=chunks[0].pk).update(lease_until=timezone.now() + timedelta(seconds=30))  # another's
    assert chunk_process.apply(args=[chunks[4].pk]).get() == 3  # its own, and the two oldest free ones
    stored = set(Chunk.objects.filter(status=Chunk.STORED).values_list("pk", flat=True))
    assert stored == {chunks[1].pk, chunks[2].pk, chunks[4].pk}
    assert chunk_process.apply(args=[chunks[2].pk]).get() == 0  # its message comes later: nothing left to do
    assert Session.objects.filter(chunk_count=1).count() == 3


def test_a_message_takes_along_no_more_waiting_bytes_than_the_claim_allows(client, site, settings):
    """Large batches make small claims: a claim's memory and time stay well inside its lease."""
    chunks = [accept(client, site)[0] for _ in range(4)]
    sizes = dict(Chunk.objects.values_list("pk", "received_bytes"))
    settings.CHUNK_CLAIM_BYTES = sizes[chunks[0].pk] + sizes[chunks[1].pk]  # the two oldest, not a third
    assert chunk_process.apply(args=[chunks[3].pk]).get() == 3
    stored = set(Chunk.objects.filter(status=Chunk.STORED).values_list("pk", flat=True))
    assert stored == {chunks[0].pk, chunks[1].pk, chunks[3].pk}


def test_a_chunk_held_by_another_worker_is_left_alone_until_its_lease_ends(client, site):
    chunk, _ = accept(client, site)
    Chunk.objects.filter(pk=chunk.pk).update(lease_until=timezone.now() + timedelta(seconds=30))
    assert chunk_process.apply(args=[chunk.pk]).get() == 0
    Chunk.objects.filter(pk=chunk.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert chunk_process.apply(args=[chunk.pk]).get() == 1


def test_a_session_another_worker_is_storing_is_left_to_it_and_its_later_batch_still_masked(client, site):
    sid, first, second = _password_session(client, site)
    # Given another worker holds batch 0 (the field) under its lease
    Chunk.objects.filter(pk=first.pk).update(lease_until=timezone.now() + timedelta(seconds=30))
    # When the message of batch 1 comes: it is not taken, the message is to be tried again
    with pytest.raises(services.SessionBusy):
        services.chunks_process(chunk_ids=[second.pk])
    assert Chunk.objects.get(pk=second.pk).status == Chunk.PENDING
    assert chunk_process.apply(args=[second.pk]).get() == 0  # in-process: left for a later claim, no retry loop
    # When the other worker has stored batch 0 (here: its lease ends and batch 0 is stored)
    Chunk.objects.filter(pk=first.pk).update(lease_until=None)
    assert chunk_process.apply(args=[first.pk]).get() == 2
    # Then batch 1 knew the field from batch 0
    second.refresh_from_db()
    assert second.status == Chunk.STORED and b"hunter2" not in chunk_text(second.data)
    assert Session.objects.get(pk=sid).scrub_ids == [9]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_claims_of_one_session_at_the_same_moment_take_turns(client, site):
    """Two claims at the same moment do not see each other's leases: without taking turns, the second would
    take batch 1 while the first holds batch 0, and store it without knowing the field."""
    import threading

    import psycopg
    from django.db import connection

    sid, first, second = _password_session(client, site)
    other = psycopg.connect(**connection.get_connection_params())
    try:
        # Given another worker's claim of the session, not yet committed
        other.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [services.CLAIM_LOCKS, sid])
        other.execute("UPDATE recorder_chunk SET lease_until = now() + interval '30 seconds' WHERE id = %s", [first.pk])
        outcome = []

        def claim():
            try:
                outcome.append(services.chunks_process(chunk_ids=[second.pk]))
            except services.SessionBusy as busy:
                outcome.append(busy)
            finally:
                connection.close()

        # When this worker's claim comes meanwhile, and the other commits
        thread = threading.Thread(target=claim)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive()  # it waits for the other claim
        other.commit()
        thread.join(30)
    finally:
        other.close()
    # Then it saw the other's lease and left the session to it
    assert [type(item) for item in outcome] == [services.SessionBusy]
    assert Chunk.objects.get(pk=second.pk).status == Chunk.PENDING


def test_a_batch_that_comes_in_while_its_session_is_being_stored_is_stored_by_that_claim(client, site, monkeypatch):
    """A closing page sends its last batches together: the second one's message finds the session busy. The
    claim holding the session stores it too, rather than leaving it to a retry or, in-process, the sweeper."""
    first, batch = accept(client, site)
    real_prepare = services._prepare
    late = []

    def the_next_batch_comes_meanwhile(chunk, state):
        if not late:
            later = make_batch(site.pk, sid=batch["sid"], seq=1)
            assert post_batch(client, later).status_code == 202
            late.append(Chunk.objects.get(session_id=batch["sid"], seq=1))
            assert chunk_process.apply(args=[late[0].pk]).get() == 0  # its own message: the session is held
            assert Chunk.objects.get(pk=late[0].pk).status == Chunk.PENDING
        return real_prepare(chunk, state)

    monkeypatch.setattr(services, "_prepare", the_next_batch_comes_meanwhile)
    assert chunk_process.apply(args=[first.pk]).get() == 2
    assert Chunk.objects.get(pk=late[0].pk).status == Chunk.STORED
    assert Session.objects.get(pk=batch["sid"]).event_count == 6


def test_the_sensitive_inputs_a_session_knows_are_kept_when_a_worker_commits_with_fewer(client, site, monkeypatch):
    """A worker whose lease ran out while another stored a batch of the same session commits what it knew,
    with what the row holds by then: no input the other worker learned is forgotten."""
    sid, first, second = _password_session(client, site)
    real_prepare = services._prepare

    def the_other_worker_commits_meanwhile(chunk, state):
        Session.objects.filter(pk=sid).update(scrub_ids=[4])
        return real_prepare(chunk, state)

    Session.objects.create(id=sid, site=site, visitor_id="visitor-0001", scrub_ids=[])
    monkeypatch.setattr(services, "_prepare", the_other_worker_commits_meanwhile)
    assert chunk_process.apply(args=[first.pk]).get() == 2
    assert Session.objects.get(pk=sid).scrub_ids == [4, 9]


def test_a_chunk_that_cannot_be_processed_is_kept_failed_with_its_reason_and_body(client, site):
    chunk, batch = accept(client, site)
    Chunk.objects.filter(pk=chunk.pk).update(body=b'{"not": "a batch"}')
    assert chunk_process.apply(args=[chunk.pk]).get() == 0
    chunk.refresh_from_db()
    assert chunk.status == Chunk.FAILED and chunk.body == b'{"not": "a batch"}'
    assert "BatchError" in chunk.error and "wid" in chunk.error
    assert not Session.objects.filter(pk=batch["sid"]).exists()


def test_a_failed_chunk_is_stored_when_re_driven_after_the_fix(client, site):
    chunk, batch = accept(client, site)
    body = bytes(chunk.body)
    Chunk.objects.filter(pk=chunk.pk).update(body=b"broken")
    chunk_process.apply(args=[chunk.pk])
    Chunk.objects.filter(pk=chunk.pk).update(body=body)  # the operator's fix
    assert services.chunks_redrive(ids=[chunk.pk]) == 1
    chunk_process.apply(args=[chunk.pk])
    chunk.refresh_from_db()
    assert (chunk.status, chunk.error, chunk.attempts) == (Chunk.STORED, "", 1)


def test_two_pending_sessions_of_the_same_id_on_two_sites_store_one_and_fail_the_other(client, site, owner):
    other = SiteFactory(owner=owner, domains=["shop.example.com"])
    chunk, batch = accept(client, site)
    assert post_batch(client, {**batch, "wid": other.pk, "seq": 1}).status_code == 202
    intruder = Chunk.objects.get(seq=1)
    assert chunk_process.apply(args=[chunk.pk]).get() == 1
    intruder.refresh_from_db()
    assert intruder.status == Chunk.FAILED and "session_conflict" in intruder.error
    assert Session.objects.get(pk=batch["sid"]).site_id == site.pk


def test_the_sweeper_queues_again_what_waited_too_long_and_gives_up_on_what_keeps_dying(client, site, settings):
    waiting, _ = accept(client, site)
    dying, _ = accept(client, site)
    late = timezone.now() + timedelta(seconds=settings.CHUNK_REQUEUE_SECONDS + 1)
    Chunk.objects.filter(pk=dying.pk).update(attempts=settings.CHUNK_MAX_ATTEMPTS)
    assert services.chunks_sweep(now=timezone.now()) == {"requeued": 0, "failed": 0}
    assert services.chunks_sweep(now=late) == {"requeued": 1, "failed": 1}
    dying.refresh_from_db()
    assert dying.status == Chunk.FAILED and "abandoned" in dying.error
    assert Chunk.objects.get(pk=waiting.pk).queued_at > waiting.queued_at


def test_a_chunk_a_dead_worker_held_is_stored_alone_after_the_others_so_it_takes_none_down_with_it(
        client, site, monkeypatch):
    """A chunk whose processing kills the worker (a time limit, the memory) counts an attempt of every chunk in
    its claim each time: five deaths failed every batch the sweeper had queued with it. Now such a chunk's
    session is claimed last and alone, and claims that take along waiting chunks take none of it."""
    fresh = [accept(client, site)[0] for _ in range(3)]
    poison, _ = accept(client, site)
    Chunk.objects.filter(pk=poison.pk).update(attempts=services.ALONE_AFTER_ATTEMPTS)  # workers died holding it
    real = services._prepare

    def dies_on_the_poison(chunk, state):
        if chunk.pk == poison.pk:
            raise SystemExit("killed")  # as a worker dies: nothing is given back, its lease stays
        return real(chunk, state)

    monkeypatch.setattr(services, "_prepare", dies_on_the_poison)
    with pytest.raises(SystemExit):  # the sweeper's message: the poison first, with the others
        services.chunks_process(chunk_ids=[poison.pk] + [c.pk for c in fresh[:1]])
    stored = set(Chunk.objects.filter(status=Chunk.STORED).values_list("pk", flat=True))
    assert stored == {c.pk for c in fresh}  # the others were stored first, those taken along too
    assert Chunk.objects.get(pk=poison.pk).attempts == services.ALONE_AFTER_ATTEMPTS + 1
    assert set(Chunk.objects.filter(pk__in=[c.pk for c in fresh]).values_list("attempts", flat=True)) == {1}


def test_a_claim_given_back_counts_no_attempt(client, site, monkeypatch):
    """Only a claim that never came back (its worker died) counts towards CHUNK_MAX_ATTEMPTS: a database that
    refused a commit now and then no longer failed batches that were given back each time."""
    from django.db import OperationalError

    chunk, _ = accept(client, site)
    monkeypatch.setattr(services, "_commit", lambda *args: (_ for _ in ()).throw(OperationalError("gone")))
    for _ in range(3):
        with pytest.raises(OperationalError):
            services.chunks_process(chunk_ids=[chunk.pk])
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts, chunk.lease_until) == (Chunk.PENDING, 0, None)


def custom(tag, payload, ts=1_700_000_000_000):
    return {"type": 5, "data": {"tag": tag, "payload": payload}, "timestamp": ts}


def test_odd_payloads_from_a_client_are_stored_without_failing(client, site):
    long = "x" * 5000
    events = [
        {"type": 4, "data": {"href": long, "width": 10**12, "height": -1}, "timestamp": 1_700_000_000_000},
        custom("hs.page", {"url": long + "\x00", "title": long, "kind": long, "referrer": 5}),
        custom("hs.identify", {"id": long}),
        custom("hs.tag", {"tags": {long: long, "n": None, "list": [1, 2], "nul\x00": "v\x00"}}),
        custom("hs.tag", {"tags": "not an object"}),
        custom("hs.device", {"screenW": 10**15, "screenH": "wide", "lang": long, "tz": long}),
        custom("hs.error", {"kind": "error", "message": None}),
        custom("hs.page", "not an object"),
    ]
    chunk, batch = accept(client, site, events=events)
    assert chunk_process.apply(args=[chunk.pk]).get() == 1
    session = Session.objects.get(pk=batch["sid"])
    assert len(session.identity) == 255 and len(session.language) <= 35 and session.screen_w is None
    assert session.page_count == 1 and session.error_count == 1
    assert session.tags["nul"] == "v" and "\x00" not in PageView.objects.get().url


def test_a_page_pushing_the_same_address_in_a_loop_is_one_page_view_of_the_session(client, site):
    now = int(timezone.now().timestamp() * 1000)
    page = {"url": "https://shop.example.com/cart", "title": "Cart", "kind": "push", "referrer": ""}
    chunk, batch = accept(client, site, events=[custom("hs.page", page, now + n) for n in range(4000)])
    assert chunk_process.apply(args=[chunk.pk]).get() == 1
    session = Session.objects.get(pk=batch["sid"])
    assert session.page_count == 1 and list(session.pageviews.values_list("url", flat=True)) == [page["url"]]


def test_node_ids_a_hostile_client_adds_up_past_what_the_player_holds_are_stored_as_null_not_failed(client, site):
    # Each difference is an id ingest takes (at most 2**53); 3000 of them add up past 64 bits.
    moves = [{"x": 1, "y": 1, "id": 2**53, "timeOffset": 0} for _ in range(3000)]
    chunk, batch = accept(client, site, events=[
        {"type": 3, "timestamp": 1_700_000_000_000, "ids": "delta", "data": {"source": 1, "positions": moves}},
    ])
    assert chunk_process.apply(args=[chunk.pk]).get() == 1
    chunk.refresh_from_db()
    assert chunk.status == Chunk.STORED
    ids = [move["id"] for move in events_decode(chunk.data)[0]["data"]["positions"]]
    assert ids[0] == 2**53 and ids[1:] == [None] * 2999


@pytest.mark.postgres  # SQLite hands out a deleted row's id again: there every message is looked up
@pytest.mark.django_db(transaction=True)  # remembered once committed
def test_a_message_for_chunks_this_process_stored_lately_needs_no_query(client, site, django_assert_num_queries):
    chunk, _ = accept(client, site)
    assert chunk_process.apply(args=[chunk.pk]).get() == 1
    with django_assert_num_queries(0):
        assert chunk_process.apply(args=[chunk.pk]).get() == 0


# Statements of a claim and of its commit, for one new session of one chunk, as Django sees them (on Postgres
# the claim's session insert and chunk update go through psycopg's own cursor, which it does not see).
CLAIM_STATEMENTS = {"postgresql": (7, 12), "sqlite": (7, 13)}


def test_a_claim_and_its_commit_read_the_databases_clock_in_the_statements_they_run_anyway(client, site):
    """Given a batch accepted; when a worker claims and commits it; then neither reads the database's clock
    with a statement of its own on Postgres (the claim's UPDATE sets and returns the lease, the commit takes
    the time for stored_at with the rows it locks): a statement more per claim shows up here."""
    chunk, _ = accept(client, site)
    with CaptureQueriesContext(connection) as claiming:
        claim = services._Claim.take({chunk.session_id})
    with CaptureQueriesContext(connection) as committing:
        assert claim.commit() == [chunk.pk]

    assert (len(claiming), len(committing)) == CLAIM_STATEMENTS[connection.vendor]
    chunk.refresh_from_db()
    assert claim.lease > chunk.created_at and chunk.stored_at >= chunk.created_at


def test_chunks_stored_lately_are_forgotten_after_a_minute_or_two(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(services.time, "monotonic", lambda: now[0])
    recent = services._RecentIds(seconds=60)
    recent.add([1, 2])
    assert recent.holds([1, 2]) and not recent.holds([1, 3]) and not recent.holds([])
    now[0] += 61
    recent.add([3])
    assert recent.holds([1, 2, 3])
    now[0] += 61
    assert not recent.holds([1]) and recent.holds([3])
    now[0] += 200
    assert not recent.holds([3])


def test_a_chunk_stored_inside_a_transaction_that_may_still_roll_back_is_not_remembered(client, site):
    chunk, _ = accept(client, site)
    assert chunk_process.apply(args=[chunk.pk]).get() == 1
    assert not services._stored_lately.holds([chunk.pk])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_new_session_another_worker_creates_meanwhile_is_merged_into_not_lost(client, site, monkeypatch):
    """A worker writes a new session once merged, at the end of its commit. When another worker (its own
    connection, committed) created the row in between, the commit is made again and merges into that row."""
    import threading

    from django.db import connection

    chunk, batch = accept(client, site)
    real_insert, calls = services._sessions_insert, []

    def other_worker_first(sessions):
        calls.append([session.pk for session in sessions])
        if len(calls) == 1:  # the other worker stores a chunk of the same new session and commits
            def create():
                Session.objects.create(id=batch["sid"], site=site, visitor_id="visitor-0001", chunk_count=1,
                                       event_count=7, stored_bytes=100)
                connection.close()
            thread = threading.Thread(target=create)
            thread.start()
            thread.join()
        real_insert(sessions)

    monkeypatch.setattr(services, "_sessions_insert", other_worker_first)
    assert chunk_process.apply(args=[chunk.pk]).get() == 1
    assert len(calls) == 2 and calls[1] == []  # the second time the row was there: merged, nothing to insert
    session = Session.objects.get(pk=batch["sid"])
    assert (session.chunk_count, session.event_count) == (2, 7 + 3)
    assert session.stored_bytes == 100 + Chunk.objects.get(pk=chunk.pk).stored_bytes
    assert Chunk.objects.get(pk=chunk.pk).status == Chunk.STORED


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")  # what this test wants
def test_the_publisher_only_publishes_even_where_tasks_run_eagerly(client, site, settings):
    """The publisher hands ids to the broker from its own thread. Running the task there instead (as
    Celery's apply_async does when tasks run eagerly, which a test or a setting may switch on after the ids
    were collected) set Celery's process-wide "do not wait for results" flag under the other threads' feet:
    tests elsewhere in the process failed to wait for their tasks' results."""
    from recorder.ingest import Publisher

    chunk, _ = accept(client, site)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    publisher = Publisher()
    publisher.ids = [chunk.pk]
    publisher.flush()
    chunk.refresh_from_db()
    assert chunk.status == Chunk.PENDING  # published, not stored on the publisher's thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_commit_checks_new_rows_with_plans_for_the_table_as_it_is_not_as_it_was(client, site, settings):
    """A worker keeps its connection, and Postgres runs a foreign-key check with a plan it made once for
    that connection: made while the sessions table was nearly empty, it stays a scan of the whole table
    as the table grows. The checks at a claim's commit must look the session up by its key."""
    from django.db import connection

    settings.CHUNK_CLAIM_MAX = 1  # a claim, and a commit, per chunk
    for _ in range(8):  # enough commits for Postgres to settle on a plan made for the tiny table
        chunk, _ = accept(client, site)
        assert chunk_process.apply(args=[chunk.pk]).get() == 1
    # The table grows; its statistics are not updated yet.
    Session.objects.bulk_create([Session(id=uuid.uuid4(), site=site, visitor_id="v") for _ in range(20_000)],
                                batch_size=5000)
    plans = []
    connection.connection.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
    try:
        with connection.cursor() as cursor:
            cursor.execute("LOAD 'auto_explain'")
            for name, value in (("log_min_duration", "0"), ("log_nested_statements", "on"), ("log_level", "notice")):
                cursor.execute(f"SET auto_explain.{name} = '{value}'")
        chunk, _ = accept(client, site)
        assert chunk_process.apply(args=[chunk.pk]).get() == 1
    finally:
        connection.close()  # the handler and the session's auto_explain go with it, not into later tests
    checks = [plan for plan in plans if 'FROM ONLY "public"."recorder_session"' in plan and "FOR KEY SHARE" in plan]
    assert checks, plans
    assert all("Index" in plan and "Seq Scan" not in plan for plan in checks), checks


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the committer thread's connection sees only what is committed
def test_a_backlog_is_stored_claim_after_claim_each_prepared_while_the_one_before_commits(client, site, settings,
                                                                                          monkeypatch):
    import threading

    settings.CHUNK_CLAIM_MAX = 3
    sid, first, second = _password_session(client, site)
    others = [accept(client, site)[0] for _ in range(6)]
    threads, real_commit = [], services._commit
    monkeypatch.setattr(services, "_commit", lambda *args: threads.append(threading.current_thread().name)
                        or real_commit(*args))
    # When one message comes for a backlog of eight chunks in seven sessions, claims of three at most
    assert services.chunks_process(chunk_ids=[others[-1].pk]) == 8
    # Then every claim but the last (nothing came after it) was written on the committer thread, the next one
    # taken meanwhile
    assert len(threads) >= 3 and all(name.startswith("chunk-commit") for name in threads[:-1])
    assert not Chunk.objects.exclude(status=Chunk.STORED).exists()
    # And a session's batches were still stored together, in order: batch 1 knew the field of batch 0
    assert b"hunter2" not in chunk_text(Chunk.objects.get(pk=second.pk).data)
    assert Session.objects.get(pk=sid).scrub_ids == [9] and Session.objects.count() == 7


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the drain overlaps claims only outside a transaction
def test_a_backlog_drain_leaves_a_session_with_a_retried_chunk_to_its_own_message_asking_once(client, site, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.CHUNK_CLAIM_MAX = 3
    others = [accept(client, site)[0] for _ in range(6)]
    sid = str(uuid.uuid4())
    retried, fresh = accept(client, site, sid=sid, seq=0)[0], accept(client, site, sid=sid, seq=1)[0]
    Chunk.objects.filter(pk=retried.pk).update(attempts=services.ALONE_AFTER_ATTEMPTS)  # workers died holding it
    # When one message comes for the backlog, claims of three at most follow one another
    with CaptureQueriesContext(connection) as queries:
        assert services.chunks_process(chunk_ids=[others[0].pk]) == 6
    # Then no claim took the session with the retried chunk: its chunks wait, no attempt counted
    assert set(Chunk.objects.filter(session_id=sid).values_list("status", "attempts", "lease_until")) == {
        (Chunk.PENDING, services.ALONE_AFTER_ATTEMPTS, None), (Chunk.PENDING, 0, None)}
    # And which sessions have retried chunks was asked once for the message, not once more per claim taken along
    lookups = [q["sql"] for q in queries if q["sql"].startswith("SELECT DISTINCT") and '"attempts" >=' in q["sql"]]
    assert len(lookups) == 1, lookups
    # And its own message stores it, alone
    assert services.chunks_process(chunk_ids=[fresh.pk]) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_commit_that_fails_on_the_committer_gives_back_its_chunks_and_those_taken_meanwhile(client, site, settings,
                                                                                              monkeypatch):
    from django.db import OperationalError

    settings.CHUNK_CLAIM_MAX = 3
    chunks = [accept(client, site)[0] for _ in range(8)]
    real_commit, commits = services._commit, []

    def second_fails(*args):
        commits.append(1)
        if len(commits) == 2:
            raise OperationalError("the database went away")
        return real_commit(*args)

    monkeypatch.setattr(services, "_commit", second_fails)
    # When the second claim's commit fails while the third claim is being prepared
    with pytest.raises(OperationalError):
        services.chunks_process(chunk_ids=[chunks[-1].pk])
    # Then what the first claim wrote is stored, and every other chunk is pending and free for the retry
    stored = Chunk.objects.filter(status=Chunk.STORED).count()
    assert stored == 3
    assert Chunk.objects.filter(status=Chunk.PENDING, lease_until__isnull=True).count() == 8 - stored
    monkeypatch.setattr(services, "_commit", real_commit)
    waiting = Chunk.objects.filter(status=Chunk.PENDING).values_list("pk", flat=True)
    assert services.chunks_process(chunk_ids=[waiting[0]]) == 8 - stored


def test_a_batch_accepted_under_larger_limits_is_stored_after_they_were_lowered(client, site, settings):
    """The limits on a batch are ingest's, at the moment it accepts one: lowered since (or set lower on the
    worker's hosts than on the web's), the worker failed every batch accepted before, for good."""
    batch = make_batch(site.pk)
    assert post_batch(client, batch, gzip_it=True).status_code == 202
    chunk = Chunk.objects.get(session_id=batch["sid"])
    settings.INGEST_MAX_EVENTS = 2
    settings.INGEST_MAX_INFLATED_BYTES = len(json.dumps(batch)) // 2

    assert chunk_process.apply(args=[chunk.pk]).get() == 1
    chunk.refresh_from_db()
    assert (chunk.status, chunk.error) == (Chunk.STORED, "")
    assert events_decode(chunk.data) == batch["events"]
