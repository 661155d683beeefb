"""A logged-out sender follows its ticket in a real chromium from the link of its e-mails:
the agent asks for a complement, the sender brings it (text and a file) from the link's page,
then closes the ticket once answered. The page's forms post from a page that sends no
Referer: the browser's Origin header must still pass Django's CSRF check."""

import re

import pytest
from playwright.sync_api import expect

from choeur.core.models import OutgoingEmail
from choeur.sollicitations import services
from choeur.sollicitations.statuses import Status
from tests.sollicitations.conftest import pdf_bytes, run
from tests.web.screens import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def link(email="jeanne@example.fr") -> str:
    mail = OutgoingEmail.objects.filter(to=[email]).order_by("pk").last()
    return re.search(r"(/contact/suivi/[A-Za-z0-9_-]{43}/)", mail.body).group(1)


def test_the_sender_completes_and_closes_from_its_link(page, agent, tmp_path):
    ticket = run(services.create_logged_out, "jeanne@example.fr", category="COMPTE",
                 subcategory="CONNEXION", title="Je ne peux pas me connecter",
                 description="Mon compte est verrouillé.")
    run(services.take, agent, ticket.pk)
    run(services.request_complement, agent, ticket.pk, "Envoyez la capture de l'erreur.")
    page.goto(link())
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Sollicitation {ticket.number}")
    expect(page.get_by_test_id("status")).to_have_text("Complément demandé")
    expect(page.get_by_text("Envoyez la capture de l'erreur.")).to_be_visible()
    capture = tmp_path / "capture.pdf"
    capture.write_bytes(pdf_bytes("Erreur"))
    page.get_by_label("Votre complément").fill("Voici la capture.")
    page.get_by_label("Fichiers joints au complément").set_input_files(str(capture))
    shoot(page, "sollicitation-suivi-complement")
    page.get_by_role("button", name="Apporter un complément").click()
    expect(page.get_by_role("status")).to_contain_text("Complétée")
    expect(page.get_by_test_id("status")).to_have_text("Complétée")
    expect(page.get_by_role("link", name="capture.pdf")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == Status.COMPLETEE
    run(services.answer, agent, ticket.pk, "Votre compte est déverrouillé.")
    page.goto(link())
    page.get_by_role("button", name="Clôturer la sollicitation").click()
    expect(page.get_by_test_id("status")).to_have_text("Clôturée")
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOTUREE
