"""Forms of the espace Factures de travaux. They parse what the user keyed in; the business
checks (MOE, MOA, amounts, deadlines, refusal reasons) are the services'."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from choeur.core import clock
from choeur.invoicing import errors as invoicing_errors
from choeur.invoicing import services as invoicing_services
from choeur.invoicing.data import InvoiceData, LineData, money
from choeur.invoicing.forms import LineForm, decimal_field
from choeur.invoicing.models import ModePaiement, TravauxCadre

C = TravauxCadre
#: What the supplier may deposit to start a dossier, in the order a trainee meets them, with
#: what each is for and what follows it (docs/TRAVAUX.md).
DEPOSIT_CADRES = [
    (C.A4, _("Projet de décompte mensuel — titulaire (A4)"),
     _("Chaque mois, la situation de vos travaux. Le maître d'œuvre a 7 jours pour en faire "
       "son état d'acompte (les sommes qu'il admet) ; le maître d'ouvrage le valide ensuite "
       "pour son service payeur.")),
    (C.A13, _("Projet de décompte mensuel — co-traitant (A13)"),
     _("Le même projet de décompte mensuel, déposé par un membre du groupement payé "
       "directement.")),
    (C.A7, _("Projet de décompte final — titulaire (A7)"),
     _("À la fin des travaux, le solde du marché. Le maître d'œuvre en fait un projet de "
       "décompte général, le maître d'ouvrage vous notifie le décompte général : vous avez "
       "alors 30 jours pour le signer (décompte général et définitif) ou le refuser.")),
    (C.A14, _("Projet de décompte final — co-traitant (A14)"),
     _("Le même projet de décompte final, déposé par un membre du groupement.")),
    (C.A5, _("État d'acompte — marché sans maître d'œuvre (A5)"),
     _("Aucun maître d'œuvre n'intervient : votre état d'acompte va directement au maître "
       "d'ouvrage, qui le valide pour son service payeur.")),
    (C.A6, _("État d'acompte validé (A6)"),
     _("Le maître d'œuvre et le maître d'ouvrage l'ont déjà validé hors de Chœur : il va "
       "directement au service payeur, comme une facture.")),
]
#: The cadres whose dossier has a maître d'œuvre (A10: the sous-traitant's, through its
#: titulaire; its page is travaux/subcontracting_views.py).
WITH_MOE = {C.A4, C.A10, C.A13, C.A7, C.A14}
CADRE_HELP = {value: help_text for value, _label, help_text in DEPOSIT_CADRES}


class ProjetDecompteForm(forms.Form):
    """The supplier's first piece of a dossier: a projet de décompte mensuel (A4, titulaire;
    A13, co-traitant) or final (A7; A14), an état d'acompte without MOE (A5), an état
    d'acompte validé (A6). The lines are invoicing's line formset."""

    cadre = forms.ChoiceField(
        label=_("Pièce à déposer"), initial=C.A4, widget=forms.RadioSelect,
        choices=[(value, label) for value, label, _help in DEPOSIT_CADRES])
    number = forms.CharField(
        label=_("Numéro de la pièce"), max_length=20,
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
        label=_("SIRET du maître d'œuvre"), max_length=80, required=False,
        help_text=_("Pour un projet de décompte (A4, A13, A7, A14) : il le reçoit le premier. "
                    "Laissez vide pour un état d'acompte (A5, A6)."))
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

    def clean(self):
        cleaned = super().clean()
        cadre, moe = cleaned.get("cadre"), cleaned.get("moe_identifier", "").strip()
        if cadre in WITH_MOE and not moe:
            self.add_error("moe_identifier", _(
                "Un projet de décompte va d'abord au maître d'œuvre : indiquez son SIRET."))
        elif cadre and cadre not in WITH_MOE and moe:
            self.add_error("moe_identifier", _(
                "Un état d'acompte (A5, A6) se dépose sans maître d'œuvre : laissez ce champ "
                "vide, ou choisissez un projet de décompte."))
        return cleaned

    def cadre_choices(self) -> list[tuple]:
        """The radio buttons, each with what the piece is for."""
        return [(radio, CADRE_HELP.get(radio.data["value"], "")) for radio in self["cadre"]]

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
    """A MOE's or MOA's piece: the amounts it admits (the lines), and, if it has one, its own
    document instead of the one Choeur writes (kept beside it)."""

    document = forms.FileField(
        label=_("Votre propre document (PDF, facultatif)"), required=False,
        help_text=_("Sinon, Chœur établit la pièce à partir des montants saisis ci-dessus ; "
                    "avec votre PDF, ces montants restent ceux de la pièce."))
    comment = forms.CharField(label=_("Commentaire"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def clean_document(self):
        """Refused on its announced size (never read whole) or its first bytes, as the
        invoice deposit's PDF; the service reads it then (`invoicing.check_pdf`)."""
        document = self.cleaned_data.get("document")
        if document and document.size > invoicing_services.MAX_DOSSIER:
            error = invoicing_errors.AttachmentsTooLarge(
                size=round(document.size / 1024 / 1024, 1))
            raise forms.ValidationError(f"{error.message()} [{error.code}]")
        if document:
            head = document.read(len(invoicing_services.PDF_MAGIC))
            document.seek(0)
            if head != invoicing_services.PDF_MAGIC:
                raise forms.ValidationError(_("Ce fichier n'est pas un PDF."))
        return document

    def own_document(self) -> tuple[str, bytes] | None:
        upload = self.cleaned_data.get("document")
        return (upload.name, upload.read()) if upload else None

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


# --- The final circuit: the titulaire's own pieces (A8, A22, A23), fixed lines ----------------


class SupplierPieceForm(forms.Form):
    """A piece the titulaire deposits into its dossier (the signed DGD A8, the tacit projet
    A22, the DGD tacite A23): its own number; the dossier gives the routing."""

    number = forms.CharField(
        label=_("Votre numéro de pièce"), max_length=20,
        help_text=_("20 caractères au plus, lettres, chiffres et - _ / + ; un numéro que vous "
                    "n'avez pas encore employé cette année."))
    invoice_date = forms.DateField(
        label=_("Date"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    bank_account = forms.TypedChoiceField(
        label=_("Coordonnées bancaires"), required=False, coerce=int, empty_value=None)
    comment = forms.CharField(label=_("Commentaire"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, structure, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bank_account"].choices = [
            ("", _("— celles de la première pièce du dossier —"))] + [
            (a.pk, f"{a.label} ({a.masked_iban})")
            for a in structure.bank_accounts.filter(is_active=True)]
        self.fields["invoice_date"].initial = clock.today

    def to_data(self, lines: list[LineData]) -> InvoiceData:
        c = self.cleaned_data
        return InvoiceData(number=c["number"].strip(), invoice_date=c["invoice_date"],
                           bank_account_id=c["bank_account"], comment=c["comment"].strip(),
                           lines=lines)


class FixedLineForm(LineForm):
    """A line repeated from the piece a DGD makes definitive: posted back unchanged (hidden),
    the service checks it still gives that piece's amounts."""

    unit = forms.CharField(max_length=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget = forms.HiddenInput()


class BaseFixedFormSet(forms.BaseFormSet):
    def lines(self) -> list[LineData]:
        return [form.to_line() for form in self.forms if form.cleaned_data]


FixedLineFormSet = forms.formset_factory(
    FixedLineForm, formset=BaseFixedFormSet, extra=0, max_num=500, validate_max=True,
    absolute_max=500, min_num=1, validate_min=True)


def line_initial(invoice) -> list[dict]:
    """A piece's lines as keyed, for a form that repeats them."""
    return [{key: value for key, value in line.items() if key != "admitted"}
            for line in admitted_initial(invoice)]


class RefuseDecompteGeneralForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du refus"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Les points du décompte général que vous contestez (montants, pénalités, "
                    "révisions…) : le maître d'ouvrage et le maître d'œuvre en sont informés."))

    def reason_text(self) -> str:
        return self.cleaned_data["reason"].strip()


class BaseKeyedFormSet(forms.BaseFormSet):
    def lines(self) -> list[LineData]:
        """Every line kept: the prefilled ones count even unchanged, a blank extra one not."""
        return [form.to_line() for form in self.forms
                if form.cleaned_data and not self._should_delete_form(form)]


#: The titulaire's own lines (its tacit projet de décompte général), prefilled from its
#: projet de décompte final.
KeyedLineFormSet = forms.formset_factory(
    LineForm, formset=BaseKeyedFormSet, extra=1, can_delete=True, max_num=500,
    validate_max=True, absolute_max=500)
