"""One way of showing amounts and units, shared by the portal and the PDFs."""

from decimal import Decimal as D

import pytest

from choeur.formats import display
from choeur.invoicing import documents, forms

NBSP = "\u00a0"


@pytest.mark.parametrize(("value", "language", "currency", "shown"), [
    (D("12345.67"), "fr", "EUR", f"12{NBSP}345,67{NBSP}€"),
    (D("12345.67"), "en", "EUR", "€12,345.67"),
    (D("1234567.5"), "fr", None, f"1{NBSP}234{NBSP}567,50"),
    (D("-20"), "fr", "EUR", f"-20,00{NBSP}€"),
    (D("-20"), "en", "EUR", "-€20.00"),
    (D("0.125"), "fr", "EUR", f"0,125{NBSP}€"),  # a unit price keeps its decimals
    (D("4.350000"), "fr", "USD", f"4,35{NBSP}USD"),
    ("342.05", "fr", "EUR", f"342,05{NBSP}€"),
    (None, "fr", "EUR", ""),
    ("pas un nombre", "fr", "EUR", ""),
])
def test_money(value, language, currency, shown):
    assert display.money(value, language, currency) == shown


def test_units_show_their_name_with_the_code():
    assert display.unit_label("MTK", "fr") == "mètre carré (MTK)"
    assert display.unit_label("mtk", "en") == "square metre (MTK)"
    assert display.unit_label("XYZ", "fr") == "XYZ"
    assert display.unit_label("", "fr") == ""


def test_every_unit_the_project_offers_or_writes_has_its_names():
    for code in {*forms.UNIT_CODES, *documents.UNIT_CODES, *documents.UNIT_WORDS.values()}:
        french, english = display.UNIT_NAMES[code]
        assert french and english


def test_notifications_show_amounts_the_same_way():
    from django.utils import translation

    from choeur.messaging import catalogue

    params = {"number": "FA-1", "supplier": "Lumière", "amount": "12345.60", "currency": "EUR"}
    with translation.override("fr"):
        assert catalogue.render("invoice_received", params) == (
            f"Nouvelle facture FA-1 de Lumière (12{NBSP}345,60{NBSP}€) à traiter.")
    with translation.override("en"):
        assert catalogue.render("invoice_received", params) == (
            "New invoice FA-1 from Lumière (€12,345.60) to process.")
