"""The dashboards' rollup (reporting/facts.py): an invoice's facts follow it through its life
as the lifecycle moves it (deposit, made available, suspended, completed, paid; rejected),
always equal to the facts built again from its fields and history; a batch
(`lifecycle.create_many`) writes one row per invoice in one insert; other writes of the
fields the facts copy (a service reassigned, an amount corrected) reach them; the migration's
backfill builds them for the invoices already there; and the figures never count another
structure's invoices."""

from __future__ import annotations

import importlib
from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from choeur.core import clock
from choeur.invoicing import lifecycle
from choeur.invoicing.models import Invoice, StatusChange
from choeur.invoicing.statuses import Role, Status
from choeur.reporting import facts, queries
from choeur.reporting.models import InvoiceFacts
from tests.invoicing.test_delays import at, deposit, pay, process
from tests.reporting.conftest import make_invoice

pytestmark = pytest.mark.django_db

COMPARED = [name for name in facts.FIELDS]


def row(invoice) -> dict:
    return InvoiceFacts.objects.filter(pk=invoice.pk).values(*COMPARED).get()


def assert_fresh(invoice) -> dict:
    """The stored facts are those built again from the invoice's fields and history."""
    stored = row(invoice)
    with transaction.atomic():
        facts.refresh([invoice.pk])
        rebuilt = row(invoice)
        transaction.set_rollback(True)
    assert stored == rebuilt
    return stored


def test_the_facts_follow_an_invoice_through_its_life(supplier_user, supplier, bank_account,
                                                      recipient, recipient_user):
    deposited = date(2026, 3, 2)
    invoice = deposit(supplier_user, supplier, bank_account, deposited)
    assert invoice.status == Status.MISE_A_DISPOSITION
    f = assert_fresh(invoice)
    assert (f["status"], f["recipient_id"], f["supplier_id"]) == (
        Status.MISE_A_DISPOSITION, recipient.pk, supplier.pk)
    assert f["recipient_service_id"] == invoice.recipient_service_id is not None
    assert f["deposited_at"] == invoice.deposited_at
    assert f["deposit_month"] == date(2026, 3, 1)
    assert f["total_ttc"] == invoice.total_ttc and f["amount_due"] == invoice.amount_due
    assert f["made_available_at"] is not None and f["days_to_available"] is not None
    assert f["payment_due_on"] == date(2026, 4, 1)  # written by lifecycle's update (delays)
    assert (f["first_action_at"], f["suspended"], f["rejected"]) == (None, False, False)

    invoice = process(recipient_user, invoice, date(2026, 3, 12), Status.SUSPENDUE,
                      "  Il manque   le bon de livraison. ")
    f = assert_fresh(invoice)
    assert f["status"] == Status.SUSPENDUE and f["suspended"]
    assert f["suspension_reason"] == "Il manque le bon de livraison."
    assert f["first_action_at"] == at(date(2026, 3, 12))
    assert f["days_to_first_action"] == pytest.approx(10, abs=0.01)
    assert f["payment_due_on"] is None  # the clock stopped

    from choeur.invoicing import services
    from tests.invoicing.conftest import run

    with clock.frozen(at(date(2026, 3, 20))):
        run(services.complete, supplier_user, invoice, "Voici le bon de livraison")
    invoice.refresh_from_db()
    f = assert_fresh(invoice)
    assert f["status"] == Status.COMPLETEE and f["payment_due_on"] == date(2026, 4, 19)
    assert f["first_action_at"] == at(date(2026, 3, 12))  # the first one stays

    invoice = pay(recipient_user, invoice, date(2026, 4, 24))
    f = assert_fresh(invoice)
    assert f["status"] == Status.MISE_EN_PAIEMENT
    assert f["paid_at"] == f["payment_started_at"] == at(date(2026, 4, 24))
    assert f["days_to_payment"] == pytest.approx(53, abs=0.05)  # (summer time: 1 h less)
    assert f["suspended"] and not f["rejected"]


def test_a_rejection_keeps_its_reason(supplier_user, supplier, bank_account, recipient,
                                      recipient_user):
    invoice = deposit(supplier_user, supplier, bank_account, date(2026, 3, 2))
    invoice = process(recipient_user, invoice, date(2026, 3, 4), Status.REJETEE,
                      "Numéro d'engagement absent")
    f = assert_fresh(invoice)
    assert (f["status"], f["rejected"], f["rejection_reason"]) == (
        Status.REJETEE, True, "Numéro d'engagement absent")
    assert f["payment_due_on"] is None  # nothing due on a rejected invoice


def test_a_batch_writes_one_row_per_invoice_in_one_insert(supplier_user, supplier, recipient):
    compta = recipient.services.get(code="COMPTA")
    now = clock.now()
    invoices = [Invoice(supplier=supplier, recipient=recipient, recipient_service=compta,
                        number=f"LOT-{i}", number_year=now.year, invoice_date=now.date(),
                        deposited_at=now, mode_depot="UPLOAD_API", total_ht=D("10"),
                        total_ttc=D("12"), amount_due=D("12")) for i in range(5)]
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        lifecycle.create_many(invoices, Status.DEPOSEE, actor=supplier_user,
                              role=Role.SUPPLIER)
    touching = [q["sql"] for q in captured.captured_queries
                if "reporting_invoicefacts" in q["sql"]]
    assert len(touching) == 1 and touching[0].startswith("INSERT")
    assert InvoiceFacts.objects.filter(pk__in=[i.pk for i in invoices]).count() == 5
    for invoice in invoices:
        f = assert_fresh(invoice)
        assert (f["status"], f["total_ttc"], f["made_available_at"]) == (
            Status.DEPOSEE, D("12"), None)


def test_other_writes_of_the_copied_fields_reach_the_facts(supplier_user, supplier,
                                                             bank_account, recipient):
    invoice = deposit(supplier_user, supplier, bank_account, date(2026, 3, 2))
    achats = recipient.services.get(code="ACHATS")
    Invoice.objects.filter(pk=invoice.pk).update(recipient_service=achats)  # reassigned
    assert row(invoice)["recipient_service_id"] == achats.pk
    invoice.refresh_from_db()
    invoice.amount_due = D("1.50")  # corrected
    invoice.save(update_fields=["amount_due"])
    assert row(invoice)["amount_due"] == D("1.50")
    new_day = invoice.deposited_at - timedelta(days=40)
    Invoice.objects.filter(pk=invoice.pk).update(deposited_at=new_day)
    f = assert_fresh(invoice)
    assert f["deposited_at"] == new_day and f["deposit_month"] == date(2026, 1, 1)
    StatusChange.objects.filter(invoice=invoice).update(comment="x")  # the history, too
    assert_fresh(invoice)


def test_the_backfill_builds_the_facts_of_the_invoices_already_there(world):
    expected = {pk: row(invoice) for pk, invoice in
                ((i.pk, i) for i in world.invoices.values())}
    InvoiceFacts.objects.all().delete()
    migration = importlib.import_module("choeur.reporting.migrations.0001_initial")
    migration.backfill(apps, None)
    assert InvoiceFacts.objects.count() == Invoice.objects.count()
    assert {pk: row(i) for pk, i in ((i.pk, i) for i in world.invoices.values())} == expected
    f = expected[world.invoices[3].pk]  # suspended, completed, paid
    assert f["suspended"] and f["suspension_reason"] == "Pièce manquante"
    assert (f["days_to_available"], f["days_to_first_action"], f["days_to_payment"]) == (
        1.0, 2.0, 20.0)
    assert facts.backfill(batch=3) == Invoice.objects.count()  # small batches, same rows
    assert {pk: row(i) for pk, i in ((i.pk, i) for i in world.invoices.values())} == expected


def test_another_structures_invoices_are_never_counted(world, recipient_user, supplier_user):
    """Invoices of every other structure, in the period, with every status the figures read:
    nothing of them reaches the recipient's or the supplier's figures."""
    for n in range(3):
        make_invoice(world.supplier2, world.other_recipient, None,
                     datetime(2026, 2, 1 + n, 10, tzinfo=clock.PARIS), "1000.00", [
                         (Status.MISE_A_DISPOSITION, 1, ""),
                         (Status.SUSPENDUE, 2, "Motif de la mairie"),
                         (Status.COMPLETEE, 3, ""), (Status.MISE_EN_PAIEMENT, 4, "")])
    f = queries.filters(recipient_user, queries.RECIPIENT, start="2026-01-01",
                        end="2026-03-31")
    assert sum(r["count"] for r in queries.volumes(recipient_user, f)) == 5
    assert queries.rejection_rates(recipient_user, f)["total"] == 5
    assert [r["count"] for r in queries.processing_times(recipient_user, f)] == [5, 4, 2]
    s = queries.filters(supplier_user, queries.SUPPLIER, start="2026-01-01", end="2026-04-30")
    assert sum(r["count"] for r in queries.by_status(supplier_user, s)) == 5  # its own only
    assert all(r["recipient"] != world.other_recipient.company_name or r["count"] == 0
               for r in queries.payment_times(supplier_user, s))
    # The facts are there (the titulaire's), just never in these scopes.
    assert InvoiceFacts.objects.filter(recipient_id=world.other_recipient.pk).count() == 4
