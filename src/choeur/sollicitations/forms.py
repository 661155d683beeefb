"""Forms of the sollicitations portal: they parse what the user keyed in; every business
check (routing, links, attachments, who may do what) is the services' job."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from choeur.invoicing.forms import MultipleFileField
from choeur.sollicitations import catalogue
from choeur.sollicitations.models import MAX_TEXT, MAX_TITLE


def _split(value: str) -> tuple[str, str]:
    category, _sep, sub = (value or "").partition("/")
    return category, sub


class _Base(forms.Form):
    categorie = forms.ChoiceField(label=_("Catégorie et sous-catégorie"))
    title = forms.CharField(label=_("Titre"), max_length=MAX_TITLE)
    description = forms.CharField(label=_("Description"), max_length=MAX_TEXT,
                                  widget=forms.Textarea(attrs={"rows": 6}))

    def category(self) -> tuple[str, str]:
        return _split(self.cleaned_data.get("categorie", ""))


class SollicitationForm(_Base):
    structure = forms.ChoiceField(label=_("Structure émettrice"))
    recipient_identifier = forms.CharField(
        label=_("SIRET de l'entité publique concernée"), required=False, max_length=40,
        help_text=_("Pour une sous-catégorie adressée à une entité publique ; sans lui, "
                    "l'entité est celle de la facture ou du dossier indiqué."))
    service_code = forms.CharField(label=_("Code service (facultatif)"), required=False,
                                   max_length=100)
    invoice_number = forms.CharField(label=_("Numéro de facture concernée (facultatif)"),
                                     required=False, max_length=40)
    invoice_id = forms.CharField(required=False, widget=forms.HiddenInput)
    flux_number = forms.CharField(label=_("Numéro de flux concerné (facultatif)"),
                                  required=False, max_length=40)
    dossier_number = forms.CharField(
        label=_("Numéro de dossier de travaux concerné (facultatif)"), required=False,
        max_length=40)
    attachments = MultipleFileField(label=_("Pièces jointes"), required=False)

    field_order = ["structure", "categorie", "title", "description", "recipient_identifier",
                   "service_code", "invoice_number", "flux_number", "dossier_number",
                   "attachments"]

    def __init__(self, *args, structures=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].choices = [
            (s.pk, f"{s.company_name} ({s.identifier})") for s in structures]
        self.fields["categorie"].choices = [("", _("— choisir —")), *catalogue.choices()]


class ContactForm(_Base):
    """Logged out (a sign-in problem): to the support, answered by e-mail."""

    email = forms.EmailField(label=_("Adresse électronique"), max_length=254,
                             help_text=_("Les réponses vous seront écrites à cette adresse."))

    field_order = ["email", "categorie", "title", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categorie"].choices = [("", _("— choisir —")),
                                            *catalogue.choices(logged_out=True)]


class MessageForm(forms.Form):
    text = forms.CharField(label=_("Message"), max_length=MAX_TEXT, required=False,
                           widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(label=_("Pièces jointes"), required=False)

    def __init__(self, *args, label=None, files_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label is not None:
            self.fields["text"].label = label
        if files_label is None:
            del self.fields["attachments"]
        else:
            self.fields["attachments"].label = files_label


class TransferForm(forms.Form):
    destination = forms.ChoiceField(
        label=_("Transférer à"), widget=forms.RadioSelect,
        choices=[("support", _("Support de la plateforme")),
                 ("structure", _("Une autre entité publique"))])
    recipient_identifier = forms.CharField(label=_("SIRET de l'entité publique"),
                                           required=False, max_length=40)
    service_code = forms.CharField(label=_("Code service (facultatif)"), required=False,
                                   max_length=100)
    text = forms.CharField(label=_("Motif du transfert"), max_length=MAX_TEXT,
                           widget=forms.Textarea(attrs={"rows": 3}))
