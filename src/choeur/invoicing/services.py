"""Use cases of invoicing: one function each, called alike by the portal, the API, flux
integration and the tests (house rule 1). Each takes the acting user first, checks rights
through `organisations.permissions` (via queries.py), raises typed errors, and changes
statuses only through `lifecycle.transition()`. The entry point owns the transaction.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction

from choeur.core import audit, clock, queue, storage
from choeur.core.errors import NotFound, PermissionRefused
from choeur.invoicing import errors, lifecycle, records
from choeur.invoicing.data import CENT, MAX_AMOUNT, InvoiceData, LineData, Totals, VatLineData
from choeur.invoicing.lookups import cached_lookups, once_per_batch
from choeur.invoicing.models import (
    Attachment,
    Cadre,
    Engagement,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    ModeDepot,
    ModePaiement,
    StatusChange,
    TypeDemandePaiement,
    TypeFacture,
    VatLine,
)
from choeur.invoicing.statuses import Role, Status
from choeur.organisations import permissions
from choeur.organisations.models import BankAccount, Espace, IdentifierType, Service, Structure

NUMBER = re.compile(r"[A-Za-z0-9\-_/+]{1,20}")
VALIDATION_DELAY = timedelta(days=15)  # R2193-12 CCP: the titulaire has 15 days
MAX_ATTACHMENT = 10 * 1024 * 1024  # 10 MB each
MAX_DOSSIER = 120 * 1024 * 1024  # 120 MB for the invoice and all its attachments
MAX_ATTACHMENT_NAME = 50
PDF_MAGIC = b"%PDF-"  # what every deposited invoice document starts with
ATTACHMENT_EXTENSIONS = {
    "bmp", "gif", "fax", "odt", "ppt", "tiff", "xls", "bz2", "gz", "jpeg", "p7s", "rtf", "txt",
    "xml", "csv", "gzip", "jpg", "pdf", "svg", "xhtml", "xlsx", "doc", "htm", "odp", "png",
    "tgz", "xlc", "zip", "docx", "html", "ods", "pps", "tif", "xlm", "pptx",
}
#: Cadres a supplier picks in this scope (works cadres come with the works feature).
DEPOSIT_CADRES = (Cadre.A1, Cadre.A2, Cadre.A9, Cadre.A12)


# --- Rights -------------------------------------------------------------------------------


def _in_scope(user, structure: Structure, service: Service | None) -> bool:
    """Whether `service` (None: the whole structure) is within the user's rattachement."""
    scope = permissions.services_of(user, structure)
    return scope is None or (service is not None and service in scope)


def require_supplier_rights(user, invoice: Invoice, modify: bool = True) -> None:
    permissions.require_espace(user, invoice.supplier, Espace.FACTURES_EMISES, modify=modify)
    if not _in_scope(user, invoice.supplier, invoice.supplier_service):
        raise PermissionRefused()


def require_recipient_rights(user, invoice: Invoice, modify: bool = True) -> None:
    permissions.require_espace(user, invoice.recipient, Espace.FACTURES_RECUES, modify=modify)
    if not _in_scope(user, invoice.recipient, invoice.recipient_service):
        raise PermissionRefused()


def require_validator_rights(user, invoice: Invoice, level: int, modify: bool = True) -> None:
    structure = invoice.validator if level == 1 else invoice.validator2
    if structure is None:
        raise PermissionRefused()
    permissions.require_espace(user, structure, Espace.FACTURES_A_VALIDER, modify=modify)


# --- Platform checks (reference §4.4) --------------------------------------------------------


def find_structure(identifier: str) -> Structure | None:
    identifier = re.sub(r"\s", "", identifier or "")
    if not identifier:
        return None
    return once_per_batch(("structure", identifier), lambda: _find_structure(identifier))


def _find_structure(identifier: str) -> Structure | None:
    found = list(Structure.objects.filter(identifier=identifier)[:2])
    if len(found) == 1:
        return found[0]
    return next((s for s in found if s.identifier_type == IdentifierType.SIRET), None)


def resolve_recipient(identifier: str) -> Structure:
    if not (identifier or "").strip():
        raise errors.RecipientIdentifierMissing()
    recipient = find_structure(identifier)
    if recipient is None or not recipient.is_public:
        raise errors.RecipientUnknown(identifier=identifier or "—")
    if not recipient.is_active:
        raise errors.RecipientInactive(identifier=recipient.identifier)
    return recipient


def resolve_service(recipient: Structure, code: str) -> Service | None:
    code = (code or "").strip()
    if not code:
        return None
    service = once_per_batch(("service", recipient.pk, code),
                      lambda: recipient.services.current().filter(code=code).first())
    if service is None:
        raise errors.ServiceUnknown(code=code, recipient=recipient.company_name)
    return service


def check_routing(supplier: Structure, recipient: Structure, service: Service | None,
                  engagement_number: str) -> None:
    """Service code and engagement as the recipient's parameters require them (each rule its
    own function, in this order, so that a check that reports them all can call them one by
    one: qualification's "tester un fichier")."""
    check_service_required(recipient, service)
    check_engagement_required(recipient, service, engagement_number)
    check_engagement_or_service(recipient, service, engagement_number)
    check_engagement_known(supplier, recipient, engagement_number)


def check_service_required(recipient: Structure, service: Service | None) -> None:
    if recipient.service_code_required and service is None:
        raise errors.ServiceRequired(recipient=recipient.company_name)


def check_engagement_required(recipient: Structure, service: Service | None,
                              engagement_number: str) -> None:
    needs_engagement = recipient.engagement_required or bool(
        service is not None and service.engagement_required)
    if needs_engagement and not engagement_number:
        raise errors.EngagementRequired(recipient=recipient.company_name)


def check_engagement_or_service(recipient: Structure, service: Service | None,
                                engagement_number: str) -> None:
    if recipient.engagement_or_service_required and not (engagement_number or service):
        raise errors.EngagementOrServiceRequired(recipient=recipient.company_name)


def check_engagement_known(supplier: Structure, recipient: Structure,
                           engagement_number: str) -> None:
    if engagement_number and once_per_batch(
            ("engagements", recipient.pk),
            lambda: Engagement.objects.filter(structure=recipient).exists()):
        # The recipient manages its engagements in Choeur: the number must be one of them,
        # usable, and placed with this supplier (or with no supplier named).
        engagement = once_per_batch(("engagement", recipient.pk, engagement_number),
                             lambda: Engagement.objects.filter(
                                 structure=recipient, number=engagement_number).first())
        if engagement is None or not engagement.is_usable or (
                engagement.supplier_id not in (None, supplier.pk)):
            raise errors.EngagementUnknown(number=engagement_number,
                                           recipient=recipient.company_name)


def check_number(number: str) -> str:
    number = (number or "").strip()
    if not number:
        raise errors.NumberMissing()
    if len(number) > 20:
        raise errors.NumberInvalid(number=number, reason_fr="20 caractères au plus.",
                                   reason_en="20 characters at most.")
    if not NUMBER.fullmatch(number):
        raise errors.NumberInvalid(
            number=number,
            reason_fr="seuls les lettres, les chiffres et les caractères - _ / + sont admis.",
            reason_en="only letters, digits and the characters - _ / + are allowed.")
    today = clock.today()
    if number in (today.strftime("%Y%m%d"), today.strftime("%d%m%Y")):
        raise errors.NumberInvalid(
            number=number, reason_fr="ce n'est pas un numéro, c'est la date du jour.",
            reason_en="this is today's date, not an invoice number.")
    return number


def check_number_unused(supplier: Structure, number: str, year: int,
                        exclude: int | None = None, taken_numbers: set | None = None) -> None:
    """`taken_numbers`: the numbers of `year` the supplier already used, when the caller (a
    batch) fetched them at once."""
    if taken_numbers is not None:
        if number in taken_numbers:
            raise errors.NumberAlreadyUsed(number=number, year=year)
        return
    taken = Invoice.objects.filter(supplier=supplier, number=number, number_year=year).exclude(
        status__in=[Status.BROUILLON, Status.SUPPRIMEE])
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise errors.NumberAlreadyUsed(number=number, year=year)


#: A line's designation (BT-153) is kept whole, never cut; beyond this length it is refused
#: (the readable PDF still lays it out, over several pages if need be).
MAX_DESIGNATION = 8000


def amounts(data: InvoiceData) -> tuple[list[VatLineData], Totals]:
    """The VAT lines and totals of the invoice: as given, computed where not given."""
    check_line_bounds(data)
    vat_lines = data.vat_lines if data.vat_lines is not None else data.computed_vat_lines()
    totals = data.totals or replace(data, vat_lines=vat_lines).computed_totals()
    check_bounds(vat_lines, totals)
    return vat_lines, totals


def _too_large(amount) -> bool:
    return abs(Decimal(amount)) >= MAX_AMOUNT


def check_line_bounds(data: InvoiceData) -> None:
    """Every figure of a line, and its total, fits decimal(19,6) (as Chorus Pro stores them):
    each figure sent may fit while their product does not (a quantity of 10^12 at 10^4
    euros), or a file may give a price of 19 digits (the French rules allow them). Refused,
    never cut: the stored amount would not be the one given, and a database would refuse the
    row or, SQLite, keep a value it cannot read back. Checked before any total is computed
    from them (the cents' rounding cannot hold more than 28 digits)."""
    for index, line in enumerate(data.lines, start=1):
        figures = [("quantité", "quantity", line.quantity),
                   ("prix unitaire", "unit price", line.unit_price),
                   ("remise", "discount", line.discount)]
        if line.total_ht is not None:
            figures.append(("montant HT", "amount", line.total_ht))
        else:  # unrounded: its magnitude is all that counts here
            figures.append(("quantité × prix − remise", "quantity × price − discount",
                            Decimal(line.quantity) * Decimal(line.unit_price)
                            - Decimal(line.discount or 0)))
        for label_fr, label_en, amount in figures:
            if amount is not None and _too_large(amount):
                raise errors.AmountTooLarge(
                    detail_fr=f"ligne {index}, {label_fr} de {Decimal(amount):f}",
                    detail_en=f"line {index}, {label_en} of {Decimal(amount):f}")


def check_bounds(vat_lines: list[VatLineData], totals: Totals) -> None:
    """The VAT breakdown and the totals fit decimal(19,6) too (check_line_bounds)."""
    named = [(f"base HT à {v.rate} %", f"base at {v.rate} %", v.base_ht) for v in vat_lines]
    named += [(f"TVA à {v.rate} %", f"VAT at {v.rate} %", v.amount) for v in vat_lines]
    named += [("total HT", "total without VAT", totals.total_ht),
              ("total TVA", "total VAT", totals.total_tva),
              ("total TTC", "total with VAT", totals.total_ttc),
              ("montant à payer", "amount due", totals.amount_due)]
    for label_fr, label_en, amount in named:
        if _too_large(amount):
            raise errors.AmountTooLarge(detail_fr=f"{label_fr} de {Decimal(amount):f}",
                                        detail_en=f"{label_en} of {Decimal(amount):f}")


def check_amounts(data: InvoiceData) -> tuple[list[VatLineData], Totals]:
    """Lines, VAT breakdown and totals agree (to the cent). Computed where not given."""
    if not data.lines:
        raise errors.LinesMissing()
    check_line_bounds(data)
    for index, line in enumerate(data.lines, start=1):
        if not (line.designation or "").strip():
            raise errors.LineInvalid(line=index, detail_fr="la désignation est obligatoire.",
                                     detail_en="the designation is required.")
        if len(line.designation) > MAX_DESIGNATION:
            raise errors.LineInvalid(
                line=index,
                detail_fr=f"désignation de plus de {MAX_DESIGNATION} caractères.",
                detail_en=f"designation longer than {MAX_DESIGNATION} characters.")
        if Decimal(line.vat_rate) < 0 or Decimal(line.vat_rate) > 100:
            raise errors.LineInvalid(line=index, detail_fr="taux de TVA hors de 0 à 100 %.",
                                     detail_en="VAT rate outside 0 to 100 %.")
        if line.total_ht is not None and abs(line.total_ht - line.computed_total()) > CENT:
            raise errors.LineInvalid(
                line=index,
                detail_fr=f"quantité × prix − remise = {line.computed_total()}, "
                          f"montant indiqué {line.total_ht}.",
                detail_en=f"quantity × price − discount = {line.computed_total()}, "
                          f"amount given {line.total_ht}.")
    vat_lines = data.vat_lines if data.vat_lines is not None else data.computed_vat_lines()
    expected = replace(data, vat_lines=vat_lines).computed_totals()
    totals = data.totals or expected
    check_bounds(vat_lines, totals)
    check_bounds(vat_lines, expected)
    for name, label_fr, label_en in (("total_ht", "total HT", "total without VAT"),
                                     ("total_tva", "total TVA", "total VAT"),
                                     ("total_ttc", "total TTC", "total with VAT")):
        given, computed = getattr(totals, name), getattr(expected, name)
        if abs(Decimal(given) - computed) > CENT:
            raise errors.AmountsInconsistent(
                detail_fr=f"{label_fr} indiqué {given}, calculé {computed}.",
                detail_en=f"{label_en} given {given}, computed {computed}.")
    if totals.amount_due > totals.total_ttc + CENT:
        raise errors.AmountsInconsistent(
            detail_fr=f"montant à payer {totals.amount_due} supérieur au TTC "
                      f"{totals.total_ttc}.",
            detail_en=f"amount due {totals.amount_due} above the total {totals.total_ttc}.")
    return vat_lines, totals


def check_payment(supplier: Structure, data: InvoiceData) -> BankAccount | None:
    if data.type_facture == TypeFacture.AVOIR:
        if data.bank_account_id:
            raise errors.CreditNotePaymentMode()
        return None
    account = None
    if data.bank_account_id:
        account = once_per_batch(("bank_account", supplier.pk, data.bank_account_id),
                          lambda: BankAccount.objects.filter(
                              pk=data.bank_account_id, structure=supplier,
                              is_active=True).first())
        if account is None:
            raise errors.BankAccountInvalid()
    if data.payment_mode == ModePaiement.VIREMENT and account is None:
        raise errors.BankAccountRequired()
    return account


def check_validator(data: InvoiceData, supplier: Structure, recipient: Structure):
    if not Cadre.needs_validator(data.cadre):
        return None, None
    if not data.validator_identifier:
        raise errors.ValidatorRequired(cadre=Cadre.short(data.cadre))
    validator = find_structure(data.validator_identifier)
    if validator is None or not validator.is_active:
        raise errors.ValidatorUnknown(identifier=data.validator_identifier)
    if validator.pk in (supplier.pk, recipient.pk):
        raise errors.ValidatorNotAllowed()
    service = None
    if data.validator_service_code:
        service = validator.services.current().filter(code=data.validator_service_code).first()
        if service is None:
            raise errors.ServiceUnknown(code=data.validator_service_code,
                                        recipient=validator.company_name)
    return validator, service


def _check_document_data(data: InvoiceData) -> None:
    check_cadre(data)
    check_date(data)
    check_origin(data)
    if len(data.comment or "") > 2000:
        raise errors.ReasonTooLong(limit=2000)


def check_cadre(data: InvoiceData) -> None:
    if data.cadre not in DEPOSIT_CADRES:
        raise errors.CadreNotAllowed(cadre=data.cadre)


def check_date(data: InvoiceData) -> None:
    if data.invoice_date is None:
        raise errors.DateMissing()
    if data.invoice_date > clock.today():
        raise errors.DateInFuture(date=data.invoice_date.strftime("%d/%m/%Y"),
                                  today=clock.today().strftime("%d/%m/%Y"))


def check_origin(data: InvoiceData) -> None:
    """An invoice's origin (BT-25) is a credit note's business only, and a credit note's
    duty."""
    if data.type_facture == TypeFacture.AVOIR and not data.original_invoice_number:
        raise errors.CreditNoteOriginMissing()
    if data.type_facture != TypeFacture.AVOIR and data.original_invoice_number:
        raise errors.OriginOnlyForCreditNote()


# --- Files ----------------------------------------------------------------------------------


def check_attachment(name: str, size: int) -> None:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if len(name) > MAX_ATTACHMENT_NAME:
        raise errors.AttachmentRefused(
            name=name[:60], reason_fr="le nom dépasse 50 caractères (extension comprise).",
            reason_en="the name is longer than 50 characters (extension included).")
    if extension not in ATTACHMENT_EXTENSIONS:
        raise errors.AttachmentRefused(
            name=name, reason_fr=f"l'extension « .{extension} » n'est pas admise.",
            reason_en=f"extension “.{extension}” is not allowed.")
    if size > MAX_ATTACHMENT:
        raise errors.AttachmentRefused(name=name, reason_fr="le fichier dépasse 10 Mo.",
                                       reason_en="the file is larger than 10 MB.")
    if size == 0:
        raise errors.AttachmentRefused(name=name, reason_fr="le fichier est vide.",
                                       reason_en="the file is empty.")


def _store_attachments(invoice: Invoice, attachments, actor, status: str = "") -> None:
    """`attachments`: (name, bytes) pairs. Limits per file and for the whole dossier."""
    attachments = list(attachments or [])
    for name, content in attachments:
        check_attachment(name, len(content))
        if name.lower().endswith(".pdf"):
            check_pdf(name, content, attachment=True)
    existing = sum(a.size for a in invoice.attachments.all())
    main = 0
    if invoice.main_file_sha256:
        from choeur.core.models import Blob

        main = Blob.objects.filter(pk=invoice.main_file_sha256).values_list(
            "size", flat=True).first() or 0
    total = existing + main + sum(len(content) for _, content in attachments)
    if total > MAX_DOSSIER:
        raise errors.AttachmentsTooLarge(size=round(total / 1024 / 1024, 1))
    for name, content in attachments:
        blob = storage.put(content)
        attachment = Attachment.objects.create(
            invoice=invoice, sha256=blob.sha256, name=name, size=len(content),
            added_at=clock.now(), added_by=lifecycle.acting_user(actor),
            added_with_status=status)
        records.attachment_added(invoice, attachment)


# --- Deposit ------------------------------------------------------------------------------


def fill(invoice: Invoice, data: InvoiceData, totals: Totals) -> None:
    """Copy the invoice's own data onto the row (a draft's save, a batch's deposit)."""
    for field in ("cadre", "type_facture", "number", "invoice_date", "currency", "type_tva",
                  "vat_exemption_reason", "marche_number", "engagement_number",
                  "original_invoice_number", "payment_mode", "comment"):
        setattr(invoice, field, getattr(data, field) or ("" if field != "invoice_date"
                                                          else None))
    invoice.number = (data.number or "").strip()
    invoice.total_ht, invoice.total_tva = totals.total_ht, totals.total_tva
    invoice.total_ttc, invoice.amount_due = totals.total_ttc, totals.amount_due


def line_rows(invoice: Invoice, data: InvoiceData, vat_lines) -> tuple[list, list]:
    """The invoice's lines and VAT lines as unsaved rows."""
    lines = [
        InvoiceLine(invoice=invoice, number=index, reference=line.reference[:50],
                    designation=line.designation, quantity=line.quantity,
                    unit=line.unit[:20], unit_price=line.unit_price, discount=line.discount,
                    vat_rate=line.vat_rate, vat_category=line.vat_category or "S",
                    total_ht=line.total_ht if line.total_ht is not None
                    else line.computed_total())
        for index, line in enumerate(data.lines, start=1)]
    vats = [VatLine(invoice=invoice, rate=v.rate, category=v.category, base_ht=v.base_ht,
                    amount=v.amount) for v in vat_lines]
    return lines, vats


def _write(invoice: Invoice, data: InvoiceData, vat_lines) -> None:
    invoice.lines.all().delete()
    invoice.vat_lines.all().delete()
    lines, vats = line_rows(invoice, data, vat_lines)
    InvoiceLine.objects.bulk_create(lines)
    VatLine.objects.bulk_create(vats)


def _supplier_service(actor, supplier: Structure, service_id) -> Service | None:
    if not service_id:
        if permissions.services_of(actor, supplier) is not None:
            # Limited to some services: an invoice of the whole structure would be out of
            # the user's own sight once sent.
            raise errors.SupplierServiceRequired()
        return None
    service = supplier.services.filter(pk=service_id).first()
    if service is None or not _in_scope(actor, supplier, service):
        raise PermissionRefused()
    return service


def create_piece(actor, supplier: Structure, recipient: Structure, data: InvoiceData, *,
                 recipient_service: Service | None, mode_depot: str, number_year: int,
                 bank_account: BankAccount | None = None) -> Invoice:
    """A works piece's invoice (FACTURE_TRAVAUX), as a draft, from data already checked: the
    caller (`travaux.services`) has established the actor's right to deposit it — the
    supplier, its maître d'œuvre or its maître d'ouvrage — which `save_draft`'s supplier
    checks would refuse to the last two."""
    vat_lines, totals = check_amounts(data)
    invoice = Invoice(supplier=supplier, recipient=recipient, recipient_service=recipient_service,
                      created_by=lifecycle.acting_user(actor), mode_depot=mode_depot,
                      number_year=number_year, created_at=clock.now(),
                      type_demande_paiement=TypeDemandePaiement.FACTURE_TRAVAUX,
                      bank_account=bank_account)
    fill(invoice, data, totals)
    invoice.updated_at = clock.now()
    invoice.save()
    _write(invoice, data, vat_lines)
    return invoice


def save_draft(actor, supplier: Structure, data: InvoiceData, *, mode_depot: str,
               document: tuple[str, bytes] | None = None, attachments=(),
               invoice: Invoice | None = None) -> Invoice:
    """Create or update a BROUILLON ("Enregistrer"). Only what a draft needs is checked:
    the rest is checked when it is sent."""
    permissions.require_espace(actor, supplier, Espace.FACTURES_EMISES, modify=True)
    permissions.require_active(supplier)
    if invoice is None:
        invoice = Invoice(supplier=supplier, created_by=lifecycle.acting_user(actor),
                          mode_depot=mode_depot, number_year=clock.today().year,
                          created_at=clock.now())
    else:
        invoice = Invoice.objects.select_for_update(of=("self",)).get(pk=invoice.pk)
        require_supplier_rights(actor, invoice)
        if invoice.status != Status.BROUILLON:
            raise errors.NotADraft()
    if not (data.recipient_identifier or "").strip():
        raise errors.RecipientIdentifierMissing()
    recipient = find_structure(data.recipient_identifier)
    if recipient is None or not recipient.is_public:
        raise errors.RecipientUnknown(identifier=data.recipient_identifier)
    if data.number:
        check_number(data.number)
    invoice.recipient = recipient
    invoice.recipient_service = resolve_service(recipient, data.recipient_service_code)
    invoice.supplier_service = _supplier_service(actor, supplier, data.supplier_service_id)
    validator = find_structure(data.validator_identifier) if Cadre.needs_validator(
        data.cadre) else None
    invoice.validator = validator
    invoice.validator_service = (validator.services.filter(
        code=data.validator_service_code).first()
        if validator and data.validator_service_code else None)
    vat_lines, totals = amounts(data)
    fill(invoice, data, totals)
    invoice.bank_account = (BankAccount.objects.filter(
        pk=data.bank_account_id, structure=supplier, is_active=True).first()
        if data.bank_account_id else None)
    invoice.updated_at = clock.now()
    invoice.save()
    _write(invoice, data, vat_lines)  # the draft is what was keyed, lines included
    if document is not None:
        name, content = document
        # Every channel goes through here: what the recipient receives is always a PDF it
        # can open.
        check_pdf(name, content)
        blob = storage.put(content, content_type="application/pdf")
        invoice.main_file_sha256, invoice.main_file_name = blob.sha256, name[:200]
        invoice.save(update_fields=["main_file_sha256", "main_file_name"])
    _store_attachments(invoice, attachments, actor)
    audit.record(actor, "invoice.draft_saved", invoice, number=invoice.number)
    return invoice


def data_of(invoice: Invoice) -> InvoiceData:
    """The InvoiceData of a saved invoice (to check or send a draft)."""
    return InvoiceData(
        cadre=invoice.cadre, recipient_identifier=invoice.recipient.identifier,
        recipient_service_code=invoice.recipient_service.code
        if invoice.recipient_service else "",
        supplier_service_id=invoice.supplier_service_id,
        validator_identifier=invoice.validator.identifier if invoice.validator else "",
        validator_service_code=invoice.validator_service.code
        if invoice.validator_service else "",
        type_facture=invoice.type_facture, number=invoice.number,
        invoice_date=invoice.invoice_date, currency=invoice.currency,
        type_tva=invoice.type_tva, vat_exemption_reason=invoice.vat_exemption_reason,
        marche_number=invoice.marche_number, engagement_number=invoice.engagement_number,
        original_invoice_number=invoice.original_invoice_number,
        payment_mode=invoice.payment_mode, bank_account_id=invoice.bank_account_id,
        comment=invoice.comment,
        lines=[LineData(designation=line.designation, quantity=line.quantity,
                        unit_price=line.unit_price, vat_rate=line.vat_rate,
                        discount=line.discount, unit=line.unit, reference=line.reference,
                        vat_category=line.vat_category, total_ht=line.total_ht)
               for line in invoice.lines.all()],
        vat_lines=[VatLineData(rate=v.rate, base_ht=v.base_ht, amount=v.amount,
                               category=v.category) for v in invoice.vat_lines.all()],
        totals=Totals(invoice.total_ht, invoice.total_tva, invoice.total_ttc,
                      invoice.amount_due))


def check_sendable(supplier: Structure, data: InvoiceData, exclude=None,
                   taken_numbers: set | None = None):
    """Every platform check of a sending (reference §4.4), in the order a user fixes them;
    writes nothing (also the structured deposit's "check without sending"). Returns the
    number, recipient, service, validator and validator's service it resolved."""
    _check_document_data(data)
    number = check_number(data.number)
    recipient = resolve_recipient(data.recipient_identifier)
    service = resolve_service(recipient, data.recipient_service_code)
    check_routing(supplier, recipient, service, data.engagement_number)
    check_amounts(data)
    check_payment(supplier, data)
    validator, validator_service = check_validator(data, supplier, recipient)
    check_number_unused(supplier, number, clock.today().year, exclude=exclude,
                        taken_numbers=taken_numbers)
    return number, recipient, service, validator, validator_service


def send(actor, invoice: Invoice) -> Invoice:
    """"Valider et envoyer": every platform check, then BROUILLON → DEPOSEE (routed by a task
    after commit) or → A_VALIDER_1 for the cadres with a validator."""
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related(
        "supplier", "recipient").get(pk=invoice.pk)
    require_supplier_rights(actor, invoice)
    if invoice.status != Status.BROUILLON:
        raise errors.NotADraft()
    supplier = invoice.supplier
    if not supplier.is_active:
        raise errors.SupplierInactive(identifier=supplier.identifier)
    number, recipient, service, validator, validator_service = check_sendable(
        supplier, data_of(invoice), exclude=invoice.pk)
    now = clock.now()
    year = clock.today().year
    generated = invoice.mode_depot in (ModeDepot.SAISIE_PORTAIL, ModeDepot.SAISIE_API)
    if not generated and not invoice.main_file_sha256 and not invoice.xml_sha256:
        raise errors.DocumentMissing()
    Invoice.objects.filter(pk=invoice.pk).update(
        number_year=year, deposited_at=now, recipient=recipient, recipient_service=service,
        validator=validator, validator_service=validator_service)
    invoice.number_year, invoice.deposited_at = year, now
    invoice.recipient, invoice.recipient_service = recipient, service
    invoice.validator, invoice.validator_service = validator, validator_service
    if generated:
        if supplier.identifier_type != "UE_HORS_FRANCE" and not supplier.vat_number.strip() \
                and any(line.vat_category == "S" for line in invoice.lines.all()):
            # BR-S-02: the Factur-X Choeur writes must carry the seller's VAT number.
            raise errors.SellerVatNumberRequired(identifier=supplier.identifier)
        generate_document(invoice)
    # The certificat de dépôt (and a UBL/CII file's PDF rendering) are made by the routing
    # task, or at first need before it: see deposit_documents.py.
    target = Status.A_VALIDER_1 if validator is not None else Status.DEPOSEE
    changes = {}
    if validator is not None:
        changes["validation_due_at"] = now + VALIDATION_DELAY
        invoice.validation_due_at = changes["validation_due_at"]
    try:
        with transaction.atomic():  # the unique constraint is the last word on the number
            lifecycle.transition(invoice, target, actor=actor, role=Role.SUPPLIER, **changes)
    except IntegrityError:
        raise errors.NumberAlreadyUsed(number=number, year=year) from None
    audit.record(actor, "invoice.sent", invoice, number=invoice.number, status=target)
    if target == Status.DEPOSEE:
        enqueue_routing(invoice)
    return invoice


def generate_document(invoice: Invoice, *, sections=()) -> None:
    """Saisie: Choeur writes the Factur-X PDF on the supplier's behalf; it must pass Choeur's
    own validation (a failure here is Choeur's bug, never the supplier's). `sections`: blocks
    the caller adds to the readable page (`formats.writers.PageSection`; a works piece's
    dossier, place and amounts, from travaux.document)."""
    from choeur import formats
    from choeur.invoicing import documents

    pdf = documents.render_facturx(invoice, sections=sections)
    report = formats.validate(pdf)
    if not report.valid:
        raise errors.GeneratedInvoiceInvalid(rules=", ".join(report.failed_rules)[:300])
    blob = storage.put(pdf, content_type="application/pdf")
    xml = storage.put(report.xml, content_type="application/xml")
    invoice.main_file_sha256, invoice.xml_sha256 = blob.sha256, xml.sha256
    invoice.main_file_name = f"{invoice.number}.pdf".replace("/", "-")
    invoice.syntax, invoice.profile = "CII", report.profile
    invoice.save(update_fields=["main_file_sha256", "xml_sha256", "main_file_name", "syntax",
                                "profile"])


def keep_original(actor, invoice: Invoice, name: str, content: bytes) -> None:
    """A works piece of the MOE or MOA deposited as a file: its data and its document are
    written from what Choeur holds (the dossier's supplier, its bank account), and the file as
    deposited is kept beside them, an attachment (house rule 4: the original is kept)."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else "xml"
    short = f"original-{invoice.pk}.{extension}"
    _store_attachments(invoice, [(short, content)], actor, status=invoice.status)


def use_own_document(actor, invoice: Invoice, name: str, content: bytes) -> None:
    """A works piece keyed by its MOE or MOA with its own PDF: that PDF becomes the piece's
    document (checked as any deposited PDF), the one Choeur wrote (`generate_document`: the
    dossier, the piece's place, the amounts) is kept beside it as an attachment, and the
    structured data stay the keyed ones."""
    check_pdf(name, content)
    generated, generated_name = invoice.main_file_sha256, invoice.main_file_name
    blob = storage.put(content, content_type="application/pdf")
    invoice.main_file_sha256, invoice.main_file_name = blob.sha256, name[:200]
    invoice.mode_depot = ModeDepot.DEPOT_PDF_PORTAIL
    invoice.save(update_fields=["main_file_sha256", "main_file_name", "mode_depot"])
    if generated:
        from choeur.core.models import Blob

        size = Blob.objects.filter(pk=generated).values_list("size", flat=True).first() or 0
        attachment = Attachment.objects.create(
            invoice=invoice, sha256=generated, name=f"choeur-{generated_name}"[:200],
            size=size, added_at=clock.now(), added_by=lifecycle.acting_user(actor),
            added_with_status=invoice.status)
        records.attachment_added(invoice, attachment)
    records.document_changed(invoice)


def enqueue_routing(invoice: Invoice) -> None:
    # The database queue commits the task with the transaction: a rollback routes nothing.
    queue.enqueue("invoicing.route_invoice", invoice.pk)


def deposit(actor, supplier: Structure, data: InvoiceData, *, mode_depot: str,
            document: tuple[str, bytes] | None = None, attachments=()) -> Invoice:
    """Save and send in one step (the portal's "Envoyer" without a prior save, the API)."""
    invoice = save_draft(actor, supplier, data, mode_depot=mode_depot, document=document,
                         attachments=attachments)
    return send(actor, invoice)


def delete_draft(actor, invoice: Invoice) -> Invoice:
    invoice = Invoice.objects.select_for_update(of=("self",)).get(pk=invoice.pk)
    require_supplier_rights(actor, invoice)
    lifecycle.transition(invoice, Status.SUPPRIMEE, actor=actor, role=Role.SUPPLIER)
    audit.record(actor, "invoice.deleted", invoice, number=invoice.number)
    return invoice


def remove_attachment(actor, invoice: Invoice, attachment_id) -> Invoice:
    """A draft's attachment taken back before sending (once sent, the dossier is fixed)."""
    invoice = Invoice.objects.select_for_update(of=("self",)).get(pk=invoice.pk)
    require_supplier_rights(actor, invoice)
    if invoice.status != Status.BROUILLON:
        raise errors.NotADraft()
    try:
        attachment = invoice.attachments.get(pk=int(attachment_id))
    except (ValueError, TypeError, Attachment.DoesNotExist):
        raise NotFound(object_label="Pièce jointe") from None
    attachment.delete()  # the blob stays: content-addressed, it may be shared
    audit.record(actor, "invoice.attachment_removed", invoice, name=attachment.name)
    return invoice


# --- Routing (a task after commit) -------------------------------------------------------------


def route(invoice_id: int) -> Invoice | None:
    """DEPOSEE → EN_COURS_ACHEMINEMENT → MISE_A_DISPOSITION of the recipient. Idempotent: an
    invoice already routed (a task run twice) is left alone."""
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related(
        "supplier", "recipient", "recipient_service").filter(pk=invoice_id).first()
    if invoice is None or invoice.status != Status.DEPOSEE:
        return invoice
    lifecycle.transition(invoice, Status.EN_COURS_ACHEMINEMENT, role=Role.SYSTEM)
    lifecycle.transition(invoice, Status.MISE_A_DISPOSITION, role=Role.SYSTEM)
    return invoice


def route_many(invoice_ids: list[int], certificates: dict[int, bytes] | None = None
               ) -> list[Invoice]:
    """`route` for a batch (a flux's invoices, in the caller's transaction): the invoices
    still DEPOSEE are locked, given their certificat de dépôt when they have none
    (`certificates`: {pk: PDF bytes} rendered by the caller outside the transaction,
    `deposit_documents.render_certificates`), and moved DEPOSEE → EN_COURS_ACHEMINEMENT →
    MISE_A_DISPOSITION together (`lifecycle.transition_many`): per invoice the same history
    rows, ledger entries, notifications and webhooks as `route`, in some thirty statements
    for the batch. Idempotent: an invoice already routed, or gone, is left alone."""
    from django.db.models import Prefetch

    from choeur.invoicing import deposit_documents

    invoices = list(Invoice.objects.select_for_update(of=("self",)).select_related(
        "supplier", "recipient", "recipient_service", "supplier_service", "validator",
        "validator2").prefetch_related(Prefetch(
            "history", queryset=StatusChange.objects.only("invoice_id", "status", "at"))
        ).filter(pk__in=invoice_ids, status=Status.DEPOSEE).order_by("pk"))
    if not invoices:
        return []
    deposit_documents.keep_certificates(invoices, certificates or {})
    from choeur.messaging.services import emails_grouped

    with cached_lookups(), emails_grouped():  # a recipient hears once of the batch by e-mail
        lifecycle.transition_many(invoices, Status.EN_COURS_ACHEMINEMENT, role=Role.SYSTEM)
        lifecycle.transition_many(invoices, Status.MISE_A_DISPOSITION, role=Role.SYSTEM)
    return invoices


#: An invoice still DEPOSEE this long after its deposit, whose routing no task holds any more
#: (a worker killed in the middle, a routing that failed), lost its routing: the worker's
#: timers queue it again.
ROUTING_OVERDUE = timedelta(minutes=15)
#: ... at most this many times (five minutes apart); a routing that fails every time needs a
#: person (each failure is logged with its traceback, each new attempt in the audit log).
ROUTING_RETRIES = 5
ROUTING_REQUEUED = "invoice.routing_requeued"


def requeue_lost_routings(limit: int = 2000) -> int:
    """Queue again the routing of the invoices that lost it (`ROUTING_OVERDUE`), at most
    `limit` per run; run by the worker's timers. An invoice whose routing task still waits in
    the queue, or runs since less than `ROUTING_OVERDUE` (under a flux overload the routing
    waits behind the integrations), is not lost: it is left alone. `route` is idempotent."""
    import logging

    from django.db.models import Count

    from choeur.core.models import AuditEvent

    overdue = Invoice.objects.filter(
        status=Status.DEPOSEE, status_changed_at__lt=clock.now() - ROUTING_OVERDUE,
    ).order_by("status_changed_at", "pk").values_list("pk", flat=True)
    candidates = list(overdue[:limit * 2])
    if not candidates:
        return 0  # the usual answer, from one small index
    held = _invoices_held_by_routing_tasks()
    candidates = [pk for pk in candidates if pk not in held]
    tried = dict(AuditEvent.objects.filter(
        object_type=Invoice._meta.label_lower, action=ROUTING_REQUEUED,
        object_id__in=[str(pk) for pk in candidates],
    ).order_by().values("object_id").annotate(n=Count("id")).values_list("object_id", "n"))
    lost = [pk for pk in candidates if tried.get(str(pk), 0) < ROUTING_RETRIES][:limit]
    if not lost:
        return 0
    with transaction.atomic():
        invoices = list(Invoice.objects.filter(pk__in=lost).order_by("pk"))
        audit.record_many(None, ROUTING_REQUEUED, invoices, lambda invoice: {
            "attempt": tried.get(str(invoice.pk), 0) + 1})
        for start in range(0, len(lost), 500):
            queue.enqueue("invoicing.route_invoices", lost[start:start + 500])
    logging.getLogger("choeur.invoicing").warning(
        "routing queued again for %s invoice(s) left DEPOSEE: %s", len(lost), lost[:20])
    return len(lost)


def _invoices_held_by_routing_tasks() -> set[int]:
    """The invoices a routing task waiting in the queue, or running since less than
    `ROUTING_OVERDUE` (a task running longer has lost its worker), will route."""
    from django.db.models import Q
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    live = DBTaskResult.objects.filter(
        Q(status=TaskResultStatus.READY) | Q(status=TaskResultStatus.RUNNING,
                                             started_at__gt=clock.wall_now() - ROUTING_OVERDUE),
        task_path__in=[queue.get("invoicing.route_invoice").module_path,
                       queue.get("invoicing.route_invoices").module_path])
    held: set[int] = set()
    for call in live.values_list("args_kwargs", flat=True):
        for value in [*call.get("args", []), *call.get("kwargs", {}).values()]:
            held.update(value if isinstance(value, list) else [value])
    return held


# --- Recipient ------------------------------------------------------------------------------


def process(actor, invoice: Invoice, target: str, comment: str = "",
            mandate_number: str = "") -> Invoice:
    """`traiterFactureRecue`: the recipient sets a processing status."""
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related(
        "supplier", "recipient").get(pk=invoice.pk)
    require_recipient_rights(actor, invoice)
    return apply_processing(actor, invoice, target, comment, mandate_number)


def apply_processing(actor, invoice: Invoice, target: str, comment: str = "",
                     mandate_number: str = "") -> Invoice:
    """What `process` does once the actor's right to act for the recipient is established,
    on an invoice the caller has locked: also the recipient simulator of a qualification
    instance (qualification.simulator), which plays the recipient without being one of its
    users, so that its decisions have the same history, notifications and webhooks."""
    changes = {}
    if target == Status.MANDATEE:
        mandate_number = (mandate_number or "").strip()
        if not mandate_number:
            raise errors.MandateNumberRequired()
        changes["mandate_number"] = mandate_number[:50]
    if target in (Status.REJETEE, Status.SUSPENDUE):
        changes["acknowledged"] = False
    lifecycle.transition(invoice, target, actor=actor, role=Role.RECIPIENT, comment=comment,
                         **changes)
    audit.record(actor, "invoice.processed", invoice, status=target)
    return invoice


def mark_downloaded(actor, invoices) -> None:
    """The recipient downloaded invoices: flag them and log the user action."""
    now = clock.now()
    for invoice in invoices:
        require_recipient_rights(actor, invoice, modify=False)
        Invoice.objects.filter(pk=invoice.pk).update(downloaded_by_recipient=True)
        records.event(InvoiceEvent.objects.create(
            invoice=invoice, code=InvoiceEvent.Code.TELECHARGEMENT_FACTURE, at=now,
            actor=lifecycle.acting_user(actor), actor_label=lifecycle.actor_label(actor)))


# --- Supplier answers -----------------------------------------------------------------------


def recycle(actor, invoice: Invoice, recipient_identifier: str, service_code: str = "",
            engagement_number: str = "", comment: str = "") -> Invoice:
    """`recyclerFacture`: new routing data for an invoice A_RECYCLER, routed again."""
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related(
        "supplier").get(pk=invoice.pk)
    require_supplier_rights(actor, invoice)
    if invoice.status != Status.A_RECYCLER:
        raise errors.TransitionRefused(current=Status(invoice.status).label,
                                       target=Status.DEPOSEE.label)
    recipient = resolve_recipient(recipient_identifier)
    service = resolve_service(recipient, service_code)
    engagement_number = (engagement_number or "").strip()[:50]
    check_routing(invoice.supplier, recipient, service, engagement_number)
    lifecycle.transition(invoice, Status.DEPOSEE, actor=actor, role=Role.SUPPLIER,
                         comment=comment, recipient=recipient, recipient_service=service,
                         engagement_number=engagement_number, downloaded_by_recipient=False)
    audit.record(actor, "invoice.recycled", invoice, recipient=recipient.identifier,
                 service=service.code if service else "")
    enqueue_routing(invoice)
    return invoice


def complete(actor, invoice: Invoice, comment: str = "", attachments=()) -> Invoice:
    """`completerFacture`: answer a suspension with attachments and/or a comment."""
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related(
        "supplier", "recipient").get(pk=invoice.pk)
    require_supplier_rights(actor, invoice)
    if invoice.status != Status.SUSPENDUE:
        raise errors.TransitionRefused(current=Status(invoice.status).label,
                                       target=Status.COMPLETEE.label)
    attachments = list(attachments or [])
    if not attachments and not (comment or "").strip():
        raise errors.ReasonRequired(target=Status.COMPLETEE.label)
    _store_attachments(invoice, attachments, actor, status=Status.COMPLETEE)
    lifecycle.transition(invoice, Status.COMPLETEE, actor=actor, role=Role.SUPPLIER,
                         comment=comment, acknowledged=True)
    audit.record(actor, "invoice.completed", invoice, attachments=len(attachments))
    return invoice


def acknowledge(actor, invoice: Invoice) -> Invoice:
    """Acquitter a rejection or a suspension (pop-up at login; compulsory after 7 days)."""
    invoice = Invoice.objects.select_for_update(of=("self",)).get(pk=invoice.pk)
    require_supplier_rights(actor, invoice)
    if invoice.status == Status.REJETEE:
        code = InvoiceEvent.Code.ACQUITTEMENT_REJET
        changes = {"acknowledged": True, "rejet_traite": True}
    elif invoice.status == Status.SUSPENDUE:
        code = InvoiceEvent.Code.ACQUITTEMENT_SUSPENSION
        changes = {"acknowledged": True}
    else:
        raise errors.NothingToAcknowledge()
    if invoice.acknowledged:
        return invoice  # a double click acknowledges once
    Invoice.objects.filter(pk=invoice.pk).update(**changes)
    for field, value in changes.items():
        setattr(invoice, field, value)
    records.event(InvoiceEvent.objects.create(
        invoice=invoice, code=code, at=clock.now(), actor=lifecycle.acting_user(actor),
        actor_label=lifecycle.actor_label(actor)))
    return invoice


def acknowledge_all(actor) -> int:
    """"Tout acquitter": every rejection and suspension the user may acknowledge, at once."""
    done = 0
    for invoice in pending_acknowledgements(actor).order_by("pk"):
        acknowledge(actor, invoice)
        done += 1
    return done


ACKNOWLEDGEMENT_DELAY = timedelta(days=7)


def pending_acknowledgements(user):
    """Rejections and suspensions the user's structures have not acknowledged (the login
    pop-up); those older than 7 days must be acknowledged before anything else."""
    from choeur.invoicing import queries

    # Only where the user may act: the pop-up asks for an action the user must be able to do.
    acting = [structure for structure in permissions.visible_structures(user)
              if permissions.can_modify(user, structure, Espace.FACTURES_EMISES)]
    return queries.issued_invoices(user).filter(
        supplier__in=acting, status__in=[Status.REJETEE, Status.SUSPENDUE], acknowledged=False)


def acknowledgement_overdue(invoice: Invoice) -> bool:
    return clock.now() - invoice.status_changed_at > ACKNOWLEDGEMENT_DELAY


# --- Validators (A9, A12) ----------------------------------------------------------------------


def _level(invoice: Invoice) -> int:
    if invoice.status == Status.A_VALIDER_1:
        return 1
    if invoice.status == Status.A_VALIDER_2:
        return 2
    raise errors.TransitionRefused(current=Status(invoice.status).label,
                                   target=Status.VALIDEE_1.label)


def _after_validation(invoice: Invoice, actor, level: int) -> None:
    """VALIDEE_n / ABSENCE_VALIDATION_n → the next validator, or DEPOSEE and routing."""
    if level == 1 and invoice.validator2_id:
        lifecycle.transition(invoice, Status.A_VALIDER_2, role=Role.SYSTEM,
                             validation_due_at=clock.now() + VALIDATION_DELAY)
        return
    lifecycle.transition(invoice, Status.DEPOSEE, role=Role.SYSTEM)
    enqueue_routing(invoice)


def validate(actor, invoice: Invoice, comment: str = "") -> Invoice:
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related(
        "supplier", "recipient", "validator").get(pk=invoice.pk)
    level = _level(invoice)
    require_validator_rights(actor, invoice, level)
    target = Status.VALIDEE_1 if level == 1 else Status.VALIDEE_2
    stamp = {"validated_at" if level == 1 else "validated2_at": clock.now()}
    lifecycle.transition(invoice, target, actor=actor, role=Role.VALIDATOR, comment=comment,
                         **stamp)
    audit.record(actor, "invoice.validated", invoice, level=level)
    _after_validation(invoice, actor, level)
    return invoice


def refuse(actor, invoice: Invoice, reason: str) -> Invoice:
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related(
        "supplier", "recipient").get(pk=invoice.pk)
    level = _level(invoice)
    require_validator_rights(actor, invoice, level)
    target = Status.REFUSEE_1 if level == 1 else Status.REFUSEE_2
    lifecycle.transition(invoice, target, actor=actor, role=Role.VALIDATOR, comment=reason)
    audit.record(actor, "invoice.refused", invoice, level=level)
    return invoice


def wrong_validator(actor, invoice: Invoice, comment: str = "") -> Invoice:
    """"Je ne suis pas le bon valideur": back to the supplier (or to the level-1 validator)."""
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related(
        "supplier", "recipient").get(pk=invoice.pk)
    level = _level(invoice)
    require_validator_rights(actor, invoice, level)
    target = (Status.ERREUR_FOURNISSEUR_SUR_VALIDEUR if level == 1
              else Status.ERREUR_COTRAITANT_SUR_VALIDEUR)
    lifecycle.transition(invoice, target, actor=actor, role=Role.VALIDATOR, comment=comment)
    audit.record(actor, "invoice.wrong_validator", invoice, level=level)
    return invoice


def correct_validator(actor, invoice: Invoice, validator_identifier: str,
                      validator_service_code: str = "") -> Invoice:
    """`corrigerValideurFacture`: the supplier names the right validator."""
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related(
        "supplier", "recipient").get(pk=invoice.pk)
    require_supplier_rights(actor, invoice)
    data = replace(data_of(invoice), validator_identifier=validator_identifier,
                   validator_service_code=validator_service_code)
    validator, service = check_validator(data, invoice.supplier, invoice.recipient)
    lifecycle.transition(invoice, Status.A_VALIDER_1, actor=actor, role=Role.SUPPLIER,
                         validator=validator, validator_service=service,
                         validation_due_at=clock.now() + VALIDATION_DELAY)
    audit.record(actor, "invoice.validator_corrected", invoice,
                 validator=validator.identifier)
    return invoice


def apply_tacit_validations(limit: int = 500) -> int:
    """The 15-day silence rule: invoices still A_VALIDER past their due date are validated
    tacitly (ABSENCE_VALIDATION_n_HORS_DELAI) and go on. Run periodically by the worker."""
    now = clock.now()
    due = list(Invoice.objects.filter(
        status__in=[Status.A_VALIDER_1, Status.A_VALIDER_2],
        validation_due_at__lte=now).values_list("pk", flat=True)[:limit])
    done = 0
    for pk in due:
        with transaction.atomic():
            invoice = Invoice.objects.select_for_update(of=("self",)).select_related(
                "supplier", "recipient").get(pk=pk)
            if invoice.status not in (Status.A_VALIDER_1, Status.A_VALIDER_2) or \
                    invoice.validation_due_at is None or invoice.validation_due_at > now:
                continue  # decided meanwhile
            level = 1 if invoice.status == Status.A_VALIDER_1 else 2
            target = (Status.ABSENCE_VALIDATION_1_HORS_DELAI if level == 1
                      else Status.ABSENCE_VALIDATION_2_HORS_DELAI)
            lifecycle.transition(invoice, target, role=Role.SYSTEM)
            _after_validation(invoice, None, level)
            done += 1
    return done


# --- Files deposited ahead of their invoice ------------------------------------------------------

#: An upload no invoice has used is removed this long after it was made (with its blob when
#: nothing else refers to it): `soumettre` follows its `ajouter/fichier` or `deposer/pdf`
#: within seconds, and a day leaves room for a person between the two.
UPLOAD_LIFETIME = timedelta(hours=24)
#: Unused uploads a structure may hold at once (10 MB each at most): a client looping on
#: `ajouter/fichier` fills no disk.
MAX_PENDING_UPLOADS = 500
#: Uploads removed per transaction by the sweep, and transactions per run.
SWEEP_BATCH = 500
SWEEP_BATCHES = 20

MIME_TYPES = {"pdf": "application/pdf", "xml": "application/xml", "csv": "text/csv",
              "txt": "text/plain", "zip": "application/zip", "png": "image/png",
              "jpg": "image/jpeg", "jpeg": "image/jpeg"}


def check_pdf(name: str, content: bytes, *, attachment: bool = False) -> None:
    """A PDF read the way the flux and structured channels read theirs (choeur.formats'
    container reading, pikepdf): one it cannot read (truncated, damaged beyond repair,
    encrypted or password-protected, too complex, no page) is refused with the finding's code
    before anything is stored. The main document gets `DocumentUnreadable`
    (`DocumentNotPdf` when it is no PDF at all), an attachment `AttachmentRefused`."""
    from choeur.formats import pdf as pdf_reader
    from choeur.formats.findings import Severity

    label = name[:60]
    rule, reason_fr, reason_en, hint_fr, hint_en = "", "", "", "", ""
    if not content.startswith(PDF_MAGIC):
        if not attachment:
            raise errors.DocumentNotPdf(name=label)
        rule, reason_fr, reason_en = ("PDF_UNREADABLE", "ce n'est pas un fichier PDF.",
                                      "it is not a PDF file.")
    else:
        result = pdf_reader.extract_invoice(content)
        fatal = next((f for f in result.findings if f.severity == Severity.FATAL), None)
        if fatal is not None:
            rule, reason_fr, reason_en = fatal.rule, fatal.message_fr, fatal.message_en
            hint_fr, hint_en = fatal.hint_fr, fatal.hint_en
        elif result.page_count == 0:  # nothing a recipient could read
            rule, reason_fr, reason_en = ("PDF_UNREADABLE", "le document n'a aucune page.",
                                          "the document has no page.")
    if not rule:
        return
    if attachment:
        raise errors.AttachmentRefused(name=label, reason_fr=f"{reason_fr} [{rule}]",
                                       reason_en=f"{reason_en} [{rule}]")
    raise errors.DocumentUnreadable(name=label, rule=rule, reason_fr=reason_fr,
                                    reason_en=reason_en, hint_fr=hint_fr, hint_en=hint_en)


def _upload_name(name: str, extension: str) -> tuple[str, str]:
    """The stored name and extension of an attachment upload: `pieceJointeExtension` (any
    case, with or without its dot) or the name's; a name without it gets it appended."""
    name = (name or "").strip()
    extension = (extension or "").strip().lstrip(".").lower()
    own = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if not extension:
        extension = own
    if not name:
        raise errors.AttachmentRefused(name="—", reason_fr="le nom du fichier est vide.",
                                       reason_en="the file name is empty.")
    if own != extension:
        if own in ATTACHMENT_EXTENSIONS:
            raise errors.AttachmentRefused(
                name=name[:60],
                reason_fr=f"son extension « .{own} » contredit l'extension déclarée "
                          f"« {extension} ».",
                reason_en=f"its extension “.{own}” contradicts the declared extension "
                          f"“{extension}”.")
        name = f"{name}.{extension}" if extension else name
    return name, extension


def upload_file(actor, supplier: Structure, name: str, content: bytes, *, source: str,
                extension: str = "", content_type: str = ""):
    """A file deposited ahead of the invoice that will carry it (`UploadedFile`):
    `deposer/pdf` and the portal's PDF deposit (the invoice document: a readable PDF), or
    `ajouter/fichier` (any file a pièce jointe may be: Chorus Pro's extensions, 50
    characters, 10 MB; a PDF is read as a PDF). Checked whole before anything is stored;
    only `supplier` can use it, within `UPLOAD_LIFETIME`."""
    from choeur.core.errors import FileTooLarge
    from choeur.invoicing.models import UploadedFile
    from choeur.organisations.models import TechnicalAccount

    permissions.require_espace(actor, supplier, Espace.FACTURES_EMISES, modify=True)
    permissions.require_active(supplier)
    if len(content) > MAX_ATTACHMENT:  # codeRetour 20003 on the wire, as Chorus Pro
        raise FileTooLarge(limit=MAX_ATTACHMENT)
    if source == UploadedFile.Source.AJOUTER_FICHIER:
        name, extension = _upload_name(name, extension)
        check_attachment(name, len(content))
        if extension == "pdf":
            check_pdf(name, content)
    else:
        name = (name or "").strip() or "facture.pdf"
        extension = "pdf"
        check_pdf(name, content)
    now = clock.now()
    pending = UploadedFile.objects.filter(structure=supplier, used_at__isnull=True,
                                          expires_at__gt=now)
    if pending.count() >= MAX_PENDING_UPLOADS:
        raise errors.UploadsTooMany(limit=MAX_PENDING_UPLOADS,
                                    hours=int(UPLOAD_LIFETIME.total_seconds() // 3600))
    content_type = (content_type or "").strip()[:255] or MIME_TYPES.get(extension, "")
    blob = storage.put(content, content_type=content_type, max_size=MAX_ATTACHMENT)
    upload = UploadedFile.objects.create(
        structure=supplier, source=source, sha256=blob.sha256, name=name[:200],
        extension=extension[:10], content_type=content_type, size=len(content),
        is_pdf=extension == "pdf", created_at=now, expires_at=now + UPLOAD_LIFETIME,
        technical_account=actor if isinstance(actor, TechnicalAccount) else None,
        user=lifecycle.acting_user(actor))
    audit.record(actor, "invoicing.file_uploaded", upload, structure=supplier.pk,
                 sha256=blob.sha256, size=len(content), source=source)
    return upload


def uploaded_file(actor, supplier: Structure, upload_id, *, main: bool = False):
    """An upload of `supplier`, locked until the caller's transaction ends, and its bytes:
    (upload, bytes). NotFound for any other id, another structure's included (whose
    existence is not disclosed); `main`: to be the invoice's main piece, which an upload is
    once only. Nothing is marked here: `mark_used` does it once the invoice exists."""
    from choeur.invoicing.models import UploadedFile

    permissions.require_espace(actor, supplier, Espace.FACTURES_EMISES, modify=True)
    try:
        upload = UploadedFile.objects.select_for_update().get(pk=int(upload_id),
                                                              structure=supplier)
    except (UploadedFile.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound(object_label="Pièce jointe") from None
    if main and upload.invoice_id is not None:
        raise errors.UploadAlreadyUsed(upload_id=upload.pk)
    if upload.used_at is None and upload.expires_at <= clock.now():
        raise errors.UploadExpired(upload_id=upload.pk,
                                   hours=int(UPLOAD_LIFETIME.total_seconds() // 3600))
    if main and not upload.is_pdf:
        raise errors.DocumentNotPdf(name=upload.name[:60])
    return upload, storage.read(upload.sha256)


def mark_used(uploads, invoice: Invoice, main=None) -> None:
    """Uploads a deposit used: no longer swept; `main` becomes the invoice's main piece
    (the upload that was, on a draft whose document is replaced, is free again and expires
    as a new one)."""
    from django.db.models.functions import Coalesce

    from choeur.invoicing.models import UploadedFile

    now = clock.now()
    if main is not None:
        UploadedFile.objects.filter(invoice=invoice).exclude(pk=main.pk).update(
            invoice=None, used_at=None, expires_at=now + UPLOAD_LIFETIME)
    ids = {upload.pk for upload in uploads if upload is not None}
    if ids:
        UploadedFile.objects.filter(pk__in=ids).update(used_at=Coalesce("used_at", now))
    if main is not None:
        UploadedFile.objects.filter(pk=main.pk).update(invoice=invoice)


def sweep_uploads(now=None) -> int:
    """Remove the uploads no invoice used within `UPLOAD_LIFETIME` and the blobs only they
    referred to (`storage.remove_unreferenced`: blobs are shared, content-addressed; one that
    any row still names stays). Run by the worker's timers; a batch per transaction, rows a
    deposit holds (locked) are left for the next run. Returns the uploads removed."""
    from choeur.invoicing.models import UploadedFile

    now = now or clock.now()
    removed = 0
    for _batch in range(SWEEP_BATCHES):
        with transaction.atomic():
            expired = list(UploadedFile.objects.select_for_update(skip_locked=True).filter(
                used_at__isnull=True, expires_at__lte=now).order_by("expires_at", "pk")
                .values_list("pk", "sha256")[:SWEEP_BATCH])
            if not expired:
                break
            UploadedFile.objects.filter(pk__in=[pk for pk, _ in expired]).delete()
            blobs = storage.remove_unreferenced({sha256 for _, sha256 in expired})
            audit.record("worker", "invoicing.uploads_swept", None, uploads=len(expired),
                         blobs=blobs)
            removed += len(expired)
        if len(expired) < SWEEP_BATCH:
            break
    return removed
