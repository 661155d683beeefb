"""Factures de travaux — `/cpro/facturesTravaux/v1/...` (reference §3.6, §7; docs/TRAVAUX.md).

`rechercher` lists the pieces of the dossiers de facturation where the technical account's
structure is the supplier, the maître d'œuvre (MOE) or the maître d'ouvrage (MOA) —
`roleUtilisateur` narrows it to one of these roles — with the criteria of the pre-PISTE
example (communaute.chorus-pro.gouv.fr, « Search works invoice »), paged inside
`parametresRetour` as Pastell reads it (`pageCourante` < `pages`: next page). An empty search
answers HTTP 200 with Chorus Pro's "no result" code, `20007 GFT_MSG_01.075`, on which Pastell
stops its loop (§7.5).

`consulter/dossierfacturation` is Choeur's, named after the pre-PISTE operation
(`factures/travaux/consulter/dossierfacturation`, reference §3.6): a dossier with its pieces
in order, who must act now and by when. Another structure's dossier, like a forged id or
number, is `TRAV_DOSSIER_NOT_FOUND` (codeRetour 20001).

The actions (Chorus Pro's PISTE paths for them are unknown, reference §3.6, §8: the pre-PISTE
names are kept, Choeur's where there is none): `rechercher/atraiter` (the pieces waiting for
the structure, per role), `soumettre` (`soumettreFactureTravaux`: factures/v1/soumettre's
body plus `idDossierFacturation`; the travaux cadre chooses the use case), `refuser`,
`demander/recyclage`, `recycler`. Each is one service call of travaux (services, final,
variants, recycling) in its own transaction; `roleUtilisateur`, when absent, is the only
fitting role the structure holds in the dossier.

The scope is `travaux.queries` (the same the portal reads through) and the services' own
checks: another structure's dossier, like a forged id, is `TRAV_DOSSIER_NOT_FOUND`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from django.db.models import Q
from ninja import Router, Schema
from pydantic import AliasChoices, BeforeValidator, Field

from choeur.api import factures_schemas as fs
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
from choeur.api.factures import atomic, day_of, flux_filter, number, period, required, text
from choeur.api.factures_fournisseur import _invoice_data as invoice_data
from choeur.api.factures_schemas import Amount, Comment, TextList
from choeur.api.schemas import ErrorOut, ParametresRetour, WsRetour
from choeur.api.structures import choice, designation
from choeur.invoicing.models import Invoice, ModeDepot, TravauxCadre, TypeDemandePaiement
from choeur.invoicing.statuses import Status
from choeur.organisations import permissions
from choeur.travaux import errors, final, queries, recycling, services, variants
from choeur.travaux.models import Dossier, Piece, TypeFactureTravaux

router = Router(tags=["FacturesTravaux"])
ERRORS = frozenset({400, 401, 403, 404, 409, 413, 500})

NO_RESULT_CODE = 20007
NO_RESULT_LIBELLE = "GFT_MSG_01.075 - La recherche n'a retourné aucun résultat"
TYPE_DP = TypeDemandePaiement.FACTURE_TRAVAUX.value
#: `avecSansService` (the pre-PISTE example sends AVEC_ET_SANS_SERVICE): whether the piece
#: names a paying service.
AVEC_SANS_SERVICE = ["AVEC_ET_SANS_SERVICE", "AVEC_SERVICE", "SANS_SERVICE"]

#: `triColonne` → Piece fields (ascending); anything else is a coded 400, never passed on.
COLUMNS = {
    "DateDepot": ["invoice__deposited_at"], "TypeDemandePaiement": ["invoice_id"],
    "IdFactureTravaux": ["invoice_id"], "NumeroFactureTravaux": ["invoice__number"],
    "TypeFactureTravaux": ["kind"], "CadreFacturation": ["invoice__cadre"],
    "Statut": ["invoice__status"], "StatutFactureTravaux": ["invoice__status"],
    "DateFactureTravaux": ["invoice__invoice_date"],
    "DateHeureEtatCourant": ["invoice__status_changed_at"],
    "MontantHT": ["invoice__total_ht"], "MontantTTC": ["invoice__total_ttc"],
    "MontantAPayer": ["invoice__amount_due"],
    "NumeroDossierFacturation": ["dossier__number", "position"],
    "IdDossierFacturation": ["dossier_id", "position"],
    "CodeFournisseur": ["invoice__supplier__identifier"],
    "DesignationFournisseur": ["invoice__supplier__company_name"],
    "CodeMoe": ["dossier__moe__identifier"], "CodeMoa": ["dossier__moa__identifier"],
    "CodeDestinataire": ["invoice__recipient__identifier"],
    "CodeServiceExecutant": ["invoice__recipient_service__code"],
    "NumeroMarche": ["dossier__marche_number"],
    "NumeroBonCommande": ["dossier__engagement_number"],
    "DateLimiteTraitement": ["due_at"],
}
DEFAULT_COLUMN = "DateDepot"
ATRAITER_COLUMNS = {**COLUMNS, "DateLimiteTraitement": ["dossier__due_at"]}
ROLES = [str(role) for role in queries.ROLES]
#: The paging objects of the two searches (their `triColonne` published).
TravauxPagination = Pagination.sorted_by("PaginationFacturesTravaux", COLUMNS)
ATraiterPagination = Pagination.sorted_by("PaginationFacturesTravauxATraiter", ATRAITER_COLUMNS)


# --- rechercher ---------------------------------------------------------------------------------


class RechercherFactureTravauxIn(WireIn):
    """The criteria of `rechercher`: Pastell's (roleUtilisateur, idDestinataire,
    idServiceExecutant, the état courant's period, flagTelecharge) and the pre-PISTE
    example's. Values outside their lists are coded 400s."""

    idUtilisateurCourant: Id = None
    roleUtilisateur: Annotated[Text, choices(ROLES)] = Field(
        default=None, description="FOURNISSEUR, MOE ou MOA : le rôle "
                                  "de la structure dans le dossier (tous quand absent)")
    idDestinataire: Id = Field(default=None, description="la structure payeuse (la MOA)")
    idServiceExecutant: Id = Field(default=None, description="le service payeur")
    idStructureFournisseur: Id = None
    idServiceFournisseur: Id = None
    idStructureMoe: Id = None
    idServiceMoe: Id = None
    idStructureMoa: Id = None
    idServiceMoa: Id = None
    idStructureValideur: Id = None
    idDossierFacturation: Id = None
    numeroDossierFacturation: Text = None
    listeTypeFactureTravaux: Annotated[TextList, list_of_choices(TypeFactureTravaux.values)] = None
    cadreFacturation: Annotated[Text, choices(TravauxCadre.values)] = None
    listeStatutCourant: Annotated[TextList, list_of_choices(Status.values)] = Field(
        default=None, validation_alias=AliasChoices("listeStatutCourant", "statutCourant"))
    numeroFactureTravaux: Text = None
    numeroMarche: Text = None
    numeroBonCommande: Text = None
    modeDepot: Annotated[Text, choices(ModeDepot.values)] = None
    numeroFluxDepot: Text = None
    idCoordonneeBancaire: Id = None
    periodeDateDepotDu: Day = None
    periodeDateDepotAu: Day = None
    periodeDateFactureTravauxDu: Day = None
    periodeDateFactureTravauxAu: Day = None
    periodeDateHeureEtatCourantDu: Day = None
    periodeDateHeureEtatCourantAu: Day = None
    montantHTMin: Amount = None
    montantHTMax: Amount = None
    montantTTCMin: Amount = None
    montantTTCMax: Amount = None
    montantAPayerMin: Amount = Field(default=None, validation_alias=AliasChoices(
        "montantAPayerMin", "montantApayerMin"))
    montantAPayerMax: Amount = Field(default=None, validation_alias=AliasChoices(
        "montantAPayerMax", "montantApayerMax"))
    flagTelecharge: Bool = Field(default=None, description="téléchargée (true) ou non (false) "
                                 "par le destinataire")
    uniquementSansPieceSuivante: Bool = None
    avecSansService: Annotated[Text, choices(AVEC_SANS_SERVICE)] = None
    rechercheFactureTravaux: TravauxPagination | None = Field(
        default=None, validation_alias=AliasChoices("rechercheFactureTravaux",
                                                    "parametresRecherche", "pagination"))


class FactureTravaux(Schema):
    idFactureTravaux: int = Field(description="l'idFacture de la pièce")
    numeroFactureTravaux: str | None = None
    typeDemandePaiement: str
    typeFactureTravaux: str
    cadreFacturation: str
    statut: str
    statutFactureTravaux: str
    idDossierFacturation: int
    numeroDossierFacturation: str
    rangPiece: int = Field(description="la place de la pièce dans son dossier (1, 2...)")
    idFactureTravauxPrecedente: int | None = None
    roleDeposant: str
    idFournisseur: int
    codeFournisseur: str
    typeIdentifiantFournisseur: str
    designationFournisseur: str
    idServiceFournisseur: int | None = None
    codeServiceFournisseur: str | None = None
    idMoe: int | None = None
    codeMoe: str | None = None
    designationMoe: str | None = None
    idServiceMoe: int | None = None
    codeServiceMoe: str | None = None
    idMoa: int
    codeMoa: str
    designationMoa: str
    idServiceMoa: int | None = None
    codeServiceMoa: str | None = None
    idDestinataire: int
    codeDestinataire: str
    designationDestinataire: str
    idServiceExecutant: int | None = None
    codeServiceExecutant: str | None = None
    numeroMarche: str | None = None
    numeroBonCommande: str | None = None
    dateFactureTravaux: str | None = None
    dateDepot: str | None = None
    dateHeureEtatCourant: str
    montantHT: float
    montantTTC: float
    montantAPayer: float
    montantHTDemande: float | None = Field(
        default=None, description="ce que la pièce précédente demandait (sommes admises)")
    montantTTCDemande: float | None = None
    devise: str
    factureTelechargeeParDestinataire: bool
    dateLimiteTraitement: str | None = None


class ListeFacturesTravaux(WsRetour):
    listeFacturesTravaux: list[FactureTravaux]
    parametresRetour: ParametresRetour


def _choices(field: str, values, allowed) -> list[str]:
    return [choice(field, value, allowed) for value in values or []]


def _cadre(value: str) -> str:
    """A travaux cadre by its code (`A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR`) or its short
    name (`A4`)."""
    for cadre in TravauxCadre.values:
        if value.strip().upper() in (cadre, cadre.split("_", 1)[0]):
            return cadre
    return choice("cadreFacturation", value, TravauxCadre.values)


def _filters(payload: RechercherFactureTravauxIn) -> Q:
    q = Q()
    for field, value in (
            ("invoice__recipient_id", payload.idDestinataire),
            ("invoice__recipient_service_id", payload.idServiceExecutant),
            ("invoice__supplier_id", payload.idStructureFournisseur),
            ("invoice__supplier_service_id", payload.idServiceFournisseur),
            ("dossier__moe_id", payload.idStructureMoe),
            ("dossier__moe_service_id", payload.idServiceMoe),
            ("dossier__moa_id", payload.idStructureMoa),
            ("dossier__moa_service_id", payload.idServiceMoa),
            ("invoice__validator_id", payload.idStructureValideur),
            ("dossier_id", payload.idDossierFacturation),
            ("invoice__bank_account_id", payload.idCoordonneeBancaire),
            ("invoice__downloaded_by_recipient", payload.flagTelecharge)):
        if value is not None:
            q &= Q(**{field: value})
    if payload.numeroDossierFacturation:
        q &= Q(dossier__number__iexact=payload.numeroDossierFacturation)
    if payload.listeTypeFactureTravaux:
        q &= Q(kind__in=_choices("listeTypeFactureTravaux", payload.listeTypeFactureTravaux,
                                 TypeFactureTravaux.values))
    if payload.cadreFacturation:
        q &= Q(invoice__cadre=_cadre(payload.cadreFacturation))
    if payload.listeStatutCourant:
        q &= Q(invoice__status__in=_choices("listeStatutCourant", payload.listeStatutCourant,
                                            Status.values))
    if payload.numeroFactureTravaux:
        q &= Q(invoice__number__icontains=payload.numeroFactureTravaux)
    if payload.numeroMarche:
        q &= Q(dossier__marche_number__icontains=payload.numeroMarche)
    if payload.numeroBonCommande:
        q &= Q(dossier__engagement_number__icontains=payload.numeroBonCommande)
    if payload.modeDepot:
        q &= Q(invoice__mode_depot=choice("modeDepot", payload.modeDepot, ModeDepot.values))
    if payload.numeroFluxDepot:
        q &= Q(invoice__in=Invoice.objects.filter(flux_filter(payload.numeroFluxDepot))
               .values("pk"))
    q &= period("invoice__deposited_at", payload.periodeDateDepotDu, payload.periodeDateDepotAu)
    q &= period("invoice__status_changed_at", payload.periodeDateHeureEtatCourantDu,
                payload.periodeDateHeureEtatCourantAu)
    if payload.periodeDateFactureTravauxDu is not None:
        q &= Q(invoice__invoice_date__gte=payload.periodeDateFactureTravauxDu)
    if payload.periodeDateFactureTravauxAu is not None:
        q &= Q(invoice__invoice_date__lte=payload.periodeDateFactureTravauxAu)
    for field, low, high in (("total_ht", payload.montantHTMin, payload.montantHTMax),
                             ("total_ttc", payload.montantTTCMin, payload.montantTTCMax),
                             ("amount_due", payload.montantAPayerMin, payload.montantAPayerMax)):
        if low is not None:
            q &= Q(**{f"invoice__{field}__gte": low})
        if high is not None:
            q &= Q(**{f"invoice__{field}__lte": high})
    if payload.uniquementSansPieceSuivante:
        q &= Q(next__isnull=True)
    service = choice("avecSansService", payload.avecSansService, AVEC_SANS_SERVICE)
    if service == "AVEC_SERVICE":
        q &= Q(invoice__recipient_service__isnull=False)
    elif service == "SANS_SERVICE":
        q &= Q(invoice__recipient_service__isnull=True)
    return q


def piece_row(piece: Piece) -> dict:
    """A piece as `listeFacturesTravaux` (and a dossier's `listePieces`) show it."""
    invoice, dossier = piece.invoice, piece.dossier
    return {
        "idFactureTravaux": invoice.pk,
        "numeroFactureTravaux": invoice.number or None,
        "typeDemandePaiement": TYPE_DP,
        "typeFactureTravaux": piece.kind,
        "cadreFacturation": invoice.cadre,
        "statut": invoice.status,
        "statutFactureTravaux": invoice.status,
        "idDossierFacturation": dossier.pk,
        "numeroDossierFacturation": dossier.number,
        "rangPiece": piece.position,
        "idFactureTravauxPrecedente": piece.previous.invoice_id if piece.previous else None,
        "roleDeposant": piece.depositor_role,
        "idFournisseur": invoice.supplier_id,
        "codeFournisseur": invoice.supplier.identifier,
        "typeIdentifiantFournisseur": invoice.supplier.identifier_type,
        "designationFournisseur": designation(invoice.supplier),
        "idServiceFournisseur": invoice.supplier_service_id,
        "codeServiceFournisseur": (invoice.supplier_service.code
                                   if invoice.supplier_service else None),
        "idMoe": dossier.moe_id,
        "codeMoe": dossier.moe.identifier if dossier.moe else None,
        "designationMoe": designation(dossier.moe) if dossier.moe else None,
        "idServiceMoe": dossier.moe_service_id,
        "codeServiceMoe": dossier.moe_service.code if dossier.moe_service else None,
        "idMoa": dossier.moa_id,
        "codeMoa": dossier.moa.identifier,
        "designationMoa": designation(dossier.moa),
        "idServiceMoa": dossier.moa_service_id,
        "codeServiceMoa": dossier.moa_service.code if dossier.moa_service else None,
        "idDestinataire": invoice.recipient_id,
        "codeDestinataire": invoice.recipient.identifier,
        "designationDestinataire": designation(invoice.recipient),
        "idServiceExecutant": invoice.recipient_service_id,
        "codeServiceExecutant": (invoice.recipient_service.code
                                 if invoice.recipient_service else None),
        "numeroMarche": text(dossier.marche_number or invoice.marche_number),
        "numeroBonCommande": text(dossier.engagement_number or invoice.engagement_number),
        "dateFactureTravaux": invoice.invoice_date.isoformat() if invoice.invoice_date else None,
        "dateDepot": day_of(invoice.deposited_at),
        "dateHeureEtatCourant": datetime_wire(invoice.status_changed_at),
        "montantHT": number(invoice.total_ht),
        "montantTTC": number(invoice.total_ttc),
        "montantAPayer": number(invoice.amount_due),
        "montantHTDemande": number(piece.claimed_ht),
        "montantTTCDemande": number(piece.claimed_ttc),
        "devise": invoice.currency,
        "factureTelechargeeParDestinataire": invoice.downloaded_by_recipient,
        "dateLimiteTraitement": datetime_wire(piece.due_at),
    }


@router.post("/rechercher", operation_id="rechercherFactureTravaux", exclude_none=True,
             response={200: ListeFacturesTravaux, ERRORS: ErrorOut})
def rechercher(request, payload: RechercherFactureTravauxIn):
    """The pieces of the dossiers where the account's structure is supplier, MOE or MOA
    (`roleUtilisateur`: that role only), one page at a time (`rechercheFactureTravaux`,
    `parametresRetour`); none: HTTP 200, codeRetour 20007."""
    role = choice("roleUtilisateur", payload.roleUtilisateur, queries.ROLES)
    found = queries.pieces(request.auth, role).filter(_filters(payload))
    rows, paging = page(found, payload.rechercheFactureTravaux, columns=COLUMNS,
                        default=DEFAULT_COLUMN)
    if not rows:
        return no_result(NO_RESULT_CODE, NO_RESULT_LIBELLE, listeFacturesTravaux=[],
                         parametresRetour=paging)
    return ok(listeFacturesTravaux=[piece_row(piece) for piece in rows],
              parametresRetour=paging)


# --- consulter/dossierfacturation ---------------------------------------------------------------


class ConsulterDossierFacturationIn(WireIn):
    wire_required = (("idDossierFacturation", "numeroDossierFacturation"),)
    idDossierFacturation: Id = None
    numeroDossierFacturation: Text = None


class DossierFacturation(Schema):
    idDossierFacturation: int
    numeroDossierFacturation: str
    typeDossier: str = Field(description="MENSUEL ou FINAL")
    listeRolesUtilisateur: list[str] = Field(
        description="les rôles de la structure du compte dans le dossier")
    idFournisseur: int
    codeFournisseur: str
    designationFournisseur: str
    idMoe: int | None = None
    codeMoe: str | None = None
    designationMoe: str | None = None
    idServiceMoe: int | None = None
    codeServiceMoe: str | None = None
    idMoa: int
    codeMoa: str
    designationMoa: str
    idServiceMoa: int | None = None
    codeServiceMoa: str | None = None
    numeroMarche: str | None = None
    numeroBonCommande: str | None = None
    acteurAttendu: str | None = Field(
        default=None, description="qui doit agir : FOURNISSEUR, MOE, MOA, DESTINATAIRE (le "
        "service payeur), ou personne")
    dateLimiteTraitement: str | None = Field(default=None, description="avant quand")
    dateDebutDelaiPaiement: str | None = None
    dateCreation: str
    dateDerniereModification: str
    listePieces: list[FactureTravaux]


class WsRetourConsulterDossierFacturation(WsRetour):
    dossierFacturation: DossierFacturation


def dossier_body(actor, dossier: Dossier) -> dict:
    return {
        "idDossierFacturation": dossier.pk,
        "numeroDossierFacturation": dossier.number,
        "typeDossier": dossier.kind,
        "listeRolesUtilisateur": queries.roles_in(actor, dossier),
        "idFournisseur": dossier.supplier_id,
        "codeFournisseur": dossier.supplier.identifier,
        "designationFournisseur": designation(dossier.supplier),
        "idMoe": dossier.moe_id,
        "codeMoe": dossier.moe.identifier if dossier.moe else None,
        "designationMoe": designation(dossier.moe) if dossier.moe else None,
        "idServiceMoe": dossier.moe_service_id,
        "codeServiceMoe": dossier.moe_service.code if dossier.moe_service else None,
        "idMoa": dossier.moa_id,
        "codeMoa": dossier.moa.identifier,
        "designationMoa": designation(dossier.moa),
        "idServiceMoa": dossier.moa_service_id,
        "codeServiceMoa": dossier.moa_service.code if dossier.moa_service else None,
        "numeroMarche": text(dossier.marche_number),
        "numeroBonCommande": text(dossier.engagement_number),
        "acteurAttendu": text(dossier.next_actor),
        "dateLimiteTraitement": datetime_wire(dossier.due_at),
        "dateDebutDelaiPaiement": datetime_wire(dossier.payment_delay_from),
        "dateCreation": datetime_wire(dossier.created_at),
        "dateDerniereModification": datetime_wire(dossier.updated_at),
        "listePieces": [piece_row(piece) for piece in queries.pieces_of(dossier)],
    }


@router.post("/consulter/dossierfacturation", operation_id="consulterDossierFacturation",
             exclude_none=True,
             response={200: WsRetourConsulterDossierFacturation, ERRORS: ErrorOut})
def consulter_dossier(request, payload: ConsulterDossierFacturationIn):
    """A dossier de facturation of the account's structure (Choeur's, after the pre-PISTE
    `consulter/dossierfacturation`), by `idDossierFacturation` or `numeroDossierFacturation`:
    its parties, who must act and by when, its pieces in order. Another structure's dossier
    is not found (codeRetour 20001)."""
    if payload.idDossierFacturation is None and not payload.numeroDossierFacturation:
        raise InvalidField(field="idDossierFacturation",
                           detail_fr="idDossierFacturation ou numeroDossierFacturation est "
                                     "obligatoire",
                           detail_en="idDossierFacturation or numeroDossierFacturation is "
                                     "required")
    dossier = queries.dossier(request.auth, dossier_id=payload.idDossierFacturation,
                              number=payload.numeroDossierFacturation)
    return ok(dossierFacturation=dossier_body(request.auth, dossier))


# --- rechercher/atraiter ------------------------------------------------------------------------

_SLOT = {"FOURNISSEUR": "supplier", "MOE": "moe", "MOA": "moa"}


class RechercherATraiterTravauxIn(WireIn):
    idUtilisateurCourant: Id = None
    roleUtilisateur: Annotated[Text, choices(ROLES)] = Field(
        default=None, description="FOURNISSEUR, MOE ou MOA : les "
                                  "pièces qui attendent la structure dans ce rôle (tous quand "
                                  "absent)")
    idDossierFacturation: Id = None
    numeroDossierFacturation: Text = None
    listeTypeFactureTravaux: Annotated[TextList, list_of_choices(TypeFactureTravaux.values)] = None
    rechercheFactureTravaux: ATraiterPagination | None = Field(
        default=None, validation_alias=AliasChoices("rechercheFactureTravaux",
                                                    "parametresRecherche", "pagination"))


class FactureTravauxATraiter(FactureTravaux):
    acteurAttendu: str = Field(description="le rôle dans lequel la structure doit agir")


class ListeFacturesTravauxATraiter(WsRetour):
    listeFacturesTravaux: list[FactureTravauxATraiter]
    parametresRetour: ParametresRetour


@router.post("/rechercher/atraiter", operation_id="rechercherFactureTravauxATraiter",
             exclude_none=True,
             response={200: ListeFacturesTravauxATraiter, ERRORS: ErrorOut})
def rechercher_atraiter(request, payload: RechercherATraiterTravauxIn):
    """The pieces waiting for the account's structure (Choeur's, after the pre-PISTE
    `rechercher/atraiter`): the last piece of each dossier whose next actor is the structure
    in one of its roles (`roleUtilisateur`: that one only), with the dossier's deadline
    (`dateLimiteTraitement`), paged as `rechercher`; none: HTTP 200, codeRetour 20007."""
    actor = request.auth
    role = choice("roleUtilisateur", payload.roleUtilisateur, queries.ROLES)
    acting = queries.acting_ids(actor)
    waiting = Q(pk__in=[])
    for each in [role] if role else queries.ROLES:
        waiting |= Q(dossier__next_actor=each, **{f"dossier__{_SLOT[each]}_id__in": acting})
    found = queries.pieces(actor, role).filter(waiting, next__isnull=True)
    if payload.idDossierFacturation is not None:
        found = found.filter(dossier_id=payload.idDossierFacturation)
    if payload.numeroDossierFacturation:
        found = found.filter(dossier__number__iexact=payload.numeroDossierFacturation)
    if payload.listeTypeFactureTravaux:
        found = found.filter(kind__in=_choices(
            "listeTypeFactureTravaux", payload.listeTypeFactureTravaux,
            TypeFactureTravaux.values))
    rows, paging = page(found, payload.rechercheFactureTravaux, columns=ATRAITER_COLUMNS,
                        default="DateLimiteTraitement")
    if not rows:
        return no_result(NO_RESULT_CODE, NO_RESULT_LIBELLE, listeFacturesTravaux=[],
                         parametresRetour=paging)
    return ok(listeFacturesTravaux=[
        {**piece_row(piece), "dateLimiteTraitement": datetime_wire(piece.dossier.due_at),
         "acteurAttendu": piece.dossier.next_actor} for piece in rows],
        parametresRetour=paging)


# --- Actions: refuser, demander/recyclage, recycler ----------------------------------------------


class ActionTravauxIn(WireIn):
    wire_required = ("idDossierFacturation",)
    idUtilisateurCourant: Id = None
    idDossierFacturation: Id = None
    roleUtilisateur: Annotated[Text, choices(ROLES)] = Field(
        default=None, description="le rôle dans lequel la structure "
                                  "agit (déduit quand elle n'en a qu'un qui convienne)")
    motif: Comment = Field(default=None, validation_alias=AliasChoices(
        "motif", "motifRefus", "commentaire"))


class RefuserTravauxIn(ActionTravauxIn):
    roleUtilisateur: Annotated[Text, choices(["MOE", "FOURNISSEUR"])] = Field(
        default=None, description="MOE ou FOURNISSEUR (déduit quand la structure n'a qu'un "
        "de ces rôles dans le dossier)")


class DemanderRecyclageTravauxIn(ActionTravauxIn):
    roleUtilisateur: Annotated[Text, choices(["MOE", "MOA"])] = Field(
        default=None, description="MOE ou MOA (déduit quand la structure n'a qu'un de ces "
        "rôles dans le dossier)")


class RecyclerTravauxIn(WireIn):
    # The supplier names the structure to send to; the MOE or the MOA, its service.
    wire_schema_extra = {"allOf": [
        {"if": {"required": ["roleUtilisateur"],
                "properties": {"roleUtilisateur": {"const": "FOURNISSEUR"}}},
         "then": {"required": ["codeStructure"],
                  "properties": {"codeStructure": {"type": "string", "pattern": r"\S"}}}},
        {"if": {"required": ["roleUtilisateur"],
                "properties": {"roleUtilisateur": {"enum": ["MOE", "MOA"]}}},
         "then": {"required": ["codeService"],
                  "properties": {"codeService": {"type": "string", "pattern": r"\S"}}}}]}
    wire_required = ("idDossierFacturation",)
    idUtilisateurCourant: Id = None
    idDossierFacturation: Id = None
    roleUtilisateur: Annotated[Text, choices(ROLES)] = Field(
        default=None, description="MOE ou MOA : vers un autre de "
                                  "ses services ; FOURNISSEUR : vers une autre structure")
    codeStructure: Text = Field(default=None, description="FOURNISSEUR : le SIRET du bon "
                                "maître d'œuvre (ou d'ouvrage)", validation_alias=AliasChoices(
                                    "codeStructure", "codeMoe", "codeMoa", "codeDestinataire"))
    codeService: Text = Field(default=None, description="le code du service",
                              validation_alias=AliasChoices(
                                  "codeService", "codeServiceMoe", "codeServiceMoa",
                                  "codeServiceExecutant"))
    commentaire: Comment = None


class WsRetourActionTravaux(WsRetour):
    idDossierFacturation: int
    numeroDossierFacturation: str
    idFactureTravaux: int
    numeroFactureTravaux: str | None = None
    statut: str
    acteurAttendu: str | None = None
    dateLimiteTraitement: str | None = None


def _dossier_id(payload) -> int:
    return required("idDossierFacturation", payload.idDossierFacturation)


def _role(actor, payload, allowed) -> str:
    """The role the caller acts in: `roleUtilisateur` (one of `allowed`), else the only one of
    them it holds in the dossier. A dossier it does not see is not found, first."""
    role = choice("roleUtilisateur", payload.roleUtilisateur, allowed)
    if role:
        return role
    dossier = queries.dossier(actor, dossier_id=_dossier_id(payload))
    held = [each for each in queries.roles_in(actor, dossier) if each in allowed]
    if len(held) != 1:
        raise InvalidField(field="roleUtilisateur",
                           detail_fr="obligatoire : " + ", ".join(allowed),
                           detail_en="required: " + ", ".join(allowed))
    return held[0]


def _acted(piece: Piece) -> dict:
    dossier = Dossier.objects.get(pk=piece.dossier_id)
    invoice = Invoice.objects.get(pk=piece.invoice_id)
    return ok(idDossierFacturation=dossier.pk, numeroDossierFacturation=dossier.number,
              idFactureTravaux=invoice.pk, numeroFactureTravaux=invoice.number or None,
              statut=invoice.status, acteurAttendu=text(dossier.next_actor),
              dateLimiteTraitement=datetime_wire(dossier.due_at))


@router.post("/refuser", operation_id="refuserFactureTravaux", exclude_none=True,
             response={200: WsRetourActionTravaux, ERRORS: ErrorOut})
def refuser(request, payload: RefuserTravauxIn):
    """A refusal with its `motif` (after the pre-PISTE `refuser`): the MOE refuses the
    projet de décompte waiting for it (an amount error is no reason: TRAV_AMOUNT_NOT_A_REASON,
    deposit the sums admitted instead); the titulaire (`FOURNISSEUR`) refuses the décompte
    général within its 30 days. Another structure's dossier is not found (20001)."""
    actor = request.auth
    dossier_id = _dossier_id(payload)
    role = _role(actor, payload, ["MOE", "FOURNISSEUR"])
    use_case = services.refuse_as_moe if role == "MOE" else final.refuse_decompte_general
    return _acted(atomic(use_case, actor, dossier_id, payload.motif or ""))


@router.post("/demander/recyclage", operation_id="demanderRecyclageFactureTravaux",
             exclude_none=True, response={200: WsRetourActionTravaux, ERRORS: ErrorOut})
def demander_recyclage(request, payload: DemanderRecyclageTravauxIn):
    """The structure named MOE (MOA) of the dossier is not the right one (after the pre-PISTE
    `demander/recyclage`): the piece waiting for it goes to ERREUR_DE_MOE (ERREUR_DE_MOA),
    then EN_ATTENTE_RECYCLAGE_FOURNISSEUR; the supplier is asked to recycle it (`motif`
    required)."""
    actor = request.auth
    dossier_id = _dossier_id(payload)
    role = _role(actor, payload, ["MOE", "MOA"])
    return _acted(atomic(recycling.request_recycling, actor, dossier_id, role,
                         payload.motif or ""))


@router.post("/recycler", operation_id="recyclerFactureTravaux", exclude_none=True,
             response={200: WsRetourActionTravaux, ERRORS: ErrorOut})
def recycler(request, payload: RecyclerTravauxIn):
    """Recycle the piece waiting in the dossier (after the pre-PISTE `recycler`): the MOE or
    the MOA moves the piece waiting for it to another of its services (`codeService`); the
    supplier sends its piece EN_ATTENTE_RECYCLAGE_FOURNISSEUR to the right MOE (MOA),
    `codeStructure` and `codeService`."""
    actor = request.auth
    dossier_id = _dossier_id(payload)
    role = _role(actor, payload, ["FOURNISSEUR", "MOE", "MOA"])
    if role == "FOURNISSEUR":
        identifier = required("codeStructure", payload.codeStructure)
        piece = atomic(recycling.recycle_to_party, actor, dossier_id, identifier,
                       payload.codeService or "", payload.commentaire or "")
    else:
        code = required("codeService", payload.codeService)
        piece = atomic(recycling.recycle_to_service, actor, dossier_id, role, code,
                       payload.commentaire or "")
    return _acted(piece)


# --- soumettre: the next piece of a dossier, or a new dossier -----------------------------------

K = TravauxCadre
CENT = Decimal("0.01")
#: The pieces associated to a dossier (`idDossierFacturation`), per cadre: the use case.
ASSOCIATIONS = {
    K.A15: services.deposit_etat_acompte,
    K.A16: variants.deposit_etat_acompte_valide_moe,
    K.A17: final.deposit_projet_decompte_general,
    K.A18: final.deposit_decompte_general_moe,
    K.A19: services.validate_etat_acompte,
    K.A20: final.deposit_decompte_general,
    K.A8: final.sign_decompte_general,
    K.A22: final.deposit_projet_tacite,
    K.A23: final.deposit_dgd_tacite,
    K.A24: final.deposit_dgd_tacite_moe,
    K.A25: final.deposit_dgd_tacite_moa,
}
#: The initial deposits of the supplier (a new dossier, no `idDossierFacturation`).
INITIAL_WITH_MOE = {K.A4: services.deposit_projet_decompte,
                    K.A13: services.deposit_projet_decompte,
                    K.A7: final.deposit_projet_decompte_final,
                    K.A14: final.deposit_projet_decompte_final}
INITIAL_WITHOUT_MOE = {K.A5: variants.deposit_etat_acompte_fournisseur,
                       K.A6: variants.deposit_etat_acompte_valide_fournisseur}


class CadreTravauxIn(fs.SoumettreFactureCadreDeFacturation):
    wire_required = ("codeCadreFacturation",)
    # The short forms (A4...) are read too.
    codeCadreFacturation: Annotated[Text, choices(TravauxCadre.values)] = None


class SoumettreFactureTravauxIn(fs.SoumettreFactureParam):
    """factures/v1/soumettre's body, plus the dossier the piece joins (none: a new dossier,
    and `codeStructureMoe` names its MOE for A4/A13/A7/A14). Saisie only, no pièce jointe
    yet."""

    wire_required = ("cadreDeFacturation",)
    # A new dossier of A4/A13/A7/A14 names its MOE.
    # The other pieces join a dossier.
    wire_schema_extra = {"allOf": [{"if": {
        "properties": {"idDossierFacturation": {"type": "null"}, "cadreDeFacturation": {
            "properties": {"codeCadreFacturation": {
                "enum": [str(cadre) for cadre in INITIAL_WITH_MOE]}}}}},
        "then": {"required": ["codeStructureMoe"],
                 "properties": {"codeStructureMoe": {"type": "string", "pattern": r"\S"}}}},
        {"if": {"properties": {"cadreDeFacturation": {"properties": {"codeCadreFacturation": {
            "not": {"enum": [str(cadre) for cadre in (*INITIAL_WITH_MOE,
                                                      *INITIAL_WITHOUT_MOE)]}}}}}},
         "then": {"required": ["idDossierFacturation"],
                  "properties": {"idDossierFacturation": {"type": "integer"}}}}]}
    modeDepot: Annotated[Text, choices([ModeDepot.SAISIE_API])] = None
    cadreDeFacturation: CadreTravauxIn | None = None
    pieceJointePrincipale: Annotated[list[fs.PieceJointePrincipaleIn] | None,
                                     BeforeValidator(fs._as_list), no_items()] = None
    pieceJointeComplementaire: Annotated[list[fs.PieceJointeComplementaireIn] | None,
                                         BeforeValidator(fs._as_list), no_items()] = None

    idDossierFacturation: Id = None
    codeStructureMoe: Text = Field(default=None, validation_alias=AliasChoices(
        "codeStructureMoe", "codeMoe"))


class WsRetourSoumettreFactureTravaux(WsRetour):
    identifiantFactureCPP: int
    idFactureTravaux: int
    numeroFacture: str | None = None
    statutFacture: str
    dateDepot: str | None = None
    typeFactureTravaux: str
    cadreFacturation: str
    idDossierFacturation: int
    numeroDossierFacturation: str
    rangPiece: int


def _vat_breakdown(data) -> None:
    """The VAT lines given (`ligneTva`) are those of the lines (`lignePoste`), per rate, to the
    cent: the piece's Factur-X, which Choeur writes, must pass EN 16931 (BR-S-08)."""
    if data.vat_lines is None or not data.lines:
        return
    given: dict = {}
    for line in data.vat_lines:
        base, amount = given.get(Decimal(line.rate), (Decimal(0), Decimal(0)))
        given[Decimal(line.rate)] = (base + line.base_ht, amount + line.amount)
    computed = {Decimal(v.rate): (v.base_ht, v.amount) for v in data.computed_vat_lines()}
    if set(given) != set(computed) or any(
            abs(given[rate][0] - computed[rate][0]) > CENT
            or abs(given[rate][1] - computed[rate][1]) > CENT for rate in computed):
        detail = ", ".join(f"{rate} % : base {base}, TVA {amount}"
                           for rate, (base, amount) in sorted(computed.items()))
        raise InvalidField(field="ligneTva",
                           detail_fr=f"ne correspond pas aux lignes ({detail})",
                           detail_en=f"does not match the lines ({detail})")


def _soumettre(actor, payload: SoumettreFactureTravauxIn, cadre: str) -> Piece:
    # The travaux cadre is read here; invoicing's reader knows the ordinary ones only.
    plain = payload.model_copy(update={"cadreDeFacturation": None})
    if payload.idDossierFacturation is not None:
        use_case = ASSOCIATIONS.get(cadre)
        if use_case is None:
            raise errors.CadreNotHere(cadre=cadre)
        data = invoice_data(plain, actor.structure)
        _vat_breakdown(data)
        return use_case(actor, payload.idDossierFacturation, data)
    if cadre in ASSOCIATIONS:
        required("idDossierFacturation", None)
    fournisseur = payload.fournisseur or fs.SoumettreFactureFournisseur()
    supplier = (permissions.structure_for(actor, fournisseur.idFournisseur)
                if fournisseur.idFournisseur is not None else actor.structure)
    data = invoice_data(plain, supplier)
    _vat_breakdown(data)
    if cadre in INITIAL_WITH_MOE:
        moe = required("codeStructureMoe", payload.codeStructureMoe)
        return INITIAL_WITH_MOE[cadre](actor, supplier, data, moe_identifier=moe, cadre=cadre,
                                       mode_depot=ModeDepot.SAISIE_API)
    if cadre in INITIAL_WITHOUT_MOE:
        return INITIAL_WITHOUT_MOE[cadre](actor, supplier, data,
                                          mode_depot=ModeDepot.SAISIE_API)
    raise errors.CadreNotHere(cadre=cadre)


@router.post("/soumettre", operation_id="soumettreFactureTravaux", exclude_none=True,
             response={200: WsRetourSoumettreFactureTravaux, ERRORS: ErrorOut})
def soumettre(request, payload: SoumettreFactureTravauxIn):
    """A piece of a dossier de facturation, keyed as `factures/v1/soumettre` (lines, VAT,
    totals, references) with its travaux cadre in `cadreDeFacturation.codeCadreFacturation`
    (`A15_ETAT_ACOMPTE_MOE` or `A15`): with `idDossierFacturation`, the next piece of that
    dossier — the MOE's A15/A16/A17/A18/A24, the MOA's A19/A20/A25, the titulaire's
    A8/A22/A23 (the amounts are the sums admitted; the MOE's and MOA's pieces get their
    number from the dossier, the titulaire's its `numeroFactureSaisi`); without, the
    supplier's initial deposit (A4/A13/A7/A14 with `codeStructureMoe`, A5, A6; the MOA and
    its service in `destinataire`). Saisie only: no pièce jointe yet."""
    actor = request.auth
    if payload.pieceJointePrincipale or payload.pieceJointeComplementaire:
        raise InvalidField(field="pieceJointePrincipale",
                           detail_fr="les pièces jointes ne sont pas encore prises en charge "
                                     "pour les factures de travaux",
                           detail_en="attachments are not supported yet for works invoices")
    choice("modeDepot", payload.modeDepot, [ModeDepot.SAISIE_API])
    frame = payload.cadreDeFacturation or fs.SoumettreFactureCadreDeFacturation()
    cadre = _cadre(required("cadreDeFacturation.codeCadreFacturation",
                            frame.codeCadreFacturation))
    piece = atomic(_soumettre, actor, payload, cadre)
    invoice = Invoice.objects.select_related("supplier").get(pk=piece.invoice_id)
    dossier = Dossier.objects.get(pk=piece.dossier_id)
    return ok(identifiantFactureCPP=invoice.pk, idFactureTravaux=invoice.pk,
              numeroFacture=invoice.number, statutFacture=invoice.status,
              dateDepot=day_of(invoice.deposited_at), typeFactureTravaux=piece.kind,
              cadreFacturation=invoice.cadre, idDossierFacturation=dossier.pk,
              numeroDossierFacturation=dossier.number, rangPiece=piece.position)
