"""Portal forms of the accounts feature. They check the shape of the input; the rules
(and their coded errors) live in `services`, which the views call."""

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from choeur.accounts import services
from choeur.accounts.models import SecretQuestion, User

PASSWORD_POLICY = _(
    "Au moins 12 caractères, dont au moins 3 de ces 4 types : minuscules, majuscules, "
    "chiffres, symboles. Pas un mot de passe courant, ni trop proche de votre adresse "
    "électronique ou de votre nom."
)
QUESTION_CHOICES = [("", _("— Choisissez une question —")), *SecretQuestion.choices]


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


def add_error(form: forms.Form, error) -> None:
    """Put a typed error on the form: on its field when the form has it, else on top."""
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None,
                   ValidationError(error.message(), code=error.code))
    form.choeur_error = error


def error_form(error) -> forms.Form:
    """A form without fields carrying one coded error, for an action that has no form."""
    form = forms.Form(data={})
    form.is_valid()
    add_error(form, error)
    return form


def _email(label, *, required=True, autocomplete="email", help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=254,
        help_text=help_text,
        widget=forms.EmailInput(attrs={"autocomplete": autocomplete}),
    )


def _password(label, autocomplete="new-password", help_text=""):
    return forms.CharField(
        label=label,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


def _text(label, *, required=True, max_length=150, autocomplete="off", help_text=""):
    return forms.CharField(label=label, required=required, max_length=max_length,
                           help_text=help_text,
                           widget=forms.TextInput(attrs={"autocomplete": autocomplete}))


class RegistrationForm(forms.Form):
    email = _email(_("Adresse électronique de connexion"), autocomplete="username",
                   help_text=_("Le lien d'activation y sera envoyé ; elle sert à vous "
                               "connecter."))
    contact_email = _email(_("Adresse électronique de contact (facultatif)"), required=False,
                           help_text=_("Pour les notifications ; par défaut, l'adresse de "
                                       "connexion."))
    first_name = _text(_("Prénom"), autocomplete="given-name")
    last_name = _text(pgettext_lazy("personne", "Nom"), autocomplete="family-name")
    phone = forms.CharField(
        label=_("Téléphone (facultatif)"), required=False, max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    accept_terms = forms.BooleanField(label=_("J'accepte les conditions générales "
                                              "d'utilisation"), required=False)


class ActivationForm(forms.Form):
    password = _password(_("Mot de passe"), help_text=PASSWORD_POLICY)
    password_confirmation = _password(_("Confirmation du mot de passe"))
    question_1 = forms.ChoiceField(label=_("Première question secrète"), choices=QUESTION_CHOICES,
                                   required=False)
    answer_1 = _text(_("Réponse à la première question"), max_length=200,
                     help_text=_("Les majuscules et les accents ne comptent pas."))
    question_2 = forms.ChoiceField(label=_("Seconde question secrète"), choices=QUESTION_CHOICES,
                                   required=False)
    answer_2 = _text(_("Réponse à la seconde question"), max_length=200,
                     help_text=_("Les majuscules et les accents ne comptent pas."))


class LoginForm(forms.Form):
    """The password step; `clean()` calls `services.authenticate()` (lock-out included)."""

    username = _email(_("Adresse électronique de connexion"), autocomplete="username")
    password = forms.CharField(label=_("Mot de passe"), strip=False,
                               widget=forms.PasswordInput(
                                   attrs={"autocomplete": "current-password"}))

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.step = None
        self.choeur_error = None

    def clean(self):
        cleaned = super().clean()
        email, password = cleaned.get("username"), cleaned.get("password")
        if email and password:
            try:
                self.step = services.authenticate(self.actor, email, password)
            except services.AccountsError as exc:
                self.choeur_error = exc
                raise ValidationError(exc.message(), code=exc.code) from None
        return cleaned


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code à 6 chiffres"), max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class EmailForm(forms.Form):
    email = _email(_("Adresse électronique de connexion"), autocomplete="username")


class RecoveryForm(forms.Form):
    answer_1 = _text(_("Réponse à la première question"), max_length=200)
    answer_2 = _text(_("Réponse à la seconde question"), max_length=200)
    password = _password(_("Nouveau mot de passe"), help_text=PASSWORD_POLICY)
    password_confirmation = _password(_("Confirmation du nouveau mot de passe"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and user.has_secret_questions:
            self.fields["answer_1"].label = user.get_secret_question_1_display()
            self.fields["answer_2"].label = user.get_secret_question_2_display()
            for name in ("answer_1", "answer_2"):
                self.fields[name].help_text = _("Les majuscules et les accents ne comptent pas.")
        else:
            del self.fields["answer_1"], self.fields["answer_2"]


class ProfileForm(forms.Form):
    first_name = _text(_("Prénom"), autocomplete="given-name")
    last_name = _text(pgettext_lazy("personne", "Nom"), autocomplete="family-name")
    phone = forms.CharField(
        label=_("Téléphone (facultatif)"), required=False, max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    contact_email = _email(_("Adresse électronique de contact"), required=False,
                           help_text=_("Reçoit les notifications ; vide : l'adresse de "
                                       "connexion."))


class PasswordChangeForm(forms.Form):
    current_password = _password(_("Mot de passe actuel"), autocomplete="current-password")
    password = _password(_("Nouveau mot de passe"), help_text=PASSWORD_POLICY)
    password_confirmation = _password(_("Confirmation du nouveau mot de passe"))


class EmailChangeForm(forms.Form):
    new_email = _email(_("Nouvelle adresse électronique de connexion"), autocomplete="email",
                       help_text=_("Un lien de confirmation, valable 60 minutes, y sera "
                                   "envoyé."))
    password = _password(_("Mot de passe actuel"), autocomplete="current-password")


class PasswordConfirmForm(forms.Form):
    password = _password(_("Mot de passe actuel"), autocomplete="current-password")
