"""Utilisateurs — `/cpro/utilisateurs/v1/monCompte/recuperer/rattachements` (reference §3.4):
the structures (and services) the caller is attached to. A technical account is attached to
its own structure alone, for all its services."""

from __future__ import annotations

from ninja import Router, Schema
from pydantic import AliasChoices, Field

from choeur.api.envelope import Pagination, WireIn, minutes_wire, ok, page
from choeur.api.schemas import ErrorOut, ParametresRetour, WsRetour
from choeur.api.structures import designation
from choeur.organisations import permissions

router = Router(tags=["Utilisateurs"])
ERRORS = frozenset({400, 401, 403, 404, 409, 413, 500})


class RattachementsIn(WireIn):
    parametresRecherche: Pagination.sorted_by("PaginationRattachementsCompte", [
        "IdStructure", "IdentifiantStructure", "DesignationStructure", "RoleUtilisateur",
        "StatutRattachementStructure"]) | None = Field(
        default=None, validation_alias=AliasChoices("parametresRecherche", "parametres",
                                                    "pagination"))


class RattachementService(Schema):
    idRattachementService: int
    idService: int
    codeService: str
    libelleService: str
    dateDbtService: str | None = None
    dateFinService: str | None = None
    estActif: bool
    statutService: str
    statutRattachementService: str


class RattachementStructure(Schema):
    idRattachementStructure: int
    idStructure: int
    identifiantStructure: str
    typeIdentifiantStructure: str
    designationStructure: str
    roleUtilisateur: str
    statutRattachementStructure: str
    statutUtilisateur: str
    listeServicesRattache: list[RattachementService]


class ListeRattachements(WsRetour):
    listeStructureRattachement: list[RattachementStructure]
    parametresRetour: ParametresRetour


@router.post("/monCompte/recuperer/rattachements",
             operation_id="recupererRattachementsUtilisateur", exclude_none=True,
             response={200: ListeRattachements, ERRORS: ErrorOut})
def rattachements(request, payload: RattachementsIn):
    actor = request.auth
    rows = []
    for structure in permissions.visible_structures(actor):
        services = [{
            "idRattachementService": service.pk, "idService": service.pk,
            "codeService": service.code, "libelleService": service.name,
            "dateDbtService": minutes_wire(service.valid_from or service.created_at),
            "dateFinService": minutes_wire(service.valid_until),
            "estActif": service.is_active,
            "statutService": "ACTIF" if service.is_active else "INACTIF",
            "statutRattachementService": "VALIDEE",
        } for service in structure.services.all().order_by("code", "pk")]
        rows.append({
            # A technical account's rattachement is the account itself.
            "idRattachementStructure": actor.pk, "idStructure": structure.pk,
            "identifiantStructure": structure.identifier,
            "typeIdentifiantStructure": structure.identifier_type,
            "designationStructure": designation(structure),
            "roleUtilisateur": "UTILISATEUR", "statutRattachementStructure": "VALIDEE",
            "statutUtilisateur": "ACTIF", "listeServicesRattache": services,
            "pk": structure.pk,
        })
    rows, paging = page(rows, payload.parametresRecherche, default="IdStructure",
                        columns={"IdStructure": ["idStructure"],
                                 "IdentifiantStructure": ["identifiantStructure"],
                                 "DesignationStructure": ["designationStructure"],
                                 "RoleUtilisateur": ["roleUtilisateur"],
                                 "StatutRattachementStructure": ["statutRattachementStructure"]})
    for row in rows:
        row.pop("pk")
    return ok(listeStructureRattachement=rows, parametresRetour=paging)
