"""The espace « Factures de travaux »: the user's dossiers (who must act, by when), a dossier's
page with its pieces and the action the user's role allows now — the monthly circuit's (A15,
A16, refusal, A19), the final circuit's (A17, A18, A20, the titulaire's A8 or refusal, the tacit
procedure A22 then A23/A24/A25) —, « Déposer la pièce de facturation suivante », and the
supplier's first piece of a dossier (A4/A13, A7/A14, A5, A6). Every POST runs one service
function in its own transaction."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from choeur.core import clock
from choeur.core.errors import ChoeurError
from choeur.invoicing import forms as invoicing_forms
from choeur.invoicing.models import TravauxCadre
from choeur.invoicing.statuses import Status
from choeur.invoicing.views.common import document_response, for_current_structure
from choeur.organisations import permissions
from choeur.organisations.models import Espace
from choeur.travaux import errors, final, forms, queries, services, variants
from choeur.travaux.models import Actor, Dossier, TypeFactureTravaux
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
                                     "supplier", "moe", "moa", "titulaire")
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

K = TypeFactureTravaux
ADMITTED, FIXED, KEYED = "admitted", "fixed", "keyed"


@dataclass(frozen=True)
class Action:
    """An action of the dossier page: its form's name (the context's `<name>_form`,
    `<name>_lines`; the POST's prefix), whether its depositor keys its own number (the
    titulaire's pieces) and what its lines are: the previous piece's with the amounts
    admitted, the same repeated unchanged (a DGD), or the titulaire's own."""

    name: str
    supplier_form: bool = False
    lines: str = ADMITTED
    #: « Déposer la pièce de facturation suivante »: what the piece is, for its button.
    piece: str = ""


ACTIONS = {
    "moe": Action("etat", piece=gettext_lazy("l'état d'acompte (A15 ou A16)")),
    "moa": Action("valide", piece=gettext_lazy("l'état d'acompte validé (A19)")),
    "general": Action("general", piece=gettext_lazy(
        "le projet de décompte général (A17) ou le décompte général (A18)")),
    "dg": Action("dg", piece=gettext_lazy("le décompte général (A20)")),
    "dgd": Action("dgd", supplier_form=True, lines=FIXED, piece=gettext_lazy(
        "le décompte général et définitif signé (A8)")),
    "tacit": Action("tacite", supplier_form=True, lines=KEYED, piece=gettext_lazy(
        "le projet de décompte général, procédure tacite (A22)")),
    "dgd_tacite": Action("dgdt", supplier_form=True, lines=FIXED, piece=gettext_lazy(
        "le décompte général et définitif tacite (A23)")),
    "dgd_tacite_moe": Action("dgdt_moe", lines=FIXED, piece=gettext_lazy(
        "le décompte général et définitif, procédure tacite (A24)")),
    "dgd_tacite_moa": Action("dgdt_moa", lines=FIXED, piece=gettext_lazy(
        "le décompte général et définitif, procédure tacite (A25)")),
}


def _actions(user, dossier, pieces) -> dict:
    """What the user's role lets them do now (the dossier's last piece and the clock decide,
    as the services do): a True per action of ACTIONS, plus the refusals and, when an action
    is not open yet, from when it will be (`tacit_from`, `dgd_tacite_from`)."""
    roles = queries.acting_roles(user, dossier)
    supplier, moe, moa = (Actor.FOURNISSEUR in roles, Actor.MOE in roles, Actor.MOA in roles)
    last = pieces[-1]
    kind, status = last.kind, last.invoice.status
    now = clock.now()
    final = dossier.kind == Dossier.Kind.FINAL
    projet_final = final and kind == K.PROJET_DECOMPTE_FINAL and (
        status == Status.MISE_A_DISPOSITION_MOE)
    projet_general = final and kind == K.PROJET_DECOMPTE_GENERAL and (
        status == Status.MISE_A_DISPOSITION_MOA)
    tacit = final and kind == K.PROJET_DECOMPTE_GENERAL_PROCEDURE_TACITE and (
        status == Status.MISE_A_DISPOSITION_MOA)
    tacit_open = tacit and now > last.due_at
    general = final and kind == K.DECOMPTE_GENERAL and (
        status == Status.A_ASSOCIER_FOURNISSEUR)
    first_due = pieces[0].due_at
    tacit_allowed = (projet_final or projet_general) and first_due is not None
    return {
        "moe": (dossier.next_actor == Actor.MOE and moe
                and kind in services.PROJET_KINDS
                and status == Status.MISE_A_DISPOSITION_MOE),
        "moa": (dossier.next_actor == Actor.MOA and moa
                and kind in services.MONTHLY_KINDS
                and status in (Status.MISE_A_DISPOSITION_MOA,
                               Status.ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE)),
        # The MOE: A17 or A18 on the projet de décompte final, A18 on a tacit projet.
        "general": moe and (projet_final or (tacit and not tacit_open)),
        "dg": moa and (projet_general or (tacit and not tacit_open)),
        "dgd": supplier and general,
        "refuse_dg": supplier and general and now <= last.due_at,
        "tacit": supplier and tacit_allowed and now > first_due,
        "tacit_from": first_due if supplier and tacit_allowed and now <= first_due else None,
        "dgd_tacite": supplier and tacit_open,
        "dgd_tacite_moe": moe and tacit_open,
        "dgd_tacite_moa": moa and tacit_open,
        "dgd_tacite_from": last.due_at if tacit and not tacit_open and roles else None,
    }


def _lines_formset(previous, data=None, prefix="lines"):
    initial = forms.admitted_initial(previous)
    if data is not None:
        return forms.AdmittedLineFormSet(data, prefix=prefix, initial=initial)
    return forms.AdmittedLineFormSet(prefix=prefix, initial=initial)


def _forms(action: Action, dossier, pieces, data=None, files=None):
    """An action's form and lines, blank (prefilled) or bound to `data` (and `files`: a MOE's
    or MOA's own document)."""
    prefix = action.name.replace("_", "-")
    args = () if data is None else (data,)
    if action.supplier_form:
        form = forms.SupplierPieceForm(*args, prefix=prefix, structure=dossier.supplier)
    else:
        form = forms.PieceForm(*args, files=files, prefix=prefix)
    last = pieces[-1].invoice
    if action.lines == ADMITTED:
        lines = _lines_formset(last, data, prefix=f"{prefix}-lines")
    elif action.lines == FIXED:
        lines = forms.FixedLineFormSet(*args, prefix=f"{prefix}-lines",
                                       initial=forms.line_initial(last))
    else:  # the titulaire's own projet, from its projet de décompte final
        lines = forms.KeyedLineFormSet(*args, prefix=f"{prefix}-lines",
                                       initial=forms.line_initial(pieces[0].invoice))
    return form, lines


def _next_piece(request, dossier, pieces, actions, waiting) -> tuple[str, str] | None:
    """« Déposer la pièce de facturation suivante »: where it leads the user — the form of
    the piece their role deposits now, or, for the supplier of a monthly dossier whose
    circuit has ended, the next projet prefilled from this one — and what it is."""
    for key, action in ACTIONS.items():
        if actions[key]:
            return f"#action-{action.name.replace('_', '-')}", str(action.piece)
    roles = queries.acting_roles(request.user, dossier)
    if (Actor.FOURNISSEUR in roles and dossier.kind == Dossier.Kind.MENSUEL
            and waiting in ("", Actor.DESTINATAIRE)):
        url = reverse("travaux:deposit", args=[dossier.supplier_id])
        return f"{url}?depuis={dossier.pk}", _(
            "la pièce du mois suivant, dans un nouveau dossier du même marché")
    return None


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
        "previous": previous, "claimed_lines": claimed_lines, "first": pieces[0],
        "last": pieces[-1],
        "next_piece": _next_piece(request, dossier, pieces, actions, waiting),
    }
    for key, action in ACTIONS.items():
        if not actions[key]:
            continue
        form, lines = _forms(action, dossier, pieces)
        form = bound.get(f"{action.name}_form") or form
        lines = bound.get(f"{action.name}_lines") or lines
        context[f"{action.name}_form"], context[f"{action.name}_lines"] = form, lines
        if action.lines == ADMITTED:
            context[f"{action.name}_lines_rows"] = list(zip(
                lines.forms, claimed_lines + [None] * len(lines.forms), strict=False))
    if actions["moe"]:
        context["refuse_form"] = bound.get("refuse_form") or forms.RefuseForm(prefix="refus")
    if actions["refuse_dg"]:
        context["refuse_dg_form"] = bound.get("refuse_dg_form") or (
            forms.RefuseDecompteGeneralForm(prefix="refus-dg"))
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


def _one_more_line(data, prefix: str, line_form):
    """Without JavaScript, « Ajouter une ligne »: the posted form again with one more line."""
    posted = data.copy()
    try:
        total = int(posted.get(f"{prefix}-TOTAL_FORMS", "1"))
    except ValueError:
        total = 1
    total = max(1, min(total + 1, invoicing_forms.MAX_LINES))
    posted[f"{prefix}-TOTAL_FORMS"] = str(total)
    for name, field in line_form.base_fields.items():
        if field.initial is not None:
            posted.setdefault(f"{prefix}-{total - 1}-{name}", str(field.initial))
    return posted


def _deposit_piece(request, pk, key, use_case, done):
    """One action of the dossier page: its form and lines parsed, then its one service in a
    transaction; an error re-renders the page with it, the dossier unchanged."""
    action = ACTIONS[key]
    dossier = services.dossier_of(request.user, pk)
    pieces = queries.pieces_of(dossier)
    data = request.POST
    if action.lines == KEYED and data.get("action") == "add_line":
        data = _one_more_line(data, f"{action.name.replace('_', '-')}-lines",
                              invoicing_forms.LineForm)
        form, lines = _forms(action, dossier, pieces, data)
        return _page(request, dossier, **{f"{action.name}_form": form,
                                          f"{action.name}_lines": lines})
    form, lines = _forms(action, dossier, pieces, data, request.FILES)
    bound = {f"{action.name}_form": form, f"{action.name}_lines": lines}
    shown = _actions(request.user, dossier, pieces)[key]
    if not (form.is_valid() and lines.is_valid()):
        if not shown:  # the page has no such form: nothing to correct there
            messages.error(request, _("Cette action n'est pas possible sur ce dossier."))
        return _page(request, dossier, 400, **bound)
    own = None if action.supplier_form else form.own_document()
    if own is not None:
        use_case = services.with_own_document(use_case, *own)
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
    return _deposit_piece(request, pk, "moe", services.deposit_etat_acompte, _(
        "L'état d'acompte %(number)s est déposé au dossier %(dossier)s : il est mis à "
        "disposition du maître d'ouvrage."))


@login_required
@require_POST
def etat_acompte_valide(request, pk):
    """A16: the MOE, holding the MOA's validation, deposits its état d'acompte validé (the
    same form as its état d'acompte), straight to the paying service."""
    return _deposit_piece(request, pk, "moe", variants.deposit_etat_acompte_valide_moe, _(
        "L'état d'acompte validé %(number)s est déposé au dossier %(dossier)s : il est "
        "transmis au service payeur."))


@login_required
@require_POST
def valider(request, pk):
    """The MOA validates: its état d'acompte validé goes to the paying service."""
    return _deposit_piece(request, pk, "moa", services.validate_etat_acompte, _(
        "L'état d'acompte validé %(number)s est déposé au dossier %(dossier)s : il est "
        "transmis au service payeur."))


def _refuse(request, pk, action: str, form, form_name: str, service, reason, done):
    """A refusal with its reason: `action` the key of `_actions` that offers it, `reason` the
    form's method giving the text the service records."""
    dossier = services.dossier_of(request.user, pk)
    shown = _actions(request.user, dossier, queries.pieces_of(dossier))[action]
    if not form.is_valid():
        if not shown:
            messages.error(request, _("Cette action n'est pas possible sur ce dossier."))
        return _page(request, dossier, 400, **{form_name: form})
    ok, _result = attempt(request, service, dossier.pk, reason(form),
                          form=form if shown else None)
    if not ok:
        dossier.refresh_from_db()
        return _page(request, dossier, 400, **{form_name: form})
    messages.success(request, done % {"dossier": dossier.number})
    return redirect("travaux:detail", dossier.pk)


@login_required
@require_POST
def refuser(request, pk):
    """The MOE refuses the projet de décompte (an amount error is no reason)."""
    return _refuse(request, pk, "moe", forms.RefuseForm(request.POST, prefix="refus"),
                   "refuse_form", services.refuse_as_moe, forms.RefuseForm.reason, _(
                       "Le projet de décompte du dossier %(dossier)s est refusé : le "
                       "fournisseur en est informé."))


# --- The final circuit ------------------------------------------------------------------------


@login_required
@require_POST
def projet_general(request, pk):
    """A17: the MOE's projet de décompte général, the sums it admits, to the MOA."""
    return _deposit_piece(request, pk, "general", final.deposit_projet_decompte_general, _(
        "Le projet de décompte général %(number)s est déposé au dossier %(dossier)s : il est "
        "mis à disposition du maître d'ouvrage, qui notifie le décompte général."))


@login_required
@require_POST
def general_moe(request, pk):
    """A18: the MOE, empowered by the MOA, gives the décompte général itself (the same form
    as its projet de décompte général)."""
    return _deposit_piece(request, pk, "general", final.deposit_decompte_general_moe, _(
        "Le décompte général %(number)s est déposé au dossier %(dossier)s : le titulaire a "
        "30 jours pour le signer."))


@login_required
@require_POST
def general(request, pk):
    """A20: the MOA's décompte général, to the titulaire for 30 days."""
    return _deposit_piece(request, pk, "dg", final.deposit_decompte_general, _(
        "Le décompte général %(number)s est déposé au dossier %(dossier)s : le titulaire a "
        "30 jours pour le signer."))


@login_required
@require_POST
def sign(request, pk):
    """A8: the titulaire signs the décompte général, its DGD goes to the paying service."""
    return _deposit_piece(request, pk, "dgd", final.sign_decompte_general, _(
        "Le décompte général et définitif n° %(number)s est déposé au dossier %(dossier)s : il "
        "est transmis au service payeur."))


@login_required
@require_POST
def refuse_general(request, pk):
    """The titulaire refuses the décompte général, within its 30 days, with a reason."""
    return _refuse(request, pk, "refuse_dg",
                   forms.RefuseDecompteGeneralForm(request.POST, prefix="refus-dg"),
                   "refuse_dg_form", final.refuse_decompte_general,
                   forms.RefuseDecompteGeneralForm.reason_text, _(
                       "Le décompte général du dossier %(dossier)s est refusé : le maître "
                       "d'ouvrage et le maître d'œuvre en sont informés."))


@login_required
@require_POST
def tacit(request, pk):
    """A22: the MOA silent, the titulaire deposits its own projet de décompte général."""
    return _deposit_piece(request, pk, "tacit", final.deposit_projet_tacite, _(
        "Le projet de décompte général n° %(number)s (procédure tacite) est déposé au dossier "
        "%(dossier)s : le maître d'ouvrage a 10 jours pour notifier son décompte général."))


_DGD_TACITE_DONE = gettext_lazy(
    "Le décompte général et définitif tacite n° %(number)s est déposé au dossier "
    "%(dossier)s : il est transmis au service payeur.")


@login_required
@require_POST
def dgd_tacite(request, pk):
    """A23: the titulaire's DGD tacite, the tacit projet's amounts."""
    return _deposit_piece(request, pk, "dgd_tacite", final.deposit_dgd_tacite,
                          str(_DGD_TACITE_DONE))


@login_required
@require_POST
def dgd_tacite_moe(request, pk):
    """A24: the MOE's DGD tacite."""
    return _deposit_piece(request, pk, "dgd_tacite_moe", final.deposit_dgd_tacite_moe,
                          str(_DGD_TACITE_DONE))


@login_required
@require_POST
def dgd_tacite_moa(request, pk):
    """A25: the MOA's DGD tacite."""
    return _deposit_piece(request, pk, "dgd_tacite_moa", final.deposit_dgd_tacite_moa,
                          str(_DGD_TACITE_DONE))


# --- The supplier's first piece: projet de décompte mensuel or final, état d'acompte ----------

#: Each cadre the supplier may start a dossier with, its use case and what the user is told.
DEPOSITS = {
    TravauxCadre.A4: "monthly", TravauxCadre.A13: "monthly",
    TravauxCadre.A7: "final", TravauxCadre.A14: "final",
    TravauxCadre.A5: "a5", TravauxCadre.A6: "a6",
}
DEPOSIT_DONE = {
    "monthly": gettext_lazy(
        "Le projet de décompte n° %(number)s est déposé : dossier %(dossier)s, mis à "
        "disposition du maître d'œuvre, qui a 7 jours pour déposer son état d'acompte."),
    "final": gettext_lazy(
        "Le projet de décompte final n° %(number)s est déposé : dossier %(dossier)s, mis à "
        "disposition du maître d'œuvre pour son projet de décompte général."),
    "a5": gettext_lazy(
        "L'état d'acompte n° %(number)s est déposé : dossier %(dossier)s, mis à disposition "
        "du maître d'ouvrage, qui le valide."),
    "a6": gettext_lazy(
        "L'état d'acompte validé n° %(number)s est déposé : dossier %(dossier)s, transmis au "
        "service payeur."),
}


def _start(actor, structure, data, *, kind, cadre, moe_identifier):
    """The one service that starts the dossier for the cadre chosen."""
    if kind == "monthly":
        return services.deposit_projet_decompte(actor, structure, data,
                                                moe_identifier=moe_identifier, cadre=cadre)
    if kind == "final":
        return final.deposit_projet_decompte_final(actor, structure, data,
                                                   moe_identifier=moe_identifier, cadre=cadre)
    if kind == "a5":
        return variants.deposit_etat_acompte_fournisseur(actor, structure, data)
    return variants.deposit_etat_acompte_valide_fournisseur(actor, structure, data)


def _initial_from(request, structure) -> dict:
    """`?depuis=<dossier>`: the supplier's next piece on the same marché, prefilled from one
    of its dossiers (« Déposer la pièce de facturation suivante »); `?cadre=`: a cadre."""
    initial = {}
    if request.GET.get("cadre") in DEPOSITS:
        initial["cadre"] = request.GET["cadre"]
    if "depuis" not in request.GET:
        return initial
    found = queries.dossier(request.user, dossier_id=request.GET["depuis"])
    if found.supplier_id != structure.pk:
        raise errors.DossierNotFound()
    first = found.pieces.select_related("invoice").order_by("position").first().invoice
    initial.update(
        moa_identifier=found.moa.identifier,
        moa_service_code=found.moa_service.code if found.moa_service else "",
        moe_identifier=found.moe.identifier if found.moe else "",
        marche_number=found.marche_number, engagement_number=found.engagement_number)
    if first.cadre in DEPOSITS:
        initial.setdefault("cadre", first.cadre)
    if first.bank_account_id:
        initial["bank_account"] = first.bank_account_id
    return initial


@login_required
def deposit(request, structure_pk):
    user = request.user
    structure = permissions.structure_for(user, structure_pk)
    permissions.require_espace(user, structure, Espace.FACTURES_TRAVAUX, modify=True)
    permissions.require_active(structure)
    if request.method != "POST":
        return _deposit_page(request, structure, forms.ProjetDecompteForm(
            structure=structure, initial=_initial_from(request, structure)),
            invoicing_forms.LineFormSet(prefix="lines"))
    if request.POST.get("action") == "add_line":
        posted = _one_more_line(request.POST, "lines", invoicing_forms.LineForm)
        return _deposit_page(request, structure,
                             forms.ProjetDecompteForm(posted, structure=structure),
                             invoicing_forms.LineFormSet(posted, prefix="lines"))
    form = forms.ProjetDecompteForm(request.POST, structure=structure)
    formset = invoicing_forms.LineFormSet(request.POST, prefix="lines")
    if not (form.is_valid() and formset.is_valid()):
        return _deposit_page(request, structure, form, formset, 400)
    cadre = form.cleaned_data["cadre"]
    kind = DEPOSITS[cadre]
    ok, piece = attempt(request, _start, structure, form.to_data(formset.lines()), kind=kind,
                        cadre=cadre, moe_identifier=form.cleaned_data["moe_identifier"],
                        form=form)
    if not ok:
        return _deposit_page(request, structure, form, formset, 400)
    messages.success(request, DEPOSIT_DONE[kind] % {
        "number": piece.invoice.number, "dossier": piece.dossier.number})
    return redirect("travaux:detail", piece.dossier_id)


DEPOSIT_GROUPS = [
    (gettext_lazy("Pièce"), ("number", "invoice_date")),
    (gettext_lazy("Marché et intervenants"), (
        "moa_identifier", "moa_service_code", "moe_identifier", "marche_number",
        "engagement_number")),
    (gettext_lazy("Paiement"), ("bank_account",)),
]


def _deposit_page(request, structure, form, formset, status=200):
    return render(request, "travaux/deposit.html", {
        "structure": structure, "form": form, "formset": formset,
        "cadres": form.cadre_choices(),
        "groups": [(legend, [form[name] for name in names]) for legend, names in DEPOSIT_GROUPS],
    }, status=status)
