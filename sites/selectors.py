"""Reads of the sites app shared by views and the API."""
from django.http import Http404

from .models import Membership, Site


def sites_for_user(user):
    return Site.objects.filter(memberships__user=user).distinct()


def membership_get(user, site_id: int) -> Membership:
    """The user's membership of a site; a non-member gets 404, never 403."""
    if not user.is_authenticated:
        raise Http404
    membership = Membership.objects.select_related("site").filter(site_id=site_id, user=user).first()
    if membership is None:
        raise Http404
    return membership
