"""API errors are JSON of the same shape as ingest's: {"error": code, "detail": text}."""
from rest_framework.views import exception_handler as drf_handler


def exception_handler(exc, context):
    response = drf_handler(exc, context)
    if response is not None:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        code = getattr(exc, "default_code", "error")
        response.data = {"error": code, "detail": str(detail) if detail is not None else response.data}
    return response
