"""Answers for requests that a dependency being down made fail: 503 with Retry-After, never a 500."""
import logging

from botocore.exceptions import ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

DEPENDENCY_ERRORS = (
    OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError,
    EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError,  # object storage
)
RETRY_AFTER_SECONDS = 10


class DependencyDownMiddleware:
    """A view that fails because the database, Redis or the object storage is unreachable answers 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DEPENDENCY_ERRORS):
            return None
        log.warning("%s %s: a dependency is unavailable: %s", request.method, request.path, exception)
        detail = "A service this server depends on is unavailable; retry in a few seconds."
        if request.path.startswith("/api/"):
            response = JsonResponse({"error": "unavailable", "detail": detail}, status=503)
        else:
            response = HttpResponse(detail, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
