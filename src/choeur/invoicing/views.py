"""Portal pages of invoicing: Factures émises (and the deposit), Factures reçues, Factures à
valider. Thin: every invoice is fetched through `queries` (a forged or foreign id is "not
found"), every state change is a POST that calls one use case inside the view's transaction,
and a user error is shown next to the form with its code, nothing saved."""

from __future__ import annotations

import io
import mimetypes
import re
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from choeur.core import storage
from choeur.core.errors import ChoeurError, NotFound
from choeur.invoicing import forms, queries, services, statuses
from choeur.invoicing.models import Invoice, ModeDepot
from choeur.invoicing.statuses import Status
from choeur.organisations import permissions
from choeur.organisations.models import Espace

PAGE_SIZE = 50
MAX_ZIP = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PORTAL_MODES = {"saisie": ModeDepot.SAISIE_PORTAIL, "pdf": ModeDepot.DEPOT_PDF_PORTAIL}
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


# --- Lists -------------------------------------------------------------------------------------


def _cursor(invoice: Invoice) -> str:
    micros = (invoice.status_changed_at - EPOCH) // timedelta(microseconds=1)
    return f"{micros}-{invoice.pk}"


def _after(queryset, cursor: str):
    """Keyset pagination on (-status_changed_at, -pk): no COUNT over a large table."""
    match = re.fullmatch(r"(\d{1,18})-(\d{1,18})", cursor or "")
    if not match:
        return queryset
    at = EPOCH + timedelta(microseconds=int(match[1]))
    pk = int(match[2])
    return queryset.filter(Q(status_changed_at__lt=at) | Q(status_changed_at=at, pk__lt=pk))


def _list(request, queryset, *, template, to_process, partner, statuses_shown, extra=None):
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
            queryset = queryset.filter(number__icontains=criteria["numero"].strip())
            searched = True
        if criteria["partenaire"].strip():
            value = re.sub(r"\s", "", criteria["partenaire"]) if re.fullmatch(
                r"[\d\s]+", criteria["partenaire"]) else criteria["partenaire"].strip()
            queryset = queryset.filter(Q(**{f"{partner}__identifier__startswith": value})
                                       | Q(**{f"{partner}__company_name__icontains": value}))
            searched = True
        if criteria["statut"]:
            queryset = queryset.filter(status=criteria["statut"])
            searched = True
    queryset = _after(queryset, request.GET.get("apres", ""))
    rows = list(queryset.select_related("supplier", "recipient")
                .order_by("-status_changed_at", "-pk")[:PAGE_SIZE + 1])
    next_query = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        query = request.GET.copy()
        query["apres"] = _cursor(rows[-1])
        next_query = query.urlencode()
    first_query = request.GET.copy()
    first_query.pop("apres", None)
    return render(request, template, {
        "invoices": rows, "tab": tab, "search": search, "searched": searched,
        "next_query": next_query, "first_query": first_query.urlencode(),
        "is_first_page": "apres" not in request.GET, **(extra or {}),
    })


def _deposit_structures(user) -> list:
    """The structures the user may deposit invoices for."""
    return [s for s in permissions.visible_structures(user).filter(is_active=True)
            if permissions.can_modify(user, s, Espace.FACTURES_EMISES)]


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
    return _list(
        request, queries.issued_invoices(user), template="invoicing/issued_list.html",
        to_process=statuses.SUPPLIER_TO_PROCESS, partner="recipient",
        statuses_shown=[s for s in Status.values if s != Status.SUPPRIMEE],
        extra={"can_deposit": bool(_deposit_structures(user)), "pending": pending})


@login_required
@require_safe
def received_list(request):
    return _list(
        request, queries.received_invoices(request.user),
        template="invoicing/received_list.html", to_process=statuses.RECIPIENT_TO_PROCESS,
        partner="supplier", statuses_shown=statuses.RECIPIENT_VISIBLE,
        extra={"max_zip": MAX_ZIP})


@login_required
@require_safe
def to_validate_list(request):
    return _list(
        request, queries.invoices_to_validate(request.user),
        template="invoicing/to_validate_list.html",
        to_process=(Status.A_VALIDER_1, Status.A_VALIDER_2), partner="supplier",
        statuses_shown=[s for s in Status.values
                        if s not in (Status.BROUILLON, Status.SUPPRIMEE)])


# --- Files -------------------------------------------------------------------------------------


def _safe_name(name: str, default: str) -> str:
    name = re.sub(r"[^\w.\-+ ]", "_", name or "").strip(" .") or default
    return name[:120]


def _blob_response(sha256: str, filename: str, content_type: str = "application/pdf"):
    if not sha256:
        raise NotFound(object_label="Fichier")
    handle = storage.open_blob(sha256)
    response = FileResponse(handle, as_attachment=True, filename=_safe_name(filename, "fichier"),
                            content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response


def _document_response(invoice: Invoice):
    return _blob_response(invoice.main_file_sha256,
                          invoice.main_file_name or f"facture-{invoice.number}.pdf")


def _attachment_response(invoice: Invoice, attachment_id):
    try:
        attachment = invoice.attachments.get(pk=int(attachment_id))
    except (ValueError, TypeError, invoice.attachments.model.DoesNotExist):
        raise NotFound(object_label="Pièce jointe") from None
    guessed = mimetypes.guess_type(attachment.name)[0]
    # Anything but a PDF is served as opaque bytes: an HTML attachment never runs here.
    kind = "application/pdf" if guessed == "application/pdf" else "application/octet-stream"
    return _blob_response(attachment.sha256, attachment.name, kind)


# --- Factures émises: detail and the supplier's actions ---------------------------------------


def _issued_page(request, invoice: Invoice, status: int = 200, **bound):
    user = request.user
    can_act = permissions.can_modify(user, invoice.supplier, Espace.FACTURES_EMISES)
    recipient_service = invoice.recipient_service.code if invoice.recipient_service else ""
    context = {
        "invoice": invoice,
        "can_act": can_act,
        "editable": invoice.mode_depot in PORTAL_MODES.values(),
        "actions": bound.get("actions") or django_forms.Form(),
        "recycle_form": bound.get("recycle_form") or forms.RecycleForm(
            prefix="recycle", initial={"recipient_identifier": invoice.recipient.identifier,
                                       "service_code": recipient_service,
                                       "engagement_number": invoice.engagement_number}),
        "complete_form": bound.get("complete_form") or forms.CompleteForm(prefix="complete"),
        "validator_form": bound.get("validator_form") or forms.ValidatorForm(
            prefix="validator"),
        **_invoice_context(invoice),
    }
    return render(request, "invoicing/issued_detail.html", context, status=status)


def _plain(value: Decimal, places: int = 0) -> str:
    """40.000000 → "40", 4.350000 → "4,35" (French): no trailing zeros beyond `places`."""
    value = Decimal(value).normalize()
    if value.as_tuple().exponent > -places:
        value = value.quantize(Decimal(1).scaleb(-places))
    return number_format(value)


def _invoice_context(invoice: Invoice) -> dict:
    lines = list(invoice.lines.all())
    units = dict(forms.UNITS)
    for line in lines:
        line.quantity_shown = _plain(line.quantity)
        line.unit_price_shown = _plain(line.unit_price, 2)
        line.unit_shown = units.get(line.unit, line.unit)
    return {
        "lines": lines,
        "vat_lines": invoice.vat_lines.all(),
        "history": invoice.history.all(),
        "events": invoice.events.all(),
        "attachments": invoice.attachments.all(),
    }


@login_required
@require_safe
def issued_detail(request, pk):
    return _issued_page(request, queries.issued_invoice(request.user, pk))


@login_required
@require_safe
def issued_document(request, pk):
    return _document_response(queries.issued_invoice(request.user, pk))


@login_required
@require_safe
def issued_certificate(request, pk):
    invoice = queries.issued_invoice(request.user, pk)
    return _blob_response(invoice.certificate_sha256,
                          f"certificat-de-depot-{invoice.number}.pdf")


@login_required
@require_safe
def issued_attachment(request, pk, attachment_id):
    return _attachment_response(queries.issued_invoice(request.user, pk), attachment_id)


def _sent_message(invoice: Invoice) -> str:
    if invoice.status == Status.A_VALIDER_1:
        return _("La facture n° %(number)s est envoyée à son valideur, %(validator)s : elle "
                 "sera transmise au destinataire après sa validation.") % {
            "number": invoice.number, "validator": invoice.validator.company_name}
    return _("La facture n° %(number)s est validée, elle est en cours de transmission.") % {
        "number": invoice.number}


def _issued_action(request, pk, use_case, success, *args, form_name="actions", form=None,
                   **kwargs):
    """POST of one supplier action on the detail page; its error shown there (400)."""
    invoice = queries.issued_invoice(request.user, pk)
    form = form if form is not None else django_forms.Form({})
    if form.is_bound and not form.is_valid():
        return _issued_page(request, invoice, status=400, **{form_name: form})
    ok, result = attempt(request, form, use_case, invoice, *args, **kwargs)
    if ok:
        messages.success(request, success(result) if callable(success) else success)
        if result.status == Status.SUPPRIMEE:
            return redirect("invoicing:issued_list")
        return redirect("invoicing:issued_detail", result.pk)
    return _issued_page(request, queries.issued_invoice(request.user, pk), status=400,
                        **{form_name: form})


@login_required
@require_POST
def issued_send(request, pk):
    return _issued_action(request, pk, services.send, _sent_message)


@login_required
@require_POST
def issued_delete(request, pk):
    return _issued_action(request, pk, services.delete_draft, _("La facture est supprimée."))


@login_required
@require_POST
def issued_acknowledge(request, pk):
    if request.POST.get("retour") == "liste":
        invoice = queries.issued_invoice(request.user, pk)
        form = django_forms.Form({})
        ok, _result = attempt(request, form, services.acknowledge, invoice)
        if ok:
            messages.success(request, _("C'est noté : la facture n° %(number)s est acquittée.")
                             % {"number": invoice.number})
        else:
            messages.error(request, " ".join(form.non_field_errors()))
        return redirect("invoicing:issued_list")
    return _issued_action(request, pk, services.acknowledge,
                          _("C'est noté : la facture est acquittée."))


@login_required
@require_POST
def issued_recycle(request, pk):
    form = forms.RecycleForm(request.POST, prefix="recycle")
    data = form.cleaned_data if form.is_valid() else {}
    return _issued_action(
        request, pk, services.recycle,
        _("La facture est transmise de nouveau, au destinataire corrigé."),
        data.get("recipient_identifier", ""), data.get("service_code", ""),
        data.get("engagement_number", ""), data.get("comment", ""),
        form_name="recycle_form", form=form)


@login_required
@require_POST
def issued_complete(request, pk):
    form = forms.CompleteForm(request.POST, request.FILES, prefix="complete")
    data = form.cleaned_data if form.is_valid() else {}
    return _issued_action(
        request, pk, services.complete,
        _("La facture est complétée : elle est de nouveau à traiter par le destinataire."),
        data.get("comment", ""), forms.read_files(data.get("attachments")),
        form_name="complete_form", form=form)


@login_required
@require_POST
def issued_correct_validator(request, pk):
    form = forms.ValidatorForm(request.POST, prefix="validator")
    data = form.cleaned_data if form.is_valid() else {}
    return _issued_action(
        request, pk, services.correct_validator,
        _("Le valideur est corrigé : la facture lui est envoyée."),
        data.get("validator_identifier", ""), data.get("validator_service_code", ""),
        form_name="validator_form", form=form)


# --- Deposit -----------------------------------------------------------------------------------


@login_required
@require_safe
def deposit_start(request):
    return render(request, "invoicing/deposit_start.html",
                  {"structures": _deposit_structures(request.user)})


@login_required
def deposit(request, structure_pk, mode):
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
        messages.success(request, _sent_message(invoice))
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


# --- Factures reçues ---------------------------------------------------------------------------


def _received_page(request, invoice: Invoice, status: int = 200, process_form=None):
    can_act = permissions.can_modify(request.user, invoice.recipient, Espace.FACTURES_RECUES)
    targets = statuses.recipient_targets(invoice.status)
    return render(request, "invoicing/received_detail.html", {
        "invoice": invoice,
        "can_act": can_act and bool(targets),
        "process_form": process_form or forms.ProcessForm(invoice=invoice, prefix="process"),
        **_invoice_context(invoice),
    }, status=status)


@login_required
@require_safe
def received_detail(request, pk):
    return _received_page(request, queries.received_invoice(request.user, pk))


@login_required
@require_POST
def received_process(request, pk):
    invoice = queries.received_invoice(request.user, pk)
    form = forms.ProcessForm(request.POST, invoice=invoice, prefix="process")
    if form.is_valid():
        data = form.cleaned_data
        ok, result = attempt(request, form, services.process, invoice, data["target"],
                             data["comment"], data["mandate_number"])
        if ok:
            messages.success(request, _("La facture n° %(number)s est passée au statut "
                                        "« %(status)s ».") % {
                "number": result.number, "status": Status(result.status).label})
            return redirect("invoicing:received_detail", result.pk)
        invoice = queries.received_invoice(request.user, pk)
    return _received_page(request, invoice, status=400, process_form=form)


@login_required
@require_POST
def received_document(request, pk):
    """The recipient downloads the invoice: a POST, since it is recorded (téléchargée)."""
    invoice = queries.received_invoice(request.user, pk)
    if not invoice.main_file_sha256:
        raise NotFound(object_label="Fichier")
    with transaction.atomic():
        services.mark_downloaded(request.user, [invoice])
    return _document_response(invoice)


@login_required
@require_safe
def received_attachment(request, pk, attachment_id):
    return _attachment_response(queries.received_invoice(request.user, pk), attachment_id)


@login_required
@require_POST
def received_zip(request):
    """Several invoices at once: a ZIP of their documents (50 at most), marked downloaded."""
    ids = {value for value in request.POST.getlist("ids") if value.isdigit()}
    if not ids:
        messages.error(request, _("Cochez les factures à télécharger."))
        return redirect("invoicing:received_list")
    if len(ids) > MAX_ZIP:
        messages.error(request, _("Vous pouvez télécharger %(n)d factures au plus à la fois.")
                       % {"n": MAX_ZIP})
        return redirect("invoicing:received_list")
    invoices = list(queries.received_invoices(request.user).filter(pk__in=ids)
                    .select_related("supplier", "recipient", "recipient_service")
                    .order_by("pk"))
    if len(invoices) != len(ids):
        raise NotFound(object_label="Facture")
    buffer = io.BytesIO()
    with transaction.atomic():
        services.mark_downloaded(request.user, invoices)
        used = set()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for invoice in invoices:
                if not invoice.main_file_sha256:
                    continue
                name = _safe_name(f"{invoice.supplier.identifier}_{invoice.number}"
                                  f"_{invoice.main_file_name or 'facture.pdf'}", "facture.pdf")
                while name in used:
                    name = f"{invoice.pk}_{name}"
                used.add(name)
                with storage.open_blob(invoice.main_file_sha256) as source, \
                        archive.open(name, "w") as target:
                    while chunk := source.read(storage.CHUNK):
                        target.write(chunk)
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="factures.zip"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- Factures à valider ------------------------------------------------------------------------


def _validator_structure(invoice: Invoice):
    if invoice.status == Status.A_VALIDER_1:
        return invoice.validator
    if invoice.status == Status.A_VALIDER_2:
        return invoice.validator2
    return None


def _to_validate_page(request, invoice: Invoice, status: int = 200, **bound):
    deciding = _validator_structure(invoice)
    can_decide = deciding is not None and permissions.can_modify(
        request.user, deciding, Espace.FACTURES_A_VALIDER)
    return render(request, "invoicing/to_validate_detail.html", {
        "invoice": invoice,
        "can_decide": can_decide,
        "validate_form": bound.get("validate_form") or forms.ValidateForm(prefix="validate"),
        "refuse_form": bound.get("refuse_form") or forms.RefuseForm(prefix="refuse"),
        "wrong_form": bound.get("wrong_form") or forms.WrongValidatorForm(prefix="wrong"),
        **_invoice_context(invoice),
    }, status=status)


@login_required
@require_safe
def to_validate_detail(request, pk):
    return _to_validate_page(request, queries.invoice_to_validate(request.user, pk))


@login_required
@require_safe
def to_validate_document(request, pk):
    return _document_response(queries.invoice_to_validate(request.user, pk))


@login_required
@require_safe
def to_validate_attachment(request, pk, attachment_id):
    return _attachment_response(queries.invoice_to_validate(request.user, pk), attachment_id)


def _decide(request, pk, form_class, prefix, form_name, use_case, field, success):
    invoice = queries.invoice_to_validate(request.user, pk)
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        ok, result = attempt(request, form, use_case, invoice, form.cleaned_data[field])
        if ok:
            messages.success(request, success % {"number": result.number})
            return redirect("invoicing:to_validate_detail", result.pk)
        invoice = queries.invoice_to_validate(request.user, pk)
    return _to_validate_page(request, invoice, status=400, **{form_name: form})


@login_required
@require_POST
def to_validate_validate(request, pk):
    return _decide(request, pk, forms.ValidateForm, "validate", "validate_form",
                   services.validate, "comment",
                   _("La facture n° %(number)s est validée."))


@login_required
@require_POST
def to_validate_refuse(request, pk):
    return _decide(request, pk, forms.RefuseForm, "refuse", "refuse_form", services.refuse,
                   "reason", _("La facture n° %(number)s est refusée."))


@login_required
@require_POST
def to_validate_wrong(request, pk):
    return _decide(request, pk, forms.WrongValidatorForm, "wrong", "wrong_form",
                   services.wrong_validator, "comment",
                   _("La facture n° %(number)s est renvoyée au fournisseur pour qu'il "
                     "corrige le valideur."))
