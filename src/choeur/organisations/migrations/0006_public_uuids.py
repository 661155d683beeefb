"""A public uuid per structure and per service (the `uuid` of /cpro/organisations/v1/...).

Added in three steps so that existing rows get distinct values on both databases: the column
is added nullable (a callable default would be evaluated once for the whole table), filled
row by row, then made unique and required."""

import uuid

from django.db import migrations, models


def fill(apps, schema_editor):
    for name in ("Structure", "Service"):
        model = apps.get_model("organisations", name)
        pending = model.objects.filter(public_id__isnull=True).only("pk")
        for row in pending.iterator(chunk_size=1000):
            model.objects.filter(pk=row.pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):

    dependencies = [
        ("organisations", "0005_technical_account_lenient_bearer"),
    ]

    operations = [
        migrations.AddField(
            model_name="structure", name="public_id",
            field=models.UUIDField(editable=False, null=True,
                                   verbose_name="identifiant public"),
        ),
        migrations.AddField(
            model_name="service", name="public_id",
            field=models.UUIDField(editable=False, null=True,
                                   verbose_name="identifiant public"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="structure", name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True,
                                   verbose_name="identifiant public"),
        ),
        migrations.AlterField(
            model_name="service", name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True,
                                   verbose_name="identifiant public"),
        ),
    ]
