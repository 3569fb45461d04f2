"""Accepting a batch from a recorder: every check, then one pending chunk and one task."""
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from user_agents import parse as ua_parse

from privacy.ip import ip_excluded, ip_rules_parse, ip_truncate
from privacy.optout import opted_out, privacy_signal
from sites.domains import origin_allowed
from sites.models import Site
from sites.targeting import patterns_parse, url_targeted, visitor_sampled

from .models import Chunk, Session
from .processing import Batch, BatchError, batch_validate, body_decode, custom_events
from .storage import chunk_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Visitor:
    """What the request says about who sent it."""

    origin: str | None
    ip: str | None
    user_agent: str
    cookies: dict
    meta: dict


def batch_accept(*, body: bytes, visitor: Visitor, query_wid: str | None = None) -> Chunk | None:
    """Check a raw batch and queue it for storage.

    Returns the chunk queued, or None when this (session, seq) was already
    stored. Raises BatchError for anything that must be refused; nothing is
    written in that case.
    """
    if len(body) > settings.INGEST_MAX_BODY_BYTES:
        raise BatchError(413, "too_large", "The request body is larger than the server accepts.")
    if not body:
        raise BatchError(400, "empty_body", "The request body is empty.")
    data = body_decode(body, max_inflated=settings.INGEST_MAX_INFLATED_BYTES)
    batch = batch_validate(data, max_events=settings.INGEST_MAX_EVENTS)
    if query_wid is not None and query_wid != str(batch.wid):
        raise BatchError(400, "invalid_field", "wid in the URL and in the body differ.")
    site = _site_checked(batch, visitor)
    _rate_check(batch)
    session = _session_for(site, batch, visitor)
    return _chunk_queue(session, batch, len(body))


def _site_checked(batch: Batch, visitor: Visitor) -> Site:
    site = Site.objects.filter(pk=batch.wid, enabled=True).first()
    if site is None:
        raise BatchError(403, "unknown_site", "No recording site has this id.")
    if not origin_allowed(site.domains, visitor.origin):
        raise BatchError(403, "origin_not_allowed", "This page's origin is not one of the site's domains.")
    if opted_out(visitor.cookies, site.pk):
        raise BatchError(403, "opted_out", "This visitor opted out of recording.")
    if site.honor_dnt and privacy_signal(visitor.meta):
        raise BatchError(403, "privacy_signal", "This browser asks not to be tracked.")
    if ip_excluded(ip_rules_parse(site.ip_rules), visitor.ip):
        raise BatchError(403, "ip_excluded", "Recording is off for this address.")
    if not visitor_sampled(batch.vid, site.sample_rate):
        raise BatchError(403, "not_sampled", "This visitor is not in the site's sample.")
    include, exclude = patterns_parse(site.include_urls), patterns_parse(site.exclude_urls)
    for _, page in custom_events(batch.events, "hs.page"):
        if not url_targeted(str(page.get("url", "")), include=include, exclude=exclude):
            raise BatchError(403, "url_not_targeted", "This page is not recorded for the site.")
    return site


def _rate_check(batch: Batch) -> None:
    key = f"ingest-rate:{batch.sid}"
    cache.add(key, 0, timeout=60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        count = 1
    if count > settings.INGEST_RATE_PER_MINUTE:
        raise BatchError(429, "rate_limited", "Too many batches for this session; retry later.")


def _session_for(site: Site, batch: Batch, visitor: Visitor) -> Session:
    session = Session.objects.filter(pk=batch.sid).only("id", "site_id").first()
    if session is None:
        try:
            session = Session.objects.create(id=batch.sid, site=site, visitor_id=batch.vid, **_device(site, visitor))
        except IntegrityError:  # created by a concurrent batch of the same session
            session = Session.objects.only("id", "site_id").get(pk=batch.sid)
    if session.site_id != site.pk:
        raise BatchError(409, "session_conflict", "This session id belongs to another site.")
    return session


def _device(site: Site, visitor: Visitor) -> dict:
    agent = ua_parse(visitor.user_agent or "")
    if agent.is_bot:
        device = "bot"
    elif agent.is_tablet:
        device = "tablet"
    elif agent.is_mobile:
        device = "mobile"
    else:
        device = "desktop"
    return {
        "user_agent": (visitor.user_agent or "")[:512],
        "browser": agent.browser.family[:64],
        "os": agent.os.family[:64],
        "device_type": device,
        "ip": None if site.ip_storage == Site.IP_NONE else ip_truncate(visitor.ip),
    }


def _chunk_queue(session: Session, batch: Batch, size: int) -> Chunk | None:
    from .tasks import chunk_store  # tasks import this module's models

    key = chunk_key(session.site_id, session.pk, batch.seq)
    try:
        with transaction.atomic():
            chunk = Chunk.objects.create(session=session, seq=batch.seq, key=key, received_bytes=size)
    except IntegrityError:
        chunk = Chunk.objects.get(session=session, seq=batch.seq)
        if chunk.status == Chunk.STORED:
            return None
    try:
        chunk_store.delay(chunk.pk, batch.events)
    except Exception as error:  # broker down: the client keeps the batch and retries
        log.warning("could not queue chunk %s: %s", chunk.pk, error)
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        raise BatchError(503, "queue_unavailable", "The server cannot take batches right now; retry later.") from error
    return chunk
