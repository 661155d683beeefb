"""Typed errors of the invoicing feature: the platform checks (reference §4.4) and the
lifecycle. Codes are stable; `bt` names the EN 16931 term concerned, `cpro` the Chorus Pro
message code the API answers with where one is known."""

from __future__ import annotations

from typing import ClassVar

from choeur.core.errors import ChoeurError


class InvoicingError(ChoeurError):
    cpro: ClassVar[str] = "GDP_MSG_00.000"


class TransitionRefused(InvoicingError):
    code = "INV_TRANSITION_REFUSED"
    cpro = "GDP_MSG_11.001"
    http_status = 409
    message_fr = ("Action impossible : la facture est au statut « {current} », qui ne permet "
                  "pas de passer au statut « {target} ».")
    message_en = ("Not possible: the invoice's status is “{current}”, which cannot be followed "
                  "by “{target}”.")


class ReasonRequired(InvoicingError):
    code = "INV_REASON_REQUIRED"
    message_fr = "Un motif est obligatoire pour passer la facture au statut « {target} »."
    message_en = "A reason is required to set the invoice to “{target}”."


class ReasonTooLong(InvoicingError):
    code = "INV_REASON_TOO_LONG"
    message_fr = "Le motif ou commentaire dépasse {limit} caractères."
    message_en = "The reason or comment is longer than {limit} characters."


class MandateNumberRequired(InvoicingError):
    code = "INV_MANDATE_NUMBER_REQUIRED"
    message_fr = "Le numéro de mandat est obligatoire pour passer la facture au statut Mandatée."
    message_en = "The mandate number is required to set the invoice to Mandatée."


class RecipientUnknown(InvoicingError):
    code = "INV_RECIPIENT_UNKNOWN"
    bt = "BT-46"
    message_fr = ("Le destinataire « {identifier} » est inconnu dans Choeur, ou n'est pas une "
                  "structure publique qui reçoit des factures. Vérifiez son SIRET dans "
                  "l'annuaire.")
    message_en = ("Recipient “{identifier}” is unknown, or is not a public structure receiving "
                  "invoices. Check its SIRET in the directory.")


class RecipientIdentifierMissing(InvoicingError):
    code = "INV_RECIPIENT_IDENTIFIER_MISSING"
    bt = "BT-46"
    message_fr = ("Aucun SIRET de destinataire : saisissez-le, ou, dans un fichier structuré, "
                  "donnez l'identifiant légal de l'acheteur (BT-47) avec le schéma 0009 "
                  "(SIRET). Un SIREN (schéma 0002) ne suffit pas : la facture est adressée à "
                  "un établissement.")
    message_en = ("No recipient SIRET: type it, or, in a structured file, give the buyer's "
                  "legal identifier (BT-47) with scheme 0009 (SIRET). A SIREN (scheme 0002) is "
                  "not enough: the invoice goes to an establishment.")


class RecipientInactive(InvoicingError):
    code = "INV_RECIPIENT_INACTIVE"
    bt = "BT-46"
    message_fr = "Le destinataire {identifier} est désactivé : il ne reçoit plus de factures."
    message_en = "Recipient {identifier} is deactivated: it no longer receives invoices."


class ServiceRequired(InvoicingError):
    code = "INV_SERVICE_REQUIRED"
    bt = "BT-10"
    message_fr = ("Le code service du destinataire (BT-10) est absent : {recipient} exige un "
                  "code service. Demandez-le à votre acheteur public ou consultez l'annuaire.")
    message_en = ("The recipient's service code (BT-10) is missing: {recipient} requires one. "
                  "Ask your public buyer or look it up in the directory.")


class ServiceUnknown(InvoicingError):
    code = "INV_SERVICE_UNKNOWN"
    bt = "BT-10"
    message_fr = ("Le code service « {code} » est inconnu ou inactif chez {recipient}. "
                  "Les services actifs sont dans l'annuaire.")
    message_en = ("Service code “{code}” is unknown or inactive at {recipient}. The active "
                  "services are in the directory.")


class EngagementRequired(InvoicingError):
    code = "INV_ENGAGEMENT_REQUIRED"
    bt = "BT-13"
    message_fr = ("Le numéro d'engagement (bon de commande, BT-13) est obligatoire pour "
                  "{recipient}. Il figure sur le bon de commande de votre client public.")
    message_en = ("The engagement number (purchase order, BT-13) is required by {recipient}. "
                  "It is on your public customer's purchase order.")


class EngagementOrServiceRequired(InvoicingError):
    code = "INV_ENGAGEMENT_OR_SERVICE_REQUIRED"
    bt = "BT-13"
    message_fr = ("{recipient} exige un numéro d'engagement (BT-13) ou un code service "
                  "(BT-10) : renseignez l'un des deux.")
    message_en = ("{recipient} requires an engagement number (BT-13) or a service code "
                  "(BT-10): give one of them.")


class EngagementUnknown(InvoicingError):
    code = "INV_ENGAGEMENT_UNKNOWN"
    bt = "BT-13"
    message_fr = ("L'engagement « {number} » n'existe pas chez {recipient}, ou n'est plus "
                  "actif, ou n'a pas été passé avec votre structure.")
    message_en = ("Engagement “{number}” does not exist at {recipient}, is no longer active, "
                  "or was not placed with your structure.")


class NumberMissing(InvoicingError):
    code = "INV_NUMBER_MISSING"
    bt = "BT-1"
    message_fr = "Le numéro de facture (BT-1) est obligatoire."
    message_en = "The invoice number (BT-1) is required."


class NumberInvalid(InvoicingError):
    code = "INV_NUMBER_INVALID"
    bt = "BT-1"
    message_fr = ("Le numéro de facture « {number} » n'est pas accepté : {reason_fr}")
    message_en = "Invoice number “{number}” is not accepted: {reason_en}"


class NumberAlreadyUsed(InvoicingError):
    code = "INV_NUMBER_ALREADY_USED"
    bt = "BT-1"
    http_status = 409
    message_fr = ("Vous avez déjà déposé une demande de paiement avec ce numéro de facture "
                  "({number}) pour cette structure en {year}.")
    message_en = ("You already deposited a payment request with this invoice number ({number}) "
                  "for this structure in {year}.")


class DateMissing(InvoicingError):
    code = "INV_DATE_MISSING"
    bt = "BT-2"
    message_fr = "La date de facture (BT-2) est obligatoire."
    message_en = "The invoice date (BT-2) is required."


class DateInFuture(InvoicingError):
    code = "INV_DATE_IN_FUTURE"
    bt = "BT-2"
    message_fr = ("La date de facture ({date}) est postérieure à la date de dépôt ({today}) : "
                  "une facture ne peut pas être datée du futur.")
    message_en = ("The invoice date ({date}) is after the deposit date ({today}): an invoice "
                  "cannot be dated in the future.")


class CreditNoteOriginMissing(InvoicingError):
    code = "INV_CREDIT_NOTE_ORIGIN"
    bt = "BT-25"
    message_fr = "Un avoir doit indiquer le numéro de la facture d'origine (BT-25)."
    message_en = "A credit note must give the number of the original invoice (BT-25)."


class OriginOnlyForCreditNote(InvoicingError):
    code = "INV_ORIGIN_NOT_CREDIT_NOTE"
    bt = "BT-25"
    message_fr = ("Le numéro de facture d'origine ne s'indique que sur un avoir : retirez-le "
                  "ou choisissez le type Avoir.")
    message_en = ("The original invoice number only belongs on a credit note: remove it or "
                  "choose the credit note type.")


class CreditNotePaymentMode(InvoicingError):
    code = "INV_CREDIT_NOTE_PAYMENT"
    bt = "BT-81"
    message_fr = "Un avoir ne porte pas de mode de paiement ni de coordonnées bancaires."
    message_en = "A credit note carries no payment mode and no bank details."


class BankAccountRequired(InvoicingError):
    code = "INV_BANK_ACCOUNT_REQUIRED"
    bt = "BT-84"
    message_fr = ("Un paiement par virement exige des coordonnées bancaires (IBAN) : "
                  "choisissez-en parmi celles de votre structure, ou ajoutez-en.")
    message_en = ("Payment by credit transfer needs bank details (IBAN): choose some of your "
                  "structure's, or add them.")
    # When the file names an IBAN the structure has not registered: the rule is the same,
    # the message says which IBAN and where to register it (a first flux is otherwise
    # rejected with nothing to go on).
    unregistered_fr = ("Le fichier demande un paiement par virement sur l'IBAN {iban}, qui "
                       "n'est pas enregistré dans les coordonnées bancaires actives de la "
                       "structure {identifier} : un gestionnaire l'ajoute dans Mes structures "
                       "› {name} › Coordonnées bancaires (ou via l'espace Coordonnées "
                       "bancaires), puis la facture peut être déposée.")
    unregistered_en = ("The file asks for payment by credit transfer to IBAN {iban}, which is "
                       "not among the active bank details of structure {identifier}: a "
                       "gestionnaire adds it under My structures › {name} › Bank details (or "
                       "in the Bank details espace), then the invoice can be deposited.")

    @classmethod
    def unregistered(cls, iban: str, structure) -> BankAccountRequired:
        grouped = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
        return cls(iban=grouped, identifier=structure.identifier,
                   name=structure.company_name)

    def message(self, language: str | None = None) -> str:
        if "iban" not in self.params:
            return super().message(language)
        if language is None:
            from django.utils.translation import get_language

            language = get_language() or "fr"
        template = self.unregistered_en if language.startswith("en") else self.unregistered_fr
        return template.format(**self.params)


class BankAccountInvalid(InvoicingError):
    code = "INV_BANK_ACCOUNT_INVALID"
    bt = "BT-84"
    message_fr = "Ces coordonnées bancaires ne sont pas des coordonnées actives de votre structure."
    message_en = "These bank details are not active bank details of your structure."


class AmountsInconsistent(InvoicingError):
    code = "INV_AMOUNTS_INCONSISTENT"
    bt = "BT-112"
    message_fr = "Les montants ne sont pas cohérents : {detail_fr}"
    message_en = "The amounts are not consistent: {detail_en}"


class AmountTooLarge(InvoicingError):
    """A figure, or a product or sum of figures, beyond decimal(19,6): Choeur stores amounts
    as Chorus Pro does, and refuses rather than cut."""

    code = "INV_AMOUNT_TOO_LARGE"
    message_fr = ("Montant hors limites : {detail_fr} (au plus 13 chiffres avant la virgule "
                  "et 6 après)")
    message_en = ("Amount out of bounds: {detail_en} (at most 13 digits before the decimal "
                  "point and 6 after)")


class LinesMissing(InvoicingError):
    code = "INV_LINES_MISSING"
    bt = "BG-25"
    message_fr = "La facture doit comporter au moins une ligne."
    message_en = "The invoice needs at least one line."


class LineInvalid(InvoicingError):
    code = "INV_LINE_INVALID"
    bt = "BG-25"
    message_fr = "Ligne {line} : {detail_fr}"
    message_en = "Line {line}: {detail_en}"


class ValidatorRequired(InvoicingError):
    code = "INV_VALIDATOR_REQUIRED"
    message_fr = ("Le cadre {cadre} exige un valideur : la structure du titulaire (sous-"
                  "traitance) ou du mandataire (co-traitance), identifiée par son SIRET.")
    message_en = ("Cadre {cadre} requires a validator: the structure of the main contractor "
                  "(subcontracting) or of the group's agent (joint contracting), by its SIRET.")


class ValidatorUnknown(InvoicingError):
    code = "INV_VALIDATOR_UNKNOWN"
    message_fr = "Le valideur « {identifier} » est inconnu ou désactivé."
    message_en = "Validator “{identifier}” is unknown or deactivated."


class ValidatorNotAllowed(InvoicingError):
    code = "INV_VALIDATOR_NOT_ALLOWED"
    message_fr = ("Le valideur ne peut être ni votre propre structure ni le destinataire : "
                  "c'est le titulaire du marché (ou le mandataire du groupement).")
    message_en = ("The validator can be neither your own structure nor the recipient: it is "
                  "the main contractor (or the group's agent).")


class CadreNotAllowed(InvoicingError):
    code = "INV_CADRE_NOT_ALLOWED"
    message_fr = "Le cadre de facturation « {cadre} » n'est pas disponible pour ce dépôt."
    message_en = "Billing framework “{cadre}” is not available for this deposit."


class DocumentMissing(InvoicingError):
    code = "INV_DOCUMENT_MISSING"
    message_fr = "Joignez la facture (PDF) : c'est l'original que recevra le destinataire."
    message_en = "Attach the invoice (PDF): it is the original the recipient will receive."


class RenderingFailed(InvoicingError):
    code = "INV_RENDERING_FAILED"
    http_status = 500
    message_fr = ("La visualisation PDF de cette facture n'a pas pu être produite. Ses données "
                  "structurées (XML) restent téléchargeables ; l'incident est signalé à "
                  "l'exploitant.")
    message_en = ("The PDF rendering of this invoice could not be made. Its structured data "
                  "(XML) can still be downloaded; the incident is reported to the operator.")


class DocumentNotPdf(InvoicingError):
    code = "INV_DOCUMENT_NOT_PDF"
    message_fr = ("Le fichier « {name} » n'est pas un PDF : la facture déposée doit être un "
                  "document PDF (ou un fichier Factur-X, UBL ou CII par le dépôt structuré).")
    message_en = ("File “{name}” is not a PDF: the invoice deposited must be a PDF document "
                  "(or a Factur-X, UBL or CII file through the structured deposit).")


class DocumentUnreadable(InvoicingError):
    code = "INV_DOCUMENT_UNREADABLE"
    message_fr = "Le PDF « {name} » est refusé ({rule}) : {reason_fr} {hint_fr}"
    message_en = "PDF “{name}” is refused ({rule}): {reason_en} {hint_en}"


class UploadAlreadyUsed(InvoicingError):
    code = "INV_UPLOAD_ALREADY_USED"
    http_status = 409
    message_fr = ("Le fichier déposé n° {upload_id} est déjà la pièce principale d'une autre "
                  "facture : déposez-le de nouveau pour une nouvelle facture.")
    message_en = ("Uploaded file no. {upload_id} is already the main piece of another "
                  "invoice: upload it again for a new invoice.")


class UploadExpired(InvoicingError):
    code = "INV_UPLOAD_EXPIRED"
    message_fr = ("Le fichier déposé n° {upload_id} a expiré : un fichier non utilisé est "
                  "supprimé {hours} heures après son dépôt. Déposez-le de nouveau.")
    message_en = ("Uploaded file no. {upload_id} has expired: a file not used is removed "
                  "{hours} hours after its upload. Upload it again.")


class UploadsTooMany(InvoicingError):
    code = "INV_UPLOADS_TOO_MANY"
    message_fr = ("Votre structure a déjà {limit} fichiers déposés et non utilisés : "
                  "utilisez-les ou attendez leur expiration ({hours} heures après leur dépôt).")
    message_en = ("Your structure already has {limit} uploaded files not used: use them or "
                  "wait until they expire ({hours} hours after their upload).")


class InvoiceFileInvalid(InvoicingError):
    code = "INV_FILE_INVALID"
    message_fr = ("Le fichier de la facture n'est pas conforme ({count} anomalie(s) "
                  "bloquante(s)) : corrigez-le d'après le rapport de validation.")
    message_en = ("The invoice file is not valid ({count} blocking finding(s)): fix it "
                  "following the validation report.")

    def __init__(self, report=None, **params):
        self.report = report
        super().__init__(**params)


class DataMismatch(InvoicingError):
    code = "INV_DATA_MISMATCH"
    message_fr = ("Les données saisies ne correspondent pas au fichier : {field_fr} "
                  "« {keyed} » saisi, « {in_file} » dans le fichier.")
    message_en = ("The data keyed in do not match the file: {field_en} “{keyed}” keyed, "
                  "“{in_file}” in the file.")


class AttachmentRefused(InvoicingError):
    code = "INV_ATTACHMENT_REFUSED"
    message_fr = "Pièce jointe « {name} » refusée : {reason_fr}"
    message_en = "Attachment “{name}” refused: {reason_en}"


class AttachmentsTooLarge(InvoicingError):
    code = "INV_ATTACHMENTS_TOO_LARGE"
    http_status = 413
    message_fr = ("La facture et ses pièces jointes dépassent 120 Mo au total "
                  "({size} Mo) : retirez ou allégez des pièces jointes.")
    message_en = ("The invoice and its attachments exceed 120 MB in all ({size} MB): remove "
                  "or shrink attachments.")


class NotADraft(InvoicingError):
    code = "INV_NOT_A_DRAFT"
    http_status = 409
    message_fr = "Cette facture a déjà été envoyée : elle ne peut plus être modifiée."
    message_en = "This invoice has already been sent: it can no longer be changed."


class SellerVatNumberRequired(InvoicingError):
    code = "INV_SELLER_VAT_NUMBER_REQUIRED"
    bt = "BT-31"
    message_fr = ("Votre structure {identifier} n'a pas de numéro de TVA intracommunautaire : "
                  "une facture soumise à la TVA doit l'indiquer (BT-31). Renseignez-le dans la "
                  "fiche de la structure, ou indiquez une exonération.")
    message_en = ("Your structure {identifier} has no intra-community VAT number: an invoice "
                  "subject to VAT must show it (BT-31). Fill it in on the structure's page, or "
                  "state an exemption.")


class GeneratedInvoiceInvalid(InvoicingError):
    code = "INV_GENERATED_INVALID"
    http_status = 500
    message_fr = ("Choeur n'a pas pu produire une facture Factur-X conforme à partir de ces "
                  "données (règles : {rules}). Rien n'a été envoyé ; signalez-le à "
                  "l'administrateur de la plateforme.")
    message_en = ("Choeur could not produce a valid Factur-X invoice from these data (rules: "
                  "{rules}). Nothing was sent; report it to the platform's administrator.")


class SupplierServiceRequired(InvoicingError):
    code = "INV_SUPPLIER_SERVICE_REQUIRED"
    message_fr = ("Choisissez votre service émetteur : votre rattachement à la structure est "
                  "limité à certains de ses services.")
    message_en = ("Choose your issuing service: your rattachement to the structure is limited "
                  "to some of its services.")


class SupplierInactive(InvoicingError):
    code = "INV_SUPPLIER_INACTIVE"
    message_fr = "Votre structure {identifier} est désactivée : elle ne peut plus déposer."
    message_en = "Your structure {identifier} is deactivated: it can no longer deposit."


class NothingToAcknowledge(InvoicingError):
    code = "INV_NOTHING_TO_ACKNOWLEDGE"
    http_status = 409
    message_fr = "Cette facture n'a ni rejet ni suspension à acquitter."
    message_en = "This invoice has no rejection or suspension to acknowledge."


class EngagementNumberTaken(InvoicingError):
    code = "INV_ENGAGEMENT_NUMBER_TAKEN"
    http_status = 409
    message_fr = "Votre structure a déjà un engagement numéro « {number} »."
    message_en = "Your structure already has an engagement numbered “{number}”."


class EngagementNumberInvalid(InvoicingError):
    code = "INV_ENGAGEMENT_NUMBER_INVALID"
    message_fr = ("Le numéro d'engagement doit compter de 1 à 50 caractères (lettres, chiffres, "
                  "- _ / .).")
    message_en = ("The engagement number must have 1 to 50 characters (letters, digits, "
                  "- _ / .).")


class EngagementBuyerNotPublic(InvoicingError):
    code = "INV_ENGAGEMENT_BUYER_NOT_PUBLIC"
    message_fr = ("Seule une structure publique peut créer des engagements juridiques : "
                  "{structure} est une structure privée.")
    message_en = ("Only a public structure can create legal engagements: {structure} is a "
                  "private structure.")


class EngagementSupplierUnknown(InvoicingError):
    code = "INV_ENGAGEMENT_SUPPLIER_UNKNOWN"
    message_fr = ("Le fournisseur « {identifier} » est inconnu dans Choeur, désactivé, ou est "
                  "votre propre structure. Vérifiez son SIRET.")
    message_en = ("Supplier “{identifier}” is unknown, deactivated, or is your own structure. "
                  "Check its SIRET.")


class EngagementAmountsInvalid(InvoicingError):
    code = "INV_ENGAGEMENT_AMOUNTS_INVALID"
    message_fr = "Les montants de l'engagement ne sont pas acceptés : {detail_fr}"
    message_en = "The engagement's amounts are not accepted: {detail_en}"


class EngagementDataInvalid(InvoicingError):
    code = "INV_ENGAGEMENT_DATA_INVALID"
    message_fr = "L'engagement n'est pas accepté : {detail_fr}"
    message_en = "The engagement is not accepted: {detail_en}"


class EngagementNotModifiable(InvoicingError):
    code = "INV_ENGAGEMENT_NOT_MODIFIABLE"
    http_status = 409
    message_fr = ("L'engagement « {number} » est à l'état « {state} » : il ne peut plus être "
                  "modifié.")
    message_en = "Engagement “{number}” is “{state}”: it can no longer be changed."


class EngagementReasonRequired(InvoicingError):
    code = "INV_ENGAGEMENT_REASON_REQUIRED"
    message_fr = "Un motif est obligatoire pour passer l'engagement à l'état « {state} »."
    message_en = "A reason is required to set the engagement to “{state}”."


class VerifiedFileUnknown(InvoicingError):
    """A deposit by reference to the file « Vérifier sans envoyer » kept: not this session's,
    another structure's, expired or altered (`invoicing.verified`)."""

    code = "INV_VERIFIED_FILE_UNKNOWN"
    message_fr = ("Le fichier vérifié n'est plus disponible (plus d'une heure, ou vérifié "
                  "ailleurs) : choisissez-le de nouveau.")
    message_en = ("The checked file is no longer available (more than an hour ago, or checked "
                  "elsewhere): choose it again.")


# --- The ECB rate table (interest.py) ---------------------------------------------------------


class RateTableUnreadable(InvoicingError):
    code = "INV_RATE_TABLE_UNREADABLE"
    message_fr = ("Ligne {line} illisible : « {text} ». Écrivez une période par ligne : date "
                  "de début ; date de fin (vide pour la dernière) ; taux en %, par exemple "
                  "« 2026-01-01 ; 2026-06-30 ; 2,15 ».")
    message_en = ("Line {line} cannot be read: “{text}”. Write one period per line: start "
                  "date; end date (empty for the last); rate in %, e.g. "
                  "“2026-01-01 ; 2026-06-30 ; 2.15”.")


class RateTablePeriodInvalid(InvoicingError):
    code = "INV_RATE_TABLE_PERIOD"
    message_fr = "La période du {start} au {end} finit avant de commencer."
    message_en = "The period from {start} to {end} ends before it starts."


class RateTableOpenEnded(InvoicingError):
    code = "INV_RATE_TABLE_OPEN_ENDED"
    message_fr = ("La période commençant le {start} n'a pas de date de fin : seule la "
                  "dernière période peut rester ouverte.")
    message_en = "The period starting on {start} has no end date: only the last one may."


class RateTableOverlap(InvoicingError):
    code = "INV_RATE_TABLE_OVERLAP"
    message_fr = ("Les périodes commençant le {first} et le {second} se chevauchent : un jour "
                  "ne peut avoir qu'un taux.")
    message_en = ("The periods starting on {first} and {second} overlap: a day has one rate "
                  "only.")


class RateTableGap(InvoicingError):
    code = "INV_RATE_TABLE_GAP"
    message_fr = ("Aucun taux du {start} au {end} : les périodes doivent se suivre sans "
                  "interruption.")
    message_en = "No rate from {start} to {end}: the periods must follow each other."


class RateTableRateOutOfRange(InvoicingError):
    code = "INV_RATE_TABLE_RATE"
    message_fr = ("Le taux {rate} % de la période commençant le {start} n'est pas plausible "
                  "(attendu entre {low} % et {high} %).")
    message_en = ("Rate {rate}% of the period starting on {start} is not plausible (expected "
                  "between {low}% and {high}%).")


class RateTableTooLong(InvoicingError):
    code = "INV_RATE_TABLE_TOO_LONG"
    message_fr = "La table compte plus de {max} périodes."
    message_en = "The table has more than {max} periods."
