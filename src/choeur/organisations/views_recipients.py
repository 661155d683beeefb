"""Administration → Destinataires publics: the platform administrator creates public
recipients, changes their data and requirements, adds and changes their services. Thin: each
POST is one `recipients` use case in its own transaction; the services refuse anyone else
too (403), the decorator only spares them the page."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from choeur.core.permissions import is_platform_admin, require
from choeur.organisations import forms, recipients, services
from choeur.organisations.views import attempt, warn_wrong_key

admin_only = require(is_platform_admin)


@admin_only
@require_safe
def recipient_list(request):
    search = forms.RecipientSearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    page = Paginator(recipients.public_structures(request.user, query), 50).get_page(
        request.GET.get("page"))
    return render(request, "organisations/recipients/list.html",
                  {"search": search, "page": page, "query": query})


@admin_only
def recipient_create(request):
    form = forms.PublicRecipientCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        identifier = data.pop("identifier")
        ok, structure = attempt(request, recipients.create, identifier, data, form=form)
        if ok:
            messages.success(request, _("Le destinataire public %(name)s est créé, avec son "
                                        "service FACTURES_PUBLIQUES.")
                             % {"name": structure.company_name})
            warn_wrong_key(request, structure)
            return redirect("recipient-detail", structure.pk)
    return render(request, "organisations/recipients/create.html", {"form": form})


@admin_only
def recipient_detail(request, pk):
    structure = recipients.public_structure(request.user, pk)
    form = forms.PublicRecipientForm(request.POST or None, instance=structure)
    if request.method == "POST" and form.is_valid():
        ok, _result = attempt(request, recipients.update, structure, form.cleaned_data,
                              form=form)
        if ok:
            messages.success(request, _("Le destinataire public est enregistré."))
            return redirect("recipient-detail", structure.pk)
        structure.refresh_from_db()
    return render(request, "organisations/recipients/detail.html", {
        "structure": structure, "form": form, "services": structure.services.all(),
        "first_requests": services.first_principal_requests(structure)})


@admin_only
@require_POST
def recipient_request_decide(request, pk, rattachement_id):
    """Approve (the requester becomes the gestionnaire principal) or refuse, with a reason, a
    request to a public recipient nobody has managed yet."""
    structure = recipients.public_structure(request.user, pk)
    approve = request.POST.get("decision") == "approve"
    ok, rattachement = attempt(request, services.decide_first_principal, structure,
                               rattachement_id, approve, request.POST.get("reason", ""))
    if ok:
        messages.success(request, (_("%(user)s est le gestionnaire principal de %(name)s.")
                                   if approve else _("La demande de %(user)s est refusée."))
                         % {"user": rattachement.user.email, "name": structure.company_name})
    return redirect("recipient-detail", structure.pk)


@admin_only
def recipient_service(request, pk, service_id=None):
    structure = recipients.public_structure(request.user, pk)
    service = (recipients.service_of(request.user, structure, service_id)
               if service_id is not None else None)
    form_class = forms.ServiceEditForm if service else forms.ServiceForm
    form = form_class(request.POST or None, instance=service)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if service is None:
            ok, result = attempt(request, recipients.add_service, structure, data.pop("code"),
                                 data, form=form)
        else:
            ok, result = attempt(request, recipients.update_service, service, data, form=form)
        if ok:
            messages.success(request, _("Le service %(code)s est enregistré.")
                             % {"code": result.code})
            return redirect("recipient-detail", structure.pk)
    return render(request, "organisations/recipients/service.html",
                  {"structure": structure, "service": service, "form": form})
