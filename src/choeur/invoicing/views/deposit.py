"""The portal deposit: choice of structure, the saisie and PDF forms (with the pre-fill from
a Factur-X), draft editing. The structured deposit is in `structured`."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from choeur.core.errors import ChoeurError
from choeur.formats import display
from choeur.invoicing import errors, forms, queries, services, structured
from choeur.invoicing.data import InvoiceData
from choeur.invoicing.models import (
    Invoice,
    ModeDepot,
    ModePaiement,
    TypeFacture,
    UploadedFile,
)
from choeur.invoicing.statuses import Status
from choeur.invoicing.views.common import (
    PORTAL_MODES,
    deposit_structures,
    error_text,
    sent_message,
)
from choeur.organisations import permissions
from choeur.organisations.models import Espace
from choeur.web import current_structure

#: Which form field an error about a business term points at.
FIELD_OF_TERM = {
    "BT-1": "number", "BT-2": "invoice_date", "BT-10": "recipient_service_code",
    "BT-13": "engagement_number", "BT-25": "original_invoice_number", "BT-46":
    "recipient_identifier", "BT-81": "payment_mode", "BT-84": "bank_account",
}

#: Which form field an error without a business term points at.
FIELD_OF_CODE = {
    "INV_VALIDATOR_REQUIRED": "validator_identifier",
    "INV_VALIDATOR_UNKNOWN": "validator_identifier",
    "INV_VALIDATOR_NOT_ALLOWED": "validator_identifier",
    "INV_ATTACHMENT_REFUSED": "attachments", "INV_ATTACHMENTS_TOO_LARGE": "attachments",
    "INV_SUPPLIER_SERVICE_REQUIRED": "supplier_service",
    "INV_DOCUMENT_UNREADABLE": "document", "INV_DOCUMENT_NOT_PDF": "document",
    "CORE_FILE_TOO_LARGE": "document", "INV_UPLOADS_TOO_MANY": "document",
    "INV_UPLOAD_ALREADY_USED": "uploaded_document", "INV_UPLOAD_EXPIRED": "uploaded_document",
}
_TERM = re.compile(r"\b(BT-\d+)\b")

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

#: Header fields a Factur-X fills on the PDF form; the others keep what the user keyed.
PREFILLED_FIELDS = (
    "recipient_identifier", "recipient_service_code", "type_facture", "number",
    "invoice_date", "currency", "engagement_number", "marche_number",
    "original_invoice_number", "payment_mode")



@login_required
@require_safe
def deposit_start(request):
    structures = deposit_structures(request.user)
    chosen = current_structure.current(request)  # the header's choice, when it may deposit
    if chosen is not None and any(s.pk == chosen.pk for s in structures):
        structures = [s for s in structures if s.pk == chosen.pk]
    return render(request, "invoicing/deposit_start.html", {"structures": structures})


@login_required
def new_invoice(request, structure_pk, mode):
    structure = permissions.structure_for(request.user, structure_pk)
    permissions.require_espace(request.user, structure, Espace.FACTURES_EMISES, modify=True)
    permissions.require_active(structure)
    return _invoice_form(request, structure, PORTAL_MODES[mode])


def form_options(user, structure) -> dict:
    scope = permissions.services_of(user, structure)
    supplier_services = list(structure.services.current()) if scope is None else scope
    return {"structure": structure, "supplier_services": supplier_services,
            "whole_structure": scope is None}


def _field_of(exc: ChoeurError) -> str | None:
    term = exc.bt
    if term is None and exc.code == errors.DataMismatch.code:
        match = _TERM.search(str(exc.params.get("field_en", "")))  # "service code (BT-10)"
        term = match[1] if match else None
    return FIELD_OF_CODE.get(exc.code) or FIELD_OF_TERM.get(term or "")


def show_error(form, exc: ChoeurError) -> None:
    """The coded error above the form, and its message next to the field it is about."""
    form.add_error(None, error_text(exc))
    field = _field_of(exc)
    if field in form.fields:
        form.add_error(field, exc.message())


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
    options = form_options(user, structure)
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
        total = max(1, min(total + 1, forms.MAX_LINES))
        posted["lines-TOTAL_FORMS"] = str(total)
        # The added line carries its defaults as posted data: left as is, it is "unchanged"
        # and shows no "required" errors before the user has typed anything in it.
        for name, field in forms.LineForm.base_fields.items():
            if field.initial is not None:
                posted.setdefault(f"lines-{total - 1}-{name}", str(field.initial))
        form = form_class(posted, **options)
        formset = forms.LineFormSet(posted, prefix="lines")
        return _render_invoice_form(request, structure, form, formset, pdf, draft, status)
    if action == "prefill" and pdf:
        return _prefill(request, structure, form_class, options, draft)

    form = form_class(request.POST, request.FILES, **options)
    formset = forms.LineFormSet(request.POST, prefix="lines")
    if action not in ("save", "send"):
        form.add_error(None, _("Choisissez « Enregistrer le brouillon » ou « Valider et "
                               "envoyer »."))
        return _render_invoice_form(request, structure, form, formset, pdf, draft, 400)
    if not (form.is_valid() and formset.is_valid()):
        return _render_invoice_form(request, structure, form, formset, pdf, draft, 400)
    data = form.to_data(formset.lines())
    posted = form.cleaned_data.get("document")
    attachments = forms.read_files(form.cleaned_data.get("attachments"))
    try:
        with transaction.atomic():
            # The PDF goes through the uploads as the API's does (read, stored once,
            # consumed by this invoice); chosen among the uploads, it is taken as it is.
            main, document = None, None
            if posted:
                content = posted.read()
                main = services.upload_file(user, structure, posted.name, content,
                                            source=UploadedFile.Source.PORTAIL)
                document = (main.name, content)
            elif form.cleaned_data.get("uploaded_document"):
                main, content = services.uploaded_file(
                    user, structure, form.cleaned_data["uploaded_document"], main=True)
                document = (main.name, content)
            pieces = [services.uploaded_file(user, structure, pk)
                      for pk in form.cleaned_data.get("uploaded_attachments") or []]
            attachments += [(upload.name, content) for upload, content in pieces]
            if action == "send" and draft is None:
                invoice = services.deposit(user, structure, data, mode_depot=mode_depot,
                                           document=document, attachments=attachments)
            else:
                invoice = services.save_draft(user, structure, data, mode_depot=mode_depot,
                                              document=document, attachments=attachments,
                                              invoice=draft)
                if action == "send":
                    invoice = services.send(user, invoice)
            services.mark_used([main, *(upload for upload, _c in pieces)], invoice, main=main)
    except ChoeurError as exc:
        if exc.http_status in (403, 404):
            raise
        show_error(form, exc)
        return _render_invoice_form(request, structure, form, formset, pdf, draft, 400)
    if action == "send":
        messages.success(request, sent_message(invoice))
    else:
        messages.success(request, _("Le brouillon de la facture n° %(number)s est "
                                    "enregistré.") % {"number": invoice.number or "—"})
    return redirect("invoicing:issued_detail", invoice.pk)


def _render_invoice_form(request, structure, form, formset, pdf, draft, status,
                         prefill=None):
    return render(request, "invoicing/deposit_form.html", {
        "structure": structure, "form": form, "formset": formset, "pdf": pdf, "draft": draft,
        "groups": _groups(form, FORM_GROUPS), "prefill": prefill,
    }, status=status)


def _groups(form, groups):
    return [(legend, [form[name] for name in names if name in form.fields])
            for legend, names in groups]


# --- Pre-fill of the PDF form from a Factur-X ------------------------------------------------


def _prefill(request, structure, form_class, options, draft):
    """"Pré-remplir depuis le Factur-X": when the PDF chosen carries Factur-X data, the form
    comes back filled from them (header, lines, and the bank details whose IBAN the file
    gives); what the file does not say keeps what the user keyed. Anything else (no file, not
    a PDF, a plain PDF) leaves the form as it was, with a message.

    A readable PDF is kept as an upload of the structure (`UploadedFile`, as the API's
    `deposer/pdf` keeps one) and comes back selected as « PDF déjà déposé »: the user does not
    choose it again. An upload is no draft (it appears in no list of invoices) and, if the
    user walks away, the worker's sweep removes it after `services.UPLOAD_LIFETIME`. The
    attachments are not kept: they are chosen again, as after "Ajouter une ligne"."""
    posted = form_class(request.POST, **options)
    formset = forms.LineFormSet(request.POST, prefix="lines")
    upload = request.FILES.get("document")
    problem = None
    if upload is None:
        problem = _("Choisissez d'abord le PDF de la facture, puis « Pré-remplir depuis le "
                    "Factur-X ».")
    elif upload.size > forms.MAX_STRUCTURED_FILE:
        problem = _("Ce fichier est trop volumineux pour être lu (20 Mo au plus).")
    else:
        content = upload.read()
        if not content.startswith(services.PDF_MAGIC):
            problem = _("Ce fichier n'est pas un PDF.")
        else:
            try:
                with transaction.atomic():
                    kept = services.upload_file(request.user, structure, upload.name, content,
                                                source=UploadedFile.Source.PORTAIL)
            except ChoeurError as exc:
                if exc.http_status in (403, 404):
                    raise
                kept, problem = None, error_text(exc)
            if kept is not None:
                examined = structured.examine(content)
                if examined.data is None:
                    code = next((f.rule for f in examined.report.findings if f.blocking), "")
                    problem = _("Ce PDF ne contient pas de données Factur-X : le formulaire "
                                "n'a pas été modifié. Saisissez les données de la facture.")
                    problem += f" [{code}]" if code else ""
                    initial = {name: posted[name].value() for name in posted.fields
                               if name not in ("document", "attachments")}
                    initial["uploaded_document"] = kept.pk
                    return _render_invoice_form(
                        request, structure, form_class(initial=initial, **options), formset,
                        True, draft, 200, prefill={"problem": problem, "kept": kept.name})
                return _prefilled(request, structure, form_class, options, draft, posted,
                                  kept, examined)
    return _render_invoice_form(request, structure, posted, formset, True, draft, 200,
                                prefill={"problem": problem})


def _prefilled(request, structure, form_class, options, draft, posted, kept, examined):
    data = examined.data
    initial = {name: posted[name].value() for name in posted.fields
               if name not in ("document", "attachments")}
    from_file = form_class.initial_from(data)
    initial.update({name: from_file[name] for name in PREFILLED_FIELDS if from_file[name]})
    initial["uploaded_document"] = kept.pk
    if data.type_facture == TypeFacture.AVOIR:  # a credit note carries no payment
        initial.update(payment_mode="", bank_account=None)
    elif examined.iban:
        account = structure.bank_accounts.filter(iban=examined.iban.replace(" ", ""),
                                                 is_active=True).first()
        if account is not None:
            initial["bank_account"] = account.pk
    form = form_class(initial=initial, **options)
    formset = forms.LineFormSet(prefix="lines", initial=forms.line_initial(data))
    blocking = sum(1 for f in examined.report.findings if f.blocking)
    return _render_invoice_form(request, structure, form, formset, True, draft, 200, prefill={
        "file": kept.name, "kept": kept.name, "read": read_summary(data, examined.seller_siret),
        "no_lines": not data.lines, "blocking": blocking})


def read_summary(data: InvoiceData, seller_siret: str = "") -> list[tuple[str, str]]:
    """What was read in a file, as (label, value) rows; "absent" where the file says nothing."""
    def amount(value):
        return display.money(value, translation.get_language() or "fr", data.currency)

    rows = [
        (_("Numéro de facture"), data.number),
        (_("Type de facture"), TypeFacture(data.type_facture).label
         if data.type_facture in TypeFacture.values else data.type_facture),
        (_("Date de facture"), date_format(data.invoice_date, "SHORT_DATE_FORMAT")
         if data.invoice_date else ""),
        (_("SIRET du vendeur"), seller_siret),
        (_("SIRET du destinataire"), data.recipient_identifier),
        (_("Code service du destinataire"), data.recipient_service_code),
        (_("Numéro d'engagement (bon de commande)"), data.engagement_number),
        (_("Numéro de marché"), data.marche_number),
        (_("Mode de paiement"), ModePaiement(data.payment_mode).label
         if data.payment_mode in ModePaiement.values else data.payment_mode),
        (_("Lignes"), str(len(data.lines))),
    ]
    if data.totals is not None:
        rows += [(_("Total HT"), amount(data.totals.total_ht)),
                 (_("Total TVA"), amount(data.totals.total_tva)),
                 (_("Total TTC"), amount(data.totals.total_ttc))]
    return [(label, value or _("absent du fichier")) for label, value in rows]
