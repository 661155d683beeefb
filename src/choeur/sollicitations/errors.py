"""Coded errors of the sollicitations (docs/SOLLICITATIONS.md)."""

from choeur.core.errors import ChoeurError


class SollicitationNotFound(ChoeurError):
    code = "SOL_NOT_FOUND"
    http_status = 404
    message_fr = "Sollicitation introuvable, ou vous n'y avez pas accès."
    message_en = "Request not found, or you have no access to it."


class CategoryUnknown(ChoeurError):
    code = "SOL_CATEGORY_UNKNOWN"
    message_fr = ("Choisissez une catégorie et une sous-catégorie de la liste : elles "
                  "déterminent qui traitera votre sollicitation. Rien n'a été enregistré.")
    message_en = ("Choose a category and a sub-category from the list: they decide who will "
                  "handle your request. Nothing was saved.")


class TextRequired(ChoeurError):
    code = "SOL_TEXT_REQUIRED"
    message_fr = "{field} est obligatoire (au plus {limit} caractères). Rien n'a été enregistré."
    message_en = "{field} is required (at most {limit} characters). Nothing was saved."


class TextTooLong(ChoeurError):
    code = "SOL_TEXT_TOO_LONG"
    message_fr = "{field} dépasse {limit} caractères. Rien n'a été enregistré."
    message_en = "{field} is longer than {limit} characters. Nothing was saved."


class RecipientRequired(ChoeurError):
    code = "SOL_RECIPIENT_REQUIRED"
    message_fr = ("Cette sous-catégorie s'adresse à l'entité publique concernée : indiquez son "
                  "SIRET (annuaire) ou la facture, le dossier concerné. Rien n'a été "
                  "enregistré.")
    message_en = ("This sub-category goes to the public entity concerned: give its SIRET "
                  "(directory) or the invoice or billing file concerned. Nothing was saved.")


class RecipientUnknown(ChoeurError):
    code = "SOL_RECIPIENT_UNKNOWN"
    message_fr = ("Aucune entité publique active ne porte l'identifiant « {identifier} » dans "
                  "l'annuaire. Rien n'a été enregistré.")
    message_en = ("No active public entity has identifier \u201c{identifier}\u201d in the "
                  "directory. Nothing was saved.")


class ServiceUnknown(ChoeurError):
    code = "SOL_SERVICE_UNKNOWN"
    message_fr = ("{recipient} n'a pas de service actif de code « {code} ». Rien n'a été "
                  "enregistré.")
    message_en = ("{recipient} has no active service with code \u201c{code}\u201d. Nothing was "
                  "saved.")


class RecipientIsSender(ChoeurError):
    code = "SOL_RECIPIENT_IS_SENDER"
    message_fr = ("Une sollicitation s'adresse à une autre structure que la vôtre. Rien n'a été "
                  "enregistré.")
    message_en = "A request goes to another structure than your own. Nothing was saved."


class LinkedObjectNotFound(ChoeurError):
    code = "SOL_LINKED_OBJECT_NOT_FOUND"
    http_status = 400
    message_fr = ("{object_label} « {reference} » introuvable parmi ceux de {structure}, ou vous "
                  "n'y avez pas accès. Rien n'a été enregistré.")
    message_en = ("{object_label} \u201c{reference}\u201d not found among those of "
                  "{structure}, or you have no access to it. Nothing was saved.")


class TooManyAttachments(ChoeurError):
    code = "SOL_TOO_MANY_ATTACHMENTS"
    message_fr = ("Au plus {limit} pièces jointes par message, {limit_mb} Mo en tout. Rien n'a "
                  "été enregistré.")
    message_en = ("At most {limit} attachments per message, {limit_mb} MB in all. Nothing was "
                  "saved.")


class ActionNotYours(ChoeurError):
    code = "SOL_ACTION_NOT_YOURS"
    http_status = 403
    message_fr = ("Cette action revient à {side} de la sollicitation {number} : vous ne pouvez "
                  "pas la faire. Rien n'a changé.")
    message_en = ("This action belongs to the {side} of request {number}: you cannot take it. "
                  "Nothing changed.")


class TransitionRefused(ChoeurError):
    code = "SOL_TRANSITION_REFUSED"
    http_status = 409
    message_fr = ("La sollicitation {number} est au statut « {status} » : « {action} » n'est "
                  "pas possible maintenant. Rien n'a changé.")
    message_en = ("Request {number} has status \u201c{status}\u201d: \u201c{action}\u201d is not "
                  "possible now. Nothing changed.")


class NotAssigned(ChoeurError):
    code = "SOL_NOT_ASSIGNED"
    http_status = 409
    message_fr = ("Prenez d'abord en charge la sollicitation {number} (elle est {who}) : seul "
                  "l'agent qui l'a prise en charge y répond. Rien n'a changé.")
    message_en = ("First take request {number} (it is {who}): only the agent who took it "
                  "answers it. Nothing changed.")


class AlreadyAssigned(ChoeurError):
    code = "SOL_ALREADY_ASSIGNED"
    http_status = 409
    message_fr = "Vous avez déjà pris en charge la sollicitation {number}."
    message_en = "You have already taken request {number}."


class TransferTargetInvalid(ChoeurError):
    code = "SOL_TRANSFER_TARGET_INVALID"
    message_fr = ("Transférez au support, ou à une autre entité publique active que celle qui "
                  "traite la sollicitation aujourd'hui. Rien n'a changé.")
    message_en = ("Transfer to the support, or to another active public entity than the one "
                  "handling the request today. Nothing changed.")


class StructureRequired(ChoeurError):
    code = "SOL_STRUCTURE_REQUIRED"
    http_status = 403
    message_fr = ("Émettre une sollicitation demande l'habilitation « Sollicitations émises » "
                  "en modification sur l'une de vos structures.")
    message_en = ("Sending a request needs the \u201cSollicitations émises\u201d habilitation "
                  "(modification) on one of your structures.")


class TooManyLoggedOut(ChoeurError):
    code = "SOL_TOO_MANY_LOGGED_OUT"
    http_status = 429
    message_fr = ("Au plus {limit} sollicitations par jour depuis une même adresse sans "
                  "connexion : le support traite celles déjà envoyées et vous répondra.")
    message_en = ("At most {limit} requests a day from one address without signing in: the "
                  "support handles those already sent and will answer you.")
