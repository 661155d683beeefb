"""Issue 17's acceptance for sollicitations, in a real chromium: a supplier opens a
sollicitation about its rejected invoice → the recipient's agent takes it and asks for a
complement → the supplier completes it → the agent answers and closes it; the notifications
are seen on both sides, and the supplier, who chose a daily digest, finds it in the outbox
the next morning. A failing step leaves a screenshot (see tests/conftest.py)."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from choeur.core import clock, mail, worker
from choeur.sollicitations.models import Sollicitation
from choeur.sollicitations.statuses import Status
from tests.conftest import PASSWORD
from tests.organisations.test_browser_organisation import log_in, log_out
from tests.web.screens import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sollicitations(page, side=None, tab=None):
    page.locator("header").get_by_role("link", name="Sollicitations", exact=True).click()
    if side:
        page.get_by_role("navigation", name="Espaces Sollicitations").get_by_role(
            "link", name=side).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(side)
    if tab:
        page.get_by_role("navigation", name="Onglets de la liste").get_by_role(
            "link", name=tab).click()


def notification(page, text):
    """Open the notification saying `text` from the « Notifications » page."""
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Notifications").click()
    page.get_by_role("link", name=text).first.click()


def test_a_sollicitation_about_a_rejected_invoice(page, rejected_invoice, supplier_user,
                                                  recipient_user, tmp_path):
    # 0. The supplier wants a daily digest of its notifications.
    log_in(page, supplier_user.email, PASSWORD)
    page.goto("/mon-compte/notifications/")
    page.get_by_label("Quotidien").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_label("Quotidien")).to_be_checked()

    # 1. The supplier opens a sollicitation about its rejected invoice.
    sollicitations(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sollicitations émises")
    page.get_by_role("link", name="Nouvelle sollicitation").click()
    page.get_by_label("Catégorie et sous-catégorie").select_option(
        label="Facture rejetée ou suspendue")
    page.get_by_label("Titre").fill("Motif du rejet de la facture FA-2026-0117")
    page.get_by_label("Description").fill(
        "Notre facture a été rejetée pour « montants erronés » : lesquels ?")
    page.get_by_label("Numéro de facture concernée (facultatif)").fill(
        rejected_invoice.number)
    shoot(page, "sollicitation-1-form")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    ticket = Sollicitation.objects.get()
    expect(page.get_by_role("status")).to_contain_text(
        f"La sollicitation {ticket.number} est envoyée à Direction régionale des finances "
        "publiques")
    expect(page.get_by_test_id("status")).to_have_text("Nouvelle")
    shoot(page, "sollicitation-1-sent")
    log_out(page)

    # 2. The recipient's agent is told, takes it and asks for a complement.
    log_in(page, recipient_user.email, PASSWORD)
    notification(page, f"Nouvelle sollicitation {ticket.number}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Sollicitation {ticket.number}")
    sollicitations(page, side="Sollicitations reçues", tab="Actions requises (1)")
    row = page.get_by_role("row").filter(has_text=ticket.number)
    expect(row).to_contain_text("Papeterie Lumière")
    expect(page.get_by_test_id("figures")).to_contain_text(
        "Direction régionale des finances publiques")
    shoot(page, "sollicitation-2-received")
    row.get_by_role("link", name=ticket.number).click()
    page.get_by_role("button", name="Prendre en charge").click()
    expect(page.get_by_test_id("assignee")).to_have_text("Rémi Receveur")
    page.get_by_label("Complément à demander").fill(
        "Joignez le bon de livraison signé, s'il vous plaît.")
    page.get_by_role("button", name="Demander un complément").click()
    expect(page.get_by_test_id("status")).to_have_text("Complément demandé")
    shoot(page, "sollicitation-2-complement-asked")
    log_out(page)

    # 3. The supplier sees it is asked for a complement and gives it, with a file.
    log_in(page, supplier_user.email, PASSWORD)
    notification(page, f"Un complément vous est demandé sur la sollicitation {ticket.number}")
    expect(page.get_by_test_id("message").last).to_contain_text(
        "Joignez le bon de livraison signé")
    page.get_by_label("Votre complément").fill("Le voici, signé le 3 mars.")
    delivery = tmp_path / "bon-livraison.txt"
    delivery.write_text("Bon de livraison n° 42, signé.")
    page.get_by_label("Fichiers joints au complément").set_input_files(str(delivery))
    page.get_by_role("button", name="Apporter le complément").click()
    expect(page.get_by_test_id("status")).to_have_text("Complétée")
    expect(page.get_by_role("link", name="bon-livraison.txt")).to_be_visible()
    shoot(page, "sollicitation-3-completed")
    log_out(page)

    # 4. The agent, told, answers and closes.
    log_in(page, recipient_user.email, PASSWORD)
    notification(page, f"Papeterie Lumière a complété la sollicitation {ticket.number}")
    expect(page.get_by_role("link", name="bon-livraison.txt")).to_be_visible()
    page.get_by_label("Votre réponse").fill(
        "La ligne 2 porte un taux de TVA erroné : déposez une nouvelle facture.")
    page.get_by_role("button", name="Répondre").click()
    expect(page.get_by_test_id("status")).to_have_text("Répondue")
    page.get_by_role("button", name="Clôturer la sollicitation").click()
    expect(page.get_by_test_id("status")).to_have_text("Clôturée")
    expect(page.get_by_role("button", name="Répondre")).to_have_count(0)
    shoot(page, "sollicitation-4-closed")
    log_out(page)

    # 5. The supplier has the answer and the closing in its notifications, the ticket among
    # its closed ones, the whole thread on its page.
    log_in(page, supplier_user.email, PASSWORD)
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Notifications").click()
    expect(page.get_by_role("link", name=f"Votre sollicitation {ticket.number}").filter(
        has_text="a reçu une réponse")).to_be_visible()
    expect(page.get_by_role("link", name=f"La sollicitation {ticket.number}").filter(
        has_text="est clôturée")).to_be_visible()
    shoot(page, "sollicitation-5-notifications")
    sollicitations(page, tab="Clôturées (1)")
    page.get_by_role("link", name=ticket.number).click()
    expect(page.get_by_test_id("message")).to_have_count(6)
    expect(page.get_by_test_id("message").nth(4)).to_contain_text("taux de TVA erroné")
    shoot(page, "sollicitation-5-thread")
    assert Sollicitation.objects.get().status == Status.CLOTUREE

    # 6. The next morning at 07:00 (Paris), the clock service's timer sends the supplier its
    # digest: the sollicitation's steps, still unread, are listed.
    with clock.shifted(timedelta(hours=25)):  # a 07:00 passed, whatever the hour and DST
        worker.enqueue_timers()
        worker.run_ready()
    [digest] = [m for m in mail.outbox_messages()
                if supplier_user.email in m.to and "capitulatif" in m.subject]
    assert "quotidien" in digest.subject
    assert f"sollicitation {ticket.number}" in digest.text
    assert "a reçu une réponse" in digest.text
