from django.apps import AppConfig


class ArchivesConfig(AppConfig):
    name = "choeur.archives"
    label = "archives"
    verbose_name = "Conservation"
