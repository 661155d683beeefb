"""The pages and JSON endpoints of « Contacter un agent » through Django's test client:
start (or the pre-filled sollicitation when no agent is there), the thread polled from a
cursor, writing by JSON and by a plain form, the agents' console, and every stranger — a
user of another structure, a non-agent, a signed-out visitor — refused with nothing
changed."""

import pytest
from django.test import Client

from choeur.aide import assistant
from choeur.chat import services
from choeur.chat.models import Conversation, Message, Side, Status
from tests.chat.conftest import exchange_state

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def _with_exchange(client, user):
    client.force_login(user)
    session = client.session
    session[assistant.STATE_KEY] = exchange_state()
    session.save()


def test_start_opens_a_conversation_with_the_sessions_exchange(client, supplier_user, agent):
    _with_exchange(client, supplier_user)
    response = client.post("/direct/", {"page": "/factures/emises/"})
    conversation = Conversation.objects.get()
    assert response.status_code == 302 and response.url == f"/direct/{conversation.pk}/"
    assert conversation.exchange.startswith("Échange avec l'assistant")
    page = client.get(response.url).content.decode()
    assert "Conversation ouverte : un agent du support va vous répondre." in page
    assert "En attente d&#x27;un agent" in page or "En attente d'un agent" in page


def test_with_no_agent_the_start_leads_to_the_prefilled_sollicitation(client, supplier,
                                                                      supplier_user, agent):
    services.set_available(agent, False)
    _with_exchange(client, supplier_user)
    response = client.post("/direct/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/sollicitations/nouvelle/?depuis=assistant")
    body = response.content.decode()
    assert "Aucun agent n&#x27;est disponible" in body or "Aucun agent n'est disponible" in body
    assert "Où est ma facture FA-2026-0117 ?" in body  # the exchange, quoted in the form
    assert not Conversation.objects.exists()


def test_the_poll_answers_from_its_cursor(client, supplier_user, agent):
    conversation = services.start(supplier_user, exchange_state())
    client.force_login(supplier_user)
    first = client.get(f"/direct/{conversation.pk}/messages/?apres=0").json()
    assert first["status"] == "EN_ATTENTE" and first["agent"] == ""
    last = first["messages"][-1]["id"]
    services.accept(agent, conversation.pk)
    services.post(agent, conversation.pk, "<b>Bonjour</b>")
    data = client.get(f"/direct/{conversation.pk}/messages/?apres={last}").json()
    assert data["status"] == "EN_COURS" and data["agent"] == "Sacha S."
    assert [m["text"] for m in data["messages"]] == ["Sacha S. a rejoint la conversation.",
                                                    "<b>Bonjour</b>"]
    assert data["messages"][-1]["author"] == "Sacha S." and not data["messages"][-1]["mine"]
    assert client.get(f"/direct/{conversation.pk}/messages/?apres=x").status_code == 200
    response = client.get(f"/direct/{conversation.pk}/messages/")
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_page_shows_a_message_as_text(client, supplier_user, agent):
    conversation = services.start(supplier_user, exchange_state())
    services.post(supplier_user, conversation.pk, "<script>alert(1)</script>")
    client.force_login(agent)
    page = client.get(f"/direct/{conversation.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Question : Où est ma facture FA-2026-0117 ?" in page  # the context, for the agent


def test_writing_by_json_and_by_a_plain_form(client, supplier_user, agent):
    conversation = services.start(supplier_user, exchange_state())
    client.force_login(supplier_user)
    answer = client.post(f"/direct/{conversation.pk}/ecrire/",
                         {"texte": "Par le script", "jeton": "t1"}, **JSON)
    assert answer.status_code == 200
    assert answer.json()["message"]["text"] == "Par le script"
    assert answer.json()["message"]["mine"] is True
    again = client.post(f"/direct/{conversation.pk}/ecrire/",
                        {"texte": "Par le script", "jeton": "t1"}, **JSON)
    assert again.json()["message"]["id"] == answer.json()["message"]["id"]
    plain = client.post(f"/direct/{conversation.pk}/ecrire/", {"texte": "Sans script"})
    assert plain.status_code == 302 and plain.url == f"/direct/{conversation.pk}/#fin"
    empty = client.post(f"/direct/{conversation.pk}/ecrire/", {"texte": " "}, **JSON)
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "CHAT_MESSAGE_EMPTY"
    assert conversation.messages.filter(side=Side.USER).count() == 2


def test_strangers_get_nothing(client, supplier_user, recipient_user, agent):
    conversation = services.start(supplier_user, exchange_state())
    client.force_login(recipient_user)
    for url in (f"/direct/{conversation.pk}/", f"/direct/{conversation.pk}/messages/"):
        assert client.get(url).status_code == 404
    for step in ("ecrire", "terminer", "sollicitation", "prendre"):
        response = client.post(f"/direct/{conversation.pk}/{step}/", {"texte": "x"})
        assert response.status_code in (403, 404), step
    assert client.get("/direct/agents/").status_code == 403
    assert client.get("/direct/agents/etat/").status_code == 403
    assert client.post("/direct/agents/", {"disponible": "oui"}).status_code == 403
    conversation.refresh_from_db()
    assert conversation.status == Status.WAITING and conversation.agent is None
    assert conversation.messages.count() == 1  # the opening notice only

    anonymous = Client()
    assert anonymous.get(f"/direct/{conversation.pk}/messages/").status_code == 403
    assert anonymous.get(f"/direct/{conversation.pk}/").status_code == 302  # to sign in


def test_the_console_lists_what_waits_and_keeps_the_agent_present(client, supplier_user,
                                                                  agent):
    conversation = services.start(supplier_user, exchange_state())
    client.force_login(agent)
    state = client.get("/direct/agents/etat/").json()
    assert state["available"] is True and state["agents"] == 1
    assert [(w["id"], w["subject"]) for w in state["waiting"]] == [
        (conversation.pk, "Où est ma facture FA-2026-0117 ?")]
    assert client.post(f"/direct/{conversation.pk}/prendre/").status_code == 302
    state = client.get("/direct/agents/etat/").json()
    assert state["waiting"] == [] and state["mine"][0]["id"] == conversation.pk
    client.post("/direct/agents/", {"disponible": "non"})
    assert client.get("/direct/agents/etat/").json()["available"] is False
    home = client.get("/").content.decode()
    assert 'href="/direct/agents/"' in home  # the agents' header link


def test_a_conversation_becomes_a_prefilled_sollicitation(client, supplier, supplier_user,
                                                          agent):
    conversation = services.start(supplier_user, exchange_state(), page="/factures/emises/")
    services.post(supplier_user, conversation.pk, "Pouvez-vous m'aider ?")
    client.force_login(supplier_user)
    response = client.post(f"/direct/{conversation.pk}/sollicitation/")
    assert response.url == "/sollicitations/nouvelle/?depuis=prefill"
    conversation.refresh_from_db()
    assert conversation.status == Status.CLOSED
    form = client.get(response.url).content.decode()
    assert "Suite de la conversation : Où est ma facture FA-2026-0117 ?" in form
    assert "Pouvez-vous m&#x27;aider ?" in form or "Pouvez-vous m'aider ?" in form
    # Read once: the form visited again later starts empty.
    assert "Suite de la conversation" not in client.get(response.url).content.decode()


def test_posts_need_their_csrf_token(supplier_user, agent):
    conversation = services.start(supplier_user, exchange_state())
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(supplier_user)
    response = strict.post(f"/direct/{conversation.pk}/ecrire/", {"texte": "x"}, **JSON)
    assert response.status_code == 403
    assert not Message.objects.filter(side=Side.USER).exists()


def test_without_sollicitations_emises_the_home_says_whom_to_ask(client, supplier_user, agent):
    services.set_available(agent, False)
    client.force_login(supplier_user)  # no structure yet: no « Sollicitations émises »
    page = client.get("/direct/").content.decode()
    assert "Aucun agent n'est disponible pour le moment." in page
    assert "Demandez à votre gestionnaire" in page
