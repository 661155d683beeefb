"""The portal's "Suivi des flux": the list, a flux's detail with its per-invoice results, the
PDF compte rendu, the upload of a flux; scoped to the user's structures."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from choeur.flux import services
from choeur.flux.models import Canal, EtatFlux, Flux
from choeur.invoicing.models import Invoice, ModeDepot
from tests.organisations.conftest import make_user

from .conftest import broken, deposit_body, tar_gz

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, supplier_user):
    client.force_login(supplier_user)
    return client


@pytest.fixture
def partial_flux(wire, invoice_file, run_tasks):
    batch = tar_gz([("FA-1.xml", invoice_file("cii", number="FA-1")),
                    ("FA-2.xml", broken(invoice_file("cii", number="FA-2")))])
    wire.post("factures/v1/deposer/flux", deposit_body(batch, "lot.tar.gz"))
    run_tasks()
    return Flux.objects.get()


def test_the_list_shows_the_structure_s_flux(logged_in, partial_flux):
    response = logged_in.get(reverse("flux:list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert partial_flux.numero in body and "lot.tar.gz" in body
    assert escape("Intégré partiellement") in body
    assert reverse("flux:deposit") in body
    assert reverse("flux:list") in logged_in.get(reverse("home")).content.decode()  # menu
    for forged in ("²", "9" * 30, "-1"):  # a cursor that is no id: the first page
        assert logged_in.get(reverse("flux:list"), {"avant": forged}).status_code == 200


def test_the_detail_shows_each_invoice_s_result(logged_in, partial_flux):
    response = logged_in.get(reverse("flux:detail", args=[partial_flux.numero]))
    assert response.status_code == 200
    body = response.content.decode()
    invoice = Invoice.objects.get()
    assert reverse("invoicing:issued_detail", args=[invoice.pk]) in body
    assert "FA-2" in body and "BR-CO-15" in body and "Rejetée" in body
    report = logged_in.get(reverse("flux:report", args=[partial_flux.numero]))
    assert report.status_code == 200 and report.content.startswith(b"%PDF-")


def test_outsiders_see_no_flux(client, partial_flux):
    client.force_login(make_user("curieux@ailleurs.fr"))
    listing = client.get(reverse("flux:list"))
    assert listing.status_code == 200 and partial_flux.numero not in listing.content.decode()
    assert reverse("flux:list") not in client.get(reverse("home")).content.decode()
    for name in ("flux:detail", "flux:report"):
        assert client.get(reverse(name, args=[partial_flux.numero])).status_code == 404
    assert client.post(reverse("flux:retry", args=[partial_flux.numero])).status_code == 404
    assert client.get(reverse("flux:deposit")).status_code == 403


def test_a_flux_is_uploaded_from_the_portal(logged_in, supplier, invoice_file, run_tasks):
    page = logged_in.get(reverse("flux:deposit"))
    assert page.status_code == 200 and "Fichier du flux" in page.content.decode()
    batch = tar_gz([("FA-1.xml", invoice_file("cii", number="FA-1")),
                    ("FA-2.pdf", invoice_file("facturx", number="FA-2"))])
    response = logged_in.post(reverse("flux:deposit"), {
        "structure": supplier.pk, "syntaxe": "",
        "fichier": SimpleUploadedFile("lot.tar.gz", batch, "application/gzip")})
    flux = Flux.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("flux:detail", args=[flux.numero])
    assert flux.channel == Canal.PORTAIL and flux.user is not None
    run_tasks()
    flux.refresh_from_db()
    assert flux.status == EtatFlux.INTEGRE
    assert set(Invoice.objects.values_list("mode_depot", flat=True)) == {
        ModeDepot.UPLOAD_PORTAIL}


def test_a_refused_upload_says_why_and_stores_nothing(logged_in, supplier):
    response = logged_in.post(reverse("flux:deposit"), {
        "structure": supplier.pk, "syntaxe": "",
        "fichier": SimpleUploadedFile("evil.tar.gz", tar_gz([("../x.xml", b"<a/>")]))})
    assert response.status_code == 400
    body = response.content.decode()
    assert "FLUX_ARCHIVE_REFUSED" in body and 'role="alert"' in body
    assert not Flux.objects.exists()


def test_an_incident_can_be_relaunched_from_the_portal(logged_in, wire, invoice_file,
                                                       run_tasks, monkeypatch):
    wire.post("factures/v1/deposer/flux", deposit_body(invoice_file(), "f.xml"))

    def failing(*args, **kwargs):
        raise OSError("disk full")

    real = services.batch_deposit.deposit_files
    monkeypatch.setattr(services.batch_deposit, "deposit_files", failing)
    run_tasks()
    flux = Flux.objects.get()
    assert flux.status == EtatFlux.INCIDENTE
    page = logged_in.get(reverse("flux:detail", args=[flux.numero])).content.decode()
    assert "FLUX_INTEGRATION_INCIDENT" in page and reverse("flux:retry", args=[flux.numero]) \
        in page
    monkeypatch.setattr(services.batch_deposit, "deposit_files", real)
    response = logged_in.post(reverse("flux:retry", args=[flux.numero]))
    assert response.status_code == 302
    run_tasks()
    flux.refresh_from_db()
    assert flux.status == EtatFlux.INTEGRE and Invoice.objects.count() == 1
