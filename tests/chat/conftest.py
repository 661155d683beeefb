# ruff: noqa: F811 - the invoicing world's fixtures, used by name
"""« Contacter un agent » in the invoicing tests' world: its supplier (« Papeterie Lumière »)
asks the assistant, then a platform agent; the recipient's user is a stranger to the
conversation; a second agent races the first."""

import pytest

from choeur.chat import services
from tests.aide.conftest import articles  # noqa: F401 - fixture
from tests.aide.test_assistant import invoice  # noqa: F401 - fixture
from tests.invoicing.conftest import (  # noqa: F401 - fixtures
    bank_account,
    platform_admin,
    recipient,
    recipient_user,
    supplier,
    supplier_user,
)
from tests.organisations.conftest import make_user


@pytest.fixture
def agent(db):
    """A platform support agent (not staff), available."""
    user = make_user("agent@support.choeur.test", first_name="Sacha", last_name="Support",
                     is_support_agent=True)
    services.set_available(user, True)
    return user


@pytest.fixture
def other_agent(db):
    user = make_user("agent2@support.choeur.test", first_name="Dominique", last_name="Aide",
                     is_support_agent=True)
    services.set_available(user, True)
    return user


def exchange_state(question="Où est ma facture FA-2026-0117 ?", page="/factures/emises/"):
    """An assistant exchange as the session keeps it (aide/assistant.py)."""
    return {"exchange": [{"n": 1, "question": question, "intent": "FACTURE",
                          "answer": "La facture FA-2026-0117 est au statut « Rejetée ».",
                          "articles": [], "invoice_id": None, "page": page, "rating": None}],
            "misunderstood": 0, "next": 2}
