"""Idempotent re-sends (issue 19): a client whose deposit committed but whose answer was lost
(a web process killed in between) sends the same file again. The same bytes from the same
account within `services.RESEND_WINDOW` answer the first flux — number, date, state — and
store nothing; past the window, or from another account, the file is a flux of its own (its
invoices then refused as duplicate numbers, as always)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from choeur.core import clock
from choeur.core.models import AuditEvent, Blob, LedgerEntry
from choeur.flux import edi, services
from choeur.flux.models import Canal, EtatFlux, Flux, FluxItem
from choeur.invoicing.models import Invoice
from choeur.organisations.credentials import hash_secret
from choeur.organisations.models import TechnicalAccount
from tests.api.swagger import conforms

from .conftest import TECH_PASSWORD, Party, Wire, deposit_body, tar_gz

pytestmark = pytest.mark.django_db


def stored() -> dict:
    """Everything a deposit or its integration writes, counted."""
    return {"flux": Flux.objects.count(), "items": FluxItem.objects.count(),
            "invoices": Invoice.objects.count(), "ledger": LedgerEntry.objects.count(),
            "blobs": Blob.objects.count(), "tasks": DBTaskResult.objects.count()}


def deposit(wire, content: bytes, name: str = "lot.tar.gz", **extra):
    response = wire.post("factures/v1/deposer/flux", {**deposit_body(content, name), **extra})
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def batch(invoice_file):
    return tar_gz([("FA-1.xml", invoice_file("cii", number="FA-1")),
                   ("FA-2.xml", invoice_file("cii", number="FA-2"))])


def test_a_re_send_answers_the_first_flux_and_stores_nothing(wire, batch, run_tasks):
    first = deposit(wire, batch)
    assert first["libelle"] == "TRA_MSG_00.000" and "depotIdentique" not in first
    run_tasks()
    before = stored()
    assert before["invoices"] == 2 and before["ledger"] > 0

    again = deposit(wire, batch, nomFichier="renvoi.tar.gz")
    # The official answer, plus two of Choeur's fields (clients ignore fields they do not know).
    conforms({k: v for k, v in again.items()
              if k not in ("depotIdentique", "etatCourantDepotFlux")},
             "WsRetourDeposerFluxFacture", "factures")
    assert again["codeRetour"] == 0 and again["depotIdentique"] is True
    assert again["numeroFluxDepot"] == first["numeroFluxDepot"]
    assert again["dateDepot"] == first["dateDepot"]
    assert again["syntaxeFlux"] == first["syntaxeFlux"]
    assert again["etatCourantDepotFlux"] == EtatFlux.INTEGRE
    assert again["libelle"].startswith("TRA_MSG_00.000 - Flux déjà déposé le ")
    assert again["libelle"].endswith(" : réponse du premier dépôt")
    run_tasks()
    assert stored() == before  # no flux, item, invoice, ledger entry, file or task more
    flux = Flux.objects.get()
    assert flux.filename == "lot.tar.gz" and flux.status == EtatFlux.INTEGRE
    assert AuditEvent.objects.filter(action="flux.resend", object_id=str(flux.pk)).count() == 1


def test_a_re_send_before_the_integration_answers_its_current_state(wire, batch, run_tasks):
    first = deposit(wire, batch)
    again = deposit(wire, batch)
    assert again["numeroFluxDepot"] == first["numeroFluxDepot"]
    assert again["etatCourantDepotFlux"] == EtatFlux.EN_ATTENTE
    assert Flux.objects.count() == 1
    assert len(run_tasks()) >= 1
    assert Flux.objects.get().status == EtatFlux.INTEGRE and Invoice.objects.count() == 2


def test_the_answer_is_in_english_when_asked(wire, batch):
    deposit(wire, batch)
    response = wire.post("factures/v1/deposer/flux", deposit_body(batch, "lot.tar.gz"),
                         headers={"Accept-Language": "en"})
    assert response.json()["libelle"].startswith("TRA_MSG_00.000 - Flux already deposited on ")


def test_a_synchronous_deposit_killed_before_integrating_is_integrated_by_its_re_send(
        wire, batch):
    # The first request committed its flux (IN_RECU, integrated in the request) and died.
    with transaction.atomic():
        lost = services.deposit(wire.party.account, wire.party.structure, batch, "lot.tar.gz",
                                channel=Canal.API, enqueue=False)
    assert lost.status == EtatFlux.RECU
    again = deposit(wire, batch, choeurSynchrone=True)
    assert again["numeroFluxDepot"] == lost.numero and again["depotIdentique"] is True
    assert again["etatCourantDepotFlux"] == EtatFlux.INTEGRE
    assert Flux.objects.count() == 1 and Invoice.objects.count() == 2


def test_a_plain_re_send_queues_a_first_flux_left_received(wire, batch, run_tasks):
    with transaction.atomic():
        lost = services.deposit(wire.party.account, wire.party.structure, batch, "lot.tar.gz",
                                channel=Canal.API, enqueue=False)
    again = deposit(wire, batch)
    assert again["numeroFluxDepot"] == lost.numero
    assert again["etatCourantDepotFlux"] == EtatFlux.EN_ATTENTE
    run_tasks()
    assert Flux.objects.get().status == EtatFlux.INTEGRE


def test_a_synchronous_re_send_of_a_finished_flux_gives_its_report(wire, batch, run_tasks):
    first = deposit(wire, batch)
    run_tasks()
    response = wire.post("factures/v1/deposer/flux", deposit_body(batch, "lot.tar.gz"),
                         headers={"X-Choeur-Synchrone": "1"})
    body = response.json()
    assert response["X-Choeur-Synchrone"] == "1"
    assert body["numeroFluxDepot"] == first["numeroFluxDepot"]
    assert body["etatCourantDepotFlux"] == EtatFlux.INTEGRE and body["listeErreurDP"] == []
    assert Flux.objects.count() == 1


def test_after_the_window_the_same_file_is_a_new_flux_refused_as_duplicates(
        wire, batch, run_tasks):
    first = deposit(wire, batch)
    run_tasks()
    with clock.shifted(services.RESEND_WINDOW + timedelta(seconds=1)):
        wire.get_token()  # the first one has expired
        later = deposit(wire, batch)
        assert "depotIdentique" not in later and later["libelle"] == "TRA_MSG_00.000"
        assert later["numeroFluxDepot"] != first["numeroFluxDepot"]
        run_tasks()
    second = Flux.objects.get(numero=later["numeroFluxDepot"])
    assert second.status == EtatFlux.REJETE and Invoice.objects.count() == 2
    assert {e["code"] for item in second.items.all() for e in item.errors} == {
        "INV_NUMBER_ALREADY_USED"}


def test_just_within_the_window_it_is_still_a_re_send(wire, batch):
    first = deposit(wire, batch)
    with clock.shifted(services.RESEND_WINDOW - timedelta(seconds=5)):
        wire.get_token()
        assert deposit(wire, batch)["numeroFluxDepot"] == first["numeroFluxDepot"]
    assert Flux.objects.count() == 1


def test_a_wholly_rejected_first_flux_does_not_count(wire, invoice_file, run_tasks,
                                                     recipient):
    content = invoice_file("cii", number="FA-9")
    recipient.is_active = False  # the recipient cannot receive: the flux is rejected
    recipient.save()
    first = deposit(wire, content, "fa.xml")
    run_tasks()
    assert Flux.objects.get().status == EtatFlux.REJETE
    recipient.is_active = True
    recipient.save()
    again = deposit(wire, content, "fa.xml")  # nothing of the first was deposited
    assert again["numeroFluxDepot"] != first["numeroFluxDepot"] and "depotIdentique" not in again
    run_tasks()
    assert Flux.objects.get(numero=again["numeroFluxDepot"]).status == EtatFlux.INTEGRE


def test_other_bytes_are_another_flux(wire, invoice_file):
    deposit(wire, invoice_file("cii", number="FA-1"), "a.xml")
    deposit(wire, invoice_file("cii", number="FA-2"), "a.xml")
    assert Flux.objects.count() == 2


def test_another_account_s_same_file_is_a_flux_of_its_own(client, wire, party, batch,
                                                          supplier_user, run_tasks):
    first = deposit(wire, batch)
    run_tasks()
    other = TechnicalAccount.objects.create(
        structure=party.structure, login="TECH_2_LUMIERE@cpro.fr",
        password=hash_secret(TECH_PASSWORD), created_at=clock.now(),
        password_expires_at=clock.now() + timedelta(days=424))
    second = deposit(Wire(client, Party(party.structure, other, party.client)), batch)
    assert second["numeroFluxDepot"] != first["numeroFluxDepot"]
    assert "depotIdentique" not in second
    with transaction.atomic():  # a portal user is another account too
        third = services.deposit(supplier_user, party.structure, batch, "lot.tar.gz",
                                 channel=Canal.PORTAIL)
    assert not third.is_resend and Flux.objects.count() == 3
    run_tasks()
    assert Invoice.objects.count() == 2  # the others' invoices: duplicate numbers, as ever
    assert set(Flux.objects.exclude(numero=first["numeroFluxDepot"])
               .values_list("status", flat=True)) == {EtatFlux.REJETE}


def test_the_portal_re_send_shows_the_first_flux(client, supplier, supplier_user, batch):
    client.force_login(supplier_user)

    def upload():
        return client.post(reverse("flux:deposit"), {
            "structure": supplier.pk, "syntaxe": "",
            "fichier": SimpleUploadedFile("lot.tar.gz", batch, "application/gzip")},
            follow=True)

    upload()
    flux = Flux.objects.get()
    page = upload()
    assert Flux.objects.count() == 1
    assert page.redirect_chain[-1][0] == reverse("flux:detail", args=[flux.numero])
    assert "déjà été déposé" in page.content.decode() and flux.numero in page.content.decode()


def test_a_file_dropped_again_in_the_edi_folder_is_filed_without_a_new_flux(
        settings, tmp_path, party, batch):
    settings.CHOEUR_FLUX_DIR = str(tmp_path / "flux")
    drop = tmp_path / "flux" / "depot" / party.account.login
    drop.mkdir(parents=True)
    (drop / "lot.tar.gz").write_bytes(batch)
    [flux] = edi.scan_drop_folders(min_age=0)
    (drop / "lot-bis.tar.gz").write_bytes(batch)
    assert edi.scan_drop_folders(min_age=0) == []
    assert Flux.objects.get() == flux and not list(drop.iterdir())
    assert len(list((tmp_path / "flux" / "traites" / party.account.login).iterdir())) == 2
    assert not (tmp_path / "flux" / "rejets").exists()


def test_bad_input_in_a_re_send_is_still_refused(wire, batch):
    deposit(wire, batch)
    response = wire.post("factures/v1/deposer/flux",
                         deposit_body(batch, "lot.tar.gz", syntaxe="IN_DP_NOPE"))
    assert response.status_code == 400 and response.json()["codeRetour"] != 0
    assert Flux.objects.count() == 1


# --- Two identical deposits at the same instant make one flux ----------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_identical_deposits_at_once_make_one_flux(party, batch, monkeypatch):
    barrier = None
    if connection.vendor == "postgresql":
        # Both deposits inside their transactions, about to look for the first one.
        barrier = threading.Barrier(2, timeout=20)
        real = services._resend_lock

        def together(actor, sha256):
            barrier.wait()
            return real(actor, sha256)

        monkeypatch.setattr(services, "_resend_lock", together)
    outcome = {}

    def send(n):
        try:
            with transaction.atomic():
                outcome[n] = services.deposit(party.account, party.structure, batch,
                                              "lot.tar.gz", channel=Canal.API)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(value, Flux) for value in outcome.values()), outcome
    assert outcome[1].numero == outcome[2].numero
    assert sorted(value.is_resend for value in outcome.values()) == [False, True]
    assert Flux.objects.count() == 1
