"""Typed errors of the organisation feature (stable codes, French and English messages)."""

from choeur.core.errors import ChoeurError


class InvalidIdentifier(ChoeurError):
    code = "ORG_INVALID_IDENTIFIER"
    message_fr = "L'identifiant « {identifier} » n'est pas un {type_label} valide : {reason}"
    message_en = "“{identifier}” is not a valid {type_label}: {reason_en}"


class StructureAlreadyExists(ChoeurError):
    code = "ORG_STRUCTURE_EXISTS"
    http_status = 409
    message_fr = (
        "Une structure existe déjà avec l'identifiant {identifier}. Demandez-y votre "
        "rattachement plutôt que de la créer à nouveau."
    )
    message_en = (
        "A structure with identifier {identifier} already exists. Ask to be attached to it "
        "instead of creating it again."
    )


class InvalidVatNumber(ChoeurError):
    code = "ORG_INVALID_VAT"
    message_fr = "Le numéro de TVA « {vat} » n'est pas valide{detail_fr}."
    message_en = "VAT number “{vat}” is not valid{detail_en}."


class StructureInactive(ChoeurError):
    code = "ORG_STRUCTURE_INACTIVE"
    message_fr = ("La structure {structure} est désactivée : ses factures et ses archives "
                  "restent consultables, rien d'autre n'est possible. Rien n'a été enregistré.")
    message_en = ("Structure {structure} is deactivated: its invoices and archives can still "
                  "be read, nothing else can be done. Nothing was saved.")


class ServiceCodeTaken(ChoeurError):
    code = "ORG_SERVICE_CODE_TAKEN"
    http_status = 409
    message_fr = "La structure a déjà un service de code « {code} »."
    message_en = "The structure already has a service with code “{code}”."


class InvalidServiceCode(ChoeurError):
    code = "ORG_INVALID_SERVICE_CODE"
    message_fr = (
        "Le code service « {code} » n'est pas valide : 1 à 100 caractères parmi lettres, "
        "chiffres, tiret, tiret bas, point et barre oblique."
    )
    message_en = (
        "Service code “{code}” is not valid: 1 to 100 characters among letters, digits, "
        "hyphen, underscore, dot and slash."
    )


class InvalidValidityDates(ChoeurError):
    code = "ORG_INVALID_VALIDITY_DATES"
    message_fr = "La fin de validité ne peut pas précéder le début de validité."
    message_en = "The end of validity cannot precede its start."


class DefaultServiceLocked(ChoeurError):
    code = "ORG_DEFAULT_SERVICE_LOCKED"
    message_fr = "Le service par défaut FACTURES_PUBLIQUES ne peut être ni renommé ni désactivé."
    message_en = "The default service FACTURES_PUBLIQUES can be neither renamed nor deactivated."


class RattachementExists(ChoeurError):
    code = "ORG_RATTACHEMENT_EXISTS"
    http_status = 409
    message_fr = "Vous êtes déjà rattaché à cette structure, ou votre demande est en cours."
    message_en = "You are already attached to this structure, or your request is pending."


class RattachementNotPending(ChoeurError):
    code = "ORG_RATTACHEMENT_NOT_PENDING"
    http_status = 409
    message_fr = "Cette demande de rattachement a déjà été traitée."
    message_en = "This attachment request has already been handled."


class PrincipalAlreadyAssigned(ChoeurError):
    code = "ORG_PRINCIPAL_ALREADY_ASSIGNED"
    http_status = 409
    message_fr = ("Cette structure a déjà un gestionnaire principal : c'est à lui de décider "
                  "des autres demandes de rattachement.")
    message_en = ("This structure already has a gestionnaire principal: the other requests "
                  "are theirs to decide.")


class RefusalReasonRequired(ChoeurError):
    code = "ORG_REFUSAL_REASON_REQUIRED"
    message_fr = "Indiquez le motif du refus : il est communiqué au demandeur."
    message_en = "Give the reason for the refusal: it is sent to the requester."


class PrincipalCannotLeave(ChoeurError):
    code = "ORG_PRINCIPAL_CANNOT_LEAVE"
    message_fr = (
        "Le gestionnaire principal ne peut pas être détaché ni perdre son rôle : transférez "
        "d'abord le rôle de gestionnaire principal à un autre utilisateur."
    )
    message_en = (
        "The principal gestionnaire cannot be detached nor lose the role: transfer the "
        "principal role to another user first."
    )


class UserNotFound(ChoeurError):
    code = "ORG_USER_NOT_FOUND"
    http_status = 404
    message_fr = "Aucun compte actif n'existe pour l'adresse {email}."
    message_en = "No active account exists for {email}."


class ServiceNotInStructure(ChoeurError):
    code = "ORG_SERVICE_NOT_IN_STRUCTURE"
    message_fr = "Un des services choisis n'appartient pas à cette structure ou est inactif."
    message_en = "One of the chosen services does not belong to this structure or is inactive."


class EspaceNotOpen(ChoeurError):
    code = "ORG_ESPACE_NOT_OPEN"
    message_fr = "L'espace « {espace} » n'est pas ouvert sur cette structure."
    message_en = "Espace “{espace}” is not open on this structure."


class EspaceLocked(ChoeurError):
    code = "ORG_ESPACE_LOCKED"
    message_fr = "L'espace « {espace} » est toujours ouvert : il ne peut pas être fermé."
    message_en = "Espace “{espace}” is always open: it cannot be closed."


class InvalidIban(ChoeurError):
    code = "ORG_INVALID_IBAN"
    bt = "BT-84"
    message_fr = "L'IBAN « {iban} » n'est pas valide : {reason}"
    message_en = "IBAN “{iban}” is not valid: {reason}"


class InvalidBic(ChoeurError):
    code = "ORG_INVALID_BIC"
    bt = "BT-86"
    message_fr = "Le BIC « {bic} » n'est pas valide, ou ne correspond pas à l'IBAN."
    message_en = "BIC “{bic}” is not valid, or does not match the IBAN."


class BankAccountExists(ChoeurError):
    code = "ORG_BANK_ACCOUNT_EXISTS"
    http_status = 409
    message_fr = "Ces coordonnées bancaires sont déjà enregistrées pour la structure."
    message_en = "These bank details are already recorded for the structure."


class TechnicalAccountNotFound(ChoeurError):
    code = "ORG_TECHNICAL_ACCOUNT_NOT_FOUND"
    http_status = 404
    message_fr = "Compte technique introuvable pour cette structure."
    message_en = "Technical account not found for this structure."


class LenientBearerQualificationOnly(ChoeurError):
    code = "ORG_LENIENT_BEARER_QUALIFICATION_ONLY"
    http_status = 400
    message_fr = ("La tolérance des appels sans jeton n'existe qu'en environnement de "
                  "qualification : en production, chaque appel porte son jeton.")
    message_en = ("Accepting calls without a token exists in the qualification environment "
                  "only: in production, every call carries its token.")


class ApiClientNotFound(ChoeurError):
    code = "ORG_API_CLIENT_NOT_FOUND"
    http_status = 404
    message_fr = "Client OAuth2 introuvable pour cette structure."
    message_en = "OAuth2 client not found for this structure."


class ImportFileInvalid(ChoeurError):
    code = "ORG_IMPORT_INVALID"
    message_fr = "Fichier d'import refusé, rien n'a été importé : {problem}"
    message_en = "Import file refused, nothing was imported: {problem_en}"


class HabilitationUseless(ChoeurError):
    code = "ORG_HABILITATION_USELESS"
    message_fr = "Vous avez déjà cet accès à l'espace (les gestionnaires ont accès à tout)."
    message_en = "You already have this access to the espace (gestionnaires have access to all)."


class HabilitationRequestPending(ChoeurError):
    code = "ORG_HABILITATION_REQUEST_PENDING"
    http_status = 409
    message_fr = "Votre demande d'accès à l'espace « {espace} » est déjà en attente."
    message_en = "Your request for access to espace “{espace}” is already pending."


class StructureReplaced(ChoeurError):
    code = "ORG_STRUCTURE_REPLACED"
    http_status = 409
    message_fr = ("La structure {structure} a changé d'identifiant : c'est sa nouvelle fiche qui "
                  "vit, l'ancienne ne peut pas être réactivée.")
    message_en = ("Structure {structure} changed its identifier: its new record lives on, the "
                  "old one cannot be reactivated.")


# --- Configuration transfer (config_transfer: from qualification to production) -----------


class ConfigInvalid(ChoeurError):
    code = "ORG_CONFIG_INVALID"
    message_fr = "Configuration refusée, rien n'a été importé : {problem}"
    message_en = "Configuration refused, nothing was imported: {problem_en}"


class ConfigVersionUnsupported(ChoeurError):
    code = "ORG_CONFIG_VERSION_UNSUPPORTED"
    message_fr = ("Configuration refusée, rien n'a été importé : elle est en version {version} "
                  "du format, et cette instance lit la version {supported}. Exportez-la à "
                  "nouveau depuis une instance de la même version de Choeur.")
    message_en = ("Configuration refused, nothing was imported: it is in version {version} of "
                  "the format, and this instance reads version {supported}. Export it again "
                  "from an instance of the same Choeur version.")


class ConfigTooLarge(ChoeurError):
    code = "ORG_CONFIG_TOO_LARGE"
    http_status = 413
    message_fr = ("Configuration refusée, rien n'a été importé : {what} dépasse la limite "
                  "({limit}).")
    message_en = ("Configuration refused, nothing was imported: {what_en} exceeds the limit "
                  "({limit}).")


class ConfigOtherStructure(ChoeurError):
    code = "ORG_CONFIG_OTHER_STRUCTURE"
    http_status = 409
    message_fr = ("Configuration refusée, rien n'a été importé : elle est celle de la structure "
                  "{source}, pas de {target}. Pour l'importer quand même (une structure de "
                  "qualification à l'identifiant fictif, par exemple), dites-le expressément.")
    message_en = ("Configuration refused, nothing was imported: it belongs to structure "
                  "{source}, not {target}. To import it all the same (a qualification structure "
                  "with a fictitious identifier, say), ask for it explicitly.")


class ConfigKindMismatch(ChoeurError):
    code = "ORG_CONFIG_KIND_MISMATCH"
    http_status = 409
    message_fr = ("Configuration refusée, rien n'a été importé : elle est celle d'une structure "
                  "{source_kind}, et {target} est une structure {target_kind}.")
    message_en = ("Configuration refused, nothing was imported: it belongs to a {source_kind_en} "
                  "structure, and {target} is a {target_kind_en} structure.")


class ConfigImportRefused(ChoeurError):
    code = "ORG_CONFIG_IMPORT_REFUSED"
    http_status = 409
    message_fr = "Configuration refusée, rien n'a été importé : {item} — {problem} [{cause}]"
    message_en = "Configuration refused, nothing was imported: {item_en} — {problem_en} [{cause}]"


class PaymentCategoryInvalid(ChoeurError):
    code = "ORG_PAYMENT_CATEGORY_INVALID"
    message_fr = ("La catégorie « {value} » n'existe pas : choisissez État, collectivité, "
                  "établissement public, établissement public de santé ou entreprise publique.")
    message_en = ("Category “{value}” does not exist: choose State, local authority, public "
                  "establishment, public health establishment or public company.")


class PaymentCategoryPublicOnly(ChoeurError):
    code = "ORG_PAYMENT_CATEGORY_PUBLIC_ONLY"
    message_fr = ("Seule une structure publique a une catégorie de délai de paiement : elle "
                  "fixe le délai des factures qu'elle reçoit.")
    message_en = ("Only a public structure has a payment-delay category: it sets the delay of "
                  "the invoices it receives.")
