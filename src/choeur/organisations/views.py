"""Portal pages of the organisation feature. Thin: each POST calls one service function inside
a transaction; permission checks live in `permissions` and in the services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from choeur.core import audit
from choeur.core.errors import ChoeurError, NotFound
from choeur.core.models import AuditEvent
from choeur.organisations import (
    activity,
    annuaire,
    forms,
    permissions,
    raccordements,
    services,
)
from choeur.organisations.identifiers import siret_key_warning
from choeur.organisations.models import (
    Espace,
    HabilitationMode,
    HabilitationRequest,
    Rattachement,
    Service,
    Structure,
)


def attempt(request, use_case, *args, form=None, **kwargs):
    """Run a use case in its own transaction. A user error (bad input, conflict) is shown on
    the form or as a message and the page is shown again; refusals (403/404) propagate."""
    try:
        with transaction.atomic():
            return True, use_case(request.user, *args, **kwargs)
    except ChoeurError as exc:
        if exc.http_status in (403, 404):
            raise
        text = f"{exc.message()} [{exc.code}]"
        if form is not None:
            form.add_error(None, text)
        else:
            messages.error(request, text)
        return False, exc


def _bank_details_missing(user, structure: Structure) -> bool:
    """A supplier (a private structure that issues invoices) without active bank details: its
    invoices payable by credit transfer will be refused, a first flux included — its pages
    say so before. (A public structure is a recipient first: no warning there.)"""
    return (not structure.is_public
            and Espace.FACTURES_EMISES in permissions.open_espaces(structure, user)
            and not structure.bank_accounts.filter(is_active=True).exists())


def _service_of(structure: Structure, service_id) -> Service:
    try:
        return structure.services.get(pk=int(service_id))
    except (Service.DoesNotExist, TypeError, ValueError):
        raise NotFound(object_label="Service") from None


# --- Structures ----------------------------------------------------------------------------------


@login_required
@require_safe
def structure_list(request):
    rattachements = (
        Rattachement.objects.filter(user=request.user)
        .exclude(status=Rattachement.Status.SUPPRIMEE)
        .select_related("structure")
        .order_by("structure__company_name")
    )
    return render(request, "organisations/structure_list.html", {"rattachements": rattachements})


@login_required
def structure_create(request):
    form = forms.StructureCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        identifier_type = data.pop("identifier_type")
        identifier = data.pop("identifier")
        ok, structure = attempt(
            request, services.create_private_structure, identifier_type, identifier, data,
            form=form,
        )
        if ok:
            messages.success(request, _("La structure est créée : vous en êtes le gestionnaire "
                                        "principal."))
            warn_wrong_key(request, structure)
            return redirect("structure-detail", structure.pk)
    return render(request, "organisations/structure_create.html", {"form": form})


def warn_wrong_key(request, structure) -> None:
    """A SIRET accepted with a wrong check digit (qualification only): say so once."""
    warning = siret_key_warning(structure.identifier_type, structure.identifier)
    if warning:
        messages.warning(request, warning)


@login_required
@require_safe
def structure_detail(request, pk):
    structure = permissions.structure_for(request.user, pk)
    rattachement = permissions.rattachement_of(request.user, structure)
    opened = permissions.open_espaces(structure, request.user)
    pending = set(rattachement.habilitation_requests.filter(
        status=HabilitationRequest.Status.EN_COURS_DE_VALIDATION).values_list("espace",
                                                                              flat=True))
    espaces = [
        (e, permissions.espace_mode(request.user, structure, e.value), e.value in pending)
        for e in Espace if e.value in opened or e in permissions.ALWAYS_OPEN
    ]
    return render(request, "organisations/structure_detail.html", {
        "structure": structure,
        "bank_details_missing": _bank_details_missing(request.user, structure),
        "rattachement": rattachement,
        "is_gestionnaire": rattachement.is_gestionnaire,
        "services": structure.services.all(),
        "espaces": espaces,
        "self_service": services.SELF_SERVICE_ESPACES,
        "parameters": [
            (forms.STRUCTURE_PARAMETER_LABELS.get(f) or structure._meta.get_field(f).verbose_name,
             structure._meta.get_field(f).help_text, getattr(structure, f))
            for f in forms.STRUCTURE_PARAMETER_FIELDS
        ],
    })


@login_required
def structure_edit(request, pk):
    structure = permissions.structure_for(request.user, pk)
    permissions.require_gestionnaire(request.user, structure)
    form = forms.StructureEditForm(request.POST or None, instance=structure,
                                   principal=permissions.is_principal(request.user, structure))
    if request.method == "POST" and form.is_valid():
        ok, _result = attempt(request, services.update_structure, structure,
                              form.cleaned_data, form=form)
        if ok:
            messages.success(request, _("Les données de la structure sont enregistrées."))
            return redirect("structure-detail", structure.pk)
        structure.refresh_from_db()
    return render(request, "organisations/structure_edit.html",
                  {"structure": structure, "form": form})


@login_required
def structure_change_identifier(request, pk):
    structure = permissions.structure_for(request.user, pk)
    permissions.require_principal(request.user, structure)
    form = forms.ChangeIdentifierForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, new = attempt(request, services.change_identifier, structure,
                          form.cleaned_data["identifier_type"],
                          form.cleaned_data["identifier"], form=form)
        if ok:
            messages.success(request, _("La structure a un nouvel identifiant ; l'ancienne "
                                        "fiche est désactivée."))
            return redirect("structure-detail", new.pk)
    return render(request, "organisations/structure_change_identifier.html",
                  {"structure": structure, "form": form})


@login_required
@require_POST
def structure_toggle(request, pk):
    structure = permissions.structure_for(request.user, pk)
    active = request.POST.get("active") == "1"
    ok, _result = attempt(request, services.set_structure_active, structure, active)
    if ok:
        messages.success(request, _("La structure est activée.") if active
                         else _("La structure est désactivée."))
    return redirect("structure-detail", structure.pk)


@login_required
@require_safe
def structure_history(request, pk):
    structure = permissions.structure_for(request.user, pk)
    permissions.require_espace(request.user, structure, Espace.ACTIVITES_GESTIONNAIRE)
    permissions.require_gestionnaire(request.user, structure)
    events = AuditEvent.objects.filter(
        action__startswith="organisations.", details__structure=structure.pk
    ) | audit.history(structure)
    return render(request, "organisations/structure_history.html", {
        "structure": structure,
        "events": [(event, activity.sentence(event))
                   for event in events.order_by("-at", "-id")[:200]],
    })


# --- Services ------------------------------------------------------------------------------------


@login_required
def service_create(request, pk):
    structure = permissions.structure_for(request.user, pk)
    permissions.require_gestionnaire(request.user, structure)
    form = forms.ServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        code = data.pop("code")
        ok, service = attempt(request, services.create_service, structure, code, data,
                              form=form)
        if ok:
            messages.success(request, _("Le service %(code)s est créé.") % {"code": service.code})
            return redirect("structure-detail", structure.pk)
    return render(request, "organisations/service_form.html",
                  {"structure": structure, "form": form, "service": None})


@login_required
def service_edit(request, pk, service_id):
    structure = permissions.structure_for(request.user, pk)
    permissions.require_gestionnaire(request.user, structure)
    service = _service_of(structure, service_id)
    form = forms.ServiceEditForm(request.POST or None, instance=service)
    if request.method == "POST" and form.is_valid():
        ok, _result = attempt(request, services.update_service, service, form.cleaned_data,
                              form=form)
        if ok:
            messages.success(request, _("Le service est enregistré."))
            return redirect("structure-detail", structure.pk)
        service.refresh_from_db()
    return render(request, "organisations/service_form.html",
                  {"structure": structure, "form": form, "service": service})


@login_required
@require_POST
def service_toggle(request, pk, service_id):
    structure = permissions.structure_for(request.user, pk)
    service = _service_of(structure, service_id)
    active = request.POST.get("active") == "1"
    ok, _result = attempt(request, services.set_service_active, service, active)
    if ok:
        messages.success(request, _("Le service est activé.") if active
                         else _("Le service est désactivé."))
    return redirect("structure-detail", structure.pk)


# --- Users of a structure (gestionnaire) ---------------------------------------------------------


@login_required
def structure_users(request, pk):
    structure = permissions.structure_for(request.user, pk)
    me = permissions.require_gestionnaire(request.user, structure)
    refuse_form = forms.RefuseForm()
    attach_form = forms.AttachForm()
    if request.method == "POST":
        action = request.POST.get("action")
        ids = request.POST.getlist("ids")
        if action == "validate":
            ok, done = attempt(request, services.validate_rattachements, structure, ids)
            if ok:
                messages.success(request, _("%(n)d demande(s) validée(s).") % {"n": len(done)})
                return redirect("structure-users", structure.pk)
        elif action == "refuse":
            refuse_form = forms.RefuseForm(request.POST)
            reason = request.POST.get("reason", "")
            ok, done = attempt(request, services.refuse_rattachements, structure, ids, reason)
            if ok:
                messages.success(request, _("%(n)d demande(s) refusée(s).") % {"n": len(done)})
                return redirect("structure-users", structure.pk)
        elif action == "attach":
            attach_form = forms.AttachForm(request.POST)
            if attach_form.is_valid():
                ok, _result = attempt(
                    request, services.attach_user, structure, attach_form.cleaned_data["email"],
                    request.POST.getlist("services"),
                    gestionnaire=attach_form.cleaned_data["gestionnaire"], form=attach_form,
                )
                if ok:
                    messages.success(request, _("L'utilisateur est rattaché."))
                    return redirect("structure-users", structure.pk)
        else:
            use_case = {
                "detach": services.detach_user,
                "grant": lambda actor, s, r: services.set_gestionnaire(actor, s, r, True),
                "withdraw": lambda actor, s, r: services.set_gestionnaire(actor, s, r, False),
                "transfer": services.transfer_principal,
            }.get(action)
            if use_case is None:
                messages.error(request, _("Action inconnue."))
            else:
                ok, _result = attempt(request, use_case, structure, request.POST.get("id"))
                if ok:
                    messages.success(request, _("C'est fait."))
                    return redirect("structure-users", structure.pk)
    rattachements = structure.rattachements.select_related("user").prefetch_related("services")
    return render(request, "organisations/structure_users.html", {
        "structure": structure,
        "me": me,
        "pending": rattachements.filter(status=Rattachement.Status.EN_COURS_DE_VALIDATION),
        "members": rattachements.filter(status=Rattachement.Status.VALIDEE),
        "services": structure.services.filter(is_active=True),
        "refuse_form": refuse_form,
        "attach_form": attach_form,
    })


# --- Espaces and habilitations -------------------------------------------------------------------


@login_required
def structure_espaces(request, pk):
    structure = permissions.structure_for(request.user, pk)
    permissions.require_gestionnaire(request.user, structure)
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("open", "close"):
            ok, _result = attempt(request, services.set_espace_open, structure,
                                  _espace(request.POST.get("espace")), action == "open")
        elif action in ("approve_request", "refuse_request"):
            ok, _result = attempt(request, services.decide_habilitation_request, structure,
                                  request.POST.get("id"), action == "approve_request")
        else:
            mode = request.POST.get("mode") or None
            if mode is not None and mode not in HabilitationMode.values:
                raise NotFound(object_label="Mode")
            ok, _result = attempt(request, services.set_habilitation, structure,
                                  request.POST.get("id"), _espace(request.POST.get("espace")),
                                  mode)
        if ok:
            messages.success(request, _("C'est enregistré."))
            return redirect("structure-espaces", structure.pk)
    opened = permissions.open_espaces(structure, request.user)
    members = list(
        structure.rattachements.filter(status=Rattachement.Status.VALIDEE)
        .select_related("user").prefetch_related("habilitations")
    )
    matrix = []
    for member in members:
        modes = {h.espace: h.mode for h in member.habilitations.all()}
        matrix.append((member, [(e, modes.get(e.value, "")) for e in Espace
                                if e.value in opened and e not in permissions.ALWAYS_OPEN]))
    return render(request, "organisations/structure_espaces.html", {
        "structure": structure,
        "requests": HabilitationRequest.objects.filter(
            rattachement__structure=structure,
            status=HabilitationRequest.Status.EN_COURS_DE_VALIDATION,
        ).select_related("rattachement__user"),
        "espaces": [(e, e.value in opened, e in services.LOCKED_ESPACES) for e in Espace],
        "matrix": matrix,
        "mode_choices": forms.MODE_CHOICES,
    })


@login_required
@require_POST
def habilitation_request(request, pk):
    structure = permissions.structure_for(request.user, pk)
    mode = request.POST.get("mode")
    if mode not in HabilitationMode.values:
        raise NotFound(object_label="Mode")
    ok, result = attempt(request, services.request_habilitation, structure,
                         _espace(request.POST.get("espace")), mode)
    if ok:
        messages.success(request, _("L'accès à l'espace vous est ouvert.")
                         if not isinstance(result, HabilitationRequest)
                         else _("Votre demande d'accès est envoyée aux gestionnaires."))
    return redirect("structure-detail", structure.pk)


def _espace(value):
    if value not in Espace.values:
        raise NotFound(object_label="Espace")
    return value


# --- Bank details --------------------------------------------------------------------------------


@login_required
def bank_accounts(request, pk):
    structure = permissions.structure_for(request.user, pk)
    permissions.require_espace(request.user, structure, Espace.COORDONNEES_BANCAIRES)
    is_gestionnaire = permissions.is_gestionnaire(request.user, structure)
    form = forms.BankAccountForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("action") == "deactivate":
            ok, _result = attempt(request, services.deactivate_bank_account, structure,
                                  request.POST.get("id"))
            if ok:
                messages.success(request, _("Les coordonnées bancaires sont désactivées."))
                return redirect("bank-accounts", structure.pk)
        elif form.is_valid():
            ok, _result = attempt(request, services.add_bank_account, structure, form=form,
                                  **form.cleaned_data)
            if ok:
                messages.success(request, _("Les coordonnées bancaires sont enregistrées."))
                return redirect("bank-accounts", structure.pk)
    return render(request, "organisations/bank_accounts.html", {
        "structure": structure,
        "accounts": structure.bank_accounts.all(),
        "form": form,
        "is_gestionnaire": is_gestionnaire,
    })


# --- The user's own rattachements ----------------------------------------------------------------


@login_required
def rattachement_request(request):
    search = forms.SearchForm(request.GET or None)
    results = []
    if search.is_valid() and search.cleaned_data["q"]:
        results = list(services.search_structures(search.cleaned_data["q"]))
    query = request.POST.get("q") or (search.cleaned_data["q"] if search.is_valid() else "")
    chosen = None
    if request.method == "POST":
        # Only a structure the search shows for the words typed: a forged id does not reveal
        # another structure's name and services.
        found = services.search_structures(request.POST.get("q", ""))
        try:
            chosen = found.get(pk=int(request.POST.get("structure", "")))
        except (Structure.DoesNotExist, ValueError):
            raise NotFound(object_label="Structure") from None
        if request.POST.get("confirm") == "1":
            ok, rattachement = attempt(request, services.request_rattachement, chosen,
                                       request.POST.getlist("services"))
            if ok:
                if rattachement.status == Rattachement.Status.VALIDEE:
                    messages.success(request, _("Vous êtes le gestionnaire principal de cette "
                                                "structure."))
                    return redirect("structure-detail", chosen.pk)
                if chosen.is_public and chosen.principal_assigned_at is None:
                    messages.success(request, _(
                        "Cette structure publique n'a pas encore de gestionnaire : votre demande "
                        "est envoyée aux administrateurs de la plateforme, qui désignent son "
                        "gestionnaire principal."))
                else:
                    messages.success(request, _("Votre demande est envoyée au gestionnaire de "
                                                "la structure."))
                return redirect("structures")
    return render(request, "organisations/rattachement_request.html", {
        "search": search,
        "query": query,
        "results": results,
        "chosen": chosen,
        "chosen_services": chosen.services.filter(is_active=True) if chosen else [],
    })


@login_required
@require_POST
def rattachement_leave(request, pk):
    structure = permissions.structure_for(request.user, pk)
    ok, _result = attempt(request, services.leave_structure, structure)
    if ok:
        messages.success(request, _("Vous n'êtes plus rattaché à cette structure."))
    return redirect("structures")


# --- Raccordements: technical accounts and OAuth2 clients --------------------------------------


@login_required
def structure_raccordements(request, pk):
    structure = permissions.structure_for(request.user, pk)
    is_gestionnaire = permissions.is_gestionnaire(request.user, structure)
    if not is_gestionnaire:
        permissions.require_espace(request.user, structure, Espace.RACCORDEMENTS)
    revealed = None  # a secret is shown once, in the answer to the POST that made it
    if request.method == "POST":
        action = request.POST.get("action")
        target = request.POST.get("id")
        use_case = {
            "create_account": lambda actor, s: raccordements.create_technical_account(actor, s),
            "reset_password": lambda actor, s: raccordements.reset_technical_password(
                actor, s, target),
            "deactivate_account": lambda actor, s: raccordements.deactivate_technical_account(
                actor, s, target),
            "create_client": lambda actor, s: raccordements.create_api_client(
                actor, s, request.POST.get("label", "")),
            "revoke_client": lambda actor, s: raccordements.revoke_api_client(actor, s, target),
            "lenient_on": lambda actor, s: raccordements.set_lenient_bearer(
                actor, s, target, True),
            "lenient_off": lambda actor, s: raccordements.set_lenient_bearer(
                actor, s, target, False),
        }.get(action)
        if use_case is None:
            raise NotFound(object_label="Action")
        ok, result = attempt(request, use_case, structure)
        if ok and isinstance(result, tuple):
            revealed = {"object": result[0], "secret": result[1], "action": action}
        elif ok:
            messages.success(request, _("C'est fait."))
            return redirect("structure-raccordements", structure.pk)
    response = render(request, "organisations/structure_raccordements.html", {
        "structure": structure,
        "is_gestionnaire": is_gestionnaire,
        "is_principal": permissions.is_principal(request.user, structure),
        "accounts": structure.technical_accounts.all(),
        "clients": structure.api_clients.all(),
        "revealed": revealed,
        "lenient_allowed": raccordements.lenient_bearer_allowed(),
        "bank_details_missing": _bank_details_missing(request.user, structure),
    })
    if revealed:
        response["Cache-Control"] = "no-store"
    return response


# --- Annuaire (public) ------------------------------------------------------------------------


@require_safe
def annuaire_search(request):
    form = forms.AnnuaireSearchForm(request.GET or None)
    page = None
    if form.is_valid():
        results = annuaire.search(**form.cleaned_data)
        page = Paginator(results, 50).get_page(request.GET.get("page"))
    return render(request, "organisations/annuaire_search.html", {"form": form, "page": page})


@require_safe
def annuaire_detail(request, pk):
    structure = get_object_or_404(annuaire.public_structures(), pk=pk)
    return render(request, "organisations/annuaire_detail.html", {"structure": structure})


@require_safe
def annuaire_csv(request):
    response = StreamingHttpResponse(annuaire.csv_rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="annuaire-destinataires.csv"'
    return response
