"""Drop the indexes of a session alone that an index starting with the session already serves: one
index fewer to write on every chunk ingest inserts and the worker updates, and on every page view.

Page views and segments keep their foreign key: only the index goes (Django's AlterField would drop
and re-add the constraint, checking every row of a large table again)."""
import django.db.models.deletion
from django.db import migrations, models


def _index_dropped(model: str, related_name: str, name: str) -> migrations.SeparateDatabaseAndState:
    table = f"recorder_{model}"
    return migrations.SeparateDatabaseAndState(
        database_operations=[migrations.RunSQL(
            f'DROP INDEX IF EXISTS "{name}"', reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("session_id")')],
        state_operations=[migrations.AlterField(
            model_name=model, name="session",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                    related_name=related_name, to="recorder.session"),
        )],
    )


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
        _index_dropped("pageview", "pageviews", "recorder_pageview_session_id_de3bc014"),
        _index_dropped("segment", "segments", "recorder_segment_session_id_1e08e32e"),
    ]
