"""Factures de travaux — `/cpro/facturesTravaux/v1/rechercher` (reference §3.6).

Choeur has no works invoices yet: the search answers HTTP 200 with Chorus Pro's "no result"
code, `20007 GFT_MSG_01.075`, on which Pastell stops its loop (§7.5). The paging object is
still read, so a bad one gets the same coded error as anywhere else.
"""

from __future__ import annotations

from ninja import Router, Schema
from pydantic import AliasChoices, Field

from choeur.api.envelope import Id, Pagination, Text, WireIn, empty_page, no_result
from choeur.api.schemas import ErrorOut, ParametresRetour, WsRetour

router = Router(tags=["FacturesTravaux"])
ERRORS = frozenset({400, 401, 403, 404, 409, 413, 500})

NO_RESULT_CODE = 20007
NO_RESULT_LIBELLE = "GFT_MSG_01.075 - La recherche n'a retourné aucun résultat"


class RechercherFactureTravauxIn(WireIn):
    roleUtilisateur: Text = None
    idDestinataire: Id = None
    idServiceExecutant: Id = None
    rechercheFactureTravaux: Pagination | None = Field(
        default=None, validation_alias=AliasChoices("rechercheFactureTravaux",
                                                    "parametresRecherche", "pagination"))


class FactureTravaux(Schema):
    idFactureTravaux: int


class ListeFacturesTravaux(WsRetour):
    listeFacturesTravaux: list[FactureTravaux]
    parametresRetour: ParametresRetour


@router.post("/rechercher", operation_id="rechercherFactureTravaux",
             response={200: ListeFacturesTravaux, ERRORS: ErrorOut})
def rechercher(request, payload: RechercherFactureTravauxIn):
    # No works invoice to sort yet: `triColonne` is not checked against a list.
    return no_result(NO_RESULT_CODE, NO_RESULT_LIBELLE, listeFacturesTravaux=[],
                     parametresRetour=empty_page(payload.rechercheFactureTravaux))
