"""The wire API: `/api/oauth/token` and `/cpro/<famille>/v1/...` (reference §7.1), and its
OpenAPI description at `/cpro/openapi.json` (public, like the Swagger files it follows).

Paths keep Chorus Pro's exact spellings (`monCompte`, `engagementsJuridiques`,
`facturesTravaux`, `motifs/refus/Facture/AValider`): clients match them case-sensitively.
No interactive docs page: it would load its scripts from a CDN (the portal loads none).
"""

from __future__ import annotations

import functools

from django.http import HttpResponseNotAllowed
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Router

from choeur.api import (
    engagements,
    errors,
    factures_fournisseur,
    factures_recipiendaire,
    factures_valideur,
    organisations,
    qualification,
    reporting,
    sollicitations,
    structures,
    transverses,
    travaux,
    uploads,
    utilisateurs,
)
from choeur.api import flux as flux_api
from choeur.api.auth import NO_TOKEN, cpro_auth, token_endpoint
from choeur.api.envelope import JsonParser
from choeur.api.schemas import OAuthErrorOut, TokenOut


class WireAPI(NinjaAPI):
    """The API, whose OpenAPI says when a body may be left out: an empty body reads as `{}`
    (envelope.JsonParser), so an operation whose body names no required field answers
    without one — its `requestBody` is published `required: false`."""

    def get_openapi_schema(self, *args, **kwargs):
        document = super().get_openapi_schema(*args, **kwargs)
        schemas = document.get("components", {}).get("schemas", {})
        for item in document["paths"].values():
            for operation in item.values():
                body = operation.get("requestBody", {})
                json_body = body.get("content", {}).get("application/json")
                if json_body is not None:
                    body["required"] = _requires_something(json_body["schema"], schemas)
        return document

    def get_root_path(self, path_params: dict) -> str:
        # The routes carry their whole path (`cpro/...`, `api/oauth/token`) and are mounted
        # at the site's root (choeur/urls.py, behind a look-ahead ninja's reverse of its
        # empty « api-root » route cannot satisfy).
        return "/"


def _requires_something(schema: dict, schemas: dict) -> bool:
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    return bool(schema.get("required") or schema.get("minProperties")
                or any("anyOf" in part for part in schema.get("allOf", ())))


api = WireAPI(
    title="Choeur — API Chorus Pro",
    version="1.0.0",
    description=(
        "API compatible avec celle de Chorus Pro (PISTE) : jeton OAuth2 sur /api/oauth/token, "
        "puis en-têtes `Authorization: Bearer` et `cpro-account` (base64 de login:mot de passe "
        "du compte technique) sur chaque appel /cpro/..."
    ),
    urls_namespace="cpro",
    auth=cpro_auth,
    parser=JsonParser(),
    openapi_url="/cpro/openapi.json",
    docs_url=None,
)
errors.install(api)

oauth = Router(tags=["OAuth2"], auth=None)


@oauth.post(
    "/token", operation_id="oauthToken", auth=None,
    response={200: TokenOut, 400: OAuthErrorOut},
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/x-www-form-urlencoded": {"schema": {
            "type": "object", "required": ["grant_type"],
            "properties": {"grant_type": {"type": "string", "enum": ["client_credentials"]},
                           "client_id": {"type": "string"},
                           "client_secret": {"type": "string"},
                           "scope": {"type": "string"}}}}}}},
)
def token(request):
    """OAuth2 client credentials (form body, or HTTP Basic)."""
    return token_endpoint(request)


api.add_router("/api/oauth", oauth)
api.add_router("/cpro/structures/v1", structures.router)
api.add_router("/cpro/transverses/v1", transverses.router)
api.add_router("/cpro/transverses/v1", flux_api.transverses_router)
api.add_router("/cpro/transverses/v1", uploads.router)
api.add_router("/cpro/transverses/v1", sollicitations.transverses_router)
api.add_router("/cpro/utilisateurs/v1", utilisateurs.router)
api.add_router("/cpro/engagementsJuridiques/v1", engagements.router)
api.add_router("/cpro/facturesTravaux/v1", travaux.router)
api.add_router("/cpro/sollicitations/v1", sollicitations.router)
api.add_router("/cpro/factures/v1", flux_api.factures_router)
api.add_router("/cpro/factures/v1", factures_fournisseur.router)
api.add_router("/cpro/factures/v1", factures_recipiendaire.router)
api.add_router("/cpro/factures/v1", factures_valideur.router)
api.add_router("/cpro/organisations/v1", organisations.router)
api.add_router("/cpro/qualification/v1", qualification.router)
api.add_router("/cpro/reporting/v1", reporting.router)


@csrf_exempt
def unknown_operation(request, rest=""):
    """Any other `/cpro/...` path: a coded 404 rather than the portal's HTML page."""
    return errors.respond(request, errors.UnknownOperation(path=request.path))


def _wire_405(view):
    """Ninja answers a wrong HTTP method with Django's plain-text 405; a client of the wire
    API reads `codeRetour`/`libelle` from every answer, so it gets the envelope (and the
    `Allow` header stays)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed) and not (
                request.headers.get("Authorization") and request.headers.get("cpro-account")):
            # As the gateway: who brings no credentials learns nothing, not even which
            # methods a route takes.
            return errors.respond(request, errors.Unauthorized(**NO_TOKEN))
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            error = errors.MethodNotAllowed(method=request.method, path=request.path,
                                            allowed=allowed)
            response = errors.respond(request, error)
            response["Allow"] = allowed
        return response

    return wrapped


def _patterns():
    for pattern in api.urls[0]:
        pattern.callback = _wire_405(pattern.callback)
        yield pattern


app_name = "cpro"  # the namespace of every route here (ninja names them for it)
urlpatterns = [
    *_patterns(),
    re_path(r"^cpro/(?P<rest>.*)$", unknown_operation),
]
