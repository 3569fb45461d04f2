"""The per-session batch limit: 429 past it, counted in the process, shared through Redis, never waited for."""
import os
import socket
import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from recorder import ratelimit
from recorder.models import Chunk
from tests.conftest import make_batch, post_batch
from tests.test_fault_operator import host_clock_off


@pytest.mark.django_db
def test_a_session_past_its_limit_gets_429_and_nothing_is_written(client, site, settings):
    settings.INGEST_RATE_PER_MINUTE = 3
    sid = str(uuid.uuid4())
    answers = [post_batch(client, make_batch(site.pk, sid=sid, seq=seq)) for seq in range(4)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert answers[3].json()["error"] == "rate_limited"
    assert sorted(Chunk.objects.values_list("seq", flat=True)) == [0, 1, 2]
    # another session of the same visitor is not held back
    assert post_batch(client, make_batch(site.pk)).status_code == 202


def one_minute_ahead():
    """Wait out a minute about to end, so that every count of the test falls in one minute's slot."""
    if time.time() % 60 > 58:
        time.sleep(60.1 - time.time() % 60)


@pytest.mark.skipif(not settings.REDIS_URL, reason="counts are shared through Redis")
def test_processes_learn_each_others_counts_at_the_next_exchange():
    one_minute_ahead()
    key = f"test:{uuid.uuid4()}"
    one, two = ratelimit.Counter(), ratelimit.Counter()
    one.pid = two.pid = os.getpid()  # no exchanging threads: the test exchanges itself
    assert [one.allowed(key, 5) for _ in range(5)] == [True] * 5
    one.sync()
    assert two.allowed(key, 5)  # it has not heard of the other's five yet
    two.sync()  # now it has: 6 in all this minute
    assert not two.allowed(key, 5)
    assert not one.allowed(key, 5)  # 5 known to it and this one: 6
    minute = int(time.time() // 60)
    assert int(redis.Redis.from_url(settings.REDIS_URL).get(f"rate:{key}:{minute}")) == 6


@pytest.mark.skipif(not settings.REDIS_URL, reason="counts are shared through Redis")
def test_web_hosts_whose_clocks_differ_count_a_session_in_the_same_minute():
    """Given two web hosts, the second's clock five minutes ahead of the first's; when a session sends its limit
    to the first and more to the second; then the second refuses them once it has exchanged its count: both
    count in Redis's minute, not each in its own (which let a client spread over N hosts send N times the limit)."""
    one_minute_ahead()
    key = f"test:{uuid.uuid4()}"
    right, ahead = ratelimit.Counter(), ratelimit.Counter()
    right.pid = ahead.pid = os.getpid()  # no exchanging threads: the test exchanges itself
    right.sync()  # a first exchange, with nothing to send, learns Redis's clock
    assert [right.allowed(key, 3) for _ in range(3)] == [True] * 3
    right.sync()

    with host_clock_off(timedelta(minutes=5)):
        ahead.sync()
        assert ahead.allowed(key, 3)  # it has not heard of the other's three yet
        ahead.sync()
        assert not ahead.allowed(key, 3)


def test_a_counter_store_that_does_not_answer_is_not_waited_for():
    silent = socket.socket()  # accepts connections and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    store = redis.Redis(host="127.0.0.1", port=silent.getsockname()[1], socket_timeout=0.3, retry=Retry(NoBackoff(), 0))
    counter = ratelimit.Counter(client=lambda: store)
    counter.pid = os.getpid()  # no exchanging thread: this test calls sync itself
    silent.setblocking(False)
    try:
        assert [counter.allowed("k", 2) for _ in range(3)] == [True, True, False]
        with pytest.raises(BlockingIOError):
            silent.accept()  # the checks did not even connect
        counter.sync()  # waits out its timeout, logs, and keeps the counts for the next exchange
        assert not counter.allowed("k", 2)
        assert sum(counter.unsent.values()) == 4
    finally:
        silent.close()
