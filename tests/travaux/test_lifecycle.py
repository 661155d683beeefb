"""The dossier follows its last piece at the paying service (travaux/lifecycle.py, through
invoicing's `signals.status_changed`): DESTINATAIRE while the paying service routes and
processes it, FOURNISSEUR while it waits for the supplier's answer (suspension, recycling),
closed — nobody, no deadline — at mise en paiement or rejection, every party told. Invoicing
itself never imports travaux (tests/test_architecture.py)."""

from __future__ import annotations

import pytest
from django.db import transaction

from choeur.invoicing import services as invoicing
from choeur.invoicing.models import Invoice
from choeur.invoicing.statuses import Status
from choeur.messaging.models import Notification
from choeur.travaux import queries, services, variants
from choeur.travaux.models import Actor, Dossier
from tests.invoicing.conftest import RECIPIENT_SIRET, invoice_data
from tests.test_architecture import GRAPH
from tests.travaux.test_monthly import _admitted, _claim, _in_tx

pytestmark = pytest.mark.django_db
S = Status


def _process(user, invoice, target, comment=""):
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        return invoicing.process(user, locked, target, comment)


@pytest.fixture
def at_payer(works, supplier_user, titulaire_user, recipient_user, bank_account, run_tasks):
    """A monthly dossier through A4 → A15 → A19, the A19 routed to the paying service."""
    supplier, moe, _moa = works
    projet = _in_tx(services.deposit_projet_decompte, supplier_user, supplier,
                    _claim(bank_account), moe_identifier=moe.identifier)
    _in_tx(services.deposit_etat_acompte, titulaire_user, projet.dossier_id, _admitted("9000"))
    valide = _in_tx(services.validate_etat_acompte, recipient_user, projet.dossier_id,
                    _admitted("9000"))
    assert Dossier.objects.get(pk=projet.dossier_id).next_actor == Actor.DESTINATAIRE
    run_tasks()
    valide.invoice.refresh_from_db()
    assert valide.invoice.status == S.MISE_A_DISPOSITION
    return valide


def _dossier(piece) -> Dossier:
    return Dossier.objects.get(pk=piece.dossier_id)


def _told(kind: str) -> dict:
    return {n.user.email: n.params for n in Notification.objects.filter(kind=kind)}


def test_invoicing_does_not_import_travaux():
    for module, imported in GRAPH.items():
        if module.startswith("choeur.invoicing"):
            assert not [name for name in imported if name.startswith("choeur.travaux")], module


def test_the_dossier_follows_the_processing_to_mise_en_paiement(
        at_payer, supplier_user, titulaire_user, recipient_user):
    invoice = at_payer.invoice
    assert _dossier(at_payer).next_actor == Actor.DESTINATAIRE
    # Suspended: the supplier must complete the piece (invoicing's completer).
    _process(recipient_user, invoice, S.SUSPENDUE, "Il manque l'attestation.")
    dossier = _dossier(at_payer)
    assert dossier.next_actor == Actor.FOURNISSEUR and dossier.due_at is None
    _in_tx(invoicing.complete, supplier_user, invoice, "Attestation jointe à l'envoi.")
    assert _dossier(at_payer).next_actor == Actor.DESTINATAIRE
    _process(recipient_user, invoice, S.SERVICE_FAIT)
    assert _dossier(at_payer).next_actor == Actor.DESTINATAIRE
    assert not Notification.objects.filter(kind="travaux_paid").exists()
    before = _dossier(at_payer).updated_at
    _process(recipient_user, invoice, S.MISE_EN_PAIEMENT)
    dossier = _dossier(at_payer)
    assert dossier.next_actor == "" and dossier.due_at is None
    assert dossier.updated_at >= before
    # Every party told, once: the titulaire, the MOE, the MOA (the paying structure too).
    told = _told("travaux_paid")
    assert set(told) == {supplier_user.email, titulaire_user.email, recipient_user.email}
    assert Notification.objects.filter(kind="travaux_paid").count() == 3
    params = told[supplier_user.email]
    assert params["dossier"] == dossier.number and params["number"] == invoice.number
    # The portal reads the same: nobody waits.
    last = dossier.pieces.select_related("invoice").order_by("position").last()
    assert queries.waiting_for(dossier, last) == ""
    assert not queries.to_process(recipient_user, Dossier.objects.all()).exists()


def test_a_rejection_closes_the_dossier_and_tells_every_party(
        at_payer, supplier_user, titulaire_user, recipient_user):
    _process(recipient_user, at_payer.invoice, S.REJETEE, "Engagement clos.")
    dossier = _dossier(at_payer)
    assert dossier.next_actor == "" and dossier.due_at is None
    told = _told("travaux_rejected")
    assert set(told) == {supplier_user.email, titulaire_user.email, recipient_user.email}
    assert told[titulaire_user.email]["reason"] == "Engagement clos."
    assert not Notification.objects.filter(kind="travaux_paid").exists()


def test_sent_back_for_recycling_the_supplier_must_act(at_payer, recipient_user,
                                                      supplier_user, run_tasks):
    _process(recipient_user, at_payer.invoice, S.A_RECYCLER, "Mauvais service.")
    assert _dossier(at_payer).next_actor == Actor.FOURNISSEUR
    with transaction.atomic():
        invoicing.recycle(supplier_user, at_payer.invoice, RECIPIENT_SIRET, "COMPTA")
    assert _dossier(at_payer).next_actor == Actor.DESTINATAIRE
    run_tasks()
    assert _dossier(at_payer).next_actor == Actor.DESTINATAIRE


def test_the_one_piece_dossier_a6_closes_too(works, supplier_user, bank_account, run_tasks,
                                             recipient_user):
    supplier, _moe, _moa = works
    piece = _in_tx(variants.deposit_etat_acompte_valide_fournisseur, supplier_user, supplier,
                   _claim(bank_account, "EAV-2026-01"))
    run_tasks()
    assert _dossier(piece).next_actor == Actor.DESTINATAIRE
    piece.invoice.refresh_from_db()
    _process(recipient_user, piece.invoice, S.MISE_EN_PAIEMENT)
    assert _dossier(piece).next_actor == ""


def test_an_earlier_piece_or_a_rollback_changes_nothing(at_payer, recipient_user):
    """The statuses before the paying service are the travaux services' own; a transition
    rolled back leaves the dossier as it was."""
    dossier = _dossier(at_payer)
    with pytest.raises(RuntimeError), transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=at_payer.invoice_id)
        invoicing.process(recipient_user, locked, S.MISE_EN_PAIEMENT)
        raise RuntimeError("rolled back")
    after = _dossier(at_payer)
    assert (after.next_actor, after.updated_at) == (dossier.next_actor, dossier.updated_at)
    assert not Notification.objects.filter(kind="travaux_paid").exists()


def test_an_ordinary_invoice_is_left_alone(works, at_payer, supplier_user, recipient_user,
                                           bank_account, run_tasks):
    supplier, _moe, moa = works
    data = invoice_data(number="F-2026-1", bank_account_id=bank_account.pk,
                        recipient_identifier=RECIPIENT_SIRET, recipient_service_code="COMPTA")
    from choeur.invoicing.models import ModeDepot

    invoice = _in_tx(invoicing.deposit, supplier_user, supplier, data,
                     mode_depot=ModeDepot.SAISIE_PORTAIL)
    run_tasks()
    before = list(Dossier.objects.values_list("pk", "next_actor", "updated_at"))
    _process(recipient_user, invoice, S.MISE_EN_PAIEMENT)
    assert list(Dossier.objects.values_list("pk", "next_actor", "updated_at")) == before
    assert not Notification.objects.filter(kind="travaux_paid").exists()
