"""What ingest needs to know of a site, cached per process for a few seconds.

Every batch is checked against its site's rules; reading the Site row each
time would cost a database round trip per request. A changed setting takes
effect within `SITE_RULES_SECONDS`.
"""
import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from privacy.ip import ip_rules_parse

from .domains import DomainSet
from .models import Site
from .targeting import patterns_parse


@dataclass(frozen=True)
class SiteRules:
    id: int
    origins: DomainSet  # the domains read once, not per batch
    honor_dnt: bool
    ip_rules: tuple[str, ...]
    keep_ip: bool
    sample_rate: float
    include: tuple[str, ...]
    exclude: tuple[str, ...]


_cache: dict[int, tuple[float, SiteRules | None]] = {}


def site_rules(site_id: int) -> SiteRules | None:
    """The rules of an enabled site, or None for an unknown or disabled one."""
    now = time.monotonic()
    hit = _cache.get(site_id)
    if hit and hit[0] > now:
        return hit[1]
    site = Site.objects.filter(pk=site_id, enabled=True).first()
    rules = site and SiteRules(
        id=site.pk, origins=DomainSet.of(site.domains), honor_dnt=site.honor_dnt,
        ip_rules=tuple(ip_rules_parse(site.ip_rules)), keep_ip=site.ip_storage != Site.IP_NONE,
        sample_rate=site.sample_rate, include=tuple(patterns_parse(site.include_urls)),
        exclude=tuple(patterns_parse(site.exclude_urls)),
    )
    if len(_cache) > 10_000:
        _cache.clear()
    _cache[site_id] = (now + settings.SITE_RULES_SECONDS, rules)
    return rules


def site_rules_forget() -> None:
    """Drop every cached rule."""
    _cache.clear()


@receiver([post_save, post_delete], sender=Site)
def _site_changed(sender, instance: Site, **kwargs) -> None:
    # Other processes see the change when their copy expires.
    _cache.pop(instance.pk, None)
