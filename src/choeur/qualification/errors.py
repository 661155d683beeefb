from choeur.core.errors import ChoeurError


class QualificationOnly(ChoeurError):
    code = "QUAL_QUALIFICATION_ONLY"
    http_status = 404
    message_fr = ("Cette fonction n'existe que dans l'environnement de qualification "
                  "(CHOEUR_ENVIRONMENT=qualification).")
    message_en = ("This exists in the qualification environment only "
                  "(CHOEUR_ENVIRONMENT=qualification).")


class ClockDaysInvalid(ChoeurError):
    code = "QUAL_CLOCK_DAYS_INVALID"
    message_fr = "Avancez l'horloge d'un nombre entier de jours entre 1 et {limit} (reçu : {days})."
    message_en = "Move the clock forward by a whole number of days from 1 to {limit} (got {days})."


class ClockBackwards(ChoeurError):
    code = "QUAL_CLOCK_BACKWARDS"
    message_fr = ("L'horloge ne recule pas : la date simulée est déjà le {current} (demandé : "
                  "{asked}). Les délais échus et les factures datées ne se défont pas.")
    message_en = ("The clock does not go back: the simulated date is already {current} (asked: "
                  "{asked}). Elapsed delays and dated invoices cannot be undone.")


class ClockDateInvalid(ChoeurError):
    code = "QUAL_CLOCK_DATE_INVALID"
    message_fr = "Date invalide : {value} (attendu : AAAA-MM-JJ, dans les dix ans)."
    message_en = "Invalid date: {value} (expected: YYYY-MM-DD, within ten years)."


# --- Recipient simulator (qualification.simulator) -------------------------------------------


class SimulatorPublicOnly(ChoeurError):
    code = "QUAL_SIMULATOR_PUBLIC_ONLY"
    message_fr = ("Seule une structure publique reçoit des factures : {structure} n'a pas de "
                  "destinataire à simuler.")
    message_en = ("Only a public structure receives invoices: {structure} has no recipient to "
                  "simulate.")


class ScenarioEmpty(ChoeurError):
    code = "QUAL_SCENARIO_EMPTY"
    message_fr = ("Un scénario a au moins une étape. Pour traiter vous-même les factures "
                  "reçues, passez en mode manuel.")
    message_en = ("A scenario has at least one step. To process received invoices yourself, "
                  "switch to manual mode.")


class ScenarioTooManySteps(ChoeurError):
    code = "QUAL_SCENARIO_TOO_MANY_STEPS"
    message_fr = "Un scénario a au plus {limit} étapes (reçu : {count})."
    message_en = "A scenario has at most {limit} steps (got {count})."


class ScenarioDaysInvalid(ChoeurError):
    code = "QUAL_SCENARIO_DAYS_INVALID"
    message_fr = ("Étape {position} : le délai est un nombre entier de jours entre {previous} "
                  "(celui de l'étape précédente) et {limit} (reçu : {days}).")
    message_en = ("Step {position}: the delay is a whole number of days from {previous} (the "
                  "previous step's) to {limit} (got {days}).")


class ScenarioStatusNotAllowed(ChoeurError):
    code = "QUAL_SCENARIO_STATUS_NOT_ALLOWED"
    message_fr = ("Étape {position} : le destinataire ne peut pas passer la facture de "
                  "{previous} à {status}. Possibles : {allowed}.")
    message_en = ("Step {position}: the recipient cannot move the invoice from {previous} to "
                  "{status}. Possible: {allowed}.")


class ScenarioStatusRepeated(ChoeurError):
    code = "QUAL_SCENARIO_STATUS_REPEATED"
    message_fr = ("Étape {position} : le statut {status} figure déjà dans le scénario (une "
                  "seule suspension par scénario : une facture complétée reprend après elle).")
    message_en = ("Step {position}: the status {status} is already in the scenario (one "
                  "suspension per scenario: a completed invoice resumes after it).")


class ScenarioReasonRequired(ChoeurError):
    code = "QUAL_SCENARIO_REASON_REQUIRED"
    message_fr = "Étape {position} : le statut {status} demande un motif, que le fournisseur lira."
    message_en = "Step {position}: the status {status} needs a reason, which the supplier reads."


class ScenarioCommentTooLong(ChoeurError):
    code = "QUAL_SCENARIO_COMMENT_TOO_LONG"
    message_fr = "Étape {position} : le motif a au plus {limit} caractères."
    message_en = "Step {position}: the reason has at most {limit} characters."
