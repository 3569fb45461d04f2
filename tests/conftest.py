import gzip
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
from django.conf import settings

from tests.factories import SiteFactory, UserFactory

ORIGIN = "https://shop.example.com"
ROOT = Path(__file__).resolve().parent.parent


def _flush_retrying_deadlocks(flush):
    """The flush between transactional tests, tried again when Postgres picks it as a deadlock's victim.

    A request or task still running when a test ends (a page's last upload, the worker storing it) takes its
    table locks in another order than TRUNCATE does; Postgres then aborts one of the two. The other finishes,
    so the flush succeeds on a later try.
    """

    def fixture_teardown(self):
        for attempt in range(5):
            try:
                return flush(self)
            except Exception as error:
                if "deadlock detected" not in str(error.__cause__ or error) or attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))

    return fixture_teardown


def pytest_configure(config):
    from django.test import TransactionTestCase

    TransactionTestCase._fixture_teardown = _flush_retrying_deadlocks(TransactionTestCase._fixture_teardown)


@pytest.fixture(scope="session", autouse=True)
def s3_bucket():
    """The recordings bucket on the S3 server over HTTP (moto, started by tests/run.py)."""
    if not settings.S3_BUCKET:
        yield None
        return
    client = s3_client()
    try:
        client.create_bucket(Bucket=settings.S3_BUCKET)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    yield settings.S3_BUCKET


def s3_client():
    options = settings.STORAGES["recordings"]["OPTIONS"]
    return boto3.client(
        "s3", endpoint_url=options["endpoint_url"], region_name=options["region_name"],
        aws_access_key_id=options["access_key"], aws_secret_access_key=options["secret_key"],
    )


def s3_objects(prefix: str = "") -> dict[str, bytes]:
    """Every stored object under `prefix`, read back over HTTP."""
    client = s3_client()
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=settings.S3_BUCKET, Prefix=prefix):
        for item in page.get("Contents", []):
            found[item["Key"]] = client.get_object(Bucket=settings.S3_BUCKET, Key=item["Key"])["Body"].read()
    return found


@pytest.fixture
def local_recordings(settings, tmp_path):
    """Recordings on local files under tmp_path, with the backend the embedded default uses."""
    default = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from django.conf import settings; print(settings.STORAGES['recordings']['BACKEND'])"],
        cwd=ROOT, env={**os.environ, "S3_BUCKET": ""}, capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split()[-1]
    settings.STORAGES = {**settings.STORAGES, "recordings": {
        "BACKEND": default, "OPTIONS": {"location": str(tmp_path), "allow_overwrite": True},
    }}  # (Django's setting_changed builds the storages again)
    return tmp_path


@pytest.fixture(params=["s3", "local"])
def stored(request):
    """Recordings on the S3 server, then on local files (local_recordings); returns what reads the keys stored
    under a prefix without our code: the S3 server's listing, or the files."""
    if request.param == "s3":
        return lambda prefix: set(s3_objects(prefix))
    root: Path = request.getfixturevalue("local_recordings")
    return lambda prefix: {key for path in root.rglob("*") if path.is_file()
                           and (key := str(path.relative_to(root))).startswith(prefix)}


def process_pending() -> int:
    """Run the worker's task, in this process, on every pending chunk; how many were stored."""
    from recorder.models import Chunk
    from recorder.tasks import chunk_process

    pending = list(Chunk.objects.filter(status=Chunk.PENDING).order_by("pk").values_list("pk", flat=True))
    stored = sum(chunk_process.apply(args=[pk]).get() for pk in pending)
    leased_wait(pending)
    return stored


def leased_wait(pks) -> None:
    """Where a real worker runs too (the e2e suite's, fed by ingest's publisher), it may hold chunks under
    its lease, which the task run in the test leaves to it: wait until it has stored them. A chunk the task
    left free (the worker held its session then) is run here again once the worker lets go."""
    from django.utils import timezone

    from recorder.models import Chunk
    from recorder.tasks import chunk_process

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pending = dict(Chunk.objects.filter(pk__in=pks, status=Chunk.PENDING).values_list("pk", "lease_until"))
        if not pending:
            return
        for pk, lease_until in pending.items():
            if lease_until is None or lease_until < timezone.now():
                chunk_process.apply(args=[pk])
        time.sleep(0.1)


def stored_parts(site_id: int, sid: str | None = None) -> int:
    """How many stored pieces of recordings a site (or one session) has: chunk rows holding data, and objects."""
    from recorder.models import Chunk

    chunks = Chunk.objects.filter(site_id=site_id, data__isnull=False)
    if sid:
        chunks = chunks.filter(session_id=sid)
    prefix = f"sites/{site_id}/" + (f"sessions/{sid}/" if sid else "")
    return chunks.count() + len(s3_objects(prefix))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Tests create many users; the production hasher costs ~0.3 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from recorder.services import _stored_lately
    from sites.rules import site_rules_forget

    cache.clear()
    site_rules_forget()
    # Chunk ids start again where a test resets the sequences.
    _stored_lately.clear()
    yield


@pytest.fixture
def owner(db):
    return UserFactory(username="owner")


@pytest.fixture
def site(owner):
    return SiteFactory(owner=owner, domains=["shop.example.com"])


def make_batch(site_id: int, *, sid: str | None = None, seq: int = 0, vid: str = "visitor-0001", events=None) -> dict:
    now = int(time.time() * 1000)
    return {
        "v": 1, "wid": site_id, "vid": vid, "sid": sid or str(uuid.uuid4()), "seq": seq, "sent": now,
        "events": events if events is not None else [
            {"type": 4, "data": {"href": "https://shop.example.com/", "width": 1280, "height": 720}, "timestamp": now},
            {"type": 5, "data": {"tag": "hs.page", "payload": {"url": "https://shop.example.com/", "title": "Shop", "kind": "load", "referrer": ""}}, "timestamp": now},
            {"type": 3, "data": {"source": 2, "type": 2, "id": 5, "x": 10, "y": 20}, "timestamp": now + 500},
        ],
    }


def password_field_batches(typed: list[str], *, ts: int = 1_700_000_000_000) -> list[list[dict]]:
    """The events of a session's batches: batch 0 adds a password field (node 9), each later batch types one
    of `typed` into it, a second apart. The server masks what is typed only if it knows what batch 0 said
    (a recorder masks it already; the server is the second line)."""
    field = {"type": 2, "tagName": "input", "attributes": {"type": "password"}, "childNodes": [], "id": 9}
    add = {"type": 3, "timestamp": ts, "data": {
        "source": 0, "texts": [], "attributes": [], "removes": [], "adds": [{"parentId": 1, "nextId": None, "node": field}],
    }}
    return [[add]] + [
        [{"type": 3, "timestamp": ts + 1000 * seq, "data": {"source": 5, "id": 9, "text": text, "isChecked": False}}]
        for seq, text in enumerate(typed, start=1)
    ]


def post_batch(client, body, *, origin: str | None = ORIGIN, gzip_it: bool = False, **extra):
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    if gzip_it:
        body = gzip.compress(body)
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return client.generic("POST", "/api/v1/ingest", body, content_type="text/plain", **headers, **extra)


def until_waiting_for_locks(count: int, threads) -> None:
    """Until `count` connections to the test database wait for a lock (Postgres), while every thread runs.

    Watched from a connection of its own in autocommit: one inside a transaction reads the same
    snapshot of pg_stat_activity throughout."""
    import psycopg
    from django.db import connection

    waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as watch:
        while watch.execute(waiting).fetchone()[0] < count:
            assert all(thread.is_alive() for thread in threads), "a thread ended before waiting"
            time.sleep(0.05)


@contextmanager
def stopped_at(lock_sql: str, params: list, *runs):
    """Each of `runs` on a thread of its own, started once the one before waits for a lock (Postgres): the
    first stopped at a lock another transaction holds (`lock_sql`) until the block ends; then they go on, and
    are done."""
    import psycopg
    from django.db import connection

    failures = []

    def run_then_close(run):
        try:
            run()
        except Exception as error:  # noqa: BLE001 - the test's assertion says it
            failures.append(error)
        finally:
            connection.close()

    other = psycopg.connect(**connection.get_connection_params())
    threads = []
    try:
        other.execute(lock_sql, params)
        for run in runs:
            threads.append(threading.Thread(target=run_then_close, args=[run]))
            threads[-1].start()
            until_waiting_for_locks(len(threads), threads)
        yield
        other.commit()
        for thread in threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads)
        assert not failures, failures
    finally:
        other.close()
