from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "choeur.chat"
    label = "chat"
    verbose_name = "Contacter un agent"

    def ready(self):
        from choeur.chat import tasks
        from choeur.core import periodic

        # Conversations nobody took, or left idle, end by themselves.
        periodic.timer(tasks.chat_timers)
