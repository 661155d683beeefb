"""Request and response bodies of the Factures family, field for field as swagger/factures.json
names them (odd spellings included: `numeroPieceSuiante`, `getpLignesPoste`...).

Requests are lenient (envelope.WireIn, reference §7.4): unknown fields ignored, ids as strings,
blank strings absent, `pieceJointePrincipale` as an object or an array, `triSense` read as
`triSens`, dates as `YYYY-MM-DD` or a date-time (envelope.Day). Responses are what Choeur's OpenAPI
publishes; the tests check them against the official definitions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import AliasChoices, BeforeValidator, Field, WithJsonSchema

from choeur.api.envelope import (
    Bool,
    Day,
    Id,
    Pagination,
    Text,
    WireIn,
    base64_file,
    choices,
    list_of_choices,
    pattern,
)
from choeur.api.factures import COLUMNS, TYPES_DP
from choeur.api.schemas import ParametresRetour, WsRetour
from choeur.invoicing.models import Cadre, ModeDepot, ModePaiement, TypeFacture, TypeTva
from choeur.invoicing.statuses import Status


def _blank(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _as_list(value: Any) -> Any:
    """One object where the Swagger has one and real clients send an array (or the reverse)."""
    value = _blank(value)
    if isinstance(value, dict):
        return [value]
    return value


def _text_list(value: Any) -> Any:
    value = _blank(value)
    if isinstance(value, str):
        return [value]
    return value


Base64 = Annotated[str | None, BeforeValidator(_blank), base64_file()]
Amount = Annotated[Annotated[Decimal, Field(max_digits=19, decimal_places=6)] | None,
                   BeforeValidator(_blank), WithJsonSchema({"anyOf": [
                       {"type": "number", "exclusiveMinimum": -1e13, "exclusiveMaximum": 1e13,
                        "description": "au plus 13 chiffres avant la virgule, 6 après"},
                       {"type": "string", "pattern": r"^\s*-?[0-9]{1,13}(?:\.[0-9]{1,6})?\s*$",
                        "examples": ["12.50"]},
                       {"type": "null"}]})]
Comment = Annotated[Annotated[str, Field(max_length=2000)] | None, BeforeValidator(_blank)]
TextList = Annotated[list[Annotated[str, Field(max_length=100)]] | None,
                     BeforeValidator(_text_list)]
#: A VAT rate by its code (TVA1...TVA7, transverses/recuperer/tauxtva) or as a number (`20`,
#: `5,5 %`).
VatRateCode = pattern(r"^\s*(?:[Tt][Vv][Aa][1-7]|[0-9]+(?:[.,][0-9]+)?\s*%?)\s*$",
                      "TVA2", "20")
#: The paging object of the invoice searches: `triColonne` one of factures.COLUMNS.
InvoicePagination = Pagination.sorted_by("PaginationFactures", COLUMNS)
IdList = Annotated[list[Annotated[int, Field(ge=0, le=2**63 - 1)]] | None,
                   BeforeValidator(_text_list)]


# --- Inputs -------------------------------------------------------------------------------------


class DeposerPdfFactureParam(WireIn):
    wire_required = ("fichierFacture",)
    idUtilisateurCourant: Id = None
    fichierFacture: Base64 = None
    nomFichier: Text = None
    formatDepot: Annotated[Text, choices(
        ["PDF_NON_SIGNE", "PDF_SIGNE_PADES", "PDF_SIGNE_XADES"])] = None


class SoumettreFactureDestinataire(WireIn):
    codeDestinataire: Text = None
    codeServiceExecutant: Text = None


class SoumettreFactureFournisseur(WireIn):
    idFournisseur: Id = None
    idServiceFournisseur: Id = None
    codeCoordonneesBancairesFournisseur: Id = None


class SoumettreFactureCadreDeFacturation(WireIn):
    codeCadreFacturation: Annotated[Text, choices(Cadre.values)] = None
    codeStructureValideur: Text = None
    codeServiceValideur: Text = None


class SoumettreFactureReferences(WireIn):
    deviseFacture: Text = None
    typeFacture: Annotated[Text, choices(["FACTURE", "AVOIR"])] = None
    typeTva: Annotated[Text, choices(TypeTva.values)] = None
    motifExonerationTva: Text = None
    numeroMarche: Text = None
    numeroBonCommande: Text = None
    numeroFactureOrigine: Text = None
    modePaiement: Annotated[Text, choices(ModePaiement.values)] = None


class LignePosteSoumettreInput(WireIn):
    wire_required = ("lignePosteQuantite", "lignePosteMontantUnitaireHT",
                     ("lignePosteTauxTva", "lignePosteTauxTvaManuel"))
    lignePosteNumero: Id = None
    lignePosteReference: Text = None
    lignePosteDenomination: Text = None
    lignePosteQuantite: Amount = None
    lignePosteUnite: Text = None
    lignePosteMontantUnitaireHT: Amount = None
    lignePosteMontantRemiseHT: Amount = None
    lignePosteTauxTva: Annotated[Text, VatRateCode] = None
    lignePosteTauxTvaManuel: Amount = None


class LigneTvaSoumettreInput(WireIn):
    wire_required = ("ligneTvaMontantBaseHtParTaux", "ligneTvaMontantTvaParTaux",
                     ("ligneTvaTaux", "ligneTvaTauxManuel"))
    ligneTvaTaux: Annotated[Text, VatRateCode] = None
    ligneTvaTauxManuel: Amount = None
    ligneTvaMontantBaseHtParTaux: Amount = None
    ligneTvaMontantTvaParTaux: Amount = None


class SoumettreFactureMontantTotal(WireIn):
    montantHtTotal: Amount = None
    montantTVA: Amount = None
    montantTtcTotal: Amount = None
    montantRemiseGlobaleTTC: Amount = None
    motifRemiseGlobaleTTC: Text = None
    montantAPayer: Amount = None


class PieceJointePrincipaleIn(WireIn):
    wire_required = ("pieceJointePrincipaleId",)
    pieceJointePrincipaleDesignation: Text = None
    pieceJointePrincipaleId: Id = None


class PieceJointeComplementaireIn(WireIn):
    wire_required = ("pieceJointeComplementaireId",)
    pieceJointeComplementaireDesignation: Text = None
    pieceJointeComplementaireType: Text = None
    pieceJointeComplementaireNumeroLigneFacture: Id = None
    pieceJointeComplementaireId: Id = None
    pieceJointeComplementaireIdLiaison: Id = None


class SoumettreFactureParam(WireIn):
    # A PDF mode needs its pièce jointe principale (an upload of ajouter/fichier).
    wire_schema_extra = {"if": {
        "required": ["modeDepot"], "properties": {"modeDepot": {"enum": [
            ModeDepot.DEPOT_PDF_API, ModeDepot.DEPOT_PDF_SIGNE_API]}}},
        "then": {"required": ["pieceJointePrincipale"],
                 "properties": {"pieceJointePrincipale": {"type": "array", "minItems": 1}}}}
    idUtilisateurCourant: Id = None
    modeDepot: Annotated[Text, choices(
        [ModeDepot.SAISIE_API, ModeDepot.DEPOT_PDF_API, ModeDepot.DEPOT_PDF_SIGNE_API])] = None
    numeroFactureSaisi: Text = None
    dateFacture: Day = None
    destinataire: SoumettreFactureDestinataire | None = None
    fournisseur: SoumettreFactureFournisseur | None = None
    cadreDeFacturation: SoumettreFactureCadreDeFacturation | None = None
    references: SoumettreFactureReferences | None = None
    lignePoste: Annotated[list[LignePosteSoumettreInput] | None,
                          BeforeValidator(_as_list)] = None
    ligneTva: Annotated[list[LigneTvaSoumettreInput] | None, BeforeValidator(_as_list)] = None
    montantTotal: SoumettreFactureMontantTotal | None = None
    # An object in the Swagger, an array in facture-electronique, PHP and the ChorusPay docs.
    pieceJointePrincipale: Annotated[list[PieceJointePrincipaleIn] | None,
                                     BeforeValidator(_as_list)] = None
    pieceJointeComplementaire: Annotated[list[PieceJointeComplementaireIn] | None,
                                         BeforeValidator(_as_list)] = None
    commentaire: Comment = None


class CritereDestinatairePojo(WireIn):
    idDestinataire: Id = None
    listeIdServiceExecutant: IdList = None
    raisonSocialeStuctDmd: Text = None


class CritereFournisseurPojo(WireIn):
    idFournisseur: Id = None
    listeIdService: IdList = None


class SearchFilters(WireIn):
    """The criteria the invoice searches share (each operation reads those it has)."""

    idUtilisateurCourant: Id = None
    numeroFacture: Text = None
    periodeDateDepotDu: Day = None
    periodeDateDepotAu: Day = None
    periodeDateFactureDu: Day = None
    periodeDateFactureAu: Day = None
    periodeDateHeureEtatCourantDu: Day = None
    periodeDateHeureEtatCourantAu: Day = None
    cadreFacturation: Annotated[Text, choices(Cadre.values)] = None
    statutCourant: Annotated[TextList, list_of_choices(Status.values)] = None
    montantHTMin: Amount = None
    montantHTMax: Amount = None
    montantTTCMin: Amount = None
    montantTTCMax: Amount = None
    montantApayerMin: Amount = Field(default=None, validation_alias=AliasChoices(
        "montantApayerMin", "montantAPayerMin"))
    montantApayerMax: Amount = Field(default=None, validation_alias=AliasChoices(
        "montantApayerMax", "montantAPayerMax"))
    numeroMarche: Text = None
    numeroBonCommande: Text = None
    idStructureValideur: Id = None
    recupererTaille: Bool = None


class RechercherFactureParFournisseurParam(SearchFilters):
    listeDestinataire: Annotated[list[CritereDestinatairePojo] | None,
                                 BeforeValidator(_as_list)] = None
    rechercheSirenDestinataire: Bool = None
    typeFacture: Annotated[Text, choices(TypeFacture.values)] = None
    idFournisseur: Id = None
    idServiceFournisseur: Id = None
    coordonneeBancaire: Id = None
    idUtilisateurCreateur: IdList = None
    numeroFactureOrigine: Text = None
    modeDepot: Text = None
    numeroFluxDepot: Text = None
    rechercheFactureParFournisseur: InvoicePagination | None = None
    rejetTraite: Bool = None


class RechercherFactureRecipiendaireParam(SearchFilters):
    typeDemandePaiement: Annotated[Text, choices(TYPES_DP)] = None
    idDestinataire: Id = None
    idServiceExecutant: Id = None
    listeTypeFacture: Annotated[TextList, list_of_choices(TypeFacture.values)] = None
    listeTypeFactureTravaux: TextList = None
    listeFournisseurs: Annotated[list[CritereFournisseurPojo] | None,
                                 BeforeValidator(_as_list)] = None
    rechercheSirenFournisseur: Bool = None
    factureTelechargeeParDestinataire: Bool = None
    paramRecherche: InvoicePagination | None = None


class RechercherFactureParValideurParam(SearchFilters):
    typeDemandePaiement: Annotated[Text, choices(TYPES_DP)] = None
    idDestinataire: Id = None
    idServiceExecutant: Id = None
    listeTypeFacture: Annotated[TextList, list_of_choices(TypeFacture.values)] = None
    listeTypeFactureTravaux: TextList = None
    idFournisseur: Id = None
    idServiceFournisseur: Id = None
    montantAPayerMin: Amount = None
    montantAPayerMax: Amount = None
    numeroEngagement: Text = None
    pagination: InvoicePagination | None = None


class RechercherATraiterParFournisseurParam(WireIn):
    idUtilisateurCourant: Id = None
    idStructure: Id = None
    masquerRejetee: Bool = None
    rechercheFactureATraiterParFournisseur: InvoicePagination | None = None
    recupererTaille: Bool = None


class RechercherATraiterParRecipiendaireParam(WireIn):
    idUtilisateurCourant: Id = None
    idStructure: Id = None
    recupererTaille: Bool = None
    parametreRechercheFactureATraiterParRecipiendaire: InvoicePagination | None = None


class RechercherATraiterParValideurParam(WireIn):
    idUtilisateurCourant: Id = None
    idStructure: Id = None
    typeIdentifiantStructure: Text = None
    identifiantStructure: Text = None
    pagination: InvoicePagination | None = None


class ConsulterFactureParam(WireIn):
    """consulter/fournisseur, /recipiendaire, /valideur: the line and attachment paging
    objects are accepted under every name the Swagger and the clients use, and ignored (an
    invoice's lines come whole)."""

    wire_required = ("identifiantFactureCPP",)

    idUtilisateurCourant: Id = None
    identifiantFactureCPP: Id = Field(default=None, validation_alias=AliasChoices(
        "identifiantFactureCPP", "idFacture"))
    codeLangue: Text = None


class HistoPagination(WireIn):
    pageResultatDemandee: Id = Field(default=None, validation_alias=AliasChoices(
        "pageResultatDemandeeListeHistoStatut", "pageResultatDemandeeListeHistoEvenement",
        "pageResultatDemandeeListeHistoAction", "pageResultatDemandee"))
    nbResultatsParPage: Id = Field(default=None, validation_alias=AliasChoices(
        "nbResultatsParPageListeHistoStatut", "nbResultatsParPageListeHistoEvenement",
        "nbResultatsParPageListeHistoAction", "nbResultatsParPage"))


class ConsulterHistoriqueFactureParam(WireIn):
    wire_required = ("idFacture",)
    idUtilisateurCourant: Id = None
    idFacture: Id = Field(default=None, validation_alias=AliasChoices(
        "idFacture", "identifiantFactureCPP"))
    idEspace: Id = None
    nbResultatsMaximum: Id = None
    paramRechercheHistoStatuts: HistoPagination | None = None
    paramRechercheHistoEvenementsComplementaires: HistoPagination | None = None
    paramRechercheHistoActionsUtilisateurs: HistoPagination | None = None


class CompleterFactureParam(WireIn):
    wire_required = ("identifiantFactureCPP",)
    idUtilisateurCourant: Id = None
    identifiantFactureCPP: Id = Field(default=None, validation_alias=AliasChoices(
        "identifiantFactureCPP", "idFacture"))
    pieceJointeComplementaire: Annotated[list[PieceJointeComplementaireIn] | None,
                                         BeforeValidator(_as_list)] = None
    commentaire: Comment = None


class RecyclerDestinataire(SoumettreFactureDestinataire):
    wire_required = ("codeDestinataire",)


class RecyclerFactureParam(WireIn):
    wire_required = ("identifiantFactureCPP", "destinataire")
    idUtilisateurCourant: Id = None
    identifiantFactureCPP: Id = Field(default=None, validation_alias=AliasChoices(
        "identifiantFactureCPP", "idFacture"))
    destinataire: RecyclerDestinataire | None = None
    commentaire: Comment = None
    # `reference`, singular, in the Swagger; `references` as soumettre spells it, accepted.
    reference: SoumettreFactureReferences | None = Field(
        default=None, validation_alias=AliasChoices("reference", "references"))


class IdFactureInput(WireIn):
    wire_required = ("idFacture",)
    idFacture: Id = Field(default=None, validation_alias=AliasChoices(
        "idFacture", "identifiantFactureCPP"))


class TelechargerGroupeFactureParam(WireIn):
    wire_required = ("listeFacture",)
    idUtilisateurCourant: Id = None
    idEspace: Id = None
    format: Annotated[Text, choices(["ZIP", "PDF", "XML"])] = None
    avecPiecesJointesComplementaires: Bool = None
    listeFacture: Annotated[list[IdFactureInput] | None, BeforeValidator(_as_list)] = None


class TraiterUneFactureRecueParam(WireIn):
    wire_required = ("idFacture",)
    idUtilisateurCourant: Id = None
    idFacture: Id = Field(default=None, validation_alias=AliasChoices(
        "idFacture", "identifiantFactureCPP"))
    nouveauStatut: Text = None
    motif: Comment = None
    numeroDPMandat: Text = None


class TraiterRejetItem(WireIn):
    wire_required = ("idDemandePaiement",)
    idDemandePaiement: Id = Field(default=None, validation_alias=AliasChoices(
        "idDemandePaiement", "idFacture"))


class TraiterFacturesRejeteesParam(WireIn):
    wire_required = ("listeDemandePaiement",)
    listeDemandePaiement: Annotated[list[TraiterRejetItem] | None,
                                    BeforeValidator(_as_list)] = None
    motifRejet: Comment = None
    cpltInfos: Comment = None


class TraiterFactureAValiderParam(WireIn):
    wire_required = ("idFacture", "action")
    idUtilisateurCourant: Id = None
    idFacture: Id = None
    action: Annotated[Text, choices(["VALIDATION", "REFUS", "ERREUR_VALIDEUR"])] = None
    typeValideur: Text = None
    idValideur: Id = None
    motifRefus: Comment = None
    complementInfo: Comment = None
    idPieceJointe: Id = None


class CorrigerValideurFactureParam(WireIn):
    wire_required = ("idFacture", ("identifiantStructure", "idStructure"))
    idFacture: Id = None
    idStructure: Id = None
    typeIdentifiantStructure: Text = None
    identifiantStructure: Text = None
    codeServiceValideur: Text = None


class RecupererStatutsVisiblesParam(WireIn):
    idUtilisateurCourant: Id = None


class StructureCritere(WireIn):
    idStructure: Id = Field(default=None, validation_alias=AliasChoices(
        "idStructureFournisseur", "idStructureDestinataire", "idStructureValideur",
        "idStructure"))
    identifiant: Text = Field(default=None, validation_alias=AliasChoices(
        "identifiantStructureFournisseur", "identifiantStructureDestinataire",
        "identifiantStructureValideur", "identifiantStructure"))


class RechercherDemandePaiementParam(SearchFilters):
    roleUtilisateur: Annotated[Text, choices(["FOURNISSEUR", "DESTINATAIRE", "VALIDEUR"])] = None
    typeDemandePaiement: Annotated[Text, choices(TYPES_DP)] = None
    typeFacture: Annotated[Text, choices(TypeFacture.values)] = None
    periodeDateFournisseurDu: Day = None
    periodeDateFournisseurAu: Day = None
    montantAPayerMin: Amount = None
    montantAPayerMax: Amount = None
    numeroFactureOrigine: Text = None
    structureFournisseur: StructureCritere | None = None
    structureDestinataire: StructureCritere | None = None
    structureValideur: StructureCritere | None = None
    idServiceFournisseur: Id = None
    idServiceDestinataire: Id = None
    dpOuDpArchive: Text = None
    numeroDpMandat: Text = None
    statutCourant: Annotated[TextList, list_of_choices(Status.values)] = None


# --- Outputs ------------------------------------------------------------------------------------
# The invoices' own shapes are left open here (dicts): the exact shape is the Swagger's
# definition of the same name, checked field by field by the tests.


class WsRetourDeposerPdfFacture(WsRetour):
    numeroFacture: str
    dateFacture: str
    codeDestinataire: str
    codeServiceExecutant: str
    codeFournisseur: str
    codeDeviseFacture: str
    typeFacture: str
    typeTva: str
    numeroBonCommande: str
    montantTtcAvantRemiseGlobalTTC: float
    montantAPayer: float
    montantHtTotal: float
    montantTVA: float
    pieceJointeId: int


class WsRetourSoumettreFacture(WsRetour):
    identifiantFactureCPP: int | None = None
    numeroFacture: str | None = None
    statutFacture: str | None = None
    dateDepot: str | None = None
    identifiantStructure: str | None = None
    empreinteCertificatDepot: str | None = None


RetourRechercherFactureParFournisseur = dict[str, Any]  # the Swagger definition of the same name


class WsRetourRechercherFactureParFournisseur(WsRetour):
    parametresRetour: ParametresRetour | None = None
    listeFactures: list[RetourRechercherFactureParFournisseur] | None = None


FactureRechercheRecipiendaire = dict[str, Any]  # the Swagger definition of the same name


class WsRetourRechercheFactureRecipiendaireRest(WsRetour):
    listeFactures: list[FactureRechercheRecipiendaire] | None = None
    pageCourante: int | None = None
    pages: int | None = None
    nbResultatsParPage: int | None = None
    total: int | None = None


class WsRetourRechercheFactureRecipiendaire(WsRetour):
    listeFactures: list[FactureRechercheRecipiendaire] | None = None
    parametresRetour: ParametresRetour | None = None


FactureRechercherATraiterFournisseur = dict[str, Any]  # the Swagger definition of the same name


class WsRetourRechercherFactureATraiterParFournisseur(WsRetour):
    parametresRetour: ParametresRetour | None = None
    listeFactures: list[FactureRechercherATraiterFournisseur] | None = None


FactureRechercheValideur = dict[str, Any]  # the Swagger definition of the same name


class WsRetourRechercherFactureParValideur(WsRetour):
    parametresRetour: ParametresRetour | None = None
    listeFactures: list[FactureRechercheValideur] | None = None


#: FactureCppEmise / FactureCpp (consulter/*).
FactureDetail = dict[str, Any]


class WsRetourFactures(WsRetour):
    facture: FactureDetail | None = None


class HistoriqueStatus(Schema):
    histoStatutId: int
    histoStatutCode: str
    histoStatutDatePassage: str | None = None
    histoStatutCommentaire: str | None = None
    histoStatutUtilisateurPrenom: str | None = None
    histoStatutUtilisateurNom: str | None = None
    histoStatutUtilisateurEmail: str | None = None
    histoStatutUtilisateurTelephone: str | None = None


class HistoriquesStatus(Schema):
    histoStatut: list[HistoriqueStatus]
    pageCouranteHistoStatut: int
    pagesHistoStatut: int
    nbResultatsParPageHistoStatut: int
    totalHistoStatut: int


class HistoriqueEvenement(Schema):
    evenementId: int
    evenementLibelle: str | None = None
    evenementQui: str | None = None
    evenementDateHeure: str | None = None


class HistoriquesEvenements(Schema):
    evenement: list[HistoriqueEvenement]
    pageCouranteEvenement: int
    pagesEvenement: int
    nbResultatsParPageEvenement: int
    totalEvenement: int


class HistoriqueActionUtilisateur(Schema):
    histoActionId: int
    histoActionCode: str
    histoActionDateHeure: str | None = None
    histoActionUtilisateurPrenom: str | None = None
    histoActionUtilisateurNom: str | None = None
    histoActionUtilisateurEmail: str | None = None
    histoActionUtilisateurTelephone: str | None = None


class HistoriquesActionsUtilisateurs(Schema):
    histoAction: list[HistoriqueActionUtilisateur]
    pageCouranteHistoAction: int
    pagesHistoAction: int
    nbResultatsParPageHistoAction: int
    totalHistoAction: int


class DerniereAction(Schema):
    derniereActionId: int
    derniereActionCode: str


class WsRetourConsulterHistoriqueFacture(WsRetour):
    idFacture: int | None = None
    numeroFacture: str | None = None
    modeDepot: str | None = None
    statutCourantCode: str | None = None
    historiquesDesStatuts: HistoriquesStatus | None = None
    historiquesDesEvenementsComplementaires: HistoriquesEvenements | None = None
    historiquesDesActionsUtilisateurs: HistoriquesActionsUtilisateurs | None = None
    derniereAction: DerniereAction | None = None


class WsRetourCompleterFacture(WsRetour):
    identifiantFactureCPP: int | None = None
    numeroFacture: str | None = None
    dateTraitement: str | None = None


class WsRetourRecyclerFacture(WsRetour):
    identifiantFactureCPP: int | None = None
    numeroFacture: str | None = None
    statutFacture: str | None = None
    dateDepot: str | None = None


class WsRetourTelechargerGroupeFacture(WsRetour):
    fichierResultat: str | None = None


class WsRetourTraiterFacture(WsRetour):
    idFacture: int | None = None
    numeroFacture: str | None = None
    dateTraitement: str | None = None
    nouveauStatut: str | None = None


class WsRetourTraiterFactureAValider(WsRetour):
    idFacture: int | None = None
    numeroFacture: str | None = None
    dateTraitement: str | None = None
    statutFacture: str | None = None


class WsRetourCorrigerValideurFacture(WsRetour):
    idFacture: int | None = None


class StatutVisible(Schema):
    codeStatutFacture: str


class WsRetourRecupererStatutsFactureVisiblesParValideur(WsRetour):
    listeStatutFacture: list[StatutVisible] | None = None


DemandePaiement = dict[str, Any]  # the Swagger definition of the same name


class WsRetourRechercherDemandePaiement(WsRetour):
    listeDemandePaiement: list[DemandePaiement] | None = None
    total: int | None = None
