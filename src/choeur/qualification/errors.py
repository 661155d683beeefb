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


class MatelasSeedInvalid(ChoeurError):
    code = "QUAL_MATELAS_SEED_INVALID"
    message_fr = "Graine invalide : {seed} (attendu : un nombre entier de 0 à {limit})."
    message_en = "Invalid seed: {seed} (expected: a whole number from 0 to {limit})."


class MatelasExists(ChoeurError):
    code = "QUAL_MATELAS_EXISTS"
    http_status = 409
    message_fr = ("Le matelas de la graine {seed} existe déjà sur cette instance (la structure "
                  "{identifier} y est). Choisissez une autre graine, ou aucune pour un tirage "
                  "au hasard.")
    message_en = ("The data set of seed {seed} already exists on this instance (structure "
                  "{identifier} is there). Choose another seed, or none for a random draw.")


class MatelasOutputUnwritable(ChoeurError):
    code = "QUAL_MATELAS_OUTPUT_UNWRITABLE"
    message_fr = "Impossible d'écrire {path} : {reason}. Rien n'a été créé."
    message_en = "Cannot write {path}: {reason}. Nothing was created."


class MatelasUserInactive(ChoeurError):
    code = "QUAL_MATELAS_USER_INACTIVE"
    message_fr = ("Le compte {email} n'est pas actif (activation en attente ou désactivé) : "
                  "activez-le avant de générer son matelas.")
    message_en = ("The account {email} is not active (awaiting activation or deactivated): "
                  "activate it before generating its data set.")


class AnnuaireSeedInvalid(ChoeurError):
    code = "QUAL_ANNUAIRE_SEED_INVALID"
    message_fr = ("Graine de l'annuaire invalide : {value} (attendu : un nombre entier de 0 à "
                  "{limit}, qui redonne les mêmes destinataires à chaque fois).")
    message_en = ("Invalid annuaire seed: {value} (expected: a whole number from 0 to {limit}, "
                  "which gives the same recipients every time).")


class AnnuaireCountInvalid(ChoeurError):
    code = "QUAL_ANNUAIRE_COUNT_INVALID"
    message_fr = ("Nombre de destinataires publics à générer invalide : {value} (attendu : un "
                  "nombre entier de 1 à {limit}).")
    message_en = ("Invalid number of public recipients to generate: {value} (expected: a whole "
                  "number from 1 to {limit}).")
# --- Fault injection (qualification.faults) ---------------------------------------------------


class FaultUnknown(ChoeurError):
    code = "QUAL_FAULT_UNKNOWN"
    message_fr = "Panne inconnue : « {value} » (pannes possibles : {allowed})."
    message_en = "Unknown fault: “{value}” (possible faults: {allowed})."


class FaultValueInvalid(ChoeurError):
    code = "QUAL_FAULT_VALUE_INVALID"
    message_fr = "{field_fr} : un nombre entier de {low} à {high} est attendu (reçu : « {value} »)."
    message_en = "{field_en}: a whole number from {low} to {high} is expected (got “{value}”)."


class FaultFluxOutcomeUnknown(ChoeurError):
    code = "QUAL_FAULT_FLUX_OUTCOME_UNKNOWN"
    message_fr = "Issue de flux inconnue : « {value} » (issues possibles : {allowed})."
    message_en = "Unknown flux outcome: “{value}” (possible outcomes: {allowed})."


class InjectedTooManyRequests(ChoeurError):
    """The 429 answer of the fault injection (the wire envelope, `Retry-After` beside it)."""

    code = "QUAL_FAULT_INJECTED_TOO_MANY_REQUESTS"
    http_status = 429
    wire_error = "TooManyRequests"  # its `error` in the referential's shape (/organisations/)
    message_fr = ("Trop de requêtes : réessayez dans {retry_after} secondes (panne injectée "
                  "en qualification pour ce compte technique).")
    message_en = ("Too many requests: try again in {retry_after} seconds (fault injected in "
                  "qualification for this technical account).")


class InjectedFluxRejected(ChoeurError):
    """The line of each invoice of a flux the fault injection rejects."""

    code = "QUAL_FAULT_INJECTED_FLUX_REJECTED"
    message_fr = ("Flux rejeté par une panne injectée en qualification (compte technique "
                  "{login}) : la facture n'a pas été examinée. Arrêtez la panne sur la page "
                  "Raccordements de la structure pour intégrer les flux suivants normalement.")
    message_en = ("Flux rejected by a fault injected in qualification (technical account "
                  "{login}): the invoice was not examined. Stop the fault on the structure's "
                  "Raccordements page to integrate the next flux normally.")


class InjectedFluxIncident(ChoeurError):
    """The technical error of a flux the fault injection leaves in incident."""

    code = "QUAL_FAULT_INJECTED_FLUX_INCIDENT"
    message_fr = ("Incident technique simulé par une panne injectée en qualification (compte "
                  "technique {login}) : le flux est repris automatiquement et retombe en "
                  "incident tant que la panne est active ; arrêtez-la pour qu'il soit intégré.")
    message_en = ("Technical incident simulated by a fault injected in qualification "
                  "(technical account {login}): the flux is resumed automatically and falls "
                  "into incident again while the fault is active; stop it to have it "
                  "integrated.")
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
