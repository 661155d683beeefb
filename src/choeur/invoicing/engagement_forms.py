"""Forms of the espace Engagements and of the supplier's orders. Like the invoicing forms,
they only parse what the user keyed in: the rules (number, amounts, supplier, service) are
`engagements.py`'s, so that every channel refuses the same things with the same codes."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from choeur.invoicing.engagements import MAX_LABEL, MAX_REASON, EngagementData
from choeur.invoicing.forms import decimal_field
from choeur.invoicing.models import Engagement


def _shown(amount: Decimal) -> Decimal:
    """100.000000 → 100.00, 4.125000 → 4.125: what the user keyed in, not the storage."""
    amount = amount.normalize()
    return amount.quantize(Decimal("0.01")) if amount.as_tuple().exponent > -2 else amount


class EngagementForm(forms.Form):
    """Create (with the number) or edit (the number is the engagement's identity: kept)."""

    number = forms.CharField(
        label=_("Numéro d'engagement"), max_length=50,
        help_text=_("50 caractères au plus : lettres, chiffres et - _ / ."))
    kind = forms.ChoiceField(label=_("Type d'engagement"), choices=Engagement.Kind.choices,
                             initial=Engagement.Kind.BON_DE_COMMANDE)
    label = forms.CharField(label=_("Objet"), max_length=MAX_LABEL, required=False)
    service_code = forms.ChoiceField(label=_("Service"), required=False)
    supplier_identifier = forms.CharField(
        label=_("SIRET du fournisseur"), max_length=80, required=False,
        help_text=_("Le fournisseur voit l'engagement dans ses « Commandes » et peut le "
                    "prendre en compte ou le refuser. Facultatif."))
    amount_ht = decimal_field(_("Montant HT"), required=False)
    amount_ttc = decimal_field(_("Montant TTC"), required=False)
    currency = forms.CharField(label=_("Devise"), max_length=3, initial="EUR",
                               widget=forms.TextInput(attrs={"size": 4}))

    def __init__(self, *args, services=(), with_number: bool = True, whole_structure=True,
                 **kwargs):
        super().__init__(*args, **kwargs)
        if not with_number:
            del self.fields["number"]
        choices = [(s.code, f"{s.code} — {s.name}") for s in services]
        if whole_structure:
            choices.insert(0, ("", _("— toute la structure —")))
        self.fields["service_code"].choices = choices

    def to_data(self) -> EngagementData:
        c = self.cleaned_data
        return EngagementData(
            number=c.get("number", ""), kind=c["kind"], label=c["label"],
            service_code=c["service_code"], supplier_identifier=c["supplier_identifier"],
            amount_ht=c["amount_ht"] or 0, amount_ttc=c["amount_ttc"] or 0,
            currency=c["currency"])

    @staticmethod
    def initial_from(engagement: Engagement) -> dict:
        return {
            "kind": engagement.kind, "label": engagement.label,
            "service_code": engagement.service.code if engagement.service else "",
            "supplier_identifier": engagement.supplier.identifier if engagement.supplier
            else "",
            "amount_ht": _shown(engagement.amount_ht),
            "amount_ttc": _shown(engagement.amount_ttc),
            "currency": engagement.currency,
        }


class EngagementSearchForm(forms.Form):
    numero = forms.CharField(label=_("Numéro d'engagement"), max_length=50, required=False)
    partenaire = forms.CharField(max_length=99, required=False)
    etat = forms.ChoiceField(label=_("État"), required=False,
                             choices=[("", _("Tous")), *Engagement.State.choices])

    def __init__(self, *args, partner_label, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partenaire"].label = partner_label


class ReasonForm(forms.Form):
    """Refusing an order or inactivating an engagement: the reason the other party reads.
    Not required here: the use case refuses an empty one with its coded error."""

    reason = forms.CharField(label=_("Motif"), max_length=MAX_REASON, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Obligatoire."))
