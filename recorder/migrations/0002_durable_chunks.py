import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def chunk_sites_fill(apps, schema_editor):
    """Chunks stored before this migration belong to their session's site."""
    Chunk = apps.get_model("recorder", "Chunk")
    Session = apps.get_model("recorder", "Session")
    Chunk.objects.filter(site__isnull=True).update(
        site_id=Subquery(Session.objects.filter(pk=OuterRef("session_id")).values("site_id")[:1])
    )


class Migration(migrations.Migration):

    dependencies = [
        ('recorder', '0001_initial'),
        ('sites', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='chunk',
            name='attempts',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='chunk',
            name='body',
            field=models.BinaryField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='chunk',
            name='data',
            field=models.BinaryField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='chunk',
            name='error',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='chunk',
            name='lease_until',
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name='chunk',
            name='queued_at',
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name='chunk',
            name='sender',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='chunk',
            name='site',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='sites.site'),
        ),
        migrations.RunPython(chunk_sites_fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='chunk',
            name='site',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='sites.site'),
        ),
        migrations.AlterField(
            model_name='chunk',
            name='key',
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AlterField(
            model_name='chunk',
            name='session',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='chunks', to='recorder.session'),
        ),
        migrations.AlterField(
            model_name='chunk',
            name='status',
            field=models.CharField(choices=[('pending', 'Pending'), ('stored', 'Stored'), ('failed', 'Failed')], default='pending', max_length=10),
        ),
        migrations.AddIndex(
            model_name='chunk',
            index=models.Index(condition=models.Q(('status', 'pending')), fields=['queued_at'], name='chunk_pending_queued'),
        ),
        migrations.AddIndex(
            model_name='chunk',
            index=models.Index(condition=models.Q(('status', 'failed')), fields=['site', 'created_at'], name='chunk_failed_site'),
        ),
        migrations.CreateModel(
            name='FailedChunk',
            fields=[
            ],
            options={
                'verbose_name': 'failed batch',
                'verbose_name_plural': 'failed batches',
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('recorder.chunk',),
        ),
    ]
