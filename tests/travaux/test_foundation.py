"""Issue 16, the foundation: the travaux statuses in the one transition table (each move with
its role: the MOE's, the MOA's, the supplier's, the system's), out of every ordinary list and
of the paying service's sight; the travaux cadres and statuses fit their columns on both
databases; a dossier's pieces keep their places."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from choeur.core import clock
from choeur.invoicing import errors, lifecycle, statuses
from choeur.invoicing.models import Invoice, ModeDepot, TravauxCadre, TypeDemandePaiement
from choeur.invoicing.statuses import Role, Status
from choeur.travaux.models import Actor, Dossier, Piece, TypeFactureTravaux

pytestmark = pytest.mark.django_db
S = Status


def test_the_monthly_moves_and_who_makes_them():
    expected = {
        (S.BROUILLON, S.MISE_A_DISPOSITION_MOE): {Role.SUPPLIER},
        (S.MISE_A_DISPOSITION_MOE, S.ASSOCIEE): {Role.MOE},
        (S.MISE_A_DISPOSITION_MOE, S.REFUSEE_MOE): {Role.MOE},
        (S.MISE_A_DISPOSITION_MOE, S.ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE): {Role.SYSTEM},
        (S.ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE, S.ASSOCIEE): {Role.MOA},
        (S.BROUILLON, S.MISE_A_DISPOSITION_MOA): {Role.MOE, Role.SUPPLIER},
        # The MOA's piece on an état d'acompte; also, in the final circuit, the DGD tacite
        # on the titulaire's A22 (titulaire A23, MOE A24: tests/travaux/test_final.py).
        (S.MISE_A_DISPOSITION_MOA, S.ASSOCIEE): {Role.MOA, Role.SUPPLIER, Role.MOE},
        (S.BROUILLON, S.DEPOSEE): {Role.SUPPLIER, Role.MOE, Role.MOA},
    }
    for (source, target), roles in expected.items():
        found = {role for role in Role if statuses.find(source, target, role)}
        assert found == roles, (source, target)
    # Refusals need their reason; the recipient's own moves are not the MOE's.
    assert statuses.find(S.MISE_A_DISPOSITION_MOE, S.REFUSEE_MOE, Role.MOE).reason_required
    assert statuses.find(S.MISE_A_DISPOSITION, S.SERVICE_FAIT, Role.MOE) is None
    assert statuses.recipient_targets(S.MISE_A_DISPOSITION_MOE) == []


def test_the_travaux_statuses_stay_out_of_ordinary_sight():
    for status in statuses.TRAVAUX_ONLY:
        assert status not in statuses.RECIPIENT_VISIBLE
        assert status not in statuses.INVOICE_STATUSES
    assert S.MISE_A_DISPOSITION in statuses.RECIPIENT_VISIBLE  # the last piece, once routed


def test_the_portal_filters_offer_no_travaux_status(client, supplier_user, supplier):
    client.force_login(supplier_user)
    page = client.get("/factures/emises/").content.decode()
    assert str(S.MISE_A_DISPOSITION_MOE.label) not in page
    assert str(S.MISE_EN_PAIEMENT.label) in page


def _piece_invoice(supplier, recipient, number, **fields) -> Invoice:
    return Invoice.objects.create(
        supplier=supplier, recipient=recipient, number=number, number_year=2026,
        mode_depot=ModeDepot.SAISIE_PORTAIL,
        type_demande_paiement=TypeDemandePaiement.FACTURE_TRAVAUX, **fields)


def test_the_longest_cadre_and_status_fit_and_move_by_the_table(supplier, recipient):
    with transaction.atomic():
        invoice = _piece_invoice(supplier, recipient, "PDG-2026-01",
                                 cadre=TravauxCadre.A22, status=S.BROUILLON)
        lifecycle.transition(invoice, S.MISE_A_DISPOSITION_MOE, role=Role.SUPPLIER)
        lifecycle.transition(invoice, S.ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE,
                             role=Role.SYSTEM)
    invoice.refresh_from_db()
    assert invoice.cadre == TravauxCadre.A22.value and len(invoice.cadre) > 40
    assert invoice.status == S.ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE
    assert invoice.history.order_by("pk").last().previous == S.MISE_A_DISPOSITION_MOE
    # The MOE's moves are not the supplier's: refused, nothing changed.
    with transaction.atomic(), pytest.raises(errors.TransitionRefused):
        lifecycle.transition(invoice, S.ASSOCIEE, role=Role.SUPPLIER)
    invoice.refresh_from_db()
    assert invoice.status == S.ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE


def test_a_dossier_keeps_its_pieces_in_their_places(supplier, recipient):
    with transaction.atomic():
        dossier = Dossier.objects.create(number="DF2026000001", kind=Dossier.Kind.MENSUEL,
                                         supplier=supplier, moa=recipient,
                                         next_actor=Actor.MOE, due_at=clock.now())
        first = _piece_invoice(supplier, recipient, "PDM-1", cadre=TravauxCadre.A4)
        Piece.objects.create(invoice=first, dossier=dossier, position=1,
                             kind=TypeFactureTravaux.PROJET_DECOMPTE_MENSUEL,
                             depositor=supplier, depositor_role=Actor.FOURNISSEUR)
    second = _piece_invoice(supplier, recipient, "EA-1", cadre=TravauxCadre.A15)
    with pytest.raises(IntegrityError), transaction.atomic():
        Piece.objects.create(invoice=second, dossier=dossier, position=1,
                             kind=TypeFactureTravaux.ETAT_ACOMPTE, depositor=recipient,
                             depositor_role=Actor.MOE)
    assert [p.invoice.number for p in dossier.pieces.all()] == ["PDM-1"]
