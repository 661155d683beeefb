"""A logged-out sender's follow-up link (`/contact/suivi/<token>/`): every e-mail written to it
carries a personal link to its ticket, of which only a digest is stored; the page shows the
ticket and its thread and offers the sender's moves the table allows now, made through the
services with the sender as actor; a wrong, forged, expired, revoked or other ticket's token
is the 404 of a missing ticket and changes nothing; failures are throttled per address."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from choeur.accounts.models import FailedAttempts
from choeur.core import clock
from choeur.core.models import AuditEvent, OutgoingEmail
from choeur.sollicitations import errors, followup, queries, services, views
from choeur.sollicitations.actors import LoggedOutSender
from choeur.sollicitations.models import FollowupLink, Message
from choeur.sollicitations.statuses import Action, Side, Status
from tests.sollicitations.conftest import pdf_bytes, run
from tests.sollicitations.test_services import about_invoice, kinds, snapshot

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^/\s]+(/contact/suivi/([A-Za-z0-9_-]{43})/)")


def open_ticket(email="jeanne@example.fr", title="Je ne peux pas me connecter"):
    return run(services.create_logged_out, email, category="COMPTE", subcategory="CONNEXION",
               title=title, description="Mon compte est verrouillé.")


def last_link(email="jeanne@example.fr") -> str:
    """The follow-up path in the last e-mail written to `email`."""
    mail = OutgoingEmail.objects.filter(to=[email]).order_by("pk").last()
    return LINK.search(mail.body).group(1)


def csrf_of(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                     page.content.decode()).group(1)


def main_of(response) -> str:
    """What a page says (its <main>): the same for every not-found answer."""
    return re.search(r"<main.*?</main>", response.content.decode(), re.S).group(0)


def test_the_receipt_link_shows_the_ticket_and_its_thread(client, agent):
    ticket = open_ticket()
    receipt = OutgoingEmail.objects.get(to=["jeanne@example.fr"])
    path, token = LINK.search(receipt.body).group(1, 2)
    page = client.get(path)
    assert page.status_code == 200
    body = page.content.decode()
    assert ticket.number in body and "Je ne peux pas me connecter" in body
    assert "Mon compte est verrouillé." in body
    assert 'data-testid="status">Nouvelle<' in body
    assert body.count('data-testid="message"') == 1 and "Sollicitation envoyée" in body
    # NOUVELLE: the sender may only close it; the receiving side's moves are never offered.
    assert "Clôturer la sollicitation" in body
    for absent in ("Apporter un complément", "Rouvrir", "Prendre en charge", "Répondre"):
        assert absent not in body
    # The token leaks through no Referer (the origin alone), and no cache keeps the page.
    assert page["Referrer-Policy"] == "strict-origin"
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    # Only a digest of the secret is kept; nothing audited holds it.
    link = FollowupLink.objects.get(sollicitation=ticket)
    assert token not in link.digest and len(link.digest) == 64
    assert not AuditEvent.objects.filter(details__icontains=token).exists()
    # The header's assistant is told of the contact page, never of the token's address.
    assert 'name="page" value="/contact/"' in body
    assert f'name="page" value="{path}"' not in body
    assert followup.sender_for(token) == LoggedOutSender(ticket.pk, "jeanne@example.fr")


def test_the_complement_asked_by_the_agent_is_brought_through_the_link(agent, caplog):
    client = Client(enforce_csrf_checks=True)
    ticket = open_ticket()
    receipt_path = last_link()
    run(services.take, agent, ticket.pk)
    run(services.request_complement, agent, ticket.pk,
        "Envoyez-nous la capture de l'écran d'erreur.")
    mail = OutgoingEmail.objects.filter(to=["jeanne@example.fr"]).order_by("pk").last()
    assert "Envoyez-nous la capture" in mail.body
    path = last_link()
    assert path != receipt_path  # each e-mail its own link; the receipt's still works
    page = client.get(receipt_path)
    body = page.content.decode()
    assert "Envoyez-nous la capture de l&#x27;écran d&#x27;erreur." in body
    assert "Complément demandé" in body and "Apporter un complément" in body
    assert "Rouvrir" not in body
    # Without the form's CSRF token, refused; nothing changes.
    before = snapshot()
    refused = client.post(path + "completer/", {"completer-text": "Voici."})
    assert refused.status_code == 403 and snapshot() == before
    # Django logs the refusal with the request's path: the token is not in the log.
    logged = [r.getMessage() for r in caplog.records if r.name == "django.security.csrf"]
    assert logged and "/contact/suivi/…/completer/" in logged[-1]
    assert path.split("/")[3] not in caplog.text
    done = client.post(path + "completer/", {
        "csrfmiddlewaretoken": csrf_of(page), "completer-text": "Voici la capture.",
        "completer-attachments": [SimpleUploadedFile("capture.pdf", pdf_bytes("Erreur"),
                                                     "application/pdf")]}, follow=True)
    assert done.redirect_chain[-1][0] == path
    assert done["Referrer-Policy"] == "strict-origin"
    ticket.refresh_from_db()
    assert ticket.status == Status.COMPLETEE
    message = ticket.messages.last()
    assert (message.action, message.side, message.author, message.author_label,
            message.body) == (Action.COMPLETER, Side.EMETTEUR, None, "jeanne@example.fr",
                              "Voici la capture.")
    assert [a.name for a in message.attachments.all()] == ["capture.pdf"]
    assert kinds(agent)[-1] == "sollicitation_completed"
    text = done.content.decode()
    assert "Voici la capture." in text and 'data-testid="status">Complétée<' in text
    # The attachment is read back through the link (and through it only).
    attachment = message.attachments.get()
    blob = client.get(f"{path}pieces/{attachment.pk}/")
    assert blob.status_code == 200 and blob["Content-Type"] == "application/pdf"
    assert Client().get(f"/sollicitations/{ticket.pk}/pieces/{attachment.pk}/").status_code \
        == 302  # the signed-in route asks to sign in
    # The agent sees the complement on its side and answers: the sender may reopen or close.
    client_agent = Client()
    client_agent.force_login(agent)
    assert "Voici la capture." in client_agent.get(
        f"/sollicitations/{ticket.pk}/").content.decode()
    run(services.answer, agent, ticket.pk, "Votre compte est déverrouillé.")
    path = last_link()
    page = client.get(path)
    body = page.content.decode()
    assert "Rouvrir" in body and "Clôturer la sollicitation" in body
    assert "Apporter un complément" not in body
    # Reopening needs words: a coded refusal, nothing changes.
    before = snapshot()
    empty = client.post(path + "rouvrir/", {"csrfmiddlewaretoken": csrf_of(page),
                                            "rouvrir-text": ""})
    assert empty.status_code == 400 and "SOL_TEXT_REQUIRED" in empty.content.decode()
    assert snapshot() == before
    client.post(path + "rouvrir/", {"csrfmiddlewaretoken": csrf_of(page),
                                    "rouvrir-text": "Toujours verrouillé."})
    ticket.refresh_from_db()
    assert ticket.status == Status.ROUVERTE and kinds(agent)[-1] == "sollicitation_reopened"
    client.post(path + "cloturer/", {"csrfmiddlewaretoken": csrf_of(page)})
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOTUREE and kinds(agent)[-1] == "sollicitation_closed"
    assert AuditEvent.objects.filter(action="sollicitations.cloturer",
                                     actor_label="jeanne@example.fr").exists()


@pytest.mark.parametrize("name, content, reason", [
    ("programme.exe", b"MZ\x90\x00", "extension"),
    ("scan.pdf", b"<html><script>alert(1)</script></html>", "pdf"),
    ("gros.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 + 1), "10 Mo"),
    ("n" * 60 + ".pdf", pdf_bytes(), "50 caractères"),
])
def test_a_hostile_attachment_is_refused_with_a_code(client, agent, name, content, reason):
    ticket = open_ticket()
    run(services.take, agent, ticket.pk)
    run(services.request_complement, agent, ticket.pk, "Une pièce, s'il vous plaît.")
    path = last_link()
    before = snapshot()
    answer = client.post(path + "completer/", {
        "completer-text": "La voici.",
        "completer-attachments": [SimpleUploadedFile(name, content, "application/pdf")]})
    assert answer.status_code == 400
    text = answer.content.decode()
    assert "INV_ATTACHMENT_REFUSED" in text
    if reason != "pdf":
        assert reason in text
    assert snapshot() == before
    assert Message.objects.filter(sollicitation=ticket).count() == 3


def test_forged_expired_and_other_tickets_tokens_are_not_found(client, agent, frozen_now):
    mine = open_ticket()
    my_path = last_link()
    other = open_ticket("paul@example.fr", "Mot de passe perdu")
    other_path = last_link("paul@example.fr")
    missing = client.get("/contact/suivi/" + "A" * 43 + "/")
    assert missing.status_code == 404
    missing_body = main_of(missing)
    before = snapshot()
    forged = [
        "/contact/suivi/" + "A" * 43 + "/",                 # the right shape, no link
        "/contact/suivi/" + my_path.split("/")[3][:-1] + "/",   # one character short
        "/contact/suivi/" + my_path.split("/")[3][:-1] + "B/",  # one character changed
        "/contact/suivi/%27%20or%201=1--/",                  # anything
        f"/contact/suivi/{FollowupLink.objects.filter(sollicitation=mine).get().digest}/",
    ]
    for path in forged:
        page = client.get(path)
        assert page.status_code == 404 and main_of(page) == missing_body, path
        assert client.post(path + "cloturer/").status_code == 404
    assert snapshot() == before
    # Another ticket's token opens that ticket only: never an attachment or a move of mine.
    run(services.take, agent, mine.pk)
    assert mine.number not in client.get(other_path).content.decode()
    run(services.request_complement, agent, mine.pk, "Une pièce ?")
    client.post(last_link() + "completer/", {
        "completer-text": "La voici.",
        "completer-attachments": [SimpleUploadedFile("a.pdf", pdf_bytes(), "application/pdf")]})
    mine_attachment = mine.attachments.get()
    assert client.get(f"{other_path}pieces/{mine_attachment.pk}/").status_code == 404
    assert client.get(f"{my_path}pieces/{mine_attachment.pk}/").status_code == 200
    assert client.post(other_path + "cloturer/").status_code == 302
    other.refresh_from_db()
    mine.refresh_from_db()
    assert other.status == Status.CLOTUREE and mine.status == Status.COMPLETEE
    before = snapshot()
    # An unknown step is not found either; a step the table refuses now is a coded refusal.
    assert client.post(my_path + "prendre/").status_code == 404
    refused = client.post(my_path + "rouvrir/", {"rouvrir-text": "?"})
    assert refused.status_code == 400 and "SOL_TRANSITION_REFUSED" in refused.content.decode()
    assert snapshot() == before
    # Expired: the same 404; a fresh e-mail brings a link that works.
    clock.freeze(frozen_now + followup.LIFETIME + timedelta(seconds=1))
    expired = client.get(my_path)
    assert expired.status_code == 404 and main_of(expired) == missing_body
    assert client.post(my_path + "cloturer/").status_code == 404
    run(services.answer, agent, mine.pk, "Réglé.")
    fresh = last_link()
    assert client.get(fresh).status_code == 200
    # Revoked: the same 404.
    assert followup.revoke(mine) >= 1
    assert main_of(client.get(fresh)) == missing_body
    mine.refresh_from_db()
    assert mine.status == Status.REPONDUE


def test_failed_tokens_are_throttled_per_address(client, agent):
    open_ticket()
    path = last_link()
    for _i in range(views.FOLLOWUP_FAILURES):
        assert client.get("/contact/suivi/" + "A" * 43 + "/").status_code == 404
    blocked = client.get(path)  # even a good token, from that address, for a while
    assert blocked.status_code == 429
    assert "ACCOUNTS_TOO_MANY_ATTEMPTS" in blocked.content.decode()
    assert FailedAttempts.objects.count() == 1  # only a digest of the address is kept
    assert client.get(path, REMOTE_ADDR="192.0.2.7").status_code == 200


def test_the_logged_out_sender_holds_its_tickets_sender_side_only(agent, supplier_user,
                                                                  supplier, rejected_invoice):
    ticket = open_ticket()
    other = open_ticket("paul@example.fr")
    signed_in = about_invoice(supplier_user, supplier, rejected_invoice)
    sender = LoggedOutSender(ticket.pk, "jeanne@example.fr")
    assert list(queries.visible(sender)) == [ticket]
    assert queries.sides(sender, ticket) == {Side.EMETTEUR}
    assert queries.sides(sender, other) == set()
    assert not queries.is_sender(sender, signed_in)
    before = snapshot()
    with pytest.raises(errors.ActionNotYours):
        run(services.take, sender, ticket.pk)
    with pytest.raises(errors.ActionNotYours):
        run(services.answer, sender, ticket.pk, "Je me réponds.")
    for pk in (other.pk, signed_in.pk):
        with pytest.raises(errors.SollicitationNotFound):
            run(services.close, sender, pk)
    # A forged actor for a signed-in sender's ticket sees nothing there either.
    with pytest.raises(errors.SollicitationNotFound):
        run(services.close, LoggedOutSender(signed_in.pk, ""), signed_in.pk)
    assert snapshot() == before
    with pytest.raises(ValueError):
        followup.issue(signed_in)
