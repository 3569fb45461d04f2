"""API errors are JSON of the same shape as ingest's: {"error": code, "detail": text}."""
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework.views import exception_handler as drf_handler

# DRF turns Django's own exceptions into answers but they carry no code.
_DJANGO_CODES = {Http404: "not_found", PermissionDenied: "permission_denied"}


def exception_handler(exc, context):
    response = drf_handler(exc, context)
    if response is not None:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        code = getattr(exc, "default_code", None) or _DJANGO_CODES.get(type(exc), "error")
        response.data = {"error": code, "detail": str(detail) if detail is not None else response.data}
    return response
