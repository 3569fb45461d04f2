from django.core.management.base import CommandError

from sites.models import Site


def site_or_fail(site_id: int) -> Site:
    """The site a command names, or a clear error."""
    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        raise CommandError(f"No site {site_id}.")
    return site
