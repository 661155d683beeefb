"""Factures émises: an invoice's page and the supplier's actions on it (send, delete a
draft, recycle, complete, acknowledge, correct the validator)."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from choeur.invoicing import acknowledgements, deposit_documents, forms, queries, services
from choeur.invoicing.models import Invoice
from choeur.invoicing.statuses import Status
from choeur.invoicing.views.common import (
    PORTAL_MODES,
    attachment_response,
    attempt,
    blob_response,
    document_response,
    invoice_context,
    sent_message,
    xml_response,
)
from choeur.organisations import permissions
from choeur.organisations.models import Espace


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
        **invoice_context(invoice),
    }
    return render(request, "invoicing/issued_detail.html", context, status=status)


@login_required
@require_safe
def issued_detail(request, pk):
    return _issued_page(request, queries.issued_invoice(request.user, pk))


@login_required
@require_safe
def issued_document(request, pk):
    return document_response(queries.issued_invoice(request.user, pk))


@login_required
@require_safe
def issued_certificate(request, pk):
    invoice = queries.issued_invoice(request.user, pk)
    return blob_response(deposit_documents.ensure_certificate(invoice),
                          f"certificat-de-depot-{invoice.number}.pdf")


@login_required
@require_safe
def issued_xml(request, pk):
    return xml_response(queries.issued_invoice(request.user, pk))


@login_required
@require_safe
def issued_attachment(request, pk, attachment_id):
    return attachment_response(queries.issued_invoice(request.user, pk), attachment_id)


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
    return _issued_action(request, pk, services.send, sent_message)


@login_required
@require_POST
def issued_delete(request, pk):
    return _issued_action(request, pk, services.delete_draft, _("La facture est supprimée."))


@login_required
@require_POST
def issued_remove_attachment(request, pk, attachment_id):
    return _issued_action(request, pk, services.remove_attachment,
                          _("La pièce jointe est retirée du brouillon."), attachment_id)


@login_required
@require_POST
def issued_acknowledge(request, pk):
    back = request.POST.get("retour")
    if back in ("liste", "acquittements"):
        invoice = queries.issued_invoice(request.user, pk)
        form = django_forms.Form({})
        ok, _result = attempt(request, form, services.acknowledge, invoice)
        if ok:
            acknowledgements.release(request)
            messages.success(request, _("C'est noté : la facture n° %(number)s est acquittée.")
                             % {"number": invoice.number})
        else:
            messages.error(request, " ".join(form.non_field_errors()))
        if back == "acquittements":
            return redirect(f"{reverse('invoicing:acknowledgements')}?"
                            f"{urlencode({'next': request.POST.get('next', '/')})}")
        return redirect("invoicing:issued_list")
    response = _issued_action(request, pk, services.acknowledge,
                              _("C'est noté : la facture est acquittée."))
    if response.status_code == 302:
        acknowledgements.release(request)
    return response


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
