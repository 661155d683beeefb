"""Issue 16, the final circuit and the monthly variants through the services: the titulaire's
projet de décompte final (A7) reaches the maître d'œuvre; the MOE's projet de décompte général
(A17) the maître d'ouvrage; the MOA's décompte général (A20) — or the empowered MOE's (A18) —
the titulaire, who has 30 days to sign it (A8, to the paying service, mis en paiement) or
refuse it. The tacit procedure (A22, then A23 / A24 / A25). The variants A5, A6, A16. Bad
input: a coded error, and the dossier unchanged."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import transaction

from choeur.core import clock
from choeur.core.worker import enqueue_timers
from choeur.invoicing import errors as invoicing_errors
from choeur.invoicing import queries, statuses
from choeur.invoicing import services as invoicing
from choeur.invoicing.data import LineData
from choeur.invoicing.models import Invoice, TravauxCadre
from choeur.invoicing.statuses import Role, Status
from choeur.messaging.models import Notification
from choeur.travaux import errors, final, services, variants
from choeur.travaux.models import Actor, Dossier, Piece, TypeFactureTravaux
from tests.invoicing.conftest import invoice_data
from tests.travaux.test_monthly import _admitted, _claim, _in_tx

pytestmark = pytest.mark.django_db
S = Status
K = TypeFactureTravaux
DAY = timedelta(days=1)


def _own(number: str, amount: str, bank_account=None):
    """A piece the titulaire deposits into its dossier (A8, A22, A23): its own number."""
    return invoice_data(number=number, bank_account_id=bank_account.pk if bank_account else None,
                        lines=[LineData(designation="Décompte général du marché de travaux",
                                        quantity=D(1), unit_price=D(amount), vat_rate=D(20),
                                        unit="C62")])


def _statuses(dossier: Dossier) -> list[str]:
    return [p.invoice.status for p in dossier.pieces.select_related("invoice")]


def _snapshot(dossier: Dossier):
    dossier.refresh_from_db()
    return (Invoice.objects.count(), Piece.objects.count(), _statuses(dossier),
            dossier.next_actor, dossier.due_at, Notification.objects.count())


def _process(user, invoice, target):
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        return invoicing.process(user, locked, target)


def test_the_final_moves_and_who_makes_them():
    expected = {
        (S.BROUILLON, S.A_ASSOCIER_FOURNISSEUR): {Role.MOA, Role.MOE},
        (S.A_ASSOCIER_FOURNISSEUR, S.ASSOCIEE): {Role.SUPPLIER},
        (S.A_ASSOCIER_FOURNISSEUR, S.REFUSEE_FOURNISSEUR): {Role.SUPPLIER},
        (S.MISE_A_DISPOSITION_MOE, S.REMPLACEE_PAR_A22): {Role.SUPPLIER},
        (S.MISE_A_DISPOSITION_MOA, S.REMPLACEE_PAR_A22): {Role.SUPPLIER},
        (S.MISE_A_DISPOSITION_MOA, S.ASSOCIEE): {Role.MOA, Role.MOE, Role.SUPPLIER},
    }
    for (source, target), roles in expected.items():
        assert {role for role in Role if statuses.find(source, target, role)} == roles
    assert statuses.find(S.A_ASSOCIER_FOURNISSEUR, S.REFUSEE_FOURNISSEUR,
                         Role.SUPPLIER).reason_required
    for move in statuses.TABLE:
        if move.role in (Role.MOE, Role.MOA) or S.REMPLACEE_PAR_A22 == move.target:
            assert move.target in statuses.TRAVAUX_ONLY or move.target == S.DEPOSEE


def test_a_whole_final_cycle_to_mise_en_paiement(works, projet_final, supplier_user,
                                                 titulaire_user, recipient_user, bank_account,
                                                 run_tasks):
    supplier, moe, moa = works
    dossier = projet_final.dossier
    assert dossier.kind == Dossier.Kind.FINAL and dossier.moe == moe and dossier.moa == moa
    assert projet_final.invoice.status == S.MISE_A_DISPOSITION_MOE
    assert projet_final.invoice.cadre == TravauxCadre.A7
    assert projet_final.kind == K.PROJET_DECOMPTE_FINAL
    assert dossier.next_actor == Actor.MOE and dossier.due_at == projet_final.due_at
    assert Notification.objects.filter(user=titulaire_user,
                                       kind="travaux_final_to_moe").count() == 1
    assert not queries.received_invoices(recipient_user).exists()

    # The MOE's projet de décompte général, the sums it admits, to the MOA.
    pdg = _in_tx(final.deposit_projet_decompte_general, titulaire_user, dossier.pk,
                 _admitted("9500"))
    assert pdg.invoice.status == S.MISE_A_DISPOSITION_MOA and pdg.previous == projet_final
    assert pdg.invoice.cadre == TravauxCadre.A17 and pdg.depositor == moe
    assert (pdg.invoice.total_ht, pdg.claimed_ht) == (D("9500"), D("10000"))
    dossier.refresh_from_db()
    assert dossier.next_actor == Actor.MOA
    [told] = Notification.objects.filter(user=recipient_user, kind="travaux_final_to_moa")
    assert told.params["number"] == pdg.invoice.number

    # The MOA's décompte général, to the titulaire for 30 days.
    dg = _in_tx(final.deposit_decompte_general, recipient_user, dossier.pk, _admitted("9400"))
    assert dg.invoice.status == S.A_ASSOCIER_FOURNISSEUR and dg.invoice.cadre == TravauxCadre.A20
    assert dg.kind == K.DECOMPTE_GENERAL and dg.depositor == moa
    dossier.refresh_from_db()
    assert dossier.next_actor == Actor.FOURNISSEUR
    assert dossier.due_at == dg.due_at == dg.invoice.deposited_at + timedelta(days=30)
    [told] = Notification.objects.filter(user=supplier_user, kind="travaux_dg_to_supplier")
    assert told.params["due"] == f"{dg.due_at.astimezone(clock.PARIS):%d/%m/%Y}"
    assert not queries.received_invoices(recipient_user).exists()

    # « Déposer la pièce de facturation suivante »: the signed DGD, to the paying service.
    dgd = _in_tx(final.sign_decompte_general, supplier_user, dossier.pk,
                 _own("DGD-2026-01", "9400"))
    assert dgd.invoice.status == S.DEPOSEE and dgd.invoice.cadre == TravauxCadre.A8
    assert dgd.kind == K.DECOMPTE_GENERAL_SIGNE and dgd.previous == dg
    assert dgd.invoice.number == "DGD-2026-01" and dgd.invoice.supplier == supplier
    assert dgd.invoice.bank_account == bank_account  # the projet's, none named
    assert dgd.invoice.recipient == moa and dgd.invoice.recipient_service == dossier.moa_service
    told = Notification.objects.filter(kind="travaux_sent_to_payer")
    assert {n.user for n in told} == {titulaire_user, recipient_user}
    run_tasks()
    dgd.invoice.refresh_from_db()
    assert dgd.invoice.status == S.MISE_A_DISPOSITION
    assert list(queries.received_invoices(recipient_user)) == [dgd.invoice]
    _process(recipient_user, dgd.invoice, S.MISE_EN_PAIEMENT)
    assert _statuses(dossier) == [S.ASSOCIEE, S.ASSOCIEE, S.ASSOCIEE, S.MISE_EN_PAIEMENT]
    assert [p.position for p in dossier.pieces.all()] == [1, 2, 3, 4]
    dossier.refresh_from_db()  # closed once mis en paiement (travaux/lifecycle.py)
    assert dossier.next_actor == "" and dossier.due_at is None


def test_the_co_traitant_and_the_empowered_moe(works, supplier_user, titulaire_user,
                                              recipient_user, bank_account):
    supplier, moe, _moa = works
    a14 = _in_tx(final.deposit_projet_decompte_final, supplier_user, supplier,
                 _claim(bank_account, number="PDF-2026-02"), moe_identifier=moe.identifier,
                 cadre=TravauxCadre.A14)
    assert a14.invoice.cadre == TravauxCadre.A14 and a14.dossier.kind == Dossier.Kind.FINAL
    # The MOE, empowered by the MOA, gives the décompte général itself (A18).
    a18 = _in_tx(final.deposit_decompte_general_moe, titulaire_user, a14.dossier.pk,
                 _admitted("9900"))
    a14.invoice.refresh_from_db()
    assert a14.invoice.status == S.ASSOCIEE
    assert a18.invoice.status == S.A_ASSOCIER_FOURNISSEUR
    assert a18.invoice.cadre == TravauxCadre.A18 and a18.depositor_role == Actor.MOE
    # The titulaire refuses it: a reason is required, then the circuit stops.
    before = _snapshot(a14.dossier)
    with pytest.raises(invoicing_errors.ReasonRequired):
        _in_tx(final.refuse_decompte_general, supplier_user, a14.dossier.pk, "  ")
    assert _snapshot(a14.dossier) == before
    _in_tx(final.refuse_decompte_general, supplier_user, a14.dossier.pk,
           "Pénalités de retard contestées")
    a18.invoice.refresh_from_db()
    assert a18.invoice.status == S.REFUSEE_FOURNISSEUR
    assert a18.invoice.status_comment == "Pénalités de retard contestées"
    a14.dossier.refresh_from_db()
    assert a14.dossier.next_actor == ""
    told = Notification.objects.filter(kind="travaux_dg_refused")
    assert {n.user for n in told} == {titulaire_user, recipient_user}
    # Nothing follows a refusal.
    with pytest.raises(errors.PieceNotExpected):
        _in_tx(final.sign_decompte_general, supplier_user, a14.dossier.pk,
               _own("DGD-2026-02", "9900"))


def test_the_titulaire_s_thirty_days(works, general, supplier_user, titulaire_user,
                                     recipient_user, run_tasks):
    dossier = general.dossier
    assert final.apply_dgd_deadlines() == 0
    with clock.shifted(24 * DAY):
        assert final.apply_dgd_deadlines() == 0
    with clock.shifted(25 * DAY + timedelta(minutes=1)):
        assert final.apply_dgd_deadlines() == 1
        assert final.apply_dgd_deadlines() == 0  # once
    [reminder] = Notification.objects.filter(kind="travaux_dgd_reminder")
    assert reminder.user == supplier_user
    with clock.shifted(30 * DAY + timedelta(minutes=1)):
        enqueue_timers()  # declared with the app's timers: the worker runs it
        run_tasks()
        late = Notification.objects.filter(kind="travaux_dgd_late")
        assert {n.user for n in late} == {supplier_user, recipient_user}
        assert final.apply_dgd_deadlines() == 0
        # The dossier still waits for the titulaire, its date past: the lists show it late.
        dossier.refresh_from_db()
        assert dossier.next_actor == Actor.FOURNISSEUR and dossier.due_at < clock.now()
        general.refresh_from_db()
        assert general.lapsed_at is not None and general.reminded_at is not None
        # Too late to refuse: the décompte général is deemed accepted; the DGD still goes.
        before = _snapshot(dossier)
        with pytest.raises(errors.DecompteGeneralAccepted):
            _in_tx(final.refuse_decompte_general, supplier_user, dossier.pk, "Trop tard")
        assert _snapshot(dossier) == before
        dgd = _in_tx(final.sign_decompte_general, supplier_user, dossier.pk,
                     _own("DGD-2026-03", "9400"))
    assert dgd.invoice.status == S.DEPOSEE


def test_the_tacit_procedure(works, projet_general, supplier_user, titulaire_user,
                             recipient_user, bank_account, run_tasks):
    dossier = projet_general.dossier
    # The MOA still has time: too early for the tacit procedure.
    before = _snapshot(dossier)
    with pytest.raises(errors.TacitTooEarly):
        _in_tx(final.deposit_projet_tacite, supplier_user, dossier.pk,
               _own("PDGT-2026-01", "9800"))
    assert _snapshot(dossier) == before
    with clock.shifted(30 * DAY + timedelta(minutes=1)):
        a22 = _in_tx(final.deposit_projet_tacite, supplier_user, dossier.pk,
                     _own("PDGT-2026-01", "9800"))
        assert a22.invoice.status == S.MISE_A_DISPOSITION_MOA
        assert a22.invoice.cadre == TravauxCadre.A22 and a22.invoice.number == "PDGT-2026-01"
        assert a22.kind == K.PROJET_DECOMPTE_GENERAL_PROCEDURE_TACITE
        # The pending piece (the MOE's projet de décompte général) is replaced.
        assert _statuses(dossier) == [S.ASSOCIEE, S.REMPLACEE_PAR_A22, S.MISE_A_DISPOSITION_MOA]
        dossier.refresh_from_db()
        assert dossier.next_actor == Actor.MOA and dossier.due_at == a22.due_at
        told = Notification.objects.filter(kind="travaux_tacit_to_moa")
        assert {n.user for n in told} == {titulaire_user, recipient_user}
        # The MOA's 10 days run: no DGD tacite yet.
        with pytest.raises(errors.TacitTooEarly):
            _in_tx(final.deposit_dgd_tacite, supplier_user, dossier.pk,
                   _own("DGDT-2026-01", "9800"))
    with clock.shifted(41 * DAY):
        # Past them, the MOA's décompte général comes too late...
        before = _snapshot(dossier)
        with pytest.raises(errors.TacitDgdReached):
            _in_tx(final.deposit_decompte_general, recipient_user, dossier.pk,
                   _admitted("9000"))
        # ... and the DGD tacite repeats the tacit projet's amounts.
        with pytest.raises(errors.AmountsInconsistent):
            _in_tx(final.deposit_dgd_tacite, supplier_user, dossier.pk,
                   _own("DGDT-2026-01", "9900"))
        assert _snapshot(dossier) == before
        a23 = _in_tx(final.deposit_dgd_tacite, supplier_user, dossier.pk,
                     _own("DGDT-2026-01", "9800"))
        assert a23.invoice.status == S.DEPOSEE and a23.invoice.cadre == TravauxCadre.A23
        assert a23.kind == K.DECOMPTE_GENERAL_DEFINITIF_TACITE and a23.previous == a22
        run_tasks()
    a23.invoice.refresh_from_db()
    assert a23.invoice.status == S.MISE_A_DISPOSITION
    assert _statuses(dossier) == [S.ASSOCIEE, S.REMPLACEE_PAR_A22, S.ASSOCIEE,
                                  S.MISE_A_DISPOSITION]


def test_the_moa_answers_a_tacit_projet_in_time(works, projet_final, supplier_user,
                                                recipient_user):
    dossier = projet_final.dossier
    with clock.shifted(31 * DAY):
        _in_tx(final.deposit_projet_tacite, supplier_user, dossier.pk,
               _own("PDGT-2026-02", "9800"))
        # The MOE never answered: its projet de décompte final itself is replaced.
        assert _statuses(dossier) == [S.REMPLACEE_PAR_A22, S.MISE_A_DISPOSITION_MOA]
    with clock.shifted(35 * DAY):
        dg = _in_tx(final.deposit_decompte_general, recipient_user, dossier.pk,
                    _admitted("9700"))
    assert dg.invoice.status == S.A_ASSOCIER_FOURNISSEUR
    assert _statuses(dossier) == [S.REMPLACEE_PAR_A22, S.ASSOCIEE, S.A_ASSOCIER_FOURNISSEUR]


@pytest.mark.parametrize(("who", "function", "cadre"), [
    ("moe", final.deposit_dgd_tacite_moe, TravauxCadre.A24),
    ("moa", final.deposit_dgd_tacite_moa, TravauxCadre.A25),
])
def test_the_dgd_tacite_by_the_moe_or_the_moa(works, projet_final, supplier_user,
                                             titulaire_user, recipient_user, who, function,
                                             cadre, bank_account):
    dossier = projet_final.dossier
    user = {"moe": titulaire_user, "moa": recipient_user}[who]
    with clock.shifted(31 * DAY):
        a22 = _in_tx(final.deposit_projet_tacite, supplier_user, dossier.pk,
                     _own("PDGT-2026-03", "9800"))
    with clock.shifted(42 * DAY):
        piece = _in_tx(function, user, dossier.pk, _admitted("9800"))
    assert piece.invoice.status == S.DEPOSEE and piece.invoice.cadre == cadre
    assert piece.kind == K.DECOMPTE_GENERAL_DEFINITIF_PROCEDURE_TACITE
    assert piece.invoice.number == f"{dossier.number}-3" and piece.previous == a22
    assert piece.invoice.bank_account == bank_account
    assert _statuses(dossier) == [S.REMPLACEE_PAR_A22, S.ASSOCIEE, S.DEPOSEE]


def test_a5_without_moe_to_the_moa_then_the_paying_service(works, supplier_user,
                                                           titulaire_user, recipient_user,
                                                           bank_account, run_tasks):
    supplier, _moe, moa = works
    a5 = _in_tx(variants.deposit_etat_acompte_fournisseur, supplier_user, supplier,
                _claim(bank_account, number="EA-2026-03"))
    dossier = a5.dossier
    assert dossier.moe is None and dossier.kind == Dossier.Kind.MENSUEL
    assert a5.invoice.status == S.MISE_A_DISPOSITION_MOA and a5.invoice.cadre == TravauxCadre.A5
    assert a5.kind == K.ETAT_ACOMPTE and dossier.next_actor == Actor.MOA
    assert dossier.payment_delay_from == a5.invoice.deposited_at
    [told] = Notification.objects.filter(kind="travaux_to_moa_from_supplier")
    assert told.user == recipient_user
    # No MOE in this dossier: the other structure sees nothing of it.
    with pytest.raises(errors.DossierNotFound):
        services.dossier_of(titulaire_user, dossier.pk)
    valide = _in_tx(services.validate_etat_acompte, recipient_user, dossier.pk,
                    _admitted("9000"))
    assert valide.invoice.status == S.DEPOSEE
    run_tasks()
    _process(recipient_user, valide.invoice, S.MISE_EN_PAIEMENT)
    assert _statuses(dossier) == [S.ASSOCIEE, S.MISE_EN_PAIEMENT]


def test_a6_straight_to_the_paying_service(works, supplier_user, recipient_user, bank_account,
                                           run_tasks):
    supplier, _moe, _moa = works
    a6 = _in_tx(variants.deposit_etat_acompte_valide_fournisseur, supplier_user, supplier,
                _claim(bank_account, number="EAV-2026-03"))
    assert a6.invoice.status == S.DEPOSEE and a6.invoice.cadre == TravauxCadre.A6
    assert a6.kind == K.ETAT_ACOMPTE_VALIDE and a6.dossier.moe is None
    assert a6.dossier.next_actor == Actor.DESTINATAIRE
    run_tasks()
    assert list(queries.received_invoices(recipient_user)) == [a6.invoice]
    _process(recipient_user, a6.invoice, S.MISE_EN_PAIEMENT)


def test_a16_the_moe_s_etat_d_acompte_valide(works, supplier_user, titulaire_user,
                                            recipient_user, bank_account, run_tasks):
    supplier, moe, _moa = works
    projet = _in_tx(services.deposit_projet_decompte, supplier_user, supplier,
                    _claim(bank_account), moe_identifier=moe.identifier)
    dossier = projet.dossier
    with pytest.raises(errors.AmountsInconsistent):
        _in_tx(variants.deposit_etat_acompte_valide_moe, titulaire_user, dossier.pk,
               _admitted("10000.01"))
    a16 = _in_tx(variants.deposit_etat_acompte_valide_moe, titulaire_user, dossier.pk,
                 _admitted("9000"))
    assert a16.invoice.status == S.DEPOSEE and a16.invoice.cadre == TravauxCadre.A16
    assert a16.depositor == moe and a16.claimed_ht == D("10000")
    run_tasks()
    _process(recipient_user, a16.invoice, S.MISE_EN_PAIEMENT)
    assert _statuses(dossier) == [S.ASSOCIEE, S.MISE_EN_PAIEMENT]
    # After the MOE's 7 days, its A16 is refused like its A15.
    late = _in_tx(services.deposit_projet_decompte, supplier_user, supplier,
                  _claim(bank_account, number="PDM-2026-05"), moe_identifier=moe.identifier)
    with clock.shifted(8 * DAY):
        services.apply_moe_deadlines()
        with pytest.raises(errors.DeadlinePassed):
            _in_tx(variants.deposit_etat_acompte_valide_moe, titulaire_user, late.dossier.pk,
                   _admitted("9000"))


def test_bad_input_changes_nothing(works, projet_final, supplier_user, titulaire_user,
                                   recipient_user, other_recipient, bank_account):
    supplier, moe, _moa = works
    dossier = projet_final.dossier
    before = _snapshot(dossier)
    # A DGD before the décompte général (signed or tacit).
    with pytest.raises(errors.DgdBeforeDecompteGeneral):
        _in_tx(final.sign_decompte_general, supplier_user, dossier.pk,
               _own("DGD-2026-09", "10000"))
    with pytest.raises(errors.DgdBeforeDecompteGeneral):
        _in_tx(final.deposit_dgd_tacite, supplier_user, dossier.pk,
               _own("DGD-2026-09", "10000"))
    # The MOA before the MOE's projet de décompte général.
    with pytest.raises(errors.PieceNotExpected):
        _in_tx(final.deposit_decompte_general, recipient_user, dossier.pk, _admitted("9000"))
    # Admitting more than claimed.
    with pytest.raises(errors.AmountsInconsistent):
        _in_tx(final.deposit_projet_decompte_general, titulaire_user, dossier.pk,
               _admitted("10001"))
    # Another structure's pieces in this supplier's dossier: a party in another role is told
    # the piece is not expected from it, an outsider finds no dossier at all.
    with pytest.raises(errors.PieceNotExpected):
        _in_tx(final.sign_decompte_general, titulaire_user, dossier.pk,
               _own("DGD-2026-09", "10000"))
    with pytest.raises(errors.PieceNotExpected):
        _in_tx(final.deposit_projet_decompte_general, supplier_user, dossier.pk,
               _admitted("9000"))
    outsider = other_recipient.rattachements.get().user
    for function in (final.sign_decompte_general, final.deposit_projet_tacite,
                     final.deposit_projet_decompte_general, final.deposit_decompte_general):
        with pytest.raises(errors.DossierNotFound):
            _in_tx(function, outsider, dossier.pk, _admitted("9000"))
    with pytest.raises(errors.DossierNotFound):
        _in_tx(final.sign_decompte_general, supplier_user, 987654, _own("DGD-2026-09", "1"))
    assert _snapshot(dossier) == before
    # The final circuit's pieces have no place in a monthly dossier, and the reverse.
    monthly = _in_tx(services.deposit_projet_decompte, supplier_user, supplier,
                     _claim(bank_account, number="PDM-2026-09"), moe_identifier=moe.identifier)
    with pytest.raises(errors.PieceNotExpected):
        _in_tx(final.deposit_projet_decompte_general, titulaire_user, monthly.dossier.pk,
               _admitted("9000"))
    with pytest.raises(errors.PieceNotExpected):
        _in_tx(services.deposit_etat_acompte, titulaire_user, dossier.pk, _admitted("9000"))
    with pytest.raises(errors.CadreNotHere):
        _in_tx(final.deposit_projet_decompte_final, supplier_user, supplier,
               _claim(bank_account, number="PDF-2026-09"), moe_identifier=moe.identifier,
               cadre=TravauxCadre.A4)
    assert _statuses(dossier) == [S.MISE_A_DISPOSITION_MOE]
    assert _statuses(monthly.dossier) == [S.MISE_A_DISPOSITION_MOE]
    assert Piece.objects.count() == before[1] + 1  # the monthly projet only


def test_a_monthly_piece_has_no_place_in_a_final_dossier(works, projet_general,
                                                         recipient_user):
    dossier = projet_general.dossier
    before = _snapshot(dossier)
    # The projet de décompte général waits for the MOA, but for its décompte général.
    with pytest.raises(errors.PieceNotExpected):
        _in_tx(services.validate_etat_acompte, recipient_user, dossier.pk, _admitted("9000"))
    assert _snapshot(dossier) == before


def test_a_signed_dgd_repeats_the_decompte_general_s_amounts(works, general, supplier_user):
    dossier = general.dossier
    before = _snapshot(dossier)
    with pytest.raises(errors.AmountsInconsistent) as refused:
        _in_tx(final.sign_decompte_general, supplier_user, dossier.pk,
               _own("DGD-2026-04", "9500"))
    assert refused.value.code == "TRAV_AMOUNTS_INCONSISTENT"
    # Its number is the titulaire's own: one already used is refused too.
    with pytest.raises(invoicing_errors.NumberAlreadyUsed):
        _in_tx(final.sign_decompte_general, supplier_user, dossier.pk,
               _own("PDF-2026-01", "9400"))
    assert _snapshot(dossier) == before
