"""Portal pages of flux ("Raccordements" → "Suivi des flux"): the list of the user's
structures' flux, a flux's detail with its per-invoice results and the PDF compte rendu, and
the upload of a flux from the portal (the same deposit service as the API and the drop
folder). Scoped by `queries` (outsiders get 404); depositing needs the right to modify the
Factures émises espace of the structure."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from choeur.core import clock
from choeur.core.errors import ChoeurError
from choeur.core.ids import parse_id
from choeur.flux import queries, reports, services
from choeur.flux.models import Canal, SyntaxeFlux
from choeur.organisations import permissions

PAGE_SIZE = 50


def _depositable(user) -> list:
    return [s for s in queries.structures_seeing_flux(user) if services.can_deposit(user, s)]


@login_required
@require_safe
def flux_list(request):
    flux = queries.visible_flux(request.user).order_by("-pk")
    before = parse_id(request.GET.get("avant"))
    if before is not None:
        flux = flux.filter(pk__lt=before)
    rows = list(flux[:PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return render(request, "flux/list.html", {
        "rows": rows, "next_cursor": rows[-1].pk if more else None,
        "can_deposit": bool(_depositable(request.user))})


@login_required
@require_safe
def flux_detail(request, numero: str):
    flux = queries.flux_for(request.user, numero)
    items = list(flux.items.select_related("invoice").order_by("position"))
    return render(request, "flux/detail.html", {
        "flux": flux, "items": items,
        "can_retry": flux.status == "IN_INCIDENTE" and services.can_deposit(request.user,
                                                                            flux.structure)})


@login_required
@require_safe
def flux_report(request, numero: str):
    flux = queries.flux_for(request.user, numero)
    response = HttpResponse(reports.render_cr(flux), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="compte-rendu-{flux.numero}.pdf"'
    return response


@login_required
@require_POST
def flux_retry(request, numero: str):
    flux = queries.flux_for(request.user, numero)
    with transaction.atomic():
        services.retry(request.user, flux)
    return redirect("flux:detail", numero=flux.numero)


class DepositForm(forms.Form):
    structure = forms.TypedChoiceField(label=gettext_lazy("Structure"), coerce=int)
    fichier = forms.FileField(label=gettext_lazy("Fichier du flux"), help_text=gettext_lazy(
        "Une facture XML (UBL, CII) ou Factur-X (PDF), ou une archive zip ou tar.gz de "
        "factures : 10 Mo par fichier, 30 Mo par archive, 500 factures au plus."))
    syntaxe = forms.ChoiceField(label=gettext_lazy("Syntaxe du flux"), required=False,
                                help_text=gettext_lazy("Laissez vide : elle est déduite du "
                                                       "contenu."))

    def __init__(self, *args, structures=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].choices = [
            (s.pk, f"{s.company_name or ''} · {s.identifier}") for s in structures]
        self.fields["syntaxe"].choices = [("", _("Déduite du contenu")),
                                          *SyntaxeFlux.choices]


@login_required
def flux_deposit(request):
    structures = _depositable(request.user)
    if not structures:
        raise PermissionDenied
    form = DepositForm(request.POST or None, request.FILES or None, structures=structures)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["fichier"]
        try:
            if upload.size > services.MAX_ARCHIVE:
                from choeur.flux.errors import FluxArchiveTooLarge

                raise FluxArchiveTooLarge(limit=services.MAX_ARCHIVE // services.MB,
                                          size=upload.size)
            structure = permissions.structure_for(request.user, form.cleaned_data["structure"])
            content = upload.read()
            with transaction.atomic():
                flux = services.deposit(request.user, structure, content, upload.name,
                                        form.cleaned_data["syntaxe"] or None,
                                        channel=Canal.PORTAIL)
        except ChoeurError as exc:
            if exc.http_status in (403, 404):
                raise
            form.add_error(None, f"{exc.message()} [{exc.code}]")
        else:
            if flux.is_resend:
                messages.info(request, _(
                    "Ce fichier a déjà été déposé le %(date)s (flux %(numero)s) : voici ce "
                    "premier dépôt, rien n'a été déposé à nouveau.") % {
                    "date": formats.date_format(flux.deposited_at.astimezone(clock.PARIS),
                                                "SHORT_DATETIME_FORMAT"),
                    "numero": flux.numero})
            return redirect("flux:detail", numero=flux.numero)
    status = 400 if request.method == "POST" else 200
    return render(request, "flux/deposit.html", {"form": form}, status=status)
