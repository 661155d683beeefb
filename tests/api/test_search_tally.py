"""The invoice tally (invoicing/tally.py): kept by the database whatever writes the invoices,
equal to a count at every step, and what the wire searches read for their `total` when they
have only criteria it keeps — any other criterion counts."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections, transaction

from choeur.invoicing import queries, tally
from choeur.invoicing.models import Invoice, InvoiceTally, InvoiceTallyDelta
from choeur.invoicing.statuses import RECIPIENT_TO_PROCESS, Status
from choeur.organisations import permissions
from choeur.organisations import services as org
from choeur.organisations.models import Espace, Habilitation, HabilitationMode, Rattachement
from tests.api.test_factures_scenario import deposit_invoice
from tests.organisations.conftest import make_user

pytestmark = pytest.mark.django_db

SEARCH = "factures/v1/rechercher/recipiendaire"


def expected() -> dict:
    """The tally, counted from the invoices."""
    rows = Counter()
    for i in Invoice.objects.values("supplier_id", "supplier_service_id", "recipient_id",
                                    "recipient_service_id", "status",
                                    "downloaded_by_recipient"):
        rows["S", i["supplier_id"], i["supplier_service_id"] or 0, i["status"], False] += 1
        rows["R", i["recipient_id"], i["recipient_service_id"] or 0, i["status"],
             i["downloaded_by_recipient"]] += 1
    return {key: n for key, n in rows.items() if n}


def kept() -> dict:
    """The tally as its tables hold it, deltas not yet folded included."""
    rows = Counter()
    for model in (InvoiceTally, InvoiceTallyDelta):
        for t in model.objects.all():
            rows[t.side, t.structure_id, t.service_id, t.status, t.downloaded] += t.n
    return {key: n for key, n in rows.items() if n}


def three(wire, buyer) -> list[int]:
    return [deposit_invoice(wire, buyer, f"F-{n}") for n in range(1, 4)]


def test_every_way_of_writing_invoices_keeps_the_tally_equal_to_a_count(wire, buyer):
    ids = three(wire, buyer)  # deposit, integration, routing
    assert kept() == expected() and expected()
    Invoice.objects.filter(pk=ids[0]).update(status=Status.SUSPENDUE)  # a bulk update
    invoice = Invoice.objects.get(pk=ids[1])
    invoice.downloaded_by_recipient = True
    invoice.save()  # a save of every column
    invoice.number = "F-2bis"
    invoice.save(update_fields=["number"])  # a change outside the key: nothing moves
    Invoice.objects.filter(pk=ids[2]).update(recipient_service=None)
    assert kept() == expected()
    copy = Invoice.objects.get(pk=ids[2])
    copy.pk, copy.number = None, "F-4"
    copy.save()  # one more, by the ORM
    Invoice.objects.filter(pk=ids[0]).delete()
    assert kept() == expected()
    folded = tally.fold()
    assert kept() == expected()
    if connection.vendor == "postgresql":
        assert folded > 0 and not InvoiceTallyDelta.objects.exists()
        assert tally.fold() == 0
    # Counted again from nothing, the same.
    InvoiceTally.objects.update(n=0)
    tally.rebuild()
    assert kept() == expected()


def test_count_reads_scope_statuses_service_and_flag(wire, buyer):
    ids = three(wire, buyer)
    achats = buyer.structure.services.get(code="SERV-ACHATS")
    Invoice.objects.filter(pk__in=ids).update(recipient_service=None)
    Invoice.objects.filter(pk=ids[0]).update(recipient_service=achats, status=Status.COMPLETEE)
    Invoice.objects.filter(pk=ids[1]).update(downloaded_by_recipient=True)
    recipient = buyer.structure.pk
    assert tally.count("R", [(recipient, None)]) == 3
    assert tally.count("R", [(recipient, [achats])]) == 1
    assert tally.count("R", [(recipient, None)], service=achats.pk) == 1
    assert tally.count("R", [(recipient, None)], statuses=RECIPIENT_TO_PROCESS) == 3
    assert tally.count("R", [(recipient, None)], statuses=[Status.COMPLETEE]) == 1
    assert tally.count("R", [(recipient, None)], downloaded=True) == 1
    assert tally.count("R", [(recipient, None)], downloaded=False) == 2
    assert tally.count("S", [(recipient, None)]) == 0
    assert tally.count("S", [(wire.party.structure.pk, None)]) == 3
    assert tally.count("R", []) == 0
    # Service 0 is the tally's « no service »: as a criterion, it is no service at all.
    assert tally.count("R", [(recipient, None)], service=0) == 0


def test_a_user_limited_to_a_service_is_counted_as_the_lists_show(wire, buyer):
    ids = three(wire, buyer)
    achats = buyer.structure.services.get(code="SERV-ACHATS")
    Invoice.objects.filter(pk__in=ids).update(recipient_service=None)
    Invoice.objects.filter(pk=ids[0]).update(recipient_service=achats)
    agent = make_user("agent@ministere.example.fr")
    with transaction.atomic():
        rattachement = org._attach(None, buyer.structure, agent, Rattachement.Role.UTILISATEUR,
                                   services=[achats])
        Habilitation.objects.create(rattachement=rattachement, espace=Espace.FACTURES_RECUES,
                                    mode=HabilitationMode.CONSULTATION)
    permissions.forget(agent)
    assert queries.received_invoices(agent).count() == 1
    assert queries.received_total(agent) == 1
    assert queries.received_total(agent, statuses=[Status.MISE_A_DISPOSITION]) == 1
    assert queries.received_total(agent, statuses=[Status.REJETEE]) == 0
    assert queries.issued_total(agent) == 0


def _total(wire, body: dict) -> int:
    response = wire.post(SEARCH, {"paramRecherche": {"nbResultatsParPage": 1}, **body})
    assert response.status_code == 200, response.content
    return response.json()["total"]


def test_a_search_reads_the_tally_only_with_criteria_it_keeps(wire, buyer_wire, buyer):
    three(wire, buyer)
    assert _total(buyer_wire, {}) == 3
    tally.fold()  # PostgreSQL: the deltas into the tally, to be made wrong there
    # A tally made wrong on purpose shows which searches read it.
    InvoiceTally.objects.filter(side="R", structure_id=buyer.structure.pk, n__gt=0).update(n=1000)
    assert _total(buyer_wire, {}) == 1000
    assert _total(buyer_wire, {"statutCourant": ["MISE_A_DISPOSITION"],
                               "factureTelechargeeParDestinataire": False,
                               "typeDemandePaiement": "FACTURE"}) == 1000
    assert _total(buyer_wire, {"statutCourant": ["REJETEE"]}) == 0  # an empty first page
    # Any other criterion, even one that keeps every invoice, counts them.
    assert _total(buyer_wire, {"montantTTCMin": 0}) == 3
    assert _total(buyer_wire, {"numeroFacture": "F-"}) == 3
    assert _total(buyer_wire, {"listeTypeFacture": ["FACTURE"]}) == 3
    response = buyer_wire.post("factures/v1/rechercher/atraiter/recipiendaire", {
        "parametreRechercheFactureATraiterParRecipiendaire": {"nbResultatsParPage": 1}})
    assert response.json()["parametresRetour"]["total"] == 1000


def test_the_supplier_search_reads_its_side(wire, buyer):
    three(wire, buyer)
    body = {"rechercheFactureParFournisseur": {"nbResultatsParPage": 2}}
    response = wire.post("factures/v1/rechercher/fournisseur", body)
    assert response.json()["parametresRetour"]["total"] == 3
    assert response.json()["parametresRetour"]["pages"] == 2
    tally.fold()
    InvoiceTally.objects.filter(side="S", n__gt=0).update(n=7)
    response = wire.post("factures/v1/rechercher/fournisseur", body)
    assert response.json()["parametresRetour"]["total"] == 7
    response = wire.post("factures/v1/rechercher/fournisseur",
                         {**body, "modeDepot": "DEPOT_PDF_API"})
    assert response.json()["parametresRetour"]["total"] == 3


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_sqlite_triggers_dropped_by_a_table_rebuild_come_back_after_migrate(wire, buyer):
    three(wire, buyer)
    with connection.cursor() as cursor:
        for name in tally.SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    Invoice.objects.update(status=Status.REJETEE)  # uncounted
    assert kept() != expected()
    tally.ensure_after_migrate(sender=None)
    assert kept() == expected()
    Invoice.objects.update(status=Status.MISE_EN_PAIEMENT)  # counted again
    assert kept() == expected()


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_sqlite_tables_emptied_in_any_order_leave_no_negative_count(wire, buyer):
    """Django's flush empties SQLite's tables one by one, in any order: invoices deleted after
    the tally leave it empty, not negative."""
    ids = three(wire, buyer)
    InvoiceTally.objects.all().delete()
    Invoice.objects.filter(pk__in=ids).delete()
    assert not InvoiceTally.objects.exists()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_postgresql_never_wait_on_the_tally(wire, buyer):
    """Two transactions changing the same structure's invoices, each held open: neither waits
    for the other (a counter row locked until commit would make the second wait)."""
    ids = three(wire, buyer)
    started, done = threading.Barrier(2, timeout=10), []

    def change(pk, status):
        try:
            with transaction.atomic():
                Invoice.objects.filter(pk=pk).update(status=status)
                started.wait()  # both have changed their invoice before either commits
            done.append(pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=change, args=(ids[0], Status.REJETEE)),
               threading.Thread(target=change, args=(ids[1], Status.SUSPENDUE))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(done) == sorted(ids[:2])
    assert kept() == expected()
    tally.fold()
    assert kept() == expected() and not InvoiceTallyDelta.objects.exists()
