"""The login pop-up of rejections and suspensions: shown once after login, compulsory after
7 days, only to who may act, never in the way of the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from choeur.core import clock
from choeur.core.worker import run_ready
from choeur.invoicing import services
from choeur.invoicing.models import Invoice, ModeDepot
from choeur.invoicing.statuses import Status
from choeur.organisations import services as org
from choeur.organisations.models import Espace
from tests.organisations.conftest import make_user

from .conftest import invoice_data, pdf_bytes, run

pytestmark = pytest.mark.django_db

ACK = reverse("invoicing:acknowledgements")


@pytest.fixture
def suspended(supplier_user, supplier, bank_account, recipient, recipient_user):
    invoice = run(services.deposit, supplier_user, supplier,
                  invoice_data(bank_account_id=bank_account.pk),
                  mode_depot=ModeDepot.DEPOT_PDF_PORTAIL, document=("f.pdf", pdf_bytes()))
    run_ready()
    invoice.refresh_from_db()
    run(services.process, recipient_user, invoice, Status.SUSPENDUE, "Bon de livraison ?")
    return Invoice.objects.get(pk=invoice.pk)


def test_shown_once_after_login_and_may_wait(client, supplier_user, suspended):
    client.force_login(supplier_user)
    first = client.get(reverse("structures"))
    assert first.status_code == 302 and first["Location"].startswith(ACK)
    page = client.get(first["Location"])
    body = page.content.decode()
    assert "Bon de livraison ?" in body and suspended.number in body and "Plus tard" in body
    later = client.post(ACK, {"next": "/structures/"})
    assert later.status_code == 302 and later["Location"] == "/structures/"
    assert client.get(reverse("structures")).status_code == 200  # not again in this session
    suspended.refresh_from_db()
    assert not suspended.acknowledged


def test_compulsory_after_seven_days(client, supplier_user, suspended):
    client.force_login(supplier_user)
    with clock.shifted(timedelta(days=8)):
        blocked = client.get(reverse("structures"))
        assert blocked.status_code == 302 and blocked["Location"].startswith(ACK)
        page = client.get(blocked["Location"]).content.decode()
        assert "Plus tard" not in page and "plus de 7 jours" in page
        refused = client.post(ACK, {"next": "/structures/"})  # "later" is not an option
        assert refused.status_code == 302 and refused["Location"].startswith(ACK)
        assert client.get(reverse("home")).status_code == 302
        # The invoice's own page stays readable, to read the reason before acting.
        detail = reverse("invoicing:issued_detail", args=[suspended.pk])
        assert client.get(detail).status_code == 200
        done = client.post(reverse("invoicing:issued_acknowledge", args=[suspended.pk]),
                           {"retour": "acquittements", "next": "/structures/"})
        assert done.status_code == 302 and done["Location"].startswith(ACK)
        assert client.get(done["Location"])["Location"] == "/structures/"
        assert client.get(reverse("structures")).status_code == 200
    suspended.refresh_from_db()
    assert suspended.acknowledged


def test_becomes_compulsory_during_a_long_session(client, supplier_user, suspended):
    client.force_login(supplier_user)
    client.post(ACK, {"next": "/"})  # "later", at login
    assert client.get(reverse("structures")).status_code == 200
    with clock.shifted(timedelta(days=8)):
        response = client.get(reverse("structures"))
        assert response.status_code == 302 and response["Location"].startswith(ACK)


def test_not_shown_to_who_cannot_act_nor_to_recipients(client, supplier_user, supplier,
                                                      recipient_user, suspended):
    reader = make_user("lecture@lumiere.fr")
    run(org.attach_user, supplier_user, supplier, reader.email)
    run(org.set_habilitation, supplier_user, supplier, reader.rattachements.get().pk,
        Espace.FACTURES_EMISES, "CONSULTATION")
    with clock.shifted(timedelta(days=8)):
        for user in (reader, recipient_user):
            client.force_login(user)
            assert client.get(reverse("structures")).status_code == 200


def test_an_external_next_is_not_followed(client, supplier_user, suspended):
    client.force_login(supplier_user)
    later = client.post(ACK, {"next": "https://evil.example/"})
    assert later["Location"] == "/"


def test_a_blocked_user_cannot_act_by_post_either(client, supplier_user, supplier,
                                                  bank_account, suspended):
    client.force_login(supplier_user)
    with clock.shifted(timedelta(days=8)):
        url = reverse("invoicing:deposit_pdf", args=[supplier.pk])
        refused = client.post(url, {"action": "send"})
        assert refused.status_code == 303 and refused["Location"] == ACK
        assert Invoice.objects.count() == 1
        # The acknowledgement itself goes through; then everything opens again.
        done = client.post(reverse("invoicing:issued_acknowledge", args=[suspended.pk]))
        assert done.status_code == 302
        assert client.get(reverse("structures")).status_code == 200


def test_acknowledge_all_at_once(client, supplier_user, supplier, bank_account, recipient,
                                 recipient_user, suspended):
    second = run(services.deposit, supplier_user, supplier, invoice_data(
        number="FA-2", bank_account_id=bank_account.pk),
        mode_depot=ModeDepot.DEPOT_PDF_PORTAIL, document=("f.pdf", pdf_bytes()))
    run_ready()
    run(services.process, recipient_user, Invoice.objects.get(pk=second.pk), Status.REJETEE,
        "Doublon")
    client.force_login(supplier_user)
    with clock.shifted(timedelta(days=8)):
        done = client.post(ACK, {"action": "tout", "next": "/structures/"})
        assert done.status_code == 302 and done["Location"] == "/structures/"
        assert client.get(reverse("structures")).status_code == 200
    assert Invoice.objects.filter(acknowledged=True).count() == 2
    assert Invoice.objects.get(pk=second.pk).rejet_traite


def test_later_keeps_the_whole_next_address(client, supplier_user, suspended):
    client.force_login(supplier_user)
    with clock.shifted(timedelta(days=8)):
        target = "/factures/emises/?onglet=a-traiter&statut=SUSPENDUE"
        refused = client.post(ACK, {"next": target})
        assert refused.status_code == 302
        page = client.get(refused["Location"]).content.decode()
        assert "statut=SUSPENDUE" in page
