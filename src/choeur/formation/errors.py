"""The course's coded errors (house rule 6): sessions, invitations, joining with a code."""

from choeur.core.errors import ChoeurError


class NotTrainer(ChoeurError):
    code = "FORM_NOT_TRAINER"
    http_status = 403
    message_fr = ("Seul un formateur ouvre et suit des sessions de formation : demandez à "
                  "l'administrateur de la plateforme de vous en donner le droit.")
    message_en = ("Only a trainer opens and follows training sessions: ask the platform's "
                  "administrator for that right.")


class SessionInvalid(ChoeurError):
    code = "FORM_SESSION_INVALID"
    message_fr = "Session de formation : {problem}"
    message_en = "Training session: {problem_en}"


class CodeUnknown(ChoeurError):
    code = "FORM_CODE_UNKNOWN"
    message_fr = ("Aucune session de formation ouverte n'a ce code : vérifiez-le auprès de "
                  "votre formateur (8 caractères, lettres et chiffres).")
    message_en = ("No open training session has this code: check it with your trainer "
                  "(8 characters, letters and digits).")


class CodeThrottled(ChoeurError):
    code = "FORM_CODE_THROTTLED"
    http_status = 429
    message_fr = ("Trop de codes de session erronés : réessayez dans {retry_after} secondes, "
                  "avec le code donné par votre formateur.")
    message_en = ("Too many wrong session codes: try again in {retry_after} seconds, with the "
                  "code your trainer gave you.")


class OwnSession(ChoeurError):
    code = "FORM_OWN_SESSION"
    http_status = 409
    message_fr = ("Vous êtes le formateur de la session « {title} » : un stagiaire la "
                  "rejoint avec son propre compte.")
    message_en = ("You are the trainer of the session « {title} »: a trainee joins it with "
                  "their own account.")


class InvitationsInvalid(ChoeurError):
    code = "FORM_INVITATIONS_INVALID"
    message_fr = "Invitations : {problem}. Rien n'a été envoyé."
    message_en = "Invitations: {problem_en}. Nothing was sent."


class SessionClosed(ChoeurError):
    code = "FORM_SESSION_CLOSED"
    http_status = 409
    message_fr = ("La session « {title} » est close : rouvrez-la pour inviter d'autres "
                  "stagiaires. Rien n'a été envoyé.")
    message_en = ("The session « {title} » is closed: reopen it to invite more trainees. "
                  "Nothing was sent.")
