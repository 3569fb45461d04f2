"""What an operator's bad day must not cost: a worker behind its queue, a Redis that is full."""
import json
import subprocess
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

import freezegun
import pytest
import redis
from django.db import OperationalError, connection
from django.test import override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

from privacy.services import DELETED_SESSION_DAYS, retention_purge
from recorder import services
from recorder.compaction import sessions_compact
from recorder.models import Chunk, Segment, Session
from recorder.services import chunks_sweep, sessions_finish_idle
from recorder.sql import db_now
from sites.models import Site
from tests.conftest import ORIGIN, make_batch, post_batch, process_pending
from tests.run import free_port

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


@contextmanager
def host_clock_off(by: timedelta):
    """This process reads a clock `by` off, as a host whose clock is wrong does (the outside world): every
    clock it reads (datetime.now, Django's timezone.now, time.time) runs `by` off, and on, while the
    database's stays right."""
    with freezegun.freeze_time(timezone.now() + by, tick=True):
        yield


def test_a_sweeper_whose_clock_runs_ahead_neither_finishes_nor_drops_a_live_session(client, site):
    """Given a live session, short so far, stored by the worker; when the periodic jobs run on a host whose
    clock is an hour ahead of the web's; then the session is still live with its batch, and its next
    batch joins it."""
    site.min_session_sec, site.session_timeout_min = 20, 30
    site.save()
    first = make_batch(site.pk)
    assert post_batch(client, first).status_code == 202
    assert process_pending() == 1

    with host_clock_off(timedelta(hours=1)):
        assert sessions_finish_idle() == 0
        chunks_sweep()
        sessions_compact()

    assert Session.objects.filter(pk=first["sid"], status=Session.ACTIVE).exists()
    assert Chunk.objects.filter(session_id=first["sid"], seq=0, status=Chunk.STORED).exists()
    assert post_batch(client, make_batch(site.pk, sid=first["sid"], seq=1)).status_code == 202
    assert process_pending() == 1
    assert Session.objects.get(pk=first["sid"]).chunk_count == 2


def test_a_worker_whose_clock_runs_ahead_dates_a_new_session_by_the_databases_clock(client, site):
    """Given a visitor's first batch; when a worker on a host whose clock is an hour ahead stores it; then
    the new session's created_at is the database's moment, between the batch's arrival and now."""
    batch = make_batch(site.pk)
    assert post_batch(client, batch).status_code == 202
    arrived = Chunk.objects.get(session_id=batch["sid"]).created_at

    with host_clock_off(timedelta(hours=1)):
        assert process_pending() == 1

    assert arrived <= Session.objects.get(pk=batch["sid"]).created_at <= db_now()


def test_a_worker_whose_clock_runs_ahead_leaves_the_chunks_another_holds(client, site):
    """Given a batch that one worker has claimed (its lease runs for CHUNK_LEASE_SECONDS); when a worker
    on a host whose clock is five minutes ahead gets its message; then it leaves the batch to the holder,
    which stores it."""
    batch = make_batch(site.pk)
    assert post_batch(client, batch).status_code == 202
    chunk = Chunk.objects.get(session_id=batch["sid"])
    holder = services._Claim.take({chunk.session_id})
    assert holder.ids == [chunk.pk]

    with host_clock_off(timedelta(minutes=5)):
        assert services.chunks_process(chunk_ids=[chunk.pk]) == 0

    assert holder.commit() == [chunk.pk]


def test_a_dashboard_whose_clock_runs_ahead_still_shows_a_session_in_progress_as_live(client, site):
    """Given a session whose batch the worker has just stored; when the dashboard runs on a host whose clock
    is two minutes ahead of the database's; then the session is live in the list, its live filter, the API
    and the player page."""
    batch = make_batch(site.pk)
    assert post_batch(client, batch).status_code == 202
    assert process_pending() == 1
    auth = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=site.owner).key}"}
    client.force_login(site.owner)

    with host_clock_off(timedelta(minutes=2)):
        listed = client.get(f"/api/v1/sites/{site.pk}/sessions/?live=1", **auth).json()["results"]
        detail = client.get(f"/api/v1/sessions/{batch['sid']}/", **auth).json()
        page = client.get(f"/sites/{site.pk}/?live=1")
        player = client.get(f"/sites/{site.pk}/sessions/{batch['sid']}/")

    assert [(item["id"], item["is_live"]) for item in listed] == [(batch["sid"], True)]
    assert detail["is_live"] is True
    assert page.context["live_ids"] == {uuid.UUID(batch["sid"])}
    assert player.context["is_live"] is True


def test_a_web_host_whose_clock_runs_ahead_moves_no_visitors_session(client, site):
    """Given a visitor whose clock is right; when the web host that takes its batch reads a clock five
    minutes ahead of the database's; then the session keeps the events' times (no clock offset): its
    length is the visitor's 500 ms, not five minutes more (which would keep it past a site's minimum)."""
    batch = make_batch(site.pk)
    sent_at = batch["events"][-1]["timestamp"]

    with host_clock_off(timedelta(minutes=5)):
        response = client.generic("POST", f"/api/v1/ingest?wid={site.pk}&t={sent_at}", json.dumps(batch).encode(),
                                  content_type="text/plain", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 202
    assert process_pending() == 1

    session = Session.objects.get(pk=batch["sid"])
    assert session.clock_offset_ms == 0
    assert session.duration_ms == 500


def test_retention_on_a_host_whose_clock_runs_ahead_deletes_no_session_before_its_time(client, site):
    """Given two sessions of a site keeping recordings 30 days, one last received 30 days less two minutes
    ago, one 30 days and two minutes ago; when retention runs on a host whose clock is five minutes ahead;
    then only the older one is deleted."""
    kept, expired = make_batch(site.pk), make_batch(site.pk, vid="visitor-0002")
    for batch in (kept, expired):
        assert post_batch(client, batch).status_code == 202
    assert process_pending() == 2
    now = timezone.now()
    for batch, age in ((kept, timedelta(days=30, minutes=-2)), (expired, timedelta(days=30, minutes=2))):
        Session.objects.filter(pk=batch["sid"]).update(received_at=now - age)

    with host_clock_off(timedelta(minutes=5)):
        assert retention_purge() == 1

    assert list(Session.objects.values_list("pk", flat=True)) == [uuid.UUID(kept["sid"])]


def test_a_deletion_on_a_host_whose_clock_runs_behind_refuses_the_sessions_batches_its_full_days(client, site):
    """Given a stored session; when a viewer deletes it through a web host whose clock is five minutes
    behind the database's; then retention, run by the database's clock a refusal's days less two minutes
    later, still keeps the refusal, and the visitor's next batch is refused (410), not stored again."""
    batch = make_batch(site.pk)
    assert post_batch(client, batch).status_code == 202
    assert process_pending() == 1
    auth = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=site.owner).key}"}

    with host_clock_off(-timedelta(minutes=5)):
        assert client.delete(f"/api/v1/sessions/{batch['sid']}/", **auth).status_code == 204
    retention_purge(now=db_now() + timedelta(days=DELETED_SESSION_DAYS, minutes=-2))

    later = post_batch(client, make_batch(site.pk, sid=batch["sid"], seq=1))
    assert (later.status_code, later.json()["error"]) == (410, "session_deleted")


def test_a_live_viewer_on_a_host_whose_clock_runs_ahead_waits_for_a_late_batch(client, site):
    """Given a session whose batch 2 was stored before its batch 1 (a retry); when a viewer following it live
    asks for its events through a web host whose clock is two minutes ahead; then the events stop at the
    fresh gap (next seq 1), so the late batch is shown when it comes, not skipped for good."""
    sid = make_batch(site.pk)["sid"]
    for seq in (0, 2):
        assert post_batch(client, make_batch(site.pk, sid=sid, seq=seq)).status_code == 202
    assert process_pending() == 2
    auth = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=site.owner).key}"}

    with host_clock_off(timedelta(minutes=2)):
        response = client.get(f"/api/v1/sessions/{sid}/events/?from_seq=0", **auth)

    assert response.status_code == 200 and response["X-Next-Seq"] == "1"


@contextmanager
def throwaway_redis():
    """A redis-server of this test's own on a free port (the shared one's settings are never touched):
    its URL and a client to set it up."""
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        connection = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                connection.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0", connection
    finally:
        process.kill()
        process.wait()


@pytest.fixture
def full_redis():
    """A Redis of its own that refuses every write, as one at `maxmemory` with `noeviction` does."""
    with throwaway_redis() as (url, connection):
        connection.config_set("maxmemory-policy", "noeviction")
        connection.config_set("maxmemory", 1)  # below what an empty Redis uses: every write is refused
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            connection.set("probe", "1")
        yield url


@pytest.fixture
def read_only_redis():
    """A Redis of its own that answers reads and refuses writes: a replica (of a master that is not there),
    as a failed-over or misconfigured broker can be."""
    with throwaway_redis() as (url, connection):
        connection.replicaof("127.0.0.1", free_port())
        with pytest.raises(redis.exceptions.ReadOnlyError):
            connection.set("probe", "1")
        yield url


def test_the_api_answers_503_with_retry_after_while_redis_is_full(client, owner, full_redis):
    """DRF's throttle writes to the cache on every request: a full Redis is a dependency down, not a bug."""
    token = Token.objects.create(user=owner).key
    cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": full_redis}

    with override_settings(CACHES={"default": cache}):
        response = client.get("/api/v1/sites/", HTTP_AUTHORIZATION=f"Token {token}")

    assert (response.status_code, response.headers.get("Retry-After")) == (503, "10")
    assert response.json()["error"] == "unavailable"



@pytest.mark.parametrize("broker", ["full_redis", "read_only_redis"])
def test_readyz_names_a_broker_that_answers_but_refuses_messages(client, settings, broker, request):
    """A full or read-only Redis still answers PING, but ingest's ids cannot be published (storing pauses)."""
    # Given a broker that is up and refuses writes (the cache is the shared, healthy Redis)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = request.getfixturevalue(broker)
    settings.READYZ_TIMEOUT = 10
    # When a probe asks
    response = client.get("/readyz")
    # Then it is told 503, naming the broker and the refusal's kind
    assert response.status_code == 503, response.json()
    assert response.json()["failing"] == ["broker"]
    assert response.json()["checks"]["broker"] in ("error: OutOfMemoryError", "error: ReadOnlyError")


@contextmanager
def database_read_only():
    """Every new connection takes no writes, as a standby's does (a database the app was pointed at after a
    failover, or one set read-only as its disk filled): a connection option; the server is not touched."""
    options = connection.settings_dict.setdefault("OPTIONS", {})
    before = options.get("options")
    options["options"] = "-c default_transaction_read_only=on"
    connection.close()
    try:
        yield
    finally:
        options.pop("options") if before is None else options.update(options=before)
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_database_that_takes_no_writes_is_a_dependency_down_for_ingest_and_the_dashboard(client, site):
    """Given a database that answers reads and refuses writes; when a recorder sends a batch and an owner adds
    a site; then both are told 503 with Retry-After (ingest in JSON), not a 500, and nothing changed, and the
    readiness probe names the database; the batch is accepted once the database takes writes again."""
    batch = make_batch(site.pk)
    client.force_login(site.owner)

    with database_read_only():
        ingest = post_batch(client, batch)
        new_site = client.post("/sites/new/", {"name": "Blog", "domains": "blog.example.com"})
        ready = client.get("/readyz")

    assert (ingest.status_code, ingest["Retry-After"], ingest.json()["error"]) == (503, "10", "unavailable")
    assert (new_site.status_code, new_site["Retry-After"]) == (503, "10")
    assert (ready.status_code, ready.json()["checks"]["database"]) == (503, "error: DatabaseReadOnly")
    assert not Chunk.objects.exists() and list(Site.objects.all()) == [site]
    assert post_batch(client, batch).status_code == 202


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_worker_retries_a_batch_while_the_database_takes_no_writes(client, site):
    """Given a batch accepted, and then a database that refuses writes; when the worker's task runs; then it
    fails as a dependency down (OperationalError: retried with backoff), not as a bug that only the sweeper
    would rescue, and the batch is stored once the database takes writes again."""
    from recorder.tasks import chunks_process

    assert post_batch(client, make_batch(site.pk)).status_code == 202
    chunk = Chunk.objects.get()

    with database_read_only(), pytest.raises(OperationalError, match="read-only"):
        chunks_process.run([chunk.pk])

    assert Chunk.objects.get().status == Chunk.PENDING
    assert process_pending() == 1


@contextmanager
def recordings_at(settings, endpoint: str, **options):
    """Recordings on the S3 API at this endpoint (with these storage options) for the block."""
    storages = {**settings.STORAGES, "recordings": {**settings.STORAGES["recordings"]}}
    storages["recordings"]["OPTIONS"] = {**storages["recordings"]["OPTIONS"], "endpoint_url": endpoint, **options}
    before, settings.STORAGES = settings.STORAGES, storages  # (Django's setting_changed builds the storages again)
    try:
        yield
    finally:
        settings.STORAGES = before


@contextmanager
def storage_answering(settings, status: int, code: str):
    """Recordings on an S3 API that answers every request with this error (S3's SlowDown, a MinIO still
    starting): a throwaway server on a free port. Each request is tried once (boto's retries wait seconds)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from botocore.config import Config

    body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>Try later.</Message></Error>'.encode()

    class Refusing(BaseHTTPRequestHandler):
        def answer(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with recordings_at(settings, f"http://127.0.0.1:{server.server_port}",
                           client_config=Config(retries={"max_attempts": 1, "mode": "standard"})):
            yield
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def storage_hanging(settings):
    """Recordings on an S3 API that takes every connection and never answers (a hung object store): a
    throwaway socket server on a free port. Yields the connections it took so far."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    taken: list[socket.socket] = []

    def take():
        while True:
            try:
                taken.append(listener.accept()[0])
            except OSError:  # closed: the block is over
                return

    threading.Thread(target=take, daemon=True).start()
    try:
        with recordings_at(settings, f"http://127.0.0.1:{listener.getsockname()[1]}"):
            yield taken
    finally:
        listener.close()
        for connection_taken in taken:
            connection_taken.close()


def recorded_part(client, site) -> tuple[dict, str, str]:
    """A compacted session of one batch, a token of the site's owner and the URL of its part (logged in)."""
    from recorder.compaction import session_compact

    batch = make_batch(site.pk)
    post_batch(client, batch)
    process_pending()
    assert session_compact(session_id=batch["sid"]) == 1
    token = Token.objects.create(user=site.owner).key
    part = client.get(f"/api/v1/sessions/{batch['sid']}/recording/",
                      HTTP_AUTHORIZATION=f"Token {token}").json()["parts"][0]["url"]
    client.force_login(site.owner)
    return batch, token, part


def test_storage_answering_with_server_errors_is_a_dependency_down_for_the_api_and_the_dashboard(client, site, settings):
    """An S3 API that answers 503 SlowDown (or a 500) is down as one that refuses connections is: the player's
    part and a deletion were a 500, with the error's traceback."""
    if not settings.S3_BUCKET:
        pytest.skip("needs the S3 API (the Postgres pass runs one)")
    batch, token, part = recorded_part(client, site)

    with storage_answering(settings, 503, "SlowDown"):
        read = client.get(part, HTTP_AUTHORIZATION=f"Token {token}")
        deleted = client.post(f"/sites/{site.pk}/sessions/{batch['sid']}/delete/")

    assert (read.status_code, read["Retry-After"], read.json()["error"]) == (503, "10", "unavailable")
    assert (deleted.status_code, deleted["Retry-After"]) == (503, "10")
    assert Session.objects.filter(pk=batch["sid"]).exists()
    assert client.get(part, HTTP_AUTHORIZATION=f"Token {token}").status_code == 200  # once it answers again


def test_storage_that_never_answers_fails_within_its_timeouts_and_is_a_dependency_down(client, site, settings):
    """An object store that takes connections and never answers held a web process (ingest shares them) or a
    worker for boto's defaults: 60 s to connect and 60 s a read, five tries. Its waits are the settings'."""
    if not settings.S3_BUCKET:
        pytest.skip("needs the S3 API (the Postgres pass runs one)")
    from botocore.exceptions import ReadTimeoutError

    from ops.deadline import run_with_deadline
    from recorder.storage import object_read

    batch, token, part = recorded_part(client, site)
    key = Segment.objects.get(session_id=batch["sid"]).key
    settings.S3_CONNECT_TIMEOUT, settings.S3_READ_TIMEOUT, settings.S3_MAX_ATTEMPTS = 1, 0.5, 2

    with storage_hanging(settings) as taken:
        with pytest.raises(ReadTimeoutError):
            run_with_deadline(lambda: object_read(key), 30)  # (only so that a hang fails the test)
        tries = len(taken)
        read = client.get(part, HTTP_AUTHORIZATION=f"Token {token}")
        deleted = client.post(f"/sites/{site.pk}/sessions/{batch['sid']}/delete/")

    assert tries == 2
    assert (read.status_code, read["Retry-After"], read.json()["error"]) == (503, "10", "unavailable")
    assert (deleted.status_code, deleted["Retry-After"]) == (503, "10")
    assert Session.objects.filter(pk=batch["sid"]).exists()
    assert client.get(part, HTTP_AUTHORIZATION=f"Token {token}").status_code == 200  # once it answers again
