"""Faults of the real services: after each, every batch that got 202 is replayable exactly once.

The stack (tests/faults/conftest.py) runs on its own Postgres cluster and
Redis, so restarting them disturbs nothing else.
"""
import os
import signal
import subprocess
import threading
import time

import psycopg
import pytest
import requests

pytestmark = [pytest.mark.fault, pytest.mark.worker, pytest.mark.postgres]


def sql(stack, query: str, *params):
    with psycopg.connect(stack.postgres.url, autocommit=True) as connection:
        return connection.execute(query, params).fetchall()


def test_a_worker_killed_with_sigkill_mid_batch_loses_nothing(stack, client):
    """The chunk it held comes back when its lease ends; none is stored twice."""
    held = []
    for _ in range(5):
        sids = [client.session(2, padding=4000) for _ in range(6)]
        deadline = time.monotonic() + 20
        while not held and time.monotonic() < deadline:
            held = sql(stack, "SELECT id FROM recorder_chunk WHERE status = 'pending' AND lease_until > now()")
        if held:
            stack.kill_worker()
            # The worker may have committed its claim between the query and the kill: then try again.
            held = sql(stack, "SELECT id FROM recorder_chunk WHERE status = 'pending' AND id = ANY(%s)",
                       [row[0] for row in held])
            if held:
                break
            stack.start_worker()
    assert held, "the worker never held a chunk long enough to be killed in the middle of it"
    client.session(3)  # accepted while no worker runs
    stack.start_worker()
    client.all_replayable_once(timeout=90)
    attempts = sql(stack, "SELECT attempts FROM recorder_chunk WHERE id = %s", held[0][0])[0][0]
    assert attempts >= 2, "the held chunk was not claimed again after the kill"
    assert sids


def test_a_broker_restart_without_persistence_loses_nothing(stack, client):
    """Messages queued when Redis went away are lost with it; the sweeper queues their chunks again."""
    stack.worker.send_signal(signal.SIGSTOP)  # the worker takes nothing: messages pile up in Redis
    try:
        for _ in range(10):
            client.session(3)
        queued = len(client.accepted)
        stack.redis.stop()
        during = [client.session(2) for _ in range(5)]  # the broker is down: ingest still keeps them
        assert len(client.accepted) == queued + 10
        time.sleep(2)
        stack.redis.start()
    finally:
        stack.worker.send_signal(signal.SIGCONT)
    client.all_replayable_once(timeout=90)
    assert 500 not in client.statuses and during


def test_a_database_restart_answers_503_then_loses_nothing(stack, client):
    """While Postgres is down ingest answers 503 with Retry-After (clients retry); the worker retries too."""
    stop = threading.Event()

    def visitors():
        while not stop.is_set():
            client.session(2, retry_for=60)

    traffic = threading.Thread(target=visitors)
    traffic.start()
    try:
        time.sleep(2)
        stack.postgres.stop()
        time.sleep(3)
        stack.postgres.start()
        time.sleep(3)
    finally:
        stop.set()
        traffic.join(timeout=120)
    assert 503 in client.statuses or 0 in client.statuses, "no request met the outage"
    assert 500 not in client.statuses
    client.all_replayable_once(timeout=90)


def test_storage_refusing_connections_delays_compaction_and_loses_nothing(stack, client):
    """Chunks are stored in the database, so ingest and the worker carry on; compaction waits for storage."""
    sessions = [client.session(3) for _ in range(4)]
    client.all_replayable_once(timeout=60)
    stack.storage.refuse()
    try:
        with pytest.raises(subprocess.CalledProcessError) as refused:
            stack.manage("compactsessions", *[arg for sid in sessions for arg in ("--session", sid)])
        assert "4 of 4 sessions could not be compacted" in refused.value.stderr
        client.session(3)  # accepted and stored while storage is down
        client.all_replayable_once(timeout=60)
        assert sql(stack, "SELECT count(*) FROM recorder_segment WHERE state = 'ready'") == [(0,)]
    finally:
        stack.storage.open()
    assert "Made 4 segments." in stack.manage("compactsessions", *[arg for sid in sessions for arg in ("--session", sid)])
    client.all_replayable_once(timeout=60)
    keys = {row[0] for row in sql(stack, "SELECT key FROM recorder_segment WHERE state = 'ready'")}
    assert len(keys) == 4 and keys == stored_keys(client.site_id), "an object no ready segment knows of was left behind"
    part = requests.get(f"{stack.base}/api/v1/sessions/{sessions[0]}/recording/",
                        headers={"Authorization": f"Token {client.token}"}).json()["parts"][0]["url"]
    stack.storage.refuse()
    try:
        answer = requests.get(f"{stack.base}{part}", headers={"Authorization": f"Token {client.token}"}, timeout=60)
        assert (answer.status_code, answer.headers.get("Retry-After")) == (503, "10")
    finally:
        stack.storage.open()


def stored_keys(site_id: int) -> set[str]:
    import boto3

    from django.conf import settings

    s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"], region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=settings.S3_BUCKET, Prefix=f"sites/{site_id}/")
    return {item["Key"] for page in pages for item in page.get("Contents", [])}
