"""Bodies of the Référentiel des organisations (`/cpro/organisations/v1/...`, reference §3.8).

No official Swagger is public for this family: field names and value sets are those of
[PHP-Z] (`WsRetour/ReferentielDesOrganisations/{Structure,Service}.php`, whose tests assert
the qualification platform's answers) and of [PY-FE]'s docstrings. Unlike the other
families, answers are plain JSON (a list, or one object), without `codeRetour`; errors are a
list of `{error, message, detail}` (api/errors.referential_response).
"""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field

OPERATORS = ("=", ">", "<", ">=", "<=", "IN", "CONTAINS")

_CRITERION = {
    "type": "object", "required": ["op", "val"],
    "properties": {"op": {"type": "string", "enum": list(OPERATORS)}, "val": {}},
    "description": "Un critère : {\"op\": opérateur, \"val\": valeur, ou liste pour IN}",
}


class RechercheIn(BaseModel):
    """`{<champ>: {"op", "val"}, ..., "_sort": [...], "_desc": [...], "_fields": [...]}`;
    `_page` (1 by default) is Choeur's: a search answers at most
    organisations.MAX_RESULTS rows at a time."""

    model_config = ConfigDict(extra="allow", populate_by_name=True,
                              json_schema_extra={"additionalProperties": _CRITERION})

    sort: list[str] | None = Field(default=None, alias="_sort")
    desc: list[str] | None = Field(default=None, alias="_desc")
    fields: list[str] | None = Field(default=None, alias="_fields")
    page: int | None = Field(default=None, alias="_page")


class StructureOrg(Schema):
    """A structure (`WsRetour/ReferentielDesOrganisations/Structure.php`), and
    `idStructureCPP`, the id of the other families, which Choeur adds."""

    uuid: str | None = None
    idStructureCPP: int | None = None
    libelleOrganisation: str | None = None
    raisonSociale: str | None = None
    nomStructure: str | None = None
    prenomStructure: str | None = None
    identifiant: str | None = None
    typeIdentifiant: str | None = None
    numeroTvaIntracommunautaire: str | None = None
    numeroRcsStructure: str | None = None
    typeOrganisation: str | None = None
    status: str | None = None
    adresse: str | None = None
    complementAdresse1: str | None = None
    complementAdresse2: str | None = None
    codePostal: str | None = None
    ville: str | None = None
    pays: str | None = None
    adresseElectronique: str | None = None
    telephone: str | None = None
    contactPrincipal: str | None = None
    organisationParent: str | None = None
    estCentreGestionAgricole: bool | None = None
    gestionNumeroEJOuCodeService: bool | None = None
    numeroEjDoitEtreRenseigne: bool | None = None
    codeServiceDoitEtreRenseigne: bool | None = None
    statutMiseEnPaiementNestPasRemonte: bool | None = None
    avecMOA: bool | None = None
    estMOAUniquement: bool | None = None
    recevoirCyclesViesEdi: bool | None = None
    emetteurFluxEdi: bool | None = None
    nonDiffusibleInsee: bool | None = None
    numeroPacage: int | None = None
    categorieFournisseurMemoireId: int | None = None
    categorieBeneficiaireId: int | None = None
    categorieJuridique: str | None = None
    categorieEntreprise: str | None = None
    structureOrigine: int | None = None
    derniereMaj: str | None = None


class SirenOrg(StructureOrg):
    """A structure found by `siren/recherche`: its SIREN beside it."""

    siren: str | None = None


class ServiceOrg(Schema):
    """A service (`WsRetour/ReferentielDesOrganisations/Service.php`), and `idService` /
    `idStructureCPP`, the ids of the other families, which Choeur adds."""

    uuid: str | None = None
    idService: int | None = None
    idStructureCPP: int | None = None
    libelle: str | None = None
    description: str | None = None
    codeService: str | None = None
    rattachementOrganisation: str | None = None
    dateCreation: str | None = None
    dateDebutActivation: str | None = None
    dateFinActivation: str | None = None
    dateModification: str | None = None
    dateSuppression: str | None = None
    etatService: str | None = None
    adresse: str | None = None
    complementAdresse1: str | None = None
    complementAdresse2: str | None = None
    codePostal: str | None = None
    ville: str | None = None
    pays: str | None = None
    telephone: str | None = None
    numeroEj: bool | None = None
    derniereMaj: str | None = None


class ErreurOrg(Schema):
    error: str = Field(description="NotFoundReference, ParamsInvalidField...")
    code: str = Field(description="le code d'erreur stable de Choeur")
    message: str
    detail: Any = None


class AuthErreurOrg(Schema):
    ErrorCode: str
    Description: str
