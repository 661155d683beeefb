"""« Formation »: the modules' index and each guide, open to everyone, in French or English."""

from __future__ import annotations

import pytest

from choeur.invoicing.statuses import INVOICE_STATUSES

pytestmark = pytest.mark.django_db


def test_the_index_lists_the_guides_of_the_modules(client):
    page = client.get("/formation/").content.decode()
    assert "Module 1 — Cerner le cadre juridique" in page
    assert "/formation/decouvrir-chorus-pro/" in page


def test_a_guide_is_shown_with_its_generated_parts_and_its_neighbours(client):
    response = client.get("/formation/decouvrir-chorus-pro/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<tr data-status=") == len(INVOICE_STATUSES)
    assert "Mise à disposition du destinataire" in page
    assert 'rel="prev"' in page and "/formation/cadre-juridique/" in page
    assert 'href="/structures/"' in page  # the portal's page, reversed


def test_english_when_the_interface_is_english(client):
    client.cookies["django_language"] = "en"
    page = client.get("/formation/cadre-juridique/").content.decode()
    assert "The legal frame of electronic invoicing" in page
    assert "1 January 2017" in page


def test_an_unknown_guide_is_a_404(client):
    assert client.get("/formation/nulle-part/").status_code == 404
    assert client.post("/formation/").status_code in (403, 405)
