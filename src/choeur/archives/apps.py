from django.apps import AppConfig


class ArchivesConfig(AppConfig):
    name = "choeur.archives"
    label = "archives"
    verbose_name = "Conservation"

    def ready(self):
        from choeur.archives import services
        from choeur.core import periodic

        # The portal's exports are kept 7 days: then their files and rows go.
        periodic.housekeeping("expired archive exports", services.remove_expired)
