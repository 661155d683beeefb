"""Background work of invoicing (django-tasks, database queue: a task enqueued in a
transaction exists only if that transaction commits)."""

from django.db import transaction
from django_tasks import task


@task()
def route_invoice(invoice_id: int) -> None:
    from choeur.invoicing import services

    with transaction.atomic():
        services.route(invoice_id)


@task()
def apply_tacit_validations() -> int:
    from choeur.invoicing import services

    return services.apply_tacit_validations()
