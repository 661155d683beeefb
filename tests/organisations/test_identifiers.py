import pytest

from choeur.organisations.errors import InvalidIdentifier, InvalidVatNumber
from choeur.organisations.identifiers import normalise_identifier, normalise_vat


@pytest.mark.parametrize(("type_", "raw", "expected"), [
    ("SIRET", "732 829 320 00074", "73282932000074"),
    ("SIRET", "35600000000048", "35600000000048"),  # La Poste: its own checksum rule
    ("UE_HORS_FRANCE", "DE 136 695 976", "DE136695976"),
    ("HORS_UE", "US ACME Corporation", "USACMECORPORATION"),
    ("RIDET", "1234567001", "1234567001"),
    ("TAHITI", "a12345001", "A12345001"),
    ("AUTRE", "asso-42", "ASSO-42"),
])
def test_valid_identifiers(type_, raw, expected):
    assert normalise_identifier(type_, raw) == expected


@pytest.mark.parametrize(("type_", "raw", "fragment"), [
    ("SIRET", "73282932000075", "clé de contrôle"),
    ("SIRET", "7328293200007", "14 chiffres"),
    ("SIRET", "7328293200007A", "14 chiffres"),
    ("UE_HORS_FRANCE", "FR40303265045", "SIRET"),
    ("UE_HORS_FRANCE", "DE136695975", "clé"),
    ("UE_HORS_FRANCE", "US123456", "Union"),
    ("HORS_UE", "DEACME", "hors UE"),
    ("HORS_UE", "U", "hors UE"),
    ("RIDET", "12345678", "9 ou 10 chiffres"),
    ("TAHITI", "A1234", "9 caractères"),
    ("AUTRE", "", "1 à 80"),
])
def test_invalid_identifiers_say_why(type_, raw, fragment):
    with pytest.raises(InvalidIdentifier) as excinfo:
        normalise_identifier(type_, raw)
    assert fragment in excinfo.value.message("fr")
    assert excinfo.value.code == "ORG_INVALID_IDENTIFIER"
    assert excinfo.value.message("en") != excinfo.value.message("fr")


def test_vat_numbers():
    assert normalise_vat("fr 40 303 265 045") == "FR40303265045"
    assert normalise_vat("FR40303265045", siret="30326504500011") == "FR40303265045"
    assert normalise_vat("") == ""
    with pytest.raises(InvalidVatNumber, match="SIREN"):
        normalise_vat("FR40303265045", siret="73282932000074")
    with pytest.raises(InvalidVatNumber):
        normalise_vat("FR00303265045")
