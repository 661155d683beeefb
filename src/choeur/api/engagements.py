"""Engagements juridiques — `/cpro/engagementsJuridiques/v1/rechercher` (reference §3.5).

The engagements the technical account's structure sees: those it created as a public buyer
(espace Engagements) and those addressed to it as a supplier (its orders, espace Factures
émises). OCA asks with `structureReceptriceEngagementJuridique` = the supplier's
idStructureCPP (as a string), the number and `etatCourantEngagementJuridique: "COMMANDE"`
to check a number before invoicing.
"""

from __future__ import annotations

import re
from typing import Annotated

from django.db.models import Q
from ninja import Router, Schema
from pydantic import AliasChoices, Field

from choeur.api.envelope import Pagination, Text, WireIn, choices, datetime_wire, ok, page
from choeur.api.schemas import ErrorOut, ParametresRetour, WsRetour
from choeur.api.structures import choice
from choeur.core.ids import parse_id
from choeur.invoicing.models import Engagement
from choeur.organisations import permissions
from choeur.organisations.models import Espace

router = Router(tags=["EngagementsJuridiques"])
ERRORS = frozenset({400, 401, 403, 404, 409, 413, 500})


class RechercherEngagementIn(WireIn):
    structureReceptriceEngagementJuridique: Text = None
    numeroEngagementJuridique: Text = None
    etatCourantEngagementJuridique: Annotated[Text, choices(Engagement.State.values)] = None
    typeEngagementJuridique: Annotated[Text, choices(Engagement.Kind.values)] = None
    parametresRecherche: Pagination.sorted_by("PaginationEngagements", [
        "DateCreation", "NumeroEngagementJuridique", "EtatCourant", "MontantTotalHt",
        "MontantTotalTtc"]) | None = Field(
        default=None, validation_alias=AliasChoices("parametresRecherche", "parametres",
                                                    "pagination"))


class EngagementJuridique(Schema):
    idEngagementJuridique: int
    numeroEngagementJuridique: str
    libelleEtatCourantEJ: str
    libelleTypeEngagementJuridique: str
    dateCreationEJ: str
    montantTotalHt: float
    montantTotalTtc: float
    devise: str
    objetEngagementJuridique: str | None = None
    structureEmettrice: str
    designationStructureEmettrice: str
    structureReceptrice: str | None = None
    designationStructureReceptrice: str | None = None
    statutStructureReceptrice: str | None = None
    codeServiceExecutant: str | None = None
    libelleServiceExecutant: str | None = None


class ListeEngagementsJuridiques(WsRetour):
    listeEngagementJuridique: list[EngagementJuridique]
    parametresRetour: ParametresRetour


def visible_engagements(actor):
    """Engagements of the actor's structures: as buyer (Engagements) or supplier (orders)."""
    scope = Q(pk__in=[])
    for structure in permissions.visible_structures(actor):
        if permissions.can_see(actor, structure, Espace.ENGAGEMENTS):
            services = permissions.services_of(actor, structure)
            scope |= (Q(structure=structure, service__in=services) if services
                      else Q(structure=structure))
        if permissions.can_see(actor, structure, Espace.FACTURES_EMISES):
            scope |= Q(supplier=structure)
    return Engagement.objects.filter(scope)


@router.post("/rechercher", operation_id="rechercherEngagementJuridique", exclude_none=True,
             response={200: ListeEngagementsJuridiques, ERRORS: ErrorOut})
def rechercher(request, payload: RechercherEngagementIn):
    found = visible_engagements(request.auth).select_related("structure", "supplier", "service")
    receiver = payload.structureReceptriceEngagementJuridique
    if receiver:
        receiver = re.sub(r"\s", "", receiver)
        receiver_id = parse_id(receiver)
        found = found.filter(Q(supplier__identifier=receiver)
                             | (Q(supplier_id=receiver_id) if receiver_id is not None
                                else Q(pk__in=[])))
    if payload.numeroEngagementJuridique:
        found = found.filter(number__iexact=payload.numeroEngagementJuridique)
    if payload.etatCourantEngagementJuridique:
        found = found.filter(state=choice("etatCourantEngagementJuridique",
                                          payload.etatCourantEngagementJuridique,
                                          Engagement.State.values))
    if payload.typeEngagementJuridique:
        found = found.filter(kind=choice("typeEngagementJuridique",
                                         payload.typeEngagementJuridique,
                                         Engagement.Kind.values))
    rows, paging = page(found, payload.parametresRecherche, default="DateCreation",
                        columns={"DateCreation": ["-created_at"],
                                 "NumeroEngagementJuridique": ["number"],
                                 "EtatCourant": ["state"], "MontantTotalHt": ["amount_ht"],
                                 "MontantTotalTtc": ["amount_ttc"]})
    return ok(listeEngagementJuridique=[{
        "idEngagementJuridique": engagement.pk,
        "numeroEngagementJuridique": engagement.number,
        "libelleEtatCourantEJ": engagement.state,
        "libelleTypeEngagementJuridique": engagement.kind,
        "dateCreationEJ": datetime_wire(engagement.created_at),
        "montantTotalHt": float(engagement.amount_ht),
        "montantTotalTtc": float(engagement.amount_ttc),
        "devise": engagement.currency,
        "objetEngagementJuridique": engagement.label or None,
        "structureEmettrice": engagement.structure.identifier,
        "designationStructureEmettrice": engagement.structure.company_name,
        "structureReceptrice": engagement.supplier.identifier if engagement.supplier else None,
        "designationStructureReceptrice": (engagement.supplier.company_name
                                           if engagement.supplier else None),
        "statutStructureReceptrice": (("ACTIVE" if engagement.supplier.is_active
                                       else "INACTIVE") if engagement.supplier else None),
        "codeServiceExecutant": engagement.service.code if engagement.service else None,
        "libelleServiceExecutant": engagement.service.name if engagement.service else None,
    } for engagement in rows], parametresRetour=paging)
