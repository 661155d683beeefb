"""Factures à valider: the validator's page and decisions (validate, refuse, wrong
validator)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from choeur.invoicing import forms, queries, services
from choeur.invoicing.models import Invoice
from choeur.invoicing.statuses import Status
from choeur.invoicing.views.common import (
    attachment_response,
    attempt,
    document_response,
    invoice_context,
    xml_response,
)
from choeur.organisations import permissions
from choeur.organisations.models import Espace


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
        **invoice_context(invoice),
    }, status=status)


@login_required
@require_safe
def to_validate_detail(request, pk):
    return _to_validate_page(request, queries.invoice_to_validate(request.user, pk))


@login_required
@require_safe
def to_validate_document(request, pk):
    return document_response(queries.invoice_to_validate(request.user, pk))


@login_required
@require_safe
def to_validate_xml(request, pk):
    return xml_response(queries.invoice_to_validate(request.user, pk))


@login_required
@require_safe
def to_validate_attachment(request, pk, attachment_id):
    return attachment_response(queries.invoice_to_validate(request.user, pk), attachment_id)


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
