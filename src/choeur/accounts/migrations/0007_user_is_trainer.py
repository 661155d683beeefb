from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0006_user_is_support_agent"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="is_trainer",
            field=models.BooleanField(
                default=False,
                help_text="Ouvre des sessions de formation et suit les stagiaires qui les "
                          "rejoignent.",
                verbose_name="formateur"),
        ),
    ]
