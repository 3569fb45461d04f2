"""GET /healthz and /readyz: probes for load balancers and containers, against the real services."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.run import free_port

ROOT = Path(__file__).resolve().parent.parent



@pytest.fixture(autouse=True)
def patient_probe(settings):
    """The first S3 client of a process takes a while to build on a loaded machine: give each check time
    (the test of the deadline sets its own)."""
    settings.READYZ_TIMEOUT = 10

@pytest.fixture
def closed_port():
    """A loopback port nothing listens on: connections are refused at once."""
    return free_port()


@pytest.fixture
def silent_port():
    """A loopback port that accepts connections and never says a word (a hung server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def redis_cache(port: int) -> dict:
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": f"redis://127.0.0.1:{port}/0"}}


def test_healthz_answers_without_touching_any_dependency_or_checking_the_host(client, settings):
    # Given production's HTTPS redirect, and no database access allowed in this test
    settings.SECURE_SSL_REDIRECT = True
    # When a probe calls the container by its internal address over plain HTTP
    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")
    # Then the process answers that it is up, without a redirect or a host error
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_answers_ok_when_database_broker_storage_and_cache_are_reachable(client, settings):
    # Given the real stack of the tests: Postgres, Redis (broker and cache) and S3 over HTTP
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # When a probe asks whether this process can serve
    response = client.get("/readyz", HTTP_HOST="10.1.2.3:8000")
    # Then every dependency answered
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ok", "checks": {"database": "ok", "broker": "ok", "storage": "ok", "cache": "ok"},
    }


@pytest.mark.django_db
def test_readyz_names_the_broker_and_cache_that_refuse_connections(client, settings, closed_port):
    # Given a broker and a cache on a port nothing listens on
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    settings.CACHES = redis_cache(closed_port)
    # When a probe asks
    response = client.get("/readyz")
    # Then it is told 503 and which two are down
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["broker", "cache"]
    assert body["checks"]["database"] == "ok" and body["checks"]["storage"] == "ok"
    assert body["checks"]["cache"].startswith("error: ")


@pytest.mark.django_db
def test_readyz_gives_up_on_a_cache_that_never_answers(client, settings, silent_port):
    # Given a cache server that accepts the connection and then hangs, and a short deadline
    settings.CACHES = redis_cache(silent_port)
    settings.READYZ_TIMEOUT = 0.5
    # When a probe asks
    response = client.get("/readyz")
    # Then the answer comes (instead of hanging with the cache) and names the cache
    assert response.status_code == 503
    assert "cache" in response.json()["failing"]
    assert response.json()["checks"]["cache"] == "timeout"


@pytest.mark.django_db
def test_readyz_names_a_missing_recordings_bucket(client, settings):
    # Given recordings configured for a bucket that does not exist on the S3 server
    if not settings.S3_BUCKET:
        pytest.skip("needs the S3 API (the Postgres pass runs one)")
    storages = {**settings.STORAGES}
    storages["recordings"] = {**storages["recordings"]}
    storages["recordings"]["OPTIONS"] = {**storages["recordings"]["OPTIONS"], "bucket_name": "no-such-bucket-here"}
    settings.STORAGES = storages
    # When a probe asks
    response = client.get("/readyz")
    # Then storage is named as down
    assert response.status_code == 503
    assert response.json()["failing"] == ["storage"]


def test_readyz_names_a_database_that_is_down(closed_port):
    # Given a web process whose database refuses connections
    env = {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port}/hindsight"}
    script = "from django.test import Client; r = Client().get('/readyz'); print(r.status_code, r.content.decode())"
    # When a probe asks it
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    # Then it answers 503 naming the database
    status, body = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "503", result.stderr
    assert "database" in json.loads(body)["failing"]


def test_readyz_and_healthz_answer_only_reads(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405


@pytest.mark.django_db
def test_embedded_defaults_skip_the_broker_they_do_not_use(client, settings):
    # Given tasks that run in-process (no broker), as `make run` does
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # When a probe asks
    response = client.get("/readyz")
    # Then the broker is skipped, not failed
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "skipped"
