"""Retention (CHOEUR_RETENTION_YEARS) and `choeur archive purge`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from choeur import config
from choeur.archives import errors, retention
from choeur.cli import main
from choeur.core import clock, ledger, storage
from choeur.core.models import AuditEvent, Blob, LedgerEntry
from choeur.invoicing.lifecycle import LEDGER_TYPE
from choeur.invoicing.models import (
    Attachment,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    StatusChange,
    VatLine,
)
from choeur.invoicing.statuses import Status
from tests.archives.conftest import deposit, process

pytestmark = pytest.mark.django_db

DEPOSITED = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
SHARED = ("bon-de-livraison.txt", b"Livraison du 3 mars\n")


@pytest.fixture
def world(supplier_user, supplier, bank_account, recipient, recipient_user):
    """On 10 March 2026: a paid invoice, a rejected one sharing its attachment with a third
    one still in progress."""
    clock.freeze(DEPOSITED)
    paid = process(recipient_user, deposit(supplier_user, supplier, bank_account,
                                           "FA-2026-0001", attachments=[SHARED]),
                   Status.MISE_EN_PAIEMENT)
    rejected = process(recipient_user, deposit(supplier_user, supplier, bank_account,
                                               "FA-2026-0002"),
                       Status.REJETEE, "Montant erroné")
    pending = deposit(supplier_user, supplier, bank_account, "FA-2026-0003",
                      attachments=[SHARED])
    return paid, rejected, pending


def snapshot():
    return (Invoice.objects.count(), StatusChange.objects.count(), Blob.objects.count(),
            list(LedgerEntry.objects.values_list("id", "payload", "hash", "purged_at")),
            AuditEvent.objects.filter(action="archives.purged").count())


def chain_holds(object_id) -> bool:
    prev = ledger.genesis(LEDGER_TYPE, object_id)
    for seq, entry in enumerate(ledger.chain(LEDGER_TYPE, object_id), 1):
        if entry.seq != seq or entry.prev_hash != prev:
            return False
        if entry.purged_at is None and entry.hash != ledger.entry_hash(
                entry.prev_hash, entry.kind, entry.at, entry.payload):
            return False
        prev = entry.hash
    return True


def test_the_setting(tmp_path):
    env = {"CHOEUR_DATA_DIR": str(tmp_path)}
    assert config.load(env).retention_years == 10
    assert config.load({**env, "CHOEUR_RETENTION_YEARS": "6"}).retention_years == 6
    assert config.load({**env, "CHOEUR_RETENTION_YEARS": "50"}).retention_years == 50
    for wrong in ("5", "51", "ten", ""):
        with pytest.raises(config.ConfigError) as raised:
            config.load({**env, "CHOEUR_RETENTION_YEARS": wrong})
        assert raised.value.variable == "CHOEUR_RETENTION_YEARS"


def test_expiry_is_counted_from_the_last_change_of_a_final_invoice(world, settings):
    paid, rejected, pending = world
    assert retention.expires_on(paid) == date(2036, 3, 10)
    assert retention.expires_on(pending) is None  # in progress: never
    settings.CHOEUR_RETENTION_YEARS = 6
    assert retention.expires_on(rejected) == date(2032, 3, 10)
    assert retention.add_years(date(2028, 2, 29), 10) == date(2038, 2, 28)


def test_a_date_in_the_future_is_refused_and_changes_nothing(world, capsys):
    clock.freeze(DEPOSITED + timedelta(days=3700))
    before = snapshot()
    future = (clock.today() + timedelta(days=1)).isoformat()
    with pytest.raises(errors.RetentionNotExpired):
        retention.purge("cli", future, confirm=True)
    assert main(["archive", "purge", "--before", future, "--confirm"]) == 1
    assert "ARCH_RETENTION_NOT_EXPIRED" in capsys.readouterr().err
    assert main(["archive", "purge", "--before", "10/03/2037", "--confirm"]) == 1
    assert "ARCH_DATE_INVALID" in capsys.readouterr().err
    assert snapshot() == before


def test_dry_run_says_what_would_go_and_changes_nothing(world, capsys):
    paid, rejected, _pending = world
    clock.freeze(datetime(2036, 6, 1, 8, tzinfo=UTC))
    before = snapshot()
    assert main(["archive", "purge", "--before", "2036-06-01"]) == 0
    out = capsys.readouterr().out
    assert "2 would be purged" in out and "FA-2026-0001" in out and "FA-2026-0002" in out
    assert "FA-2026-0003" not in out and "Dry run" in out
    assert snapshot() == before
    # Not yet expired on 10 March 2036 itself: nothing would go.
    assert retention.plan("2036-03-10").count == 0
    assert retention.plan("2036-03-11").count == 2


def test_purge_removes_rows_and_lone_files_and_keeps_the_ledger_skeleton(world, capsys):
    paid, rejected, pending = world
    gone = [paid, rejected]
    hashes = {i.pk: list(LedgerEntry.objects.filter(object_type=LEDGER_TYPE,
                                                     object_id=str(i.pk))
                         .order_by("seq").values_list("hash", flat=True)) for i in gone}
    lone = {paid.main_file_sha256, paid.certificate_sha256, rejected.main_file_sha256,
            rejected.certificate_sha256}
    shared = paid.attachments.get().sha256
    kept_files = {pending.main_file_sha256, pending.certificate_sha256, shared}
    clock.freeze(datetime(2036, 6, 1, 8, tzinfo=UTC))

    assert main(["archive", "purge", "--before", "2036-06-01", "--confirm"]) == 0
    out = capsys.readouterr().out
    assert "2 purged" in out and "4 file(s) removed" in out

    assert list(Invoice.objects.values_list("pk", flat=True)) == [pending.pk]
    for model in (StatusChange, InvoiceLine, VatLine, Attachment, InvoiceEvent):
        assert not model.objects.exclude(invoice=pending).exists(), model
    assert not Blob.objects.filter(pk__in=lone).exists()
    assert not any(storage.verify(sha) for sha in lone)
    assert all(storage.verify(sha) for sha in kept_files)  # the shared attachment stays
    for invoice in gone:
        entries = ledger.chain(LEDGER_TYPE, invoice.pk)
        assert [e.hash for e in entries[:-1]] == hashes[invoice.pk]
        assert all(e.payload == "" and e.purged_at for e in entries[:-1])
        assert entries[-1].kind == "PURGE" and entries[-1].purged_at is None
        assert '"reason":"retention"' in entries[-1].payload
        assert chain_holds(invoice.pk)
    assert chain_holds(pending.pk)
    assert not LedgerEntry.objects.filter(object_id=str(pending.pk), purged_at__isnull=False)
    audits = AuditEvent.objects.filter(action="archives.purged")
    assert sorted(int(a.object_id) for a in audits) == sorted(i.pk for i in gone)
    assert {a.details["number"] for a in audits} == {"FA-2026-0001", "FA-2026-0002"}
    # Again: nothing left to purge.
    assert retention.purge("cli", "2036-06-01", confirm=True).count == 0
