"""Events: an invoice's status change through the invoicing services and a flux's integration
leave deliveries to the structures concerned, in the transaction of the change."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from choeur.core.worker import run_ready
from choeur.flux import services as flux_services
from choeur.flux.models import Canal, EtatFlux
from choeur.invoicing import services as invoicing
from choeur.invoicing.models import Invoice, ModeDepot
from choeur.invoicing.statuses import Status
from choeur.webhooks import services
from choeur.webhooks.models import Delivery, EventType
from tests.invoicing.conftest import invoice_data, pdf_bytes

from .conftest import delivery_tasks, run


def deposit(user, supplier, bank_account, **overrides) -> Invoice:
    data = invoice_data(**{"bank_account_id": bank_account.pk, **overrides})
    return invoicing.deposit(user, supplier, data, mode_depot=ModeDepot.DEPOT_PDF_PORTAIL,
                             document=("facture.pdf", pdf_bytes()))


@pytest.fixture
def hooks(supplier_user, supplier, recipient_user, recipient, receiver):
    mine, secret = run(services.create_subscription, supplier_user, supplier, receiver.url)
    theirs, _ = run(services.create_subscription, recipient_user, recipient, receiver.url)
    return mine, theirs, secret


@pytest.mark.django_db
def test_status_changes_reach_supplier_and_recipient(supplier_user, supplier, bank_account,
                                                     recipient, hooks, receiver):
    mine, theirs, secret = hooks
    invoice = run(deposit, supplier_user, supplier, bank_account)
    [deposited] = Delivery.objects.all()
    assert deposited.subscription == mine  # the recipient does not see a DEPOSEE invoice
    run_ready()  # routing, then the deliveries
    invoice.refresh_from_db()
    assert invoice.status == Status.MISE_A_DISPOSITION
    seen = sorted((d.subscription_id, json_of(d)["donnees"]["statut"])
                  for d in Delivery.objects.all())
    assert seen == sorted([(mine.pk, "DEPOSEE"), (mine.pk, "EN_COURS_ACHEMINEMENT"),
                           (mine.pk, "MISE_A_DISPOSITION"), (theirs.pk, "MISE_A_DISPOSITION")])
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.DELIVERED}
    arrived = [r.json for r in receiver.requests
               if r.json["donnees"]["statut"] == "MISE_A_DISPOSITION"]
    assert len(arrived) == 2 and arrived[0]["id"] == arrived[1]["id"]  # one event, two hooks
    payload = next(p for p in arrived if p["idStructure"] == supplier.pk)
    assert payload["type"] == "facture.statut" and payload["roles"] == ["FOURNISSEUR"]
    data = payload["donnees"]
    assert data["idFacture"] == invoice.pk and data["numeroFacture"] == "FA-2026-0117"
    assert data["statutPrecedent"] == "EN_COURS_ACHEMINEMENT"
    assert data["dateHeureEtatCourant"].endswith(("+01:00", "+02:00"))
    assert data["codeDestinataire"] == recipient.identifier and data["montantTTC"] == 342.05
    recipient_payload = next(p for p in arrived if p["idStructure"] == recipient.pk)
    assert recipient_payload["roles"] == ["DESTINATAIRE"]


def json_of(delivery):
    import json

    return json.loads(delivery.payload)


@pytest.mark.django_db
def test_the_same_status_change_twice_gives_one_delivery(supplier_user, supplier,
                                                         bank_account, hooks):
    invoice = run(deposit, supplier_user, supplier, bank_account)
    with transaction.atomic():
        assert services.invoice_status_changed(invoice, Status.BROUILLON) == []
    assert Delivery.objects.count() == 1 and delivery_tasks().count() == 1


@pytest.mark.django_db
def test_a_rollback_leaves_no_delivery(supplier_user, supplier, bank_account, hooks):
    with pytest.raises(RuntimeError), transaction.atomic():
        deposit(supplier_user, supplier, bank_account)
        assert Delivery.objects.count() == 1
        raise RuntimeError("the request fails after the status change")
    assert not Invoice.objects.exists()
    assert Delivery.objects.count() == 0 and delivery_tasks().count() == 0


@pytest.mark.django_db
def test_a_validator_hears_of_invoices_it_validates(supplier_user, supplier, bank_account,
                                                   recipient, titulaire, titulaire_user,
                                                   receiver):
    validator_hook, _ = run(services.create_subscription, titulaire_user, titulaire,
                            receiver.url)
    run(deposit, supplier_user, supplier, bank_account, cadre="A9_FACTURE_SOUSTRAITANT",
        validator_identifier=titulaire.identifier)
    [delivery] = Delivery.objects.filter(subscription=validator_hook)
    payload = json_of(delivery)
    assert payload["donnees"]["statut"] == Status.A_VALIDER_1
    assert payload["roles"] == ["VALIDEUR"]


@pytest.mark.django_db
def test_other_structures_and_unsubscribed_events_hear_nothing(supplier_user, supplier,
                                                               bank_account, recipient,
                                                               other_recipient, receiver):
    from choeur.organisations.services import gestionnaires

    [other] = gestionnaires(other_recipient)
    run(services.create_subscription, other, other_recipient, receiver.url)
    run(services.create_subscription, supplier_user, supplier, receiver.url,
        on_invoice_status=False, on_flux_state=True)
    run(deposit, supplier_user, supplier, bank_account)
    run_ready()
    assert not Delivery.objects.exists() and receiver.requests == []


@pytest.mark.django_db(transaction=True)
def test_the_delivery_task_exists_only_once_committed(supplier_user, supplier, bank_account,
                                                      hooks):
    def tasks_seen_elsewhere() -> int:
        seen = []

        def look():
            try:
                seen.append(delivery_tasks().count())
            finally:
                connection.close()

        thread = threading.Thread(target=look)
        thread.start()
        thread.join()
        return seen[0]

    with transaction.atomic():
        deposit(supplier_user, supplier, bank_account)
        assert delivery_tasks().count() == 1  # in this transaction...
        assert tasks_seen_elsewhere() == 0  # ...invisible to a worker until it commits
    assert tasks_seen_elsewhere() == 1


@pytest.mark.django_db
def test_a_flux_outcome_is_sent(supplier_user, supplier, invoice_file, receiver):
    hook, secret = run(services.create_subscription, supplier_user, supplier, receiver.url,
                       on_invoice_status=False, on_flux_state=True)
    flux = run(flux_services.deposit, supplier_user, supplier,
               invoice_file("cii", number="FA-1"), "FA-1.xml", channel=Canal.PORTAIL)
    assert not Delivery.objects.exists()  # IN_RECU / IN_EN_ATTENTE: not sent
    run_ready()
    flux.refresh_from_db()
    assert flux.status == EtatFlux.INTEGRE
    [delivery] = Delivery.objects.filter(subscription=hook)
    assert delivery.event_type == EventType.FLUX_STATE
    [request] = receiver.requests
    assert services.verify_signature(secret, request.headers["Choeur-Signature"], request.body)
    data = request.json["donnees"]
    assert data["numeroFluxDepot"] == flux.numero and data["etatCourantFlux"] == "IN_INTEGRE"
    assert data["nombreFacturesIntegrees"] == 1 and data["dateHeureEtatCourantFlux"]
