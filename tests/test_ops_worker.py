"""A real Celery worker as the image runs it: prefork pool, JSON logs, its own metrics port, the ping check."""
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from ops.logs import request_id_var
from recorder.processing import chunk_text
from tests.run import free_port
from tests.test_ops_metrics import database_url, samples

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory):
    """A prefork worker with two processes, its metrics on a loopback port, on a queue of its own."""
    tmp_path = tmp_path_factory.mktemp("worker")
    queue, node, port = f"ops-{uuid.uuid4().hex[:8]}", f"ops-{uuid.uuid4().hex[:8]}@localhost", free_port()
    env = {
        **os.environ, "DATABASE_URL": database_url(), "CELERY_TASK_ALWAYS_EAGER": "false", "LOG_FORMAT": "json",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "WORKER_METRICS_PORT": str(port),
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork", "--concurrency=2",
             "-Q", queue, "-n", node, "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while "ready." not in log_path.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the worker did not start:\n{log_path.read_text()}")
        time.sleep(0.2)
    yield {"queue": queue, "node": node, "metrics": f"http://127.0.0.1:{port}/metrics", "log": log_path}
    process.terminate()
    process.wait(timeout=30)


def log_lines(path: Path) -> list[dict]:
    lines = []
    for line in path.read_text().splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue  # Celery's start-up banner is plain text
    return lines


def wait_for(predicate, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError("timed out")


def test_a_task_logs_one_json_line_with_the_id_of_the_request_that_queued_it(worker):
    from recorder.tasks import sessions_sweep

    # Given a request being handled (its id set, as RequestLogMiddleware does)
    token = request_id_var.set("req-4711")
    try:
        # When it queues a task that the worker runs
        result = sessions_sweep.apply_async(queue=worker["queue"])
    finally:
        request_id_var.reset(token)

    # Then the worker logs one JSON line for the task, with the task's name, id, state, duration and request id
    def task_line():
        return [line for line in log_lines(worker["log"]) if line.get("task_id") == result.id]

    lines = wait_for(task_line)
    assert len(lines) == 1
    line = lines[0]
    assert line["task"] == "recorder.tasks.sessions_sweep" and line["state"] == "SUCCESS"
    assert line["request_id"] == "req-4711" and line["logger"] == "hindsight.task" and line["level"] == "INFO"
    assert isinstance(line["duration_ms"], float)


def test_the_worker_serves_the_task_counts_of_its_whole_pool(worker):
    from recorder.tasks import sessions_sweep

    # Given a prefork worker whose pool processes run the tasks
    key = ("hindsight_tasks_total", (("state", "SUCCESS"), ("task", "recorder.tasks.sessions_sweep")))

    def count() -> float:
        return samples(urllib.request.urlopen(worker["metrics"], timeout=5).read().decode()).get(key, 0)

    before = count()
    # When it runs three tasks
    for _ in range(3):
        sessions_sweep.apply_async(queue=worker["queue"])
    # Then its metrics port, served by the main process, counts all three
    wait_for(lambda: count() == before + 3)


def test_workerping_passes_for_a_running_worker_and_fails_for_a_missing_one(worker):
    def ping(node: str, **env) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", "workerping", "--node", node, "--timeout", "3"],
            cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url(), **env}, capture_output=True, text=True, timeout=60,
        )

    alive = ping(worker["node"])
    assert alive.returncode == 0, alive.stderr
    assert "pong" in alive.stdout
    missing = ping("nobody@nowhere")
    assert missing.returncode == 1
    assert "did not answer" in missing.stderr
    # A broker that is down is named, in one line, not a traceback's last one
    no_broker = ping(worker["node"], CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert no_broker.returncode == 1
    assert "cannot reach the broker" in no_broker.stderr and "Traceback" not in no_broker.stderr


def test_two_worker_processes_store_a_session_s_batches_in_turn_each_knowing_the_earlier_ones(worker, site):
    """Batch 0 adds a password field, batches 1-8 type into it, each batch its own message to a pool of two
    processes, while batch 0 is held under another worker's lease for a moment: the messages wait (tried
    again with backoff), and the session's batches are stored in turn, each knowing the field."""
    import gzip
    from datetime import timedelta

    from django.utils import timezone

    from recorder.ingest import Visitor, batch_check, chunk_accept
    from recorder.models import Chunk, Session
    from recorder.tasks import chunks_process
    from sites.rules import site_rules
    from tests.conftest import ORIGIN, make_batch, password_field_batches

    sid = str(uuid.uuid4())
    batches = password_field_batches([f"hunter{seq}" for seq in range(1, 9)])
    visitor = Visitor(origin=ORIGIN, ip="127.0.0.1", user_agent="", cookies={}, meta={})
    ids = []
    for seq, events in enumerate(batches):
        body = gzip.compress(json.dumps(make_batch(site.pk, sid=sid, seq=seq, events=events)).encode())
        ids.append(chunk_accept(rules=site_rules(site.pk), batch=batch_check(body, max_inflated=10**7, max_events=1000),
                                body=body, visitor=visitor))
    Chunk.objects.filter(pk=ids[0]).update(lease_until=timezone.now() + timedelta(seconds=1))
    for chunk_id in ids[1:]:
        chunks_process.apply_async(args=[[chunk_id]], queue=worker["queue"])
    time.sleep(1.5)  # the lease has ended: the other worker is gone, as if killed
    chunks_process.apply_async(args=[[ids[0]]], queue=worker["queue"])

    wait_for(lambda: not Chunk.objects.filter(pk__in=ids).exclude(status=Chunk.STORED).exists(), timeout=60)
    for chunk in Chunk.objects.filter(pk__in=ids):
        assert b"hunter" not in chunk_text(chunk.data), chunk.seq
    session = Session.objects.get(pk=sid)
    assert (session.chunk_count, session.scrub_ids) == (9, [9])
