"""Forms of the sous-traitance and co-traitance pages (travaux/subcontracting_views.py). They
parse what the user keyed in; the checks (titulaire, MOE, MOA, amounts) are the services'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from choeur.invoicing.models import TravauxCadre
from choeur.travaux.forms import ProjetDecompteForm

CADRES = [(TravauxCadre.A10.value, TravauxCadre.A10.label),
          (TravauxCadre.A13.value, TravauxCadre.A13.label)]


class ProjetSousTraitantForm(ProjetDecompteForm):
    """The sous-traitant's projet de décompte mensuel (A10), or a co-traitant's (A13) naming
    the mandataire of its groupement: the titulaire's projet form, and the titulaire."""

    titulaire_identifier = forms.CharField(
        label=_("SIRET du titulaire du marché (ou du mandataire)"), max_length=80,
        help_text=_("Sous-traitant : le titulaire a 15 jours pour accepter ou refuser votre "
                    "projet ; sans réponse, il est réputé validé et transmis au maître "
                    "d'œuvre. Co-traitant : le mandataire du groupement en prend connaissance."))

    def __init__(self, *args, structure, **kwargs):
        super().__init__(*args, structure=structure, **kwargs)
        self.fields["cadre"].choices = CADRES
        self.fields["cadre"].initial = TravauxCadre.A10


class TitulaireRefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du refus"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Le sous-traitant en est informé ; le dossier s'arrête."))
