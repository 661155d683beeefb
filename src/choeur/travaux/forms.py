"""Forms of the espace Factures de travaux. They parse what the user keyed in; the business
checks (MOE, MOA, amounts, deadlines, refusal reasons) are the services'."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from choeur.core import clock
from choeur.invoicing.data import InvoiceData, LineData, money
from choeur.invoicing.forms import LineForm, decimal_field
from choeur.invoicing.models import ModePaiement, TravauxCadre
from choeur.travaux import services

MONTHLY_CADRES = [(c.value, c.label) for c in services.MONTHLY_CADRES]


class ProjetDecompteForm(forms.Form):
    """The supplier's projet de décompte mensuel (A4, titulaire; A13, co-traitant). The lines
    are invoicing's line formset."""

    cadre = forms.ChoiceField(label=_("Cadre de facturation"), choices=MONTHLY_CADRES,
                              initial=TravauxCadre.A4)
    number = forms.CharField(
        label=_("Numéro du projet de décompte"), max_length=20,
        help_text=_("Votre numéro : 20 caractères au plus, lettres, chiffres et - _ / +."))
    invoice_date = forms.DateField(
        label=_("Date"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    moa_identifier = forms.CharField(
        label=_("SIRET du maître d'ouvrage"), max_length=80,
        help_text=_("La structure publique « avec MOA » qui paie les travaux (annuaire)."))
    moa_service_code = forms.CharField(
        label=_("Code service du maître d'ouvrage"), max_length=100, required=False,
        help_text=_("Le service qui paie, s'il est exigé (voir l'annuaire)."))
    moe_identifier = forms.CharField(
        label=_("SIRET du maître d'œuvre"), max_length=80,
        help_text=_("Il reçoit le projet de décompte et a 7 jours pour déposer son état "
                    "d'acompte."))
    marche_number = forms.CharField(label=_("Numéro de marché"), max_length=50,
                                    required=False)
    engagement_number = forms.CharField(
        label=_("Numéro d'engagement (bon de commande)"), max_length=50, required=False)
    bank_account = forms.TypedChoiceField(
        label=_("Coordonnées bancaires"), required=False, coerce=int, empty_value=None)
    comment = forms.CharField(label=_("Commentaire"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, structure, **kwargs):
        super().__init__(*args, **kwargs)
        accounts = list(structure.bank_accounts.filter(is_active=True))
        self.fields["bank_account"].choices = [("", _("— aucunes —"))] + [
            (a.pk, f"{a.label} ({a.masked_iban})") for a in accounts]
        if len(accounts) == 1:
            self.fields["bank_account"].initial = accounts[0].pk
        self.fields["invoice_date"].initial = clock.today

    def to_data(self, lines: list[LineData]) -> InvoiceData:
        c = self.cleaned_data
        return InvoiceData(
            cadre=c["cadre"], number=c["number"].strip(), invoice_date=c["invoice_date"],
            recipient_identifier=c["moa_identifier"].strip(),
            recipient_service_code=c["moa_service_code"].strip(),
            marche_number=c["marche_number"].strip(),
            engagement_number=c["engagement_number"].strip(),
            payment_mode=ModePaiement.VIREMENT, bank_account_id=c["bank_account"],
            comment=c["comment"].strip(), lines=lines)


# --- The MOE's état d'acompte, the MOA's état d'acompte validé --------------------------------


class AdmittedLineForm(LineForm):
    """A line of the previous piece, prefilled, with the amount admitted beside the claim."""

    admitted = decimal_field(
        _("Montant admis HT"), max_digits=19, decimal_places=2, required=False,
        min_value=Decimal(0))

    def to_admitted_line(self) -> LineData:
        """The line of the new piece: as keyed when the amount admitted is its amount (or left
        empty); otherwise the same line at the amount admitted — the same quantity at the
        unit price it gives when it divides exactly, or one lump sum (LS)."""
        line = self.to_line()
        admitted = self.cleaned_data.get("admitted")
        if admitted is None or money(admitted) == line.computed_total():
            return line
        admitted = money(admitted)
        if line.quantity:
            price = (admitted / line.quantity).quantize(Decimal("0.000001"))
            if money(line.quantity * price) == admitted:
                return LineData(designation=line.designation, quantity=line.quantity,
                                unit=line.unit, unit_price=price, vat_rate=line.vat_rate)
        return LineData(designation=line.designation, quantity=Decimal(1), unit="LS",
                        unit_price=admitted, vat_rate=line.vat_rate)


class BaseAdmittedFormSet(forms.BaseFormSet):
    def lines(self) -> list[LineData]:
        """Every line shown: the prefilled ones count even unchanged."""
        return [form.to_admitted_line() for form in self.forms if form.cleaned_data]


AdmittedLineFormSet = forms.formset_factory(
    AdmittedLineForm, formset=BaseAdmittedFormSet, extra=0, max_num=500, validate_max=True,
    absolute_max=500, min_num=1, validate_min=True)


def _short(value: Decimal) -> Decimal:
    """10000.000000 → 10000, 4.350000 → 4.35: what the user keyed, not the column's scale."""
    value = Decimal(value).normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value


def admitted_initial(invoice) -> list[dict]:
    """The previous piece's lines, its amounts as the admitted ones to start from."""
    return [{"designation": line.designation, "quantity": _short(line.quantity),
             "unit": line.unit, "unit_price": _short(line.unit_price),
             "discount": _short(line.discount) if line.discount else None,
             "vat_rate": _short(line.vat_rate), "admitted": money(line.total_ht)}
            for line in invoice.lines.all()]


class PieceForm(forms.Form):
    comment = forms.CharField(label=_("Commentaire"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def to_data(self, lines: list[LineData]) -> InvoiceData:
        return InvoiceData(comment=self.cleaned_data["comment"].strip(), lines=lines)


#: The reasons offered to the MOE; an amount error is listed so that the one who chooses it is
#: told why it is none (sommes admises: the service refuses it, TRAV_AMOUNT_NOT_A_REASON).
REFUSAL_REASONS = [
    ("", _("— choisissez —")),
    ("Travaux non réalisés", _("Travaux non réalisés")),
    ("Pièce non conforme au marché", _("Pièce non conforme au marché")),
    ("Erreur de montant", _("Erreur de montant")),
    ("Autre motif", _("Autre motif")),
]


class RefuseForm(forms.Form):
    motif = forms.ChoiceField(
        label=_("Motif du refus"), choices=REFUSAL_REASONS,
        help_text=_("Un refus arrête le circuit du dossier. Un désaccord sur les montants n'est "
                    "pas un motif de refus : déposez l'état d'acompte avec les sommes que "
                    "vous admettez."))
    details = forms.CharField(label=_("Précisions"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("motif") == "Autre motif" and not cleaned.get("details", "").strip():
            self.add_error("details", _("Précisez le motif du refus."))
        return cleaned

    def reason(self) -> str:
        details = self.cleaned_data["details"].strip()
        motif = self.cleaned_data["motif"]
        return f"{motif} : {details}" if details else motif
