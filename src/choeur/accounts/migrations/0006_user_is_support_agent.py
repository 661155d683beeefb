from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_failed_attempts"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="is_support_agent",
            field=models.BooleanField(
                default=False,
                help_text="Traite les sollicitations adressées au support de la plateforme.",
                verbose_name="agent du support"),
        ),
    ]
