"""Shared by the invoicing pages: running a use case with its error on the form, the
lists with keyset pagination and search, file responses, the invoice's detail context."""

from __future__ import annotations

import mimetypes
import re
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from choeur.core import clock, storage
from choeur.core.errors import ChoeurError, NotFound
from choeur.invoicing import delays, deposit_documents, forms, interest, queries
from choeur.invoicing.models import Invoice, ModeDepot
from choeur.invoicing.statuses import Status
from choeur.organisations import permissions
from choeur.organisations.models import Espace
from choeur.web import keyset

PAGE_SIZE = 50
MAX_ZIP = 50  # invoices in one ZIP download
PORTAL_MODES = {"saisie": ModeDepot.SAISIE_PORTAIL, "pdf": ModeDepot.DEPOT_PDF_PORTAIL}


def error_text(exc: ChoeurError) -> str:
    return f"{exc.message()} [{exc.code}]"


def attempt(request, form, use_case, *args, **kwargs):
    """Run one use case in its own transaction. A user error (bad input, wrong status,
    conflict) goes on `form` and nothing is saved; refusals (403/404) propagate to the error
    page."""
    try:
        with transaction.atomic():
            return True, use_case(request.user, *args, **kwargs)
    except ChoeurError as exc:
        if exc.http_status in (403, 404):
            raise
        form.is_valid()  # errors can only be added to a cleaned form
        form.add_error(None, error_text(exc))
        return False, exc


def invoice_list(request, queryset, *, template, to_process, partner, statuses_shown, extra=None):
    tab = "a-traiter" if request.GET.get("onglet") == "a-traiter" else "toutes"
    search = forms.InvoiceSearchForm(
        request.GET or None,
        partner_label=_("Fournisseur (SIRET ou nom)") if partner == "supplier"
        else _("Destinataire (SIRET ou nom)"),
        statuses_shown=statuses_shown)
    if tab == "a-traiter":
        queryset = queryset.filter(status__in=to_process)
    searched = False
    if search.is_valid():
        criteria = search.cleaned_data
        if criteria["numero"].strip():
            # Any part of the number, not only its start: one looks an invoice up by the end
            # of its number as often as by its prefix (FA-2026-0117 → "117"). PostgreSQL
            # serves it with a trigram index on UPPER(number) (migration 0002), asked for the
            # term's digits when it has enough of them (queries.number_contains).
            queryset = queryset.filter(queries.number_contains(criteria["numero"].strip()))
            searched = True
        if criteria["partenaire"].strip():
            value = re.sub(r"\s", "", criteria["partenaire"]) if re.fullmatch(
                r"[\d\s]+", criteria["partenaire"]) else criteria["partenaire"].strip()
            # The partners first, then their invoices by id: PostgreSQL then knows how many
            # invoices each one has (a join on the name leaves it guessing, and a wrong guess
            # sorts thousands of rows: a frequent word such as « Conseil » matched 1,964
            # suppliers at 10 M invoices, whose 54,735 invoices to a ministry were read and
            # sorted for one page, 255 ms, where walking the ministry's list in its order takes
            # 5 ms). A search that matches more than `at_most` partners keeps the subquery.
            partners = Invoice._meta.get_field(partner).related_model.objects.filter(
                Q(identifier__startswith=value) | Q(company_name__icontains=value))
            at_most = 5000
            ids = list(partners.order_by().values_list("pk", flat=True)[:at_most + 1])
            queryset = queryset.filter(**{f"{partner}_id__in": ids if len(ids) <= at_most
                                          else partners.values("pk")})
            searched = True
        if criteria["statut"]:
            queryset = queryset.filter(status=criteria["statut"])
            searched = True
    listed = keyset.page(request, queryset.select_related("supplier", "recipient"),
                         "status_changed_at", PAGE_SIZE)
    return render(request, template, {
        "invoices": listed.pop("rows"), "tab": tab, "search": search, "searched": searched,
        **listed, **(extra or {}),
    })


def for_current_structure(request, queryset, *fields):
    """The invoices of the structure chosen in the header (web.current_structure), in any
    of `fields` (supplier, recipient, validator...); all of them when none is chosen."""
    from choeur.web import current_structure

    chosen = current_structure.current(request)
    if chosen is None:
        return queryset
    where = Q()
    for name in fields:
        where |= Q(**{f"{name}_id": chosen.pk})
    return queryset.filter(where)


def deposit_structures(user) -> list:
    """The structures the user may deposit invoices for."""
    return [s for s in permissions.visible_structures(user).filter(is_active=True)
            if permissions.can_modify(user, s, Espace.FACTURES_EMISES)]


def safe_name(name: str, default: str) -> str:
    name = re.sub(r"[^\w.\-+ ]", "_", name or "").strip(" .") or default
    return name[:120]


def blob_response(sha256: str, filename: str, content_type: str = "application/pdf"):
    if not sha256:
        raise NotFound(object_label="Fichier")
    handle = storage.open_blob(sha256)
    response = FileResponse(handle, as_attachment=True, filename=safe_name(filename, "fichier"),
                            content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response


def document_response(invoice: Invoice):
    return blob_response(deposit_documents.ensure_readable(invoice),
                          invoice.main_file_name or f"facture-{invoice.number}.pdf")


def xml_response(invoice: Invoice):
    """The structured data (CII or UBL) of an invoice that has some: the file of a structured
    deposit, or the XML inside the Factur-X Choeur wrote for a saisie."""
    return blob_response(invoice.xml_sha256, f"facture-{invoice.number}.xml", "application/xml")


def attachment_response(invoice: Invoice, attachment_id):
    try:
        attachment = invoice.attachments.get(pk=int(attachment_id))
    except (ValueError, TypeError, invoice.attachments.model.DoesNotExist):
        raise NotFound(object_label="Pièce jointe") from None
    guessed = mimetypes.guess_type(attachment.name)[0]
    # Anything but a PDF is served as opaque bytes: an HTML attachment never runs here.
    kind = "application/pdf" if guessed == "application/pdf" else "application/octet-stream"
    return blob_response(attachment.sha256, attachment.name, kind)


def _plain(value: Decimal, places: int = 0) -> str:
    """40.000000 → "40", 4.350000 → "4,35" (French): no trailing zeros beyond `places`."""
    value = Decimal(value).normalize()
    if value.as_tuple().exponent > -places:
        value = value.quantize(Decimal(1).scaleb(-places))
    return number_format(value)


def invoice_context(invoice: Invoice) -> dict:
    lines = list(invoice.lines.all())
    for line in lines:
        line.quantity_shown = _plain(line.quantity)
    history = list(invoice.history.all())
    return {
        "lines": lines,
        "vat_lines": invoice.vat_lines.all(),
        "history": history,
        "payment": payment_context(invoice, history),
        "events": invoice.events.all(),
        "attachments": invoice.attachments.all(),
    }


def payment_context(invoice: Invoice, history) -> dict | None:
    """The délai de paiement's block of an invoice's page (both sides): its clock, and the
    late-payment interest when it is late (computed, never stored)."""
    payment = delays.clock_of(invoice, history=[(row.status, row.at) for row in history])
    if payment is None:
        return None
    today = clock.today()
    from choeur.organisations.models import Structure

    return {"clock": payment, "days_remaining": payment.days_remaining(today),
            "category": Structure.PaymentCategory(payment.category).label,
            "days_late": payment.days_late(today),
            "late": interest.late_payment(invoice, payment, today)}


def sent_message(invoice: Invoice) -> str:
    if invoice.status == Status.A_VALIDER_1:
        return _("La facture n° %(number)s est envoyée à son valideur, %(validator)s : elle "
                 "sera transmise au destinataire après sa validation.") % {
            "number": invoice.number, "validator": invoice.validator.company_name}
    return _("La facture n° %(number)s est validée, elle est en cours de transmission.") % {
        "number": invoice.number}
