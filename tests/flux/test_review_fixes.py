"""Regressions found in review: a dropped file with a very long name, a compte rendu with
many long findings, a 3 MB invoice PDF through the API, and no password hashing for a caller
without a token."""

from __future__ import annotations

import base64
import io

import pytest

from choeur.flux import edi, reports
from choeur.flux.models import Canal, EtatFlux, Flux, FluxItem

pytestmark = pytest.mark.django_db


def test_a_file_with_a_very_long_name_does_not_stop_the_scan(tmp_path, party, invoice_file):
    root = tmp_path / "flux"
    folder = root / "depot" / party.account.login
    folder.mkdir(parents=True)
    (folder / ("a" * 245 + ".xml")).write_bytes(invoice_file(number="LONG-1"))
    (folder / "zz-good.xml").write_bytes(invoice_file(number="OK-1"))
    deposited = edi.scan_drop_folders(root, min_age=0)
    assert len(deposited) == 2
    assert all(len(f.filename) <= edi.MAX_NAME for f in deposited)
    assert not list(folder.iterdir())  # both taken, filed under traites/


def test_the_compte_rendu_fits_many_long_findings(party):
    flux = Flux.objects.create(
        numero="CPP" + "1" * 22, structure=party.structure, technical_account=party.account,
        channel=Canal.API, syntaxe="IN_DP_E1_CII_16B", filename="x.xml", sha256="0" * 64,
        size=1, kind="xml", invoice_count=1, status=EtatFlux.REJETE)
    long = ("cvc-complex-type.2.4.a: Invalid content was found starting with element "
            "'ram:Something'. One of '{urn:un:unece:uncefact:data:standard:"
            "ReusableAggregateBusinessInformationEntity:100}Other' is expected. ") * 20
    FluxItem.objects.create(flux=flux, position=1, name="x.xml", accepted=False, errors=[
        {"code": "XSD", "message_fr": long, "message_en": long,
         "location": f"/rsm:CrossIndustryInvoice/ram:Line[{i}]"} for i in range(40)])
    assert reports.render_cr(flux).startswith(b"%PDF")


def test_an_invoice_pdf_of_3_mb_is_taken_by_the_api(wire):
    import os

    import pikepdf

    # A real PDF (every channel now reads it before storing it), 3 MB of it a stream.
    document = pikepdf.new()
    document.add_blank_page()
    document.Root.Filler = document.make_stream(os.urandom(3 * 1024 * 1024))
    buffer = io.BytesIO()
    document.save(buffer)
    pdf = buffer.getvalue()
    assert len(pdf) > 3 * 1024 * 1024
    response = wire.post("factures/v1/deposer/pdf", {
        "fichierFacture": base64.b64encode(pdf).decode(), "nomFichier": "f.pdf",
        "formatDepot": "PDF_NON_SIGNE"})
    assert response.status_code == 200, response.content[:300]


def test_no_password_is_hashed_for_a_caller_without_a_token(client, party, monkeypatch):
    from choeur.organisations import raccordements

    def forbidden(*args):
        raise AssertionError("a password was checked")

    monkeypatch.setattr(raccordements, "authenticate_api_caller", forbidden)
    monkeypatch.setattr(raccordements, "check_secret", forbidden)
    account = base64.b64encode(f"{party.account.login}:whatever".encode()).decode()
    response = client.post("/cpro/transverses/v1/recuperer/pays", data="{}",
                           content_type="application/json", HTTP_CPRO_ACCOUNT=account)
    assert response.status_code == 401


def test_an_invoice_that_makes_choeur_fail_is_refused_alone(wire, invoice_file, run_tasks,
                                                           monkeypatch):
    from choeur.flux import services
    from choeur.invoicing.models import Invoice
    from tests.flux.conftest import deposit_body, tar_gz

    batch = tar_gz([(f"FA-{i}.xml", invoice_file("cii", number=f"FA-{i}")) for i in (1, 2, 3)])
    wire.post("factures/v1/deposer/flux", deposit_body(batch, "lot.tar.gz"))
    real = services.structured.deposit_file
    real_batch = services.batch_deposit.deposit_files

    def poisoned(actor, structure, content, *args, **kwargs):
        if b"FA-2" in content:
            raise ValueError("a check that fails on a shape no one foresaw")
        return real(actor, structure, content, *args, **kwargs)

    def poisoned_batch(actor, structure, files, **kwargs):
        if any(b"FA-2" in f.content for f in files):
            raise ValueError("a check that fails on a shape no one foresaw")
        return real_batch(actor, structure, files, **kwargs)

    # The batch fails as a whole; deposited one by one, only the culprit is refused.
    monkeypatch.setattr(services.batch_deposit, "deposit_files", poisoned_batch)
    monkeypatch.setattr(services.structured, "deposit_file", poisoned)
    run_tasks()
    flux = Flux.objects.get()
    assert flux.status == EtatFlux.INTEGRE_PARTIEL
    assert sorted(Invoice.objects.values_list("number", flat=True)) == ["FA-1", "FA-3"]
    refused = flux.items.get(accepted=False)
    assert refused.position == 2 and refused.errors[0]["code"] == "FLUX_INVOICE_UNPROCESSABLE"


def test_a_number_taken_meanwhile_is_refused_alone(wire, invoice_file, run_tasks, monkeypatch,
                                                   party):
    """The batch checks numbers against one query; an invoice deposited from elsewhere at that
    instant makes its insert fail on the unique constraint: the batch is undone and deposited
    one by one, and only the invoice that lost is refused."""
    from django.db import transaction

    from choeur.invoicing import batch_deposit, structured
    from choeur.invoicing.models import Cadre, Invoice, ModeDepot
    from tests.flux.conftest import deposit_body, tar_gz

    batch = tar_gz([(f"FA-{i}.xml", invoice_file("cii", number=f"FA-{i}")) for i in (1, 2, 3)])
    wire.post("factures/v1/deposer/flux", deposit_body(batch, "lot.tar.gz"))
    with transaction.atomic():  # FA-2 deposited from the portal at the same instant…
        structured.deposit_file(party.account, party.structure,
                                invoice_file("cii", number="FA-2"), "FA-2.xml", cadre=Cadre.A1,
                                mode_depot=ModeDepot.UPLOAD_PORTAIL)
    real = batch_deposit.services.check_sendable
    checked = []

    def stale(supplier, data, **kwargs):
        checked.append(data.number)
        return real(supplier, data, **{**kwargs, "taken_numbers": set()})  # …after the check

    monkeypatch.setattr(batch_deposit.services, "check_sendable", stale)
    run_tasks()
    flux = Flux.objects.get()
    assert flux.status == EtatFlux.INTEGRE_PARTIEL
    assert sorted(Invoice.objects.values_list("number", flat=True)) == ["FA-1", "FA-2", "FA-3"]
    refused = flux.items.get(accepted=False)
    assert refused.position == 2 and refused.errors[0]["code"] == "INV_NUMBER_ALREADY_USED"
    assert checked[:3] == ["FA-1", "FA-2", "FA-3"]  # one batch first, then one by one


def test_the_same_number_twice_in_a_flux_is_refused_the_second_time(wire, invoice_file,
                                                                     run_tasks):
    from choeur.invoicing.models import Invoice
    from tests.flux.conftest import deposit_body, tar_gz

    batch = tar_gz([("a.xml", invoice_file("cii", number="FA-7")),
                    ("b.xml", invoice_file("cii", number="FA-7"))])
    wire.post("factures/v1/deposer/flux", deposit_body(batch, "lot.tar.gz"))
    run_tasks()
    flux = Flux.objects.get()
    assert flux.status == EtatFlux.INTEGRE_PARTIEL and Invoice.objects.count() == 1
    refused = flux.items.get(accepted=False)
    assert refused.position == 2 and refused.errors[0]["code"] == "INV_NUMBER_ALREADY_USED"


def test_the_supplier_hears_of_a_flux_once(wire, invoice_file, run_tasks, supplier_user):
    """A flux of 500 invoices would otherwise be 500 notifications and e-mails per user."""
    from django.core import mail

    from choeur.messaging.models import Notification
    from tests.flux.conftest import deposit_body, tar_gz

    batch = tar_gz([(f"FA-{i}.xml", invoice_file("cii", number=f"FA-{i}")) for i in (1, 2, 3)]
                   + [("bad.xml", b"<Invoice/>")])
    numero = wire.post("factures/v1/deposer/flux", deposit_body(batch, "lot.tar.gz")).json()[
        "numeroFluxDepot"]
    mail.outbox.clear()
    run_tasks()
    told = Notification.objects.filter(user=supplier_user)
    assert list(told.values_list("kind", flat=True)) == ["flux_integrated"]
    from choeur.messaging.catalogue import render

    text = render("flux_integrated", told.get().params)
    assert numero in text and "Intégré partiellement" in text and "3 facture(s)" in text
    assert "1 rejetée(s)" in text
    # The recipient's users hear of each invoice reaching them (routing), as before.
    assert Notification.objects.filter(kind="invoice_received").count() >= 3
