"""The heatmaps page of a site."""
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from recorder.models import PageView, Session
from replay.relay import relay_attrs
from sites.selectors import membership_get

from .api import HEATMAP_PARAMS, BadQuery, heatmap_query
from .models import DEVICES
from .selectors import heatmap, heatmap_page_view
from .services import page_url

KIND_LABELS = [("click", "Clicks"), ("scroll", "Scroll depth"), ("move", "Pointer movement")]
PAGE_CHOICES = 20
# The pages offered are those of the site's newest sessions, this many of them.
RECENT_SESSIONS = 200
# The page is drawn as it was shortly after the page view began (the page has rendered by then).
SETTLE_MS = 1500


@require_safe
@login_required
def site_heatmaps(request: HttpRequest, site_id: int) -> HttpResponse:
    membership = membership_get(request.user, site_id)
    site = membership.site
    pages = _recent_urls(site.pk)
    context = {"site": site, "membership": membership, "tab": "heatmaps", "params": request.GET,
               "kinds": KIND_LABELS, "devices": DEVICES, "pages": pages, "page_links": _page_links(request.GET, pages)}
    if not request.GET.get("url"):
        return render(request, "insights/heatmaps.html", context)
    try:
        query = heatmap_query(request.GET)
    except BadQuery:
        errors, kept = _bad_left_out(request.GET)
        context.update(errors=errors, params=kept, page_links=_page_links(kept, pages))
        return render(request, "insights/heatmaps.html", context, status=400)
    view, following = heatmap_page_view(site_id=site.pk, url=query.url, device=query.device)
    data = heatmap(site_id=site.pk, query=query)
    context.update(query=query, data=data, view=view, device_links=_device_links(request.GET, query.device),
                   relay=relay_attrs(site))
    if view is not None:
        # Page views are at the server's clock, the events the player pauses in at the visitor's.
        offset = view.session.clock_offset_ms
        at = int(view.at.timestamp() * 1000) - offset
        until = int(following.at.timestamp() * 1000) - offset - 1 if following else at + SETTLE_MS
        context.update(
            events_url=reverse("api-session-events", args=[view.session_id]),
            at=min(at + SETTLE_MS, until),
            data_url=reverse("api-site-heatmaps", args=[site.pk]) + "?" + urlencode(_chosen(request.GET)),
        )
    return render(request, "insights/heatmaps.html", context)


def _bad_left_out(params) -> tuple[list[str], object]:
    """What is wrong with each bad parameter, and the parameters without them: the form and the page links
    ask for a heatmap that can be shown, not for the same 400 again."""
    kept, checked, errors = params.copy(), params.copy(), []
    for _ in HEATMAP_PARAMS:  # each is found bad once at most: in `checked` it becomes one that is not
        try:
            heatmap_query(checked)
            break
        except BadQuery as error:
            errors.append(str(error))
            kept.pop(error.param, None)
            checked[error.param] = "*" if error.param == "url" else ""
    return errors, kept


def _chosen(params, *, leave_out: str = "") -> dict[str, str]:
    """The heatmap's parameters that are given (not empty), in the API's order."""
    return {name: value for name, _ in HEATMAP_PARAMS if name != leave_out and (value := params.get(name))}


def _page_links(params, pages: list[str]) -> list[dict]:
    """The recorded pages to pick from, each with the kind, device and days already chosen."""
    chosen = _chosen(params, leave_out="url")
    return [{"url": url, "query": urlencode({"url": url, **chosen})} for url in pages]


def _device_links(params, current: str) -> list[dict]:
    """The device switch: the same heatmap for all devices or one kind."""
    links = []
    for device, label in [("", "All devices")] + [(d, d.capitalize()) for d in DEVICES]:
        query = params.copy()
        query.pop("device", None)
        if device:
            query["device"] = device
        links.append({"device": device, "label": label, "query": query.urlencode(), "current": device == current})
    return links


def _recent_urls(site_id: int) -> list[str]:
    # The page views of the newest sessions (the site's sessions index, then each one's page views): sorting all
    # of a big site's page views by time, on every visit of this page, read the whole table.
    newest = (Session.objects.filter(site_id=site_id, started_at__isnull=False)
              .order_by(F("started_at").desc(), F("id").desc()).values("pk")[:RECENT_SESSIONS])
    recent = PageView.objects.filter(session_id__in=newest).order_by("-at").values_list("url", flat=True)[:500]
    return list(dict.fromkeys(page_url(url) for url in recent))[:PAGE_CHOICES]
