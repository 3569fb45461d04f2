from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Site(models.Model):
    """A website that records sessions; its numeric id is the snippet's `wid`."""

    name = models.CharField(max_length=200)
    # Host names (optionally with :port, or *.example.com) whose pages may send batches.
    domains = models.JSONField(default=list, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_sites")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Targeting
    sample_rate = models.FloatField(
        default=100, validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percentage of visitors recorded; a sampled visitor stays sampled.",
    )
    include_urls = models.TextField(blank=True, help_text="One URL pattern per line; empty records every page. * is a wildcard.")
    exclude_urls = models.TextField(blank=True, help_text="One URL pattern per line never recorded.")
    min_session_sec = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(3600)],
        help_text="Sessions shorter than this are never shown or kept.",
    )
    session_timeout_min = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(720)],
        help_text="Minutes of inactivity after which a new session starts.",
    )

    # Capture toggles
    record_console = models.BooleanField(default=True, help_text="Record console errors and warnings.")
    record_network = models.BooleanField(default=True, help_text="Record network request timings (never bodies or headers).")
    network_query_allow = models.BooleanField(default=False, help_text="Keep query-string values of recorded request URLs.")

    # Privacy
    mask_all_inputs = models.BooleanField(default=True, help_text="Mask every input, textarea and select value.")
    mask_all_text = models.BooleanField(default=False, help_text="Mask every text on the page too.")
    mask_selectors = models.TextField(blank=True, help_text="CSS selectors whose text and values are masked.")
    ignore_selectors = models.TextField(blank=True, help_text="CSS selectors never recorded at all.")
    unmask_selectors = models.TextField(blank=True, help_text="CSS selectors of inputs shown despite input masking.")
    scrub_emails = models.BooleanField(default=False, help_text="Mask e-mail addresses on the server before storage.")
    url_mask_params = models.TextField(
        blank=True,
        help_text=(
            "Names of URL parameters whose values are masked in page addresses, requests and links, one per line "
            "(e.g. q for a search box's terms). Those that carry credentials (token, code, key, signature, "
            "session ids and the like) always are. * masks every query value of the pages' own addresses."
        ),
    )
    consent_required = models.BooleanField(default=False, help_text="Record nothing until the page calls __insp.push(['consent', true]).")
    honor_dnt = models.BooleanField(default=True, help_text="Do not record visitors who send Global Privacy Control or Do Not Track.")
    notice = models.BooleanField(default=False, help_text="Show visitors a small notice that the session may be recorded.")
    notice_text = models.CharField(max_length=200, default="This session may be recorded to improve the site.", blank=True)
    ip_rules = models.TextField(blank=True, help_text="Excluded visitor IPs, one per line: addresses, wildcards (192.168.*.*) or CIDR ranges.")
    IP_TRUNCATE, IP_NONE = "truncate", "none"
    ip_storage = models.CharField(
        max_length=10, default=IP_TRUNCATE,
        choices=[(IP_TRUNCATE, "Store truncated (IPv4 /24, IPv6 /48)"), (IP_NONE, "Do not store")],
    )
    replay_resources = models.BooleanField(
        default=True,
        help_text=(
            "Let replays load the recorded site's images, styles, fonts and media from its servers. "
            "Those servers then see the viewer's IP address, browser, and when a replay happened."
        ),
    )
    retention_days = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Days a recording is kept.",
    )

    # Deletion (sites.services.site_delete_request): when it was asked, which hides the site from everyone,
    # and until when a run deleting its rows holds it (by the database's clock; past it, another run may).
    deleting_since = models.DateTimeField(null=True, blank=True, editable=False)
    deletion_lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.pk})"


class Membership(models.Model):
    OWNER, ADMIN, VIEWER = "owner", "admin", "viewer"
    ROLES = [(OWNER, "Owner"), (ADMIN, "Admin"), (VIEWER, "Viewer")]

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=ROLES, default=VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "user"], name="membership_unique")]

    @property
    def can_manage(self) -> bool:
        return self.role in (self.OWNER, self.ADMIN)
