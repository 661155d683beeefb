"""Issue 16, the monthly circuit through the services: the titulaire's projet de décompte
mensuel (A4) reaches the maître d'œuvre; the MOE associates its état d'acompte (A15) with the
sums it admits; the MOA its état d'acompte validé (A19), which reaches the paying service and
ends mis en paiement. The MOE's 7 days; a structure outside the dossier sees nothing; bad
input changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import transaction

from choeur.core import clock
from choeur.core.worker import enqueue_timers
from choeur.invoicing import queries
from choeur.invoicing import services as invoicing
from choeur.invoicing.data import LineData
from choeur.invoicing.models import Invoice, TypeDemandePaiement
from choeur.invoicing.statuses import Status
from choeur.messaging.models import Notification
from choeur.travaux import errors, services
from choeur.travaux.models import Actor, Dossier, Piece, TypeFactureTravaux
from tests.invoicing.conftest import RECIPIENT_SIRET, invoice_data

pytestmark = pytest.mark.django_db
S = Status


def _in_tx(function, *args, **kwargs):
    with transaction.atomic():
        return function(*args, **kwargs)


def _claim(bank_account, number="PDM-2026-03", **overrides):
    return invoice_data(number=number, bank_account_id=bank_account.pk,
                        recipient_identifier=RECIPIENT_SIRET, recipient_service_code="COMPTA",
                        lines=[LineData(designation="Gros œuvre, situation de mars",
                                        quantity=D(1), unit_price=D("10000"), vat_rate=D(20),
                                        unit="C62")], **overrides)


def _admitted(amount: str):
    return invoice_data(lines=[LineData(designation="Gros œuvre, situation de mars (admis)",
                                        quantity=D(1), unit_price=D(amount), vat_rate=D(20),
                                        unit="C62")])


def test_a_whole_monthly_cycle_to_mise_en_paiement(works, deposited, supplier_user,
                                                   titulaire_user, recipient_user, run_tasks):
    supplier, moe, moa = works
    dossier = deposited.dossier
    projet = deposited.invoice
    assert projet.status == S.MISE_A_DISPOSITION_MOE
    assert projet.type_demande_paiement == TypeDemandePaiement.FACTURE_TRAVAUX
    assert dossier.next_actor == Actor.MOE
    assert dossier.due_at == dossier.payment_delay_from + timedelta(days=7)
    # The MOE is told what to do and by when.
    [told] = Notification.objects.filter(user=titulaire_user, kind="travaux_to_moe")
    assert told.params["dossier"] == dossier.number and told.params["number"] == "PDM-2026-03"
    # Not an ordinary invoice: out of the paying service's sight until the last piece.
    assert not queries.received_invoices(recipient_user).exists()

    etat = _in_tx(services.deposit_etat_acompte, titulaire_user, dossier.pk, _admitted("9000"))
    projet.refresh_from_db()
    assert projet.status == S.ASSOCIEE
    assert etat.invoice.status == S.MISE_A_DISPOSITION_MOA
    assert etat.kind == TypeFactureTravaux.ETAT_ACOMPTE and etat.previous == deposited
    assert etat.invoice.total_ht == D("9000") and etat.claimed_ht == D("10000")
    assert etat.invoice.supplier == supplier and etat.depositor == moe
    dossier.refresh_from_db()
    assert dossier.next_actor == Actor.MOA
    assert Notification.objects.filter(user=recipient_user, kind="travaux_to_moa").count() == 1

    valide = _in_tx(services.validate_etat_acompte, recipient_user, dossier.pk,
                    _admitted("9000"))
    assert valide.invoice.status == S.DEPOSEE
    run_tasks()
    valide.invoice.refresh_from_db()
    assert valide.invoice.status == S.MISE_A_DISPOSITION
    assert list(queries.received_invoices(recipient_user)) == [valide.invoice]
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=valide.invoice.pk)
        invoicing.process(recipient_user, invoice, S.MISE_EN_PAIEMENT)
    assert [p.invoice.status for p in dossier.pieces.all()] == [
        S.ASSOCIEE, S.ASSOCIEE, S.MISE_EN_PAIEMENT]
    assert [p.position for p in dossier.pieces.all()] == [1, 2, 3]


def test_the_moe_silent_seven_days(works, deposited, supplier_user, titulaire_user,
                                   recipient_user):
    dossier = deposited.dossier
    with clock.shifted(timedelta(days=6, hours=23)):
        assert services.apply_moe_deadlines() == 0
    with clock.shifted(timedelta(days=7, minutes=1)):
        enqueue_timers()  # the timer is declared: the workers queue it every 5 minutes
        assert services.apply_moe_deadlines() == 1
        deposited.invoice.refresh_from_db()
        assert deposited.invoice.status == S.ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE
        dossier.refresh_from_db()
        assert dossier.next_actor == Actor.MOA
        late = Notification.objects.filter(kind="travaux_moe_late")
        assert {n.user for n in late} == {supplier_user, titulaire_user, recipient_user}
        # Too late for the MOE; the MOA validates from the projet itself.
        with pytest.raises(errors.DeadlinePassed):
            _in_tx(services.deposit_etat_acompte, titulaire_user, dossier.pk, _admitted("9000"))
        valide = _in_tx(services.validate_etat_acompte, recipient_user, dossier.pk,
                        _admitted("8000"))
    assert valide.invoice.status == S.DEPOSEE and valide.previous == deposited
    assert Piece.objects.filter(dossier=dossier).count() == 2


def test_a_structure_outside_the_dossier_sees_and_does_nothing(
        works, deposited, other_recipient, supplier_user, titulaire_user):
    outsider = other_recipient.rattachements.get().user
    assert not services.dossiers_of(outsider).exists()
    with pytest.raises(errors.DossierNotFound):
        services.dossier_of(outsider, deposited.dossier.pk)
    with pytest.raises(errors.DossierNotFound):
        _in_tx(services.deposit_etat_acompte, outsider, deposited.dossier.pk, _admitted("1"))
    # A party in another role: it sees the dossier, but the MOE's piece is not its own.
    assert services.dossier_of(supplier_user, deposited.dossier.pk) == deposited.dossier
    with pytest.raises(errors.PieceNotExpected):
        _in_tx(services.deposit_etat_acompte, supplier_user, deposited.dossier.pk,
               _admitted("1"))
    assert Piece.objects.count() == 1


def test_bad_input_changes_nothing(works, deposited, titulaire_user, supplier_user,
                                   bank_account, recipient_user):
    dossier = deposited.dossier
    before = (Invoice.objects.count(), Piece.objects.count())
    # Admitting more than claimed.
    with pytest.raises(errors.AmountsInconsistent):
        _in_tx(services.deposit_etat_acompte, titulaire_user, dossier.pk, _admitted("10001"))
    # An amount disagreement is no refusal reason (sommes admises).
    with pytest.raises(errors.AmountNotAReason):
        _in_tx(services.refuse_as_moe, titulaire_user, dossier.pk, "Erreur de montant sur le lot 2")
    # The MOA before the MOE: nothing to validate yet.
    with pytest.raises(errors.PieceNotExpected):
        _in_tx(services.validate_etat_acompte, recipient_user, dossier.pk, _admitted("9000"))
    assert (Invoice.objects.count(), Piece.objects.count()) == before
    deposited.invoice.refresh_from_db()
    assert deposited.invoice.status == S.MISE_A_DISPOSITION_MOE
    # A maître d'ouvrage that is not flagged as one.
    supplier, moe, moa = works
    type(moa).objects.filter(pk=moa.pk).update(moa=False)
    with pytest.raises(errors.MoaRequired):
        _in_tx(services.deposit_projet_decompte, supplier_user, supplier,
               _claim(bank_account, number="PDM-2026-04"), moe_identifier=moe.identifier)
    assert Dossier.objects.count() == 1


def test_a_refusal_stops_the_circuit(works, deposited, titulaire_user):
    _in_tx(services.refuse_as_moe, titulaire_user, deposited.dossier.pk,
           "Travaux non réalisés ce mois-ci")
    deposited.invoice.refresh_from_db()
    assert deposited.invoice.status == S.REFUSEE_MOE
    deposited.dossier.refresh_from_db()
    assert deposited.dossier.next_actor == ""
    [told] = Notification.objects.filter(kind="travaux_refused")
    assert told.params["reason"] == "Travaux non réalisés ce mois-ci"
