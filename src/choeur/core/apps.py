from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "choeur.core"
    label = "core"
    verbose_name = "Choeur — socle"
