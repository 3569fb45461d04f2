"""Frustration signals per session, and heatmap facts per session with their aggregates per page and day."""
from django.db import models

from recorder.models import Session
from sites.models import Site

DEVICES = ["desktop", "tablet", "mobile"]
KINDS = ["click", "move", "scroll"]


class Signal(models.Model):
    """One frustration signal of a session; `ts` in ms like the recording's timestamps."""

    RAGE, DEAD, ERROR, QUICK_BACK = "rage", "dead", "error", "quick_back"
    KINDS = [(RAGE, "Rage click"), (DEAD, "Dead click"), (ERROR, "Error click"), (QUICK_BACK, "Quick back")]
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="signals")
    kind = models.CharField(max_length=12, choices=KINDS)
    ts = models.BigIntegerField()
    x = models.IntegerField(null=True)
    y = models.IntegerField(null=True)
    url = models.CharField(max_length=2048, blank=True)
    selector = models.CharField(max_length=512, blank=True)

    class Meta:
        ordering = ["ts", "id"]
        indexes = [
            models.Index(fields=["session", "ts"], name="signal_session_ts"),
            models.Index(fields=["site", "kind"], name="signal_site_kind"),
        ]


class HeatKey(models.Model):
    """A heatmap cell of one site's page, day and device.

    click: `selector` the element, (cx, cy) the tenth of its box; move: (cx, cy) the column
    (twentieths of the viewport width) and row (50 page pixels); scroll: cx the deepest tenth
    of the page a page view saw, count the page views.
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    page = models.CharField(max_length=40)  # sha1 of the URL (a URL is too long for a unique index)
    url = models.CharField(max_length=2048)
    day = models.DateField()
    device = models.CharField(max_length=16)
    kind = models.CharField(max_length=8)
    selector = models.CharField(max_length=512, blank=True)
    cx = models.IntegerField()
    cy = models.IntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        abstract = True


class HeatFact(HeatKey):
    """One session's share of a heatmap cell: kept so that deleting the session takes it back out.

    Written by the worker, about five per stored chunk, and deleted with
    their session (privacy.services.sessions_delete) or site by Django's
    cascade, never alone: no database constraint, whose check per row at
    each commit cost the worker a tenth of its time (BENCHMARKS.md, "Ingest").
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+", db_constraint=False,
                                db_index=False)  # indexed by heatfact_session
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+", db_constraint=False)

    class Meta:
        indexes = [models.Index(fields=["session"], name="heatfact_session")]


class HeatCell(HeatKey):
    """A heatmap cell summed over sessions: what the heatmaps page and API read."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "page", "kind", "day", "device", "selector", "cx", "cy"],
                                    name="heatcell_unique"),
        ]
        indexes = [models.Index(fields=["site", "kind", "day"], name="heatcell_site_kind_day")]
