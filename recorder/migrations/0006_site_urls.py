import hashlib

import django.db.models.deletion
from django.db import migrations, models

# Postgres only. "Visited URL contains" now searches a site's distinct URLs (trigram index on a few
# rows), then finds their page views by URL (hash index: URLs may be longer than a b-tree entry).
# The trigram index over every page view goes: its common trigrams made a rare path cost a second,
# and it was the dearest index to keep up on every page view written.
POSTGRES_SQL = [
    "INSERT INTO recorder_siteurl (site_id, key, url) "
    "SELECT DISTINCT site_id, md5(url), url FROM recorder_pageview "
    "WHERE site_id IS NOT NULL ON CONFLICT DO NOTHING",
    "CREATE INDEX IF NOT EXISTS siteurl_url_trgm ON recorder_siteurl USING gin (upper(url::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS pageview_url_hash ON recorder_pageview USING hash (url)",
    "DROP INDEX IF EXISTS pageview_site_url_trgm",
    "ANALYZE recorder_siteurl",
    "ANALYZE recorder_pageview",
]
POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS siteurl_url_trgm",
    "DROP INDEX IF EXISTS pageview_url_hash",
    "CREATE INDEX IF NOT EXISTS pageview_site_url_trgm ON recorder_pageview "
    "USING gin (site_id, upper(url::text) gin_trgm_ops)",
]


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_SQL:
            schema_editor.execute(statement)
        return
    PageView, SiteUrl = apps.get_model("recorder", "PageView"), apps.get_model("recorder", "SiteUrl")
    pairs = PageView.objects.exclude(site_id=None).values_list("site_id", "url").distinct().order_by()
    SiteUrl.objects.bulk_create(
        (SiteUrl(site_id=site_id, url=url, key=hashlib.md5(url.encode("utf-8", "surrogatepass")).hexdigest())
         for site_id, url in pairs.iterator()),
        batch_size=500, ignore_conflicts=True,
    )


def unfill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('recorder', '0005_frustration'),
        ('sites', '0003_site_replay_resources'),
    ]

    operations = [
        migrations.CreateModel(
            name='SiteUrl',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=32)),
                ('url', models.URLField(max_length=2048)),
                ('site', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='sites.site')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('site', 'key'), name='siteurl_site_key')],
            },
        ),
        migrations.RunPython(fill, unfill, elidable=False),
    ]
