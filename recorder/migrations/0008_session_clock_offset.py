"""The session's clock offset: how far the server's clock was ahead of the visitor's. A column with a
constant default is added without rewriting the table (Postgres 11+, SQLite)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('recorder', '0007_lighter_writes'),
    ]

    operations = [
        migrations.AddField(
            model_name='session',
            name='clock_offset_ms',
            field=models.BigIntegerField(db_default=0, default=0),
        ),
    ]
