"""The three invoice lists: Factures émises, reçues, à valider (tab « à traiter », search,
keyset pages)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_safe

from choeur.invoicing import queries, services, statuses
from choeur.invoicing.statuses import Status
from choeur.invoicing.views.common import (
    MAX_ZIP,
    deposit_structures,
    for_current_structure,
    invoice_list,
)
from choeur.organisations import permissions
from choeur.organisations.models import Espace


@login_required
@require_safe
def issued_list(request):
    user = request.user
    # The rejections and suspensions to acknowledge (Chorus Pro's login pop-up), with the
    # button only where the user may act.
    pending = list(services.pending_acknowledgements(user).select_related(
        "supplier", "recipient").order_by("status_changed_at")[:20])
    can_act = {}
    for invoice in pending:
        if invoice.supplier_id not in can_act:
            can_act[invoice.supplier_id] = permissions.can_modify(
                user, invoice.supplier, Espace.FACTURES_EMISES)
        invoice.can_acknowledge = can_act[invoice.supplier_id]
    return invoice_list(
        request, for_current_structure(request, queries.issued_invoices(user), "supplier"),
        template="invoicing/issued_list.html",
        to_process=statuses.SUPPLIER_TO_PROCESS, partner="recipient",
        statuses_shown=[s for s in statuses.INVOICE_STATUSES if s != Status.SUPPRIMEE],
        extra={"can_deposit": bool(deposit_structures(user)), "pending": pending})


@login_required
@require_safe
def received_list(request):
    return invoice_list(
        request, for_current_structure(request, queries.received_invoices(request.user),
                                       "recipient"),
        template="invoicing/received_list.html", to_process=statuses.RECIPIENT_TO_PROCESS,
        partner="supplier", statuses_shown=statuses.RECIPIENT_VISIBLE,
        extra={"max_zip": MAX_ZIP})


@login_required
@require_safe
def to_validate_list(request):
    return invoice_list(
        request, for_current_structure(request, queries.invoices_to_validate(request.user),
                                       "validator", "validator2"),
        template="invoicing/to_validate_list.html",
        to_process=statuses.VALIDATOR_TO_PROCESS, partner="supplier",
        statuses_shown=[s for s in statuses.INVOICE_STATUSES
                        if s not in (Status.BROUILLON, Status.SUPPRIMEE)])
