"""Accepting a batch from a recorder: every check, then one durable row, then a reference for the worker.

The request path does as little as it can: it decodes and checks the batch
(the same checks the worker will make, so an accepted batch is storable),
reads the site's rules from a per-process cache, and writes the body in one
statement. Only then does it answer 202. The broker gets the chunk's id,
never its bytes; if the broker is down, the sweeper queues the chunk later.
"""
import atexit
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import connection

from privacy.ip import ip_excluded, ip_truncate
from privacy.optout import opted_out, privacy_signal
from sites.models import Site
from sites.rules import SiteRules, site_rules
from sites.targeting import url_targeted, visitor_sampled

from . import ratelimit
from .models import Chunk, DeletedSession, Session
from .processing import BatchError, Envelope, batch_check, db_text
from .refusals import refusal_note
from .sql import bytes_cursor, now_sql

# A chunk's columns that say when it came in (and was last queued): the database's moment.
ARRIVAL_FIELDS = ("created_at", "queued_at")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Visitor:
    """What the request says about who sent it."""

    origin: str | None
    ip: str | None
    user_agent: str
    cookies: dict
    meta: dict


def batch_accept(*, body: bytes, visitor: Visitor, query_wid: str | None = None, query_t: str | None = None) -> int | None:
    """Check a raw batch and make it durable; returns the new chunk's id, or None for a repeat.

    `query_t` is the visitor's clock when the request was sent (the URL's `t`), which tells how far
    it is off the server's. Raises BatchError for anything that must be refused; nothing is written
    then. Database errors propagate (the caller answers 503).
    """
    sent_at = _client_time(query_t)
    if len(body) > settings.INGEST_MAX_BODY_BYTES:
        raise BatchError(413, "too_large", "The request body is larger than the server accepts.")
    if not body:
        raise BatchError(400, "empty_body", "The request body is empty.")
    batch = batch_check(body, max_inflated=settings.INGEST_MAX_INFLATED_BYTES, max_events=settings.INGEST_MAX_EVENTS)
    if query_wid is not None and query_wid != str(batch.wid):
        raise BatchError(400, "invalid_field", "wid in the URL and in the body differ.")
    rules = _rules_checked(batch, visitor)
    if not ratelimit.allowed(f"ingest:{batch.sid}", settings.INGEST_RATE_PER_MINUTE):
        raise BatchError(429, "rate_limited", "Too many batches for this session; retry later.")
    chunk_id = chunk_accept(rules=rules, batch=batch, body=body, visitor=visitor, sent_at=sent_at)
    if chunk_id is not None:
        chunks_queue([chunk_id])
    return chunk_id


def _client_time(text: str | None) -> int | None:
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 15:
        raise BatchError(400, "invalid_field", "t in the URL must be the time of sending, an integer in ms.")
    return int(text)


def _rules_checked(batch: Envelope, visitor: Visitor) -> SiteRules:
    rules = site_rules(batch.wid)
    if rules is None:
        raise BatchError(403, "unknown_site", "No recording site has this id.")
    try:
        _rules_apply(rules, batch, visitor)
    except BatchError as error:
        refusal_note(site_id=rules.id, code=error.code, origin=visitor.origin)
        raise
    return rules


def _rules_apply(rules: SiteRules, batch: Envelope, visitor: Visitor) -> None:
    if not rules.origins.allows(visitor.origin):
        raise BatchError(403, "origin_not_allowed", "This page's origin is not one of the site's domains.")
    if opted_out(visitor.cookies, rules.id):
        raise BatchError(403, "opted_out", "This visitor opted out of recording.")
    if rules.honor_dnt and privacy_signal(visitor.meta):
        raise BatchError(403, "privacy_signal", "This browser asks not to be tracked.")
    if ip_excluded(list(rules.ip_rules), visitor.ip):
        raise BatchError(403, "ip_excluded", "Recording is off for this address.")
    if not visitor_sampled(batch.vid, rules.sample_rate):
        raise BatchError(403, "not_sampled", "This visitor is not in the site's sample.")
    include, exclude = list(rules.include), list(rules.exclude)
    for url in batch.page_urls:
        if not url_targeted(url, include=include, exclude=exclude):
            raise BatchError(403, "url_not_targeted", "This page is not recorded for the site.")


def chunk_accept(*, rules: SiteRules, batch: Envelope, body: bytes, visitor: Visitor,
                 sent_at: int | None = None) -> int | None:
    """Write the batch as a pending chunk in one statement; None when this (session, seq) exists.

    The same statement refuses a session id that belongs to another site
    (then nothing is written and BatchError 409 is raised).
    """
    sender = {
        "vid": batch.vid,
        "ua": db_text(visitor.user_agent, 512),
        "ip": ip_truncate(visitor.ip) if rules.keep_ip else None,
    }
    if sent_at is not None:  # the visitor's clock; the worker compares it with the row's created_at (the database's)
        sender["sent"] = sent_at
    values = {
        "site_id": rules.id, "session_id": batch.sid, "seq": batch.seq, "status": Chunk.PENDING,
        "body": body, "key": "", "sender": sender, "received_bytes": len(body), "stored_bytes": 0,
        "event_count": batch.event_count, "attempts": 0, "error": "",
    }
    chunk_id = _insert_unless_taken(values, site_id=rules.id, session_id=batch.sid)
    if chunk_id is None:  # a repeat, or refused by the statement: tell which (a rare path)
        if not Site.objects.filter(pk=rules.id, enabled=True).exists():  # since this process read its rules
            raise BatchError(403, "unknown_site", "No recording site has this id.")
        if Session.objects.filter(pk=batch.sid).exclude(site_id=rules.id).exists():
            raise BatchError(409, "session_conflict", "This session id belongs to another site.")
        if DeletedSession.objects.filter(pk=batch.sid).exists():
            raise BatchError(410, "session_deleted", "This session was deleted; its further batches are not kept.")
    return chunk_id


def _insert_unless_taken(values: dict, *, site_id: int, session_id: uuid.UUID) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, unless the session is another site's or was deleted, or
    the site is disabled or gone (its rules were read up to SITE_RULES_SECONDS ago: its deletion disables it at
    once, and may delete its row within those seconds)."""
    sql, given_fields, rest = _insert_plan(connection.vendor, tuple(values))
    params = [f.get_db_prep_save(values[name], connection) for name, f in zip(values, given_fields)]
    params += rest
    session = Session._meta.get_field("id").get_db_prep_value(session_id, connection)
    params += [site_id, session, site_id, session]
    with bytes_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


@lru_cache(maxsize=8)
def _insert_plan(vendor: str, names: tuple[str, ...]) -> tuple[str, list, list]:
    """The statement of `_insert_unless_taken` for these given columns, worked out once per process: its
    SQL, the given fields in the statement's order, and the other columns' values ready for the database
    (each the model's default, as Model.save would give it: none of them depends on the moment).

    The moment of arrival is the database's: the sweepers, on other hosts, compare it with their
    moment, and read that on the database's clock too."""
    given = [Chunk._meta.get_field(name) for name in names]
    stamped = [Chunk._meta.get_field(name) for name in ARRIVAL_FIELDS]
    others = [f for f in Chunk._meta.concrete_fields if not f.primary_key and f not in given + stamped]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in given + stamped + others)
    session_table = quote(Session._meta.db_table)
    values = ["%s"] * len(given) + [now_sql()] * len(stamped) + ["%s"] * len(others)
    sql = (
        f"INSERT INTO {quote(Chunk._meta.db_table)} ({columns}) "
        f"SELECT {', '.join(values)} "
        f"WHERE EXISTS (SELECT 1 FROM {quote(Site._meta.db_table)} WHERE id = %s AND enabled) "
        f"AND NOT EXISTS (SELECT 1 FROM {session_table} WHERE id = %s AND site_id <> %s) "
        f"AND NOT EXISTS (SELECT 1 FROM {quote(DeletedSession._meta.db_table)} WHERE id = %s) "
        "ON CONFLICT (session_id, seq) DO NOTHING RETURNING id"
    )
    return sql, given, [f.get_db_prep_save(f.get_default(), connection) for f in others]


def chunks_queue(chunk_ids: list[int]) -> None:
    """Hand the worker references to durable chunks.

    In-process (the embedded default) the chunks are stored now. Otherwise
    their ids join the ids this process publishes a tenth of a second later,
    many to a message: the request does not wait for the broker, and a worker
    stores a message's chunks in one transaction. A broker that is down, or a
    process that dies before publishing, only delays a chunk: the sweeper
    queues it again.
    """
    if not chunk_ids:
        return
    if settings.CELERY_TASK_ALWAYS_EAGER:
        from .tasks import chunks_process  # tasks import services, which import this module's neighbours

        try:
            chunks_process.apply(args=[chunk_ids], throw=True)
        except Exception:  # noqa: BLE001 - the chunks are durable; the in-process sweeper tries again
            log.exception("chunks %s not stored yet", chunk_ids[:10])
        return
    publisher.add(chunk_ids)


class Publisher:
    """Collects chunk ids in this process and publishes them in messages of up to BATCH ids."""

    BATCH = 200
    DELAY_SECONDS = 0.1

    def __init__(self):
        self.ids: list[int] = []
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.pid = None

    def add(self, chunk_ids: list[int]) -> None:
        with self.lock:
            self.ids.extend(chunk_ids)
            if self.pid != os.getpid():  # first use in this process (gunicorn forks after import)
                self.pid = os.getpid()
                threading.Thread(target=self._run, name="hindsight-publisher", daemon=True).start()
                atexit.register(self.flush)
        self.wake.set()

    def _run(self) -> None:
        while True:
            self.wake.wait()
            time.sleep(self.DELAY_SECONDS)  # let the ids of concurrent requests join this message
            self.wake.clear()
            self.flush()

    def flush(self) -> None:
        """Send the ids collected so far to the broker (never run them here, even where tasks run eagerly:
        an eager task on this thread would flip Celery's process-wide "may not wait for a result" flag under
        another thread's feet, and a thread here has no business with the database)."""
        from .tasks import chunks_process

        with self.lock:
            ids, self.ids = self.ids, []
        for start in range(0, len(ids), self.BATCH):
            part = ids[start:start + self.BATCH]
            try:
                chunks_process.app.send_task(chunks_process.name, args=[part], retry=False)
            except Exception as error:  # noqa: BLE001 - the broker is down; the sweeper will queue them
                log.warning("broker unavailable, %d chunks wait for the sweeper: %s", len(part), error)


publisher = Publisher()
