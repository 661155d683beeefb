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


class QuestionEmpty(AideError):
    code = "AIDE_QUESTION_EMPTY"
    message_fr = "Posez votre question en quelques mots."
    message_en = "Ask your question in a few words."


class QuestionTooLong(AideError):
    code = "AIDE_QUESTION_TOO_LONG"
    message_fr = ("La question est trop longue ({limit} caractères au plus) : posez-la en "
                  "quelques mots.")
    message_en = "The question is too long ({limit} characters at most): ask it in a few words."


class EmailInvalid(AideError):
    code = "AIDE_EMAIL_INVALID"
    message_fr = "Saisissez une adresse électronique valide."
    message_en = "Enter a valid e-mail address."


class ExchangeNotFound(AideError):
    code = "AIDE_EXCHANGE_NOT_FOUND"
    http_status = 404
    message_fr = "Cette réponse de l'assistant est introuvable (la session a peut-être expiré)."
    message_en = "This answer of the assistant was not found (the session may have expired)."


class RatingInvalid(AideError):
    code = "AIDE_RATING_INVALID"
    message_fr = "Un avis est « oui » (réponse utile) ou « non »."
    message_en = "A rating is “oui” (useful answer) or “non”."
