"""Coded errors of the help centre (house rule 6)."""

from choeur.core.errors import ChoeurError


class AideError(ChoeurError):
    pass


class QueryTooLong(AideError):
    code = "AIDE_QUERY_TOO_LONG"
    message_fr = "La recherche est trop longue ({limit} caractères au plus)."
    message_en = "The search is too long ({limit} characters at most)."


class ArticleInvalid(AideError):
    code = "AIDE_ARTICLE_INVALID"
    http_status = 500
    message_fr = "L'article d'aide {name} est mal formé : {reason}"
    message_en = "Help article {name} is malformed: {reason}"
