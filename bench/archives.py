"""Speed of `choeur archive verify` (archives/verify.py): ledger entries checked per second,
stored files re-hashed per second.

    make bench            (or: .venv/bin/python bench/archives.py [--db sqlite|postgresql|both]
                           [--entries N] [--sqlite-entries N] [--blob-mb N])

Each database in its own process: SQLite in a temporary data directory, PostgreSQL in a
throwaway cluster (bench/_cluster.py) or the database CHOEUR_DATABASE_URL names. The schema is
migrated, then --entries ledger entries (default 1,000,000; --sqlite-entries for SQLite, the
same by default) are written directly with the ledger's own functions (`ledger.canonical`,
`genesis`, `entry_hash`: the hashes verify recomputes), not through invoices: chains of five
entries (a deposit-sized payload, then four status-sized ones), inserted by COPY on PostgreSQL
and by executemany on SQLite, then sealed by `ledger.seal_all()` (100,000 entries a seal). The
figure is `verify.run()` over all of them: every chain, every seal (records/s; the problems
found must be none). Then --blob-mb MB of blobs (random bytes, 512 KB each, in the blob
store of the data directory) re-hashed by `verify.run(files=True)`'s file pass (MB/s; the
files were just written: read from the page cache, so the figure is hashing speed, not the
disk's).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from datetime import timedelta

import _cluster

CHAIN = 5
OBJECT_TYPE = "bench.invoice"
BLOB_SIZE = 512 * 1024


def _payloads(n: int) -> list[dict]:
    deposit = {"number": f"FA-2026-{n:07d}", "number_year": 2026, "supplier": "73282932000074",
               "recipient": "11000201100044", "recipient_service": "COMPTA",
               "cadre": "A1_FACTURE_FOURNISSEUR", "currency": "EUR", "total_ht": "300.300000",
               "total_tva": "41.750000", "total_ttc": "342.050000",
               "amount_due": "342.050000", "invoice_date": "2026-12-01",
               "deposited_at": "2026-12-01T09:00:00.000000Z", "mode_depot": "UPLOAD_API",
               "original": f"{n:064x}", "xml": f"{n + 1:064x}", "original_name": "f.xml",
               "attachments": []}
    statuses = [("DEPOSEE", "BROUILLON"), ("EN_COURS_ACHEMINEMENT", "DEPOSEE"),
                ("MISE_A_DISPOSITION", "EN_COURS_ACHEMINEMENT"),
                ("MANDATEE", "MISE_A_DISPOSITION")]
    return [deposit] + [{"status": s, "previous": p, "actor": "Choeur", "comment": ""}
                        for s, p in statuses]


def build_entries(total: int) -> float:
    """`total` entries in chains of CHAIN, hashed as the ledger does; returns seconds."""
    from django.db import connection, transaction

    from choeur.core import clock, ledger

    started = time.perf_counter()
    at = clock.now() - timedelta(days=1)
    moment = ledger.instant(at)
    columns = ("object_type", "object_id", "seq", "kind", "at", "payload", "prev_hash", "hash")
    table = "core_ledgerentry"
    batch: list[tuple] = []

    def flush():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor, cursor.cursor.copy(
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
        else:
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}, seal_id, purged_at) "  # noqa: S608
                    f"VALUES ({', '.join('%s' for _ in columns)}, NULL, NULL)", batch)
        batch.clear()

    with transaction.atomic():
        for n in range(total // CHAIN):
            object_id = str(n + 1)
            prev = ledger.genesis(OBJECT_TYPE, object_id)
            for seq, payload in enumerate(_payloads(n), start=1):
                kind = "DEPOSIT" if seq == 1 else "STATUS"
                text = ledger.canonical(payload)
                digest = ledger.entry_hash(prev, kind, moment, text)
                batch.append((OBJECT_TYPE, object_id, seq, kind,
                              at if connection.vendor == "postgresql"
                              else at.replace(tzinfo=None).isoformat(" "), text, prev, digest))
                prev = digest
            if len(batch) >= 50_000:
                flush()
        if batch:
            flush()
    return time.perf_counter() - started


def build_blobs(megabytes: int) -> float:
    from django.db import transaction

    from choeur.core import storage

    started = time.perf_counter()
    count = megabytes * 1024 * 1024 // BLOB_SIZE
    for start in range(0, count, 20):
        with transaction.atomic():
            storage.put_many([os.urandom(BLOB_SIZE) for _ in range(min(20, count - start))],
                             "application/pdf")
    return time.perf_counter() - started


def bench(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from choeur.archives import verify
    from choeur.core import ledger
    from choeur.core.models import Blob, LedgerEntry

    call_command("migrate", verbosity=0, interactive=False)
    vendor = connection.vendor
    total = args.entries if vendor == "postgresql" else (args.sqlite_entries or args.entries)
    if LedgerEntry.objects.count() >= total:  # CHOEUR_DATABASE_URL of a previous run
        print(f"[{vendor}] {LedgerEntry.objects.count():,} ledger entries there already",
              flush=True)
    else:
        took = build_entries(total)
        print(f"[{vendor}] {LedgerEntry.objects.count():,} ledger entries written in "
              f"{took:.1f} s", flush=True)
    started = time.perf_counter()
    seals = ledger.seal_all()
    print(f"[{vendor}] sealed in {seals} seals in {time.perf_counter() - started:.1f} s",
          flush=True)
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE core_ledgerentry")
    with transaction.atomic():
        verify.snapshot()
        started = time.perf_counter()
        report = verify.run()
        wall = time.perf_counter() - started
    assert report.ok, report.problems[:5]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"[{vendor}] verify: {report.entries:,} entries, {report.objects:,} chains, "
          f"{report.seals} seals in {wall:.1f} s = {report.entries / wall:,.0f} records/s "
          f"(peak RSS {rss:,.0f} MB)", flush=True)
    if args.blob_mb:
        Blob.objects.all().delete()  # a previous run's rows (their files went with its folder)
        took = build_blobs(args.blob_mb)
        print(f"[{vendor}] {args.blob_mb} MB of blobs written in {took:.1f} s", flush=True)
        report = verify.Report()
        verify._check_files(report, None)
        assert report.ok, report.problems[:5]
        print(f"[{vendor}] files: {report.blobs} blobs, {report.blob_bytes / 1e6:,.0f} MB "
              f"re-hashed in {report.files_seconds:.1f} s = {report.mb_per_second:,.0f} MB/s",
              flush=True)


def run_sqlite(args) -> None:
    _cluster.run_on_sqlite(bench, args, "choeur-bench-archives-")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--sqlite-entries", type=int, default=0,
                        help="entries on SQLite (default: --entries)")
    parser.add_argument("--blob-mb", type=int, default=200)
    args = parser.parse_args()
    if args.db == "both":
        status = 0
        for db in ("sqlite", "postgresql"):
            command = [sys.executable, __file__, "--db", db, "--entries", str(args.entries),
                       "--sqlite-entries", str(args.sqlite_entries),
                       "--blob-mb", str(args.blob_mb)]
            status |= subprocess.run(command, check=False).returncode  # noqa: S603
        return status
    if args.db == "sqlite":
        run_sqlite(args)
    else:
        _cluster.run_in_django(bench, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
