"""Background work of webhooks (django-tasks, database queue: a task enqueued in a
transaction exists only if that transaction commits)."""

from choeur.core import queue


@queue.task()
def deliver_webhook(delivery_id: int, expected_attempts: int, manual: bool = False) -> str:
    """One attempt of a delivery (see services.deliver); queues the next one itself."""
    from choeur.webhooks import services

    return services.deliver(delivery_id, expected_attempts, manual=manual)
