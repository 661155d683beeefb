# ruff: noqa: F811 - the invoicing world's fixtures, used by name
"""In a real chromium, two browser contexts: a supplier asks the assistant for its invoice's
status, finds the answer not enough and contacts an agent; a platform agent, available in its
console, sees the conversation arrive, reads the assistant's exchange and the page, takes it;
they write to each other and each sees the other's messages without reloading; the agent
ends it and the supplier is offered the pre-filled sollicitation. Then, with no agent
available, the same request becomes the pre-filled sollicitation straight away."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.organisations.conftest import make_user
from tests.organisations.test_browser_organisation import log_in
from tests.web.screens import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PANEL = "Assistant « Besoin d’aide ? »"


@pytest.fixture
def agent_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def _ask(page, question):
    page.locator("header").get_by_text("Besoin d'aide ?").click()
    panel = page.get_by_role("region", name=PANEL)
    panel.get_by_label("Votre question").fill(question)
    panel.get_by_role("button", name="Demander").click()
    return panel


def test_the_assistant_hands_over_to_a_live_agent(page, agent_page, invoice, supplier_user):
    make_user("agent@support.choeur.test", first_name="Sacha", last_name="Support",
              is_support_agent=True)
    # The agent opens its console and says it is available.
    log_in(agent_page, "agent@support.choeur.test", PASSWORD)
    agent_page.locator("header").get_by_role("link", name=re.compile("^Direct")).click()
    agent_page.get_by_role("button", name="Me rendre disponible").click()
    expect(agent_page.get_by_test_id("availability")).to_contain_text("Vous êtes disponible.")
    waiting = agent_page.get_by_test_id("chat-waiting")
    expect(waiting).to_contain_text("Aucune conversation.")

    # The supplier asks the assistant for its invoice's status: answered in the panel.
    log_in(page, supplier_user.email, PASSWORD)
    page.goto("/factures/emises/")
    panel = _ask(page, "Où est ma facture FA-2026-0117 ?")
    answer = panel.get_by_test_id("assistant-answer")
    expect(answer).to_contain_text("La facture FA-2026-0117 est au statut « Mise à disposition "
                                   "du destinataire »")
    # Not enough for it: « Pas utile » offers an agent.
    answer.get_by_role("button", name="Pas utile").click()
    panel.get_by_test_id("assistant-contact-agent").click()
    expect(page).to_have_url(re.compile(r"/direct/\d+/$"))
    status = page.get_by_test_id("chat-status")
    expect(status).to_have_text("En attente d'un agent")
    shoot(page, "chat-1-waiting")

    # The conversation arrives in the agent's console without a reload.
    expect(waiting.get_by_role("link", name="Où est ma facture FA-2026-0117 ?")).to_be_visible()
    expect(agent_page).to_have_title(re.compile(r"^\(1\) Console des agents"))
    shoot(agent_page, "chat-2-console")
    waiting.get_by_role("link", name="Où est ma facture FA-2026-0117 ?").click()
    context = agent_page.get_by_test_id("chat-context")
    expect(context).to_contain_text("compta@lumiere.fr")
    expect(context).to_contain_text("/factures/emises/")
    expect(agent_page.get_by_test_id("chat-exchange")).to_contain_text(
        "Question : Où est ma facture FA-2026-0117 ?")
    expect(agent_page.get_by_test_id("chat-exchange")).to_contain_text(
        "Mise à disposition du destinataire")
    agent_page.get_by_role("button", name="Prendre en charge").click()
    expect(agent_page.get_by_test_id("chat-status")).to_have_text("En cours")
    expect(agent_page.get_by_role("button", name="Prendre en charge")).to_be_hidden()

    # The supplier sees it taken, by a first name, without reloading.
    expect(status).to_have_text("En cours")
    expect(page.get_by_test_id("chat-agent")).to_contain_text("Sacha S.")
    thread = page.get_by_test_id("chat-thread")
    expect(thread).to_contain_text("Sacha S. a rejoint la conversation.")

    page.get_by_label("Votre message").fill("Quand sera-t-elle payée ?")
    page.get_by_role("button", name="Envoyer").click()
    expect(thread).to_contain_text("Quand sera-t-elle payée ?")
    expect(page.get_by_label("Votre message")).to_have_value("")

    agent_thread = agent_page.get_by_test_id("chat-thread")
    expect(agent_thread).to_contain_text("Quand sera-t-elle payée ?")
    agent_page.get_by_label("Votre message").fill(
        "Elle est chez la DRFiP depuis aujourd'hui.\nLe délai de paiement est de 30 jours.")
    agent_page.keyboard.press("Enter")  # Enter sends, Shift+Enter is a new line
    expect(agent_thread).to_contain_text("Le délai de paiement est de 30 jours.")
    expect(thread).to_contain_text("Le délai de paiement est de 30 jours.")
    shoot(page, "chat-3-requester")
    shoot(agent_page, "chat-4-agent")

    # The agent ends it: the supplier sees so, and the sollicitation is offered.
    agent_page.get_by_role("button", name="Terminer la conversation").click()
    expect(agent_page.get_by_test_id("chat-status")).to_have_text("Terminée")
    expect(status).to_have_text("Terminée")
    expect(thread).to_contain_text("Sacha S. a terminé la conversation.")
    expect(page.get_by_label("Votre message")).to_be_hidden()
    page.get_by_role("button", name="Émettre une sollicitation").click()
    expect(page).to_have_url(re.compile(r"/sollicitations/nouvelle/\?depuis=prefill$"))
    description = page.get_by_label("Description")
    expect(description).to_contain_text("Question : Où est ma facture FA-2026-0117 ?")
    expect(description).to_contain_text("Vous : Quand sera-t-elle payée ?")
    expect(description).to_contain_text("Sacha S. : Elle est chez la DRFiP depuis aujourd'hui.")
    shoot(page, "chat-5-sollicitation")


def test_with_no_agent_the_request_becomes_a_prefilled_sollicitation(page, invoice,
                                                                     supplier_user):
    log_in(page, supplier_user.email, PASSWORD)
    page.goto("/factures/emises/")
    panel = _ask(page, "Où est ma facture FA-2026-0117 ?")
    panel.get_by_test_id("assistant-answer").get_by_role("button", name="Pas utile").click()
    panel.get_by_test_id("assistant-contact-agent").click()
    expect(page).to_have_url(re.compile(r"/sollicitations/nouvelle/\?depuis=assistant"))
    expect(page.get_by_role("status")).to_contain_text("Aucun agent n'est disponible")
    expect(page.get_by_label("Description")).to_contain_text(
        "Question : Où est ma facture FA-2026-0117 ?")
    shoot(page, "chat-6-no-agent")
