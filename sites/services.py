"""Writes of the sites app."""
from django.contrib.auth.models import AbstractUser
from django.db import transaction

from .domains import domain_normalise
from .models import Membership, Site


@transaction.atomic
def site_create(*, name: str, domains: list[str], owner: AbstractUser) -> Site:
    site = Site.objects.create(name=name, domains=domains_clean(domains), owner=owner)
    Membership.objects.create(site=site, user=owner, role=Membership.OWNER)
    return site


def domains_clean(domains: list[str]) -> list[str]:
    cleaned = []
    for entry in domains:
        entry = domain_normalise(entry)
        if entry and entry not in cleaned:
            cleaned.append(entry)
    return cleaned
