"""The help articles: the written ones and one per error code (aide/loader.py). Later changes
are loaded by `choeur migrate` and `choeur aide-charger`."""

from django.db import migrations


def load(apps, schema_editor):
    from choeur.aide import loader

    loader.load(apps.get_model("aide", "Article"))


def unload(apps, schema_editor):
    apps.get_model("aide", "Article").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("aide", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, unload),
    ]
