"""`choeur archive verify` (archives/verify.py): a clean instance verifies; every kind of
tampering the issue names — a stored file, a history row, a ledger entry's payload, an entry
removed, a whole chain removed, a seal edited — is found, with its object and seq; an
invoice's archive record is written by every deposit path, the flux batch included."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import transaction

from choeur.archives import backfill, verify
from choeur.archives.errors import SinceInFuture, StructureUnknown
from choeur.cli import main
from choeur.core import clock, ledger, storage
from choeur.core.models import Blob, LedgerEntry, LedgerSeal
from choeur.core.worker import run_ready
from choeur.invoicing import records, services
from choeur.invoicing.models import Invoice, InvoiceEvent, ModeDepot, StatusChange
from choeur.invoicing.statuses import Status
from tests.invoicing.conftest import SUPPLIER_SIRET, invoice_data, pdf_bytes, run

pytestmark = pytest.mark.django_db


def deposited(user, supplier, bank_account, number="FA-2026-0117", **overrides) -> Invoice:
    """An invoice deposited as a PDF with an attachment, routed (its certificate made)."""
    data = invoice_data(bank_account_id=bank_account.pk, number=number, **overrides)
    invoice = run(services.deposit, user, supplier, data, mode_depot=ModeDepot.DEPOT_PDF_PORTAIL,
                  document=("facture.pdf", pdf_bytes(number)),
                  attachments=[("bon.pdf", pdf_bytes(f"Bon {number}"))])
    run_ready()
    return Invoice.objects.get(pk=invoice.pk)


def kinds(invoice) -> list[str]:
    return [entry.kind for entry in ledger.chain(records.LEDGER_TYPE, invoice.pk)]


def sealed() -> None:
    with clock.shifted(ledger.SEAL_DELAY + timedelta(seconds=1)):
        ledger.seal_all()


def problems(**options) -> list[str]:
    report = verify.run(**options)
    assert report.problem_count == len(report.problems)
    return [str(problem) for problem in report.problems]


@pytest.fixture
def world(supplier_user, supplier, bank_account, recipient, recipient_user):
    """Two invoices gone through a life: deposited, routed, downloaded; one suspended and
    completed with a file; all sealed."""
    first = deposited(supplier_user, supplier, bank_account, "FA-1")
    second = deposited(supplier_user, supplier, bank_account, "FA-2")
    run(services.mark_downloaded, recipient_user, [first])
    run(services.process, recipient_user, second, Status.SUSPENDUE, comment="Il manque le bon")
    second = Invoice.objects.get(pk=second.pk)
    run(services.complete, supplier_user, second, comment="Le voici",
        attachments=[("bon-signe.pdf", pdf_bytes("Bon signé"))])
    sealed()
    return Invoice.objects.get(pk=first.pk), Invoice.objects.get(pk=second.pk)


def test_an_invoice_archive_record_is_its_whole_life(world):
    first, second = world
    assert kinds(first) == ["DEPOSIT", "STATUS", "CERTIFICATE", "STATUS", "STATUS", "EVENT"]
    assert kinds(second) == ["DEPOSIT", "STATUS", "CERTIFICATE", "STATUS", "STATUS", "STATUS",
                             "ATTACHMENT", "STATUS"]
    deposit = json.loads(ledger.chain(records.LEDGER_TYPE, first.pk)[0].payload)
    assert deposit["number"] == "FA-1" and deposit["supplier"] == SUPPLIER_SIRET
    assert deposit["original"] == first.main_file_sha256 and deposit["xml"] == ""
    assert deposit["total_ttc"] == f"{first.total_ttc:.6f}"
    assert deposit["mode_depot"] == ModeDepot.DEPOT_PDF_PORTAIL
    assert [a["sha256"] for a in deposit["attachments"]] == [
        first.attachments.get().sha256]
    certificate = json.loads(ledger.chain(records.LEDGER_TYPE, first.pk)[2].payload)
    assert certificate == {"sha256": first.certificate_sha256}


def test_a_clean_instance_verifies(world):
    report = verify.run(files=True)
    assert report.ok, report.problems
    assert report.entries == LedgerEntry.objects.count() == 14
    assert report.objects == 2 and report.invoices == 2 and report.unsealed == 0
    assert report.seals == LedgerSeal.objects.count() >= 1
    assert report.head_seal == ledger.head().hash
    assert report.blobs == Blob.objects.count() and report.blob_bytes > 0


def test_a_stored_file_changed_is_found(world, settings):
    first, _ = world
    path = storage._storage().path(Blob(sha256=first.main_file_sha256, size=0).storage_name)
    with open(path, "r+b") as handle:
        handle.seek(20)
        handle.write(b"X")
    assert problems() == []  # the bytes are only read with --files
    found = problems(files=True)
    assert len(found) == 1
    assert found[0].startswith(f"blob {first.main_file_sha256}: the file's bytes hash to")


def test_a_stored_file_removed_is_found(world):
    first, _ = world
    storage._storage().delete(Blob(sha256=first.certificate_sha256, size=0).storage_name)
    assert problems(files=True) == [
        f"blob {first.certificate_sha256}: the file is missing from the store"]


def test_a_history_row_changed_is_found(world):
    first, _ = world
    change = first.history.order_by("id")[1]
    StatusChange.objects.filter(pk=change.pk).update(status=Status.REJETEE)
    found = problems()
    assert found == [f"invoicing.invoice:{first.pk} #4: the history row differs from the "
                     "STATUS entry (status: row 'REJETEE', ledger 'EN_COURS_ACHEMINEMENT')"]


def test_an_invoice_status_changed_is_found(world):
    first, _ = world
    Invoice.objects.filter(pk=first.pk).update(status=Status.MANDATEE)
    assert problems() == [f"invoicing.invoice:{first.pk} #5: status: the row says MANDATEE, "
                          "the ledger's last STATUS entry says MISE_A_DISPOSITION"]


def test_an_event_removed_and_a_file_swapped_are_found(world):
    first, second = world
    InvoiceEvent.objects.filter(invoice=first).delete()
    Invoice.objects.filter(pk=second.pk).update(main_file_sha256="a" * 64)
    found = problems()
    assert found[0] == f"invoicing.invoice:{first.pk} #6: EVENT entry without its history row"
    assert found[1].startswith(f"invoicing.invoice:{second.pk} #1: document deposited: the "
                               f"row names {'a' * 64}, the ledger {second.main_file_sha256}")
    assert len(found) == 2


def test_an_entry_payload_changed_is_found(world):
    first, _ = world
    entry = ledger.chain(records.LEDGER_TYPE, first.pk)[0]
    payload = json.loads(entry.payload)
    payload["total_ttc"] = "1.000000"
    LedgerEntry.objects.filter(pk=entry.pk).update(payload=ledger.canonical(payload))
    assert problems() == [f"invoicing.invoice:{first.pk} #1: DEPOSIT: the hash does not "
                          "match the entry's content"]


def test_an_entry_removed_is_found(world):
    first, _ = world
    LedgerEntry.objects.filter(object_id=str(first.pk), seq=3).delete()
    found = problems()
    name = f"invoicing.invoice:{first.pk}"
    assert f"{name} #4: seq 4 where 3 was expected (entries missing)" in found
    assert f"{name} #4: prev_hash does not link to the previous entry's hash" in found
    assert any(p.startswith("seal ") and "entries, " in p for p in found)  # the seal too
    assert f"{name}: certificate: the row names {first.certificate_sha256}, the ledger " \
           "none" in found


def test_a_whole_chain_removed_is_found_by_the_seal(world):
    with transaction.atomic():
        ledger.append("test.thing", 1, "CREATED", {"n": 1})
        ledger.append("test.thing", 1, "CHANGED", {"n": 2})
    sealed()
    assert problems() == []
    LedgerEntry.objects.filter(object_type="test.thing").delete()  # no row says it existed
    found = problems()
    assert len(found) == 1 and found[0].startswith("seal ")
    assert found[0].endswith("entries, 0 found") or "digest" in found[0]


def test_a_seal_edited_is_found(world):
    with transaction.atomic():
        ledger.append("test.thing", 1, "CREATED", {"n": 1})
    sealed()
    first, last = LedgerSeal.objects.order_by("id").first(), ledger.head()
    assert first != last
    LedgerSeal.objects.filter(pk=first.pk).update(digest="0" * 64)
    found = problems()
    assert f"seal {first.pk}: the hash does not match the seal" in found
    assert f"seal {first.pk}: the digest does not match its entries' hashes" in found
    # Made again whole (digest and hash): the next seal's link still tells.
    LedgerSeal.objects.filter(pk=first.pk).update(
        hash=ledger.seal_hash(first.prev_hash, "0" * 64, first.count))
    assert f"seal {last.pk}: prev_hash does not link to the previous seal" in problems()


def test_purged_entries_keep_their_chain(world):
    first, _ = world
    LedgerEntry.objects.filter(object_id=str(first.pk)).update(payload="",
                                                               purged_at=clock.now())
    report = verify.run()
    assert report.ok, report.problems
    assert report.purged == 6


def test_an_invoice_without_a_chain_is_found(world):
    first, _ = world
    LedgerEntry.objects.filter(object_id=str(first.pk)).update(seal=None)
    LedgerEntry.objects.filter(object_id=str(first.pk)).delete()
    assert f"invoicing.invoice:{first.pk}: MISE_A_DISPOSITION, but it has no archive record " \
           "(no ledger chain)" in problems()


def test_one_structure_and_since(world, supplier, recipient):
    first, _ = world
    report = verify.run(structure=SUPPLIER_SIRET)
    assert report.ok and report.invoices == 2 and not report.seals_checked
    assert report.entries == 14
    StatusChange.objects.filter(invoice=first, status=Status.DEPOSEE).update(comment="changé")
    assert len(problems(structure=recipient.identifier)) == 1
    later = clock.now() + timedelta(days=1)
    with clock.shifted(timedelta(days=2)):
        assert verify.run(since=later).entries == 0  # nothing written since
        assert problems(since=later) == []
    assert len(problems(since=clock.today())) == 1  # today's whole chains, the row checked


def test_bad_options_are_refused_with_a_code(world):
    with pytest.raises(StructureUnknown) as refused:
        verify.run(structure="99999999999999")
    assert refused.value.code == "ARCH_STRUCTURE_UNKNOWN"
    with pytest.raises(SinceInFuture):
        verify.run(since=clock.today() + timedelta(days=3))


def test_the_flux_batch_writes_the_deposits(wire, invoice_file, party):
    from tests.flux.conftest import deposit_body, tar_gz

    batch = tar_gz([(f"FA-{i}.xml", invoice_file("cii", number=f"FA-{i}")) for i in (1, 2, 3)])
    wire.post("factures/v1/deposer/flux", deposit_body(batch, "lot.tar.gz"))
    run_ready()
    invoices = list(Invoice.objects.order_by("number"))
    assert [invoice.number for invoice in invoices] == ["FA-1", "FA-2", "FA-3"]
    for invoice in invoices:
        chain = ledger.chain(records.LEDGER_TYPE, invoice.pk)
        assert [entry.kind for entry in chain][:2] == ["DEPOSIT", "STATUS"]
        deposit = json.loads(chain[0].payload)
        assert deposit["number"] == invoice.number and deposit["xml"] == invoice.xml_sha256
        assert deposit["original"] == invoice.xml_sha256  # a CII file is its own original
        assert deposit["mode_depot"] == invoice.mode_depot
    firsts = LedgerEntry.objects.filter(kind="DEPOSIT").order_by("id")
    assert len({entry.at for entry in firsts}) == 1  # written together, one instant
    sealed()
    report = verify.run(files=True)
    assert report.ok, report.problems
    assert report.invoices == 3


def test_backfill_writes_missing_chains_once(world):
    first, second = world
    before = {invoice.pk: [(e.kind, e.payload) for e in
                           ledger.chain(records.LEDGER_TYPE, invoice.pk)] for invoice in world}
    LedgerEntry.objects.update(seal=None)
    LedgerSeal.objects.all().delete()
    LedgerEntry.objects.filter(object_id=str(first.pk)).delete()
    with transaction.atomic():
        outcome = backfill.run()
    assert (outcome.invoices, outcome.skipped) == (1, 1)
    assert outcome.entries == len(before[first.pk])
    after = [(e.kind, e.payload) for e in ledger.chain(records.LEDGER_TYPE, first.pk)]
    assert [kind for kind, _ in after] == [kind for kind, _ in before[first.pk]]
    assert after[0] == before[first.pk][0]  # the same DEPOSIT, from the rows
    assert verify.run().ok
    with transaction.atomic():
        again = backfill.run()
    assert (again.invoices, again.entries, again.skipped) == (0, 0, 2)


def test_the_migration_backfills_with_its_historical_models(world):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    first, second = world
    expected = [(e.kind, e.payload) for e in ledger.chain(records.LEDGER_TYPE, second.pk)]
    LedgerEntry.objects.update(seal=None)
    LedgerSeal.objects.all().delete()
    LedgerEntry.objects.all().delete()
    state = MigrationExecutor(connection).loader.project_state(("archives", "0001_initial"))
    with transaction.atomic():
        outcome = backfill.run(state.apps)
    assert (outcome.invoices, outcome.skipped) == (2, 0)
    assert [(e.kind, e.payload) for e in ledger.chain(records.LEDGER_TYPE, second.pk)] \
        == expected
    assert verify.run().ok


def test_the_commands(world, capsys):
    assert main(["archive", "verify"]) == 0
    out = capsys.readouterr().out
    assert "No problem found." in out and ledger.head().hash in out
    assert "records/s" in out
    first, _ = world
    StatusChange.objects.filter(invoice=first).update(actor_label="Quelqu'un d'autre")
    assert main(["archive", "verify", "--files"]) == 1
    out = capsys.readouterr().out
    assert f"invoicing.invoice:{first.pk} #2: the history row differs" in out and "MB/s" in out
    assert main(["archive", "verify", "--structure", "00000000000000"]) == 2
    assert "ARCH_STRUCTURE_UNKNOWN" in capsys.readouterr().err
    assert main(["archive", "backfill"]) == 0
    assert "0 invoice chains written" in capsys.readouterr().out
