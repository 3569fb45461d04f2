"""Request ids, one log line per request, and the operators' endpoints."""
import logging
import time

from django.http import HttpRequest, HttpResponse

from privacy.ip import proxy_trusted

from . import metrics, views
from .logs import request_id_from, request_id_new, request_id_var

logger = logging.getLogger("hindsight.request")

# Answered before host validation, HTTPS redirects and sessions: probes and
# scrapers reach a container by its internal address, over plain HTTP.
OPS_ENDPOINTS = {"/healthz": views.healthz, "/readyz": views.readyz, "/metrics": views.metrics}


class OpsEndpointsMiddleware:
    """/healthz, /readyz and /metrics; first in MIDDLEWARE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = OPS_ENDPOINTS.get(request.path_info)
        return view(request) if view else self.get_response(request)


class RequestLogMiddleware:
    """Gives each request an id (a trusted proxy's X-Request-ID, or a new one), echoes it and logs one line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = self._proxy_id(request) or request_id_new()
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            response["X-Request-ID"] = request_id
            self._log(request, response.status_code, seconds)
            metrics.http_response_observed(response.status_code, seconds)
            return response
        finally:
            request_id_var.reset(token)

    @staticmethod
    def _proxy_id(request: HttpRequest) -> str | None:
        if not proxy_trusted(request.META.get("REMOTE_ADDR")):
            return None  # anyone else could pick ids that collide with real ones
        return request_id_from(request.headers.get("X-Request-ID"))

    @staticmethod
    def _log(request: HttpRequest, status: int, seconds: float) -> None:
        duration_ms = round(seconds * 1000, 1)
        level = logging.ERROR if status >= 500 else logging.INFO
        logger.log(
            level, "%s %s %s %.1fms", request.method, request.path, status, duration_ms,
            extra={"method": request.method, "path": request.path, "status": status, "duration_ms": duration_ms},
        )
