"""The read side: invoices a user may see, always scoped (house rule 5).

- Factures émises: invoices of the structures where the user sees the espace, limited to
  the services of the user's rattachement when it names some.
- Factures reçues: the same on the recipient side, once the invoice has reached it.
- Factures à valider: invoices sent to a validator structure, which keeps following them
  after its decision (as the titulaire follows its sous-traitant's payment).
A forged or foreign id is "not found", never "forbidden".
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from choeur.core.errors import NotFound
from choeur.invoicing.models import Invoice
from choeur.invoicing.statuses import RECIPIENT_VISIBLE, Status
from choeur.organisations import permissions
from choeur.organisations.models import Espace


def _scope(user, espace: str, structure_field: str, service_field: str | None) -> Q | None:
    """A Q selecting the invoices of every structure where `user` sees `espace`.

    The structures seen whole go into one `IN` list, and only the rattachements limited to
    some services add an OR: with an `IN` list, PostgreSQL may read the newest invoices first
    along an index and stop after one page, where an OR of one clause per structure makes it
    fetch and sort all their invoices before showing the first page.
    """
    whole, limited = [], []
    for structure in permissions.visible_structures(user):
        if not permissions.can_see(user, structure, espace):
            continue
        services = permissions.services_of(user, structure) if service_field else None
        if services:
            limited.append(Q(**{structure_field: structure, f"{service_field}__in": services}))
        else:
            whole.append(structure.pk)
    clauses = limited
    if whole:
        clauses = [Q(**{f"{structure_field}_id__in": whole}) if len(whole) > 1
                   else Q(**{f"{structure_field}_id": whole[0]}), *limited]
    if not clauses:
        return None
    scope = clauses[0]
    for clause in clauses[1:]:
        scope |= clause
    return scope


def issued_invoices(user) -> QuerySet[Invoice]:
    scope = _scope(user, Espace.FACTURES_EMISES, "supplier", "supplier_service")
    if scope is None:
        return Invoice.objects.none()
    return Invoice.objects.filter(scope).exclude(status=Status.SUPPRIMEE)


def received_invoices(user) -> QuerySet[Invoice]:
    scope = _scope(user, Espace.FACTURES_RECUES, "recipient", "recipient_service")
    if scope is None:
        return Invoice.objects.none()
    return Invoice.objects.filter(scope, status__in=RECIPIENT_VISIBLE)


def invoices_to_validate(user) -> QuerySet[Invoice]:
    level1 = _scope(user, Espace.FACTURES_A_VALIDER, "validator", "validator_service")
    level2 = _scope(user, Espace.FACTURES_A_VALIDER, "validator2", None)
    scope = level1 if level2 is None else (level2 if level1 is None else level1 | level2)
    if scope is None:
        return Invoice.objects.none()
    return Invoice.objects.filter(scope).exclude(status__in=[Status.BROUILLON,
                                                             Status.SUPPRIMEE])


def _get(queryset: QuerySet[Invoice], invoice_id) -> Invoice:
    try:
        return queryset.select_related(
            "supplier", "recipient", "recipient_service", "supplier_service", "validator",
            "validator_service", "validator2", "bank_account").get(pk=int(invoice_id))
    except (Invoice.DoesNotExist, TypeError, ValueError):
        raise NotFound(object_label="Facture") from None


def issued_invoice(user, invoice_id) -> Invoice:
    return _get(issued_invoices(user), invoice_id)


def received_invoice(user, invoice_id) -> Invoice:
    return _get(received_invoices(user), invoice_id)


def invoice_to_validate(user, invoice_id) -> Invoice:
    return _get(invoices_to_validate(user), invoice_id)
