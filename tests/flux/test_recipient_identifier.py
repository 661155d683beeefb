"""A file whose buyer has no SIRET (none at all, or a SIREN, scheme 0002) is refused with a
code that says so and what to give (BT-47, scheme 0009), not as an unknown recipient « — »."""

from __future__ import annotations

import re

import pytest

from choeur.invoicing import errors, structured
from choeur.invoicing.models import Cadre

from .conftest import deposit_body

pytestmark = pytest.mark.django_db


def siren_only(content: bytes, siret: str) -> bytes:
    """The buyer named by its SIREN (scheme 0002) wherever the file gave its SIRET."""
    changed, count = re.subn(rf'schemeID="0009"([^>]*)>{siret}<'.encode(),
                             rf'schemeID="0002"\1>{siret[:9]}<'.encode(), content)
    assert count
    return changed


def test_a_buyer_named_by_its_siren_gets_a_clear_refusal(supplier_user, supplier, recipient,
                                                         invoice_file):
    content = siren_only(invoice_file("cii", number="FA-1"), recipient.identifier)
    with pytest.raises(errors.RecipientIdentifierMissing) as caught:
        structured.check_file(supplier_user, supplier, content, cadre=Cadre.A1)
    assert caught.value.code == "INV_RECIPIENT_IDENTIFIER_MISSING" and caught.value.bt == "BT-46"
    assert "0009" in caught.value.message("fr") and "SIREN" in caught.value.message("en")


def test_the_flux_report_says_it(wire, invoice_file, recipient, run_tasks):
    content = siren_only(invoice_file("cii", number="FA-2"), recipient.identifier)
    body = wire.post("factures/v1/deposer/flux", deposit_body(content, "FA-2.xml"),
                     headers={"X-Choeur-Synchrone": "1"}).json()
    assert body["etatCourantDepotFlux"] == "IN_REJETE"
    assert body["listeErreurTechnique"][0]["codeErreur"] == "INV_RECIPIENT_IDENTIFIER_MISSING"
    assert "« — »" not in body["listeErreurDP"][0]["libelleErreurDP"]
