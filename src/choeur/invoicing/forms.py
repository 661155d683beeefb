"""Forms of the invoicing portal. They only parse and type what the user keyed in: every
business check (recipient, service code, amounts, numbers...) is the services' job, so that
the portal, the API and flux integration refuse the same things with the same codes."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from choeur.core import clock
from choeur.core.errors import ChoeurError, FileTooLarge
from choeur.formats import display
from choeur.formats.xmlparse import MAX_XML_BYTES
from choeur.invoicing import errors, queries, services, statuses
from choeur.invoicing.data import InvoiceData, LineData
from choeur.invoicing.models import Cadre, ModePaiement, TypeFacture, TypeTva
from choeur.invoicing.statuses import Status

MAX_LINES = 500
#: A structured invoice file (Factur-X, UBL, CII) is refused above what choeur.formats parses:
#: 20 MB of XML. Checked on the upload's size, before the file is read into memory.
MAX_STRUCTURED_FILE = MAX_XML_BYTES

#: UN/ECE Recommendation 20 unit codes most invoices need (BT-130 takes a code, not a word),
#: labelled « mètre carré (MTK) » in the page's language (choeur.formats.display).
UNIT_CODES = ["C62", "H87", "HUR", "DAY", "MON", "KGM", "TNE", "MTR", "MTK", "KMT", "LTR", "LS"]


def _unit_label(code: str) -> str:
    return display.unit_label(code, get_language() or "fr")


UNITS = [(code, lazy(_unit_label, str)(code)) for code in UNIT_CODES]


def decimal_field(label, *, max_digits=19, decimal_places=6, required=True, initial=None,
             **extra):
    """A decimal field that accepts the French comma ("4,35") as well as the point."""
    return forms.DecimalField(
        label=label, max_digits=max_digits, decimal_places=decimal_places, required=required,
        initial=initial, localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}), **extra)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            files = [single(item, initial) for item in data if item]
        else:
            files = [single(data, initial)] if data else []
        # The services' limits, on the announced sizes: nothing is read into memory before.
        try:
            for upload in files:
                services.check_attachment(upload.name, upload.size)
            total = sum(upload.size for upload in files)
            if total > services.MAX_DOSSIER:
                raise errors.AttachmentsTooLarge(size=round(total / 1024 / 1024, 1))
        except ChoeurError as exc:
            raise forms.ValidationError(f"{exc.message()} [{exc.code}]") from None
        return files


def read_files(files) -> list[tuple[str, bytes]]:
    """Uploaded files as the (name, bytes) pairs the services take."""
    return [(f.name, f.read()) for f in files or []]


def _structure_choices(form, structure, supplier_services, whole_structure) -> None:
    """The supplier's active bank details and (when the user may choose) its services; a user
    whose rattachement is limited to some services must name one of them."""
    accounts = list(structure.bank_accounts.filter(is_active=True))
    form.fields["bank_account"].choices = [("", _("— aucunes —"))] + [
        (a.pk, f"{a.label} ({a.masked_iban})") for a in accounts]
    if len(accounts) == 1:
        form.fields["bank_account"].initial = accounts[0].pk
    if supplier_services:
        form.fields["supplier_service"].choices = (
            [("", _("— toute la structure —"))] if whole_structure else []) + [
            (s.pk, f"{s.code} — {s.name}") for s in supplier_services]
        form.fields["supplier_service"].required = not whole_structure
    else:
        del form.fields["supplier_service"]


class InvoiceForm(forms.Form):
    """The header of an invoice keyed in on the portal ("saisie")."""

    cadre = forms.ChoiceField(
        label=_("Cadre de facturation"), initial=Cadre.A1,
        choices=[(c.value, c.label) for c in services.DEPOSIT_CADRES])
    supplier_service = forms.TypedChoiceField(
        label=_("Votre service émetteur"), required=False, coerce=int, empty_value=None)
    recipient_identifier = forms.CharField(
        label=_("SIRET du destinataire"), max_length=80, required=False,
        help_text=_("L'identifiant de la structure publique destinataire, tel qu'il figure "
                    "dans l'annuaire."))
    recipient_service_code = forms.CharField(
        label=_("Code service du destinataire"), max_length=100, required=False,
        help_text=_("Obligatoire si le destinataire l'exige (voir l'annuaire)."))
    validator_identifier = forms.CharField(
        label=_("SIRET du valideur"), max_length=80, required=False,
        help_text=_("Cadres A9 et A12 uniquement : la structure du titulaire du marché "
                    "(sous-traitance) ou du mandataire du groupement (co-traitance)."))
    validator_service_code = forms.CharField(
        label=_("Code service du valideur"), max_length=100, required=False)
    type_facture = forms.ChoiceField(
        label=_("Type de facture"), initial=TypeFacture.FACTURE,
        choices=[(t.value, t.label) for t in (TypeFacture.FACTURE, TypeFacture.AVOIR)])
    number = forms.CharField(
        label=_("Numéro de facture"), max_length=20, required=False,
        help_text=_("20 caractères au plus : lettres, chiffres et - _ / +."))
    invoice_date = forms.DateField(
        label=_("Date de facture"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    currency = forms.CharField(label=_("Devise"), max_length=3, initial="EUR",
                               widget=forms.TextInput(attrs={"size": 4}))
    type_tva = forms.ChoiceField(label=_("Régime de TVA"), choices=TypeTva.choices,
                                 initial=TypeTva.TVA_SUR_DEBIT)
    vat_exemption_reason = forms.CharField(
        label=_("Motif d'exonération de TVA"), max_length=255, required=False)
    engagement_number = forms.CharField(
        label=_("Numéro d'engagement (bon de commande)"), max_length=50, required=False)
    marche_number = forms.CharField(label=_("Numéro de marché"), max_length=50,
                                    required=False)
    original_invoice_number = forms.CharField(
        label=_("Numéro de la facture d'origine"), max_length=20, required=False,
        help_text=_("Pour un avoir uniquement."))
    payment_mode = forms.ChoiceField(
        label=_("Mode de paiement"), required=False, initial=ModePaiement.VIREMENT,
        choices=[("", _("— aucun (avoir) —")), *ModePaiement.choices])
    bank_account = forms.TypedChoiceField(
        label=_("Coordonnées bancaires"), required=False, coerce=int, empty_value=None)
    comment = forms.CharField(label=_("Commentaire"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, structure, supplier_services=(), whole_structure=True,
                 **kwargs):
        super().__init__(*args, **kwargs)
        _structure_choices(self, structure, supplier_services, whole_structure)
        self.fields["invoice_date"].initial = clock.today

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "EUR").strip().upper()

    def to_data(self, lines: list[LineData]) -> InvoiceData:
        c = self.cleaned_data
        return InvoiceData(
            cadre=c["cadre"],
            recipient_identifier=c["recipient_identifier"].strip(),
            recipient_service_code=c["recipient_service_code"].strip(),
            supplier_service_id=c.get("supplier_service"),
            validator_identifier=c["validator_identifier"].strip(),
            validator_service_code=c["validator_service_code"].strip(),
            type_facture=c["type_facture"],
            number=c["number"].strip(),
            invoice_date=c["invoice_date"],
            currency=c["currency"],
            type_tva=c["type_tva"],
            vat_exemption_reason=c["vat_exemption_reason"].strip(),
            marche_number=c["marche_number"].strip(),
            engagement_number=c["engagement_number"].strip(),
            original_invoice_number=c["original_invoice_number"].strip(),
            payment_mode=c["payment_mode"],
            bank_account_id=c["bank_account"],
            comment=c["comment"].strip(),
            lines=lines,
        )

    @staticmethod
    def initial_from(data: InvoiceData) -> dict:
        """Initial values of the form for a saved draft (`services.data_of`)."""
        return {
            "cadre": data.cadre, "supplier_service": data.supplier_service_id,
            "recipient_identifier": data.recipient_identifier,
            "recipient_service_code": data.recipient_service_code,
            "validator_identifier": data.validator_identifier,
            "validator_service_code": data.validator_service_code,
            "type_facture": data.type_facture, "number": data.number,
            "invoice_date": data.invoice_date, "currency": data.currency,
            "type_tva": data.type_tva, "vat_exemption_reason": data.vat_exemption_reason,
            "engagement_number": data.engagement_number, "marche_number": data.marche_number,
            "original_invoice_number": data.original_invoice_number,
            "payment_mode": data.payment_mode, "bank_account": data.bank_account_id,
            "comment": data.comment,
        }


class PdfInvoiceForm(InvoiceForm):
    """"Dépôt PDF": the same data, plus the invoice itself and its attachments."""

    document = forms.FileField(
        label=_("Facture (PDF)"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
        help_text=_("L'original de la facture, que recevra le destinataire."))
    attachments = MultipleFileField(
        label=_("Pièces jointes complémentaires"), required=False,
        help_text=_("10 Mo au plus chacune ; 120 Mo au plus avec la facture."))

    uploaded_document = forms.TypedChoiceField(
        label=_("Ou un PDF déjà déposé"), required=False, coerce=int, empty_value=None,
        help_text=_("Un PDF déposé par votre logiciel (API) ou lors d'un pré-remplissage et "
                    "pas encore utilisé ; il est supprimé 24 heures après son dépôt s'il ne "
                    "sert à aucune facture."))
    uploaded_attachments = forms.TypedMultipleChoiceField(
        label=_("Pièces jointes déjà déposées"), required=False, coerce=int,
        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, structure, **kwargs):
        super().__init__(*args, structure=structure, **kwargs)
        uploads = queries.pending_uploads(structure)
        self.fields["uploaded_document"].choices = [("", _("— aucun —"))] + [
            (u.pk, upload_label(u)) for u in uploads if u.is_pdf]
        self.fields["uploaded_attachments"].choices = [
            (u.pk, upload_label(u)) for u in uploads]

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if document and document.size > services.MAX_DOSSIER:
            error = errors.AttachmentsTooLarge(size=round(document.size / 1024 / 1024, 1))
            raise forms.ValidationError(f"{error.message()} [{error.code}]")
        if document:
            head = document.read(len(services.PDF_MAGIC))
            document.seek(0)
            if head != services.PDF_MAGIC:
                raise forms.ValidationError(_("Ce fichier n'est pas un PDF."))
        return document

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("document") and cleaned.get("uploaded_document"):
            self.add_error("uploaded_document", _(
                "Choisissez un fichier ou un PDF déjà déposé, pas les deux."))
        return cleaned


def upload_label(upload) -> str:
    """How an upload is named in a choice: name, size, when and how it came."""
    from django.template.defaultfilters import filesizeformat
    from django.utils.formats import date_format
    from django.utils.timezone import localtime

    return (f"{upload.name} ({filesizeformat(upload.size)}, "
            f"{date_format(localtime(upload.created_at), 'SHORT_DATETIME_FORMAT')}, "
            f"{upload.get_source_display()})")


class StructuredDepositForm(forms.Form):
    """"Déposer un fichier structuré": the invoice data come from the file (Factur-X, UBL or
    CII); the user adds what a file does not carry (cadre, validator, supplier service,
    attachments) and, only when the file lacks them, routing data that must agree with it."""

    document = forms.FileField(
        label=_("Fichier de la facture"), allow_empty_file=True,  # formats says INPUT_EMPTY
        required=False,  # or the file just checked (`verified`): see clean()
        widget=forms.FileInput(attrs={
            "accept": ".pdf,.xml,application/pdf,application/xml,text/xml"}),
        help_text=_("Factur-X (PDF avec son XML), UBL 2.1 ou CII (XML) ; 20 Mo au plus."))
    #: The token of the file « Vérifier sans envoyer » kept (invoicing.verified): deposited
    #: when no other file is chosen.
    verified = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    cadre = forms.ChoiceField(
        label=_("Cadre de facturation"), initial=Cadre.A1,
        choices=[(c.value, c.label) for c in services.DEPOSIT_CADRES])
    validator_identifier = forms.CharField(
        label=_("SIRET du valideur"), max_length=80, required=False,
        help_text=_("Cadres A9 et A12 uniquement : la structure du titulaire du marché "
                    "(sous-traitance) ou du mandataire du groupement (co-traitance)."))
    validator_service_code = forms.CharField(
        label=_("Code service du valideur"), max_length=100, required=False)
    supplier_service = forms.TypedChoiceField(
        label=_("Votre service émetteur"), required=False, coerce=int, empty_value=None)
    recipient_identifier = forms.CharField(
        label=_("SIRET du destinataire"), max_length=80, required=False,
        help_text=_("Seulement s'il manque dans le fichier (BT-46)."))
    recipient_service_code = forms.CharField(
        label=_("Code service du destinataire"), max_length=100, required=False,
        help_text=_("Seulement s'il manque dans le fichier (BT-10) et que le destinataire "
                    "l'exige."))
    engagement_number = forms.CharField(
        label=_("Numéro d'engagement (bon de commande)"), max_length=50, required=False,
        help_text=_("Seulement s'il manque dans le fichier (BT-13)."))
    bank_account = forms.TypedChoiceField(
        label=_("Coordonnées bancaires"), required=False, coerce=int, empty_value=None,
        help_text=_("Si l'IBAN du fichier est celui de l'un de vos comptes, ce compte est "
                    "retenu ; sinon, celui choisi ici."))
    comment = forms.CharField(label=_("Commentaire"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    attachments = MultipleFileField(
        label=_("Pièces jointes complémentaires"), required=False,
        help_text=_("10 Mo au plus chacune ; 120 Mo au plus avec la facture."))

    def __init__(self, *args, structure, supplier_services=(), whole_structure=True,
                 **kwargs):
        super().__init__(*args, **kwargs)
        _structure_choices(self, structure, supplier_services, whole_structure)

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if document is not None and document.size > MAX_STRUCTURED_FILE:
            # Refused on its announced size: the bytes are never read into memory.
            error = FileTooLarge(limit=f"{MAX_STRUCTURED_FILE:,}".replace(",", "\u202f"))
            raise forms.ValidationError(f"{error.message()} [{error.code}]",
                                        code=error.code)
        return document

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("document") and not cleaned.get("verified") \
                and "document" not in self.errors:
            self.add_error("document", forms.ValidationError(
                self.fields["document"].error_messages["required"], code="required"))
        return cleaned

    def to_keyed(self) -> InvoiceData:
        """What the user keyed in, for `structured.deposit_file` to check against the file."""
        c = self.cleaned_data
        return InvoiceData(
            cadre=c["cadre"], number="",
            recipient_identifier=c["recipient_identifier"].strip(),
            recipient_service_code=c["recipient_service_code"].strip(),
            engagement_number=c["engagement_number"].strip(),
            supplier_service_id=c.get("supplier_service"),
            validator_identifier=c["validator_identifier"].strip(),
            validator_service_code=c["validator_service_code"].strip(),
            bank_account_id=c["bank_account"], comment=c["comment"].strip())


class LineForm(forms.Form):
    designation = forms.CharField(label=_("Désignation"), max_length=services.MAX_DESIGNATION)
    quantity = decimal_field(_("Quantité"), initial=Decimal(1))
    unit = forms.ChoiceField(label=_("Unité"), choices=UNITS, initial="C62")
    unit_price = decimal_field(_("Prix unitaire HT"))
    discount = decimal_field(_("Remise HT"), required=False, min_value=Decimal(0))
    vat_rate = decimal_field(_("Taux de TVA (%)"), max_digits=5, decimal_places=2,
                        initial=Decimal(20), min_value=Decimal(0), max_value=Decimal(100))

    def to_line(self) -> LineData:
        c = self.cleaned_data
        return LineData(designation=c["designation"].strip(), quantity=c["quantity"],
                        unit=c["unit"], unit_price=c["unit_price"],
                        discount=c.get("discount") or Decimal(0), vat_rate=c["vat_rate"])


class BaseLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[LineData]:
        return [form.to_line() for form in self.forms
                if form.has_changed() and not self._should_delete_form(form)]


LineFormSet = forms.formset_factory(
    LineForm, formset=BaseLineFormSet, extra=1, can_delete=True, max_num=MAX_LINES,
    validate_max=True, absolute_max=MAX_LINES)


def line_initial(data: InvoiceData) -> list[dict]:
    return [{"designation": line.designation, "quantity": line.quantity, "unit": line.unit,
             "unit_price": line.unit_price, "discount": line.discount,
             "vat_rate": line.vat_rate} for line in data.lines]


# --- Lists -----------------------------------------------------------------------------------


class InvoiceSearchForm(forms.Form):
    numero = forms.CharField(label=_("Numéro de facture"), max_length=20, required=False)
    partenaire = forms.CharField(max_length=99, required=False)
    statut = forms.ChoiceField(label=_("Statut"), required=False)

    def __init__(self, *args, partner_label, statuses_shown, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partenaire"].label = partner_label
        self.fields["statut"].choices = [("", _("Tous"))] + [
            (s, Status(s).label) for s in statuses_shown]


# --- Actions on an invoice -----------------------------------------------------------------


class RecycleForm(forms.Form):
    recipient_identifier = forms.CharField(label=_("SIRET du destinataire"), max_length=80)
    service_code = forms.CharField(label=_("Code service du destinataire"), max_length=100,
                                   required=False)
    engagement_number = forms.CharField(label=_("Numéro d'engagement"), max_length=50,
                                        required=False)
    comment = forms.CharField(label=_("Commentaire"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class CompleteForm(forms.Form):
    comment = forms.CharField(label=_("Votre réponse"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    attachments = MultipleFileField(label=_("Pièces jointes"), required=False)


class ValidatorForm(forms.Form):
    validator_identifier = forms.CharField(label=_("SIRET du bon valideur"), max_length=80)
    validator_service_code = forms.CharField(label=_("Code service du valideur"),
                                             max_length=100, required=False)


class ProcessForm(forms.Form):
    """The recipient's processing: only the statuses the table allows from the current one."""

    target = forms.ChoiceField(label=_("Nouveau statut"))
    comment = forms.CharField(
        label=_("Commentaire ou motif"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Le motif est obligatoire pour suspendre ou rejeter la facture."))
    mandate_number = forms.CharField(
        label=_("Numéro de mandat"), max_length=50, required=False,
        help_text=_("Obligatoire pour le statut « Mandatée »."))

    def __init__(self, *args, invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [("", _("— choisissez —"))] + [
            (s, Status(s).label) for s in statuses.recipient_targets(invoice.status)]


class ValidateForm(forms.Form):
    comment = forms.CharField(label=_("Commentaire (facultatif)"), max_length=2000,
                              required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Motif du refus"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Obligatoire."))


class WrongValidatorForm(forms.Form):
    comment = forms.CharField(label=_("Précisions pour le fournisseur (facultatif)"),
                              max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
