"""Background work of the sollicitations (an entry point: it owns its transactions)."""

from choeur.core import queue


@queue.task()
def sollicitations_timers() -> int:
    """Answered sollicitations left 15 days without a reaction of their sender close."""
    from choeur.sollicitations import services

    return services.close_unanswered()
