from django.db import models
from django.db.models.functions import Now

from sites.models import Site


class Session(models.Model):
    """One visitor's continuous recording on a site; the id is the recorder's `sid`."""

    id = models.UUIDField(primary_key=True)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="sessions")
    visitor_id = models.CharField(max_length=64, db_index=True)
    identity = models.CharField(max_length=255, blank=True, db_index=True)
    tags = models.JSONField(default=dict, blank=True)

    # The database's clock (the worker writes its commit's moment): hosts' clocks may differ.
    created_at = models.DateTimeField(db_default=Now())
    started_at = models.DateTimeField(null=True, db_index=True)
    last_activity_at = models.DateTimeField(null=True)
    # Server time of the last stored chunk: what "live" is judged by, immune to client clocks.
    received_at = models.DateTimeField(null=True)
    # How far the server's clock was ahead of the visitor's when the session's first batch came (0 when
    # that is too close to tell from the upload's time, services.clock_offset): started_at,
    # last_activity_at and page views are at the server's clock, the events keep the visitor's.
    clock_offset_ms = models.BigIntegerField(default=0, db_default=0)
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
    # Frustration signals (insights/detect.py), their friction score, and the detector's
    # carry-over state while clicks or a page view are still open (None once settled).
    rage_clicks = models.PositiveIntegerField(default=0, db_default=0)
    dead_clicks = models.PositiveIntegerField(default=0, db_default=0)
    error_clicks = models.PositiveIntegerField(default=0, db_default=0)
    quick_backs = models.PositiveIntegerField(default=0, db_default=0)
    friction = models.FloatField(default=0, db_default=0)
    signal_state = models.JSONField(null=True, blank=True)

    ACTIVE, FINISHED = "active", "finished"
    status = models.CharField(max_length=10, default=ACTIVE, choices=[(ACTIVE, "Active"), (FINISHED, "Finished")])

    class Meta:
        indexes = [
            models.Index(fields=["site", "-started_at", "-id"], name="session_site_newest"),
            models.Index(fields=["site", "-duration_ms", "-id"], name="session_site_longest"),
            models.Index(fields=["site", "-friction", "-id"], name="session_site_friction"),
        ]

    def __str__(self) -> str:
        return str(self.id)

    @property
    def duration_seconds(self) -> int:
        # Whole seconds passed, as the player's clock counts them and the length filters compare them: a
        # session of 6.9 s is "0:06" everywhere, and not "at least 7 s" long.
        return self.duration_ms // 1000


class PageView(models.Model):
    # (Indexed by the index on (session, at), as Chunk's and Segment's sessions by theirs: a second index
    # of the session alone is one more to write on every row.)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="pageviews", db_index=False)
    # The session's site, copied by the worker so "visited URL contains" searches one site's pages only.
    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, related_name="+", db_index=False)
    url = models.URLField(max_length=2048)
    title = models.CharField(max_length=512, blank=True)
    kind = models.CharField(max_length=10, default="load")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["session", "at"])]


class Chunk(models.Model):
    """One accepted batch, durable from the moment ingest answers 202.

    Ingest writes the request body (`body`) and answers; the worker turns it
    into plain, scrubbed rrweb events stored gzipped in `data`, and drops the
    body. A batch the worker cannot process keeps its body, is marked failed
    with its reason, and can be re-driven. `(session, seq)` is unique, so a
    repeated post is stored once. The session row may not exist yet while a
    chunk is pending: the worker creates it, hence no database constraint.
    """

    PENDING, STORED, FAILED = "pending", "stored", "failed"
    STATUSES = [(PENDING, "Pending"), (STORED, "Stored"), (FAILED, "Failed")]
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, db_constraint=False, related_name="chunks",
                                db_index=False)
    seq = models.PositiveIntegerField()
    status = models.CharField(max_length=10, default=PENDING, choices=STATUSES)
    # The request body as received (gzip or JSON), kept until the chunk is stored.
    body = models.BinaryField(null=True, editable=False)
    # Stored: gzip of the JSON array of the chunk's plain rrweb events.
    data = models.BinaryField(null=True, editable=False)
    # Chunks stored before `data` existed live in this object of the recordings storage.
    key = models.CharField(max_length=255, blank=True)
    # Who sent it, for the session row the worker creates: vid, ip (as the site keeps it), user agent.
    sender = models.JSONField(default=dict, blank=True)
    received_bytes = models.PositiveIntegerField(default=0)
    stored_bytes = models.PositiveIntegerField(default=0)
    event_count = models.PositiveIntegerField(default=0)
    first_ts = models.BigIntegerField(null=True)
    last_ts = models.BigIntegerField(null=True)
    # Timestamps (ms) of the full snapshots in it: where a replay can start.
    snapshots = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When a worker was last asked to process it; the sweeper asks again when this is old.
    queued_at = models.DateTimeField(null=True)
    # A worker holds the chunk until then; past it, the chunk is free again.
    lease_until = models.DateTimeField(null=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    stored_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["session", "seq"], name="chunk_session_seq_unique")]
        indexes = [
            models.Index(fields=["queued_at"], condition=models.Q(status="pending"), name="chunk_pending_queued"),
            models.Index(fields=["site", "created_at"], condition=models.Q(status="failed"), name="chunk_failed_site"),
            models.Index(fields=["stored_at"], condition=models.Q(status="stored"), name="chunk_stored_at"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.seq}"


class Segment(models.Model):
    """A compacted run of a session's stored chunks: one object in the recordings storage, and its index.

    The object is a JSON array of plain rrweb events, zstd-compressed so that
    a browser decodes it as it is (`Content-Encoding: zstd`). A segment starts
    at a full snapshot where it can, so a replay can start from any of them.
    Compaction writes the row first (`writing`), then the object, then marks
    the row `ready` and deletes the chunks in one transaction: a crash leaves a
    `writing` row whose object a later run deletes, never an object no row
    knows of.
    """

    WRITING, READY = "writing", "ready"
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="segments", db_index=False)
    state = models.CharField(max_length=10, default=WRITING, choices=[(WRITING, "Writing"), (READY, "Ready")])
    key = models.CharField(max_length=255, unique=True)
    encoding = models.CharField(max_length=10, default="zstd")
    # The sequence numbers of the chunks it holds (a late repeat of one is dropped).
    seqs = models.JSONField(default=list)
    first_ts = models.BigIntegerField()
    last_ts = models.BigIntegerField()
    # Timestamps (ms) of its full snapshots.
    snapshots = models.JSONField(default=list, blank=True)
    event_count = models.PositiveIntegerField(default=0)
    raw_bytes = models.BigIntegerField(default=0)
    stored_bytes = models.BigIntegerField(default=0)
    # The database's clock, as the runs that delete a crashed run's `writing` rows read it (hosts' may differ).
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["first_ts", "id"]
        indexes = [models.Index(fields=["session", "first_ts"], name="segment_session_time")]

    def __str__(self) -> str:
        return self.key


class DailyRollup(models.Model):
    """A site's shown sessions started on one day (site time zone): what the overview adds up.

    Kept by the worker as chunks are stored and by deletions (recorder/rollups.py);
    `manage.py rebuildrollups` recomputes it from the sessions.
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sessions = models.BigIntegerField(default=0)
    duration_ms = models.BigIntegerField(default=0)
    with_errors = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "day"], name="rollup_site_day")]


class PageRollup(models.Model):
    """A site's shown sessions started on one day that visited a URL (cut to URL_MAX characters), each once."""

    URL_MAX = 512  # 4 bytes a character at most: stays under a btree entry's limit
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    url = models.CharField(max_length=URL_MAX)
    sessions = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "day", "url"], name="pagerollup_site_day_url")]


class SiteUrl(models.Model):
    """Each page URL a site's sessions visited, once.

    "Visited a URL containing …" searches these rows first (a site has far
    fewer distinct URLs than page views), then the page views of the URLs
    found. Kept by the worker as page views are written, pruned when the last
    page view of a URL is deleted (recorder/rollups.py).
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=32)  # md5 of the URL: URLs are too long for a unique index
    url = models.URLField(max_length=2048)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "key"], name="siteurl_site_key")]


class DeletedSession(models.Model):
    """A session deleted while its visitor may still be on the site: its later batches are refused (410),
    so that it does not come back. Kept DELETED_SESSION_DAYS, longer than a visit goes on."""

    id = models.UUIDField(primary_key=True)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    deleted_at = models.DateTimeField(db_index=True)


class ObjectDeletion(models.Model):
    """An object of the recordings storage whose rows are deleted already, to be deleted after them.

    The idle sweep decides which sessions go under their rows' lock, and no
    storage call is made inside a transaction: the rows go first, and the
    keys of their objects are written here in the same transaction. Their
    objects are deleted once it commits, then these rows. A crash in between
    leaves these rows, and the next sweep deletes their objects: the sweep
    leaves no object the database does not know of. (Other races can: the
    daily `deleteorphans` job, recorder/orphans.py, removes those.)
    """

    key = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(db_default=Now())

    def __str__(self) -> str:
        return self.key
