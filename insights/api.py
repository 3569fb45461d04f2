"""GET /api/v1/sites/<id>/heatmaps/: a page's heatmap as JSON."""
from datetime import date, timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from sites.selectors import membership_get

from .models import DEVICES, KINDS
from .selectors import HEATMAP_DEFAULT_DAYS, HeatmapQuery, heatmap
from .services import page_url

# The longest URL a page view keeps (recorder.models.PageView.url): a longer one has no heatmap.
URL_MAX = 2048
HEATMAP_PARAMS = [
    ("url", f"The page's URL, or a pattern where * stands for any characters (required, at most {URL_MAX} characters)."),
    ("kind", "click (default), scroll or move."),
    ("device", "desktop, tablet or mobile; all when absent."),
    ("date_from", "First day (YYYY-MM-DD); 30 days ago when absent."),
    ("date_to", "Last day (YYYY-MM-DD); today when absent."),
]


# No recording is older; and a default range counted back from the year 1 would not be a date.
FIRST_DAY = date(2000, 1, 1)


class BadQuery(ValueError):
    """A bad parameter: the message names it, `param` is its name."""

    def __init__(self, message: str, param: str):
        super().__init__(message)
        self.param = param


def heatmap_query(params) -> HeatmapQuery:
    """The heatmap a query string asks for; BadQuery names the first bad parameter."""
    get = lambda name: (params.get(name) or "").strip()  # noqa: E731
    url = get("url")
    if not url:
        raise BadQuery("url is required: a page's URL, or a pattern with * for any characters.", "url")
    if len(url) > URL_MAX:
        raise BadQuery(f"url is too long: {len(url)} characters, where a page's URL has at most {URL_MAX}.", "url")
    if "\x00" in url:
        raise BadQuery("url must not contain a NUL character.", "url")
    kind = get("kind") or "click"
    if kind not in KINDS:
        raise BadQuery("kind must be click, scroll or move.", "kind")
    device = get("device")
    if device and device not in DEVICES:
        raise BadQuery("device must be desktop, tablet or mobile.", "device")
    today = timezone.localdate()
    day_to = _day(get("date_to"), "date_to") or today
    day_from = _day(get("date_from"), "date_from") or max(day_to - timedelta(days=HEATMAP_DEFAULT_DAYS - 1), FIRST_DAY)
    if day_from > day_to:
        raise BadQuery("date_from must not be after date_to.", "date_from")
    if "*" not in url:
        url = page_url(url)  # an anchor of a page shows the page's heatmap
    return HeatmapQuery(url=url, kind=kind, device=device, day_from=day_from, day_to=day_to)


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadQuery(f"{name} must be a date, YYYY-MM-DD.", name) from None
    if day < FIRST_DAY:
        raise BadQuery(f"{name} must not be before {FIRST_DAY.isoformat()}.", name)
    return day


@extend_schema(parameters=[OpenApiParameter(name, str, description=text) for name, text in HEATMAP_PARAMS],
               responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT})
@api_view(["GET"])
def site_heatmap(request: Request, site_id: int) -> Response:
    """Clicks (elements with counts and positions in their box), scroll depth (share per tenth) or pointer movement."""
    site = membership_get(request.user, site_id).site
    try:
        query = heatmap_query(request.query_params)
    except BadQuery as error:
        return Response({"error": "bad_query", "detail": str(error)}, status=400)
    return Response(heatmap(site_id=site.pk, query=query))
