"""Coded errors of the dashboards (docs/CONSERVATION.md « Dashboards »): bad filters are
refused with a code, nothing is computed; a structure, service or partner the user may not
see is "not found", the same answer as one that does not exist."""

from choeur.core.errors import ChoeurError


class DateInvalid(ChoeurError):
    code = "REPORT_DATE_INVALID"
    message_fr = "{field} : « {value} » n'est pas une date (attendu : AAAA-MM-JJ)."
    message_en = "{field}: \u201c{value}\u201d is not a date (expected: YYYY-MM-DD)."


class PeriodInverted(ChoeurError):
    code = "REPORT_PERIOD_INVERTED"
    message_fr = "La date de début ({start}) est postérieure à la date de fin ({end})."
    message_en = "The start date ({start}) is after the end date ({end})."


class PeriodTooLong(ChoeurError):
    code = "REPORT_PERIOD_TOO_LONG"
    message_fr = "La période couvre au plus {limit} jours : choisissez des dates plus proches."
    message_en = "The period covers at most {limit} days: choose closer dates."


class FilterNotFound(ChoeurError):
    code = "REPORT_FILTER_NOT_FOUND"
    http_status = 404
    message_fr = "{label} introuvable, ou vous n'y avez pas accès."
    message_en = "{label_en} not found, or you have no access to it."


class TableUnknown(ChoeurError):
    code = "REPORT_TABLE_UNKNOWN"
    http_status = 404
    message_fr = "Ce tableau n'existe pas : « {name} »."
    message_en = "No such table: \u201c{name}\u201d."
