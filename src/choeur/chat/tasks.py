"""Background work of the live conversations (an entry point: it owns its transactions)."""

from choeur.core import queue


@queue.task()
def chat_timers() -> int:
    """Conversations no agent took in time give up; those left idle end."""
    from choeur.chat import services

    return services.expire()
