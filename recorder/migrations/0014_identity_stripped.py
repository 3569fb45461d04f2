"""Identities stored with the spaces or line ends a page sent around them (`" bob@example.com\\n"`) lose
them, as the worker now stores them: a person asking to be forgotten, or an owner's filter, found none of
their sessions."""
from django.db import migrations

EDGE_SPACE = r"^\s|\s$"


def identities_stripped(apps, schema_editor):
    Session = apps.get_model("recorder", "Session")
    for pk, identity in Session.objects.filter(identity__regex=EDGE_SPACE).values_list("pk", "identity").iterator():
        Session.objects.filter(pk=pk).update(identity=identity.strip())


class Migration(migrations.Migration):
    dependencies = [("recorder", "0013_object_deletion")]
    operations = [migrations.RunPython(identities_stripped, migrations.RunPython.noop, elidable=True)]
