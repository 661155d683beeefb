"""Typed errors with stable codes and French/English messages (house rule 6).

Every error a user can meet is a subclass of `ChoeurError` with a code that never changes
once published (API clients and support tickets quote it), a message in French and in
English, an HTTP status for the portal and the API, and, for invoice data, the EN 16931
business term concerned. Messages are `str.format` templates filled from the error's
parameters: `NotFound(object_label="structure")`.
"""

from __future__ import annotations

from typing import ClassVar

_registry: dict[str, type[ChoeurError]] = {}


class ChoeurError(Exception):
    code: ClassVar[str] = ""
    message_fr: ClassVar[str] = ""
    message_en: ClassVar[str] = ""
    http_status: ClassVar[int] = 400
    bt: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.code:
            return  # an abstract family (e.g. "permission errors"), not a concrete error
        if not (cls.message_fr and cls.message_en):
            raise TypeError(f"{cls.__name__} needs both message_fr and message_en")
        other = _registry.get(cls.code)
        if other is not None and other.__qualname__ != cls.__qualname__:
            raise TypeError(f"error code {cls.code} used by {other.__name__} and {cls.__name__}")
        _registry[cls.code] = cls

    def __init__(self, **params: object):
        self.params = params
        super().__init__(self.message("en"))

    def message(self, language: str | None = None) -> str:
        """The message in `language` ("fr" or "en"); the active Django language by default."""
        if language is None:
            from django.utils.translation import get_language

            language = get_language() or "fr"
        template = self.message_en if language.startswith("en") else self.message_fr
        try:
            return template.format(**self.params)
        except (KeyError, IndexError):
            return template

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message_fr": self.message("fr"),
            "message_en": self.message("en"),
            "bt": self.bt,
        }


def catalogue() -> list[type[ChoeurError]]:
    """Every registered error, sorted by code (for the documentation and the tests)."""
    return [_registry[code] for code in sorted(_registry)]


class NotFound(ChoeurError):
    code = "CORE_NOT_FOUND"
    http_status = 404
    message_fr = "{object_label} introuvable, ou vous n'y avez pas accès."
    message_en = "{object_label} not found, or you have no access to it."


class PermissionRefused(ChoeurError):
    code = "CORE_PERMISSION_REFUSED"
    http_status = 403
    message_fr = "Vous n'avez pas l'habilitation nécessaire pour cette action."
    message_en = "You do not have the habilitation this action requires."


class Conflict(ChoeurError):
    code = "CORE_CONFLICT"
    http_status = 409
    message_fr = "L'objet a été modifié entre-temps ; rechargez la page et recommencez."
    message_en = "The object changed in the meantime; reload the page and try again."


class OutsideTransaction(ChoeurError):
    code = "CORE_OUTSIDE_TRANSACTION"
    http_status = 500
    message_fr = "Erreur interne : une écriture a été tentée hors transaction."
    message_en = "Internal error: a write was attempted outside a transaction."


class FileTooLarge(ChoeurError):
    code = "CORE_FILE_TOO_LARGE"
    http_status = 413
    message_fr = "Le fichier dépasse la taille maximale autorisée ({limit} octets)."
    message_en = "The file is larger than the maximum allowed size ({limit} bytes)."


class BlobMissing(ChoeurError):
    code = "CORE_BLOB_MISSING"
    http_status = 500
    message_fr = "Le fichier {sha256} est introuvable dans le stockage."
    message_en = "File {sha256} is missing from the storage."


class BlobCorrupted(ChoeurError):
    code = "CORE_BLOB_CORRUPTED"
    http_status = 500
    message_fr = "Le fichier {sha256} stocké ne correspond plus à son empreinte."
    message_en = "Stored file {sha256} no longer matches its fingerprint."


class DatabaseUnavailable(ChoeurError):
    """The database cannot be reached (stopped, restarting, network cut): a passing state,
    answered 503 with `Retry-After` — the client sends the same request again later."""

    code = "CORE_DATABASE_UNAVAILABLE"
    http_status = 503
    message_fr = ("Service momentanément indisponible (base de données injoignable) : "
                  "réessayez dans {retry_after} secondes.")
    message_en = ("Service temporarily unavailable (database unreachable): try again in "
                  "{retry_after} seconds.")

    def __init__(self, retry_after: int = 5):
        super().__init__(retry_after=retry_after)
        self.retry_after = retry_after


class StorageUnavailable(DatabaseUnavailable):
    """The object store (S3) cannot be reached or cannot serve for a moment: the same
    passing state as the database's, answered the same way, named for what is down."""

    code = "CORE_STORAGE_UNAVAILABLE"
    message_fr = ("Service momentanément indisponible (stockage des fichiers injoignable) : "
                  "réessayez dans {retry_after} secondes.")
    message_en = ("Service temporarily unavailable (file storage unreachable): try again in "
                  "{retry_after} seconds.")
