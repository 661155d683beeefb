"""`deposer/flux`, `consulterCR` and `consulterCRDetaille` exactly as the clients of reference
§5 call them: base64 XML, Factur-X PDF, OCA's tar.gz batches, zip batches; the limits and the
hostile archives refused with coded errors and nothing stored; the integration by the worker,
resumed after a failure without duplicates; and no technical account ever reading another
structure's flux."""

from __future__ import annotations

import base64
import io
import tarfile
import zipfile
from datetime import timedelta

import pytest

from choeur.core.models import Blob
from choeur.flux import services
from choeur.flux.models import Canal, EtatFlux, Flux, FluxItem
from choeur.invoicing.models import Invoice, ModeDepot
from choeur.invoicing.statuses import Status
from tests.api.swagger import conforms

from .conftest import FLUX_NUMBER, Wire, broken, deposit_body, tar_gz, zipped

pytestmark = pytest.mark.django_db


def cr_detaille(wire, numero: str) -> dict:
    response = wire.post("transverses/v1/consulterCRDetaille",
                         {"numeroFluxDepot": numero, "syntaxeFlux": "IN_DP_E1_CII_16B"})
    assert response.status_code == 200, response.content
    return response.json()


def nothing_stored(blobs: int) -> bool:
    return not Flux.objects.exists() and Blob.objects.count() == blobs


# --- Deposits as the clients send them ----------------------------------------------------------


def test_a_base64_cii_is_accepted_at_once_then_integrated(wire, invoice_file, run_tasks):
    content = invoice_file("cii")
    response = wire.post("factures/v1/deposer/flux",
                         deposit_body(content, "cii_chorus_facture_FA-2026-0117.xml"))
    assert response.status_code == 200, response.content
    body = conforms(response.json(), "WsRetourDeposerFluxFacture", "factures")
    assert body["codeRetour"] == 0 and body["libelle"] == "TRA_MSG_00.000"
    assert FLUX_NUMBER.fullmatch(body["numeroFluxDepot"])
    assert len(body["dateDepot"]) == 10 and body["syntaxeFlux"] == "IN_DP_E1_CII_16B"
    flux = Flux.objects.get()
    assert flux.status == EtatFlux.EN_ATTENTE and flux.channel == Canal.API
    assert not Invoice.objects.exists()  # integration is the worker's
    assert cr_detaille(wire, flux.numero)["etatCourantDepotFlux"] == EtatFlux.EN_ATTENTE

    run_tasks()
    detail = cr_detaille(wire, flux.numero)
    assert detail["etatCourantDepotFlux"] == "IN_INTEGRE" == detail["etatCourantFlux"]
    assert detail["listeErreurDP"] == [] and detail["listeErreurTechnique"] == []
    assert detail["nomFichier"] == "cii_chorus_facture_FA-2026-0117.xml"
    invoice = Invoice.objects.get()
    assert invoice.number == "FA-2026-0117" and invoice.mode_depot == ModeDepot.UPLOAD_API
    assert invoice.flux_items.get().flux == flux
    assert invoice.status in (Status.DEPOSEE, Status.MISE_A_DISPOSITION)


def test_a_facturx_pdf_as_the_python_client_sends_it(client, party, invoice_file, run_tasks):
    wire = Wire(client, party, content_type="application/json")
    content = invoice_file("facturx")
    response = wire.post("factures/v1/deposer/flux", deposit_body(
        content, "facture.pdf", "IN_DP_E2_CII_FACTURX"))
    assert response.status_code == 200, response.content
    run_tasks()
    assert Flux.objects.get().status == EtatFlux.INTEGRE
    assert Invoice.objects.get().main_file_name == "facture.pdf"


def test_a_tar_gz_batch_with_one_bad_invoice_is_partially_integrated(wire, invoice_file,
                                                                     run_tasks):
    batch = tar_gz([("FA-1.xml", invoice_file("cii", number="FA-1")),
                    ("FA-2.xml", broken(invoice_file("cii", number="FA-2"))),
                    ("FA-3.pdf", invoice_file("facturx", number="FA-3"))])
    body = wire.post("factures/v1/deposer/flux",
                     deposit_body(batch, "cii_chorus_lot_factures.tar.gz")).json()
    assert body["codeRetour"] == 0
    run_tasks()

    detail = cr_detaille(wire, body["numeroFluxDepot"])
    assert detail["etatCourantDepotFlux"] == "IN_INTEGRE_PARTIEL"
    [error] = detail["listeErreurDP"]
    assert error["numeroDP"] == "FA-2"
    assert error["identifiantFournisseur"] == "73282932000074"
    assert error["identifiantDestinataire"] == "11000201100044"
    assert "BR-CO-15" in error["libelleErreurDP"]
    codes = {e["codeErreur"] for e in detail["listeErreurTechnique"]}
    assert "BR-CO-15" in codes
    assert all(e["natureErreur"] == "IRRECEVABILITE" and e["libelleErreur"].startswith("FA-2")
               for e in detail["listeErreurTechnique"])
    assert sorted(Invoice.objects.values_list("number", flat=True)) == ["FA-1", "FA-3"]
    flux = Flux.objects.get()
    assert (flux.invoice_count, flux.integrated_count, flux.rejected_count) == (3, 2, 1)


def test_a_zip_batch_is_integrated(wire, invoice_file, run_tasks):
    batch = zipped([("lot/FA-1.xml", invoice_file("ubl", number="FA-1")),
                    ("lot/FA-2.pdf", invoice_file("facturx", number="FA-2")),
                    ("__MACOSX/lot/._FA-2.pdf", b"\x00\x05\x16\x07")])
    body = wire.post("factures/v1/deposer/flux",
                     deposit_body(batch, "lot.zip", "IN_DP_E1_UBL_INVOICE")).json()
    assert body["codeRetour"] == 0
    run_tasks()
    assert cr_detaille(wire, body["numeroFluxDepot"])["etatCourantDepotFlux"] == "IN_INTEGRE"
    assert Invoice.objects.count() == 2 and Flux.objects.get().invoice_count == 2


def test_base64_with_line_breaks_and_no_syntax_is_accepted(wire, invoice_file):
    content = invoice_file("ubl")
    encoded = base64.encodebytes(content).decode()  # MIME: a line break every 76 characters
    response = wire.post("factures/v1/deposer/flux",
                         {"fichierFlux": encoded, "nomFichier": "ubl.xml"})
    assert response.status_code == 200, response.content
    assert Flux.objects.get().syntaxe == "IN_DP_E1_UBL_INVOICE"


def test_a_rejected_single_invoice_rejects_the_flux(wire, invoice_file, run_tasks):
    body = wire.post("factures/v1/deposer/flux",
                     deposit_body(broken(invoice_file("cii")), "facture.xml")).json()
    run_tasks()
    detail = cr_detaille(wire, body["numeroFluxDepot"])
    assert detail["etatCourantDepotFlux"] == "IN_REJETE"
    assert detail["listeErreurDP"][0]["numeroDP"] == "FA-2026-0117"
    assert not Invoice.objects.exists()


def test_a_platform_refusal_is_a_rejet_with_its_code(wire, invoice_file, run_tasks):
    first = wire.post("factures/v1/deposer/flux", deposit_body(invoice_file("cii"), "a.xml"))
    # The same invoice number in other bytes (the same bytes would be a re-send).
    second = wire.post("factures/v1/deposer/flux", deposit_body(invoice_file("ubl"), "b.xml"))
    run_tasks()
    assert cr_detaille(wire, first.json()["numeroFluxDepot"])["etatCourantDepotFlux"] == \
        "IN_INTEGRE"
    detail = cr_detaille(wire, second.json()["numeroFluxDepot"])
    assert detail["etatCourantDepotFlux"] == "IN_REJETE"
    [technical] = detail["listeErreurTechnique"]
    assert technical["codeErreur"] == "INV_NUMBER_ALREADY_USED"
    assert technical["natureErreur"] == "REJET"
    assert Invoice.objects.count() == 1


# --- Synchronous deposit (Choeur's opt-in) ------------------------------------------------------


def test_the_synchronous_deposit_returns_the_report_at_once(wire, invoice_file):
    batch = tar_gz([("FA-1.xml", invoice_file("cii", number="FA-1")),
                    ("FA-2.xml", broken(invoice_file("cii", number="FA-2")))])
    response = wire.post("factures/v1/deposer/flux", deposit_body(batch, "lot.tar.gz"),
                         headers={"X-Choeur-Synchrone": "1"})
    assert response.status_code == 200 and response["X-Choeur-Synchrone"] == "1"
    body = response.json()
    assert body["etatCourantDepotFlux"] == "IN_INTEGRE_PARTIEL"
    assert body["listeErreurDP"][0]["numeroDP"] == "FA-2"
    assert "BR-CO-15" in {e["codeErreur"] for e in body["listeErreurTechnique"]}
    assert Invoice.objects.count() == 1


def test_without_the_option_the_answer_is_chorus_pro_s(wire, invoice_file):
    body = wire.post("factures/v1/deposer/flux", deposit_body(invoice_file(), "f.xml")).json()
    assert set(body) == {"codeRetour", "libelle", "numeroFluxDepot", "dateDepot", "syntaxeFlux"}


def test_a_large_flux_asked_synchronous_goes_to_the_worker(wire, invoice_file, monkeypatch,
                                                          run_tasks):
    monkeypatch.setattr(services, "SYNC_MAX_INVOICES", 1)
    batch = tar_gz([("FA-1.xml", invoice_file("cii", number="FA-1")),
                    ("FA-2.xml", invoice_file("cii", number="FA-2"))])
    response = wire.post("factures/v1/deposer/flux",
                         {**deposit_body(batch, "lot.tar.gz"), "choeurSynchrone": True})
    assert response["X-Choeur-Synchrone"] == "0"
    assert response.json()["etatCourantDepotFlux"] == EtatFlux.EN_ATTENTE
    run_tasks()
    assert Flux.objects.get().status == EtatFlux.INTEGRE


# --- Refusals at deposit: coded, nothing stored --------------------------------------------------


def refused(wire, body, status=400, headers=None) -> dict:
    response = wire.post("factures/v1/deposer/flux", body, headers=headers)
    assert response.status_code == status, response.content
    answer = response.json()
    assert answer["codeRetour"] != 0
    return answer


def test_malformed_base64_is_refused(wire):
    blobs = Blob.objects.count()
    body = {"fichierFlux": "PD94bWwg*****", "nomFichier": "f.xml",
            "syntaxeFlux": "IN_DP_E1_CII_16B"}
    assert refused(wire, body)["libelle"].startswith("FLUX_BASE64_INVALID")
    assert refused(wire, {**body, "fichierFlux": ""})["libelle"].startswith("API_INVALID_FIELD")
    assert nothing_stored(blobs)


def test_bad_syntax_name_or_content_is_refused(wire, invoice_file):
    blobs = Blob.objects.count()
    content = invoice_file()
    assert refused(wire, deposit_body(content, "f.xml", "IN_DP_E1_FACTURX"))["libelle"] \
        .startswith("FLUX_SYNTAX_INVALID")
    assert refused(wire, deposit_body(content, "   "))["libelle"].startswith(
        "FLUX_FILENAME_INVALID")
    assert refused(wire, deposit_body(b"GIF89a not an invoice", "f.gif"))["libelle"] \
        .startswith("FLUX_FORMAT_UNKNOWN")
    assert refused(wire, deposit_body(b"   ", "f.xml"))["libelle"].startswith("FLUX_EMPTY")
    assert nothing_stored(blobs)


def test_size_and_count_limits(wire, monkeypatch):
    blobs = Blob.objects.count()
    big = b"<?xml version='1.0'?><Invoice>" + b" " * (10 * 1024 * 1024) + b"</Invoice>"
    answer = refused(wire, deposit_body(big, "big.xml"), status=413)
    assert answer["libelle"].startswith("FLUX_FILE_TOO_LARGE") and answer["codeRetour"] == 20003
    many = zipped([(f"f{i}.xml", b"<a/>") for i in range(501)])
    assert refused(wire, deposit_body(many, "many.zip"))["libelle"].startswith(
        "FLUX_TOO_MANY_INVOICES")
    with pytest.raises(services.errors.FluxArchiveTooLarge):
        services.split(b"PK\x03\x04" + bytes(30 * 1024 * 1024), "huge.zip")
    monkeypatch.setattr("choeur.api.flux.MAX_BODY", 1000)
    assert refused(wire, deposit_body(b"<a/>" * 500, "f.xml"), status=413)["libelle"] \
        .startswith("API_BODY_TOO_LARGE")
    assert nothing_stored(blobs)


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("facture.xml", b"<" + bytes(50 * 1024 * 1024))
    return buffer.getvalue()


def _tar_bomb() -> bytes:
    return tar_gz([("facture.xml", bytes(9 * 1024 * 1024)) for _ in range(6)])


def _tar_with(name: str, kind=tarfile.REGTYPE, linkname: str = "") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = linkname
        data = b"" if kind != tarfile.REGTYPE else b"<Invoice/>"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.parametrize("name,content,rule", [
    ("bomb.zip", _zip_bomb, "ARCHIVE_BOMB"),
    ("bomb.tar.gz", _tar_bomb, "ARCHIVE_"),
    ("evil.zip", lambda: zipped([("../../etc/cron.d/evil.xml", b"<a/>")]),
     "ARCHIVE_UNSAFE_MEMBER"),
    ("evil.tar.gz", lambda: _tar_with("/etc/passwd"), "ARCHIVE_UNSAFE_MEMBER"),
    ("link.tar.gz", lambda: _tar_with("f.xml", tarfile.SYMTYPE, "/etc/shadow"),
     "ARCHIVE_UNSAFE_MEMBER"),
    ("nested.zip", lambda: zipped([("inner.zip", zipped([("f.xml", b"<a/>")]))]),
     "ARCHIVE_NESTED"),
    ("truncated.tar.gz", lambda: tar_gz([("f.xml", b"<a/>" * 1000)])[:60], "ARCHIVE_CORRUPT"),
])
def test_hostile_archives_are_refused(wire, name, content, rule):
    blobs = Blob.objects.count()
    answer = refused(wire, deposit_body(content(), name))
    assert answer["libelle"].startswith("FLUX_ARCHIVE_REFUSED") and rule in answer["libelle"]
    assert nothing_stored(blobs)


# --- Resumed without duplicates ------------------------------------------------------------------


def test_an_integration_that_fails_is_resumed_without_duplicates(wire, invoice_file,
                                                                run_tasks, monkeypatch):
    batch = tar_gz([(f"FA-{i}.xml", invoice_file("cii", number=f"FA-{i}")) for i in (1, 2, 3)])
    numero = wire.post("factures/v1/deposer/flux", deposit_body(batch, "lot.tar.gz")).json()[
        "numeroFluxDepot"]
    real = services.batch_deposit.deposit_files
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "BATCH", 2)  # two batches: FA-1 and FA-2, then FA-3
    monkeypatch.setattr(services.batch_deposit, "deposit_files", failing)
    run_tasks()
    flux = Flux.objects.get()
    assert flux.status == EtatFlux.INCIDENTE and flux.attempts == 1
    assert Invoice.objects.count() == 2 and flux.items.count() == 2
    detail = cr_detaille(wire, numero)
    assert detail["etatCourantDepotFlux"] == "IN_INCIDENTE"
    assert detail["listeErreurTechnique"][0]["codeErreur"] == "FLUX_INTEGRATION_INCIDENT"

    monkeypatch.setattr(services.batch_deposit, "deposit_files", real)
    assert services.retry_stalled() == 0  # the back-off: not yet
    from choeur.core import clock

    with clock.shifted(timedelta(minutes=2)):
        assert services.retry_stalled() == 1
        assert services.retry_stalled() == 0  # already queued: once
    run_tasks()
    flux.refresh_from_db()
    assert flux.status == EtatFlux.INTEGRE and flux.attempts == 2
    assert sorted(Invoice.objects.values_list("number", flat=True)) == ["FA-1", "FA-2", "FA-3"]
    assert list(flux.items.values_list("position", flat=True)) == [1, 2, 3]
    assert services.integrate(flux.pk) is None  # a late duplicate task does nothing
    assert Invoice.objects.count() == 3 and FluxItem.objects.count() == 3


def test_a_stalled_integration_is_taken_again(wire, invoice_file, run_tasks):
    numero = wire.post("factures/v1/deposer/flux",
                       deposit_body(invoice_file(), "f.xml")).json()["numeroFluxDepot"]
    Flux.objects.filter(numero=numero).update(status=EtatFlux.EN_COURS)
    from choeur.core import clock

    with clock.shifted(timedelta(minutes=31)):
        services.retry_stalled()
        assert Flux.objects.get().status == EtatFlux.INCIDENTE
        with clock.shifted(timedelta(minutes=2)):
            assert services.retry_stalled() == 1
    run_tasks()
    assert Flux.objects.get().status == EtatFlux.INTEGRE and Invoice.objects.count() == 1


# --- Comptes rendus -------------------------------------------------------------------------------


def test_consulter_cr_returns_the_pdf_report(wire, invoice_file, run_tasks):
    batch = tar_gz([("FA-1.xml", invoice_file("cii", number="FA-1")),
                    ("FA-2.xml", broken(invoice_file("cii", number="FA-2")))])
    numero = wire.post("factures/v1/deposer/flux", deposit_body(batch, "lot.tar.gz")).json()[
        "numeroFluxDepot"]
    run_tasks()
    response = wire.post("transverses/v1/consulterCR",
                         {"numeroFluxDepot": numero, "syntaxFluxType": "IN_DP_E1_CII_16B"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["codeRetour"] == 0 and body["etatCourantFlux"] == "IN_INTEGRE_PARTIEL"
    assert body["numeroFluxDepot"] == numero and body["nomFichierFlux"] == "lot.tar.gz"
    assert body["codeAppliPartenaire"] == "TECH_1_LUMIERE@cpro.fr"
    pdf = base64.b64decode(body["fichierCR"])
    assert pdf.startswith(b"%PDF-")
    again = wire.post("transverses/v1/consulterCR", {"numeroFluxDepot": numero}).json()
    assert again["fichierCR"] == body["fichierCR"]  # deterministic for the same state


def test_a_technical_account_never_reads_another_structure_s_flux(client, wire, victim,
                                                                  invoice_file, run_tasks):
    numero = wire.post("factures/v1/deposer/flux",
                       deposit_body(invoice_file(), "f.xml")).json()["numeroFluxDepot"]
    run_tasks()
    thief = Wire(client, victim)
    for operation in ("consulterCR", "consulterCRDetaille"):
        for asked in (numero, "CPP" + "0" * 22, ""):
            response = thief.post(f"transverses/v1/{operation}", {"numeroFluxDepot": asked})
            assert response.status_code in (400, 404), response.content
            assert numero not in response.content.decode() or asked == numero
            assert "fichierCR" not in response.json()
        unknown = thief.post(f"transverses/v1/{operation}", {"numeroFluxDepot": numero})
        mine = wire.post(f"transverses/v1/{operation}",
                         {"numeroFluxDepot": "CPP" + "9" * 22})
        assert unknown.status_code == mine.status_code == 404
        assert unknown.json()["codeRetour"] == mine.json()["codeRetour"] == 20001


def test_a_deposit_needs_the_factures_emises_espace(wire, party):
    party.structure.espaces.filter(espace="FACTURES_EMISES").delete()
    response = wire.post("factures/v1/deposer/flux", deposit_body(b"<a/>", "f.xml"))
    assert response.status_code == 403
    assert not Flux.objects.exists()


def test_the_flux_operations_need_the_technical_account(client, party):
    response = client.post("/cpro/factures/v1/deposer/flux", data="{}",
                           content_type="application/json")
    assert response.status_code == 401
    response = client.post("/cpro/transverses/v1/consulterCR", data="{}",
                           content_type="application/json")
    assert response.status_code == 401


def test_the_flux_s_invoices_are_found_by_its_number(wire, invoice_file, run_tasks):
    """Reference §4.5: after consulterCRDetaille, clients look the invoices up by flux."""
    batch = tar_gz([("FA-1.xml", invoice_file("cii", number="FA-1")),
                    ("FA-2.xml", broken(invoice_file("cii", number="FA-2"))),
                    ("FA-3.xml", invoice_file("cii", number="FA-3"))])
    numero = wire.post("factures/v1/deposer/flux", deposit_body(batch, "lot.tar.gz")).json()[
        "numeroFluxDepot"]
    run_tasks()
    response = wire.post("factures/v1/rechercher/fournisseur",
                         {"numeroFluxDepot": numero, "typeFacture": "FACTURE"})
    assert response.status_code == 200, response.content
    found = {row["numeroFacture"] for row in response.json()["listeFactures"]}
    assert found == {"FA-1", "FA-3"}
