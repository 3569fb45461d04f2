"""GET /metrics: Prometheus metrics behind a token; the functions ingest and the worker call."""
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from ops import metrics
from recorder.models import Chunk
from tests.factories import SessionFactory
from tests.run import free_port
from tests.test_fault_operator import host_clock_off
from tests.test_ops_health import closed_port  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "scrape-token-for-tests"


def scrape(client, **headers) -> dict[tuple, float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **headers)
    assert response.status_code == 200, response.content
    return samples(response.content.decode())


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} of a Prometheus text exposition."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def test_metrics_are_off_until_a_token_is_set(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", "Bearer ü"])
def test_metrics_refuse_a_scraper_without_the_token(client, token, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/metrics", **headers)
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


@pytest.mark.django_db
def test_each_recording_function_counts_in_the_scrape(client, token, settings):
    # Given the counts as they are
    settings.CELERY_TASK_ALWAYS_EAGER = True
    before = scrape(client)
    # When ingest and the worker report what happened
    metrics.batch_accepted()
    metrics.batch_accepted()
    metrics.batch_refused("origin_not_allowed")
    metrics.batch_stored(0.2)
    metrics.batch_failed("storage_error")
    metrics.events_api_observed(0.05)
    after = scrape(client, HTTP_HOST="10.1.2.3:9000")

    # Then each shows in the next scrape
    def grew(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("hindsight_batches_accepted_total") == 2
    assert grew("hindsight_batches_refused_total", reason="origin_not_allowed") == 1
    assert grew("hindsight_batches_stored_total") == 1
    assert grew("hindsight_batch_store_seconds_count") == 1
    assert grew("hindsight_batch_store_seconds_sum") == pytest.approx(0.2)
    assert grew("hindsight_batches_failed_total", reason="storage_error") == 1
    assert grew("hindsight_events_api_seconds_count") == 1


@pytest.mark.django_db
def test_pending_gauges_show_the_batches_waiting_to_be_stored_and_the_oldest_age(client, token, settings):
    # Given two accepted batches not stored yet, the oldest two minutes old, and one stored
    settings.CELERY_TASK_ALWAYS_EAGER = True
    session = SessionFactory()
    for seq, status in enumerate([Chunk.PENDING, Chunk.PENDING, Chunk.STORED]):
        Chunk.objects.create(site=session.site, session=session, seq=seq, status=status, key=f"k{seq}")
    Chunk.objects.filter(seq=0).update(created_at=timezone.now() - timedelta(minutes=2))
    # When Prometheus scrapes a web host whose clock is five minutes ahead of the database's
    with host_clock_off(timedelta(minutes=5)):
        found = scrape(client)
    # Then it sees two pending batches, the oldest about 120 s old by the database's clock, which wrote it
    assert found[("hindsight_batches_pending", ())] == 2
    assert 119 <= found[("hindsight_batch_oldest_pending_age_seconds", ())] < 180
    assert ("hindsight_broker_queue_length", (("queue", settings.CELERY_TASK_DEFAULT_QUEUE),)) not in found


@pytest.mark.django_db
def test_no_pending_batch_gives_zero_age(client, token):
    found = scrape(client)
    assert found[("hindsight_batches_pending", ())] == 0
    assert found[("hindsight_batch_oldest_pending_age_seconds", ())] == 0


@pytest.mark.django_db
def test_broker_queue_length_counts_the_tasks_waiting_in_redis(client, token, settings):
    # Given three tasks waiting in a queue of their own on the real Redis broker, and no worker
    from recorder.tasks import sessions_sweep

    from recorder.ingest import publisher

    queue = f"ops-metrics-{uuid.uuid4().hex[:8]}"
    # (ids an earlier test's ingest left to the publisher go to the default queue: sent now, none meanwhile)
    publisher.flush()
    with publisher.lock:
        settings.CELERY_TASK_ALWAYS_EAGER = False
        settings.CELERY_TASK_DEFAULT_QUEUE = queue
        assert scrape(client)[("hindsight_broker_queue_length", (("queue", queue),))] == 0
        for _ in range(3):
            sessions_sweep.apply_async(queue=queue)
        try:
            # When Prometheus scrapes
            found = scrape(client)
        finally:
            from config.celery import app

            with app.connection_for_write() as connection:
                connection.default_channel.queue_purge(queue)
    # Then it sees them
    assert found[("hindsight_broker_queue_length", (("queue", queue),))] == 3


@pytest.mark.django_db
def test_a_dead_broker_leaves_the_queue_gauge_out_but_the_scrape_answers(client, token, settings, closed_port):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    found = scrape(client)
    assert not any(name == "hindsight_broker_queue_length" for name, _ in found)
    assert ("hindsight_batches_pending", ()) in found


def test_counters_of_several_processes_add_up_in_multiprocess_mode(tmp_path):
    # Given three processes sharing one PROMETHEUS_MULTIPROC_DIR, as gunicorn's workers do
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = (
        "import django; django.setup(); from ops import metrics; "
        "metrics.batch_accepted(); metrics.batch_refused('not_sampled')"
    )
    # When two of them count a batch each
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
                       check=True, timeout=60)
    # Then the third one's scrape sees both
    read = (
        "import django; django.setup(); from ops import metrics; "
        "body, _ = metrics.exposition(metrics.registry_for_scrape(backlog=False), None); print(body.decode())"
    )
    result = subprocess.run([sys.executable, "-c", read], cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
                            check=True, capture_output=True, text=True, timeout=60)
    found = samples(result.stdout)
    assert found[("hindsight_batches_accepted_total", ())] == 2
    assert found[("hindsight_batches_refused_total", (("reason", "not_sampled"),))] == 2


def test_a_long_reason_is_cut_so_it_cannot_flood_the_labels(client, token):
    metrics.batch_failed("x" * 500)
    assert ("hindsight_batches_failed_total", (("reason", "x" * 64),)) in scrape(client)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_gunicorn_workers_answer_one_scrape_with_all_their_counts(tmp_path):
    # Given the image's gunicorn settings: two workers sharing a metrics directory
    port = free_port()
    env = {
        **os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2", "METRICS_TOKEN": TOKEN, "DATABASE_URL": database_url(),
    }
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:ops.gunicorn_config", "config.wsgi"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", server)
        # When 20 requests are answered, by whichever worker takes each
        for _ in range(20):
            assert urllib.request.urlopen(f"{base}/accounts/login/", timeout=10).status == 200
        request = urllib.request.Request(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        found = samples(urllib.request.urlopen(request, timeout=10).read().decode())
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    # Then one scrape counts all 20, and both workers wrote their counts to the shared directory
    assert found[("hindsight_http_responses_total", (("status", "200"),))] == 20
    assert len(list((tmp_path / "metrics").glob("counter_*.db"))) >= 2


def database_url() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[2]} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")
