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

Reads only: the scope is `travaux.queries` (the same the portal reads through).
"""

from __future__ import annotations

from django.db.models import Q
from ninja import Router, Schema
from pydantic import AliasChoices, Field

from choeur.api.envelope import (
    Bool,
    Day,
    Id,
    Pagination,
    Text,
    WireIn,
    datetime_wire,
    no_result,
    ok,
    page,
)
from choeur.api.errors import InvalidField
from choeur.api.factures import day_of, flux_filter, number, period, text
from choeur.api.factures_schemas import Amount, TextList
from choeur.api.schemas import ErrorOut, ParametresRetour, WsRetour
from choeur.api.structures import choice, designation
from choeur.invoicing.models import Invoice, ModeDepot, TravauxCadre, TypeDemandePaiement
from choeur.invoicing.statuses import Status
from choeur.travaux import queries
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


# --- rechercher ---------------------------------------------------------------------------------


class RechercherFactureTravauxIn(WireIn):
    """The criteria of `rechercher`: Pastell's (roleUtilisateur, idDestinataire,
    idServiceExecutant, the état courant's period, flagTelecharge) and the pre-PISTE
    example's. Values outside their lists are coded 400s."""

    idUtilisateurCourant: Id = None
    roleUtilisateur: Text = Field(default=None, description="FOURNISSEUR, MOE ou MOA : le rôle "
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
    listeTypeFactureTravaux: TextList = None
    cadreFacturation: Text = None
    listeStatutCourant: TextList = Field(
        default=None, validation_alias=AliasChoices("listeStatutCourant", "statutCourant"))
    numeroFactureTravaux: Text = None
    numeroMarche: Text = None
    numeroBonCommande: Text = None
    modeDepot: Text = None
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
    avecSansService: Text = None
    rechercheFactureTravaux: Pagination | None = Field(
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
