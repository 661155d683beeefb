from django.apps import AppConfig


class QualificationConfig(AppConfig):
    name = "choeur.qualification"
    label = "qualification"
    verbose_name = "Qualification"

    def ready(self):
        from django.conf import settings

        if settings.CHOEUR_ENVIRONMENT != "qualification":
            return  # production: nothing of qualification runs, not even the clock's reading
        connect()


def connect() -> None:
    """What a qualification instance wires at start-up (idempotent; tests that switch an
    instance to qualification call it, and `disconnect` after)."""
    from django.core.signals import request_started
    from django_tasks.signals import task_started

    from choeur.core import periodic
    from choeur.flux import outcome_hooks
    from choeur.qualification import clock_control, faults, tasks

    # The simulated date holds in every process: each request and each task first brings
    # this process's clock up to the instance's (read at most every few seconds).
    request_started.connect(clock_control.sync, dispatch_uid="qualification-clock-request")
    task_started.connect(clock_control.sync, dispatch_uid="qualification-clock-task")
    # A flux deposited by an account with a flux fault ends as the fault says.
    outcome_hooks.register(faults.HOOK_NAME, faults.flux_outcome)
    # The recipient simulator plays its scenarios at every beat of the workers' timers,
    # and at once when the clock moves (clock_control queues the timers).
    periodic.timer(tasks.apply_recipient_scenarios)


def disconnect() -> None:
    from django.core.signals import request_started
    from django_tasks.signals import task_started

    from choeur.core import periodic
    from choeur.flux import outcome_hooks
    from choeur.qualification import faults, tasks

    request_started.disconnect(dispatch_uid="qualification-clock-request")
    task_started.disconnect(dispatch_uid="qualification-clock-task")
    outcome_hooks.unregister(faults.HOOK_NAME)
    periodic._TIMERS.pop(tasks.apply_recipient_scenarios.module_path, None)
