"""The délai global de paiement (invoicing/delays.py) and the late-payment interest
(invoicing/interest.py), driven by the clock service: a suspension in the middle, each
recipient category, the interest across a change of ECB rate, the administrators' rate table
refusing gaps and overlaps without changing anything, the recipient's category kept by its
gestionnaire principal only."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest

from choeur.core import clock
from choeur.core.errors import PermissionRefused
from choeur.invoicing import delays, errors, interest, services
from choeur.invoicing.models import Cadre, InterestRate, Invoice, ModeDepot
from choeur.invoicing.statuses import Status
from choeur.organisations import errors as org_errors
from choeur.organisations import recipients
from choeur.organisations import services as org
from choeur.organisations.models import Rattachement, Structure
from tests.invoicing.conftest import invoice_data, pdf_bytes, run
from tests.invoicing.test_services import routed
from tests.organisations.conftest import make_user

pytestmark = pytest.mark.django_db


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=clock.PARIS)


def deposit(user, supplier, bank_account, day: date, **overrides) -> Invoice:
    with clock.frozen(at(day)):
        data = invoice_data(bank_account_id=bank_account.pk, **overrides)
        invoice = run(services.deposit, user, supplier, data,
                      mode_depot=ModeDepot.DEPOT_PDF_PORTAIL, document=("facture.pdf", pdf_bytes()))
        return routed(invoice)


def process(user, invoice, day: date, target, comment="", mandate=""):
    with clock.frozen(at(day)):
        run(services.process, user, invoice, target, comment, mandate)
    invoice.refresh_from_db()
    return invoice


def pay(user, invoice, day: date):
    process(user, invoice, day, Status.SERVICE_FAIT)
    process(user, invoice, day, Status.MANDATEE, mandate="M-1")
    return process(user, invoice, day, Status.MISE_EN_PAIEMENT)


def seed(*periods):
    InterestRate.objects.all().delete()
    InterestRate.objects.bulk_create([
        InterestRate(valid_from=start, valid_until=end, ecb_rate=D(rate))
        for start, end, rate in periods])


def set_category(recipient, category):
    Structure.objects.filter(pk=recipient.pk).update(payment_category=category)
    recipient.refresh_from_db()


# --- The clock ----------------------------------------------------------------------------------


def test_a_suspension_in_the_middle_stops_the_clock_and_opens_a_new_delay(
        supplier_user, supplier, bank_account, recipient, recipient_user):
    deposited = date(2026, 3, 2)
    invoice = deposit(supplier_user, supplier, bank_account, deposited)
    assert invoice.status == Status.MISE_A_DISPOSITION
    assert invoice.payment_delay_days == 30
    assert invoice.payment_due_on == date(2026, 4, 1)  # 2 March + 30 days
    assert invoice.paid_at is None

    # Day 10: suspended, 20 days were left. The clock stops: no due date.
    invoice = process(recipient_user, invoice, date(2026, 3, 12), Status.SUSPENDUE,
                      "Il manque le bon de livraison.")
    assert invoice.payment_due_on is None
    state = delays.clock_of(invoice)
    assert state.suspended and state.suspension.remaining_days == 20
    assert state.days_late(date(2026, 6, 1)) == 0  # stopped: never late while suspended

    # Completed on 20 March: R2192-29, a new délai of max(30, 20) = 30 days from then.
    with clock.frozen(at(date(2026, 3, 20))):
        run(services.complete, supplier_user, invoice, "Voici le bon de livraison")
    invoice.refresh_from_db()
    assert invoice.payment_due_on == date(2026, 4, 19)
    state = delays.clock_of(invoice)
    assert state.suspension.new_delay_days == 30
    assert state.days_remaining(date(2026, 4, 9)) == 10

    # A second suspension does not interrupt the délai again (R2192-27: once only).
    invoice = process(recipient_user, invoice, date(2026, 4, 1), Status.SUSPENDUE, "Encore ?")
    assert invoice.payment_due_on == date(2026, 4, 19)
    with clock.frozen(at(date(2026, 4, 2))):
        run(services.complete, supplier_user, invoice, "Voilà")
    invoice.refresh_from_db()
    assert invoice.payment_due_on == date(2026, 4, 19)

    # Put en paiement on 24 April: 5 days late, ended at the MISE_EN_PAIEMENT's instant.
    invoice = pay(recipient_user, invoice, date(2026, 4, 24))
    assert invoice.paid_at == at(date(2026, 4, 24))
    assert invoice.payment_due_on == date(2026, 4, 19)
    state = delays.clock_of(invoice)
    assert state.days_late(date(2026, 12, 1)) == 5  # stopped at the payment, not today


def test_the_new_delay_keeps_a_longer_balance(supplier_user, supplier, bank_account, recipient,
                                              recipient_user):
    set_category(recipient, "ENTREPRISE_PUBLIQUE")
    invoice = deposit(supplier_user, supplier, bank_account, date(2026, 1, 5))
    assert invoice.payment_due_on == date(2026, 3, 6)  # 60 days
    invoice = process(recipient_user, invoice, date(2026, 1, 15), Status.SUSPENDUE, "Pièce ?")
    with clock.frozen(at(date(2026, 2, 1))):
        run(services.complete, supplier_user, invoice, "Pièce jointe")
    invoice.refresh_from_db()
    # 50 days were left on 15 January: more than 30, so 50 days from 1 February.
    assert invoice.payment_due_on == date(2026, 3, 23)


def test_a_suspension_after_expiry_interrupts_nothing():
    start = at(date(2026, 1, 5))
    state = delays.compute(start, 30, [(Status.SUSPENDUE, at(date(2026, 2, 10))),
                                      (Status.COMPLETEE, at(date(2026, 2, 12)))])
    assert state.due_on == date(2026, 2, 4)
    assert not state.suspension.effective
    assert state.days_late(date(2026, 2, 14)) == 10


@pytest.mark.parametrize(("category", "days"), [
    ("ETAT", 30), ("COLLECTIVITE", 30), ("ETABLISSEMENT_PUBLIC", 30),
    ("ETABLISSEMENT_SANTE", 50), ("ENTREPRISE_PUBLIQUE", 60)])
def test_each_category_has_its_delay(supplier_user, supplier, bank_account, recipient,
                                     category, days):
    set_category(recipient, category)
    invoice = deposit(supplier_user, supplier, bank_account, date(2026, 5, 4))
    assert invoice.payment_delay_days == days
    assert invoice.payment_due_on == date(2026, 5, 4) + timedelta(days=days)


def test_the_delay_is_fixed_at_the_deposit(supplier_user, supplier, bank_account, recipient,
                                           recipient_user):
    invoice = deposit(supplier_user, supplier, bank_account, date(2026, 5, 4))
    set_category(recipient, "ENTREPRISE_PUBLIQUE")
    invoice = process(recipient_user, invoice, date(2026, 5, 6), Status.SUSPENDUE, "Pièce ?")
    with clock.frozen(at(date(2026, 5, 8))):
        run(services.complete, supplier_user, invoice, "Pièce jointe")
    invoice.refresh_from_db()
    assert invoice.payment_delay_days == 30
    assert invoice.payment_due_on == date(2026, 6, 7)  # 28 days left → 30 from 8 May


def test_no_delay_without_a_debt(supplier_user, supplier, bank_account, recipient,
                                 recipient_user):
    paid_already = deposit(supplier_user, supplier, bank_account, date(2026, 5, 4),
                           number="FA-A2", cadre=Cadre.A2)
    assert paid_already.payment_due_on is None and paid_already.payment_delay_days is None
    rejected = deposit(supplier_user, supplier, bank_account, date(2026, 5, 4), number="FA-R")
    assert rejected.payment_due_on is not None
    rejected = process(recipient_user, rejected, date(2026, 5, 5), Status.REJETEE, "Doublon")
    assert rejected.payment_due_on is None and delays.clock_of(rejected) is None


# --- Interest -----------------------------------------------------------------------------------


def test_the_interest_takes_the_rate_of_the_half_year_it_started_in(
        supplier_user, supplier, bank_account, recipient, recipient_user):
    seed((date(2025, 1, 1), date(2025, 6, 30), "3.15"), (date(2025, 7, 1), None, "2.15"))
    invoice = deposit(supplier_user, supplier, bank_account, date(2025, 5, 21))
    assert invoice.payment_due_on == date(2025, 6, 20)
    Invoice.objects.filter(pk=invoice.pk).update(amount_due=D("10000"))
    invoice = pay(recipient_user, invoice, date(2025, 7, 20))
    late = interest.late_payment(invoice, delays.clock_of(invoice), date(2025, 12, 1))
    # Interest runs from 21 June (first half of 2025): 3.15 % + 8 for the whole 30 days,
    # though July's rate is lower (R2192-31).
    assert (late.days_late, late.interest_from, late.semester_start) == (
        30, date(2025, 6, 21), date(2025, 1, 1))
    assert late.ecb_rate == D("3.15") and late.rate == D("11.15")
    assert late.interest == D("91.64")  # 10 000 × 11.15 % × 30 / 365 = 91.6438…
    assert late.indemnity == D("40.00") and late.total == D("131.64")
    assert not late.provisional
    text = " ".join(late.steps)
    assert "11,15 %" in text and "30 / 365" in text and "R2192-31" in text
    assert "40,00" in text and "D2192-35" in text

    # Due on the last day of June: interest from 1 July, the second half's rate.
    state = delays.compute(at(date(2025, 5, 31)), 30, [])
    assert state.due_on == date(2025, 6, 30)
    late = interest.late_payment(invoice, state, date(2025, 7, 30))
    assert late.semester_start == date(2025, 7, 1) and late.rate == D("10.15")
    assert late.provisional and late.days_late == 30
    assert late.interest == D("83.42")  # 10 000 × 10.15 % × 30 / 365 = 83.4246…


def test_an_invoice_in_another_currency_has_no_total(
        supplier_user, supplier, bank_account, recipient, recipient_user):
    """The 40 € indemnity is in euros whatever the invoice's currency: interest in dollars
    and indemnity in euros are shown apart, never added up."""
    from django.template.loader import render_to_string
    from django.utils import translation

    seed((date(2025, 1, 1), date(2025, 6, 30), "3.15"), (date(2025, 7, 1), None, "2.15"))
    invoice = deposit(supplier_user, supplier, bank_account, date(2025, 5, 21))
    Invoice.objects.filter(pk=invoice.pk).update(amount_due=D("10000"), currency="USD")
    invoice = pay(recipient_user, invoice, date(2025, 7, 20))
    payment = delays.clock_of(invoice)
    with translation.override("fr"):
        late = interest.late_payment(invoice, payment, date(2025, 12, 1))
        assert late.currency == "USD" and late.interest == D("91.64")
        assert late.indemnity == D("40.00") and late.total is None
        last = late.steps[-1]
        assert "91,64\xa0USD" in last and "40,00\xa0€" in last
        assert "131" not in " ".join(late.steps) and "Total" not in last
        html = render_to_string("invoicing/_payment_delay.html", {"payment": {
            "clock": payment, "late": late, "days_late": late.days_late, "category": "x"}})
    assert 'data-testid="late-apart"' in html and 'data-testid="late-total"' not in html
    assert "131" not in html

    # In euros, the one amount stays.
    Invoice.objects.filter(pk=invoice.pk).update(currency="EUR")
    invoice.refresh_from_db()
    with translation.override("fr"):
        late = interest.late_payment(invoice, payment, date(2025, 12, 1))
        html = render_to_string("invoicing/_payment_delay.html", {"payment": {
            "clock": payment, "late": late, "days_late": late.days_late, "category": "x"}})
    assert late.total == D("131.64") and 'data-testid="late-total"' in html
    assert "Total dû au titre du retard : 131,64" in late.steps[-1]


def test_an_unpaid_invoice_is_late_today_and_its_figures_grow(
        supplier_user, supplier, bank_account, recipient):
    seed((date(2026, 1, 1), None, "2.15"))
    invoice = deposit(supplier_user, supplier, bank_account, date(2026, 2, 2))
    state = delays.clock_of(invoice)
    assert state.days_remaining(date(2026, 2, 22)) == 10
    assert interest.late_payment(invoice, state, date(2026, 3, 4)) is None  # due day itself
    first = interest.late_payment(invoice, state, date(2026, 3, 5))
    later = interest.late_payment(invoice, state, date(2026, 3, 25))
    assert (first.days_late, later.days_late) == (1, 21)
    assert later.interest > first.interest and later.provisional


def test_without_a_rate_the_interest_is_not_invented(supplier_user, supplier, bank_account,
                                                     recipient):
    seed((date(2026, 1, 1), date(2026, 6, 30), "2.15"))
    invoice = deposit(supplier_user, supplier, bank_account, date(2026, 6, 15))
    late = interest.late_payment(invoice, delays.clock_of(invoice), date(2026, 8, 1))
    assert late.rate is None and late.interest is None
    assert late.total == D("40.00")
    assert any("ne donne pas le taux" in step for step in late.steps)


def test_the_seeded_table_has_the_ecb_rates(db):
    # Migration 0010's data: the first day of each half-year, 2019 to mid-2026, no gap.
    rows = interest.table()
    if not rows:
        pytest.skip("the test database was built without migrations")
    interest.check_table([interest.Period(r.valid_from, r.valid_until, r.ecb_rate)
                          for r in rows])
    assert interest.rate_on(date(2024, 1, 1)).ecb_rate == D("4.5")
    assert interest.rate_on(date(2024, 7, 1)).ecb_rate == D("4.25")
    assert interest.rate_on(date(2022, 7, 1)).ecb_rate == D("0")
    assert interest.rate_on(date(2023, 1, 1)).ecb_rate == D("2.5")


# --- The rate table -----------------------------------------------------------------------------


GOOD = """2025-01-01 ; 2025-06-30 ; 3,15
2025-07-01 ; 2025-12-31 ; 2.15 %
01/01/2026 ; ; 2,15"""


@pytest.mark.parametrize(("text", "code"), [
    ("2025-01-01 ; 2025-06-30 ; 3,15\n2025-08-01 ; ; 2,15", "INV_RATE_TABLE_GAP"),
    ("2025-01-01 ; 2025-07-31 ; 3,15\n2025-07-01 ; ; 2,15", "INV_RATE_TABLE_OVERLAP"),
    ("2025-01-01 ; ; 3,15\n2025-07-01 ; ; 2,15", "INV_RATE_TABLE_OPEN_ENDED"),
    ("2025-01-01 ; ; 3,15\n2025-01-01 ; 2025-06-30 ; 2,15", "INV_RATE_TABLE_OVERLAP"),
    ("2025-07-01 ; 2025-01-01 ; 3,15", "INV_RATE_TABLE_PERIOD"),
    ("2025-01-01 ; ; 315", "INV_RATE_TABLE_RATE"),
    ("2025-01-01 ; ; trois", "INV_RATE_TABLE_UNREADABLE"),
    ("2025-02-30 ; ; 3", "INV_RATE_TABLE_UNREADABLE"),
    ("2025-01-01 ; 3,15", "INV_RATE_TABLE_UNREADABLE"),
])
def test_a_bad_table_is_refused_and_nothing_changes(platform_admin, text, code):
    run(interest.replace_table, platform_admin, interest.parse_table(GOOD))
    before = interest.table_text()
    with pytest.raises(errors.InvoicingError) as refused:
        run(lambda: interest.replace_table(platform_admin, interest.parse_table(text)))
    assert refused.value.code == code
    assert refused.value.message_fr and refused.value.message_en
    assert interest.table_text() == before


def test_only_a_platform_administrator_keeps_the_table(platform_admin, supplier_user):
    with pytest.raises(PermissionRefused):
        run(interest.replace_table, supplier_user, interest.parse_table(GOOD))
    rows = run(interest.replace_table, platform_admin, interest.parse_table(GOOD))
    assert [(r.valid_from, r.valid_until, r.ecb_rate) for r in rows] == [
        (date(2025, 1, 1), date(2025, 6, 30), D("3.15")),
        (date(2025, 7, 1), date(2025, 12, 31), D("2.15")),
        (date(2026, 1, 1), None, D("2.15"))]
    assert interest.parse_table(interest.table_text()) == interest.parse_table(GOOD)


def test_the_rate_page(client, platform_admin, supplier_user):
    client.force_login(supplier_user)
    assert client.get("/administration/taux-bce/").status_code == 403
    client.force_login(platform_admin)
    assert client.get("/administration/taux-bce/").status_code == 200
    answer = client.post("/administration/taux-bce/", {"table": GOOD})
    assert answer.status_code == 302 and InterestRate.objects.count() == 3
    answer = client.post("/administration/taux-bce/",
                         {"table": "2025-01-01 ; 2025-06-30 ; 3\n2025-09-01 ; ; 2"})
    assert answer.status_code == 400
    assert "INV_RATE_TABLE_GAP" in answer.content.decode()
    assert InterestRate.objects.count() == 3


# --- The recipient's category -------------------------------------------------------------------


def test_the_category_is_the_gestionnaire_principal_s(recipient, recipient_user, supplier,
                                                      supplier_user, platform_admin):
    run(org.update_structure, recipient_user, recipient,
        {"payment_category": "ETABLISSEMENT_SANTE"})
    recipient.refresh_from_db()
    assert recipient.payment_category == "ETABLISSEMENT_SANTE"
    with pytest.raises(org_errors.PaymentCategoryInvalid):
        run(org.update_structure, recipient_user, recipient, {"payment_category": "ROI"})
    # A mere gestionnaire may not change it.
    other = make_user("gestionnaire2@drfip.gouv.fr")
    run(org._attach, None, recipient, other, Rattachement.Role.GESTIONNAIRE, services=())
    with pytest.raises(PermissionRefused):
        run(org.update_structure, other, recipient, {"payment_category": "ETAT"})
    # A private structure has none.
    with pytest.raises(org_errors.PaymentCategoryPublicOnly):
        run(org.update_structure, supplier_user, supplier,
            {"payment_category": "ENTREPRISE_PUBLIQUE"})
    # The platform administrator sets it too.
    run(recipients.update, platform_admin, recipient, {"payment_category": "COLLECTIVITE"})
    recipient.refresh_from_db()
    assert recipient.payment_category == "COLLECTIVITE"
    assert Structure.objects.get(pk=supplier.pk).payment_category == "ETAT"


def test_the_category_on_the_structure_pages(client, recipient, recipient_user):
    client.force_login(recipient_user)
    page = client.get(f"/structures/{recipient.pk}/").content.decode()
    assert "30 jours" in page
    answer = client.post(f"/structures/{recipient.pk}/modifier/", {
        "company_name": recipient.company_name, "country": "FR",
        "payment_category": "ETABLISSEMENT_SANTE"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    recipient.refresh_from_db()
    assert recipient.payment_category == "ETABLISSEMENT_SANTE"
    assert "50 jours" in client.get(f"/structures/{recipient.pk}/").content.decode()
