"""`make run`'s server on Postgres holds no database connection for a request that is over.

runserver answers each HTTP connection on a thread of its own, and a thread's database connection
outlives its request (DATABASE_CONN_MAX_AGE); when the thread ends, nothing closed it: it stayed open
in Postgres until Python's garbage collector happened to free it, and a while of dashboard use held
90-odd of Postgres's 100.
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.conftest import ORIGIN, make_batch
from tests.run import free_port
from tests.test_ops_metrics import database_url, wait_until_up

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent
# Each on an HTTP connection of its own, so each on a thread of its own. API reads come last: they make
# less garbage than batches, so the collector is less likely to have freed the connections they leave.
BATCHES, READS = 10, 30


def held_by(application_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application_name])
        return cursor.fetchone()[0]


def test_the_dev_server_closes_each_request_threads_database_connection(site, tmp_path):
    # Given `make run`'s server (runserver, with its autoreloader) on Postgres, with the default
    # DATABASE_CONN_MAX_AGE, its connections named so that Postgres can count them
    name = f"hindsight-runserver-{os.getpid()}"
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"{database_url()}?application_name={name}", "DATABASE_CONN_MAX_AGE": "60",
           "REDIS_URL": "", "CELERY_BROKER_URL": "", "JOBS_IN_PROCESS": "false"}
    token = Token.objects.create(user=site.owner).key
    base = f"http://127.0.0.1:{port}"
    with open(tmp_path / "server.log", "wb") as log:
        server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"], cwd=ROOT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_up(f"{base}/healthz", server)

        # When it answers batches and API requests, a few at a time
        def ingest(_) -> int:
            body = json.dumps(make_batch(site.pk)).encode()
            request = urllib.request.Request(f"{base}/api/v1/ingest", data=body, method="POST",
                                             headers={"Origin": ORIGIN, "Content-Type": "text/plain"})
            return urllib.request.urlopen(request, timeout=30).status

        def api(_) -> int:
            request = urllib.request.Request(f"{base}/api/v1/sites/{site.pk}/sessions/",
                                             headers={"Authorization": f"Token {token}"})
            return urllib.request.urlopen(request, timeout=30).status

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(ingest, range(BATCHES))) + list(pool.map(api, range(READS)))
        assert answers == [202] * BATCHES + [200] * READS

        # Then, once its threads are done, it holds no connection in Postgres (before: one per request)
        deadline = time.monotonic() + 20
        while held_by(name) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert held_by(name) == 0, (tmp_path / "server.log").read_text()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
