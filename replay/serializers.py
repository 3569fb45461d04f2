from django.urls import reverse
from rest_framework import serializers

from insights.serializers import SignalSerializer
from recorder.models import PageView, Session
from sites.models import Site


class SiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "name", "domains", "enabled", "created_at"]


class PageViewSerializer(serializers.ModelSerializer):
    class Meta:
        model = PageView
        fields = ["url", "title", "kind", "at"]


class SessionSerializer(serializers.ModelSerializer):
    site = serializers.IntegerField(source="site_id", read_only=True)
    duration = serializers.IntegerField(source="duration_seconds", read_only=True)
    is_live = serializers.SerializerMethodField()
    replay_url = serializers.SerializerMethodField()
    events_url = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = [
            "id", "site", "visitor_id", "identity", "tags", "started_at", "last_activity_at",
            "clock_offset_ms", "duration", "page_count", "event_count", "error_count", "stored_bytes",
            "browser", "os", "device_type", "viewport_w", "viewport_h", "screen_w", "screen_h",
            "language", "timezone", "entry_url", "referrer", "is_live", "replay_url", "events_url",
            "rage_clicks", "dead_clicks", "error_clicks", "quick_backs", "friction",
        ]

    def get_is_live(self, session: Session) -> bool:
        from .selectors import session_is_live

        return session_is_live(session)

    def get_replay_url(self, session: Session) -> str:
        return reverse("session-player", args=[session.site_id, session.pk])

    def get_events_url(self, session: Session) -> str:
        return reverse("api-session-events", args=[session.pk])


class SessionDetailSerializer(SessionSerializer):
    pages = PageViewSerializer(source="pageviews", many=True, read_only=True)
    signals = SignalSerializer(many=True, read_only=True)

    class Meta(SessionSerializer.Meta):
        fields = SessionSerializer.Meta.fields + ["pages", "signals"]
