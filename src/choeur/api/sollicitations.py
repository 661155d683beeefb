"""Sollicitations — `/cpro/sollicitations/v1/...` (docs/SOLLICITATIONS.md, reference §3.7).

The reference found no PISTE path for any sollicitation service (§3.7, §8: « Nothing found
for a `sollicitations/v1` family »): the family and its operations are **Choeur's own names**,
after the words of the portal and of the other families' operations:

| operation | what it does | service |
|---|---|---|
| `rechercher` | the structure's sent and/or received tickets, paged | `queries.sent/received` |
| `consulter` | one ticket, its thread and its attachments | `queries.sollicitation` |
| `telecharger/pieceJointe` | one attachment of a ticket, base64 | `queries.attachment` |
| `creer` | a ticket created and sent for the structure | `services.create` |
| `prendreEnCharge` | the receiving side takes it (self-assignment) | `services.take` |
| `demanderComplement` | the receiving side asks for more | `services.request_complement` |
| `completer` | the sender gives it | `services.complete` |
| `repondre` | the receiving side answers | `services.answer` |
| `transferer` | to the support or another public structure | `services.transfer` |
| `cloturer` | the sender (satisfied) or the receiving side closes it | `services.close` |
| `rouvrir` | the sender, unsatisfied, reopens it | `services.reopen` |

The real PISTE operations about sollicitations the reference does list —
`transverses/v1/rechercher/categorieSollicitation` and `rechercher/sousCategorieSollicitation`
(Appendix C) — are served here too, on the transverses prefix (`transverses_router`): the
catalogue of `sollicitations/catalogue.py`, whose categories get `idTechniqueCategorie` 1, 2…
in the catalogue's order (appending keeps them stable).

The technical account acts for its own structure, on the side that structure holds on each
ticket — the services decide (a move by the wrong side is `SOL_ACTION_NOT_YOURS`, a move at
the wrong time `SOL_TRANSITION_REFUSED`, an answer before taking the ticket
`SOL_NOT_ASSIGNED`); this module only maps. Another structure's ticket, like a forged id or
number, is `SOL_NOT_FOUND` (HTTP 404, codeRetour 20001), the answer for a missing one. An
empty search answers HTTP 200 with codeRetour 20007, as `facturesTravaux/v1/rechercher` does
(Pastell stops its loop on it), and the libelle `SOL_NO_RESULT - La recherche n'a retourné
aucun résultat`.

Attachments (`listePiecesJointes`, one object or an array, at most 10 a message): each either
`pieceJointeId`, a file the structure deposited with `transverses/v1/ajouter/fichier` within
its 24 hours (that operation needs the espace Factures émises), or `pieceJointeNom` +
`pieceJointeFichier` (base64) — checked alike (Chorus Pro's extensions, 50 characters, 10 MB,
a PDF read as a PDF). A request's body is bounded as `deposer/pdf`'s (one 10 MB file in
base64): more, or larger, go through `ajouter/fichier`.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from django.db.models import Q
from ninja import Router, Schema
from pydantic import AliasChoices, BeforeValidator, Field

from choeur.api.auth import bounded_auth
from choeur.api.envelope import (
    Bool,
    Day,
    Id,
    Pagination,
    Text,
    WireIn,
    choices,
    datetime_wire,
    list_of_choices,
    no_items,
    no_result,
    ok,
    page,
)
from choeur.api.errors import InvalidField
from choeur.api.factures import atomic, period, required
from choeur.api.factures_fournisseur import MAX_PDF_BODY, decode
from choeur.api.factures_schemas import Base64, TextList, _as_list
from choeur.api.schemas import ErrorOut, ParametresRetour, WsRetour
from choeur.api.structures import choice
from choeur.core import storage
from choeur.sollicitations import catalogue, errors, queries, services
from choeur.sollicitations.models import MAX_TEXT, Sollicitation
from choeur.sollicitations.statuses import (
    RECEIVER_TABS,
    SENDER_TABS,
    TABLE,
    Action,
    Side,
    Status,
    moves_for,
)

router = Router(tags=["Sollicitations"])
transverses_router = Router(tags=["Transverses — sollicitations"])
ERRORS = frozenset({400, 401, 403, 404, 409, 413, 500})

NO_RESULT_CODE = 20007
NO_RESULT_LIBELLE = "SOL_NO_RESULT - La recherche n'a retourné aucun résultat"
ROLES = [Side.EMETTEUR.value, Side.DESTINATAIRE.value]
#: `onglet`: the portal's tabs, per side (statuses.SENDER_TABS / RECEIVER_TABS).
TABS = {"ACTIONS_REQUISES": "actions", "EN_COURS": "en-cours", "CLOTUREES": "cloturees"}
#: The operation that makes each move (`actionsPossibles` names them).
OPERATIONS = {
    Action.PRENDRE: "prendreEnCharge", Action.DEMANDER_COMPLEMENT: "demanderComplement",
    Action.COMPLETER: "completer", Action.REPONDRE: "repondre",
    Action.TRANSFERER: "transferer", Action.CLOTURER: "cloturer", Action.ROUVRIR: "rouvrir",
}
COLUMNS = {
    "DateHeureEtatCourant": ["status_at"], "DateCreation": ["created_at"],
    "NumeroSollicitation": ["number"], "Statut": ["status", "status_at"],
    "CodeCategorie": ["category", "subcategory"], "Titre": ["title"],
}
DEFAULT_COLUMN = "DateHeureEtatCourant"
CATEGORIES = [c.code for c in catalogue.CATEGORIES]
SollicitationsPagination = Pagination.sorted_by("PaginationSollicitations", COLUMNS)
SUBCATEGORIES = sorted({s.code for c in catalogue.CATEGORIES for s in c.subcategories})

#: Longer than the services accept, so that they say it with their own code
#: (SOL_TEXT_TOO_LONG, the limit named) rather than a bare type error.
LongText = Annotated[Annotated[str, Field(max_length=4 * MAX_TEXT)] | None,
                     BeforeValidator(lambda v: None if isinstance(v, str) and not v.strip()
                                     else v)]


# --- Shapes ----------------------------------------------------------------------------------


class PieceJointeIn(WireIn):
    """An upload's id, or a file and its name; not both."""

    wire_required = (("pieceJointeId", ("pieceJointeFichier", "pieceJointeNom")),)
    wire_schema_extra = {"not": {"required": ["pieceJointeId", "pieceJointeFichier"]}}
    pieceJointeId: Id = Field(default=None, description="un fichier déposé par "
                              "transverses/v1/ajouter/fichier (24 heures)")
    pieceJointeNom: Text = Field(default=None, validation_alias=AliasChoices(
        "pieceJointeNom", "nomPieceJointe", "pieceJointeDesignation"))
    pieceJointeFichier: Base64 = Field(default=None, validation_alias=AliasChoices(
        "pieceJointeFichier", "pieceJointe", "fichier"))


PiecesJointes = Annotated[list[PieceJointeIn] | None, BeforeValidator(_as_list)]


class PieceJointeOut(Schema):
    idPieceJointe: int
    nomPieceJointe: str
    taillePieceJointe: int
    idMessage: int
    dateAjout: str


class SollicitationOut(Schema):
    idSollicitation: int
    numeroSollicitation: str
    codeCategorie: str
    libelleCategorie: str
    codeSousCategorie: str
    libelleSousCategorie: str
    titre: str
    statut: str
    libelleStatut: str
    roleStructure: list[str] = Field(description="EMETTEUR et/ou DESTINATAIRE : les côtés de "
                                     "la structure du compte sur la sollicitation")
    idStructureEmetteur: int | None = None
    identifiantEmetteur: str | None = None
    designationEmetteur: str
    adresseeAuSupport: bool
    idStructureDestinataire: int | None = None
    identifiantDestinataire: str | None = None
    designationDestinataire: str
    codeServiceDestinataire: str | None = None
    priseEnChargePar: str | None = None
    idFacture: int | None = None
    numeroFacture: str | None = None
    numeroFluxDepot: str | None = None
    idDossierFacturation: int | None = None
    numeroDossierFacturation: str | None = None
    dateCreation: str
    dateHeureEtatCourant: str
    dateCloture: str | None = None
    actionsPossibles: list[str] = Field(description="les opérations que la structure peut "
                                        "faire maintenant (prendreEnCharge, repondre...)")


class MessageOut(Schema):
    idMessage: int
    action: str
    libelleAction: str
    cote: str = Field(description="EMETTEUR, DESTINATAIRE ou SYSTEME")
    auteur: str
    message: str
    statutPrecedent: str | None = None
    statut: str
    dateMessage: str
    listePiecesJointes: list[PieceJointeOut]


class SollicitationDetailOut(SollicitationOut):
    description: str
    listeMessages: list[MessageOut]
    listePiecesJointes: list[PieceJointeOut]


class ListeSollicitations(WsRetour):
    listeSollicitations: list[SollicitationOut]
    parametresRetour: ParametresRetour


class WsRetourConsulterSollicitation(WsRetour):
    sollicitation: SollicitationDetailOut


class WsRetourActionSollicitation(WsRetour):
    sollicitation: SollicitationOut


def _label(value) -> str:
    return str(value) if value is not None else ""


def _attachment(attachment) -> dict:
    return {"idPieceJointe": attachment.pk, "nomPieceJointe": attachment.name,
            "taillePieceJointe": attachment.size, "idMessage": attachment.message_id,
            "dateAjout": datetime_wire(attachment.added_at)}


def _possible(actor, ticket: Sollicitation) -> list[str]:
    """The operations the actor may make now: the table's moves for its sides, those that
    need the ticket taken only when it took it."""
    found = []
    for action, side in moves_for(ticket.status, queries.sides(actor, ticket)):
        if TABLE[(action, side)].assigned and not queries.is_assignee(actor, ticket):
            continue
        if action == Action.PRENDRE and queries.is_assignee(actor, ticket) \
                and ticket.status == Status.EN_COURS:
            continue
        operation = OPERATIONS.get(action)
        if operation and operation not in found:
            found.append(operation)
    return found


def row(actor, ticket: Sollicitation) -> dict:
    category, subcategory = catalogue.labels(ticket.category, ticket.subcategory)
    sender, recipient = ticket.sender_structure, ticket.recipient_structure
    return {
        "idSollicitation": ticket.pk,
        "numeroSollicitation": ticket.number,
        "codeCategorie": ticket.category, "libelleCategorie": category,
        "codeSousCategorie": ticket.subcategory, "libelleSousCategorie": subcategory,
        "titre": ticket.title,
        "statut": ticket.status, "libelleStatut": _label(Status(ticket.status).label),
        "roleStructure": sorted(queries.sides(actor, ticket, modify=False)),
        "idStructureEmetteur": ticket.sender_structure_id,
        "identifiantEmetteur": sender.identifier if sender else None,
        "designationEmetteur": ticket.sender_label,
        "adresseeAuSupport": ticket.to_support,
        "idStructureDestinataire": ticket.recipient_structure_id,
        "identifiantDestinataire": recipient.identifier if recipient else None,
        "designationDestinataire": ticket.recipient_label,
        "codeServiceDestinataire": (ticket.recipient_service.code
                                    if ticket.recipient_service_id else None),
        "priseEnChargePar": ticket.assignee_label or None,
        "idFacture": ticket.invoice_id,
        "numeroFacture": (ticket.invoice.number or None) if ticket.invoice_id else None,
        "numeroFluxDepot": ticket.flux.numero if ticket.flux_id else None,
        "idDossierFacturation": ticket.dossier_id,
        "numeroDossierFacturation": ticket.dossier.number if ticket.dossier_id else None,
        "dateCreation": datetime_wire(ticket.created_at),
        "dateHeureEtatCourant": datetime_wire(ticket.status_at),
        "dateCloture": datetime_wire(ticket.closed_at),
        "actionsPossibles": _possible(actor, ticket),
    }


def detail(actor, ticket: Sollicitation) -> dict:
    messages = queries.thread(ticket)
    return {
        **row(actor, ticket),
        "description": ticket.description,
        "listeMessages": [{
            "idMessage": message.pk, "action": message.action,
            "libelleAction": _label(Action(message.action).label), "cote": message.side,
            "auteur": message.author_label, "message": message.body,
            "statutPrecedent": message.previous_status or None, "statut": message.status,
            "dateMessage": datetime_wire(message.created_at),
            "listePiecesJointes": [_attachment(a) for a in message.attachments.all()],
        } for message in messages],
        "listePiecesJointes": [_attachment(a) for message in messages
                               for a in message.attachments.all()],
    }


def _ticket_id(actor, sollicitation_id, number: str | None) -> int:
    """The ticket named by its id, its number or both (they must agree), among those the
    actor sees; SOL_NOT_FOUND otherwise, whether it exists or not."""
    if sollicitation_id is None and not number:
        raise InvalidField(field="idSollicitation",
                           detail_fr="idSollicitation ou numeroSollicitation est obligatoire",
                           detail_en="idSollicitation or numeroSollicitation is required")
    found = queries.visible(actor)
    if sollicitation_id is not None:
        found = found.filter(pk=sollicitation_id)
    if number:
        found = found.filter(number__iexact=number.strip())
    pk = found.values_list("pk", flat=True).first()
    if pk is None:
        raise errors.SollicitationNotFound()
    return pk


def _acted(actor, ticket: Sollicitation) -> dict:
    """The ticket as the move left it (the service's own object: after a transfer the
    structure may no longer see it, and `roleStructure` then says so, empty)."""
    return ok(sollicitation=row(actor, ticket))


def _files(pieces: list[PieceJointeIn] | None) -> list:
    """The wire's attachments as the services take them: an upload's id, or (name, bytes)."""
    files = []
    for index, piece in enumerate(pieces or []):
        field = f"listePiecesJointes[{index}]"
        if piece.pieceJointeId is not None:
            if piece.pieceJointeFichier is not None:
                raise InvalidField(field=field, detail_fr="pieceJointeId ou pieceJointeFichier,"
                                   " pas les deux", detail_en="pieceJointeId or "
                                   "pieceJointeFichier, not both")
            files.append(services.Upload(piece.pieceJointeId))
            continue
        content = decode(f"{field}.pieceJointeFichier", piece.pieceJointeFichier)
        files.append((required(f"{field}.pieceJointeNom", piece.pieceJointeNom), content))
    return files


# --- rechercher --------------------------------------------------------------------------------


class RechercherSollicitationsIn(WireIn):
    # An onglet is one side's: it needs roleUtilisateur.
    wire_schema_extra = {
        "if": {"required": ["onglet"], "properties": {"onglet": {"type": "string"}}},
        "then": {"required": ["roleUtilisateur"],
                 "properties": {"roleUtilisateur": {"type": "string"}}}}
    idUtilisateurCourant: Id = None
    roleUtilisateur: Annotated[Text, choices(ROLES)] = Field(
        default=None, description="EMETTEUR (les sollicitations "
                                  "émises), DESTINATAIRE (reçues) ; les deux quand absent",
                                  validation_alias=AliasChoices("roleUtilisateur",
                                                                "roleStructure"))
    onglet: Annotated[Text, choices(TABS)] = Field(
        default=None, description="ACTIONS_REQUISES, EN_COURS ou CLOTUREES "
                         "(avec roleUtilisateur), comme les onglets du portail")
    listeStatuts: Annotated[TextList, list_of_choices(Status.values)] = Field(
        default=None, validation_alias=AliasChoices(
            "listeStatuts", "listeStatutCourant", "statut", "statutCourant"))
    codeCategorie: Annotated[Text, choices(CATEGORIES)] = None
    codeSousCategorie: Annotated[Text, choices(SUBCATEGORIES)] = Field(
        default=None, validation_alias=AliasChoices("codeSousCategorie", "code"))
    numeroSollicitation: Text = None
    idFacture: Id = None
    numeroFluxDepot: Text = None
    idDossierFacturation: Id = None
    adresseeAuSupport: Bool = None
    periodeDateCreationDu: Day = None
    periodeDateCreationAu: Day = None
    periodeDateHeureEtatCourantDu: Day = None
    periodeDateHeureEtatCourantAu: Day = None
    rechercheSollicitation: SollicitationsPagination | None = Field(
        default=None, validation_alias=AliasChoices("rechercheSollicitation",
                                                    "parametresRecherche", "pagination"))


def _filters(payload: RechercherSollicitationsIn, role: str | None) -> Q:
    q = Q()
    if payload.onglet:
        tab = TABS[choice("onglet", payload.onglet, TABS)]
        if role is None:
            raise InvalidField(field="onglet", detail_fr="avec roleUtilisateur (EMETTEUR ou "
                               "DESTINATAIRE)", detail_en="with roleUtilisateur (EMETTEUR or "
                               "DESTINATAIRE)")
        q &= Q(status__in=(SENDER_TABS if role == Side.EMETTEUR else RECEIVER_TABS)[tab])
    if payload.listeStatuts:
        q &= Q(status__in=[choice("listeStatuts", s, Status.values)
                           for s in payload.listeStatuts])
    if payload.codeCategorie:
        q &= Q(category=choice("codeCategorie", payload.codeCategorie, CATEGORIES))
    if payload.codeSousCategorie:
        q &= Q(subcategory=choice("codeSousCategorie", payload.codeSousCategorie,
                                  SUBCATEGORIES))
    if payload.numeroSollicitation:
        q &= Q(number__icontains=payload.numeroSollicitation)
    if payload.idFacture is not None:
        q &= Q(invoice_id=payload.idFacture)
    if payload.numeroFluxDepot:
        q &= Q(flux__numero=payload.numeroFluxDepot)
    if payload.idDossierFacturation is not None:
        q &= Q(dossier_id=payload.idDossierFacturation)
    if payload.adresseeAuSupport is not None:
        q &= Q(to_support=payload.adresseeAuSupport)
    q &= period("created_at", payload.periodeDateCreationDu, payload.periodeDateCreationAu)
    q &= period("status_at", payload.periodeDateHeureEtatCourantDu,
                payload.periodeDateHeureEtatCourantAu)
    return q


@router.post("/rechercher", operation_id="rechercherSollicitations", exclude_none=True,
             response={200: ListeSollicitations, ERRORS: ErrorOut})
def rechercher(request, payload: RechercherSollicitationsIn):
    """The tickets the account's structure sent (`roleUtilisateur` EMETTEUR), received
    (DESTINATAIRE) or both, filtered by status, tab, category, number, linked object, dates;
    one page at a time (`rechercheSollicitation`, `parametresRetour`); none: HTTP 200,
    codeRetour 20007."""
    actor = request.auth
    role = choice("roleUtilisateur", payload.roleUtilisateur, ROLES)
    if role == Side.EMETTEUR:
        found = queries.sent(actor)
    elif role == Side.DESTINATAIRE:
        found = queries.received(actor)
    else:
        found = queries.visible(actor).select_related(*queries.RELATED)
    rows, paging = page(found.filter(_filters(payload, role)), payload.rechercheSollicitation,
                        columns=COLUMNS, default=DEFAULT_COLUMN)
    if not rows:
        return no_result(NO_RESULT_CODE, NO_RESULT_LIBELLE, listeSollicitations=[],
                         parametresRetour=paging)
    return ok(listeSollicitations=[row(actor, ticket) for ticket in rows],
              parametresRetour=paging)


# --- consulter, telecharger/pieceJointe -------------------------------------------------------


class ConsulterSollicitationIn(WireIn):
    wire_required = (("idSollicitation", "numeroSollicitation"),)
    idUtilisateurCourant: Id = None
    idSollicitation: Id = None
    numeroSollicitation: Text = None


@router.post("/consulter", operation_id="consulterSollicitation", exclude_none=True,
             response={200: WsRetourConsulterSollicitation, ERRORS: ErrorOut})
def consulter(request, payload: ConsulterSollicitationIn):
    """One ticket of the account's structure (`idSollicitation` or `numeroSollicitation`):
    its description, its thread (one message per step, its words and attachments) and what
    the structure may do now. Another structure's ticket is not found (codeRetour 20001)."""
    actor = request.auth
    pk = _ticket_id(actor, payload.idSollicitation, payload.numeroSollicitation)
    return ok(sollicitation=detail(actor, queries.sollicitation(actor, pk)))


class TelechargerPieceJointeSollicitationIn(ConsulterSollicitationIn):
    idPieceJointe: Id = Field(default=None, validation_alias=AliasChoices(
        "idPieceJointe", "pieceJointeSollicitation", "pieceJointeId"))


class WsRetourTelechargerPieceJointe(WsRetour):
    nomPieceJointe: str
    pieceJointe: str = Field(description="le fichier, en base64")


@router.post("/telecharger/pieceJointe", operation_id="telechargerPieceJointeSollicitation",
             response={200: WsRetourTelechargerPieceJointe, ERRORS: ErrorOut})
def telecharger_piece_jointe(request, payload: TelechargerPieceJointeSollicitationIn):
    """One attachment of a ticket of the account's structure, base64 in `pieceJointe` (after
    `transverses/v1/telecharger/pieceJointe {sollicitation: {idSollicitation,
    pieceJointeSollicitation}}`; at most 10 MB, as every attachment). Any other id is not
    found (codeRetour 20001)."""
    actor = request.auth
    pk = _ticket_id(actor, payload.idSollicitation, payload.numeroSollicitation)
    attachment = queries.attachment(actor, pk, required("idPieceJointe",
                                                        payload.idPieceJointe))
    return ok(nomPieceJointe=attachment.name,
              pieceJointe=base64.b64encode(storage.read(attachment.sha256)).decode())


# --- creer ---------------------------------------------------------------------------------------


class CreerSollicitationIn(WireIn):
    idUtilisateurCourant: Id = None
    idStructure: Id = Field(default=None, description="la structure du compte (par défaut)",
                            validation_alias=AliasChoices("idStructure", "idStructureCPP"))
    codeCategorie: Text = Field(default=None, validation_alias=AliasChoices(
        "codeCategorie", "categorie"))
    codeSousCategorie: Text = Field(default=None, validation_alias=AliasChoices(
        "codeSousCategorie", "sousCategorie", "codeSsCategorie"))
    titre: Text = Field(default=None, validation_alias=AliasChoices("titre", "objet"))
    description: LongText = None
    identifiantDestinataire: Text = Field(
        default=None, description="le SIRET de l'entité publique concernée (sous-catégories "
        "adressées à une structure ; déduite de la facture ou du dossier sinon)",
        validation_alias=AliasChoices("identifiantDestinataire", "codeDestinataire"))
    codeServiceDestinataire: Text = Field(default=None, validation_alias=AliasChoices(
        "codeServiceDestinataire", "codeService"))
    idFacture: Id = None
    numeroFacture: Text = None
    numeroFluxDepot: Text = None
    idDossierFacturation: Id = None
    numeroDossierFacturation: Text = None
    listePiecesJointes: PiecesJointes = Field(default=None, validation_alias=AliasChoices(
        "listePiecesJointes", "pieceJointe", "piecesJointes"))


@router.post("/creer", operation_id="creerSollicitation", exclude_none=True,
             auth=bounded_auth(MAX_PDF_BODY),
             response={200: WsRetourActionSollicitation, ERRORS: ErrorOut})
def creer(request, payload: CreerSollicitationIn):
    """A ticket of the account's structure, sent at once (status NOUVELLE): its category and
    sub-category (`transverses/v1/rechercher/sousCategorieSollicitation`) route it to the
    support or to the public structure concerned — `identifiantDestinataire`, or the one the
    linked invoice or dossier names. A linked invoice, flux or dossier must be the
    structure's own (else SOL_LINKED_OBJECT_NOT_FOUND, nothing created)."""
    actor = request.auth
    files = _files(payload.listePiecesJointes)
    ticket = atomic(
        services.create, actor,
        payload.idStructure if payload.idStructure is not None else actor.structure_id,
        category=payload.codeCategorie or "", subcategory=payload.codeSousCategorie or "",
        title=payload.titre or "", description=payload.description or "",
        recipient_identifier=payload.identifiantDestinataire or "",
        service_code=payload.codeServiceDestinataire or "",
        invoice_id=payload.idFacture, invoice_number=payload.numeroFacture or "",
        flux_number=payload.numeroFluxDepot or "", dossier_id=payload.idDossierFacturation,
        dossier_number=payload.numeroDossierFacturation or "", attachments=files)
    return _acted(actor, ticket)


# --- The moves --------------------------------------------------------------------------------


class ActionSollicitationIn(WireIn):
    wire_required = (("idSollicitation", "numeroSollicitation"),)
    idUtilisateurCourant: Id = None
    idSollicitation: Id = None
    numeroSollicitation: Text = None
    message: LongText = Field(default=None, validation_alias=AliasChoices(
        "message", "commentaire", "reponse", "texte", "motif"))
    listePiecesJointes: PiecesJointes = Field(default=None, validation_alias=AliasChoices(
        "listePiecesJointes", "pieceJointe", "piecesJointes"))


class SansPieceJointeIn(ActionSollicitationIn):
    """The moves that take no attachment (prendreEnCharge, cloturer, rouvrir, transferer)."""

    listePiecesJointes: Annotated[PiecesJointes, no_items()] = Field(
        default=None, validation_alias=AliasChoices(
            "listePiecesJointes", "pieceJointe", "piecesJointes"))


class TransfererSollicitationIn(SansPieceJointeIn):
    versSupport: Bool = Field(default=None, description="au support de la plateforme")
    identifiantDestinataire: Text = Field(
        default=None, description="ou le SIRET d'une autre entité publique",
        validation_alias=AliasChoices("identifiantDestinataire", "codeDestinataire"))
    codeServiceDestinataire: Text = Field(default=None, validation_alias=AliasChoices(
        "codeServiceDestinataire", "codeService"))


def _no_files(payload: SansPieceJointeIn) -> None:
    if payload.listePiecesJointes:
        raise InvalidField(field="listePiecesJointes",
                           detail_fr="pas de pièce jointe pour cette opération (repondre, "
                                     "completer, demanderComplement en prennent)",
                           detail_en="no attachment for this operation (repondre, completer, "
                                     "demanderComplement take them)")


def _with_text(use_case):
    def handler(request, payload: ActionSollicitationIn):
        actor = request.auth
        pk = _ticket_id(actor, payload.idSollicitation, payload.numeroSollicitation)
        return _acted(actor, atomic(use_case, actor, pk, payload.message or "",
                                    _files(payload.listePiecesJointes)))
    return handler


def _register(path: str, operation_id: str, doc: str, handler, *, files: bool = False):
    handler.__doc__ = doc
    handler.__name__ = operation_id
    options: dict[str, Any] = {"auth": bounded_auth(MAX_PDF_BODY)} if files else {}
    router.post(path, operation_id=operation_id, exclude_none=True,
                response={200: WsRetourActionSollicitation, ERRORS: ErrorOut},
                **options)(handler)


_register("/repondre", "repondreSollicitation",
          "The receiving side's answer (`message` required, attachments allowed): REPONDUE. "
          "Only who took the ticket answers (`prendreEnCharge` first: SOL_NOT_ASSIGNED).",
          _with_text(services.answer), files=True)
_register("/demanderComplement", "demanderComplementSollicitation",
          "The receiving side asks the sender for more (`message` required): "
          "COMPLEMENT_DEMANDE. Only who took the ticket.",
          _with_text(services.request_complement), files=True)
_register("/completer", "completerSollicitation",
          "The sender gives the complement asked for (`message` required, attachments "
          "allowed): COMPLETEE, back to the receiving side.",
          _with_text(services.complete), files=True)


def prendre_en_charge(request, payload: SansPieceJointeIn):
    actor = request.auth
    _no_files(payload)
    pk = _ticket_id(actor, payload.idSollicitation, payload.numeroSollicitation)
    return _acted(actor, atomic(services.take, actor, pk))


def cloturer(request, payload: SansPieceJointeIn):
    actor = request.auth
    _no_files(payload)
    pk = _ticket_id(actor, payload.idSollicitation, payload.numeroSollicitation)
    return _acted(actor, atomic(services.close, actor, pk, payload.message or ""))


def rouvrir(request, payload: SansPieceJointeIn):
    actor = request.auth
    _no_files(payload)
    pk = _ticket_id(actor, payload.idSollicitation, payload.numeroSollicitation)
    return _acted(actor, atomic(services.reopen, actor, pk, payload.message or ""))


def transferer(request, payload: TransfererSollicitationIn):
    actor = request.auth
    _no_files(payload)
    pk = _ticket_id(actor, payload.idSollicitation, payload.numeroSollicitation)
    return _acted(actor, atomic(services.transfer, actor, pk, payload.message or "",
                                to_support=bool(payload.versSupport),
                                recipient_identifier=payload.identifiantDestinataire or "",
                                service_code=payload.codeServiceDestinataire or ""))


_register("/prendreEnCharge", "prendreEnChargeSollicitation",
          "The receiving side takes the ticket (self-assignment; or takes it over): "
          "EN_COURS, the account's structure answering through this account.",
          prendre_en_charge)
_register("/cloturer", "cloturerSollicitation",
          "Close the ticket: the sender at any time while open, the receiving side once it "
          "took it (`message` optional): CLOTUREE.", cloturer)
_register("/rouvrir", "rouvrirSollicitation",
          "The sender, unsatisfied with the answer (`message` required): ROUVERTE, back to "
          "the receiving side.", rouvrir)
_register("/transferer", "transfererSollicitation",
          "The receiving side, having taken it, sends the ticket on (`message` required): to "
          "the support (`versSupport`) or to another public structure "
          "(`identifiantDestinataire`, `codeServiceDestinataire`), NOUVELLE there.",
          transferer)


# --- transverses: the catalogue -------------------------------------------------------------


class RechercherCategoriesIn(WireIn):
    codeCategorie: Text = None
    libelleCategorie: Text = None
    estActif: Bool = None
    pagination: Pagination.sorted_by("PaginationCategories", [
        "IdTechniqueCategorie", "CodeCategorie", "LibelleCategorie"]) | None = Field(
        default=None, validation_alias=AliasChoices(
        "pagination", "parametresRecherche"))


class CategorieSollicitation(Schema):
    codeCategorie: str
    libelleCategorie: str
    idTechniqueCategorie: int


class ListeCategoriesSollicitation(WsRetour):
    listeCategories: list[CategorieSollicitation]
    parametresRetour: ParametresRetour


class RechercherSousCategoriesIn(WireIn):
    code: Text = None
    libelle: Text = None
    estActif: Bool = None
    idTechniqueCategorie: Id = None
    pagination: Pagination.sorted_by("PaginationSousCategories", [
        "IdTechniqueCategorie", "Code", "Libelle"]) | None = Field(
        default=None, validation_alias=AliasChoices(
        "pagination", "parametresRecherche"))


class SousCategorieSollicitation(Schema):
    code: str
    libelle: str
    estActif: bool
    idTechniqueCategorie: int
    adresseeAuSupport: bool = Field(description="traitée par le support (sinon par l'entité "
                                    "publique concernée)")


class SousCategoriesSollicitation(Schema):
    categorie: list[CategorieSollicitation]
    ssCategorie: list[SousCategorieSollicitation]


class ListeSousCategoriesSollicitation(WsRetour):
    listeSousCategories: list[SousCategoriesSollicitation]
    parametresRetour: ParametresRetour


def _categories() -> list[dict]:
    return [{"codeCategorie": c.code, "libelleCategorie": str(c.label),
             "idTechniqueCategorie": index} for index, c in enumerate(catalogue.CATEGORIES, 1)]


def _matches(value: str, wanted: str | None) -> bool:
    return not wanted or wanted.strip().lower() in value.lower()


@transverses_router.post("/rechercher/categorieSollicitation",
                         operation_id="rechercherCategoriesSollicitation",
                         response={200: ListeCategoriesSollicitation, ERRORS: ErrorOut})
def rechercher_categories(request, payload: RechercherCategoriesIn):
    """The categories of a sollicitation (all active: `estActif` false finds none)."""
    rows = [c for c in _categories()
            if _matches(c["codeCategorie"], payload.codeCategorie)
            and _matches(c["libelleCategorie"], payload.libelleCategorie)
            and payload.estActif is not False]
    rows, paging = page(rows, payload.pagination, default="IdTechniqueCategorie", columns={
        "IdTechniqueCategorie": ["idTechniqueCategorie"], "CodeCategorie": ["codeCategorie"],
        "LibelleCategorie": ["libelleCategorie"]})
    return ok(listeCategories=rows, parametresRetour=paging)


@transverses_router.post("/rechercher/sousCategorieSollicitation",
                         operation_id="rechercherSousCategoriesSollicitation",
                         response={200: ListeSousCategoriesSollicitation, ERRORS: ErrorOut})
def rechercher_sous_categories(request, payload: RechercherSousCategoriesIn):
    """The sub-categories (of the category `idTechniqueCategorie`, or all), grouped per
    category as Chorus Pro shapes them; paged over the sub-categories."""
    categories = _categories()
    flat = []
    for category, entry in zip(catalogue.CATEGORIES, categories, strict=True):
        if payload.idTechniqueCategorie not in (None, entry["idTechniqueCategorie"]):
            continue
        for sub in category.subcategories:
            if _matches(sub.code, payload.code) and _matches(str(sub.label), payload.libelle) \
                    and payload.estActif is not False:
                flat.append({"code": sub.code, "libelle": str(sub.label), "estActif": True,
                             "idTechniqueCategorie": entry["idTechniqueCategorie"],
                             "adresseeAuSupport": sub.route == catalogue.SUPPORT})
    rows, paging = page(flat, payload.pagination, default="IdTechniqueCategorie", columns={
        "IdTechniqueCategorie": ["idTechniqueCategorie"], "Code": ["code"],
        "Libelle": ["libelle"]})
    groups: dict[int, dict] = {}
    for sub in rows:
        entry = categories[sub["idTechniqueCategorie"] - 1]
        groups.setdefault(entry["idTechniqueCategorie"],
                          {"categorie": [entry], "ssCategorie": []})["ssCategorie"].append(sub)
    return ok(listeSousCategories=list(groups.values()), parametresRetour=paging)
