from django.db import models

from sites.models import Site


class Session(models.Model):
    """One visitor's continuous recording on a site; the id is the recorder's `sid`."""

    id = models.UUIDField(primary_key=True)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="sessions")
    visitor_id = models.CharField(max_length=64, db_index=True)
    identity = models.CharField(max_length=255, blank=True, db_index=True)
    tags = models.JSONField(default=dict, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, db_index=True)
    last_activity_at = models.DateTimeField(null=True)
    # Server time of the last stored chunk: what "live" is judged by, immune to client clocks.
    received_at = models.DateTimeField(null=True)
    duration_ms = models.BigIntegerField(default=0)
    page_count = models.PositiveIntegerField(default=0)
    event_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    chunk_count = models.PositiveIntegerField(default=0)
    stored_bytes = models.BigIntegerField(default=0)

    user_agent = models.CharField(max_length=512, blank=True)
    browser = models.CharField(max_length=64, blank=True)
    os = models.CharField(max_length=64, blank=True)
    device_type = models.CharField(max_length=16, blank=True)
    viewport_w = models.PositiveIntegerField(null=True)
    viewport_h = models.PositiveIntegerField(null=True)
    screen_w = models.PositiveIntegerField(null=True)
    screen_h = models.PositiveIntegerField(null=True)
    language = models.CharField(max_length=35, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    entry_url = models.URLField(max_length=2048, blank=True)
    referrer = models.URLField(max_length=2048, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # Node ids of password/card inputs seen so far, so the scrubber masks later input events.
    scrub_ids = models.JSONField(default=list, blank=True)

    ACTIVE, FINISHED = "active", "finished"
    status = models.CharField(max_length=10, default=ACTIVE, choices=[(ACTIVE, "Active"), (FINISHED, "Finished")])

    class Meta:
        indexes = [
            models.Index(fields=["site", "-started_at", "-id"], name="session_site_newest"),
            models.Index(fields=["site", "-duration_ms", "-id"], name="session_site_longest"),
        ]

    def __str__(self) -> str:
        return str(self.id)

    @property
    def duration_seconds(self) -> int:
        return round(self.duration_ms / 1000)


class PageView(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="pageviews")
    url = models.URLField(max_length=2048)
    title = models.CharField(max_length=512, blank=True)
    kind = models.CharField(max_length=10, default="load")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["session", "at"])]


class Chunk(models.Model):
    """One accepted batch; `(session, seq)` is unique, so a repeated post is stored once."""

    PENDING, STORED = "pending", "stored"
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    status = models.CharField(max_length=10, default=PENDING, choices=[(PENDING, "Pending"), (STORED, "Stored")])
    key = models.CharField(max_length=255)
    received_bytes = models.PositiveIntegerField(default=0)
    stored_bytes = models.PositiveIntegerField(default=0)
    event_count = models.PositiveIntegerField(default=0)
    first_ts = models.BigIntegerField(null=True)
    last_ts = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    stored_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["session", "seq"], name="chunk_session_seq_unique")]
