"""The organisation pages say things in words: no Chorus Pro wire name (`getaMoa`,
`miseEnPaiement`...) as a label, in French or in English."""

import re

import pytest
from django.conf import settings

from choeur.organisations.models import Service, Structure

pytestmark = pytest.mark.django_db

WIRE_NAMES = [
    str(model._meta.get_field(name).verbose_name)
    for model, names in (
        (Structure, ["service_code_required", "engagement_required",
                     "engagement_or_service_required", "payment_status_not_reported", "moa",
                     "moa_only", "edi_connection", "receives_via_edi"]),
        (Service, ["payment_status_reported", "engagement_required"]))
    for name in names
]


def pages(structure):
    service = structure.services.get(code="COMPTA")
    return [f"/structures/{structure.pk}/", f"/structures/{structure.pk}/modifier/",
            f"/structures/{structure.pk}/services/nouveau/",
            f"/structures/{structure.pk}/services/{service.pk}/modifier/"]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_no_wire_name_on_the_structure_and_service_pages(client, gp, structure, language):
    assert "getaMoa" in WIRE_NAMES and "miseEnPaiement" in WIRE_NAMES  # what is looked for
    client.force_login(gp)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for url in pages(structure):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for wire in WIRE_NAMES:
            assert not re.search(rf"\b{wire}\b", body, re.IGNORECASE), (url, wire)


def test_the_parameters_have_french_and_english_labels(client, gp, structure):
    client.force_login(gp)
    edit = client.get(f"/structures/{structure.pk}/modifier/").content.decode()
    assert "Maîtrise d&#x27;ouvrage (MOA)" in edit
    assert "Statut « mise en paiement » non remonté" in edit
    service = client.get(f"/structures/{structure.pk}/services/nouveau/").content.decode()
    assert "Statut « mise en paiement » remonté" in service
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    edit = client.get(f"/structures/{structure.pk}/modifier/").content.decode()
    assert "Project owner (MOA)" in edit and "Service code required" in edit
    detail = client.get(f"/structures/{structure.pk}/").content.decode()
    assert "Commitment number or service code required" in detail
    assert "<th scope=\"col\">Name</th>" in detail  # a service's name, not a "Last name"
