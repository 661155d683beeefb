# ruff: noqa: F811 - the invoicing world's fixtures, used by name
"""The dashboards' tests live in the invoicing tests' world: its public recipient (services
COMPTA, ACHATS) receives five invoices in the first quarter of 2026 from two suppliers — the
invoicing world's supplier and « Bâtiments Titulaire SA » — with their history written as
the lifecycle writes it; another recipient receives one from the same supplier (nothing of
it may reach the first recipient's figures), one is still on its way (DEPOSEE: not the
recipient's yet) and one was deposited before the period.

The expected figures are worked out by hand in the tests (test_queries.py)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from choeur.core import clock
from choeur.invoicing.models import Invoice, StatusChange
from choeur.invoicing.statuses import Status
from choeur.reporting import facts
from tests.invoicing.conftest import (  # noqa: F401 - fixtures
    bank_account,
    other_recipient,
    platform_admin,
    recipient,
    recipient_user,
    run,
    supplier,
    supplier_user,
    titulaire,
    titulaire_user,
)

TODAY = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
_numbers = itertools.count(1)


def make_invoice(supplier, recipient, service, deposited: datetime, ttc: str,
                 steps=(), number: str | None = None) -> Invoice:
    """An invoice deposited at `deposited` that went through `steps` — (status, days after
    the deposit, comment) — ending in the last one's status; history rows as the lifecycle
    writes them (DEPOSEE at the deposit first)."""
    history = [(Status.DEPOSEE, 0, ""), *steps]
    final, days, comment = history[-1]
    invoice = Invoice.objects.create(
        supplier=supplier, recipient=recipient, recipient_service=service,
        number=number or f"F-{next(_numbers):05d}", number_year=deposited.year,
        invoice_date=deposited.date(), deposited_at=deposited, mode_depot="SAISIE_API",
        total_ht=Decimal(ttc), total_ttc=Decimal(ttc), amount_due=Decimal(ttc),
        status=final, status_comment=comment, acknowledged=True,
        status_changed_at=deposited + timedelta(days=days))
    previous = ""
    StatusChange.objects.bulk_create([
        StatusChange(invoice=invoice, status=status, previous=previous if i else "",
                     at=deposited + timedelta(days=d), comment=c, actor_label="test")
        for i, (status, d, c) in enumerate(history)])
    # The history is written here, not by the lifecycle: build the dashboards' facts as its
    # signal would (reporting/facts.py).
    facts.refresh([invoice.pk])
    return invoice


def at(day: str, hour: int = 10) -> datetime:
    """A Paris-ish instant (UTC, mid-morning) on `day` (YYYY-MM-DD)."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@dataclass
class World:
    recipient: object
    other_recipient: object
    supplier: object
    supplier2: object
    compta: object
    achats: object
    invoices: dict


@pytest.fixture
def world(supplier, recipient, other_recipient, titulaire) -> World:
    clock.freeze(TODAY)
    compta = recipient.services.get(code="COMPTA")
    achats = recipient.services.get(code="ACHATS")
    S = Status
    found = {
        1: make_invoice(supplier, recipient, compta, at("2026-01-10"), "100.00", [
            (S.MISE_A_DISPOSITION, 1, ""), (S.SERVICE_FAIT, 3, ""),
            (S.MISE_EN_PAIEMENT, 10, "")]),
        2: make_invoice(supplier, recipient, achats, at("2026-01-20"), "200.00", [
            (S.MISE_A_DISPOSITION, 2, ""),
            (S.REJETEE, 4, "Numéro d'engagement absent")]),
        3: make_invoice(titulaire, recipient, compta, at("2026-02-05"), "300.00", [
            (S.MISE_A_DISPOSITION, 1, ""), (S.SUSPENDUE, 2, "Pièce manquante"),
            (S.COMPLETEE, 5, ""), (S.MISE_EN_PAIEMENT, 20, "")]),
        4: make_invoice(supplier, recipient, compta, at("2026-03-03"), "400.00", [
            (S.MISE_A_DISPOSITION, 3, "")]),
        5: make_invoice(titulaire, recipient, achats, at("2026-03-15"), "500.00", [
            (S.MISE_A_DISPOSITION, 1, ""),
            (S.REJETEE, 1.5, "  Numéro   d'engagement absent ")]),
        # Before the period.
        6: make_invoice(supplier, recipient, compta, at("2025-12-20"), "999.00", [
            (S.MISE_A_DISPOSITION, 1, ""), (S.MISE_EN_PAIEMENT, 2, "")]),
        # Another recipient's: never in the first one's figures.
        7: make_invoice(supplier, other_recipient, None, at("2026-02-10"), "7777.00", [
            (S.MISE_A_DISPOSITION, 1, ""), (S.REJETEE, 2, "Motif secret de la mairie")]),
        # On its way: the recipient's only once put at its disposal.
        8: make_invoice(supplier, recipient, compta, at("2026-04-01"), "50.00"),
    }
    return World(recipient, other_recipient, supplier, titulaire, compta, achats, found)
