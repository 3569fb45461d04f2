"""The overview's most visited pages count sessions, not page views.

A page's figure linked to the list of sessions that visited it, which shows a
session once however many times it viewed the page: the two disagreed. Each
row's count becomes the number of sessions (started that day, shown in the
list) that visited the URL, recomputed here from the page views, a site at a
time.
"""
from django.conf import settings
from django.db import migrations
from django.db.models import Count, F
from django.db.models.functions import Left, TruncDate
from zoneinfo import ZoneInfo

URL_MAX = 512  # PageRollup.URL_MAX as of this migration


def recount(apps, schema_editor):
    Site, Session, PageView, PageRollup = (
        apps.get_model(app, name) for app, name in
        (("sites", "Site"), ("recorder", "Session"), ("recorder", "PageView"), ("recorder", "PageRollup"))
    )
    zone = ZoneInfo(settings.TIME_ZONE)
    for site_id in Site.objects.order_by("pk").values_list("pk", flat=True):
        counted = Session.objects.filter(
            site_id=site_id, chunk_count__gt=0, started_at__isnull=False,
            duration_ms__gte=F("site__min_session_sec") * 1000,
        ).order_by()
        rows = (
            PageView.objects.filter(session__in=counted.values("pk")).order_by()
            .annotate(day=TruncDate("session__started_at", tzinfo=zone), cut=Left("url", URL_MAX))
            .values("day", "cut").annotate(n=Count("session_id", distinct=True))
        )
        PageRollup.objects.filter(site_id=site_id).delete()
        PageRollup.objects.bulk_create(
            (PageRollup(site_id=site_id, day=row["day"], url=row["cut"], sessions=row["n"]) for row in rows.iterator()),
            batch_size=500,
        )


class Migration(migrations.Migration):

    dependencies = [
        ('recorder', '0011_session_created_at_database_clock'),
        ('sites', '0004_site_url_mask_params'),
    ]

    operations = [
        migrations.RenameField(model_name='pagerollup', old_name='views', new_name='sessions'),
        migrations.RunPython(recount, migrations.RunPython.noop, elidable=False),
    ]
