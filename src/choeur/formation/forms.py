"""The trainer's and the trainee's forms (sessions.py checks again what matters)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from choeur.formation import sessions


class SessionForm(forms.Form):
    title = forms.CharField(label=_("Intitulé"), max_length=sessions.MAX_TITLE,
                            help_text=_("Par exemple : « Chorus Pro — prise en main »."))
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=_("Lieu"), max_length=sessions.MAX_TITLE, required=False)


class InviteForm(forms.Form):
    addresses = forms.CharField(
        label=_("Adresses électroniques des stagiaires"), max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Une par ligne, ou séparées par des virgules. Chacune reçoit le lien et le "
                    "code de la session ; une adresse déjà invitée ne l'est pas deux fois."))


class JoinForm(forms.Form):
    code = forms.CharField(label=_("Code de la session"), max_length=20,
                           help_text=_("Les 8 caractères donnés par votre formateur, par "
                                       "exemple ABCD-EFGH."),
                           widget=forms.TextInput(attrs={"autocomplete": "off",
                                                         "autocapitalize": "characters",
                                                         "spellcheck": "false"}))
