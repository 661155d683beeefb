"""The invoice searches read a page in a fixed number of queries, whatever its size: the
rows' structures, services and accounts come in one query per table (factures.with_related),
their flux numbers with the page, never one query per row, and no column a row shows is left
deferred (a deferred column costs a query per object)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from choeur.api.factures import size_of
from choeur.invoicing.models import Attachment, Invoice
from tests.api.test_factures_scenario import deposit_invoice

pytestmark = pytest.mark.django_db

SEARCHES = [
    ("supplier", "factures/v1/rechercher/fournisseur", "rechercheFactureParFournisseur", {}),
    ("supplier", "factures/v1/rechercher/fournisseur", "rechercheFactureParFournisseur",
     {"recupererTaille": True}),
    ("supplier", "factures/v1/rechercher/atraiter/fournisseur",
     "rechercheFactureATraiterParFournisseur", {}),
    ("recipient", "factures/v1/rechercher/recipiendaire", "paramRecherche", {}),
    ("recipient", "factures/v1/rechercher/recipiendaire", "paramRecherche",
     {"recupererTaille": True}),
    ("recipient", "factures/v1/rechercher/atraiter/recipiendaire",
     "parametreRechercheFactureATraiterParRecipiendaire", {}),
]


def queries(wire, path: str, body: dict, monkeypatch) -> tuple[int, dict]:
    wire.post(path, body)  # the caller's last use is written at most once a minute

    def deferred_load(instance, *args, **kwargs):
        raise AssertionError(f"a deferred column of {instance!r} was read: {kwargs}")

    with monkeypatch.context() as patch, CaptureQueriesContext(connection) as captured:
        patch.setattr(Model, "refresh_from_db", deferred_load)
        response = wire.post(path, body)
    assert response.status_code == 200, response.content
    return len(captured), response.json()


@pytest.mark.parametrize("side, path, paging, extra", SEARCHES)
def test_a_search_page_costs_the_same_queries_for_one_row_or_three(
        wire, buyer_wire, buyer, side, path, paging, extra, monkeypatch):
    invoices = [deposit_invoice(wire, buyer, number) for number in ("F-1", "F-2", "F-3")]
    for invoice_id, size in ((invoices[0], 1000), (invoices[0], 234), (invoices[2], 5)):
        Attachment.objects.create(invoice_id=invoice_id, sha256="0" * 64, name="annexe.pdf",
                                  size=size)
    caller = wire if side == "supplier" else buyer_wire
    counts = []
    for size in (1, 3):
        count, body = queries(caller, path, {**extra, paging: {"nbResultatsParPage": size}},
                              monkeypatch)
        counts.append(count)
        rows = body.get("listeFactures") or []
        if path != "factures/v1/rechercher/atraiter/fournisseur":  # nothing to process there
            assert len(rows) == size
        assert all(row["designationDestinataire"] and row["codeServiceExecutant"]
                   for row in rows)
        if extra.get("recupererTaille"):
            assert all(row["taille"] == size_of(Invoice.objects.get(pk=row.get(
                "identifiantFactureCPP") or row["idFacture"])) > 0 for row in rows)
    assert counts[0] == counts[1], counts


def test_demande_paiement_reads_its_rows_in_fixed_queries(wire, buyer, monkeypatch):
    deposit_invoice(wire, buyer, "F-1")
    one, body = queries(wire, "factures/v1/rechercher/demandePaiement", {}, monkeypatch)
    assert body["total"] == 1
    for number in ("F-2", "F-3"):
        deposit_invoice(wire, buyer, number)
    three, body = queries(wire, "factures/v1/rechercher/demandePaiement", {}, monkeypatch)
    assert body["total"] == 3
    assert all(row["identifiantStructureDestinataire"] for row in body["listeDemandePaiement"])
    assert one == three
