"""REST API: sites, their sessions, a session's recording (events, parts), deletion."""
import gzip
import time

from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, viewsets
from rest_framework.generics import get_object_or_404  # a malformed id is a 404, not a 500
from rest_framework.decorators import action
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.text import compress_sequence
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from ops import metrics
from privacy.audit import audit_record
from privacy.services import session_delete
from recorder.models import Session
from recorder.processing import segment_decode
from sites.models import Site
from sites.selectors import membership_get, sites_for_user

from .filters import SESSION_FILTER_PARAMS, param_get, sessions_filter, sessions_sort, sort_field
from .pagination import cursor_decode, cursor_encode, cursor_parse, keyset_page
from .recordings import part_find, part_stored, session_events_stream, session_parts
from .selectors import sessions_for_site, sessions_live_marked
from .serializers import SessionDetailSerializer, SessionSerializer, SiteSerializer


def _timed(parts, started: float):
    """The streamed answer, with its time observed when the last part has gone."""
    yield from parts
    metrics.events_api_observed(time.perf_counter() - started)


class SitePagination(CursorPagination):
    ordering = ("id",)

    def decode_cursor(self, request):
        """DRF's cursor, whose position must be a site id here: `p=abc` (or 1.5, or NUL) reached the
        database as the id to start after and gave a 500."""
        cursor = super().decode_cursor(request)
        position = cursor.position if cursor is not None else None
        if position is not None and not (position.isascii() and position.isdigit() and len(position) <= 10):
            raise NotFound(self.invalid_cursor_message)
        return cursor


class SiteViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SiteSerializer
    pagination_class = SitePagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Site.objects.none()
        return sites_for_user(self.request.user)


class SessionPagination(BasePagination):
    """Keyset pages of the session list (replay/pagination.py): `next` carries an opaque `cursor`."""

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        raw = param_get(request.query_params, "cursor")
        cursor = cursor_decode(raw) if raw else None
        field = sort_field(request.query_params)
        if raw and (cursor is None or cursor_parse(cursor.removeprefix("<"), field) is None):
            raise NotFound("Invalid cursor: use the `next` link of a previous page.")
        self.page = keyset_page(queryset, field=field, cursor=cursor)
        return self.page.items

    def get_paginated_response(self, data):
        links = {
            name: replace_query_param(self.request.build_absolute_uri(), "cursor", cursor_encode(cursor))
            if cursor else None
            for name, cursor in (("next", self.page.next_cursor), ("previous", self.page.previous_cursor))
        }
        return Response({**links, "results": data})

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {"type": "object", "required": ["results"], "properties": {"next": link, "previous": link, "results": schema}}

    def get_schema_operation_parameters(self, view):
        return [{"name": "cursor", "required": False, "in": "query", "description": "The page after this one's `next`.",
                 "schema": {"type": "string"}}]


class SiteSessionList(generics.ListAPIView):
    """Sessions of one site, newest first, with the dashboard's filters as query parameters."""

    serializer_class = SessionSerializer
    pagination_class = SessionPagination

    @extend_schema(parameters=[OpenApiParameter(name, str, description=text) for name, text in SESSION_FILTER_PARAMS])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Session.objects.none()
        site = membership_get(self.request.user, self.kwargs["site_id"]).site
        params = self.request.query_params
        sessions = sessions_sort(sessions_filter(sessions_for_site(site), params, site_id=site.pk), params)
        return sessions_live_marked(sessions)


class SessionViewSet(mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = SessionDetailSerializer
    queryset = Session.objects.none()  # for the schema; get_object checks membership

    def get_object(self):
        # Among the user's sites' sessions: another site's is "no such session", as an id nobody has is.
        sessions = Session.objects.select_related("site").filter(site__memberships__user=self.request.user)
        session = get_object_or_404(sessions_live_marked(sessions), pk=self.kwargs["pk"])
        self.membership = membership_get(self.request.user, session.site_id)
        return session

    def perform_destroy(self, session):
        if not self.membership.can_manage:
            raise PermissionDenied("Only owners and admins delete sessions.")
        audit_record(user=self.request.user, site=session.site, action="session.delete", target=str(session.pk))
        session_delete(session=session)

    @extend_schema(
        parameters=[OpenApiParameter("from_seq", int, description="Only batches with this sequence number or later.")],
        responses={200: {"type": "array", "items": {"type": "object"}}},
    )
    @action(detail=True, methods=["get"], url_path="events", url_name="events")
    def events(self, request, pk=None):
        """The session's rrweb events in order, as one JSON array (gzip where the client takes it).

        A session deleted while they are sent ends the array after the events sent, with a custom event
        (`hs.session`, `{"deleted_during_read": true}`): the status went out with the first byte.
        """
        started = time.perf_counter()
        session = self.get_object()
        events, next_seq = session_events_stream(session, from_seq=_from_seq(request), note_deletion=True)
        body = _timed(events, started)
        response = StreamingHttpResponse(body, content_type="application/json")
        if _accepts(request, "gzip"):
            response.streaming_content = compress_sequence(response.streaming_content)
            response["Content-Encoding"] = "gzip"
        patch_vary_headers(response, ["Accept-Encoding"])
        response["X-Next-Seq"] = str(next_seq)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        parameters=[OpenApiParameter("from_seq", int, description="Only parts holding this batch or later ones.")],
        responses={200: {"type": "object"}},
    )
    @action(detail=True, methods=["get"], url_path="recording", url_name="recording")
    def recording(self, request, pk=None):
        """The recording's parts (a few minutes each, from a full snapshot): their times, snapshots and URLs.

        The player fetches the part it needs to show the current moment first,
        then the rest; `next_seq` is what to ask for when following a live session.
        """
        session = self.get_object()
        parts, next_seq = session_parts(session, from_seq=_from_seq(request))
        base = reverse("api-session-recording", args=[session.pk])
        answer = {
            "session": str(session.pk), "next_seq": next_seq,
            "start": min((p.first_ts for p in parts), default=None), "end": max((p.last_ts for p in parts), default=None),
            "parts": [{**part.as_json(), "url": f"{base}{part.name}/"} for part in parts],
        }
        response = Response(answer)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(operation_id="sessions_recording_part_retrieve", responses={200: {"type": "array", "items": {"type": "object"}}})
    @action(detail=True, methods=["get"], url_path=r"recording/(?P<part>[a-z0-9-]{2,40})", url_name="recording-part")
    def recording_part(self, request, pk=None, part=None):
        """One part's events as a JSON array, sent as stored (zstd or gzip) where the client decodes it."""
        started = time.perf_counter()
        found = part_find(self.get_object(), part)
        if found is None:
            raise NotFound("No such part of this recording (it may have been compacted since: ask for the list again).")
        try:
            blob, encoding = part_stored(found)
        except FileNotFoundError:  # a deletion takes the objects first, the rows after
            raise NotFound("This part's recording is gone: the session is being deleted.") from None
        response = _encoded(request, blob, encoding)
        response["Cache-Control"] = "private, max-age=31536000, immutable" if found.key else "private, no-cache"
        metrics.events_api_observed(time.perf_counter() - started)
        return response


def _from_seq(request) -> int:
    raw = request.query_params.get("from_seq", "0")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 0


def _accepts(request, coding: str) -> bool:
    """Whether the client's Accept-Encoding takes `coding` (and not with q=0)."""
    for item in request.headers.get("Accept-Encoding", "").split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() == coding:
            return params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _encoded(request, blob: bytes, encoding: str) -> HttpResponse:
    """JSON bytes stored with `encoding`: sent as they are if the client decodes that, else decoded here."""
    if encoding != "identity" and not _accepts(request, encoding):
        blob = segment_decode(blob) if encoding == "zstd" else gzip.decompress(blob)
        encoding = "identity"
    if encoding == "identity" and _accepts(request, "gzip"):
        blob, encoding = gzip.compress(blob, compresslevel=1, mtime=0), "gzip"
    response = HttpResponse(blob, content_type="application/json")
    if encoding != "identity":
        response["Content-Encoding"] = encoding
    patch_vary_headers(response, ["Accept-Encoding"])
    return response
