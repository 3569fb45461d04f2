"""Drop the indexes of a session alone that an index starting with the session already serves: one
index fewer to write on every chunk ingest inserts and the worker updates, and on every page view.

Page views and segments keep their foreign key: only the index goes (Django's AlterField would drop
and re-add the constraint, checking every row of a large table again)."""
import django.db.models.deletion
from django.db import migrations, models


def _drop_index(table: str, name: str) -> migrations.RunSQL:
    return migrations.RunSQL(f'DROP INDEX IF EXISTS "{name}"', reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("session_id")')


class Migration(migrations.Migration):

    dependencies = [
        ('recorder', '0006_site_urls'),
    ]

    operations = [
        migrations.AlterField(
            model_name='chunk',
            name='session',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='chunks', to='recorder.session'),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[_drop_index("recorder_pageview", "recorder_pageview_session_id_de3bc014")],
            state_operations=[migrations.AlterField(
                model_name='pageview',
                name='session',
                field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='pageviews', to='recorder.session'),
            )],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[_drop_index("recorder_segment", "recorder_segment_session_id_1e08e32e")],
            state_operations=[migrations.AlterField(
                model_name='segment',
                name='session',
                field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='segments', to='recorder.session'),
            )],
        ),
    ]
