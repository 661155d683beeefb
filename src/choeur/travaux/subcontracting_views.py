"""Sous-traitance and co-traitance in the espace « Factures de travaux »: the titulaire's
list of its sous-traitants' and co-traitants' pieces (stage, who must act, by when) with the
accept / refuse action on a sous-traitant's projet waiting for it, and the sous-traitant's
(or co-traitant's) deposit. Every POST runs one service function in its own transaction
(`views.attempt`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from choeur.core import clock
from choeur.invoicing import forms as invoicing_forms
from choeur.invoicing.models import TravauxCadre
from choeur.organisations import permissions
from choeur.organisations.models import Espace
from choeur.travaux import queries, subcontracting
from choeur.travaux.models import Actor
from choeur.travaux.subcontracting_forms import ProjetSousTraitantForm, TitulaireRefuseForm
from choeur.travaux.views import attempt, deposit_structures
from choeur.web import keyset

PAGE_SIZE = 50


@login_required
@require_safe
def subcontractors(request):
    listed = keyset.page(request, subcontracting.subcontracted(request.user), "updated_at",
                         PAGE_SIZE)
    rows = listed.pop("rows")
    now = clock.now()
    for dossier in rows:
        ordered = list(dossier.pieces.all())
        dossier.first_piece = ordered[0] if ordered else None
        dossier.last_piece = ordered[-1] if ordered else None
        dossier.waiting = queries.waiting_for(dossier, dossier.last_piece)
        dossier.waiting_label = Actor(dossier.waiting).label if dossier.waiting else ""
        dossier.overdue = bool(dossier.waiting and dossier.due_at and dossier.due_at < now)
        dossier.actionable = subcontracting.awaits(request.user, dossier, dossier.first_piece)
    return render(request, "travaux/subcontractors.html", {
        "dossiers": rows, "structures": deposit_structures(request.user),
        "refuse_form": TitulaireRefuseForm(), **listed})


@login_required
@require_POST
def accept(request, pk):
    ok, piece = attempt(request, subcontracting.accept, pk)
    if ok:
        messages.success(request, _(
            "Le projet de décompte %(number)s de votre sous-traitant est accepté : il est mis à "
            "disposition du maître d'œuvre (dossier %(dossier)s).") % {
            "number": piece.invoice.number, "dossier": piece.dossier.number})
    return redirect("travaux:subcontractors")


@login_required
@require_POST
def refuse(request, pk):
    form = TitulaireRefuseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez le motif du refus."))
        return redirect("travaux:subcontractors")
    ok, piece = attempt(request, subcontracting.refuse, pk, form.cleaned_data["reason"])
    if ok:
        messages.success(request, _(
            "Le projet de décompte %(number)s est refusé : votre sous-traitant en est "
            "informé (dossier %(dossier)s).") % {
            "number": piece.invoice.number, "dossier": piece.dossier.number})
    return redirect("travaux:subcontractors")


# --- The sous-traitant's (or co-traitant's) deposit -------------------------------------------

DEPOSIT_GROUPS = [
    (gettext_lazy("Pièce"), ("cadre", "number", "invoice_date")),
    (gettext_lazy("Marché et intervenants"), (
        "titulaire_identifier", "moa_identifier", "moa_service_code", "moe_identifier",
        "marche_number", "engagement_number")),
    (gettext_lazy("Paiement"), ("bank_account",)),
]


def _deposit_page(request, structure, form, formset, status=200):
    return render(request, "travaux/subcontracting_deposit.html", {
        "structure": structure, "form": form, "formset": formset,
        "groups": [(legend, [form[name] for name in names]) for legend, names in DEPOSIT_GROUPS],
    }, status=status)


def _with_one_more_line(posted):
    """Without JavaScript, « Ajouter une ligne »: the form again with one more line."""
    posted = posted.copy()
    try:
        total = int(posted.get("lines-TOTAL_FORMS", "1"))
    except ValueError:
        total = 1
    total = max(1, min(total + 1, invoicing_forms.MAX_LINES))
    posted["lines-TOTAL_FORMS"] = str(total)
    for name, field in invoicing_forms.LineForm.base_fields.items():
        if field.initial is not None:
            posted.setdefault(f"lines-{total - 1}-{name}", str(field.initial))
    return posted


@login_required
def deposit(request, structure_pk):
    user = request.user
    structure = permissions.structure_for(user, structure_pk)
    permissions.require_espace(user, structure, Espace.FACTURES_TRAVAUX, modify=True)
    permissions.require_active(structure)
    if request.method != "POST":
        return _deposit_page(request, structure, ProjetSousTraitantForm(structure=structure),
                             invoicing_forms.LineFormSet(prefix="lines"))
    if request.POST.get("action") == "add_line":
        posted = _with_one_more_line(request.POST)
        return _deposit_page(request, structure,
                             ProjetSousTraitantForm(posted, structure=structure),
                             invoicing_forms.LineFormSet(posted, prefix="lines"))
    form = ProjetSousTraitantForm(request.POST, structure=structure)
    formset = invoicing_forms.LineFormSet(request.POST, prefix="lines")
    if not (form.is_valid() and formset.is_valid()):
        return _deposit_page(request, structure, form, formset, 400)
    c = form.cleaned_data
    data = form.to_data(formset.lines())
    if c["cadre"] == TravauxCadre.A10:
        ok, piece = attempt(request, subcontracting.deposit_projet_soustraitant, structure,
                            data, titulaire_identifier=c["titulaire_identifier"],
                            moe_identifier=c["moe_identifier"], form=form)
        done = _("Le projet de décompte n° %(number)s est déposé : dossier %(dossier)s, en "
                 "attente de la décision du titulaire, qui a 15 jours pour l'accepter ou le "
                 "refuser.")
    else:
        ok, piece = attempt(request, subcontracting.deposit_projet_cotraitant, structure,
                            data, mandataire_identifier=c["titulaire_identifier"],
                            moe_identifier=c["moe_identifier"], cadre=c["cadre"], form=form)
        done = _("Le projet de décompte n° %(number)s est déposé : dossier %(dossier)s, mis à "
                 "disposition du maître d'œuvre ; le mandataire en est informé.")
    if not ok:
        return _deposit_page(request, structure, form, formset, 400)
    messages.success(request, done % {"number": piece.invoice.number,
                                      "dossier": piece.dossier.number})
    return redirect("travaux:detail", piece.dossier_id)


#: Included once by travaux/urls.py under « factures/travaux/sous-traitance/ ».
urlpatterns = [
    path("", subcontractors, name="subcontractors"),
    path("deposer/<int:structure_pk>/", deposit, name="subcontracting_deposit"),
    path("<int:pk>/accepter/", accept, name="subcontracting_accept"),
    path("<int:pk>/refuser/", refuse, name="subcontracting_refuse"),
]
