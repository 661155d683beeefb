"""The read side: invoices a user may see, always scoped (house rule 5).

- Factures émises: invoices of the structures where the user sees the espace, limited to
  the services of the user's rattachement when it names some.
- Factures reçues: the same on the recipient side, once the invoice has reached it.
- Factures à valider: invoices sent to a validator structure, which keeps following them
  after its decision (as the titulaire follows its sous-traitant's payment).
A forged or foreign id is "not found", never "forbidden".
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import StrIndex, Upper
from django.db.models.lookups import GreaterThan

from choeur.core.errors import NotFound
from choeur.invoicing import tally
from choeur.invoicing.models import Invoice
from choeur.invoicing.statuses import RECIPIENT_VISIBLE, Status
from choeur.organisations import permissions
from choeur.organisations.models import Espace


def scope_parts(user, espace: str, service_field: str | None) -> list[tuple[int, list | None]]:
    """(structure id, the services the user is limited to, or None for the whole structure)
    for every structure where `user` sees `espace`: what _scope selects, for the invoice tally
    (invoicing/tally.py) to count the same invoices."""
    parts = []
    for structure in _visible_structures(user):
        if not permissions.can_see(user, structure, espace):
            continue
        services = permissions.services_of(user, structure) if service_field else None
        parts.append((structure.pk, list(services) if services else None))
    return parts


def _scope(user, espace: str, structure_field: str, service_field: str | None) -> Q | None:
    """A Q selecting the invoices of every structure where `user` sees `espace`.

    The structures seen whole go into one `IN` list, and only the rattachements limited to
    some services add an OR: with an `IN` list, PostgreSQL may read the newest invoices first
    along an index and stop after one page, where an OR of one clause per structure makes it
    fetch and sort all their invoices before showing the first page.
    """
    whole, limited = [], []
    for structure_id, services in scope_parts(user, espace, service_field):
        if services:
            limited.append(Q(**{f"{structure_field}_id": structure_id,
                                f"{service_field}__in": services}))
        else:
            whole.append(structure_id)
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


def _visible_structures(user):
    """permissions.visible_structures; for a technical account, its structure as its
    authentication loaded it, under the same conditions (technical_structure), instead of
    the same row read again: one query less on every wire-API search."""
    if permissions.is_technical_account(user):
        structure = permissions.technical_structure(user)
        return [] if structure is None else [structure]
    return permissions.visible_structures(user)


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


def _statuses(shown, wanted) -> list[str]:
    """The statuses of `shown` among `wanted` (all of them when None)."""
    if wanted is None:
        return list(shown)
    wanted = set(wanted)
    return [s for s in shown if s in wanted]


def issued_total(user, *, statuses=None, service: int | None = None) -> int:
    """How many invoices issued_invoices(user) holds, of one of `statuses` and of the supplier's
    `service` if given: read from the tally, not counted (a supplier may have 600,000)."""
    return tally.count(tally.SUPPLIER, scope_parts(user, Espace.FACTURES_EMISES,
                                                   "supplier_service"),
                       statuses=_statuses([s for s in Status if s != Status.SUPPRIMEE], statuses),
                       service=service)


def received_total(user, *, statuses=None, service: int | None = None,
                   downloaded: bool | None = None) -> int:
    """How many invoices received_invoices(user) holds, with these criteria (issued_total)."""
    return tally.count(tally.RECIPIENT, scope_parts(user, Espace.FACTURES_RECUES,
                                                    "recipient_service"),
                       statuses=_statuses(RECIPIENT_VISIBLE, statuses), service=service,
                       downloaded=downloaded)


def invoices_to_validate(user) -> QuerySet[Invoice]:
    level1 = _scope(user, Espace.FACTURES_A_VALIDER, "validator", "validator_service")
    level2 = _scope(user, Espace.FACTURES_A_VALIDER, "validator2", None)
    scope = level1 if level2 is None else (level2 if level1 is None else level1 | level2)
    if scope is None:
        return Invoice.objects.none()
    return Invoice.objects.filter(scope).exclude(status__in=[Status.BROUILLON,
                                                             Status.SUPPRIMEE])


#: A run of digits long enough to stand for an invoice's sequence number.
_DIGITS = re.compile(r"[0-9]{5,}")


def number_contains(term: str) -> Q:
    """The invoices whose number contains `term`, whatever the case (`number__icontains`).

    On PostgreSQL the trigram index of migration 0002 serves it, at a cost that grows with
    every common trigram of the term: an invoice number's prefix and year ("F2024-", "FA-2024-")
    and the word boundaries around its separators are in most numbers, and each such trigram
    makes the scan walk a posting list of the whole table (an exact number: ~20 ms at
    1,000,000 invoices). When the term holds a long run of digits (the sequence number), the
    index is asked for that run alone, which few numbers contain (~1 ms), and the whole term
    is checked on those rows with STRPOS, which no index serves: the same rows, since a number
    that contains the term contains its run."""
    plain = Q(number__icontains=term)
    if connection.vendor != "postgresql":
        return plain
    run = max(_DIGITS.findall(term), key=len, default="")
    if run == term or len({run[i:i + 3] for i in range(len(run) - 2)}) < 3:
        return plain  # the term itself, or a run as common as its trigrams ("00000")
    return Q(number__icontains=run) & Q(GreaterThan(
        StrIndex(Upper("number"), Upper(Value(term))), 0))


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


#: Uploads offered on the portal's deposit form, newest first.
PENDING_UPLOADS_SHOWN = 100


def pending_uploads(structure) -> list:
    """The structure's uploads no invoice has used and not expired (`UploadedFile`): what
    its portal deposit form offers. The caller has checked the user may deposit for it."""
    from choeur.core import clock
    from choeur.invoicing.models import UploadedFile

    return list(UploadedFile.objects.filter(
        structure=structure, used_at__isnull=True, expires_at__gt=clock.now(),
    ).order_by("-created_at", "-pk")[:PENDING_UPLOADS_SHOWN])
