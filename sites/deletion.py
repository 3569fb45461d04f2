"""Deleting a site: asked for at once, done in the worker, a thousand sessions at a time.

A big site has millions of rows and objects: deleting it takes far longer
than a web request may (WEB_TIMEOUT). Asking marks the site (`deleting_since`)
in one transaction, which disables it (ingest refuses its batches) and
removes its members (it is gone from their dashboard and API at once); a
Celery task then deletes it in steps of about SITE_DELETE_STEP_SECONDS, each
queueing the next. A run holds the site under a lease, claimed with a
conditional UPDATE, so one run at a time works on it; a run whose worker
dies leaves the lease to run out, and the periodic resume (site_deletions_resume)
queues the site again. Every step is safe to repeat: sessions go as a
session's deletion does (objects, then rows), then every object under the
site's prefix, whatever row points to it or not, then the site's row.
"""
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Now

from privacy.audit import audit_record
from privacy.services import DELETE_BATCH, sessions_delete
from recorder.models import Session
from recorder.sql import db_now
from recorder.storage import objects_delete_under, site_prefix

from .models import Membership, Site

log = logging.getLogger(__name__)

# How long a worker's step deletes before it queues the next (well within the task's time limit).
SITE_DELETE_STEP_SECONDS = 60
# How long a run holds a site past its last batch of sessions: longer than any step, so that only a run
# whose worker died loses it. Then the periodic resume queues the site again.
SITE_DELETE_LEASE = timedelta(minutes=10)
# A deletion asked this long ago that no run holds is queued again (its message was lost, or its worker died).
SITE_DELETE_REQUEUE = timedelta(minutes=1)


def site_delete_counts(*, site: Site) -> dict[str, int]:
    """What deleting a site takes with it, counted (a big site has millions of rows: never listed)."""
    return {"sessions": site.sessions.count(), "members": site.memberships.count()}


def site_delete_queue(*, site: Site, user: AbstractUser | None = None) -> None:
    """Ask for a site's deletion and leave it to the worker (the admin's delete): see the module's docstring."""
    _site_delete_mark(site=site, user=user)
    transaction.on_commit(lambda: _site_delete_queue(site.pk))  # (the admin's request is one transaction)


@dataclass(frozen=True)
class SiteDeletion:
    held: bool  # this run held the site to its end (else another run does, or no deletion was asked)
    done: bool  # the site is gone
    sessions: int  # sessions this run deleted


def site_delete(*, site: Site, user: AbstractUser | None = None) -> SiteDeletion:
    """Ask for a site's deletion and do all of it here (`manage.py deletesite`)."""
    _site_delete_mark(site=site, user=user)
    return site_delete_run(site_id=site.pk)


def _site_delete_mark(*, site: Site, user: AbstractUser | None) -> None:
    """Disable the site, remove its members and mark it, in one transaction; asked twice, once."""
    with transaction.atomic():
        if Site.objects.filter(pk=site.pk, deleting_since__isnull=True).update(enabled=False, deleting_since=Now()):
            Membership.objects.filter(site_id=site.pk).delete()
            audit_record(user=user, site=None, action="site.delete", target=str(site.pk), detail={"name": site.name})


def _site_delete_queue(site_id: int) -> None:
    from .tasks import site_delete_step

    try:
        site_delete_step.delay(site_id)  # (without a broker: run here, to the end)
    except Exception as error:  # noqa: BLE001 - the broker is down, or a run here failed: the resume retries
        log.warning("deletion of site %s not queued or not finished (%s): the periodic resume takes it up",
                    site_id, error)


def site_delete_run(*, site_id: int, seconds: float | None = None) -> SiteDeletion:
    """Go on with a site's deletion that was asked for, for about `seconds` (None: to the end).

    The hold is renewed after each round of sessions only while it is still this run's: one whose round
    outlasted it (a slow storage, a paused host) finds another run holding the site and stops there."""
    lease = _lease_take(site_id, Q(deletion_lease_until__isnull=True) | Q(deletion_lease_until__lt=db_now()))
    if lease is None:
        return SiteDeletion(held=False, done=False, sessions=0)
    until = None if seconds is None else time.monotonic() + seconds
    done, deleted = False, 0
    sessions = Session.objects.filter(site_id=site_id).order_by().values_list("pk", flat=True)
    try:
        while ids := list(sessions[:DELETE_BATCH]):
            deleted += sessions_delete(session_ids=ids)
            if (lease := _lease_take(site_id, Q(deletion_lease_until=lease))) is None:
                log.warning("site %s: another run took up its deletion, this one's hold having run out", site_id)
                return SiteDeletion(held=False, done=False, sessions=deleted)
            if until is not None and time.monotonic() > until:
                return SiteDeletion(held=True, done=False, sessions=deleted)
        # Objects no row points to (a crashed run's, a waiting batch's of an older version) go too.
        if not objects_delete_under(site_prefix(site_id), until=until):
            return SiteDeletion(held=True, done=False, sessions=deleted)
        with transaction.atomic():
            site = Site.objects.select_for_update().filter(pk=site_id).first()
            if site is not None:
                site.delete()
        done = True
        log.info("site %s deleted", site_id)
        return SiteDeletion(held=True, done=True, sessions=deleted)
    finally:
        # The next step (or a rerun after an error) takes it at once; a hold that ran out is another run's now.
        if not done and lease is not None:
            Site.objects.filter(pk=site_id, deletion_lease_until=lease).update(deletion_lease_until=None)


def _lease_take(site_id: int, free: Q) -> datetime | None:
    """Hold a site being deleted for SITE_DELETE_LEASE from now (the database's clock), if `free` says so.
    Returns the hold's end, which tells this run's hold from another's (None: not taken)."""
    until = db_now() + SITE_DELETE_LEASE
    taken = Site.objects.filter(free, pk=site_id, deleting_since__isnull=False).update(deletion_lease_until=until)
    return until if taken else None


def site_deletions_resume() -> int:
    """Queue again the deletions that no run holds (their message was lost, or their worker died); how many."""
    now = db_now()
    stalled = list(Site.objects.filter(deleting_since__lt=now - SITE_DELETE_REQUEUE).filter(
        Q(deletion_lease_until__isnull=True) | Q(deletion_lease_until__lt=now),
    ).values_list("pk", flat=True))
    for site_id in stalled:
        _site_delete_queue(site_id)
    return len(stalled)
