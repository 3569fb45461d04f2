"""Visitor-facing opt-out pages, and the dashboard's privacy pages (visitor requests, deleting a session)."""
import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from recorder.models import Session
from sites.models import Membership, Site
from sites.views import MANAGER, require_form, site_page

from .audit import audit_record
from .forms import VisitorForgetForm, VisitorForm
from .optout import ALL_SITES_COOKIE, MAX_AGE, site_cookie
from .services import session_delete, visitor_export_json, visitor_export_sessions, visitor_forget


def _set(response: HttpResponse, name: str, opted_out: bool, secure: bool) -> None:
    if opted_out:
        # SameSite=None so the loader and ingest, requested from the site's pages, see it.
        response.set_cookie(name, "1", max_age=MAX_AGE, samesite="None" if secure else "Lax", secure=secure, httponly=True)
    else:
        response.delete_cookie(name, samesite="None" if secure else "Lax")


@require_form
def exclude_site(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_object_or_404(Site, pk=site_id)
    undo = request.method == "POST" and request.POST.get("action") == "undo"
    # Anyone may open this page, for any site id: it names no site (a name is for the dashboard only).
    response = render(request, "privacy/exclude.html", {"opted_out": not undo})
    _set(response, site_cookie(site.pk), not undo, request.is_secure())
    return response


@require_form
def optout_all(request: HttpRequest) -> HttpResponse:
    undo = request.method == "POST" and request.POST.get("action") == "undo"
    response = render(request, "privacy/optout.html", {"opted_out": not undo})
    _set(response, ALL_SITES_COOKIE, not undo, request.is_secure())
    return response


def _requests_page(request, membership, *, forget_form=None, export_form=None, status=200) -> HttpResponse:
    context = {
        "site": membership.site, "membership": membership, "tab": "privacy",
        "forget_form": forget_form or VisitorForgetForm(prefix="forget"),
        "export_form": export_form or VisitorForm(prefix="export"),
    }
    return render(request, "privacy/visitor_requests.html", context, status=status)


@require_safe
@site_page(MANAGER)
def visitor_requests(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _requests_page(request, membership)


@require_POST
@site_page(MANAGER)
def visitor_forget_view(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = VisitorForgetForm(request.POST, prefix="forget")
    if not form.is_valid():
        return _requests_page(request, membership, forget_form=form, status=400)
    visitor = form.cleaned_data["visitor"]
    deleted = visitor_forget(site=membership.site, visitor=visitor)
    audit_record(user=request.user, site=membership.site, action="visitor.forget", target=visitor,
                 detail={"sessions": deleted})
    if deleted:
        plural = "s" if deleted != 1 else ""
        messages.success(request, f"Deleted {deleted} session{plural} of “{visitor}” and their recordings.")
    else:
        messages.info(request, f"No sessions of “{visitor}” were found; nothing was deleted.")
    return redirect("site-privacy", site_id=membership.site_id)


@require_POST
@site_page(MANAGER)
def visitor_export_view(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = VisitorForm(request.POST, prefix="export")
    if not form.is_valid():
        return _requests_page(request, membership, export_form=form, status=400)
    visitor = form.cleaned_data["visitor"]
    count = visitor_export_sessions(site=membership.site, visitor=visitor).count()
    if not count:
        form.add_error("visitor", "No sessions of this visitor were found on this site.")
        return _requests_page(request, membership, export_form=form, status=404)
    audit_record(user=request.user, site=membership.site, action="visitor.export", target=visitor,
                 detail={"sessions": count})
    # Streamed: a visitor's sessions may add up to more than a web process should hold.
    response = StreamingHttpResponse(visitor_export_json(site=membership.site, visitor=visitor),
                                     content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_export_filename(membership.site_id, visitor)}"'
    response["Cache-Control"] = "no-store"
    return response


def _export_filename(site_id: int, visitor: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", visitor).strip("-.")[:60] or "visitor"
    return f"hindsight-site{site_id}-{slug}.json"


@require_form
@site_page(MANAGER)
def session_delete_view(request: HttpRequest, membership: Membership, session_id) -> HttpResponse:
    """GET asks "Delete this session?"; POST deletes its recording and rows."""
    session = get_object_or_404(Session, pk=session_id, site=membership.site)
    # The list's filters and sort, as the player passed them on: back to the list they came from.
    query = request.GET.copy()
    query.pop("t", None)
    list_query = f"?{query.urlencode()}" if query else ""
    if request.method != "POST":
        context = {"site": membership.site, "membership": membership, "tab": "sessions", "session": session,
                   "list_query": list_query}
        return render(request, "privacy/session_delete.html", context)
    session_delete(session=session)
    audit_record(user=request.user, site=membership.site, action="session.delete", target=str(session_id))
    messages.success(request, "The session and its recording are deleted.")
    return redirect(reverse("session-list", args=[membership.site_id]) + list_query)
