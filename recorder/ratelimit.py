"""A fixed-window counter per key and minute, in Redis when there is one (else the local cache).

One round trip per check. If the counter store is down, checks pass: losing
the limit for a while is better than refusing batches that could be kept.
"""
import logging
import time
from functools import lru_cache

import redis
from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _client() -> redis.Redis | None:
    if not settings.REDIS_URL:
        return None
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)


def allowed(key: str, per_minute: int) -> bool:
    """Count one more for `key` this minute; whether it is within `per_minute`."""
    slot = f"rate:{key}:{int(time.time() // 60)}"
    try:
        client = _client()
        if client is None:
            cache.add(slot, 0, timeout=70)
            count = cache.incr(slot)
        else:
            pipe = client.pipeline(transaction=False)
            pipe.incr(slot)
            pipe.expire(slot, 70)
            count = pipe.execute()[0]
    except Exception as error:  # noqa: BLE001 - any failure of the counter store
        log.warning("rate limit not checked: %s", error)
        return True
    return count <= per_minute
