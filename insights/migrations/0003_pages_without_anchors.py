"""Heatmaps and frustration signals count a page once, whatever anchor of it a visitor was at.

Rows written before kept the URL's fragment (`/docs#install` apart from
`/docs`): their URL and page key become the page's, and heatmap cells that
now share a key are summed into one. A fragment that is a route (`#/cart`,
`#!/cart`) stays. Only rows whose URL holds `#` are read.
"""
import hashlib

from django.db import migrations

BATCH = 2000


def _page(url: str) -> str:
    # insights.services.page_url as of this migration (a migration keeps its own copy).
    base, mark, fragment = url.partition("#")
    return url if not mark or fragment[:1] in ("/", "!") else base


def _key(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8", "surrogatepass")).hexdigest()


def _anchored(model):
    """Rows whose URL has a fragment that is not a route, a batch at a time."""
    rows = model.objects.filter(url__contains="#").order_by("pk")
    last = 0
    while True:
        batch = [row for row in rows.filter(pk__gt=last)[:BATCH]]
        if not batch:
            return
        last = batch[-1].pk
        yield [row for row in batch if _page(row.url) != row.url]


def forwards(apps, schema_editor):
    Signal, HeatFact, HeatCell = (apps.get_model("insights", name) for name in ("Signal", "HeatFact", "HeatCell"))
    for rows in _anchored(Signal):
        for row in rows:
            row.url = _page(row.url)
        Signal.objects.bulk_update(rows, ["url"])
    for rows in _anchored(HeatFact):
        for row in rows:
            row.url = _page(row.url)
            row.page = _key(row.url)
        HeatFact.objects.bulk_update(rows, ["url", "page"])
    key = ("site_id", "kind", "day", "device", "selector", "cx", "cy")
    for rows in _anchored(HeatCell):
        for row in rows:
            row.url = _page(row.url)
            row.page = _key(row.url)
            same = HeatCell.objects.filter(page=row.page, **{name: getattr(row, name) for name in key}).first()
            if same is None:
                row.save(update_fields=["url", "page"])
            else:  # the page's own cell (or one moved before): the counts summed there
                same.count += row.count
                same.save(update_fields=["count"])
                row.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("insights", "0002_lighter_writes"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
