"""« Tester un fichier » (qualification only): any invoice file — Factur-X, UBL, CII, or a plain
PDF — checked against everything a deposit would check, and the whole report at once, without
depositing anything.

Where a deposit stops at its first refusal (`structured.check_file`, `services.check_sendable`),
this runs each platform check on its own (the pieces of `services.check_sendable`, in the
deposit's order) and keeps every result: a trainee sees at once that the service code is
missing *and* the engagement unknown *and* the number already used. Each check is the
invoicing code itself, never a copy of its rules, so what this says is what a deposit does.

Three ways a file is taken, as a deposit would take it:
- a structured file (XML, or a PDF carrying one): the structured deposit's checks (portal
  « Déposer un fichier structuré », API and portal flux), the keyed data completing the file
  or having to agree with it (`structured._prepare`);
- a PDF without structured data: a structured deposit refuses it (`INV_FILE_INVALID`); a PDF
  deposit (portal « Déposer un PDF », API `deposer/pdf` + `soumettre`) takes it with data keyed
  beside it. So it is checked as that deposit: a PDF the recipient can open, then the routing
  to the recipient named here (recipient, service code, engagement). The number, date, amounts
  and bank details are keyed with that deposit and checked then: shown « non vérifié »;
- anything else (empty, garbage, an archive, hostile XML): the validation report says why,
  and no platform check can run.

Nothing is written: no invoice, no stored file, no audit row, no flux. Who may deposit for the
supplier structure (FACTURES_EMISES in modification) may test for it.
"""

from __future__ import annotations

import copy
import posixpath
from dataclasses import dataclass, field

from choeur.core import clock
from choeur.core.errors import ChoeurError, FileTooLarge, NotFound, PermissionRefused
from choeur.formats import Report
from choeur.formats import messages as rule_messages
from choeur.invoicing import errors, services, structured
from choeur.invoicing.data import InvoiceData
from choeur.invoicing.models import Cadre
from choeur.organisations import permissions
from choeur.organisations.models import Espace
from choeur.qualification import clock_control

#: The largest file tested: a deposit's (one invoice file of a flux, a PDF of deposer/pdf).
MAX_FILE = services.MAX_ATTACHMENT

STRUCTURED, PDF, UNREADABLE = "structured", "pdf", "unreadable"
PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"

#: Each check: what it checks, and what to do when it fails (the error's own message says
#: what went wrong). FR / EN.
CHECKS: dict[str, tuple[str, str, str, str]] = {
    "format": (
        "Conformité du fichier (format et règles EN 16931, Factur-X, BR-FR)",
        "File conformity (format and EN 16931, Factur-X, BR-FR rules)",
        "Corrigez le fichier d'après le rapport de validation (chaque anomalie dit quoi "
        "faire), puis testez-le de nouveau.",
        "Fix the file following the validation report (each finding says what to do), then "
        "test it again."),
    "seller": (
        "Vendeur du fichier = structure qui dépose (SIRET, BT-29)",
        "Seller in the file = depositing structure (SIRET, BT-29)",
        "Choisissez la structure dont le SIRET est celui du vendeur, ou corrigez le SIRET du "
        "vendeur dans le fichier.",
        "Choose the structure whose SIRET is the seller's, or fix the seller's SIRET in the "
        "file."),
    "keyed": (
        "Données saisies identiques à celles du fichier",
        "Keyed data identical to the file's",
        "Laissez le champ vide (la donnée du fichier est prise) ou saisissez la même valeur.",
        "Leave the field empty (the file's value is taken) or type the same value."),
    "pdf_readable": (
        "PDF lisible par le destinataire",
        "PDF readable by the recipient",
        "Enregistrez de nouveau le PDF depuis votre logiciel, sans mot de passe ni "
        "chiffrement, puis testez-le de nouveau.",
        "Save the PDF again from your software, without password or encryption, then test "
        "it again."),
    "recipient": (
        "Destinataire connu et actif (SIRET, BT-46)",
        "Recipient known and active (SIRET, BT-46)",
        "Cherchez le destinataire dans l'annuaire et reprenez son SIRET (dans le fichier : "
        "identifiant de l'acheteur, schéma 0009).",
        "Look the recipient up in the directory and use its SIRET (in the file: the buyer's "
        "identifier, scheme 0009)."),
    "number": (
        "Numéro de facture (BT-1)",
        "Invoice number (BT-1)",
        "Donnez un numéro de 20 caractères au plus : lettres, chiffres et - _ / +.",
        "Give a number of at most 20 characters: letters, digits and - _ / +."),
    "cadre": (
        "Cadre de facturation",
        "Billing framework (cadre)",
        "Choisissez A1, A2, A9 ou A12.", "Choose A1, A2, A9 or A12."),
    "date": (
        "Date de facture (BT-2)",
        "Invoice date (BT-2)",
        "Datez la facture au plus tard d'aujourd'hui.", "Date the invoice today at the latest."),
    "origin": (
        "Facture d'origine d'un avoir (BT-25)",
        "Original invoice of a credit note (BT-25)",
        "Un avoir cite la facture qu'il corrige ; une facture n'en cite pas.",
        "A credit note quotes the invoice it corrects; an invoice quotes none."),
    "service": (
        "Code service du destinataire (BT-10) existant",
        "Recipient's service code (BT-10) exists",
        "Reprenez un code service actif du destinataire dans l'annuaire.",
        "Use an active service code of the recipient from the directory."),
    "service_required": (
        "Code service, si le destinataire l'exige",
        "Service code, when the recipient requires one",
        "Ajoutez le code service (BT-10 : référence de l'acheteur) dans le fichier ou "
        "saisissez-le.",
        "Add the service code (BT-10: buyer reference) to the file or type it."),
    "engagement_required": (
        "Numéro d'engagement, si le destinataire ou le service l'exige",
        "Engagement number, when the recipient or the service requires one",
        "Ajoutez le numéro du bon de commande (BT-13) dans le fichier ou saisissez-le.",
        "Add the purchase order number (BT-13) to the file or type it."),
    "engagement_or_service": (
        "Engagement ou code service, si le destinataire exige l'un des deux",
        "Engagement or service code, when the recipient requires one of them",
        "Donnez un numéro d'engagement (BT-13) ou un code service (BT-10).",
        "Give an engagement number (BT-13) or a service code (BT-10)."),
    "engagement_known": (
        "Engagement connu du destinataire et passé avec votre structure",
        "Engagement known to the recipient and placed with your structure",
        "Vérifiez le numéro du bon de commande avec votre acheteur public.",
        "Check the purchase order number with your public buyer."),
    "amounts": (
        "Montants cohérents (lignes, TVA, totaux)",
        "Consistent amounts (lines, VAT, totals)",
        "Corrigez les montants : lignes, ventilation de TVA et totaux concordent au centime.",
        "Fix the amounts: lines, VAT breakdown and totals agree to the cent."),
    "bank": (
        "Coordonnées bancaires (BT-84) enregistrées pour la structure",
        "Bank details (BT-84) registered for the structure",
        "Un gestionnaire ajoute l'IBAN dans Mes structures › Coordonnées bancaires, ou "
        "choisissez des coordonnées de la structure.",
        "A gestionnaire adds the IBAN under My structures › Bank details, or choose bank "
        "details of the structure."),
    "validator": (
        "Valideur (cadres A9 et A12)",
        "Validator (cadres A9 and A12)",
        "Indiquez le SIRET du titulaire ou du mandataire qui valide la facture.",
        "Give the SIRET of the main contractor or agent who validates the invoice."),
    "duplicate": (
        "Numéro de facture pas encore utilisé cette année par la structure",
        "Invoice number not used yet this year by the structure",
        "Chaque facture d'une structure a un numéro unique dans l'année : donnez-lui un "
        "nouveau numéro (une facture déposée par erreur s'annule par un avoir).",
        "Each invoice of a structure has a number unique in the year: give it a new number "
        "(an invoice deposited by mistake is cancelled with a credit note)."),
}

#: Why a check did not run. FR / EN.
NOT_RUN = {
    "unreadable": ("Non vérifié : aucune donnée de facture n'a pu être lue dans le fichier.",
                   "Not checked: no invoice data could be read from the file."),
    "recipient": ("Non vérifié : il faut d'abord un destinataire connu.",
                  "Not checked: a known recipient is needed first."),
    "service": ("Non vérifié : le code service est inconnu.",
                "Not checked: the service code is unknown."),
    "number": ("Non vérifié : le numéro de facture n'est pas valable.",
               "Not checked: the invoice number is not valid."),
    "keyed": ("Non vérifié : saisi avec le dépôt PDF (formulaire du portail ou API "
              "soumettre) et vérifié à ce moment-là.",
              "Not checked: keyed with the PDF deposit (portal form or soumettre API) and "
              "checked then."),
}


@dataclass
class Check:
    """One platform check and its outcome: `code`, messages and `bt` are the coded error a
    deposit would get (empty when it passed)."""

    key: str
    status: str
    code: str = ""
    message_fr: str = ""
    message_en: str = ""
    bt: str = ""
    detail_fr: str = ""  # a keyed-data row: which field
    detail_en: str = ""

    def label(self, language: str = "fr") -> str:
        fr, en, _hint_fr, _hint_en = CHECKS[self.key]
        english = language.startswith("en")
        text, detail = (en, self.detail_en) if english else (fr, self.detail_fr)
        return f"{text} — {detail}" if detail else text

    def message(self, language: str = "fr") -> str:
        return self.message_en if language.startswith("en") else self.message_fr

    def hint(self, language: str = "fr") -> str:
        if self.status != FAILED:
            return ""
        _fr, _en, hint_fr, hint_en = CHECKS[self.key]
        return hint_en if language.startswith("en") else hint_fr


@dataclass
class FileTestReport:
    filename: str
    size: int
    kind: str  # STRUCTURED, PDF or UNREADABLE
    report: Report
    data: InvoiceData | None  # what was read (keyed data merged in, as the deposit does)
    seller_siret: str = ""
    checks: list[Check] = field(default_factory=list)

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if check.status == FAILED]

    @property
    def refusal(self) -> Check | None:
        """The check a deposit would stop at (the first failed, in the deposit's order)."""
        return next(iter(self.failed), None)

    @property
    def accepted(self) -> bool:
        return self.refusal is None

    def verdict(self, language: str = "fr") -> str:
        english = language.startswith("en")
        refusal = self.refusal
        others = len(self.failed) - 1
        prefix = ""
        if self.kind == PDF:
            # A structured deposit (flux, Factur-X) refuses a file without structured data.
            prefix = ("A structured deposit (flux, Factur-X) would refuse this plain PDF "
                      f"({errors.InvoiceFileInvalid.code}). As a PDF deposit, with the data "
                      "keyed beside it, " if english else
                      "Un dépôt structuré (flux, Factur-X) refuserait ce PDF simple "
                      f"({errors.InvoiceFileInvalid.code}). En dépôt PDF, avec les données "
                      "saisies à côté, ")
        if refusal is None:
            text = "a deposit would be accepted" if english else "un dépôt serait accepté"
            return _sentence(prefix + text + ".")
        text = (f"a deposit would be refused with code {refusal.code}" if english
                else f"un dépôt serait refusé avec le code {refusal.code}")
        if others:
            text += (f" ({others} other check(s) fail too: all are listed)" if english
                     else f" ({others} autre(s) contrôle(s) en échec : tous sont listés)")
        return _sentence(prefix + text + ".")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Runner:
    """Runs checks one by one, keeping every outcome."""

    def __init__(self):
        self.checks: list[Check] = []

    def run(self, key: str, check, *args, detail: tuple[str, str] = ("", "")):
        """`check(*args)`'s result, or None when it raised a coded error (recorded)."""
        try:
            result = check(*args)
        except ChoeurError as exc:
            if isinstance(exc, (PermissionRefused, NotFound)):
                raise  # rights, not the file: the caller's refusal
            self.checks.append(Check(key, FAILED, exc.code, exc.message("fr"), exc.message("en"),
                                     exc.bt or "", detail_fr=detail[0], detail_en=detail[1]))
            return None
        self.checks.append(Check(key, PASSED, detail_fr=detail[0], detail_en=detail[1]))
        return True if result is None else result

    def skip(self, key: str, why: str) -> None:
        fr, en = NOT_RUN[why]
        self.checks.append(Check(key, SKIPPED, message_fr=fr, message_en=en))

    def failed(self, key: str) -> bool:
        return any(c.key == key and c.status == FAILED for c in self.checks)


def check(actor, supplier, content: bytes, filename: str = "", *, cadre: str = "",
          recipient_identifier: str = "", recipient_service_code: str = "",
          engagement_number: str = "", bank_account_id: int | None = None,
          validator_identifier: str = "", validator_service_code: str = "") -> FileTestReport:
    """The whole report of what a deposit of `content` by `supplier` would meet. The keyed
    arguments are what a deposit form or call adds to the file. Raises (coded) only for what
    is not the file's business: rights, a file over the deposit's size, a named recipient
    that does not exist."""
    clock_control.require_qualification()
    permissions.require_espace(actor, supplier, Espace.FACTURES_EMISES, modify=True)
    permissions.require_active(supplier)
    if len(content) > MAX_FILE:
        raise FileTooLarge(limit=MAX_FILE)
    keyed = InvoiceData(
        cadre=(cadre or Cadre.A1).strip(), number="",
        recipient_identifier="".join((recipient_identifier or "").split()),
        recipient_service_code=(recipient_service_code or "").strip(),
        engagement_number=(engagement_number or "").strip(),
        bank_account_id=bank_account_id,
        validator_identifier="".join((validator_identifier or "").split()),
        validator_service_code=(validator_service_code or "").strip())
    if keyed.recipient_identifier:
        named = services.find_structure(keyed.recipient_identifier)
        if named is None or not named.is_public:
            # The recipient the test is asked against must exist: bad input, not a finding.
            raise errors.RecipientUnknown(identifier=keyed.recipient_identifier[:40])
    name = posixpath.basename((filename or "").replace("\\", "/")).strip()[:200] or "fichier"
    examined = structured.examine(content)
    if examined.data is not None:
        kind = STRUCTURED
    elif examined.report.xml is None and content.startswith(services.PDF_MAGIC):
        kind = PDF  # no structured data in it: a PDF deposit's business
    else:
        kind = UNREADABLE  # nothing a deposit could take: the validation report says why
    result = FileTestReport(name, len(content), kind, examined.report, None,
                            examined.seller_siret)
    runner = _Runner()
    if kind == STRUCTURED:
        result.data = _structured(runner, supplier, content, name, examined, keyed)
    elif kind == PDF:
        result.data = _plain_pdf(runner, supplier, content, name, keyed)
    else:
        _unreadable(runner, examined.report)
    result.checks = runner.checks
    return result


def _format(runner: _Runner, report: Report) -> None:
    def conform():
        if not report.valid:
            blocking = sum(1 for f in report.findings if f.blocking)
            raise errors.InvoiceFileInvalid(report=report, count=blocking or 1)

    runner.run("format", conform)


def _unreadable(runner: _Runner, report: Report) -> None:
    _format(runner, report)
    for key in ("recipient", "number", "date", "service", "amounts", "bank", "duplicate"):
        runner.skip(key, "unreadable")


KEYED_FIELDS = (
    ("recipient_identifier", "SIRET du destinataire (BT-46)", "recipient SIRET (BT-46)"),
    ("recipient_service_code", "code service (BT-10)", "service code (BT-10)"),
    ("engagement_number", "numéro d'engagement (BT-13)", "engagement number (BT-13)"),
)


def _structured(runner: _Runner, supplier, content: bytes, name: str, examined,
                keyed: InvoiceData) -> InvoiceData:
    """The structured deposit's checks, each run whatever the others said (as far as what it
    needs is there), in the order `structured.deposit_file` meets them: the file and the
    keyed data (`_prepare`), what saving the draft checks (`services.save_draft`), then the
    sending's (`services.check_sendable`). So the first failed is the deposit's refusal."""
    _format(runner, examined.report)
    data = copy.deepcopy(examined.data)  # the examination stays as it was read
    data.cadre = keyed.cadre

    def same_seller():
        if examined.seller_siret and examined.seller_siret != supplier.identifier:
            raise errors.DataMismatch(field_fr="SIRET du vendeur (BT-29)",
                                      field_en="seller SIRET (BT-29)",
                                      keyed=supplier.identifier, in_file=examined.seller_siret)

    runner.run("seller", same_seller)
    for attribute, label_fr, label_en in KEYED_FIELDS:
        typed, in_file = getattr(keyed, attribute), getattr(data, attribute) or ""
        if not typed:
            continue

        def agree(typed=typed, in_file=in_file, label_fr=label_fr, label_en=label_en):
            if in_file and typed != in_file:
                raise errors.DataMismatch(field_fr=label_fr, field_en=label_en, keyed=typed,
                                          in_file=in_file)

        if runner.run("keyed", agree, detail=(label_fr, label_en)) and not in_file:
            setattr(data, attribute, typed)
    data.validator_identifier = keyed.validator_identifier
    data.validator_service_code = keyed.validator_service_code

    def bank():
        data.bank_account_id = structured.bank_account_of(supplier, data, examined.iban,
                                                          keyed.bank_account_id)
        services.check_payment(supplier, data)

    runner.run("bank", bank)
    recipient = runner.run("recipient", services.resolve_recipient, data.recipient_identifier)
    number = runner.run("number", services.check_number, data.number)
    service = _service(runner, recipient, data)
    if content.startswith(services.PDF_MAGIC):
        runner.run("pdf_readable", services.check_pdf, name, content)
    runner.run("cadre", services.check_cadre, data)
    runner.run("date", services.check_date, data)
    runner.run("origin", services.check_origin, data)
    _routing(runner, supplier, recipient, service, data)
    runner.run("amounts", services.check_amounts, data)
    _validator(runner, supplier, recipient, data)
    if number:
        runner.run("duplicate", services.check_number_unused, supplier, number,
                   clock.today().year)
    else:
        runner.skip("duplicate", "number")
    return data


def _service(runner: _Runner, recipient, data: InvoiceData):
    """The recipient's service named by the code (None: no code, or not checked)."""
    if not recipient:
        runner.skip("service", "recipient")
        return None
    found = runner.run("service", services.resolve_service, recipient,
                       data.recipient_service_code)
    return found if found not in (None, True) else None


def _routing(runner: _Runner, supplier, recipient, service, data: InvoiceData) -> None:
    """Service code and engagement against the recipient's requirements, one rule a row."""
    if not recipient:
        for key in ("service_required", "engagement_required", "engagement_or_service",
                    "engagement_known"):
            runner.skip(key, "recipient")
        return
    engagement = data.engagement_number
    # A rule about a missing service is not applied to an unknown one: one report is enough.
    if runner.failed("service"):
        runner.skip("service_required", "service")
    else:
        runner.run("service_required", services.check_service_required, recipient, service)
    runner.run("engagement_required", services.check_engagement_required, recipient, service,
               engagement)
    if runner.failed("service"):
        runner.skip("engagement_or_service", "service")
    else:
        runner.run("engagement_or_service", services.check_engagement_or_service, recipient,
                   service, engagement)
    runner.run("engagement_known", services.check_engagement_known, supplier, recipient,
               engagement)


def _validator(runner: _Runner, supplier, recipient, data: InvoiceData) -> None:
    """Only for the cadres with a validator (A9, A12)."""
    if not Cadre.needs_validator(data.cadre):
        return
    if recipient:
        runner.run("validator", services.check_validator, data, supplier, recipient)
    else:
        runner.skip("validator", "recipient")


def _plain_pdf(runner: _Runner, supplier, content: bytes, name: str,
               keyed: InvoiceData) -> InvoiceData:
    """A PDF without structured data, as a PDF deposit takes it: readable, and routed to the
    recipient named beside it."""
    data = copy.deepcopy(keyed)
    recipient = runner.run("recipient", services.resolve_recipient, data.recipient_identifier)
    service = _service(runner, recipient, data)
    runner.run("pdf_readable", services.check_pdf, name, content)
    runner.run("cadre", services.check_cadre, data)
    _routing(runner, supplier, recipient, service, data)
    _validator(runner, supplier, recipient, data)
    for key in ("number", "date", "amounts", "bank", "duplicate"):
        runner.skip(key, "keyed")
    return data


def finding_hint(finding, language: str = "fr") -> str:
    return rule_messages.hint(finding, english=language.startswith("en"))
