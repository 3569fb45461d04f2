"""Readiness: can this process reach the database, the broker, the recordings storage and the cache?

Each check runs in its own thread, all at once, and is given up on after a
short deadline, so a dead or hanging dependency gives a fast answer that
names it.
"""
import os
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import storages
from django.db import connection

OK, SKIPPED = "ok", "skipped"
PROBE_KEY = "ops:readyz"


class DatabaseReadOnly(Exception):
    """The database answers and refuses writes: a standby, or one set read-only (every batch would get 503)."""


def database_check() -> str:
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":  # a standby, or default_transaction_read_only, answers "on"
                cursor.execute("SHOW transaction_read_only")
                if cursor.fetchone()[0] == "on":
                    raise DatabaseReadOnly("the database takes no writes")
            else:
                cursor.execute("SELECT 1")
                cursor.fetchone()
    finally:
        connection.close()  # the check's thread is thrown away: so is its connection
    return OK


def broker_check() -> str:
    """The broker answers and takes a write: a Redis that is full (`noeviction`) or read-only (a replica)
    still answers PING, while every message to the workers is refused and storing stops."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return SKIPPED  # no broker: tasks run inside the web process
    from kombu import Connection

    timeout = settings.READYZ_TIMEOUT
    options = {"socket_timeout": timeout}  # a broker that hangs leaves no thread waiting for ever
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout, transport_options=options) as broker:
        broker.ensure_connection(max_retries=1, timeout=timeout)
        client = getattr(broker.default_channel, "client", None)  # Redis answers a PING here
        if client is not None:  # Redis: a write refused raises (OutOfMemoryError, ReadOnlyError)
            client.set(PROBE_KEY, "1", ex=10)
    return OK


def storage_check() -> str:
    storage = storages["recordings"]
    bucket = getattr(storage, "bucket_name", None)
    if bucket:
        storage.connection.meta.client.head_bucket(Bucket=bucket)
        return OK
    location = Path(storage.location)
    location.mkdir(parents=True, exist_ok=True)
    if not os.access(location, os.W_OK):
        raise PermissionError(f"cannot write to {location}")
    return OK


def cache_check() -> str:
    cache.set(PROBE_KEY, "1", timeout=10)
    if cache.get(PROBE_KEY) != "1":
        raise RuntimeError("the cache did not keep a value")
    return OK


CHECKS = {"database": database_check, "broker": broker_check, "storage": storage_check, "cache": cache_check}


def readiness(timeout: float, checks: dict | None = None) -> dict[str, str]:
    """Every check's answer: "ok", "skipped" (not used here), "timeout" or the error's type."""
    checks = checks or CHECKS
    executor = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz")
    futures = {name: executor.submit(check) for name, check in checks.items()}
    wait(futures.values(), timeout=timeout)
    executor.shutdown(wait=False, cancel_futures=True)
    return {name: _outcome(future) for name, future in futures.items()}


def _outcome(future) -> str:
    if not future.done():
        return "timeout"
    error = future.exception()
    # The type only: an error's text may carry host names or credentials, and /readyz is public.
    return future.result() if error is None else f"error: {type(error).__name__}"


def failing(results: dict[str, str]) -> list[str]:
    return [name for name, outcome in results.items() if outcome not in (OK, SKIPPED)]
