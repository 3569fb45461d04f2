"""Writes of the sites app."""
import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from privacy.audit import audit_record
from recorder.rollups import rollups_rebuild
from recorder.tasks import site_rollups_rebuild

from .domains import domains_clean
from .models import Membership, Site

log = logging.getLogger(__name__)


@transaction.atomic
def site_create(*, name: str, domains: list[str], owner: AbstractUser) -> Site:
    site = Site.objects.create(name=name, domains=domains_clean(domains), owner=owner)
    Membership.objects.create(site=site, user=owner, role=Membership.OWNER)
    return site



# Fields of a site that the settings page may change, in the form's order.
SETTINGS_FIELDS = [
    "name", "domains", "enabled",
    "sample_rate", "include_urls", "exclude_urls", "min_session_sec", "session_timeout_min",
    "record_console", "record_network", "network_query_allow",
    "mask_all_inputs", "mask_all_text", "mask_selectors", "ignore_selectors", "unmask_selectors",
    "scrub_emails", "url_mask_params", "consent_required", "honor_dnt", "notice", "notice_text",
    "ip_rules", "ip_storage", "retention_days", "replay_resources",
]


@transaction.atomic
def site_settings_update(*, site: Site, user: AbstractUser, data: dict) -> dict:
    """Save the changed settings and audit them once; returns {field: {"old", "new"}} of what changed."""
    unknown = set(data) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"Not a site setting: {', '.join(sorted(unknown))}")
    changes = {
        name: {"old": getattr(site, name), "new": value}
        for name, value in data.items()
        if getattr(site, name) != value
    }
    if not changes:
        return {}
    for name, change in changes.items():
        setattr(site, name, change["new"])
    site.save(update_fields=list(changes))
    audit_record(user=user, site=site, action="site.settings", target=str(site.pk), detail={"changes": changes})
    if "min_session_sec" in changes:
        # The overview counts sessions past the minimum length: its roll-ups are recomputed
        # in the worker (a million sessions take seconds), once this change is committed.
        transaction.on_commit(lambda: _rollups_rebuild_queue(site.pk))
    return changes


def _rollups_rebuild_queue(site_id: int) -> None:
    """Queue a site's roll-ups rebuild; with the broker down, rebuild them here: failing a change that is
    made already, or leaving the overview counting by the old minimum, would be worse than a slow answer."""
    try:
        site_rollups_rebuild.delay(site_id)
    except Exception as error:  # noqa: BLE001 - the broker is unreachable, or refuses messages
        log.warning("roll-ups rebuild of site %s not queued (%s): rebuilt in this request", site_id, error)
        rollups_rebuild(site_ids=[site_id])


class MemberError(Exception):
    """A team change that the rules refuse; the message is meant for the person who asked."""


def _role_check(role: str) -> None:
    if role not in (Membership.ADMIN, Membership.VIEWER):
        raise MemberError("Members can be made viewers or admins; a site has exactly one owner.")


@transaction.atomic
def member_add(*, site: Site, user: AbstractUser, member: AbstractUser, role: str) -> Membership:
    """Give `member` a role on `site`; `user` is who asked (for the audit log)."""
    _role_check(role)
    taken = MemberError(f"{member.username} is already a member of this site.")
    if Membership.objects.filter(site=site, user=member).exists():
        raise taken
    try:
        with transaction.atomic():  # another request may add them meanwhile: the unique constraint tells
            membership = Membership.objects.create(site=site, user=member, role=role)
    except IntegrityError:
        raise taken from None
    audit_record(user=user, site=site, action="member.add", target=member.username, detail={"role": role})
    return membership


@transaction.atomic
def member_role_set(*, site: Site, user: AbstractUser, membership: Membership, role: str) -> Membership:
    _role_check(role)
    if membership.site_id != site.pk:
        raise MemberError("Not a member of this site.")
    if membership.role == Membership.OWNER:
        raise MemberError("The owner's role cannot be changed.")
    if membership.role != role:
        old = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        audit_record(user=user, site=site, action="member.role", target=membership.user.username,
                     detail={"old": old, "new": role})
    return membership


@transaction.atomic
def member_remove(*, site: Site, user: AbstractUser, membership: Membership) -> None:
    if membership.site_id != site.pk:
        raise MemberError("Not a member of this site.")
    if membership.role == Membership.OWNER:
        raise MemberError("The owner cannot be removed from the site.")
    username, role = membership.user.username, membership.role
    membership.delete()
    audit_record(user=user, site=site, action="member.remove", target=username, detail={"role": role})


@transaction.atomic
def site_owner_move(*, site: Site, old_owner_id: int, user: AbstractUser) -> None:
    """`site.owner` was changed to another user: they get the owner's membership, and whoever held it
    (the old owner) stays an admin, so that the site keeps exactly one owner."""
    Membership.objects.filter(site=site, role=Membership.OWNER).exclude(user=site.owner).update(role=Membership.ADMIN)
    Membership.objects.update_or_create(site=site, user=site.owner, defaults={"role": Membership.OWNER})
    old = get_user_model().objects.filter(pk=old_owner_id).values_list("username", flat=True).first() or ""
    audit_record(user=user, site=site, action="site.owner", target=site.owner.username,
                 detail={"old": old, "new": site.owner.username, "old_role": Membership.ADMIN})


def token_create(*, user: AbstractUser) -> Token:
    """A new API token for `user`, replacing any earlier one (which stops working).

    Another request making one at the same moment (the button pressed in two tabs) inserts first: its
    token is replaced in turn."""
    tries = 3
    while True:
        tries -= 1
        try:
            with transaction.atomic():
                Token.objects.filter(user=user).delete()
                return Token.objects.create(user=user)
        except IntegrityError:
            if not tries:
                raise


def token_revoke(*, user: AbstractUser) -> bool:
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)
