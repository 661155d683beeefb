from django.apps import AppConfig


class FormationConfig(AppConfig):
    name = "choeur.formation"
    label = "formation"
    verbose_name = "Formation"
