"""Visitor-facing opt-out pages."""
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from sites.models import Site

from .optout import ALL_SITES_COOKIE, MAX_AGE, site_cookie


def _set(response: HttpResponse, name: str, opted_out: bool, secure: bool) -> None:
    if opted_out:
        # SameSite=None so the loader and ingest, requested from the site's pages, see it.
        response.set_cookie(name, "1", max_age=MAX_AGE, samesite="None" if secure else "Lax", secure=secure, httponly=True)
    else:
        response.delete_cookie(name, samesite="None" if secure else "Lax")


@require_http_methods(["GET", "POST"])
def exclude_site(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_object_or_404(Site, pk=site_id)
    undo = request.method == "POST" and request.POST.get("action") == "undo"
    response = render(request, "privacy/exclude.html", {"site": site, "opted_out": not undo})
    _set(response, site_cookie(site.pk), not undo, request.is_secure())
    return response


@require_http_methods(["GET", "POST"])
def optout_all(request: HttpRequest) -> HttpResponse:
    undo = request.method == "POST" and request.POST.get("action") == "undo"
    response = render(request, "privacy/optout.html", {"opted_out": not undo})
    _set(response, ALL_SITES_COOKIE, not undo, request.is_secure())
    return response
