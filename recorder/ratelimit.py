"""A fixed-window counter per key and minute: counted in this process, shared through Redis a moment later.

A check costs no round trip: it adds one to this process's count and
compares the sum of what this process counted and what all processes had
counted at the last exchange with the limit. A thread of each process sends
its new counts to Redis every SYNC_SECONDS, many keys to a round trip, and
learns the totals back. A process knows of the others' counts for a key only
once it has exchanged that key, so a burst on one key spread over several
processes within SYNC_SECONDS can get up to the limit from each of them
(measured: 400 batches of one session in 0.7 s to two gunicorn processes
with a limit of 120: 237 accepted, then every later one refused). A limit is
for a runaway client, which it still stops within a second. Without Redis
(the embedded default, one process) the local count is the whole count. If
Redis is down, checks go on with what is known: losing the limit for a while
is better than refusing batches that could be kept, and a request never
waits for a counter store that does not answer.

A minute is Redis's, not the host's: each exchange also reads Redis's TIME and
keeps how far this host's clock is from it. Web hosts' clocks may be seconds
or minutes apart, and a key names its minute: by each host's own clock, the
hosts would count one session in different minutes' keys, and a client
spreading its batches over N hosts would get N times the limit. Redis is the
one clock every process already exchanges with (the database's would cost a
query per batch); until the first exchange, the host's clock stands in.
"""
import logging
import os
import threading
import time
from functools import lru_cache

import redis
from django.conf import settings

log = logging.getLogger(__name__)

SYNC_SECONDS = 0.5


@lru_cache(maxsize=1)
def _client() -> redis.Redis | None:
    if not settings.REDIS_URL:
        return None
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)


class Counter:
    """Counts per (key, minute) in this process; `sync` exchanges them with Redis."""

    def __init__(self, client=None):
        self.client = client or _client  # the Redis client to exchange with, or None
        self.lock = threading.Lock()
        self.unsent: dict[tuple[str, int], int] = {}  # counted here, not yet in Redis
        self.sending: dict[tuple[str, int], int] = {}  # on their way to Redis
        self.known: dict[tuple[str, int], int] = {}  # every process's total at the last exchange
        self.minute = 0
        self.pid = None
        self.skew: float | None = None  # Redis's clock minus this host's, in seconds, as of the last exchange

    def allowed(self, key: str, per_minute: int) -> bool:
        """Count one more for `key` this minute; whether it is within `per_minute`."""
        slot = (key, int((time.time() + (self.skew or 0)) // 60))
        with self.lock:
            if self.pid != os.getpid():  # first use in this process (gunicorn forks after import)
                self.pid = os.getpid()
                self.unsent, self.sending, self.known = {}, {}, {}
                if self.client() is not None:
                    threading.Thread(target=self._run, name="hindsight-ratelimit", daemon=True).start()
            if slot[1] != self.minute:  # a new minute: the counts of past ones are done with
                self.minute = slot[1]
                self.unsent = {s: n for s, n in self.unsent.items() if s[1] >= self.minute}
                self.known = {s: n for s, n in self.known.items() if s[1] >= self.minute}
            unsent = self.unsent[slot] = self.unsent.get(slot, 0) + 1
            return self.known.get(slot, 0) + self.sending.get(slot, 0) + unsent <= per_minute

    def _run(self) -> None:
        while True:
            time.sleep(SYNC_SECONDS)
            self.sync()

    def sync(self) -> None:
        """Send the new counts to Redis and learn every process's totals."""
        with self.lock:
            self.sending, self.unsent = self.unsent, {}
            sending = self.sending
        if not sending and self.skew is not None:
            return
        try:
            pipe = self.client().pipeline(transaction=False)
            pipe.time()
            for (key, minute), n in sending.items():
                name = f"rate:{key}:{minute}"
                pipe.incrby(name, n)
                pipe.expire(name, 70)
            asked = time.time()
            (seconds, micros), *results = pipe.execute()
            self.skew = seconds + micros / 1e6 - (asked + time.time()) / 2
            totals = results[::2]
        except Exception as error:  # noqa: BLE001 - any failure of the counter store
            log.warning("rate limit counts not shared: %s", error)
            with self.lock:  # counted here still; sent with the next exchange
                for slot, n in sending.items():
                    self.unsent[slot] = self.unsent.get(slot, 0) + n
                self.sending = {}
            return
        with self.lock:
            for slot, total in zip(sending, totals):
                self.known[slot] = max(self.known.get(slot, 0), total)
            self.sending = {}


counter = Counter()


def allowed(key: str, per_minute: int) -> bool:
    """Count one more for `key` this minute; whether it is within `per_minute` (see the module's text)."""
    return counter.allowed(key, per_minute)
