"""The portal deposit: choice of structure, the saisie and PDF forms, draft editing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from choeur.core.errors import ChoeurError
from choeur.invoicing import forms, queries, services
from choeur.invoicing.models import Invoice, ModeDepot
from choeur.invoicing.statuses import Status
from choeur.invoicing.views.common import (
    PORTAL_MODES,
    deposit_structures,
    error_text,
    sent_message,
)
from choeur.organisations import permissions
from choeur.organisations.models import Espace

#: Which form field an error about a business term points at.
FIELD_OF_TERM = {
    "BT-1": "number", "BT-2": "invoice_date", "BT-10": "recipient_service_code",
    "BT-13": "engagement_number", "BT-25": "original_invoice_number", "BT-46":
    "recipient_identifier", "BT-81": "payment_mode", "BT-84": "bank_account",
}

#: The deposit form's fieldsets.
FORM_GROUPS = [
    (gettext_lazy("Cadre et destinataire"), (
        "cadre", "supplier_service", "recipient_identifier", "recipient_service_code",
        "validator_identifier", "validator_service_code")),
    (gettext_lazy("Facture"), (
        "type_facture", "number", "invoice_date", "currency", "engagement_number",
        "marche_number", "original_invoice_number", "type_tva", "vat_exemption_reason")),
    (gettext_lazy("Paiement"), ("payment_mode", "bank_account")),
]


@login_required
@require_safe
def deposit_start(request):
    return render(request, "invoicing/deposit_start.html",
                  {"structures": deposit_structures(request.user)})


@login_required
def new_invoice(request, structure_pk, mode):
    structure = permissions.structure_for(request.user, structure_pk)
    permissions.require_espace(request.user, structure, Espace.FACTURES_EMISES, modify=True)
    permissions.require_active(structure)
    return _invoice_form(request, structure, PORTAL_MODES[mode])


@login_required
def draft_edit(request, pk):
    draft = queries.issued_invoice(request.user, pk)
    permissions.require_espace(request.user, draft.supplier, Espace.FACTURES_EMISES,
                               modify=True)
    if draft.status != Status.BROUILLON or draft.mode_depot not in PORTAL_MODES.values():
        messages.error(request, _("Cette facture n'est pas un brouillon saisi sur le portail : "
                                  "elle ne peut pas être modifiée."))
        return redirect("invoicing:issued_detail", draft.pk)
    return _invoice_form(request, draft.supplier, draft.mode_depot, draft=draft)


def _invoice_form(request, structure, mode_depot: str, draft: Invoice | None = None):
    user = request.user
    pdf = mode_depot == ModeDepot.DEPOT_PDF_PORTAIL
    form_class = forms.PdfInvoiceForm if pdf else forms.InvoiceForm
    scope = permissions.services_of(user, structure)
    supplier_services = list(structure.services.current()) if scope is None else scope
    options = {"structure": structure, "supplier_services": supplier_services}
    status = 200
    if request.method != "POST":
        if draft is not None:
            data = services.data_of(draft)
            form = form_class(initial=form_class.initial_from(data), **options)
            formset = forms.LineFormSet(prefix="lines", initial=forms.line_initial(data))
        else:
            form = form_class(**options)
            formset = forms.LineFormSet(prefix="lines")
        return _render_invoice_form(request, structure, form, formset, pdf, draft, status)

    action = request.POST.get("action")
    if action == "add_line":
        # Without JavaScript, "Ajouter une ligne" posts the form and gets it back with one
        # more empty line (the files must be chosen again).
        posted = request.POST.copy()
        try:
            total = int(posted.get("lines-TOTAL_FORMS", "1"))
        except ValueError:
            total = 1
        posted["lines-TOTAL_FORMS"] = str(max(1, min(total + 1, forms.MAX_LINES)))
        form = form_class(posted, **options)
        formset = forms.LineFormSet(posted, prefix="lines")
        return _render_invoice_form(request, structure, form, formset, pdf, draft, status)

    form = form_class(request.POST, request.FILES, **options)
    formset = forms.LineFormSet(request.POST, prefix="lines")
    if action not in ("save", "send"):
        form.add_error(None, _("Choisissez « Enregistrer le brouillon » ou « Valider et "
                               "envoyer »."))
        return _render_invoice_form(request, structure, form, formset, pdf, draft, 400)
    if not (form.is_valid() and formset.is_valid()):
        return _render_invoice_form(request, structure, form, formset, pdf, draft, 400)
    data = form.to_data(formset.lines())
    document = form.cleaned_data.get("document")
    document = (document.name, document.read()) if document else None
    attachments = forms.read_files(form.cleaned_data.get("attachments"))
    try:
        with transaction.atomic():
            if action == "send" and draft is None:
                invoice = services.deposit(user, structure, data, mode_depot=mode_depot,
                                           document=document, attachments=attachments)
            else:
                invoice = services.save_draft(user, structure, data, mode_depot=mode_depot,
                                              document=document, attachments=attachments,
                                              invoice=draft)
                if action == "send":
                    invoice = services.send(user, invoice)
    except ChoeurError as exc:
        if exc.http_status in (403, 404):
            raise
        form.add_error(None, error_text(exc))
        field = FIELD_OF_TERM.get(exc.bt or "")
        if field in form.fields:
            form.add_error(field, exc.message())
        return _render_invoice_form(request, structure, form, formset, pdf, draft, 400)
    if action == "send":
        messages.success(request, sent_message(invoice))
    else:
        messages.success(request, _("Le brouillon de la facture n° %(number)s est "
                                    "enregistré.") % {"number": invoice.number or "—"})
    return redirect("invoicing:issued_detail", invoice.pk)


def _render_invoice_form(request, structure, form, formset, pdf, draft, status):
    return render(request, "invoicing/deposit_form.html", {
        "structure": structure, "form": form, "formset": formset, "pdf": pdf, "draft": draft,
        "groups": [(legend, [form[name] for name in names if name in form.fields])
                   for legend, names in FORM_GROUPS],
    }, status=status)
