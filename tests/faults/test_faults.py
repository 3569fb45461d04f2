"""Faults of the real services: after each, every batch that got 202 is replayable exactly once.

The stack (tests/faults/conftest.py) runs on its own Postgres cluster and
Redis, so restarting them disturbs nothing else.
"""
import signal
import threading
import time

import psycopg
import pytest

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
            break
    assert held, "the worker never held a chunk long enough to be killed in the middle of it"
    assert sql(stack, "SELECT status FROM recorder_chunk WHERE id = %s", held[0][0]) == [("pending",)]
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
