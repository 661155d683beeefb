"""Issue 14, B: a new supplier's first flux whose Factur-X carries an IBAN it has not
registered. The rule stays (IN_REJETE, INV_BANK_ACCOUNT_REQUIRED) but the rejection names the
IBAN and where to register it, the pages warn while no bank details exist, and « Vérifier
sans envoyer » (portal and API) says it before any deposit."""

from __future__ import annotations

import pytest

from choeur.core.models import Blob
from choeur.flux.models import EtatFlux, Flux
from choeur.invoicing import errors, structured
from choeur.invoicing.models import Cadre, Invoice

from .conftest import deposit_body, tar_gz

pytestmark = pytest.mark.django_db

GROUPED = "FR14 2004 1010 0505 0001 3M02 606"


def remove_bank_details(supplier):
    """After the files are written: a supplier's software wrote its IBAN in them, the
    structure never registered it."""
    supplier.bank_accounts.update(is_active=False)


def _verify(wire, content, name="lot.tar.gz", **extra):
    body = {**deposit_body(content, name), **extra}
    headers = {} if extra else {"X-Choeur-Verification": "1"}
    return wire.post("factures/v1/deposer/flux", body, headers=headers)


def test_the_flux_rejection_names_the_iban_and_where_to_register_it(
        wire, invoice_file, supplier, run_tasks):
    content = invoice_file("facturx", number="FA-1")
    remove_bank_details(supplier)
    numero = wire.post("factures/v1/deposer/flux",
                       deposit_body(content, "FA-1.pdf")).json()["numeroFluxDepot"]
    run_tasks()
    detail = wire.post("transverses/v1/consulterCRDetaille",
                       {"numeroFluxDepot": numero}).json()
    assert detail["etatCourantDepotFlux"] == "IN_REJETE"
    error = detail["listeErreurTechnique"][0]
    assert error["codeErreur"] == "INV_BANK_ACCOUNT_REQUIRED"
    assert GROUPED in error["libelleErreur"]
    assert "Coordonnées bancaires" in error["libelleErreur"]


def test_the_api_verification_says_it_and_stores_nothing(wire, invoice_file, supplier):
    batch = tar_gz([("FA-1.pdf", invoice_file("facturx", number="FA-1")),
                    ("FA-2.xml", invoice_file("cii", number="FA-2"))])
    remove_bank_details(supplier)
    blobs = Blob.objects.count()
    response = _verify(wire, batch)
    assert response.status_code == 200, response.content
    assert response["X-Choeur-Verification"] == "1"
    body = response.json()
    assert body["codeRetour"] == 0 and "numeroFluxDepot" not in body
    assert body["etatCourantDepotFlux"] == "IN_REJETE"
    assert [e["numeroDP"] for e in body["listeErreurDP"]] == ["FA-1", "FA-2"]
    assert all(GROUPED in e["libelleErreur"] for e in body["listeErreurTechnique"])
    assert not Flux.objects.exists() and not Invoice.objects.exists()
    assert Blob.objects.count() == blobs


def test_the_api_verification_of_a_good_flux(wire, invoice_file):
    batch = tar_gz([("FA-1.xml", invoice_file("cii", number="FA-1")),
                    ("FA-2.xml", invoice_file("ubl", number="FA-2")),
                    ("FA-2-bis.xml", invoice_file("cii", number="FA-2"))])
    body = _verify(wire, batch, choeurVerification=True).json()
    assert body["etatCourantDepotFlux"] == "IN_INTEGRE_PARTIEL"
    assert [e["numeroDP"] for e in body["listeErreurDP"]] == ["FA-2"]
    assert body["listeErreurTechnique"][0]["codeErreur"] == "INV_NUMBER_ALREADY_USED"
    assert not Flux.objects.exists() and not Invoice.objects.exists()
    # Verified, then deposited: the same verdict.
    body = _verify(wire, tar_gz([("FA-1.xml", invoice_file("cii", number="FA-1"))]),
                   choeurVerification=True).json()
    assert body["etatCourantDepotFlux"] == "IN_INTEGRE" and body["listeErreurDP"] == []


def test_a_verification_is_bounded_and_checks_the_flux_itself(wire, invoice_file):
    from choeur.flux import services

    too_many = tar_gz([(f"FA-{i}.xml", invoice_file("cii", number=f"FA-{i}"))
                       for i in range(services.VERIFY_MAX_INVOICES + 1)])
    response = _verify(wire, too_many)
    assert response.status_code == 400
    assert response.json()["libelle"].startswith("FLUX_TOO_LARGE_TO_VERIFY - ")
    response = _verify(wire, b"not a flux at all", name="x.txt")
    assert response.status_code == 400 and not Flux.objects.exists()


def test_verifier_sans_envoyer_in_the_portal_names_the_iban(
        supplier_user, supplier, invoice_file):
    content = invoice_file("facturx", number="FA-9")
    remove_bank_details(supplier)
    with pytest.raises(errors.BankAccountRequired) as caught:
        structured.check_file(supplier_user, supplier, content, cadre=Cadre.A1)
    assert caught.value.code == "INV_BANK_ACCOUNT_REQUIRED"
    assert GROUPED in caught.value.message("fr") and GROUPED in caught.value.message("en")
    assert supplier.company_name in caught.value.message("fr")


def test_the_structure_and_raccordements_pages_warn_without_bank_details(
        client, supplier_user, supplier, bank_account):
    client.force_login(supplier_user)
    pages = (f"/structures/{supplier.pk}/", f"/structures/{supplier.pk}/raccordements/")
    for url in pages:
        assert 'data-testid="bank-details-missing"' not in client.get(url).content.decode()
    supplier.bank_accounts.update(is_active=False)
    for url in pages:
        page = client.get(url).content.decode()
        assert 'data-testid="bank-details-missing"' in page, url
        assert f"/structures/{supplier.pk}/coordonnees-bancaires/" in page


def test_a_registered_iban_goes_through(wire, invoice_file, run_tasks):
    numero = wire.post("factures/v1/deposer/flux", deposit_body(
        invoice_file("facturx", number="FA-1"), "FA-1.pdf")).json()["numeroFluxDepot"]
    run_tasks()
    assert Flux.objects.get(numero=numero).status == EtatFlux.INTEGRE


def test_no_warning_on_a_public_recipients_page(client, recipient, recipient_user):
    """A public structure is a recipient first: the suppliers' warning is not for it."""
    recipient.bank_accounts.update(is_active=False)
    client.force_login(recipient_user)
    response = client.get(f"/structures/{recipient.pk}/")
    assert response.status_code == 200
    assert 'data-testid="bank-details-missing"' not in response.content.decode()
