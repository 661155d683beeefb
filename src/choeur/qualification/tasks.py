"""Background work of qualification (registered as timers in qualification only: apps.py)."""

from choeur.core import queue


@queue.task()
def apply_recipient_scenarios() -> int:
    """The recipient simulator's steps that fell due (each invoice in its own transaction)."""
    from choeur.qualification import simulator

    return simulator.apply_due()
