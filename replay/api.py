"""REST API: sites, their sessions, a session's events, deletion."""
import time

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import CursorPagination

from ops import metrics
from privacy.audit import audit_record
from privacy.services import session_delete
from recorder.models import Session
from sites.models import Site
from sites.selectors import membership_get, sites_for_user

from .filters import SESSION_FILTER_PARAMS, sessions_filter
from .selectors import session_chunks_contiguous, session_events_json, sessions_for_site
from .serializers import SessionDetailSerializer, SessionSerializer, SiteSerializer


def _timed(parts, started: float):
    """The streamed answer, with its time observed when the last part has gone."""
    yield from parts
    metrics.events_api_observed(time.perf_counter() - started)


class SitePagination(CursorPagination):
    ordering = ("id",)


class SiteViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SiteSerializer
    pagination_class = SitePagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Site.objects.none()
        return sites_for_user(self.request.user)


class SessionPagination(CursorPagination):
    ordering = ("-started_at", "-id")
    page_size = 50


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
        return sessions_filter(sessions_for_site(site), self.request.query_params)

    def paginate_queryset(self, queryset):
        if self.request.query_params.get("sort") == "longest":
            self.paginator.ordering = ("-duration_ms", "-id")
        return super().paginate_queryset(queryset)


class SessionViewSet(mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = SessionDetailSerializer
    queryset = Session.objects.none()  # for the schema; get_object checks membership

    def get_object(self):
        session = get_object_or_404(Session.objects.select_related("site"), pk=self.kwargs["pk"])
        self.membership = membership_get(self.request.user, session.site_id)
        return session

    def perform_destroy(self, session):
        if not self.membership.can_manage:
            raise PermissionDenied("Only owners and admins delete sessions.")
        audit_record(user=self.request.user, site=session.site, action="session.delete", target=str(session.pk))
        session_delete(session=session)

    @extend_schema(
        parameters=[OpenApiParameter("from_seq", int, description="Only chunks with this sequence or later.")],
        responses={200: {"type": "array", "items": {"type": "object"}}},
    )
    @action(detail=True, methods=["get"], url_path="events", url_name="events")
    def events(self, request, pk=None):
        """The session's rrweb events in order, streamed chunk by chunk."""
        started = time.perf_counter()
        session = self.get_object()
        raw = request.query_params.get("from_seq", "0")
        from_seq = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 0
        chunks, next_seq = session_chunks_contiguous(session, from_seq=from_seq)
        response = StreamingHttpResponse(_timed(session_events_json(chunks), started), content_type="application/json")
        response["X-Next-Seq"] = str(next_seq)
        response["Cache-Control"] = "no-store"
        return response
