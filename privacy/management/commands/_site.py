from django.core.management.base import CommandError

from privacy.forms import VisitorForm
from sites.models import Site


def site_or_fail(site_id: int) -> Site:
    """The site a command names, or a clear error."""
    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        raise CommandError(f"No site {site_id}.")
    return site


def visitor_or_fail(visitor: str) -> str:
    """The visitor a command names, held to the dashboard form's rules, or a clear error: an empty one
    would name every session without an identity."""
    form = VisitorForm(data={"visitor": visitor})
    if not form.is_valid():
        raise CommandError(" ".join(form.errors["visitor"]))
    return form.cleaned_data["visitor"]
