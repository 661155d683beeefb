from django import forms
from django.utils.translation import gettext_lazy as _

from choeur.organisations.models import (
    Espace,
    HabilitationMode,
    IdentifierType,
    Service,
    Structure,
)

STRUCTURE_DATA_FIELDS = [
    "company_name", "email", "vat_number", "rcs_number", "address_line1", "address_line2",
    "postcode", "city", "country",
]
STRUCTURE_PARAMETER_FIELDS = [
    "service_code_required", "engagement_required", "engagement_or_service_required",
    "payment_status_not_reported", "moa", "moa_only", "edi_connection", "receives_via_edi",
    "second_factor_for_gestionnaires",
]

#: The recipient parameters as people read them. The models' verbose names are Chorus Pro's
#: wire names (`codeServiceDoitEtreRenseigne`...), for the API layer: never shown.
STRUCTURE_PARAMETER_LABELS = {
    "service_code_required": _("Code service obligatoire"),
    "engagement_required": _("Numéro d'engagement obligatoire"),
    "engagement_or_service_required": _("Numéro d'engagement ou code service obligatoire"),
    "payment_status_not_reported": _("Statut « mise en paiement » non remonté"),
    "moa": _("Maîtrise d'ouvrage (MOA)"),
    "moa_only": _("Maîtrise d'ouvrage uniquement"),
    "edi_connection": _("Raccordée en EDI"),
    "receives_via_edi": _("Reçoit ses factures par EDI"),
}
SERVICE_PARAMETER_LABELS = {
    "payment_status_reported": _("Statut « mise en paiement » remonté"),
    "engagement_required": _("Numéro d'engagement obligatoire"),
}


class StructureCreateForm(forms.ModelForm):
    """Format checks live in the service (one place for portal, API and import)."""

    identifier_type = forms.ChoiceField(
        label=_("Type d'identifiant"), choices=IdentifierType.choices,
        initial=IdentifierType.SIRET,
    )
    identifier = forms.CharField(
        label=_("Identifiant"), max_length=80, required=False,
        help_text=_("SIRET : 14 chiffres. UE hors France : numéro de TVA avec le préfixe du "
                    "pays. Hors UE : code pays et début de la raison sociale."),
    )

    class Meta:
        model = Structure
        fields = ["company_name", "first_name", "last_name", *STRUCTURE_DATA_FIELDS[1:]]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company_name"].required = False

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("identifier_type")
        if kind != IdentifierType.PARTICULIER and not cleaned.get("company_name"):
            self.add_error("company_name", _("La raison sociale est obligatoire."))
        if kind == IdentifierType.PARTICULIER and not cleaned.get("last_name"):
            self.add_error("last_name", _("Le nom est obligatoire pour un particulier."))
        if kind != IdentifierType.PARTICULIER and not cleaned.get("identifier"):
            self.add_error("identifier", _("L'identifiant est obligatoire."))
        return cleaned

    def _post_clean(self):
        pass  # no model validation here: the service checks and normalises


class StructureEditForm(forms.ModelForm):
    """The structure's data and parameters; a public structure's payment-delay category too,
    which only its gestionnaire principal changes (shown to the others, not editable)."""

    class Meta:
        model = Structure
        fields = STRUCTURE_DATA_FIELDS + STRUCTURE_PARAMETER_FIELDS + ["payment_category"]
        labels = STRUCTURE_PARAMETER_LABELS

    def __init__(self, *args, principal: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.is_public:
            del self.fields["payment_category"]
        elif not principal:
            self.fields["payment_category"].disabled = True
        else:
            self.fields["payment_category"].required = False  # left out: unchanged

    def _post_clean(self):
        pass


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = [
            "code", "name", "description", "address_line1", "postcode", "city", "valid_from",
            "valid_until", "payment_status_reported", "engagement_required",
        ]
        labels = SERVICE_PARAMETER_LABELS
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def _post_clean(self):
        pass


class ServiceEditForm(ServiceForm):
    class Meta(ServiceForm.Meta):
        fields = [f for f in ServiceForm.Meta.fields if f != "code"]


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("SIRET (3 chiffres au moins) ou raison sociale exacte"), max_length=99,
        required=False,
    )


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Motif du refus"), widget=forms.Textarea(attrs={"rows": 2}))


class AttachForm(forms.Form):
    email = forms.EmailField(label=_("Adresse électronique de connexion de l'utilisateur"))
    gestionnaire = forms.BooleanField(label=_("Gestionnaire"), required=False)


class BankAccountForm(forms.Form):
    label = forms.CharField(label=_("Libellé"), max_length=100)
    holder = forms.CharField(label=_("Titulaire du compte"), max_length=100)
    iban = forms.CharField(label=_("IBAN"), max_length=50)
    bic = forms.CharField(
        label=_("BIC"), max_length=20, required=False,
        help_text=_("Facultatif pour un IBAN français : déduit de l'IBAN."),
    )
    is_factor = forms.BooleanField(label=_("Compte d'un affactureur"), required=False)


ESPACE_CHOICES = Espace.choices
MODE_CHOICES = [("", _("Aucun accès")), *HabilitationMode.choices]


class AnnuaireSearchForm(forms.Form):
    siret = forms.CharField(label=_("SIRET (ou son début)"), max_length=14, required=False)
    name = forms.CharField(label=_("Nom de la structure (ou une partie)"), max_length=99,
                           required=False)
    postcode = forms.CharField(label=_("Code postal (ou son début)"), max_length=10,
                               required=False)
    city = forms.CharField(label=_("Ville"), max_length=80, required=False)

    def clean(self):
        cleaned = super().clean()
        if not any((cleaned.get(k) or "").strip() for k in ("siret", "name", "postcode", "city")):
            raise forms.ValidationError(_("Renseignez au moins un critère de recherche."))
        return cleaned


class ChangeIdentifierForm(forms.Form):
    identifier_type = forms.ChoiceField(
        label=_("Nouveau type d'identifiant"),
        choices=[c for c in IdentifierType.choices if c[0] != IdentifierType.PARTICULIER],
        initial=IdentifierType.SIRET,
    )
    identifier = forms.CharField(label=_("Nouvel identifiant"), max_length=80)
    confirm = forms.BooleanField(
        label=_("Je comprends que l'ancienne fiche sera désactivée et que les coordonnées "
                "bancaires et comptes techniques devront être saisis à nouveau."),
    )


class PublicRecipientForm(forms.ModelForm):
    """A public recipient's data and requirements, as the platform administrator sets them
    (the columns of `choeur import-structures`)."""

    class Meta:
        model = Structure
        fields = [
            "company_name", "email", "address_line1", "address_line2", "postcode", "city",
            "service_code_required", "engagement_required", "engagement_or_service_required",
            "payment_status_not_reported", "moa", "moa_only", "edi_connection",
            "receives_via_edi", "payment_category",
        ]
        labels = STRUCTURE_PARAMETER_LABELS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company_name"].required = True
        self.fields["payment_category"].required = False  # left out: unchanged (ETAT)

    def _post_clean(self):
        pass  # the service checks and normalises


class PublicRecipientCreateForm(PublicRecipientForm):
    identifier = forms.CharField(label=_("SIRET"), max_length=20,
                                 help_text=_("14 chiffres, clé de contrôle comprise."))

    field_order = ["identifier"]


class RecipientSearchForm(forms.Form):
    q = forms.CharField(label=_("SIRET (ou son début) ou partie du nom"), max_length=99,
                        required=False)
