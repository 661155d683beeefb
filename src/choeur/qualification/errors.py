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
