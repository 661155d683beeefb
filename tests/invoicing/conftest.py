"""A small world for invoicing tests: a supplier, two public recipients, a titulaire that
validates its sous-traitant's invoices, and helpers to build invoice data."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import transaction

from choeur.core import clock
from choeur.invoicing.data import InvoiceData, LineData
from choeur.organisations import services as org
from choeur.organisations.models import Espace, Rattachement
from tests.organisations.conftest import make_user

SUPPLIER_SIRET = "73282932000074"
SUPPLIER_VAT = "FR44732829320"
RECIPIENT_SIRET = "11000201100044"
OTHER_RECIPIENT_SIRET = "21330063500017"
TITULAIRE_SIRET = "78912345200011"
IBAN = "FR1420041010050500013M02606"
BIC = "PSSTFRPP"


def run(use_case, *args, **kwargs):
    """Call a use case the way an entry point does: in its own transaction."""
    with transaction.atomic():
        return use_case(*args, **kwargs)


def attach_gestionnaire(structure, user):
    """Make `user` the gestionnaire principal of a public structure (as the first attached
    user is)."""
    with transaction.atomic():
        org._attach(None, structure, user, Rattachement.Role.GESTIONNAIRE_PRINCIPAL, services=())


def pdf_bytes(text: str = "Facture") -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=1)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


#: PDFs every deposit channel must refuse, with the code formats' PDF reading gives them.
def unreadable_pdfs() -> dict[str, tuple[bytes, str]]:
    import pikepdf

    valid = pdf_bytes("Facture FA-2026-0117")
    encrypted = io.BytesIO()
    with pikepdf.open(io.BytesIO(valid)) as document:
        document.save(encrypted, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    return {
        "nine bytes": (b"%PDF-1.7\n", "PDF_UNREADABLE"),
        "truncated": (valid[:len(valid) // 2], "PDF_UNREADABLE"),
        "encrypted": (encrypted.getvalue(), "PDF_ENCRYPTED"),
    }


@pytest.fixture
def platform_admin(db):
    return make_user("admin@choeur.test", is_superuser=True, is_staff=True)


@pytest.fixture
def supplier_user(db):
    return make_user("compta@lumiere.fr", first_name="Lucie", last_name="Lumière")


@pytest.fixture
def supplier(supplier_user):
    structure = run(org.create_private_structure, supplier_user, "SIRET", SUPPLIER_SIRET, {
        "company_name": "Papeterie Lumière", "vat_number": SUPPLIER_VAT,
        "address_line1": "12 rue de la République", "postcode": "69002", "city": "Lyon"})
    run(org.add_bank_account, supplier_user, structure, "Compte principal",
        "Papeterie Lumière", IBAN, BIC)
    return structure


@pytest.fixture
def bank_account(supplier):
    return supplier.bank_accounts.get()


@pytest.fixture
def recipient_user(db):
    return make_user("factures@drfip.gouv.fr", first_name="Rémi", last_name="Receveur")


@pytest.fixture
def recipient(platform_admin, recipient_user):
    structure = run(org.create_public_structure, platform_admin, RECIPIENT_SIRET, {
        "company_name": "Direction régionale des finances publiques",
        "address_line1": "3 quai de la Douane", "postcode": "33000", "city": "Bordeaux"})
    attach_gestionnaire(structure, recipient_user)
    run(org.create_service, recipient_user, structure, "COMPTA", {"name": "Comptabilité"})
    run(org.create_service, recipient_user, structure, "ACHATS", {"name": "Achats"})
    return structure


@pytest.fixture
def other_recipient(platform_admin):
    structure = run(org.create_public_structure, platform_admin, OTHER_RECIPIENT_SIRET, {
        "company_name": "Mairie de Bordeaux", "postcode": "33000", "city": "Bordeaux"})
    user = make_user("factures@mairie-bordeaux.fr")
    attach_gestionnaire(structure, user)
    return structure


@pytest.fixture
def titulaire_user(db):
    return make_user("direction@titulaire.fr", first_name="Tina", last_name="Titulaire")


@pytest.fixture
def titulaire(titulaire_user):
    structure = run(org.create_private_structure, titulaire_user, "SIRET", TITULAIRE_SIRET, {
        "company_name": "Bâtiments Titulaire SA", "postcode": "75001", "city": "Paris"})
    run(org.set_espace_open, titulaire_user, structure, Espace.FACTURES_A_VALIDER, True)
    return structure


def invoice_data(**overrides) -> InvoiceData:
    data = InvoiceData(
        recipient_identifier=RECIPIENT_SIRET, recipient_service_code="COMPTA",
        number="FA-2026-0117", invoice_date=clock.today(),
        engagement_number="EJ-2026-0042", payment_mode="VIREMENT",
        lines=[LineData(designation="Ramettes de papier A4", quantity=D("40"),
                        unit_price=D("4.35"), vat_rate=D("20"), unit="C62"),
               LineData(designation="Ouvrages de référence", quantity=D("3"),
                        unit_price=D("42.10"), vat_rate=D("5.5"), unit="C62")],
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


@pytest.fixture
def today() -> date:
    return clock.today()
