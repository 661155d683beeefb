"""The espace « Factures de travaux »: the user's dossiers (who must act, by when), a dossier's
page with its pieces and the action the user's role allows now, the supplier's projet de
décompte mensuel. Every POST runs one service function in its own transaction."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from choeur.core import clock
from choeur.core.errors import ChoeurError
from choeur.invoicing import forms as invoicing_forms
from choeur.invoicing.statuses import Status
from choeur.invoicing.views.common import document_response, for_current_structure
from choeur.organisations import permissions
from choeur.organisations.models import Espace
from choeur.travaux import forms, queries, services
from choeur.travaux.models import Actor
from choeur.web import current_structure, keyset

PAGE_SIZE = 50


def attempt(request, use_case, *args, form=None, **kwargs):
    """Run one use case in its own transaction. A user error (bad input, wrong moment) goes
    on `form`, or in the messages when the page shows no such form, and nothing is saved;
    refusals (403/404) propagate to the error page."""
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


# --- The list ---------------------------------------------------------------------------------


def deposit_structures(user) -> list:
    """The structures the user may deposit a projet de décompte for."""
    return [s for s in permissions.visible_structures(user).filter(is_active=True)
            if permissions.can_modify(user, s, Espace.FACTURES_TRAVAUX)]


@login_required
@require_safe
def dossier_list(request):
    tab = "a-traiter" if request.GET.get("onglet") == "a-traiter" else "tous"
    # The structure chosen in the header, when there is one: its dossiers, in any role.
    dossiers = for_current_structure(request, queries.listed(request.user),
                                     "supplier", "moe", "moa")
    if tab == "a-traiter":
        dossiers = queries.to_process(request.user, dossiers)
    listed = keyset.page(request, dossiers, "updated_at", PAGE_SIZE)
    rows = listed.pop("rows")
    now = clock.now()
    for dossier in rows:
        ordered = list(dossier.pieces.all())
        dossier.last_piece = ordered[-1] if ordered else None
        dossier.waiting = queries.waiting_for(dossier, dossier.last_piece)
        dossier.overdue = bool(dossier.waiting and dossier.due_at and dossier.due_at < now)
    structures = deposit_structures(request.user)
    chosen = current_structure.current(request)
    if chosen is not None and any(s.pk == chosen.pk for s in structures):
        structures = [s for s in structures if s.pk == chosen.pk]
    return render(request, "travaux/list.html", {
        "dossiers": rows, "tab": tab, "structures": structures, **listed})


# --- A dossier ---------------------------------------------------------------------------------


def _actions(user, dossier, pieces) -> dict:
    """What the user's role lets them do now: the MOE's état d'acompte or refusal, the
    MOA's validation (the dossier says who must act)."""
    roles = queries.acting_roles(user, dossier)
    last = pieces[-1]
    status = last.invoice.status
    return {
        "moe": (dossier.next_actor == Actor.MOE and Actor.MOE in roles
                and last.kind in services.PROJET_KINDS
                and status == Status.MISE_A_DISPOSITION_MOE),
        "moa": (dossier.next_actor == Actor.MOA and Actor.MOA in roles
                and last.kind in services.MONTHLY_KINDS
                and status in (Status.MISE_A_DISPOSITION_MOA,
                               Status.ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE)),
    }


def _lines_formset(previous, data=None, prefix="lines"):
    initial = forms.admitted_initial(previous)
    if data is not None:
        return forms.AdmittedLineFormSet(data, prefix=prefix, initial=initial)
    return forms.AdmittedLineFormSet(prefix=prefix, initial=initial)


def _page(request, dossier, status=200, **bound):
    user = request.user
    pieces = queries.pieces_of(dossier)
    actions = _actions(user, dossier, pieces)
    previous = pieces[-1].invoice
    claimed_lines = list(previous.lines.all())
    waiting = queries.waiting_for(dossier, pieces[-1])
    context = {
        "dossier": dossier, "pieces": pieces, "actions": actions, "waiting": waiting,
        "waiting_label": Actor(waiting).label if waiting else "",
        "amounts": queries.amounts(user, dossier, pieces),
        "overdue": bool(waiting and dossier.due_at and dossier.due_at < clock.now()),
        "previous": previous, "claimed_lines": claimed_lines,
    }
    if actions["moe"]:
        context.update(
            etat_form=bound.get("etat_form") or forms.PieceForm(prefix="etat"),
            etat_lines=bound.get("etat_lines") or _lines_formset(previous, prefix="etat-lines"),
            refuse_form=bound.get("refuse_form") or forms.RefuseForm(prefix="refus"))
    if actions["moa"]:
        context.update(
            valide_form=bound.get("valide_form") or forms.PieceForm(prefix="valide"),
            valide_lines=bound.get("valide_lines") or _lines_formset(
                previous, prefix="valide-lines"))
    for key in ("etat_lines", "valide_lines"):
        if key in context:
            context[key + "_rows"] = list(zip(context[key].forms,
                                              claimed_lines + [None] * len(context[key].forms),
                                              strict=False))
    return render(request, "travaux/detail.html", context, status=status)


@login_required
@require_safe
def dossier_detail(request, pk):
    return _page(request, services.dossier_of(request.user, pk))


@login_required
@require_safe
def piece_document(request, pk, piece_pk):
    """A piece's PDF, for any party of its dossier (the check is the dossier's, here)."""
    return document_response(queries.piece_of(request.user, pk, piece_pk).invoice)


def _deposit_piece(request, pk, use_case, prefix, done):
    dossier = services.dossier_of(request.user, pk)
    form = forms.PieceForm(request.POST, prefix=prefix)
    pieces = queries.pieces_of(dossier)
    lines = _lines_formset(pieces[-1].invoice, request.POST, prefix=f"{prefix}-lines")
    bound = {f"{prefix}_form": form, f"{prefix}_lines": lines}
    shown = _actions(request.user, dossier, pieces)[
        "moe" if prefix == "etat" else "moa"]
    if not (form.is_valid() and lines.is_valid()):
        if not shown:  # the page has no such form: nothing to correct there
            messages.error(request, _("Cette action n'est pas possible sur ce dossier."))
        return _page(request, dossier, 400, **bound)
    ok, result = attempt(request, use_case, dossier.pk, form.to_data(lines.lines()),
                         form=form if shown else None)
    if not ok:
        dossier.refresh_from_db()
        return _page(request, dossier, 400, **bound)
    messages.success(request, done % {"number": result.invoice.number,
                                      "dossier": dossier.number})
    return redirect("travaux:detail", dossier.pk)


@login_required
@require_POST
def etat_acompte(request, pk):
    """The MOE deposits its état d'acompte: the sums it admits."""
    return _deposit_piece(request, pk, services.deposit_etat_acompte, "etat", _(
        "L'état d'acompte %(number)s est déposé au dossier %(dossier)s : il est mis à "
        "disposition du maître d'ouvrage."))


@login_required
@require_POST
def valider(request, pk):
    """The MOA validates: its état d'acompte validé goes to the paying service."""
    return _deposit_piece(request, pk, services.validate_etat_acompte, "valide", _(
        "L'état d'acompte validé %(number)s est déposé au dossier %(dossier)s : il est "
        "transmis au service payeur."))


@login_required
@require_POST
def refuser(request, pk):
    """The MOE refuses the projet de décompte (an amount error is no reason)."""
    dossier = services.dossier_of(request.user, pk)
    form = forms.RefuseForm(request.POST, prefix="refus")
    shown = _actions(request.user, dossier, queries.pieces_of(dossier))["moe"]
    if not form.is_valid():
        if not shown:
            messages.error(request, _("Cette action n'est pas possible sur ce dossier."))
        return _page(request, dossier, 400, refuse_form=form)
    ok, _result = attempt(request, services.refuse_as_moe, dossier.pk, form.reason(),
                          form=form if shown else None)
    if not ok:
        dossier.refresh_from_db()
        return _page(request, dossier, 400, refuse_form=form)
    messages.success(request, _("Le projet de décompte du dossier %(dossier)s est refusé : le "
                                "fournisseur en est informé.") % {"dossier": dossier.number})
    return redirect("travaux:detail", dossier.pk)


# --- The supplier's projet de décompte mensuel ------------------------------------------------


@login_required
def deposit(request, structure_pk):
    user = request.user
    structure = permissions.structure_for(user, structure_pk)
    permissions.require_espace(user, structure, Espace.FACTURES_TRAVAUX, modify=True)
    permissions.require_active(structure)
    if request.method != "POST":
        return _deposit_page(request, structure, forms.ProjetDecompteForm(structure=structure),
                             invoicing_forms.LineFormSet(prefix="lines"))
    action = request.POST.get("action")
    if action == "add_line":  # without JavaScript: the form again with one more line
        posted = request.POST.copy()
        try:
            total = int(posted.get("lines-TOTAL_FORMS", "1"))
        except ValueError:
            total = 1
        total = max(1, min(total + 1, invoicing_forms.MAX_LINES))
        posted["lines-TOTAL_FORMS"] = str(total)
        for name, field in invoicing_forms.LineForm.base_fields.items():
            if field.initial is not None:
                posted.setdefault(f"lines-{total - 1}-{name}", str(field.initial))
        return _deposit_page(request, structure,
                             forms.ProjetDecompteForm(posted, structure=structure),
                             invoicing_forms.LineFormSet(posted, prefix="lines"))
    form = forms.ProjetDecompteForm(request.POST, structure=structure)
    formset = invoicing_forms.LineFormSet(request.POST, prefix="lines")
    if not (form.is_valid() and formset.is_valid()):
        return _deposit_page(request, structure, form, formset, 400)
    ok, piece = attempt(request, services.deposit_projet_decompte, structure,
                        form.to_data(formset.lines()),
                        moe_identifier=form.cleaned_data["moe_identifier"],
                        cadre=form.cleaned_data["cadre"], form=form)
    if not ok:
        return _deposit_page(request, structure, form, formset, 400)
    messages.success(request, _(
        "Le projet de décompte n° %(number)s est déposé : dossier %(dossier)s, mis à "
        "disposition du maître d'œuvre, qui a 7 jours pour déposer son état d'acompte.") % {
        "number": piece.invoice.number, "dossier": piece.dossier.number})
    return redirect("travaux:detail", piece.dossier_id)


DEPOSIT_GROUPS = [
    (gettext_lazy("Pièce"), ("cadre", "number", "invoice_date")),
    (gettext_lazy("Marché et intervenants"), (
        "moa_identifier", "moa_service_code", "moe_identifier", "marche_number",
        "engagement_number")),
    (gettext_lazy("Paiement"), ("bank_account",)),
]


def _deposit_page(request, structure, form, formset, status=200):
    return render(request, "travaux/deposit.html", {
        "structure": structure, "form": form, "formset": formset,
        "groups": [(legend, [form[name] for name in names]) for legend, names in DEPOSIT_GROUPS],
    }, status=status)
