# ruff: noqa: F811 - the invoicing world's fixtures, used by name
"""The sollicitations tests live in the invoicing tests' world: its supplier (« Papeterie
Lumière ») asks its public recipient (the DRFiP, whose gestionnaire is the agent here) about a
rejected invoice; the other recipient and the titulaire are structures that must see
nothing; a platform agent works the support's tickets."""

import pytest

from choeur.invoicing import services as invoicing
from choeur.invoicing.models import ModeDepot
from choeur.invoicing.statuses import Status
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
    titulaire,
    titulaire_user,
)
from tests.organisations.conftest import make_user


@pytest.fixture
def rejected_invoice(supplier_user, supplier, bank_account, recipient, recipient_user):
    from choeur.core.worker import run_ready

    data = invoice_data(bank_account_id=bank_account.pk)
    invoice = run(invoicing.deposit, supplier_user, supplier, data,
                  mode_depot=ModeDepot.DEPOT_PDF_PORTAIL, document=("facture.pdf", pdf_bytes()))
    run_ready()
    invoice.refresh_from_db()
    run(invoicing.process, recipient_user, invoice, Status.REJETEE, "Montants erronés")
    # The supplier took note of the rejection (the portal asks it first, at login).
    run(invoicing.acknowledge, supplier_user, invoice)
    invoice.refresh_from_db()
    return invoice


@pytest.fixture
def agent(db):
    """A platform support agent (not staff)."""
    return make_user("agent@support.choeur.test", first_name="Sacha", last_name="Support",
                     is_support_agent=True)
