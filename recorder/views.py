"""HTTP entry points of the recorder: the loader script and the ingest API."""
import logging
from functools import lru_cache

from csp.decorators import csp_exempt
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from config.middleware import RETRY_AFTER_SECONDS, database_unavailable
from ops import metrics
from privacy.ip import client_ip, ip_excluded, ip_rules_parse
from privacy.optout import opted_out, privacy_signal
from sites.models import Site
from sites.rules import site_rules
from sites.snippet import loader_script, recorder_config

from .ingest import Visitor, batch_accept
from .processing import BatchError

log = logging.getLogger(__name__)
JS = "application/javascript; charset=utf-8"
NOOP = "/* hindsight: not recording */\n"
ACCEPTED = b'{"status": "accepted"}'


def public_base(request: HttpRequest) -> str:
    return settings.PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")


@lru_cache(maxsize=2)
def _bundle(mtime: float) -> str:
    return settings.RECORDER_BUNDLE.read_text(encoding="utf-8")


def recorder_bundle() -> str:
    return _bundle(settings.RECORDER_BUNDLE.stat().st_mtime)


@require_safe  # GET, and HEAD: what uptime checks, link checkers and some CDNs send first
def loader(request: HttpRequest) -> HttpResponse:
    """The recorder with the site's settings embedded, or a no-op for anyone not to record."""
    site = _site_to_record(request)
    body = loader_script(recorder_bundle(), recorder_config(site, public_base(request))) if site else NOOP
    response = HttpResponse(body, content_type=JS)
    # The answer depends on the visitor's opt-out cookies, so shared caches must not keep it.
    response["Cache-Control"] = "private, max-age=300"  # a changed privacy setting reaches browsers within 5 min
    response["Vary"] = "Cookie"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _site_to_record(request: HttpRequest) -> Site | None:
    wid = request.GET.get("wid", "")
    if not (wid.isascii() and wid.isdigit()) or len(wid) > 10:
        return None
    site = Site.objects.filter(pk=int(wid), enabled=True).first()
    if site is None or opted_out(request.COOKIES, site.pk):
        return None
    if site.honor_dnt and privacy_signal(request.META):
        return None
    if ip_excluded(ip_rules_parse(site.ip_rules), client_ip(request.META)):
        return None
    return site


@csrf_exempt
@csp_exempt()  # a JSON answer to a script, never a document: a policy would only cost time
def ingest(request: HttpRequest) -> HttpResponse:
    origin = request.headers.get("Origin")
    if request.method == "OPTIONS":
        return _preflight(request, origin)
    if request.method != "POST":
        return _cors(_error(405, "method_not_allowed", "Use POST."), request, origin)
    visitor = Visitor(
        origin=origin, ip=client_ip(request.META), user_agent=request.headers.get("User-Agent", ""),
        cookies=request.COOKIES, meta=request.META,
    )
    try:
        batch_accept(body=_body(request), visitor=visitor, query_wid=request.GET.get("wid"), query_t=request.GET.get("t"))
    except BatchError as error:
        metrics.batch_refused(error.code)
        return _cors(_error(error.status, error.code, error.detail), request, origin)
    except DatabaseError as error:
        if not database_unavailable(error):
            raise
        log.warning("ingest: database unavailable: %s", error)
        metrics.batch_refused("unavailable")
        return _cors(unavailable("The server cannot keep batches right now; retry later."), request, origin)
    metrics.batch_accepted()
    return _cors(HttpResponse(ACCEPTED, status=202, content_type="application/json"), request, origin)


def unavailable(detail: str) -> JsonResponse:
    """503 with Retry-After: a dependency is down, the client should come back."""
    response = _error(503, "unavailable", detail)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _body(request: HttpRequest) -> bytes:
    """The raw body, refused before reading when its declared length is over the limit."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not request.META.get("CONTENT_LENGTH") and request.META.get("HTTP_TRANSFER_ENCODING"):
        # Django reads no body without a length: the batch would be taken for an empty one.
        raise BatchError(411, "length_required", "Send the batch with a Content-Length, not chunked.")
    if not (declared.isascii() and declared.isdigit()) or len(declared) > 12 or int(declared) > settings.INGEST_MAX_BODY_BYTES:
        raise BatchError(413, "too_large", "The request body is larger than the server accepts.")
    try:
        return request.body
    except RequestDataTooBig:
        raise BatchError(413, "too_large", "The request body is larger than the server accepts.") from None


def _preflight(request: HttpRequest, origin: str | None) -> HttpResponse:
    """Answer CORS preflights for the site's own domains only: the site the URL's wid names (the endpoint's
    URL always carries it). Without one the answer read every site's domains, a row per site for anyone."""
    wid = request.GET.get("wid", "")
    # The site's cached ingest rules: its domains are read once, not per preflight.
    rules = site_rules(int(wid)) if wid.isascii() and wid.isdigit() and len(wid) <= 10 else None
    if rules is None or not rules.origins.allows(origin):
        return _error(403, "origin_not_allowed", "This origin may not send batches.")
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = request.headers.get("Access-Control-Request-Headers", "content-type")
    response["Access-Control-Max-Age"] = "86400"
    return _cors(response, request, origin)


def _cors(response: HttpResponse, request: HttpRequest, origin: str | None) -> HttpResponse:
    # Echoing the origin is safe: batches from origins not of the site are refused anyway,
    # and the answer carries nothing but a status.
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Credentials"] = "true"
        response["Vary"] = "Origin"
    response["Cache-Control"] = "no-store"
    return response


def _error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"error": code, "detail": detail}, status=status)
