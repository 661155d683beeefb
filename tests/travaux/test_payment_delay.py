"""The délai global de paiement of a works piece (invoicing/delays.py) runs from the instant
the supplier's projet de décompte was made available to the maître d'œuvre, not from the
deposit of the piece that reaches the paying service (reference §2.4)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from choeur.core import clock
from choeur.invoicing import delays
from choeur.invoicing.models import Invoice
from choeur.invoicing.statuses import Status
from choeur.travaux import services
from choeur.travaux.models import Dossier
from tests.travaux.test_monthly import _admitted, _claim, _in_tx

pytestmark = pytest.mark.django_db


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=clock.PARIS)


def test_a_works_piece_runs_from_the_projet_s_availability_to_the_moe(
        works, supplier_user, titulaire_user, recipient_user, bank_account, run_tasks):
    supplier, moe, _moa = works
    with clock.frozen(at(date(2026, 3, 2))):
        projet = _in_tx(services.deposit_projet_decompte, supplier_user, supplier,
                        _claim(bank_account), moe_identifier=moe.identifier)
    assert Dossier.objects.get(pk=projet.dossier_id).payment_delay_from == at(date(2026, 3, 2))
    # The projet itself, between the supplier and the MOE, owes nothing yet.
    projet.invoice.refresh_from_db()
    assert projet.invoice.payment_due_on is None and delays.clock_of(projet.invoice) is None
    with clock.frozen(at(date(2026, 3, 6))):
        _in_tx(services.deposit_etat_acompte, titulaire_user, projet.dossier_id,
               _admitted("9000"))
    with clock.frozen(at(date(2026, 3, 12))):
        valide = _in_tx(services.validate_etat_acompte, recipient_user, projet.dossier_id,
                        _admitted("9000"))
        run_tasks()
    invoice = Invoice.objects.get(pk=valide.invoice_id)
    assert invoice.status == Status.MISE_A_DISPOSITION
    assert invoice.deposited_at == at(date(2026, 3, 12))
    # 30 days from 2 March (the projet at the MOE), not from 12 March (the A19's deposit).
    assert invoice.payment_due_on == date(2026, 4, 1)
    state = delays.clock_of(invoice)
    assert state.start_kind == delays.START_MOE and state.start == at(date(2026, 3, 2))
    assert state.days_late(date(2026, 4, 11)) == 10
