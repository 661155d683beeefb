from django.db import migrations, models


def fill_activated_at(apps, schema_editor):
    """Accounts active before activation existed count as activated when they were created
    (so that deactivating one later is not mistaken for "awaiting activation")."""
    User = apps.get_model("accounts", "User")
    User.objects.filter(is_active=True, activated_at__isnull=True).update(
        activated_at=models.F("date_joined")
    )


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_account_lifecycle"),
    ]

    operations = [
        migrations.RunPython(fill_activated_at, migrations.RunPython.noop),
    ]
