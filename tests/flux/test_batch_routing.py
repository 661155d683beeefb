"""A flux's invoices are routed by batch (`invoicing.tasks.route_invoices` →
`services.route_many`, one transaction): each invoice keeps its own history rows, ledger
entries, certificate, facts and in-app notification, the recipient gets one e-mail for the
batch, and a batch run again — or cut short and handed back — routes nobody twice."""

from __future__ import annotations

import json

import pytest
from django_tasks_db.models import DBTaskResult

from choeur.core import ledger, mail
from choeur.core.models import OutgoingEmail
from choeur.flux.models import Flux
from choeur.invoicing import documents, lifecycle, records, tasks
from choeur.invoicing.models import Invoice, StatusChange
from choeur.invoicing.statuses import Status
from choeur.messaging.models import Notification
from choeur.reporting.models import InvoiceFacts
from tests.flux.conftest import deposit_body, tar_gz

NUMBERS = ["FA-1", "FA-2", "FA-3"]


@pytest.fixture
def deposited(wire, invoice_file):
    """A flux of three CII invoices, integrated (their routing queued, not run yet)."""
    from choeur.flux import services as flux_services

    batch = tar_gz([(f"{n}.xml", invoice_file("cii", number=n)) for n in NUMBERS])
    body = wire.post("factures/v1/deposer/flux", deposit_body(batch, "lot.tar.gz")).json()
    assert body["codeRetour"] == 0
    flux_services.integrate(Flux.objects.get(numero=body["numeroFluxDepot"]).pk)
    invoices = list(Invoice.objects.order_by("number"))
    assert [i.status for i in invoices] == [Status.DEPOSEE] * 3
    return invoices


def routing_tasks():
    return DBTaskResult.objects.filter(task_path=tasks.route_invoices.module_path)


def received_mails(user) -> list:
    return [m for m in OutgoingEmail.objects.order_by("id") if user.email in m.to]


def history(invoice):
    return list(StatusChange.objects.filter(invoice=invoice).order_by("id")
                .values_list("previous", "status"))


def test_a_flux_batch_is_routed_in_one_task_each_invoice_its_own_records(
        deposited, recipient_user, run_tasks):
    assert routing_tasks().count() == 1
    mails_before = len(received_mails(recipient_user))
    run_tasks()
    for invoice in deposited:
        invoice.refresh_from_db()
        assert invoice.status == Status.MISE_A_DISPOSITION
        assert history(invoice) == [
            (Status.BROUILLON, Status.DEPOSEE),
            (Status.DEPOSEE, Status.EN_COURS_ACHEMINEMENT),
            (Status.EN_COURS_ACHEMINEMENT, Status.MISE_A_DISPOSITION)]
        chain = ledger.chain(lifecycle.LEDGER_TYPE, invoice.pk)
        assert [e.kind for e in chain] == [records.DEPOSIT, records.STATUS, records.CERTIFICATE,
                                          records.STATUS, records.STATUS]
        payloads = [json.loads(e.payload) for e in chain]
        assert [p["status"] for p in payloads[3:]] == [
            Status.EN_COURS_ACHEMINEMENT, Status.MISE_A_DISPOSITION]
        # The certificate is the one `ensure_certificate` would make, its fingerprint recorded.
        assert payloads[2] == {"sha256": invoice.certificate_sha256}
        previous = ledger.genesis(lifecycle.LEDGER_TYPE, invoice.pk)
        for seq, entry in enumerate(chain, start=1):  # one unbroken chain
            assert (entry.seq, entry.prev_hash) == (seq, previous)
            assert entry.hash == ledger.entry_hash(previous, entry.kind, entry.at,
                                                   entry.payload)
            previous = entry.hash
        from choeur.core import storage

        assert storage.read(invoice.certificate_sha256) == documents.render_certificate(invoice)
        assert InvoiceFacts.objects.get(invoice=invoice).status == Status.MISE_A_DISPOSITION
        assert invoice.payment_due_on is not None  # the délai's clock started
    # In the portal, one notification an invoice; by e-mail, one for the batch, naming each.
    assert Notification.objects.filter(user=recipient_user, kind="invoice_received").count() \
        == 3
    mails = received_mails(recipient_user)[mails_before:]
    assert len(mails) == 1
    assert "3 notifications" in mails[0].subject
    [sent] = [m for m in mail.outbox_messages()
              if recipient_user.email in m.to and "3 notifications" in m.subject]
    assert all(f"Nouvelle facture {number} " in sent.text for number in NUMBERS)


def test_a_batch_routing_run_again_routes_nobody_twice(deposited, recipient_user, run_tasks):
    # One invoice routed alone first (its own task, e.g. requeued), then the batch: the
    # batch skips it.
    tasks.route_invoice.call(deposited[1].pk)
    run_tasks()
    ids = [invoice.pk for invoice in deposited]
    counts = (StatusChange.objects.count(), Notification.objects.count(),
              OutgoingEmail.objects.count(),
              [len(ledger.chain(lifecycle.LEDGER_TYPE, pk)) for pk in ids])
    tasks.route_invoices.call(ids)  # the same batch once more (a lost worker's task rerun)
    assert (StatusChange.objects.count(), Notification.objects.count(),
            OutgoingEmail.objects.count(),
            [len(ledger.chain(lifecycle.LEDGER_TYPE, pk)) for pk in ids]) == counts
    for invoice in deposited:
        invoice.refresh_from_db()
        assert invoice.status == Status.MISE_A_DISPOSITION
        assert StatusChange.objects.filter(invoice=invoice,
                                           status=Status.MISE_A_DISPOSITION).count() == 1


def test_a_batch_routing_cut_short_is_undone_whole_then_resumed(
        deposited, recipient_user, run_tasks, monkeypatch):
    from django.db import transaction

    from choeur.core.worker import HandBack, _worker

    real = lifecycle.transition_many

    def stopped_after_the_first_step(invoices, target, **kwargs):
        real(invoices, target, **kwargs)
        if target == Status.EN_COURS_ACHEMINEMENT:
            monkeypatch.setattr(lifecycle, "transition_many", real)  # once
            raise HandBack()  # the worker stopping in the middle of the batch

    monkeypatch.setattr(lifecycle, "transition_many", stopped_after_the_first_step)
    task = routing_tasks().get()
    worker = _worker("test-worker", "*", 0, True)
    with transaction.atomic():
        task.claim("test-worker")
    worker.run_task(task)
    task.refresh_from_db()
    assert task.status == "READY"  # handed back to the queue, not failed
    for invoice in deposited:  # nothing of the batch was kept: no half-routed invoice
        invoice.refresh_from_db()
        assert invoice.status == Status.DEPOSEE and not invoice.certificate_sha256
        assert len(history(invoice)) == 1
        assert len(ledger.chain(lifecycle.LEDGER_TYPE, invoice.pk)) == 2
    run_tasks()  # run again (another worker): the whole batch, once
    for invoice in deposited:
        invoice.refresh_from_db()
        assert invoice.status == Status.MISE_A_DISPOSITION
        assert len(history(invoice)) == 3
        assert len(ledger.chain(lifecycle.LEDGER_TYPE, invoice.pk)) == 5


def test_a_batch_that_fails_is_routed_one_by_one(deposited, run_tasks, monkeypatch):
    from choeur.invoicing import services

    def broken(*args, **kwargs):
        raise RuntimeError("batch bug")

    monkeypatch.setattr(services, "route_many", broken)
    run_tasks()
    for invoice in deposited:
        invoice.refresh_from_db()
        assert invoice.status == Status.MISE_A_DISPOSITION
        assert len(history(invoice)) == 3
