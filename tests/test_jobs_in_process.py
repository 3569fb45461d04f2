"""The embedded default runs its periodic jobs in the web process: from the moment the server starts,
not from its first request (a server restarted at night, with no visitor, still purges what expired)."""
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.run import free_port

ROOT = Path(__file__).resolve().parent.parent
SEED = """
import uuid
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from recorder.models import Session
from sites.models import Site
site = Site.objects.create(name="Shop", domains=["shop.example.com"], owner=User.objects.create_user("owner"),
                           retention_days=30)
session = Session.objects.create(id=uuid.uuid4(), site=site, visitor_id="visitor-0001")
expired = timezone.now() - timedelta(days=400)
Session.objects.filter(pk=session.pk).update(created_at=expired, received_at=expired)
"""


def sessions(database: Path) -> int:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT count(*) FROM recorder_session").fetchone()[0]


def test_the_embedded_server_purges_an_expired_session_without_being_asked_anything(tmp_path):
    # Given the embedded default (SQLite, local files, no broker) holding a session past its site's retention
    database = tmp_path / "hindsight.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DATA_DIR": str(tmp_path), "S3_BUCKET": "",
           "REDIS_URL": "", "CELERY_BROKER_URL": "", "JOBS_IN_PROCESS": "true", "LOG_LEVEL": "INFO"}
    for command in (["migrate", "--verbosity", "0"], ["shell", "-c", SEED]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=120)
    assert sessions(database) == 1  # management commands run no jobs
    # When `make run`'s server starts (runserver with its autoreloader) and no request comes
    log = tmp_path / "server.log"
    with open(log, "wb") as output:
        server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{free_port()}"], cwd=ROOT,
                                  env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while sessions(database) and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.5)
        # Then retention has run: the session is gone, purged by the jobs of the serving process alone
        assert sessions(database) == 0, log.read_text()
        assert log.read_text().count("periodic jobs run in this process") == 1, log.read_text()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
