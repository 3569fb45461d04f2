"""Health probes and metrics for operators; served by ops.middleware ahead of the rest of the stack."""
import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import health
from .metrics import exposition, registry_for_scrape


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers; no dependency is touched (a liveness probe)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Database, broker, storage and cache reachable (a readiness probe); 503 names what is not."""
    results = health.readiness(settings.READYZ_TIMEOUT)
    down = health.failing(results)
    if down:
        return JsonResponse({"status": "unavailable", "failing": down, "checks": results}, status=503)
    return JsonResponse({"status": "ok", "checks": results})


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for a scraper that sends `Authorization: Bearer METRICS_TOKEN`."""
    if not settings.METRICS_TOKEN:
        return JsonResponse({"error": "not_found", "detail": "Metrics are off; set METRICS_TOKEN."}, status=404)
    sent = request.headers.get("Authorization", "").encode()
    if not hmac.compare_digest(sent, f"Bearer {settings.METRICS_TOKEN}".encode()):
        response = JsonResponse({"error": "not_authenticated", "detail": "Send Authorization: Bearer METRICS_TOKEN."}, status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    body, content_type = exposition(registry_for_scrape(backlog=True), request.headers.get("Accept"))
    return HttpResponse(body, content_type=content_type)
