from django import forms
from django.utils.translation import gettext_lazy as _

from choeur.webhooks.services import MAX_URL


class SubscriptionForm(forms.Form):
    url = forms.CharField(
        label=_("Adresse de réception (URL https://)"), max_length=MAX_URL,
        widget=forms.URLInput(attrs={"placeholder": "https://erp.example.fr/choeur/webhooks",
                                     "autocomplete": "off"}),
        help_text=_("Choeur y envoie une requête POST signée à chaque événement."))
    description = forms.CharField(label=_("Description"), max_length=100, required=False)
    on_invoice_status = forms.BooleanField(
        label=_("Changements de statut des factures de la structure (émises, reçues, à "
                "valider)"), required=False, initial=True)
    on_flux_state = forms.BooleanField(
        label=_("Résultat de l'intégration des flux déposés par la structure"),
        required=False)
