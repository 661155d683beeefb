# ruff: noqa: F811 - the invoicing and travaux worlds' fixtures, used by name
"""The assistant's « Quelles factures dois-je traiter ? » (aide/assistant.py, intent
`a_traiter`): what waits for the user's action, read through the portal lists' own scoped
queries and their « à traiter » tab — received invoices to process, issued ones to complete,
invoices to validate, works dossiers —; never another structure's or another service's; the
five most urgent with their links, the lists' counts and links; signed out, nothing; nothing
waiting, said so."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.html import escape

from choeur.aide import assistant
from choeur.core import clock
from choeur.invoicing import services as invoicing
from choeur.invoicing.models import Cadre, Invoice, ModeDepot
from choeur.invoicing.statuses import Status
from choeur.organisations import services as org
from choeur.organisations.models import Rattachement
from choeur.web.templatetags.formatting import money
from tests.aide.test_assistant import ask
from tests.invoicing.conftest import (  # noqa: F401 - fixtures
    OTHER_RECIPIENT_SIRET,
    TITULAIRE_SIRET,
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
from tests.travaux.conftest import deposited, works  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

QUESTION = "Quelles factures dois-je traiter ?"
RECEIVED_TO_PROCESS = "/factures/recues/?onglet=a-traiter"


def deposit(supplier_user, supplier, bank_account, number="FA-2026-0117", **overrides):
    """An invoice deposited and routed (MISE_A_DISPOSITION, or A_VALIDER_1 with a
    validator)."""
    from choeur.core.worker import run_ready

    invoice = run(invoicing.deposit, supplier_user, supplier,
                  invoice_data(number=number, bank_account_id=bank_account.pk, **overrides),
                  mode_depot=ModeDepot.DEPOT_PDF_PORTAIL, document=("facture.pdf", pdf_bytes()))
    run_ready()
    invoice.refresh_from_db()
    return invoice


@pytest.fixture
def invoice(articles, supplier_user, supplier, bank_account, recipient, recipient_user):
    made = deposit(supplier_user, supplier, bank_account)
    assert made.status == Status.MISE_A_DISPOSITION
    return made


def numbers(answer):
    return [item.number for item in answer.waiting]


def nothing_waiting(answer):
    return (answer.intent == assistant.PENDING and not answer.waiting and not answer.facts
            and answer.text.startswith("Rien n'attend votre action"))


# --- Received invoices -------------------------------------------------------------------------


def test_the_recipient_is_told_the_invoice_waiting_for_its_processing(client, invoice,
                                                                     recipient_user,
                                                                     supplier_user):
    client.force_login(recipient_user)
    response, answer = ask(client, QUESTION)
    assert answer.intent == assistant.PENDING
    assert answer.text == "1 élément attend votre action :"
    [item] = answer.waiting
    assert (item.number, item.partner, item.status) == (
        "FA-2026-0117", "Papeterie Lumière", "Mise à disposition du destinataire")
    assert item.amount == money(invoice.total_ttc, invoice.currency)
    assert item.amount.endswith("€")
    assert item.url == reverse("invoicing:received_detail", args=[invoice.pk])
    assert client.get(item.url).status_code == 200
    assert answer.facts == [("Factures reçues à traiter", "1")]
    assert [link.url for link in answer.links] == [RECEIVED_TO_PROCESS]
    # The link is the list's own « à traiter » tab, and it shows the same invoice.
    listed = client.get(RECEIVED_TO_PROCESS)
    assert [i.pk for i in listed.context["invoices"]] == [invoice.pk]
    page = response.content.decode()
    assert 'data-testid="assistant-waiting"' in page
    assert f'href="{item.url}"' in page and f'href="{escape(RECEIVED_TO_PROCESS)}"' in page
    # Kept in the exchange (what a sollicitation would be pre-filled with).
    assert "FA-2026-0117 — Papeterie Lumière" in \
        client.session[assistant.STATE_KEY]["exchange"][-1]["answer"]
    # Once processed, it waits no more.
    run(invoicing.process, recipient_user, invoice, Status.SERVICE_FAIT)
    assert nothing_waiting(ask(client, QUESTION)[1])
    # The supplier, whose invoice is at the recipient's, has nothing to do.
    client.force_login(supplier_user)
    assert nothing_waiting(ask(client, QUESTION)[1])


def test_another_structures_or_services_invoices_are_never_listed(
        client, articles, supplier_user, supplier, bank_account, recipient, recipient_user,
        other_recipient, titulaire, titulaire_user):
    ours = deposit(supplier_user, supplier, bank_account)
    theirs = deposit(supplier_user, supplier, bank_account, number="FA-2026-0200",
                     recipient_identifier=OTHER_RECIPIENT_SIRET, recipient_service_code="")
    assert theirs.status == Status.MISE_A_DISPOSITION and theirs.recipient == other_recipient
    client.force_login(recipient_user)
    answer = ask(client, QUESTION)[1]
    assert numbers(answer) == ["FA-2026-0117"]
    assert answer.facts == [("Factures reçues à traiter", "1")]
    client.force_login(other_recipient.rattachements.get().user)
    answer = ask(client, QUESTION)[1]
    assert numbers(answer) == ["FA-2026-0200"]
    assert answer.waiting[0].url == reverse("invoicing:received_detail", args=[theirs.pk])
    page = ask(client, QUESTION)[0].content.decode()
    assert reverse("invoicing:received_detail", args=[ours.pk]) not in page
    assert "FA-2026-0117" not in page
    # A structure with no part in them sees none.
    client.force_login(titulaire_user)
    assert nothing_waiting(ask(client, QUESTION)[1])
    # A user of the recipient limited to another service (ACHATS) sees none of COMPTA's.
    achats = make_user("achats@drfip.gouv.fr")
    run(org.attach_user, recipient_user, recipient, achats.email,
        service_ids=[recipient.services.get(code="ACHATS").pk])
    assert Rattachement.objects.get(user=achats).services.get().code == "ACHATS"
    client.force_login(achats)
    assert nothing_waiting(ask(client, "ai-je des factures à traiter ?")[1])


def test_at_most_five_the_longest_waiting_first(client, articles, supplier_user, supplier,
                                                bank_account, recipient, recipient_user):
    made = [deposit(supplier_user, supplier, bank_account, number=f"FA-2026-{n:04d}")
            for n in range(1, 8)]
    now = clock.now()
    for age, each in enumerate(made):  # FA-2026-0007 has waited the longest
        Invoice.objects.filter(pk=each.pk).update(status_changed_at=now - timedelta(days=age))
    client.force_login(recipient_user)
    answer = ask(client, "Quelles factures sont en attente de mon traitement ?")[1]
    assert answer.intent == assistant.PENDING
    assert answer.text == ("7 éléments attendent votre action ; voici les 5 plus urgents (les "
                           "listes ci-dessous les montrent tous) :")
    assert numbers(answer) == ["FA-2026-0007", "FA-2026-0006", "FA-2026-0005", "FA-2026-0004",
                               "FA-2026-0003"]
    assert answer.facts == [("Factures reçues à traiter", "7")]
    assert answer.links[0].label == "Voir la liste : Factures reçues à traiter (7)"


# --- The supplier's side, the validator's, the works ---------------------------------------------


def test_a_suspended_invoice_waits_for_its_supplier(client, invoice, supplier_user,
                                                    recipient_user):
    run(invoicing.process, recipient_user, invoice, Status.SUSPENDUE,
        comment="Bon de livraison manquant.")
    client.force_login(supplier_user)
    answer = ask(client, "Ai-je des factures à compléter ?")[1]
    assert answer.intent == assistant.PENDING
    [item] = answer.waiting
    assert (item.number, item.partner, item.status) == (
        "FA-2026-0117", "Direction régionale des finances publiques", "Suspendue")
    assert item.url == reverse("invoicing:issued_detail", args=[invoice.pk])
    assert answer.facts == [("Factures émises à traiter", "1")]
    assert [link.url for link in answer.links] == ["/factures/emises/?onglet=a-traiter"]
    run(invoicing.acknowledge, supplier_user, invoice)  # past the login pop-up; still to do
    listed = client.get(answer.links[0].url)
    assert [i.pk for i in listed.context["invoices"]] == [invoice.pk]
    assert numbers(ask(client, "Ai-je des factures à compléter ?")[1]) == ["FA-2026-0117"]
    # The recipient waits for the supplier now.
    client.force_login(recipient_user)
    assert nothing_waiting(ask(client, QUESTION)[1])


def test_an_invoice_waits_for_its_validator(client, articles, supplier_user, supplier,
                                            bank_account, recipient, titulaire,
                                            titulaire_user, recipient_user):
    invoice = deposit(supplier_user, supplier, bank_account, cadre=Cadre.A9,
                      validator_identifier=TITULAIRE_SIRET)
    assert invoice.status == Status.A_VALIDER_1
    client.force_login(titulaire_user)
    answer = ask(client, "factures en attente de ma validation")[1]
    assert answer.intent == assistant.PENDING
    [item] = answer.waiting
    assert (item.number, item.partner, item.status) == (
        "FA-2026-0117", "Papeterie Lumière", Status.A_VALIDER_1.label)
    assert item.due == invoice.validation_due_at and not item.overdue
    assert item.url == reverse("invoicing:to_validate_detail", args=[invoice.pk])
    assert client.get(item.url).status_code == 200
    assert answer.facts == [("Factures à valider", "1")]
    assert [link.url for link in answer.links] == [
        reverse("invoicing:to_validate_list") + "?onglet=a-traiter"]
    listed = client.get(answer.links[0].url)
    assert [i.pk for i in listed.context["invoices"]] == [invoice.pk]
    # Not yet at the recipient: nothing for it.
    client.force_login(recipient_user)
    assert nothing_waiting(ask(client, QUESTION)[1])


def test_a_works_dossier_waits_for_the_moe(client, articles, deposited, titulaire_user,
                                           supplier_user):
    dossier = deposited.dossier
    client.force_login(titulaire_user)  # the maître d'œuvre of the works world
    answer = ask(client, "Which invoices are waiting for me?")[1]
    assert answer.intent == assistant.PENDING
    [item] = answer.waiting
    assert (item.number, item.partner) == (dossier.number, "Papeterie Lumière")
    assert item.status == deposited.invoice.get_status_display()
    assert item.url == reverse("travaux:detail", args=[dossier.pk])
    assert client.get(item.url).status_code == 200
    assert answer.facts == [("Factures de travaux à traiter", "1")]
    assert answer.links[0].url == reverse("travaux:list") + "?onglet=a-traiter"
    assert [d.pk for d in client.get(answer.links[0].url).context["dossiers"]] == [dossier.pk]
    # The supplier waits for the MOE: nothing of the dossier for it.
    client.force_login(supplier_user)
    assert nothing_waiting(ask(client, "what's pending for me?")[1])


def test_overdue_comes_first(client, articles, deposited, supplier_user, supplier,
                             bank_account, titulaire_user):
    """The MOE's dossier past its deadline before an invoice to validate waiting longer but
    not due yet; once the validation is later still, it comes first."""
    invoice = deposit(supplier_user, supplier, bank_account, number="FA-2026-0300",
                      cadre=Cadre.A9, validator_identifier=TITULAIRE_SIRET)
    now = clock.now()
    Invoice.objects.filter(pk=invoice.pk).update(status_changed_at=now - timedelta(days=30))
    dossier = deposited.dossier
    type(dossier).objects.filter(pk=dossier.pk).update(due_at=now - timedelta(days=1))
    client.force_login(titulaire_user)
    answer = ask(client, QUESTION)[1]
    assert numbers(answer) == [dossier.number, "FA-2026-0300"]
    assert [item.overdue for item in answer.waiting] == [True, False]
    assert answer.facts == [("Factures à valider", "1"), ("Factures de travaux à traiter", "1")]
    assert "en retard" in ask(client, QUESTION)[0].content.decode()
    Invoice.objects.filter(pk=invoice.pk).update(validation_due_at=now - timedelta(days=2))
    assert numbers(ask(client, QUESTION)[1]) == ["FA-2026-0300", dossier.number]


# --- Signed out, and what the assistant understands ---------------------------------------------


def test_signed_out_nothing_is_looked_up(client, invoice):
    response, answer = ask(client, QUESTION)
    assert answer.intent == assistant.PENDING
    assert answer.text.startswith("Connectez-vous")
    assert not answer.waiting and not answer.facts
    assert [link.url for link in answer.links] == [reverse("login")]
    assert "FA-2026-0117" not in response.content.decode()


@pytest.mark.parametrize(("question", "intent"), [
    ("Quelles factures dois-je traiter ?", assistant.PENDING),
    ("ai-je des factures à valider ?", assistant.PENDING),
    ("factures en attente de ma validation", assistant.PENDING),
    ("Combien de factures à traiter ?", assistant.PENDING),
    ("Y a-t-il des dossiers de travaux qui m'attendent ?", assistant.PENDING),
    ("Comment voir mes factures à traiter ?", assistant.PENDING),
    ("which invoices are waiting for me", assistant.PENDING),
    ("Do I have invoices to approve?", assistant.PENDING),
    ("show me the invoices pending for me", assistant.PENDING),
    ("Qu'est-ce qui m'attend ?", assistant.PENDING),
    ("Que dois-je valider ?", assistant.PENDING),
    # How-tos stay how-tos; a number stays that invoice; a status code its meaning.
    ("Comment traiter une facture reçue ?", assistant.COMMENT),
    ("Comment déposer une facture à valider par le titulaire ?", assistant.COMMENT),
    ("How do I validate an invoice?", assistant.COMMENT),
    ("la facture FA-2026-0117 est-elle à traiter ?", assistant.FACTURE),
    ("Que veut dire le statut MISE_A_DISPOSITION ?", assistant.STATUT),
    ("Le destinataire exige un code service, que dois-je faire ?", assistant.CODE),
])
def test_what_the_assistant_understands(client, articles, supplier_user, question, intent):
    client.force_login(supplier_user)
    assert ask(client, question)[1].intent == intent
