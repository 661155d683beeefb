"""The délai de paiement on an invoice's page, both sides, in a real chromium: an invoice
suspended then completed, put en paiement 10 days late; the supplier (Factures émises) and the
recipient (Factures reçues) each see the due date, the suspension, the lateness, and the
intérêts moratoires with the indemnity and the calculation in words. A second invoice, not late,
shows the days remaining."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from choeur.core import clock
from choeur.invoicing import services
from choeur.invoicing.models import InterestRate, Invoice, ModeDepot
from choeur.invoicing.statuses import Status
from tests.conftest import PASSWORD
from tests.organisations.test_browser_organisation import log_in, log_out
from tests.web.screens import shoot

from .conftest import invoice_data, pdf_bytes, run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=clock.PARIS)


def _late_invoice(run_tasks, supplier_user, supplier, bank_account, recipient_user) -> Invoice:
    InterestRate.objects.all().delete()
    InterestRate.objects.create(valid_from=date(2026, 1, 1), valid_until=None,
                                ecb_rate=Decimal("2.15"))
    with clock.frozen(at(date(2026, 3, 2))):
        invoice = run(services.deposit, supplier_user, supplier,
                      invoice_data(bank_account_id=bank_account.pk, number="FA-RETARD-1"),
                      mode_depot=ModeDepot.DEPOT_PDF_PORTAIL,
                      document=("facture.pdf", pdf_bytes()))
        run_tasks()
    Invoice.objects.filter(pk=invoice.pk).update(amount_due=Decimal("10000"))
    invoice.refresh_from_db()
    steps = [(date(2026, 3, 12), Status.SUSPENDUE, "Il manque le bon de livraison.")]
    for day, target, comment in steps:
        with clock.frozen(at(day)):
            run(services.process, recipient_user, invoice, target, comment)
    with clock.frozen(at(date(2026, 3, 20))):
        run(services.complete, supplier_user, invoice, "Bon de livraison joint")
    for day, target, mandate in ((date(2026, 4, 25), Status.SERVICE_FAIT, ""),
                                 (date(2026, 4, 28), Status.MANDATEE, "M-7"),
                                 (date(2026, 4, 29), Status.MISE_EN_PAIEMENT, "")):
        with clock.frozen(at(day)):
            run(services.process, recipient_user, invoice, target, "", mandate)
    invoice.refresh_from_db()
    assert invoice.payment_due_on == date(2026, 4, 19) and invoice.paid_at is not None
    return invoice


def _check_block(page):
    block = page.get_by_test_id("payment-delay")
    expect(block).to_be_visible()
    expect(block.get_by_role("heading", name="Délai de paiement")).to_be_visible()
    expect(page.get_by_test_id("payment-due")).to_have_text("19/04/2026")
    expect(page.get_by_test_id("payment-suspension")).to_contain_text(
        "Délai interrompu le 12/03/2026 (il restait 20 jour(s))")
    expect(page.get_by_test_id("payment-suspension")).to_contain_text("R2192-29")
    expect(page.get_by_test_id("payment-state")).to_have_text("Payée avec 10 jours de retard")
    late = page.get_by_test_id("late-interest")
    expect(late).to_contain_text("27,81")  # 10 000 × 10,15 % × 10 / 365
    expect(late).to_contain_text("40,00")
    expect(late).to_contain_text("67,81")
    steps = page.get_by_test_id("late-steps")
    expect(steps).to_contain_text("taux de 10,15 % pour tout le retard")
    expect(steps).to_contain_text("× 10 / 365 = 27,81")
    expect(steps).to_contain_text("45 jours")


def test_the_late_invoice_on_both_sides(page, run_tasks, supplier_user, supplier, bank_account,
                                        recipient, recipient_user):
    invoice = _late_invoice(run_tasks, supplier_user, supplier, bank_account, recipient_user)
    with clock.frozen(clock.now()):
        on_time = run(services.deposit, supplier_user, supplier,
                      invoice_data(bank_account_id=bank_account.pk, number="FA-ATEMPS-1"),
                      mode_depot=ModeDepot.DEPOT_PDF_PORTAIL,
                      document=("facture.pdf", pdf_bytes()))
        run_tasks()

    # The supplier's page (Factures émises).
    log_in(page, supplier_user.email, PASSWORD)
    page.goto(f"/factures/emises/{invoice.pk}/")
    _check_block(page)
    shoot(page, "payment-delay-supplier")
    page.goto(f"/factures/emises/{on_time.pk}/")
    expect(page.get_by_test_id("payment-state")).to_have_text("Il reste 30 jours")
    expect(page.get_by_test_id("late-interest")).to_have_count(0)
    log_out(page)

    # The recipient's page (Factures reçues): the same figures.
    log_in(page, recipient_user.email, PASSWORD)
    page.goto(f"/factures/recues/{invoice.pk}/")
    _check_block(page)
    shoot(page, "payment-delay-recipient")
