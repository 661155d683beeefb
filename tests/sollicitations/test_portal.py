"""The sollicitations' pages through Django's test client: lists and tabs per side, a
ticket's page and its actions for the viewer's side only, forged ids, the creation form and
the logged-out contact form with the registration form's bot check."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from choeur.accounts import botcheck
from choeur.core.models import OutgoingEmail
from choeur.sollicitations import services
from choeur.sollicitations.models import Sollicitation
from choeur.sollicitations.statuses import Status
from tests.invoicing.conftest import RECIPIENT_SIRET
from tests.sollicitations.conftest import pdf_bytes, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(supplier_user, supplier, rejected_invoice):
    return run(services.create, supplier_user, supplier.pk, category="FACTURE",
               subcategory="REJET", title="Pourquoi ce rejet ?",
               description="Notre facture a été rejetée.", invoice_id=rejected_invoice.pk,
               attachments=[("page.html", b"<script>alert(1)</script>")])


def test_the_sender_creates_from_the_form(client, supplier_user, supplier, rejected_invoice,
                                          recipient):
    client.force_login(supplier_user)
    invoice_page = client.get(f"/factures/emises/{rejected_invoice.pk}/").content.decode()
    assert f'href="/sollicitations/nouvelle/?facture={rejected_invoice.pk}"' in invoice_page
    page = client.get(f"/sollicitations/nouvelle/?facture={rejected_invoice.pk}")
    assert page.status_code == 200
    assert f"la facture {rejected_invoice.number}" in page.content.decode()
    answer = client.post("/sollicitations/nouvelle/", {
        "structure": supplier.pk, "categorie": "FACTURE/REJET", "title": "Rejet",
        "description": "Pourquoi ?", "invoice_id": rejected_invoice.pk,
        "attachments": [SimpleUploadedFile("avis.pdf", pdf_bytes(), "application/pdf")],
    }, follow=True)
    ticket = Sollicitation.objects.get()
    assert answer.redirect_chain[-1][0] == f"/sollicitations/{ticket.pk}/"
    assert ticket.recipient_structure == recipient
    assert [a.name for a in ticket.attachments.all()] == ["avis.pdf"]
    text = answer.content.decode()
    assert ticket.number in text and "Direction régionale des finances publiques" in text
    # A bad category: the form says so, nothing is created.
    again = client.post("/sollicitations/nouvelle/", {
        "structure": supplier.pk, "categorie": "FACTURE/NOPE", "title": "x",
        "description": "y"})
    assert again.status_code == 200 and Sollicitation.objects.count() == 1
    # A coded refusal from the service: shown on the form, nothing is created.
    coded = client.post("/sollicitations/nouvelle/", {
        "structure": supplier.pk, "categorie": "GENERAL/ENTITE_PUBLIQUE", "title": "x",
        "description": "y", "recipient_identifier": "99999999999999"})
    assert "SOL_RECIPIENT_UNKNOWN" in coded.content.decode()
    assert Sollicitation.objects.count() == 1


def test_lists_tabs_and_figures(client, ticket, supplier_user, recipient_user):
    client.force_login(supplier_user)
    sent = client.get("/sollicitations/", follow=True)
    assert sent.redirect_chain[-1][0] == "/sollicitations/liste/emises/"
    body = sent.content.decode()
    assert "Sollicitations émises" in body and "Brouillons (0)" in body
    assert ticket.number not in body  # « Actions requises »: nothing for the sender yet
    assert ticket.number in client.get(
        "/sollicitations/liste/emises/?onglet=en-cours").content.decode()
    client.force_login(recipient_user)
    received = client.get("/sollicitations/liste/recues/").content.decode()
    assert ticket.number in received and "Actions requises (1)" in received
    assert "Délai médian de première réponse" in received
    assert "Brouillons" not in received
    # The support's list is the agents'.
    assert client.get("/sollicitations/liste/support/").status_code == 403


def test_the_ticket_page_offers_the_viewers_moves_only(client, ticket, supplier_user,
                                                       recipient_user):
    client.force_login(supplier_user)
    page = client.get(f"/sollicitations/{ticket.pk}/").content.decode()
    assert "Prendre en charge" not in page and "Clôturer la sollicitation" in page
    # A sender forging the agent's move gets the coded refusal, nothing changes.
    refused = client.post(f"/sollicitations/{ticket.pk}/prendre/", follow=True)
    assert "SOL_ACTION_NOT_YOURS" in refused.content.decode()
    assert Sollicitation.objects.get().status == Status.NOUVELLE
    client.force_login(recipient_user)
    page = client.get(f"/sollicitations/{ticket.pk}/").content.decode()
    assert "Prendre en charge" in page and "Votre réponse" not in page
    client.post(f"/sollicitations/{ticket.pk}/prendre/")
    page = client.get(f"/sollicitations/{ticket.pk}/").content.decode()
    assert "Votre réponse" in page and "Complément à demander" in page
    # An empty answer: the form says so, the status stays.
    empty = client.post(f"/sollicitations/{ticket.pk}/repondre/", {"repondre-text": ""})
    assert empty.status_code == 400 and "SOL_TEXT_REQUIRED" in empty.content.decode()
    client.post(f"/sollicitations/{ticket.pk}/repondre/", {"repondre-text": "Voici."})
    assert Sollicitation.objects.get().status == Status.REPONDUE


def test_attachments_download_as_opaque_bytes_for_the_two_sides_only(
        client, ticket, supplier_user, recipient_user, titulaire_user, titulaire):
    attachment = ticket.attachments.get()
    url = f"/sollicitations/{ticket.pk}/pieces/{attachment.pk}/"
    for user in (supplier_user, recipient_user):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment")
    client.force_login(titulaire_user)
    assert client.get(url).status_code == 404
    assert client.get(f"/sollicitations/{ticket.pk}/").status_code == 404
    assert client.post(f"/sollicitations/{ticket.pk}/prendre/").status_code == 404
    assert client.get("/sollicitations/999999/").status_code == 404
    assert Sollicitation.objects.get().status == Status.NOUVELLE


def test_durations_read_in_french():
    from datetime import timedelta

    from choeur.sollicitations.views import duration

    assert duration(None) == "—"
    assert duration(timedelta(minutes=12, seconds=40)) == "12 min"
    assert duration(timedelta(hours=3, minutes=5)) == "3 h 05 min"
    assert duration(timedelta(days=2, hours=3, minutes=59)) == "2 j 3 h"


def _answer(page: str) -> str:
    a, b = re.search(r"Combien font (\S+) plus (\S+) \?", page).groups()
    return str(botcheck.NUMBERS_FR.index(a) + botcheck.NUMBERS_FR.index(b))


def _token(page: str) -> str:
    return re.search(r'name="bot_token" value="([^"]+)"', page).group(1)


def test_logged_out_contact_with_the_bot_check(client, agent):
    form = client.get("/contact/").content.decode()
    data = {"email": "jeanne@example.fr", "categorie": "COMPTE/CONNEXION",
            "title": "Connexion impossible", "description": "Compte verrouillé.",
            "bot_token": _token(form)}
    # A wrong answer, or the honeypot filled: nothing is created.
    wrong = client.post("/contact/", {**data, "bot_answer": "99"}).content.decode()
    assert "ACCOUNTS_BOT_CHECK_FAILED" in wrong
    robot = client.post("/contact/", {**data, "bot_token": _token(wrong),
                                      "bot_answer": _answer(wrong), "website": "x"})
    assert "ACCOUNTS_BOT_CHECK_FAILED" in robot.content.decode()
    # A category that is not for logged-out senders.
    page = robot.content.decode()
    refused = client.post("/contact/", {**data, "categorie": "FACTURE/REJET",
                                        "bot_token": _token(page), "bot_answer": _answer(page)})
    assert refused.status_code == 200 and not Sollicitation.objects.exists()
    page = refused.content.decode()
    done = client.post("/contact/", {**data, "bot_token": _token(page),
                                     "bot_answer": _answer(page)}, follow=True)
    ticket = Sollicitation.objects.get()
    assert done.redirect_chain[-1][0] == "/contact/envoyee/"
    assert ticket.number in done.content.decode()
    assert ticket.to_support and ticket.sender_email == "jeanne@example.fr"
    assert OutgoingEmail.objects.filter(to=["jeanne@example.fr"]).exists()
    # The same question cannot serve twice.
    replay = client.post("/contact/", {**data, "bot_token": _token(page),
                                       "bot_answer": _answer(page)})
    assert "ACCOUNTS_BOT_CHECK_USED" in replay.content.decode()
    assert Sollicitation.objects.count() == 1
    # The agent sees it in the support's back office.
    client.force_login(agent)
    assert ticket.number in client.get("/sollicitations/liste/support/").content.decode()


def test_the_header_link_and_the_login_page_link(client, supplier_user, supplier, user):
    login = client.get("/connexion/").content.decode()
    assert 'href="/contact/"' in login
    client.force_login(supplier_user)
    assert 'class="header-link" href="/sollicitations/"' in client.get("/").content.decode()
    client.force_login(user)  # no structure, no agent: no link, and the pages refuse
    assert "header-link" not in client.get("/").content.decode()
    assert client.get("/sollicitations/").status_code == 403
    assert client.get("/sollicitations/nouvelle/").status_code == 403


def test_a_draft_from_the_form_then_sent(client, supplier_user, supplier, recipient,
                                         recipient_user):
    client.force_login(supplier_user)
    client.post("/sollicitations/nouvelle/", {
        "structure": supplier.pk, "categorie": "GENERAL/ENTITE_PUBLIQUE", "title": "Plus tard",
        "description": "...", "recipient_identifier": RECIPIENT_SIRET, "draft": "1"})
    draft = Sollicitation.objects.get()
    assert draft.status == Status.BROUILLON
    assert draft.number in client.get(
        "/sollicitations/liste/emises/?onglet=brouillons").content.decode()
    client.post(f"/sollicitations/{draft.pk}/envoyer/")
    assert Sollicitation.objects.get().status == Status.NOUVELLE
