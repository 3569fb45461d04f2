"""Dashboard pages: a site's sessions and the player."""
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from privacy.audit import audit_record
from recorder.models import Session
from sites.selectors import membership_get

from .filters import param_get, sessions_filter, sessions_sort, sort_field
from .pagination import keyset_page, neighbours
from .relay import SVG_POLICY, SVG_TYPE, RelayRefused, relay_attrs, relay_fetch
from .selectors import session_is_live, sessions_for_site, sessions_live_marked

# The pager's links, (back, on), in the words of the list's order.
PAGER_LABELS = {
    "started_at": ("Newer sessions", "Older sessions"),
    "duration_ms": ("Longer sessions", "Shorter sessions"),
    "friction": ("More frustrated", "Less frustrated"),
}


@require_safe
@login_required
def session_list(request: HttpRequest, site_id: int) -> HttpResponse:
    membership = membership_get(request.user, site_id)
    site = membership.site
    sessions = sessions_sort(sessions_filter(sessions_for_site(site), request.GET, site_id=site.pk), request.GET)
    sessions = sessions_live_marked(sessions)
    field = sort_field(request.GET)
    page = keyset_page(sessions, field=field, cursor=param_get(request.GET, "after"))
    # Both ways keep the filters and the sort; the page before is read backwards from this page's first row.
    kept = {k: v for k, v in request.GET.items() if k != "after"}
    if page.next_cursor:
        page.next_query = urlencode({**kept, "after": page.next_cursor})
    previous_query = urlencode({**kept, "after": page.previous_cursor}) if page.previous_cursor else None
    # A page past the list's end (its sessions deleted since, or a cursor edited by hand) leads back to the start.
    first_query = urlencode(kept) if not page.items and param_get(request.GET, "after") else None
    live_ids = {session.pk for session in page.items if session_is_live(session)}
    context = {
        "site": site, "membership": membership, "page": page, "params": request.GET, "tab": "sessions",
        "live_ids": live_ids, "previous_query": previous_query, "pager_labels": PAGER_LABELS[field],
        "first_query": first_query,
    }
    return render(request, "replay/session_list.html", context)


@require_safe
@login_required
def session_player(request: HttpRequest, site_id: int, session_id) -> HttpResponse:
    membership = membership_get(request.user, site_id)
    session = get_object_or_404(sessions_live_marked(Session.objects), pk=session_id, site=membership.site)
    if request.method == "GET":  # a HEAD (a link checker's) shows nobody the recording
        audit_record(user=request.user, site=membership.site, action="session.view", target=str(session.pk))
    listed = sessions_sort(sessions_filter(sessions_for_site(membership.site), request.GET, site_id=membership.site_id), request.GET)
    previous, following = neighbours(listed, session, field=sort_field(request.GET))
    query = request.GET.copy()
    query.pop("t", None)
    context = {
        "site": membership.site, "membership": membership, "session": session, "tab": "sessions",
        "previous": previous, "next": following, "list_query": query.urlencode(),
        "is_live": session_is_live(session),
        "session_url": reverse("api-session-detail", args=[session.pk]),
        "events_url": reverse("api-session-events", args=[session.pk]),
        "relay": relay_attrs(membership.site),
    }
    return render(request, "replay/player.html", context)


@require_safe
@login_required
def replay_relay(request: HttpRequest, site_id: int) -> HttpResponse:
    """A web font or SVG sprite of the site's, fetched from the site and served from our origin for replays
    (replay/relay.py)."""
    membership = membership_get(request.user, site_id)
    try:
        data, kind = relay_fetch(membership.site, request.GET.get("url", ""))
    except RelayRefused as e:
        return JsonResponse({"error": e.code, "detail": e.detail}, status=e.status)
    response = HttpResponse(data, content_type=kind)
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    if kind == SVG_TYPE:  # (set here, django-csp leaves it: nothing in it runs, opened on its own or not)
        response["Content-Security-Policy"] = SVG_POLICY
    return response
