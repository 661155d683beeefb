"""Forms of the qualification pages."""

from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from choeur.invoicing import services
from choeur.invoicing.models import Cadre
from choeur.qualification import file_test


class FileTestForm(forms.Form):
    """« Tester un fichier »: the supplier structure, the file, and what a deposit would add
    to it (the routing data only when the file lacks them; a plain PDF needs them)."""

    structure = forms.TypedChoiceField(label=_("Structure qui déposerait la facture"),
                                       coerce=int)
    document = forms.FileField(
        label=_("Fichier à tester"), allow_empty_file=True,  # the report says INPUT_EMPTY
        widget=forms.FileInput(attrs={
            "accept": ".pdf,.xml,application/pdf,application/xml,text/xml"}))
    recipient_identifier = forms.CharField(
        label=_("SIRET du destinataire"), max_length=80, required=False,
        help_text=_("Obligatoire pour un PDF simple ; pour un fichier structuré, seulement "
                    "s'il manque dans le fichier (BT-46)."))
    recipient_service_code = forms.CharField(
        label=_("Code service du destinataire"), max_length=100, required=False,
        help_text=_("BT-10, si le destinataire l'exige et que le fichier ne le donne pas."))
    engagement_number = forms.CharField(
        label=_("Numéro d'engagement (bon de commande)"), max_length=50, required=False,
        help_text=_("BT-13, si le destinataire l'exige et que le fichier ne le donne pas."))
    cadre = forms.ChoiceField(
        label=_("Cadre de facturation"), initial=Cadre.A1,
        choices=[(c.value, c.label) for c in services.DEPOSIT_CADRES])
    validator_identifier = forms.CharField(
        label=_("SIRET du valideur"), max_length=80, required=False,
        help_text=_("Cadres A9 et A12 uniquement."))
    validator_service_code = forms.CharField(
        label=_("Code service du valideur"), max_length=100, required=False)

    def __init__(self, *args, structures=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].help_text = _(
            "Factur-X (PDF avec son XML), UBL 2.1, CII (XML) ou PDF simple ; %(size)s au "
            "plus, comme un dépôt.") % {"size": filesizeformat(file_test.MAX_FILE)}
        self.fields["structure"].choices = [
            (s.pk, f"{s.company_name} — {s.identifier}") for s in structures]

    def clean_document(self):
        document = self.cleaned_data["document"]
        if document is not None and document.size > file_test.MAX_FILE:
            # Refused before it is read, as a deposit refuses it.
            raise forms.ValidationError(
                _("Le fichier dépasse %(size)s : un dépôt le refuserait aussi.")
                % {"size": filesizeformat(file_test.MAX_FILE)})
        return document
