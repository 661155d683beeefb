"""A structure leaving the platform (made inactive) keeps its users' reading of its invoices
and archives, and nothing else: no deposit, no processing, no new user."""

from __future__ import annotations

import pytest

from choeur.invoicing import queries, services
from choeur.invoicing.models import Invoice, StatusChange
from choeur.invoicing.statuses import Status
from choeur.organisations import services as org
from choeur.organisations.errors import StructureInactive
from choeur.organisations.models import Rattachement
from tests.archives.conftest import invoice_data, process, run
from tests.organisations.conftest import make_user

pytestmark = pytest.mark.django_db


def leave(structure, user):
    run(org.set_structure_active, user, structure, False)
    structure.refresh_from_db()


def test_a_recipient_that_left_reads_but_processes_nothing(client, invoices, recipient,
                                                           recipient_user):
    _paid, pending = invoices
    leave(recipient, recipient_user)
    assert queries.received_invoice(recipient_user, pending.pk) == pending
    client.force_login(recipient_user)
    assert client.get("/factures/recues/").status_code == 200
    page = client.get(f"/factures/recues/{pending.pk}/")
    assert page.status_code == 200 and pending.number in page.content.decode()
    assert client.post(f"/factures/recues/{pending.pk}/facture/").status_code == 200
    history = StatusChange.objects.count()
    with pytest.raises(StructureInactive):
        process(recipient_user, pending, Status.SERVICE_FAIT)
    response = client.post(f"/factures/recues/{pending.pk}/traiter/",
                           {"process-target": Status.SERVICE_FAIT})
    assert response.status_code == 400
    assert "ORG_STRUCTURE_INACTIVE" in response.content.decode()
    assert Invoice.objects.get(pk=pending.pk).status == Status.MISE_A_DISPOSITION
    assert StatusChange.objects.count() == history


def test_a_supplier_that_left_reads_but_deposits_nothing(client, invoices, supplier,
                                                         supplier_user, bank_account):
    paid, _pending = invoices
    leave(supplier, supplier_user)
    assert queries.issued_invoice(supplier_user, paid.pk) == paid
    client.force_login(supplier_user)
    page = client.get(f"/factures/emises/{paid.pk}/")
    assert page.status_code == 200 and paid.number in page.content.decode()
    count = Invoice.objects.count()
    with pytest.raises(StructureInactive):
        run(services.deposit, supplier_user, supplier,
            invoice_data(bank_account_id=bank_account.pk, number="FA-2026-0099"),
            mode_depot="SAISIE_PORTAIL")
    assert Invoice.objects.count() == count


def test_no_new_user_for_a_structure_that_left(invoices, supplier, supplier_user):
    newcomer = make_user("nouveau@lumiere.fr")
    pending = run(org.request_rattachement, newcomer, supplier)
    leave(supplier, supplier_user)
    with pytest.raises(StructureInactive):
        run(org.validate_rattachements, supplier_user, supplier, [pending.pk])
    with pytest.raises(StructureInactive):
        run(org.attach_user, supplier_user, supplier, "autre@lumiere.fr")
    with pytest.raises(StructureInactive):
        run(org.request_rattachement, make_user("encore@lumiere.fr"), supplier)
    pending.refresh_from_db()
    assert pending.status == Rattachement.Status.EN_COURS_DE_VALIDATION
