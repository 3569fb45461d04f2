"""Middleware of our own: batches from recorders go straight to ingest; a dependency that is down gives 503."""
import logging

from botocore.exceptions import (
    ClientError, ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError,
)
from django.db import InterfaceError, InternalError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.urls import NoReverseMatch, reverse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError as RedisFullError
from redis.exceptions import ReadOnlyError as RedisReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

DEPENDENCY_ERRORS = (
    OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError,
    RedisFullError, RedisReadOnlyError,  # Redis at maxmemory with noeviction, or a replica after a failover
    EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError,  # object storage
)
RETRY_AFTER_SECONDS = 10
READ_ONLY_SQLSTATE = "25006"  # read_only_sql_transaction


def database_unavailable(error: BaseException) -> bool:
    """The database cannot be reached, or takes no writes: a standby the app was pointed at after a failover,
    a database set read-only as its disk filled. Either comes back, as Redis refusing writes does."""
    if isinstance(error, (OperationalError, InterfaceError)):
        return True
    return isinstance(error, InternalError) and getattr(error.__cause__, "sqlstate", None) == READ_ONLY_SQLSTATE


def storage_unavailable(error: BaseException) -> bool:
    """The object storage answers, with a server error (S3's 503 SlowDown, a MinIO still starting) that
    outlasted boto's retries: down for now, as one that refuses connections is."""
    return isinstance(error, ClientError) and error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500


def dependency_unavailable(error: BaseException) -> bool:
    """The database, Redis or the object storage is down (or refuses writes) for now: retry later."""
    return isinstance(error, DEPENDENCY_ERRORS) or database_unavailable(error) or storage_unavailable(error)


class IngestMiddleware:
    """Hands recorder batches (and their preflights) to the ingest view, past the dashboard's middleware.

    Placed after the request log and SecurityMiddleware (HTTPS redirect, its
    headers). What follows it serves people in a browser (static files,
    sessions, CSRF, logins, messages, framing and page policy), and URL
    resolution finds one view: a batch needs none of it, and it cost a
    sixth of accepting one (BENCHMARKS.md, "Ingest"). The view answers a
    database that is down with 503 itself. The Host header is checked
    against ALLOWED_HOSTS, as CommonMiddleware checks it for other requests.
    """

    def __init__(self, get_response):
        from recorder.views import ingest

        self.get_response = get_response
        self.view = ingest
        try:
            self.path = reverse("ingest")
        except NoReverseMatch:  # a URLconf without ingest (a test's)
            self.path = None

    def __call__(self, request):
        if request.path_info != self.path:
            return self.get_response(request)
        request.get_host()  # DisallowedHost: Django answers 400
        return self.view(request)


class DependencyDownMiddleware:
    """A view that fails because the database, Redis or the object storage is unreachable answers 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not dependency_unavailable(exception):
            return None
        log.warning("%s %s: a dependency is unavailable: %s", request.method, request.path, exception)
        detail = "A service this server depends on is unavailable; retry in a few seconds."
        if request.path.startswith("/api/"):
            response = JsonResponse({"error": "unavailable", "detail": detail}, status=503)
        else:
            response = HttpResponse(detail, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
