"""Request and response bodies of the wire API, field for field as the official Swagger files
(structures.json, factures.json) and, for the families without one, the clients (reference
Appendix C) name them — odd spellings included. Requests are lenient (envelope.WireIn);
responses are what the OpenAPI of Choeur's API publishes and what the tests check against
the official definitions."""

from __future__ import annotations

from typing import Annotated, Literal

from ninja import Schema
from pydantic import AliasChoices, Field

from choeur.api.envelope import Bool, Id, Pagination, Text, WireIn, choices
from choeur.organisations.models import IdentifierType

TypeIdentifiant = Literal["SIRET", "UE_HORS_FRANCE", "HORS_UE", "RIDET", "TAHITI", "AUTRE",
                          "PARTICULIER"]


class WsRetour(Schema):
    codeRetour: int = Field(description="0 quand tout va bien")
    libelle: str = Field(description="TRA_MSG_00.000, ou le code et le message de l'erreur")


class ParametresRetour(Schema):
    pageCourante: int
    pages: int
    nbResultatsParPage: int
    total: int


class ErrorOut(WsRetour):
    error: str | None = None
    error_description: str | None = None


# --- OAuth2 -------------------------------------------------------------------------------------


class TokenOut(Schema):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str


class OAuthErrorOut(Schema):
    error: str
    error_description: str


# --- Structures (swagger/structures.json) -------------------------------------------------------


class RechercherStructureInput(WireIn):
    identifiantStructure: Text = None
    typeIdentifiantStructure: Annotated[Text, choices(IdentifierType.values)] = None
    typeStructure: Annotated[Text, choices(["PRIVEE", "PUBLIQUE"])] = None
    statutStructure: Annotated[Text, choices(["ACTIF", "INACTIF"])] = None
    libelleStructure: Text = None
    raisonSocialeStructure: Text = None
    nomStructure: Text = None
    prenomStructure: Text = None
    adresseCodePays: Text = None
    adresseCodePostal: Text = None
    adresseVille: Text = None
    estMOA: Bool = None
    estMOAUniquement: Bool = None


class RechercherStructureParam(WireIn):
    structure: RechercherStructureInput | None = None
    parametres: Pagination.sorted_by("PaginationStructures", [
        "IdentifiantStructure", "DesignationStructure", "TypeIdentifiantStructure",
        "Statut"]) | None = None
    restreindreStructuresPrivees: Bool = None


class StructureAAfficher(Schema):
    idStructureCPP: int
    identifiantStructure: str
    typeIdentifiantStructure: TypeIdentifiant
    designationStructure: str
    statut: Literal["ACTIVE", "INACTIVE"]


class WsRetourRechercherStructure(WsRetour):
    listeStructures: list[StructureAAfficher] | None = None
    parametresRetour: ParametresRetour | None = None


class ConsulterStructureParam(WireIn):
    wire_required = ("idStructureCPP",)
    # The Go client sends `idStructure` (§5, §7.4).
    idStructureCPP: Id = Field(default=None,
                               validation_alias=AliasChoices("idStructureCPP", "idStructure"))
    codeLangue: Text = None


class StructureDupliquee(Schema):
    structureDupliquee: int


class InformationsGenerales(Schema):
    idStructureCPP: int
    identifiantStructure: str
    typeIdentifiantStructure: TypeIdentifiant
    libelleStructure: str | None = None
    raisonSocialeStructure: str | None = None
    nomStructure: str | None = None
    prenomStructure: str | None = None
    emailStructure: str | None = None
    numeroRcsStructure: str | None = None
    numeroTVA: str | None = None
    structurePriveePublique: Literal["PRIVEE", "PUBLIQUE"]
    estValideurDeleguee: bool | None = None
    idStructureOrigine: int | None = None
    listeStructureDupliquees: list[StructureDupliquee] | None = None
    dateExpirationMotPasseCompteTech: str | None = None


class AdressePostale(Schema):
    adresse: str | None = None
    complementAdresse1: str | None = None
    complementAdresse2: str | None = None
    codePostal: str | None = None
    ville: str | None = None
    pays: str | None = None
    telephone: str | None = None
    indicatifTelephone: str | None = None
    fax: str | None = None
    indicatifFax: str | None = None


class ParamModifierStructure(Schema):
    codeServiceDoitEtreRenseigne: bool
    numeroEJDoitEtreRenseigne: bool
    gestionNumeroEJOuCodeService: bool
    connexionEDI: bool
    recevoirDonneesViaEDI: bool
    estMoaUniquement: bool
    estValideurDelegue: bool
    getaMoa: bool
    nonDiffusibleInsee: bool
    statutMiseEnPaiementNestPasRemonte: bool


class WsRetourConsulterStructure(WsRetour):
    # `informationGenerales`, without the s, as the Swagger spells it.
    informationGenerales: InformationsGenerales | None = None
    adressePostaleDuSiege: AdressePostale | None = None
    parametres: ParamModifierStructure | None = None


class RechercherServicesStructureParam(WireIn):
    wire_required = ("idStructure",)
    idStructure: Id = Field(default=None,
                            validation_alias=AliasChoices("idStructure", "idStructureCPP"))
    parametresRechercherServicesStructure: Pagination.sorted_by("PaginationServices", [
        "CodeService", "LibelleService", "DateDbtService", "DateFinService",
        "EstActif"]) | None = Field(
        default=None, validation_alias=AliasChoices("parametresRechercherServicesStructure",
                                                    "parametres", "parametresRecherche"))


class ServiceExpose(Schema):
    idService: int
    codeService: str
    libelleService: str
    statutService: str
    estActif: bool
    dateDbtService: str | None = None
    dateFinService: str | None = None


class WsRetourRechercherServicesStructure(WsRetour):
    listeServices: list[ServiceExpose] | None = None
    parametresRetour: ParametresRetour | None = None


class ConsulterServiceStructureParam(WireIn):
    wire_required = ("idStructure", "idService")
    idStructure: Id = Field(default=None,
                            validation_alias=AliasChoices("idStructure", "idStructureCPP"))
    idService: Id = None
    codeLangue: Text = None


class ServiceInfoGenerale(Schema):
    codeService: str
    nomService: str
    descriptionService: str | None = None


class ParamParametre(Schema):
    dateCreation: str | None = None
    dateDebutValidite: str | None = None
    dateFinValidite: str | None = None
    dateModification: str | None = None
    miseEnPaiement: bool
    numeroEngagement: bool


class WsRetourConsulterServiceStructure(WsRetour):
    informationsGenerales: ServiceInfoGenerale | None = None  # with the s, here
    adressePostale: AdressePostale | None = None
    parametres: ParamParametre | None = None


class ListerRattachementsParam(WireIn):
    wire_required = (("idStructure", "identifiantStructure"),
                     ("idUtilisateur", "adresseEmailConnexionUtilisateur"))
    idStructure: Id = None
    identifiantStructure: Text = None
    typeIdentifiantStructure: Annotated[Text, choices(IdentifierType.values)] = None
    idUtilisateur: Id = None
    adresseEmailConnexionUtilisateur: Text = None
    parametresListerRattachementsStructureUtilisateur: Pagination.sorted_by(
        "PaginationRattachements", ["CodeService", "NomService", "StatutRattachement"]
    ) | None = None


class ServiceRattache(Schema):
    idRattachement: int
    idService: int
    codeService: str
    nomService: str
    statutRattachement: Literal["EN_COURS_DE_VALIDATION", "REFUSEE", "VALIDEE", "DESACTIVEE",
                                "SUPPRIMEE"]
    dateDebut: str | None = None
    dateFin: str | None = None
    commentaire: str | None = None


class WsRetourListerRattachements(WsRetour):
    idStructure: int | None = None
    identifiantStructure: str | None = None
    designationStructure: str | None = None
    premierService: bool | None = None
    listeServices: list[ServiceRattache] | None = None
    parametresRetour: ParametresRetour | None = None


class StructureEspaces(WireIn):
    wire_required = (("idStructure", "identifiantStructure"),)
    idStructure: Id = None
    identifiantStructure: Text = None
    typeIdentifiantStructure: Annotated[Text, choices(IdentifierType.values)] = None


class RechercherEspacesParam(WireIn):
    wire_required = ("structure",)
    structure: StructureEspaces | None = None
    idService: Id = None
    parametresRechercherEspaces: Pagination.sorted_by("PaginationEspaces", [
        "CodeEspace", "LibelleEspace", "idEspaceFo", "etatCourant", "TypeHabilitation",
        "CodeService", "LibelleService", "IdService"]) | None = None


class EspaceFo(Schema):
    idEspaceFo: int
    codeEspace: int
    libelleEspace: str
    idService: int | None = None
    codeService: str | None = None
    libelleService: str | None = None
    etatCourant: Literal["ACTIVE", "SUPPRIME"]
    typeHabilitation: Literal["CONSULTATION_UNIQUEMENT", "MODIFICATION"]


class WsRetourRechercherEspaces(WsRetour):
    listeEspace: list[EspaceFo] | None = None
    parametresRetour: ParametresRetour | None = None
