"""Errors on the wire: every one an envelope with a `codeRetour` and a readable `libelle`.

A `ChoeurError` raised by a service keeps its HTTP status (`http_status`) and becomes
`{"codeRetour": <number>, "libelle": "<CODE> - <message>"}`: the number tells the family
(table below), the libelle names Choeur's stable error code and says what went wrong, in
French (Chorus Pro's language) or in English when the client asks for it
(`Accept-Language: en`). Business errors come back with HTTP 4xx, as the Go client expects
(it reads `codeRetour`/`libelle` from a 400 body); only the "no result" answers of a search
are HTTP 200 with a non-zero code (reference §7.5). Nothing raised inside the API ever gives a
stack trace: an unexpected exception is logged and answered 500 with `API_INTERNAL_ERROR`;
the database being unreachable (stopped, restarting) is no bug but a passing state, answered
503 with `Retry-After` and `CORE_DATABASE_UNAVAILABLE` (codeRetour 29998): send again later.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse

from choeur.core import outage
from choeur.core.errors import ChoeurError, DatabaseUnavailable, StorageUnavailable

logger = logging.getLogger("choeur.api")

#: codeRetour per HTTP status. Chorus Pro publishes no such table: its business codes are
#: 2xxxx (20000 "no result", 20001 "flux introuvable", 20003 "file too large"...), so
#: Choeur's families sit there too.
CODE_RETOUR = {
    400: 20002,  # invalid request: malformed JSON, wrong types, refused by a business rule
    401: 20010,  # authentication (token or technical account)
    403: 20005,  # the technical account's structure lacks the right
    404: 20001,  # not found, or not yours (never told apart)
    409: 20004,  # changed in the meantime
    405: 20006,  # the operation exists, not with this HTTP method
    413: 20003,  # too large
    429: 20011,  # too many failed authentications: retry after the delay given
    500: 29999,  # internal error
    503: 29998,  # unavailable for a moment (database unreachable): send again after Retry-After
}


class ApiError(ChoeurError):
    """Errors of the wire API itself (the services' errors keep their own codes)."""


class BodyNotJson(ApiError):
    code = "API_MALFORMED_JSON"
    message_fr = "Le corps de la requête n'est pas un JSON valide."
    message_en = "The request body is not valid JSON."


class BodyNotAnObject(ApiError):
    code = "API_BODY_NOT_OBJECT"
    message_fr = "Le corps de la requête doit être un objet JSON ({{...}})."
    message_en = "The request body must be a JSON object ({{...}})."


class InvalidField(ApiError):
    code = "API_INVALID_FIELD"
    message_fr = "Le champ « {field} » n'est pas valide : {detail_fr}."
    message_en = "Field “{field}” is not valid: {detail_en}."


class PageTooLarge(ApiError):
    code = "API_PAGE_TOO_LARGE"
    message_fr = ("Au plus {limit} résultats par page (nbResultatsParPage = {asked}) : "
                  "demandez plusieurs pages.")
    message_en = ("At most {limit} results a page (nbResultatsParPage = {asked}): "
                  "ask for several pages.")


class BodyTooLarge(ApiError):
    code = "API_BODY_TOO_LARGE"
    http_status = 413
    message_fr = "La requête est trop volumineuse."
    message_en = "The request is too large."


class Unauthorized(ApiError):
    code = "API_UNAUTHORIZED"
    http_status = 401
    message_fr = "Authentification refusée : {reason_fr}."
    message_en = "Authentication refused: {reason_en}."

    def __init__(self, *, error: str, description: str, reason_fr: str, reason_en: str):
        super().__init__(reason_fr=reason_fr, reason_en=reason_en)
        self.error = error
        self.description = description


class Throttled(ApiError):
    code = "API_TOO_MANY_ATTEMPTS"
    http_status = 429
    message_fr = ("Trop de tentatives d'authentification échouées pour ce compte technique ou "
                  "cette adresse : réessayez dans {retry_after} secondes.")
    message_en = ("Too many failed authentication attempts for this technical account or "
                  "address: try again in {retry_after} seconds.")

    @classmethod
    def until(cls, when) -> Throttled:
        from math import ceil

        from choeur.core import clock

        error = cls(retry_after=max(1, ceil((when - clock.now()).total_seconds())))
        error.retry_after = error.params["retry_after"]
        return error


class MethodNotAllowed(ApiError):
    code = "API_METHOD_NOT_ALLOWED"
    http_status = 405
    message_fr = "La méthode HTTP {method} n'est pas acceptée par {path} (acceptées : {allowed})."
    message_en = "HTTP method {method} is not accepted by {path} (accepted: {allowed})."


class UnknownOperation(ApiError):
    code = "API_UNKNOWN_OPERATION"
    http_status = 404
    message_fr = "Cette opération de l'API n'existe pas (ou pas encore) dans Choeur : {path}."
    message_en = "This API operation does not exist (or not yet) in Choeur: {path}."


class InternalError(ApiError):
    code = "API_INTERNAL_ERROR"
    http_status = 500
    message_fr = "Erreur interne du serveur ; l'incident est journalisé."
    message_en = "Internal server error; the incident has been logged."


class Answer(Exception):  # noqa: N818 — not an error: an answer given as it is
    """An answer decided before the operation ran (qualification's injected faults:
    `api.faults`), given as it is: no envelope added."""

    def __init__(self, response):
        super().__init__(response.status_code)
        self.response = response


def language_of(request: HttpRequest) -> str:
    accept = request.headers.get("Accept-Language", "")
    return "en" if accept.strip().lower().startswith("en") else "fr"


def envelope(error: ChoeurError, language: str = "fr") -> dict:
    return {"codeRetour": CODE_RETOUR.get(error.http_status, CODE_RETOUR[400]),
            "libelle": f"{error.code} - {error.message(language)}"}


#: The REST-style referential (reference §3.8) answers errors in its own shapes, not the
#: `codeRetour` envelope: see `referential_response`.
REFERENTIAL_PREFIX = "/cpro/organisations/"

#: The referential's `error` name per HTTP status, for errors that name none themselves
#: (`wire_error`). `NotFoundReference` is what the qualification platform answers, with HTTP
#: 400, for a reference that does not exist ([PHP-Z] tests/ReferentielDesOrganisationsTest).
REFERENTIAL_ERRORS = {400: "ParamsInvalid", 403: "Forbidden", 404: "NotFoundReference",
                      405: "MethodNotAllowed", 409: "Conflict", 413: "PayloadTooLarge",
                      500: "InternalError", 503: "ServiceUnavailable"}

#: The gateway's 401 body on this family ([PHP-Z] tests: testBadTechAccountLogin/Password).
REFERENTIAL_UNAUTHORIZED = {"ErrorCode": "401", "Description": "[invalid field]"}


def referential_response(request: HttpRequest, error: ChoeurError) -> JsonResponse:
    """An error of /cpro/organisations/v1: a list of `{error, message, detail}` as the real
    platform answers (HTTP 400 for a reference not found, as it does), with Choeur's stable
    `code` beside them; the gateway's own body for a refused authentication."""
    if isinstance(error, Unauthorized):
        response = JsonResponse(REFERENTIAL_UNAUTHORIZED, status=401)
        response["WWW-Authenticate"] = (
            f'Bearer realm="PISTE",error="{error.error}",'
            f'error_description="{error.description}"')
        return response
    status = error.http_status if error.http_status in REFERENTIAL_ERRORS else 400
    name = getattr(error, "wire_error", None) or REFERENTIAL_ERRORS[status]
    if status == 404:
        status = 400
    message = error.message(language_of(request))
    detail = error.params.get("detail_" + language_of(request)) or message
    response = JsonResponse([{"error": name, "code": error.code, "message": message,
                              "detail": detail}], status=status, safe=False,
                            json_dumps_params={"ensure_ascii": False})
    if getattr(error, "retry_after", None):
        response["Retry-After"] = str(error.retry_after)
    return response


def respond(request: HttpRequest, error: ChoeurError) -> JsonResponse:
    if request.path.startswith(REFERENTIAL_PREFIX):
        return referential_response(request, error)
    status = error.http_status if error.http_status in CODE_RETOUR else 400
    body = envelope(error, language_of(request))
    if isinstance(error, Unauthorized):
        body.update(error=error.error, error_description=error.description)
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if isinstance(error, Unauthorized):
        # The header real clients parse (reference §2, §7.3: OCA reads error_description).
        response["WWW-Authenticate"] = (
            f'Bearer realm="PISTE",error="{error.error}",'
            f'error_description="{error.description}"'
        )
    if getattr(error, "retry_after", None):  # Throttled, DatabaseUnavailable
        response["Retry-After"] = str(error.retry_after)
    return response


def unavailable(request: HttpRequest, exc: BaseException | None = None) -> JsonResponse:
    """The database (or the object store) cannot be reached: 503, `Retry-After`, the
    envelope. Logged as a warning (one line, no stack trace: the outage is the news, not the
    code)."""
    error_class = StorageUnavailable if outage.is_storage_outage(exc) else DatabaseUnavailable
    what = "storage" if error_class is StorageUnavailable else "database"
    logger.warning("API %s %s: %s unavailable (%s)", request.method, request.path, what,
                   type(exc).__name__ if exc is not None else "?")
    return respond(request, error_class(retry_after=outage.RETRY_AFTER))


def validation_error(errors: list[dict]) -> InvalidField:
    """The first problem pydantic found, named by its wire field path."""
    first = errors[0] if errors else {}
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "payload")]
    field = ".".join(location) or "corps"
    message = str(first.get("msg", "valeur invalide"))
    return InvalidField(field=field, detail_fr=message, detail_en=message)


def install(api) -> None:
    """Register the handlers that turn every exception into an envelope."""
    from django.core.exceptions import RequestDataTooBig
    from django.http import Http404
    from ninja.errors import AuthenticationError, HttpError, ValidationError

    def on_choeur_error(request, exc):
        return respond(request, exc)

    def on_validation(request, exc):
        return respond(request, validation_error(exc.errors))

    def on_authentication(request, exc):
        return respond(request, Unauthorized(
            error="invalid_token", description="access token missing or invalid",
            reason_fr="jeton d'accès absent ou invalide",
            reason_en="access token missing or invalid"))

    def on_http_error(request, exc):
        if exc.status_code == 400:  # ninja: "Cannot parse request body"
            cause = exc.__cause__
            return respond(request, cause if isinstance(cause, ChoeurError) else BodyNotJson())
        if exc.status_code == 404:
            return respond(request, UnknownOperation(path=request.path))
        error = InvalidField(field="requête", detail_fr=str(exc), detail_en=str(exc))
        response = respond(request, error)
        response.status_code = exc.status_code
        return response

    def on_too_big(request, exc):
        return respond(request, BodyTooLarge())

    def on_404(request, exc):
        return respond(request, UnknownOperation(path=request.path))

    def on_anything(request, exc):
        if outage.is_outage(exc) or outage.is_storage_outage(exc):
            return unavailable(request, exc)
        logger.exception("API %s %s failed", request.method, request.path)
        return respond(request, InternalError())

    def on_answer(request, exc):
        return exc.response

    api.add_exception_handler(Exception, on_anything)
    api.add_exception_handler(Answer, on_answer)
    api.add_exception_handler(ChoeurError, on_choeur_error)
    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(RequestDataTooBig, on_too_big)
    api.add_exception_handler(Http404, on_404)


API_PREFIXES = ("/cpro/", "/api/")


class BadRequest(ApiError):
    code = "API_BAD_REQUEST"
    message_fr = "Requête refusée avant d'être lue (en-tête Host ou taille non acceptés)."
    message_en = "Request refused before being read (Host header or size not accepted)."


def bad_request(request: HttpRequest, exception=None):
    """handler400: the envelope for `/cpro/` and `/api/` paths (a client reads `codeRetour`
    from every answer), Django's own page for the portal. No host is read here: the request's
    Host may be the very reason for the refusal."""
    if request.path.startswith(API_PREFIXES):
        return JsonResponse(envelope(BadRequest(), language_of(request)), status=400,
                            json_dumps_params={"ensure_ascii": False})
    from django.views.defaults import bad_request as django_bad_request

    return django_bad_request(request, exception)


def server_error(request: HttpRequest):
    """handler500, for what escaped the views' own handlers (a middleware reading the
    session or the user while the database is down): 503 + `Retry-After` for an outage —
    the wire's envelope on `/cpro/` and `/api/`, a short page on the portal —, otherwise the
    envelope `API_INTERNAL_ERROR` for the API and Django's own 500 page for the portal."""
    import sys

    exc = sys.exc_info()[1]
    api_path = request.path.startswith(API_PREFIXES)
    if outage.is_outage(exc) or outage.is_storage_outage(exc):
        if api_path:
            return unavailable(request, exc)
        from choeur.core.middleware import unavailable_page

        return unavailable_page(request, exc)
    if api_path:
        return respond(request, InternalError())
    from django.views.defaults import server_error as django_server_error

    return django_server_error(request)
