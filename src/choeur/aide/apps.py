from django.apps import AppConfig


class AideConfig(AppConfig):
    name = "choeur.aide"
    label = "aide"
    verbose_name = "Centre d'aide"

    def ready(self):
        from django.db.models.signals import post_migrate

        from choeur.aide import fulltext, tasks
        from choeur.core import periodic

        # On SQLite, a later migration that rebuilds the article table (Django copies it to a
        # new one) drops the FTS5 triggers with it: put them back after every migrate.
        post_migrate.connect(fulltext.ensure_after_migrate, sender=self,
                             dispatch_uid="aide.ensure_fulltext")
        # The assistant's ratings keep a question's words: they go after RATINGS_KEPT.
        periodic.timer(tasks.aide_timers)
