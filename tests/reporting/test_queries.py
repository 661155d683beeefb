"""The dashboards' figures on the generated world (conftest.py), with the values worked out
by hand; the scope (another structure's invoices never counted, forged ids refused as not
found) and bad filters (coded REPORT_* errors)."""

from datetime import date
from decimal import Decimal

import pytest

from choeur.invoicing.models import Invoice
from choeur.invoicing.statuses import Status
from choeur.organisations.models import Espace, Habilitation, Rattachement
from choeur.reporting import errors, queries
from tests.organisations.conftest import make_user

pytestmark = pytest.mark.django_db

Q1 = {"start": "2026-01-01", "end": "2026-03-31"}


def recipient_filters(user, **kw):
    return queries.filters(user, queries.RECIPIENT, **{**Q1, **kw})


def test_volumes_per_month(world, recipient_user):
    f = recipient_filters(recipient_user)
    assert queries.volumes(recipient_user, f) == [
        {"month": date(2026, 1, 1), "count": 2, "amount": Decimal("300.00")},
        {"month": date(2026, 2, 1), "count": 1, "amount": Decimal("300.00")},
        {"month": date(2026, 3, 1), "count": 2, "amount": Decimal("900.00")},
    ]


def test_a_month_without_invoices_shows_zero(world, recipient_user):
    f = recipient_filters(recipient_user, start="2026-03-01", end="2026-05-31")
    assert [(r["month"].month, r["count"]) for r in queries.volumes(recipient_user, f)] == [
        (3, 2), (4, 0), (5, 0)]  # the DEPOSEE invoice of April is not the recipient's yet


def test_processing_time_medians(world, recipient_user):
    f = recipient_filters(recipient_user)
    # Deposit → MISE_A_DISPOSITION: 1, 2, 1, 3, 1 days; → first action: service fait (3),
    # rejet (4), suspension (2), rejet (1.5), none for the 4th; → payment: 10 and 20.
    assert queries.processing_times(recipient_user, f) == [
        {"step": "mise_a_disposition", "count": 5, "median_days": 1.0},
        {"step": "premiere_action", "count": 4, "median_days": 2.5},
        {"step": "mise_en_paiement", "count": 2, "median_days": 15.0},
    ]


def test_rejection_and_suspension_rates_by_reason(world, recipient_user):
    f = recipient_filters(recipient_user)
    rates = queries.rejection_rates(recipient_user, f)
    assert rates["total"] == 5
    # Two rejections with the same reason once spaces are folded; the other recipient's
    # « Motif secret » never appears.
    assert rates["statuses"][Status.REJETEE] == {
        "count": 2, "rate": 40.0,
        "reasons": [{"reason": "Numéro d'engagement absent", "count": 2, "rate": 40.0}]}
    assert rates["statuses"][Status.SUSPENDUE] == {
        "count": 1, "rate": 20.0,
        "reasons": [{"reason": "Pièce manquante", "count": 1, "rate": 20.0}]}


def test_service_and_supplier_filters(world, recipient_user):
    f = recipient_filters(recipient_user, service=str(world.compta.pk))
    assert [(r["count"], r["amount"]) for r in queries.volumes(recipient_user, f)] == [
        (1, Decimal("100.00")), (1, Decimal("300.00")), (1, Decimal("400.00"))]
    f = recipient_filters(recipient_user, partner=world.supplier2.identifier)
    assert [r["count"] for r in queries.volumes(recipient_user, f)] == [0, 1, 1]
    assert queries.rejection_rates(recipient_user, f)["statuses"][Status.REJETEE]["rate"] == 50.0


def test_supplier_figures(world, supplier_user):
    f = queries.filters(supplier_user, queries.SUPPLIER, start="2026-01-01", end="2026-04-30")
    assert [(r["status"], r["count"], r["amount"]) for r in queries.by_status(supplier_user, f)] \
        == [(Status.REJETEE, 2, Decimal("7977.00")), (Status.DEPOSEE, 1, Decimal("50.00")),
            (Status.MISE_A_DISPOSITION, 1, Decimal("400.00")),
            (Status.MISE_EN_PAIEMENT, 1, Decimal("100.00"))]
    # Only its own paid invoice (10 days); the titulaire's (20 days) is not its own.
    assert queries.payment_times(supplier_user, f) == [
        {"recipient": world.recipient.company_name, "identifier": world.recipient.identifier,
         "count": 1, "mean_days": 10.0}]


def test_supplier_filtered_by_recipient(world, supplier_user):
    f = queries.filters(supplier_user, queries.SUPPLIER, start="2026-01-01", end="2026-04-30",
                        partner=world.other_recipient.identifier)
    assert [(r["status"], r["count"]) for r in queries.by_status(supplier_user, f)] == [
        (Status.REJETEE, 1)]
    assert queries.payment_times(supplier_user, f) == []


def test_default_period_is_the_last_twelve_months(world, recipient_user):
    f = queries.filters(recipient_user, queries.RECIPIENT)
    assert (f.start, f.end) == (date(2025, 7, 1), date(2026, 6, 15))
    assert len(queries.volumes(recipient_user, f)) == 12


@pytest.mark.skipif(not queries.has_payment_dates(),
                    reason="Invoice.payment_due_on / paid_at come with invoicing/delays.py")
def test_late_payments(world, recipient_user):
    from datetime import UTC, datetime

    inv = world.invoices
    Invoice.objects.filter(pk=inv[1].pk).update(
        payment_due_on=date(2026, 1, 15), paid_at=datetime(2026, 1, 20, 10, tzinfo=UTC))
    Invoice.objects.filter(pk=inv[3].pk).update(
        payment_due_on=date(2026, 3, 10), paid_at=datetime(2026, 2, 25, 10, tzinfo=UTC))
    Invoice.objects.filter(pk=inv[4].pk).update(payment_due_on=date(2026, 4, 2))
    Invoice.objects.filter(pk=inv[2].pk).update(payment_due_on=date(2026, 2, 19))  # rejected
    f = recipient_filters(recipient_user)
    assert queries.late_payments(recipient_user, f) == {
        "paid_late": {"count": 1, "amount": Decimal("100.00"), "mean_days": 5.0,
                      "max_days": 5},
        "unpaid_overdue": {"count": 1, "amount": Decimal("400.00"), "mean_days": 74.0,
                           "max_days": 74}}


def test_late_payments_wait_for_the_payment_dates(world, recipient_user):
    if queries.has_payment_dates():
        pytest.skip("the payment dates are there: test_late_payments covers them")
    assert queries.late_payments(recipient_user, recipient_filters(recipient_user)) is None


# --- Scope -------------------------------------------------------------------------------

def test_another_recipients_structure_is_not_found(world, recipient_user):
    with pytest.raises(errors.FilterNotFound):
        recipient_filters(recipient_user, structure=str(world.other_recipient.pk))
    with pytest.raises(errors.FilterNotFound):
        recipient_filters(recipient_user, structure="999999")


def test_a_supplier_has_no_recipient_dashboard_of_its_customer(world, supplier_user):
    with pytest.raises(errors.FilterNotFound):
        queries.filters(supplier_user, queries.RECIPIENT, structure=str(world.recipient.pk),
                        **Q1)


def test_forged_service_and_partner_are_not_found(world, recipient_user, other_recipient):
    other_service = other_recipient.services.first()
    for kw in ({"service": str(other_service.pk)}, {"service": "abc"},
               {"partner": other_recipient.identifier},  # no invoice of it to this recipient
               {"partner": "00000000000000"}):
        with pytest.raises(errors.FilterNotFound) as caught:
            recipient_filters(recipient_user, **kw)
        assert caught.value.http_status == 404


def test_a_user_limited_to_a_service_counts_that_service_only(world, recipient_user):
    clerk = make_user("achats@drfip.gouv.fr")
    rattachement = Rattachement.objects.create(
        user=clerk, structure=world.recipient, status=Rattachement.Status.VALIDEE,
        role=Rattachement.Role.UTILISATEUR)
    rattachement.services.set([world.achats])
    Habilitation.objects.create(rattachement=rattachement, espace=Espace.FACTURES_RECUES,
                                mode="CONSULTATION")
    f = recipient_filters(clerk)
    assert [r["count"] for r in queries.volumes(clerk, f)] == [1, 0, 1]  # invoices 2 and 5
    assert [s.code for s in queries.services(clerk, world.recipient, queries.RECIPIENT)] == [
        "ACHATS"]
    with pytest.raises(errors.FilterNotFound):
        recipient_filters(clerk, service=str(world.compta.pk))


# --- Bad filters -------------------------------------------------------------------------

@pytest.mark.parametrize(("kw", "error"), [
    ({"start": "2026-04-01", "end": "2026-03-01"}, errors.PeriodInverted),
    ({"start": "01/03/2026"}, errors.DateInvalid),
    ({"end": "2026-02-30"}, errors.DateInvalid),
    ({"start": "2026-1-1"}, errors.DateInvalid),
    ({"start": "2020-01-01", "end": "2026-01-01"}, errors.PeriodTooLong),
])
def test_bad_periods_are_refused_with_a_code(world, recipient_user, kw, error):
    with pytest.raises(error) as caught:
        queries.filters(recipient_user, queries.RECIPIENT, **kw)
    assert caught.value.code.startswith("REPORT_")
    assert caught.value.message("fr") and caught.value.message("en")
