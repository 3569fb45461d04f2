"""The demo site and page that `make run` sets up."""
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from recorder.views import public_base

from .models import Site
from .services import site_create
from .snippet import site_snippet

DEMO_USER = "demo"
DEMO_PASSWORD = "hindsight-demo"
DEMO_SITE = "Demo site"


def demo_setup(*, domains: list[str]) -> tuple[object, Site, bool]:
    """Create the demo user and site if missing; safe to run again. Returns (user, site, created)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(username=DEMO_USER, defaults={"email": "demo@example.com"})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    site = Site.objects.filter(owner=user, name=DEMO_SITE).first()
    if site is None:
        site = site_create(name=DEMO_SITE, domains=domains, owner=user)
    elif set(domains) - set(site.domains):
        site.domains = sorted(set(site.domains) | set(domains))
        site.save(update_fields=["domains"])
    return user, site, created


@require_safe
def demo_page(request: HttpRequest, page: str = "") -> HttpResponse:
    site = Site.objects.filter(owner__username=DEMO_USER, name=DEMO_SITE).first()
    if site is None or page not in ("", "checkout"):
        raise Http404("Run `make run` (or manage.py setupdemo) to create the demo site.")
    context = {"snippet": site_snippet(site, public_base(request)), "site": site, "page": page or "home"}
    return render(request, "demo/demo.html", context)
