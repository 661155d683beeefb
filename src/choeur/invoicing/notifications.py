"""Who hears about an invoice, and when (reference §6.1): the supplier at every status change,
the recipient when an invoice arrives or comes back completed, validators when one waits for
them, the recipient's gestionnaires when an invoice arrives that no habilitated user can see.
Called by `lifecycle.transition()` in the same transaction."""

from __future__ import annotations

from django.urls import NoReverseMatch
from django.urls import reverse as _reverse

from choeur.invoicing.lookups import once_per_batch
from choeur.invoicing.models import ModeDepot
from choeur.invoicing.statuses import Status
from choeur.messaging.services import notify
from choeur.organisations.models import Espace
from choeur.organisations.permissions import users_in_espace

# The supplier is not told about its own draft, its deletion, nor the routing's inner steps.
_SILENT_FOR_SUPPLIER = {Status.BROUILLON, Status.SUPPRIMEE, Status.EN_COURS_ACHEMINEMENT}
# Nor, for what its software deposited (API, EDI), of the automatic steps that follow every
# deposit: the software follows them itself, and a flux of 500 invoices would be 500 e-mails
# per user (the flux's outcome is told once, flux/services.py). The recipient's decisions
# are still told.
_AUTOMATIC = {Status.DEPOSEE, Status.MISE_A_DISPOSITION}
_MACHINE_CHANNELS = {ModeDepot.UPLOAD_API, ModeDepot.SAISIE_API, ModeDepot.EDI}


def reverse(name: str, args) -> str:
    """The page to link to; the notification still goes out, without a link, on a deployment
    whose portal does not serve that page (an API-only instance)."""
    try:
        return _reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _params(invoice) -> dict:
    return {
        "number": invoice.number,
        "supplier": invoice.supplier.company_name,
        "recipient": invoice.recipient.company_name,
        "status_code": invoice.status,
        "amount": f"{invoice.total_ttc:.2f}",
        "currency": invoice.currency,
    }


def created_many(invoices: list, previous: str, actor=None, tell_supplier: bool = True) -> None:
    """`status_changed` for a batch of new invoices (lifecycle.create_many): the webhooks
    looked up once for the batch (the users to tell are, within `lookups.cached_lookups`)."""
    from choeur.webhooks import services as webhooks

    structures = {s for i in invoices for s in (i.supplier_id, i.recipient_id, i.validator_id,
                                               i.validator2_id) if s}
    hooked = webhooks.subscribed(structures)
    for invoice in invoices:
        if {invoice.supplier_id, invoice.recipient_id, invoice.validator_id,
                invoice.validator2_id} & hooked:
            webhooks.invoice_status_changed(invoice, previous)
        status_changed(invoice, previous, actor, webhooks_sent=True,
                       tell_supplier=tell_supplier)


def changed_many(invoices: list, previous: dict, actor=None) -> None:
    """`status_changed` for a batch moved by `lifecycle.transition_many` (`previous`: the
    status each invoice left, by pk): the webhooks looked up once for the batch, the users to
    tell once per structure and service (the caller's `lookups.cached_lookups`)."""
    from choeur.webhooks import services as webhooks

    structures = {s for i in invoices for s in (i.supplier_id, i.recipient_id, i.validator_id,
                                               i.validator2_id) if s}
    hooked = webhooks.subscribed(structures)
    for invoice in invoices:
        if {invoice.supplier_id, invoice.recipient_id, invoice.validator_id,
                invoice.validator2_id} & hooked:
            webhooks.invoice_status_changed(invoice, previous[invoice.pk])
        status_changed(invoice, previous[invoice.pk], actor, webhooks_sent=True)


def _audience(structure, espace: str, service) -> list:
    """users_in_espace, once per (structure, espace, service) within a batch."""
    return once_per_batch(("audience", structure.pk, espace, getattr(service, "pk", None)),
                          lambda: users_in_espace(structure, espace, service))


def status_changed(invoice, previous: str, actor=None, *, webhooks_sent: bool = False,
                   tell_supplier: bool = True) -> None:
    if not webhooks_sent:
        from choeur.webhooks import services as webhooks

        webhooks.invoice_status_changed(invoice, previous)  # signed webhooks, queued in tx
    status = invoice.status
    params = _params(invoice)
    machine_step = status in _AUTOMATIC and invoice.mode_depot in _MACHINE_CHANNELS
    if status not in _SILENT_FOR_SUPPLIER and tell_supplier and not machine_step:
        users = [u for u in _audience(invoice.supplier, Espace.FACTURES_EMISES,
                                      invoice.supplier_service) if u != actor]
        notify(users, "invoice_status", params,
               reverse("invoicing:issued_detail", [invoice.pk]))
    if status in (Status.MISE_A_DISPOSITION, Status.COMPLETEE):
        kind = "invoice_received" if status == Status.MISE_A_DISPOSITION else \
            "invoice_completed"
        url = reverse("invoicing:received_detail", [invoice.pk])
        users = _audience(invoice.recipient, Espace.FACTURES_RECUES,
                          invoice.recipient_service)
        if users:
            notify(users, kind, params, url)
        else:
            from choeur.organisations.services import gestionnaires

            notify(once_per_batch(("gestionnaires", invoice.recipient_id),
                                  lambda: gestionnaires(invoice.recipient)),
                   "invoice_unassigned", params, url)
    if status in (Status.A_VALIDER_1, Status.A_VALIDER_2):
        validator = invoice.validator if status == Status.A_VALIDER_1 else invoice.validator2
        if validator is not None:
            due = invoice.validation_due_at
            params["due"] = due.strftime("%d/%m/%Y") if due else ""
            users = users_in_espace(validator, Espace.FACTURES_A_VALIDER,
                                    invoice.validator_service
                                    if status == Status.A_VALIDER_1 else None)
            if not users:  # the espace is not open yet: its gestionnaires must open it
                from choeur.organisations.services import gestionnaires

                users = gestionnaires(validator)
            notify(users, "invoice_to_validate", params,
                   reverse("invoicing:to_validate_detail", [invoice.pk]))
