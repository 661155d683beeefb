"""The EDI drop folder watched by the worker: new files deposited as flux of the folder's
technical account and moved to traites/, a daily rejection file per sender; and the worker's
five-minute timers that run the scan."""

from __future__ import annotations

import csv
import os
import time

import pytest

from choeur.core import clock
from choeur.core.worker import enqueue_timers
from choeur.flux import edi
from choeur.flux.models import Canal, EtatFlux, Flux
from choeur.invoicing.models import Invoice, ModeDepot

from .conftest import broken, tar_gz

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(settings, tmp_path):
    settings.CHOEUR_FLUX_DIR = str(tmp_path / "flux")
    return tmp_path / "flux"


@pytest.fixture
def drop(root, party):
    folder = root / "depot" / party.account.login
    folder.mkdir(parents=True)
    return folder


def rejections(root, login) -> list[dict]:
    path = root / "rejets" / login / f"{clock.today().isoformat()}.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def test_dropped_files_become_flux_of_the_technical_account(
        root, drop, party, invoice_file, run_tasks, django_capture_on_commit_callbacks):
    (drop / "lot.tar.gz").write_bytes(tar_gz([
        ("FA-1.xml", invoice_file("cii", number="FA-1")),
        ("FA-2.xml", broken(invoice_file("cii", number="FA-2")))]))
    (drop / "notes.txt").write_bytes(b"not an invoice at all")
    (drop / "en-cours.xml.part").write_bytes(b"<partial")
    (drop / ".hidden.xml").write_bytes(b"<hidden/>")

    deposited = edi.scan_drop_folders(min_age=0)
    assert len(deposited) == 1
    flux = Flux.objects.get()
    assert flux.channel == Canal.EDI and flux.technical_account == party.account
    assert flux.filename == "lot.tar.gz" and flux.structure == party.structure
    assert sorted(p.name for p in drop.iterdir()) == [".hidden.xml", "en-cours.xml.part"]
    done = sorted(p.name for p in (root / "traites" / party.account.login).iterdir())
    assert len(done) == 2 and done[0].endswith("-lot.tar.gz") and done[1].endswith("-notes.txt")
    [refused] = rejections(root, party.account.login)
    assert refused["nomFichier"] == "notes.txt" and refused["codeErreur"] == "FLUX_FORMAT_UNKNOWN"

    with django_capture_on_commit_callbacks(execute=True):
        run_tasks()
    flux.refresh_from_db()
    assert flux.status == EtatFlux.INTEGRE_PARTIEL
    assert Invoice.objects.get().mode_depot == ModeDepot.EDI
    rows = rejections(root, party.account.login)
    assert rows[0]["codeErreur"] == "FLUX_FORMAT_UNKNOWN"
    rejected = [row for row in rows[1:]]
    assert rejected and all(row["numeroFluxDepot"] == flux.numero and row["numeroDP"] == "FA-2"
                            for row in rejected)
    assert "BR-CO-15" in {row["codeErreur"] for row in rejected}

    assert edi.scan_drop_folders(min_age=0) == []  # nothing new: nothing deposited twice
    assert Flux.objects.count() == 1


def test_files_still_being_written_are_left_alone(drop, invoice_file):
    (drop / "f.xml").write_bytes(invoice_file())
    assert edi.scan_drop_folders(min_age=60) == []
    assert (drop / "f.xml").exists() and not Flux.objects.exists()


def test_unknown_folders_and_links_are_ignored(root, drop, tmp_path, invoice_file):
    stranger = root / "depot" / "TECH_INCONNU"
    stranger.mkdir()
    (stranger / "f.xml").write_bytes(invoice_file())
    secret = tmp_path / "secret.xml"
    secret.write_bytes(invoice_file())
    os.symlink(secret, drop / "lien.xml")
    assert edi.scan_drop_folders(min_age=0) == []
    assert (stranger / "f.xml").exists() and secret.exists()
    assert not Flux.objects.exists()


def test_a_file_a_dead_worker_left_half_taken_is_deposited_once(root, drop, party,
                                                                invoice_file):
    taking = root / "en_cours" / party.account.login
    taking.mkdir(parents=True)
    left = taking / "20260101T000000000000-f.xml"
    left.write_bytes(invoice_file())
    old = time.time() - edi.STALE_TAKEN - 10
    os.utime(left, (old, old))
    edi.scan_drop_folders(min_age=0)
    assert Flux.objects.get().filename == "f.xml"
    assert not left.exists()

    again = taking / "20260101T000000000001-f.xml"  # the same file, deposited already
    again.write_bytes(invoice_file())
    os.utime(again, (old, old))
    edi.scan_drop_folders(min_age=0)
    assert Flux.objects.count() == 1 and not again.exists()


def test_the_worker_timers_scan_the_drop_folders(drop, invoice_file, run_tasks):
    (drop / "f.xml").write_bytes(invoice_file())
    old = time.time() - 120
    os.utime(drop / "f.xml", (old, old))
    enqueue_timers()
    run_tasks()
    flux = Flux.objects.get()
    assert flux.channel == Canal.EDI and flux.status == EtatFlux.INTEGRE
