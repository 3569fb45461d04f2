"""API errors are JSON of the same shape as ingest's: {"error": code, "detail": text}."""
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from django.views.defaults import server_error as page_server_error
from rest_framework.authentication import SessionAuthentication
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import exception_handler as drf_handler

from privacy.ip import client_ip

# DRF turns Django's own exceptions into answers but they carry no code.
_DJANGO_CODES = {Http404: "not_found", PermissionDenied: "permission_denied"}


def exception_handler(exc, context):
    response = drf_handler(exc, context)
    if response is not None:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        code = getattr(exc, "default_code", None) or _DJANGO_CODES.get(type(exc), "error")
        response.data = {"error": code, "detail": str(detail) if detail is not None else response.data}
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 (DEBUG off): JSON of that shape under /api/, as the API's own 404s; elsewhere the dashboard's
    page (templates/404.html), which says what may have happened and leads back to the sites."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": "not_found", "detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 (DEBUG off): JSON of that shape under /api/, which clients parse; elsewhere the dashboard's
    page (templates/500.html). Neither touches the database, which may be what failed."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": "server_error", "detail": "The server failed; the error is logged."}, status=500)
    return page_server_error(request)


class TokenRateThrottle(UserRateThrottle):
    """API_RATE per user for requests made with a token (scripts), per address for those made with nothing (the
    schema is open to anyone). The dashboard's own requests, made with its login, are not counted, as its pages
    are not: the player following a live session asks every 3 s (1,200 to 2,400 times an hour), and at the
    limit it stopped, and so did the user's replays and scripts."""

    def get_ident(self, request) -> str:
        # DRF's believes any X-Forwarded-For (with NUM_PROXIES unset): each made-up one was a new client.
        return client_ip(request.META) or ""

    def allow_request(self, request, view) -> bool:
        if isinstance(request.successful_authenticator, SessionAuthentication):
            return True
        return super().allow_request(request, view)
