from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "choeur.core"
    label = "core"
    verbose_name = "Choeur — socle"

    def ready(self):
        from choeur.core import periodic, queue, tasks, worker

        queue.discover()  # every app's tasks, known by name before anything queues one
        periodic.housekeeping("finished task results", worker.prune_task_results)
        # The ledger's entries are sealed (chained together) every few minutes.
        periodic.timer(tasks.ledger_seal)
