"""Flux on the wire: `POST /cpro/factures/v1/deposer/flux` and the comptes rendus
`POST /cpro/transverses/v1/consulterCR` and `consulterCRDetaille` (reference §4, §7.6,
Appendix A `DeposerFluxFactureParam` / `WsRetourDeposerFluxFacture`, Appendix C).

deposer/flux
    `{idUtilisateurCourant, fichierFlux (base64), nomFichier, syntaxeFlux, avecSignature}`
    answers at once `{codeRetour, libelle, numeroFluxDepot, dateDepot (YYYY-MM-DD, what the
    Go client requires), syntaxeFlux}`; the worker integrates the flux afterwards.
    `fichierFlux` is a single XML (UBL, CII), a Factur-X PDF, or a zip / tar(.gz, .bz2, .xz)
    batch (OCA sends `.tar.gz`): 10 MB a file, 30 MB an archive, 500 invoices. Standard
    base64; line breaks, URL-safe letters and missing padding are tolerated. A refusal
    (malformed base64, too large, bomb, unsafe names...) is a coded error and stores
    nothing. `syntaxeFlux` must be one of the Swagger's 13 values when given; the content,
    not the syntax named, decides how each file is read (absent: guessed from the content).

    Choeur's opt-in synchronous deposit (not in Chorus Pro; clients that do not ask see no
    difference): send the header `X-Choeur-Synchrone: 1` (or the extra body field
    `"choeurSynchrone": true`). A flux of at most 20 invoices is then integrated during the
    request, and the answer adds what `consulterCRDetaille` would say: `etatCourantDepotFlux`
    (`IN_INTEGRE`, `IN_INTEGRE_PARTIEL`, `IN_REJETE`), `listeErreurDP` and
    `listeErreurTechnique` (every blocking finding: rule id, message, place). A larger flux
    is integrated by the worker as usual; the answer then says `etatCourantDepotFlux:
    IN_EN_ATTENTE_TRAITEMENT_CPP` and carries the header `X-Choeur-Synchrone: 0`.

    Choeur's « Vérifier sans envoyer » (also opt-in): the header `X-Choeur-Verification: 1`
    (or `"choeurVerification": true`) runs every check of the deposit and of its
    integration on a flux of at most 100 invoices and stores nothing: the answer has no
    `numeroFluxDepot`, and says what the compte rendu would (`etatCourantDepotFlux`,
    `listeErreurDP`, `listeErreurTechnique`) — an unregistered IBAN, say, before any deposit.

    Re-sends are idempotent (Choeur; a client that lost the answer — a web process killed
    after the commit — and sends the file again): the same bytes from the same technical
    account within 24 h (`services.RESEND_WINDOW`) create nothing and answer the first
    flux's `numeroFluxDepot`, `dateDepot` and `syntaxeFlux`, with `codeRetour` 0, its
    current `etatCourantDepotFlux`, `depotIdentique: true` and a `libelle` that still starts
    with the success key: `TRA_MSG_00.000 - Flux déjà déposé le … : réponse du premier
    dépôt`. A first flux wholly rejected (`IN_REJETE`) does not count; past the window the
    file is a new flux (whose invoices are then refused as duplicate numbers).

consulterCR / consulterCRDetaille
    `{numeroFluxDepot}` (`syntaxeFlux` / `syntaxFluxType`; `dateDepot` read as a date,
    envelope.Day, and ignored).
    consulterCR: the state (`etatCourantFlux`) and `fichierCR`, the PDF compte rendu in
    base64. consulterCRDetaille: `etatCourantDepotFlux` (also as `etatCourantFlux`),
    `listeErreurDP[]` {numeroDP = the invoice number (its file name when unreadable),
    identifiantFournisseur, identifiantDestinataire, libelleErreurDP} and
    `listeErreurTechnique[]` {codeErreur = the rule id (BR-FR-10_BT-30, BR-CO-10, XSD...)
    or Choeur's error code, libelleErreur, natureErreur IRRECEVABILITE (the file's
    validation) / REJET (a platform check) / TECHNIQUE}. A flux of another structure is
    "Flux introuvable" (404, codeRetour 20001), exactly like an unknown one.

Request bodies here may be up to ~41 MB (a 30 MB archive in base64): these operations read
the body themselves with that bound, before authentication, instead of Django's
`DATA_UPLOAD_MAX_MEMORY_SIZE`, which keeps guarding every other operation.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated

from django.db import transaction
from django.http import HttpResponse
from ninja import Router, Schema
from pydantic import AliasChoices, BeforeValidator, Field

from choeur.api.auth import bounded_auth
from choeur.api.envelope import (
    OK_LIBELLE,
    Bool,
    Day,
    Id,
    Text,
    WireIn,
    base64_file,
    date_wire,
    datetime_wire,
    ok,
)
from choeur.api.errors import InvalidField, language_of
from choeur.api.schemas import ErrorOut, WsRetour
from choeur.core import clock
from choeur.core.errors import PermissionRefused
from choeur.flux import queries, reports, services
from choeur.flux.errors import FluxBase64Invalid
from choeur.flux.models import RESPONSE_SYNTAXES, Canal, EtatFlux, Flux
from choeur.organisations import permissions

factures_router = Router(tags=["Factures — flux"])
transverses_router = Router(tags=["Transverses — flux"])
ERRORS = frozenset({400, 401, 403, 404, 409, 413, 500})

#: A 30 MB archive in base64 (4/3) and the JSON around it.
MAX_BODY = services.MAX_ARCHIVE * 4 // 3 + 1024 * 1024
#: Entries of listeErreurTechnique at most; past it, one entry says how many were left out.
MAX_TECHNICAL_ERRORS = 5000
SYNC_HEADER = "X-Choeur-Synchrone"
VERIFY_HEADER = "X-Choeur-Verification"
_BASE64_NOISE = re.compile(rb"\s+")


def flux_auth(request):
    """Headers first, then the body within this operation's bound."""
    return bounded_auth(MAX_BODY)(request)


def decode_base64(value: str | None) -> bytes:
    if value is None or not value.strip():
        raise InvalidField(field="fichierFlux", detail_fr="obligatoire (base64 du fichier)",
                           detail_en="required (base64 of the file)")
    raw = _BASE64_NOISE.sub(b"", value.encode("ascii", "replace"))
    if raw.startswith(b"data:") and b"," in raw:  # a data URL
        raw = raw.split(b",", 1)[1]
    raw = raw.replace(b"-", b"+").replace(b"_", b"/")
    raw += b"=" * (-len(raw) % 4)
    try:
        content = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise FluxBase64Invalid() from None
    return content


def _long_text(value):
    return value if not isinstance(value, str) or value.strip() else None


class DeposerFluxFactureParam(WireIn):
    wire_required = ("fichierFlux",)
    idUtilisateurCourant: Id = None
    fichierFlux: Annotated[str | None, BeforeValidator(_long_text), base64_file()] = None
    nomFichier: Text = None
    syntaxeFlux: Text = None
    avecSignature: Bool = None
    choeurSynchrone: Bool = Field(default=None, description=(
        "Choeur : intègre un petit flux pendant la requête et rend son compte rendu"))
    choeurVerification: Bool = Field(default=None, description=(
        "Choeur : vérifie sans déposer (rien n'est enregistré) et rend le compte rendu "
        "qu'aurait le flux"))


class ErreurDP(Schema):
    identifiantDestinataire: str
    identifiantFournisseur: str
    libelleErreurDP: str
    numeroDP: str


class ErreurTechnique(Schema):
    codeErreur: str
    libelleErreur: str
    natureErreur: str


class WsRetourDeposerFluxFacture(WsRetour):
    numeroFluxDepot: str | None = None
    dateDepot: str | None = None
    syntaxeFlux: str | None = None
    etatCourantDepotFlux: str | None = Field(default=None, description="Choeur, synchrone")
    listeErreurDP: list[ErreurDP] | None = Field(default=None, description="Choeur, synchrone")
    listeErreurTechnique: list[ErreurTechnique] | None = Field(
        default=None, description="Choeur, synchrone")
    depotIdentique: bool | None = Field(default=None, description=(
        "Choeur : true quand le même fichier a déjà été déposé par ce compte dans les 24 h ; "
        "la réponse est celle du premier dépôt (son numéro, sa date, son état courant)"))


def _synchronous(request, payload: DeposerFluxFactureParam) -> bool:
    header = request.headers.get(SYNC_HEADER, "").strip().lower()
    return header in ("1", "true", "oui", "yes") or bool(payload.choeurSynchrone)


def _verification(request, payload: DeposerFluxFactureParam) -> bool:
    header = request.headers.get(VERIFY_HEADER, "").strip().lower()
    return header in ("1", "true", "oui", "yes") or bool(payload.choeurVerification)


def _verified(request, response, account, structure, content, payload) -> dict:
    """« Vérifier sans envoyer » through the API: the compte rendu the flux would get, and
    nothing stored (no `numeroFluxDepot`: there is no flux)."""
    flux, items = services.verify(account, structure, content, payload.nomFichier or "",
                                  payload.syntaxeFlux)
    detail = detailed(flux, language_of(request), items=items)
    response[VERIFY_HEADER] = "1"
    return ok(libelle=("Vérification seule : rien n'a été déposé."
                       if language_of(request) == "fr" else
                       "Check only: nothing was deposited."),
              syntaxeFlux=flux.syntaxe if flux.syntaxe in RESPONSE_SYNTAXES else None,
              etatCourantDepotFlux=detail["etatCourantDepotFlux"],
              listeErreurDP=detail["listeErreurDP"],
              listeErreurTechnique=detail["listeErreurTechnique"])


@factures_router.post("/deposer/flux", operation_id="deposerFluxFacture", auth=flux_auth,
                      exclude_none=True,
                      response={200: WsRetourDeposerFluxFacture, ERRORS: ErrorOut})
def deposer_flux(request, response: HttpResponse, payload: DeposerFluxFactureParam):
    """Deposit a flux (see the module's docstring, synchronous option included)."""
    account = request.auth
    structure = permissions.technical_structure(account)
    if structure is None:
        raise PermissionRefused()
    content = decode_base64(payload.fichierFlux)
    if _verification(request, payload):
        return _verified(request, response, account, structure, content, payload)
    asked = synchronous = _synchronous(request, payload)
    with transaction.atomic():
        flux = services.deposit(account, structure, content, payload.nomFichier or "",
                                payload.syntaxeFlux, channel=Canal.API,
                                avec_signature=bool(payload.avecSignature),
                                enqueue=not synchronous)
        if synchronous and flux.status != EtatFlux.RECU:  # a re-send of a flux under way
            synchronous = False
            response[SYNC_HEADER] = "1" if flux.is_finished else "0"
        elif synchronous and flux.invoice_count > services.SYNC_MAX_INVOICES:
            services.queue_integration(flux)
            synchronous = False
            response[SYNC_HEADER] = "0"
    services._test_hold()  # committed; the answer has not left (only under pytest)
    body = ok(numeroFluxDepot=flux.numero,
              dateDepot=date_wire(flux.deposited_at.astimezone(clock.PARIS).date()),
              syntaxeFlux=flux.syntaxe if flux.syntaxe in RESPONSE_SYNTAXES else None)
    if flux.is_resend:
        body.update(libelle=resend_libelle(flux, language_of(request)), depotIdentique=True,
                    etatCourantDepotFlux=flux.status)
    if synchronous:
        flux = services.integrate(flux.pk) or Flux.objects.get(pk=flux.pk)
        response[SYNC_HEADER] = "1"
    if asked:
        detail = detailed(flux, language_of(request))
        body.update(etatCourantDepotFlux=detail["etatCourantDepotFlux"],
                    listeErreurDP=detail["listeErreurDP"],
                    listeErreurTechnique=detail["listeErreurTechnique"])
    return body


def resend_libelle(flux: Flux, language: str) -> str:
    """The `libelle` of a re-send's answer: still the success key first (clients that read
    its prefix see a success), then what happened."""
    at = flux.deposited_at.astimezone(clock.PARIS)
    if language == "en":
        return (f"{OK_LIBELLE} - Flux already deposited on {at:%Y-%m-%d at %H:%M}: "
                "answer of the first deposit")
    return (f"{OK_LIBELLE} - Flux déjà déposé le {at:%d/%m/%Y à %H:%M} : "
            "réponse du premier dépôt")


# --- Comptes rendus -----------------------------------------------------------------------------


class ConsulterCRParam(WireIn):
    wire_required = ("numeroFluxDepot",)
    numeroFluxDepot: Text = None
    dateDepot: Day = None
    syntaxeFlux: Text = Field(default=None,
                              validation_alias=AliasChoices("syntaxeFlux", "syntaxFluxType"))


class WsRetourConsulterCR(WsRetour):
    numeroFluxDepot: str
    nomFichierFlux: str
    dateDepotFlux: str
    dateHeureEtatCourantFlux: str
    etatCourantFlux: str
    codeInterfaceFlux: str
    codeAppliPartenaire: str
    designationPartenaire: str
    fichierCR: str


class WsRetourConsulterCRDetaille(WsRetour):
    numeroFluxDepot: str
    nomFichier: str
    dateDepotFlux: str
    codeInterfaceDepotFlux: str
    etatCourantDepotFlux: str
    etatCourantFlux: str
    dateHeureEtatCourantFlux: str
    listeErreurDP: list[ErreurDP]
    listeErreurTechnique: list[ErreurTechnique]


def _flux(request, payload: ConsulterCRParam) -> Flux:
    if not payload.numeroFluxDepot:
        raise InvalidField(field="numeroFluxDepot", detail_fr="obligatoire",
                           detail_en="required")
    return queries.flux_for(request.auth, payload.numeroFluxDepot)


def interface_code(flux: Flux) -> str:
    return f"CHOEUR_{flux.channel}"


@transverses_router.post("/consulterCR", operation_id="consulterCR",
                         response={200: WsRetourConsulterCR, ERRORS: ErrorOut})
def consulter_cr(request, payload: ConsulterCRParam):
    flux = _flux(request, payload)
    sender = flux.technical_account.login if flux.technical_account else (
        flux.user.email if flux.user else "")
    return ok(numeroFluxDepot=flux.numero, nomFichierFlux=flux.filename,
              dateDepotFlux=datetime_wire(flux.deposited_at),
              dateHeureEtatCourantFlux=datetime_wire(flux.status_at),
              etatCourantFlux=flux.status, codeInterfaceFlux=interface_code(flux),
              codeAppliPartenaire=sender,
              designationPartenaire=flux.structure.company_name or flux.structure.identifier,
              fichierCR=base64.b64encode(reports.render_cr(flux)).decode("ascii"))


@transverses_router.post("/consulterCRDetaille", operation_id="consulterCRDetaille",
                         response={200: WsRetourConsulterCRDetaille, ERRORS: ErrorOut})
def consulter_cr_detaille(request, payload: ConsulterCRParam):
    flux = _flux(request, payload)
    return ok(**detailed(flux, language_of(request)))


def detailed(flux: Flux, language: str = "fr", items=None) -> dict:
    """The fields of consulterCRDetaille for a flux (`items`: its items when they are not
    stored — a verification's)."""
    erreurs_dp, techniques = [], []
    refused = (flux.items.filter(accepted=False).order_by("position") if items is None
               else [item for item in items if not item.accepted])
    for item in refused:
        number = item.number or item.name
        erreurs_dp.append({"identifiantDestinataire": item.recipient_identifier or "",
                           "identifiantFournisseur": item.supplier_identifier or "",
                           "libelleErreurDP": reports.summary(item, language),
                           "numeroDP": number})
        for error in item.errors or []:
            techniques.append({"codeErreur": error.get("code", ""),
                               "libelleErreur": f"{number} : {reports.message(error, language)}",
                               "natureErreur": error.get("nature", "") or services.REJET})
    for error in flux.technical_errors or []:
        techniques.append({"codeErreur": error.get("code", ""),
                           "libelleErreur": reports.message(error, language),
                           "natureErreur": error.get("nature", "") or services.TECHNIQUE})
    if len(techniques) > MAX_TECHNICAL_ERRORS:
        left = len(techniques) - MAX_TECHNICAL_ERRORS + 1
        techniques = techniques[:MAX_TECHNICAL_ERRORS - 1]
        techniques.append({
            "codeErreur": "CHOEUR_LISTE_TRONQUEE",
            "libelleErreur": (f"{left} more errors: see the portal or consulterCR's PDF"
                              if language == "en" else
                              f"{left} autres erreurs : voir le portail ou le PDF de "
                              "consulterCR"),
            "natureErreur": services.TECHNIQUE})
    return {"numeroFluxDepot": flux.numero, "nomFichier": flux.filename,
            "dateDepotFlux": datetime_wire(flux.deposited_at),
            "codeInterfaceDepotFlux": interface_code(flux),
            "etatCourantDepotFlux": flux.status, "etatCourantFlux": flux.status,
            "dateHeureEtatCourantFlux": datetime_wire(flux.status_at),
            "listeErreurDP": erreurs_dp, "listeErreurTechnique": techniques}
