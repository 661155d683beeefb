"""The espace Engagements (the public buyer's engagements juridiques) and the supplier's
« Commandes »: lists with search and keyset pages, an engagement's page, creation, edition,
inactivation, and the supplier's answer. Thin: every rule is in `invoicing/engagements.py`."""

from __future__ import annotations

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from choeur.core import audit, clock
from choeur.invoicing import engagements
from choeur.invoicing.engagement_forms import EngagementForm, EngagementSearchForm, ReasonForm
from choeur.invoicing.models import Engagement
from choeur.invoicing.views.common import attempt
from choeur.organisations import permissions
from choeur.organisations.models import Espace
from choeur.web import keyset

PAGE_SIZE = 50

#: What the buyer's page says of each audited action; buyer's actions name their author.
HISTORY = {
    "engagement.created": (gettext_lazy("Création"), True),
    "engagement.updated": (gettext_lazy("Modification"), True),
    "engagement.inactivated": (gettext_lazy("Inactivation"), True),
    "engagement.accepted": (gettext_lazy("Prise en compte par le fournisseur"), False),
    "engagement.refused": (gettext_lazy("Refus du fournisseur"), False),
}


# --- Lists -------------------------------------------------------------------------------------


def _list(request, queryset, *, template: str, partner: str, extra: dict):
    search = EngagementSearchForm(
        request.GET or None,
        partner_label=_("Fournisseur (SIRET ou nom)") if partner == "supplier"
        else _("Acheteur public (SIRET ou nom)"))
    searched = False
    if search.is_valid():
        criteria = search.cleaned_data
        searched = any(criteria.values())
        queryset = engagements.search(queryset, number=criteria["numero"],
                                      partner=criteria["partenaire"], partner_field=partner,
                                      state=criteria["etat"])
    listed = keyset.page(request, queryset.select_related("structure", "supplier", "service"),
                         "created_at", PAGE_SIZE)
    return render(request, template, {
        "engagements": listed.pop("rows"), "search": search, "searched": searched,
        **listed, **extra,
    })


@login_required
@require_safe
def engagement_list(request):
    return _list(request, engagements.engagements_of(request.user),
                 template="invoicing/engagements/list.html", partner="supplier",
                 extra={"can_create": bool(engagements.creatable_structures(request.user))})


@login_required
@require_safe
def order_list(request):
    return _list(request, engagements.orders_of(request.user),
                 template="invoicing/engagements/order_list.html", partner="structure",
                 extra={})


# --- The buyer ---------------------------------------------------------------------------------


def _history(engagement: Engagement) -> list[dict]:
    lines = []
    for event in audit.history(engagement):
        label, named = HISTORY.get(event.action, (event.action, False))
        lines.append({"label": label, "at": event.at,
                      "actor": event.actor_label if named else "",
                      "reason": event.details.get("reason", "")})
    return lines


def _detail_page(request, engagement: Engagement, status: int = 200, reason_form=None):
    return render(request, "invoicing/engagements/detail.html", {
        "engagement": engagement,
        "can_manage": engagements.can_manage(request.user, engagement),
        "reason_form": reason_form or ReasonForm(prefix="inactiver"),
        "history": _history(engagement),
    }, status=status)


@login_required
@require_safe
def engagement_detail(request, pk):
    return _detail_page(request, engagements.engagement_of(request.user, pk))


def _form_page(request, structure, form, engagement=None, status=200):
    return render(request, "invoicing/engagements/form.html", {
        "structure": structure, "form": form, "engagement": engagement}, status=status)


def _form(request, structure, engagement=None, data=None):
    user = request.user
    return EngagementForm(
        data, initial=EngagementForm.initial_from(engagement) if engagement else None,
        services=engagements.services_for(user, structure), with_number=engagement is None,
        whole_structure=permissions.services_of(user, structure) is None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def engagement_create(request):
    user = request.user
    chosen = request.GET.get("structure")
    if chosen is None:
        structures = engagements.creatable_structures(user)
        if len(structures) != 1:  # none (the page says why) or a choice to make
            return render(request, "invoicing/engagements/create_start.html",
                          {"structures": structures})
        structure = structures[0]
    else:
        structure = permissions.structure_for(user, chosen)
        permissions.require_espace(user, structure, Espace.ENGAGEMENTS, modify=True)
    if request.method != "POST":
        return _form_page(request, structure, _form(request, structure))
    form = _form(request, structure, data=request.POST)
    if form.is_valid():
        ok, result = attempt(request, form, engagements.create_engagement, structure,
                             form.to_data())
        if ok:
            messages.success(request, _("L'engagement n° %(number)s est créé.")
                             % {"number": result.number})
            return redirect("invoicing:engagement_detail", result.pk)
    return _form_page(request, structure, form, status=400)


def _as_seen(request, engagement: Engagement) -> Engagement:
    """The engagement as the page the user answered showed it: the use cases refuse
    (Conflict) when it changed since."""
    value = request.POST.get("version", "")
    try:
        engagement.updated_at = clock.from_micros(int(value))
    except (ValueError, OverflowError):
        engagement.updated_at = clock.EPOCH  # no version, or a forged one: never the current one
    return engagement


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def engagement_edit(request, pk):
    engagement = engagements.engagement_of(request.user, pk)
    permissions.require_espace(request.user, engagement.structure, Espace.ENGAGEMENTS,
                               modify=True)
    if engagement.state != Engagement.State.COMMANDE:
        messages.error(request, _("Cet engagement n'est plus à l'état « Commandé » : il ne "
                                  "peut plus être modifié."))
        return redirect("invoicing:engagement_detail", engagement.pk)
    structure = engagement.structure
    if request.method != "POST":
        return _form_page(request, structure, _form(request, structure, engagement),
                          engagement)
    form = _form(request, structure, engagement, data=request.POST)
    if form.is_valid():
        ok, result = attempt(request, form, engagements.update_engagement,
                             _as_seen(request, engagement), form.to_data())
        if ok:
            messages.success(request, _("L'engagement n° %(number)s est modifié.")
                             % {"number": result.number})
            return redirect("invoicing:engagement_detail", result.pk)
    return _form_page(request, structure, form, engagement, status=400)


@login_required
@require_POST
def engagement_inactivate(request, pk):
    engagement = engagements.engagement_of(request.user, pk)
    form = ReasonForm(request.POST, prefix="inactiver")
    if form.is_valid():
        ok, result = attempt(request, form, engagements.inactivate_engagement,
                             _as_seen(request, engagement), form.cleaned_data["reason"])
        if ok:
            messages.success(request, _("L'engagement n° %(number)s est inactivé : il ne "
                                        "peut plus être cité sur une facture.")
                             % {"number": result.number})
            return redirect("invoicing:engagement_detail", result.pk)
    return _detail_page(request, engagements.engagement_of(request.user, pk), status=400,
                        reason_form=form)


# --- The supplier ------------------------------------------------------------------------------


def _order_page(request, engagement: Engagement, status: int = 200, **bound):
    return render(request, "invoicing/engagements/order_detail.html", {
        "engagement": engagement,
        "can_answer": engagements.can_answer(request.user, engagement),
        "accept_form": bound.get("accept_form") or django_forms.Form(),
        "refuse_form": bound.get("refuse_form") or ReasonForm(prefix="refuser"),
    }, status=status)


@login_required
@require_safe
def order_detail(request, pk):
    return _order_page(request, engagements.order_of(request.user, pk))


@login_required
@require_POST
def order_accept(request, pk):
    engagement = engagements.order_of(request.user, pk)
    form = django_forms.Form({})
    ok, result = attempt(request, form, engagements.accept_order, _as_seen(request, engagement))
    if ok:
        messages.success(request, _("La commande n° %(number)s est prise en compte.")
                         % {"number": result.number})
        return redirect("invoicing:order_detail", result.pk)
    return _order_page(request, engagements.order_of(request.user, pk), status=400,
                       accept_form=form)


@login_required
@require_POST
def order_refuse(request, pk):
    engagement = engagements.order_of(request.user, pk)
    form = ReasonForm(request.POST, prefix="refuser")
    if form.is_valid():
        ok, result = attempt(request, form, engagements.refuse_order,
                             _as_seen(request, engagement), form.cleaned_data["reason"])
        if ok:
            messages.success(request, _("La commande n° %(number)s est refusée.")
                             % {"number": result.number})
            return redirect("invoicing:order_detail", result.pk)
    return _order_page(request, engagements.order_of(request.user, pk), status=400,
                       refuse_form=form)
