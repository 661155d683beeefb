"""Coded errors of notifications, their preferences and the platform's news (Actualités)."""

from choeur.core.errors import ChoeurError


class DigestInvalid(ChoeurError):
    code = "MSG_DIGEST_INVALID"
    message_fr = ("Récapitulatif inconnu « {value} » : choisissez aucun, quotidien ou "
                  "hebdomadaire. Rien n'a été enregistré.")
    message_en = ("Unknown digest \u201c{value}\u201d: choose none, daily or weekly. Nothing "
                  "was saved.")


class PreferenceInvalid(ChoeurError):
    code = "MSG_PREFERENCE_INVALID"
    message_fr = ("Préférence inconnue « {value} » : seuls les canaux portail et courriel des "
                  "applications Factures, Engagements, Sollicitations et Actualités se "
                  "règlent. Rien n'a été enregistré.")
    message_en = ("Unknown preference \u201c{value}\u201d: only the portal and e-mail channels "
                  "of the Invoices, Commitments, Requests and News applications can be set. "
                  "Nothing was saved.")


class NewsNotFound(ChoeurError):
    code = "MSG_NEWS_NOT_FOUND"
    http_status = 404
    message_fr = "Actualité introuvable."
    message_en = "News item not found."


class NewsTitleInvalid(ChoeurError):
    code = "MSG_NEWS_TITLE_INVALID"
    message_fr = ("Le titre d'une actualité est obligatoire et tient en {max} caractères. "
                  "Rien n'a été enregistré.")
    message_en = ("A news item needs a title of at most {max} characters. Nothing was saved.")


class NewsBodyInvalid(ChoeurError):
    code = "MSG_NEWS_BODY_INVALID"
    message_fr = ("Le texte d'une actualité est obligatoire et tient en {max} caractères. "
                  "Rien n'a été enregistré.")
    message_en = ("A news item needs a text of at most {max} characters. Nothing was saved.")


class NewsDateInvalid(ChoeurError):
    code = "MSG_NEWS_DATE_INVALID"
    message_fr = ("Date de publication illisible « {value} » : attendu AAAA-MM-JJ HH:MM. Rien "
                  "n'a été enregistré.")
    message_en = ("Unreadable publication date \u201c{value}\u201d: expected YYYY-MM-DD HH:MM. "
                  "Nothing was saved.")


class NewsPeriodInvalid(ChoeurError):
    code = "MSG_NEWS_PERIOD_INVALID"
    message_fr = ("La fin de publication doit suivre son début. Rien n'a été enregistré.")
    message_en = ("Publication must end after it starts. Nothing was saved.")
