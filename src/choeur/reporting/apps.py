from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "choeur.reporting"
    label = "reporting"
    verbose_name = "Tableaux de bord"
