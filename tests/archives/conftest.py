# ruff: noqa: F811 - the invoicing world's fixtures, used by name
"""The archives tests live in the invoicing tests' world: a supplier, a public recipient,
and invoices deposited, routed (deposit certificate made) and processed."""

from __future__ import annotations

import pytest

from choeur.core.worker import run_ready
from choeur.invoicing import services
from choeur.invoicing.models import Invoice, ModeDepot
from choeur.invoicing.statuses import Status
from tests.flux.conftest import (  # noqa: F401 - fixtures (verify deposits by flux too)
    _fast_hashes,
    invoice_file,
    party,
    victim,
    wire,
)
from tests.invoicing.conftest import (  # noqa: F401 - fixtures
    bank_account,
    invoice_data,
    other_recipient,
    pdf_bytes,
    platform_admin,
    recipient,
    recipient_user,
    run,
    supplier,
    supplier_user,
)


def deposit(user, supplier, bank_account, number: str, attachments=()) -> Invoice:
    data = invoice_data(bank_account_id=bank_account.pk, number=number)
    invoice = run(services.deposit, user, supplier, data,
                  mode_depot=ModeDepot.DEPOT_PDF_PORTAIL,
                  document=("facture.pdf", pdf_bytes(f"Facture {number}")),
                  attachments=attachments)
    run_ready()  # routed: MISE_A_DISPOSITION, with its deposit certificate
    return Invoice.objects.get(pk=invoice.pk)


def process(user, invoice: Invoice, target: str, comment: str = "") -> Invoice:
    return run(services.process, user, invoice, target, comment)


@pytest.fixture
def invoices(supplier_user, supplier, bank_account, recipient, recipient_user):
    """Two invoices: one paid (final), one still at the recipient's (in progress)."""
    paid = deposit(supplier_user, supplier, bank_account, "FA-2026-0001",
                   attachments=[("bon-de-livraison.txt", b"Livraison du 3 mars\n")])
    paid = process(recipient_user, paid, Status.MISE_EN_PAIEMENT)
    pending = deposit(supplier_user, supplier, bank_account, "FA-2026-0002")
    return paid, pending


@pytest.fixture(autouse=True)
def _exports_dir(settings, tmp_path):
    """The portal's exports in the test's own directory."""
    settings.CHOEUR_EXPORTS_DIR = tmp_path / "exports"
    return settings.CHOEUR_EXPORTS_DIR
