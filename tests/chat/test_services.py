"""The use cases of « Contacter un agent »: a conversation only while an agent is
available, taken once, written by its two parties only, given up when nobody answers, and
every refusal coded and changing nothing."""

from datetime import timedelta

import pytest

from choeur.chat import queries, services
from choeur.chat.errors import (
    AlreadyTaken,
    ConversationEnded,
    ConversationNotFound,
    MessageEmpty,
    MessageTooLong,
    NoAgentAvailable,
    NotAnAgent,
    NotYourTurn,
    TooManyConversations,
    TooManyMessages,
)
from choeur.chat.models import Conversation, Message, Side, Status
from choeur.core import clock
from choeur.messaging.models import Notification
from tests.chat.conftest import exchange_state

pytestmark = pytest.mark.django_db


def test_a_conversation_carries_the_assistant_exchange_and_the_page(supplier_user, agent):
    conversation = services.start(supplier_user, exchange_state(), page="/factures/emises/9/")
    assert conversation.status == Status.WAITING
    assert conversation.subject == "Où est ma facture FA-2026-0117 ?"
    assert conversation.page == "/factures/emises/9/"
    assert "Question : Où est ma facture FA-2026-0117 ?" in conversation.exchange
    assert "Réponse : La facture FA-2026-0117 est au statut « Rejetée »." in conversation.exchange
    assert conversation.handover["categorie"] == "GENERAL/PLATEFORME"
    # The page falls back to the exchange's own when the start does not name one.
    again = services.close(supplier_user, conversation.pk)
    assert again.status == Status.CLOSED
    second = services.start(supplier_user, exchange_state(page="/structures/"))
    assert second.page == "/structures/"


def test_a_second_start_gives_the_open_conversation(supplier_user, agent):
    first = services.start(supplier_user, exchange_state())
    assert services.start(supplier_user, exchange_state()) == first
    assert Conversation.objects.count() == 1


def test_no_agent_available_opens_nothing(supplier_user, agent):
    services.set_available(agent, False)
    with pytest.raises(NoAgentAvailable):
        services.start(supplier_user, exchange_state())
    assert not Conversation.objects.exists()


def test_an_agent_who_left_its_console_is_not_available(supplier_user, agent):
    with clock.shifted(queries.PRESENCE_TTL + timedelta(seconds=1)):
        assert not queries.agent_available()
        with pytest.raises(NoAgentAvailable):
            services.start(supplier_user, exchange_state())
        services.seen(agent)  # its console polls again
        assert queries.agent_available()


def test_only_agents_set_their_availability(supplier_user):
    with pytest.raises(NotAnAgent):
        services.set_available(supplier_user, True)
    assert not queries.agent_available()


def test_an_agent_takes_it_once_and_a_second_agent_is_told(supplier_user, agent,
                                                           other_agent):
    conversation = services.start(supplier_user, exchange_state())
    taken = services.accept(agent, conversation.pk)
    assert taken.status == Status.ACTIVE and taken.agent == agent
    assert services.accept(agent, conversation.pk).agent == agent  # its own second click
    with pytest.raises(AlreadyTaken):
        services.accept(other_agent, conversation.pk)
    taken.refresh_from_db()
    assert taken.agent == agent
    notices = [queries.message_text(m) for m in taken.messages.filter(side=Side.SYSTEM)]
    assert notices[-1] == "Sacha S. a rejoint la conversation."


def test_the_two_parties_write_and_nobody_else(supplier_user, agent, other_agent,
                                               recipient_user):
    conversation = services.start(supplier_user, exchange_state())
    # The requester may write while it waits.
    services.post(supplier_user, conversation.pk, "Bonjour, ma facture est rejetée.")
    with pytest.raises(NotYourTurn):
        services.post(agent, conversation.pk, "Bonjour")  # not taken yet
    services.accept(agent, conversation.pk)
    services.post(agent, conversation.pk, "Bonjour, je regarde.")
    with pytest.raises(NotYourTurn):
        services.post(other_agent, conversation.pk, "Moi aussi")
    with pytest.raises(ConversationNotFound):
        services.post(recipient_user, conversation.pk, "Je lis ?")
    with pytest.raises(ConversationNotFound):
        queries.conversation_for(recipient_user, conversation.pk)
    sides = list(conversation.messages.exclude(side=Side.SYSTEM).values_list("side", "text"))
    assert sides == [(Side.USER, "Bonjour, ma facture est rejetée."),
                     (Side.AGENT, "Bonjour, je regarde.")]


def test_a_re_sent_message_is_written_once(supplier_user, agent):
    conversation = services.start(supplier_user, exchange_state())
    first = services.post(supplier_user, conversation.pk, "Une fois", token="abc123")
    second = services.post(supplier_user, conversation.pk, "Une fois", token="abc123")
    assert first == second
    assert conversation.messages.filter(side=Side.USER).count() == 1


@pytest.mark.parametrize("text, error", [("   ", MessageEmpty), ("x" * 2001, MessageTooLong)])
def test_bad_messages_are_refused(supplier_user, agent, text, error):
    conversation = services.start(supplier_user, exchange_state())
    with pytest.raises(error):
        services.post(supplier_user, conversation.pk, text)
    assert not conversation.messages.exclude(side=Side.SYSTEM).exists()


def test_a_flood_is_stopped(supplier_user, agent):
    conversation = services.start(supplier_user, exchange_state())
    for n in range(services.PER_MINUTE):
        services.post(supplier_user, conversation.pk, f"message {n}")
    with pytest.raises(TooManyMessages):
        services.post(supplier_user, conversation.pk, "encore")
    with clock.shifted(timedelta(minutes=1, seconds=1)):
        services.seen(agent)
        services.post(supplier_user, conversation.pk, "une minute après")


def test_a_user_opens_a_bounded_number_of_conversations_a_day(supplier_user, agent):
    for _n in range(services.PER_DAY):
        services.close(supplier_user, services.start(supplier_user, exchange_state()).pk)
    with pytest.raises(TooManyConversations):
        services.start(supplier_user, exchange_state())
    assert Conversation.objects.count() == services.PER_DAY


def test_an_ended_conversation_takes_no_message(supplier_user, agent):
    conversation = services.start(supplier_user, exchange_state())
    services.accept(agent, conversation.pk)
    services.close(agent, conversation.pk)
    with pytest.raises(ConversationEnded):
        services.post(supplier_user, conversation.pk, "Et encore ?")
    with pytest.raises(ConversationEnded):
        services.accept(agent, conversation.pk)
    # The requester hears the agent ended it (in the portal: the thread stays readable).
    notice = Notification.objects.get(user=supplier_user, kind="chat_closed")
    assert notice.url == f"/direct/{conversation.pk}/"


def test_a_conversation_nobody_takes_gives_up(supplier_user, agent):
    conversation = services.start(supplier_user, exchange_state())
    assert services.give_up(supplier_user, conversation.pk).status == Status.WAITING
    with clock.shifted(services.WAIT + timedelta(seconds=1)):
        services.seen(agent)  # an agent is there, but nobody took it
        assert services.give_up(supplier_user, conversation.pk).status == Status.UNANSWERED


def test_a_conversation_whose_agents_left_gives_up_sooner(supplier_user, agent):
    conversation = services.start(supplier_user, exchange_state())
    services.set_available(agent, False)
    with clock.shifted(services.ALONE + timedelta(seconds=1)):
        assert services.give_up(supplier_user, conversation.pk).status == Status.UNANSWERED


def test_the_timer_ends_what_was_left(supplier_user, recipient_user, agent):
    left_waiting = services.start(supplier_user, exchange_state())
    with clock.shifted(services.WAIT + timedelta(seconds=1)):
        assert services.expire() == 1
    left_waiting.refresh_from_db()
    assert left_waiting.status == Status.UNANSWERED
    assert Notification.objects.filter(user=supplier_user, kind="chat_unanswered").exists()

    idle = services.start(recipient_user, exchange_state())
    services.accept(agent, idle.pk)
    with clock.shifted(services.IDLE + timedelta(minutes=1)):
        assert services.expire() == 1
        assert services.expire() == 0  # idempotent
    idle.refresh_from_db()
    assert idle.status == Status.CLOSED
    assert queries.message_text(idle.messages.last()) == (
        "Conversation terminée faute d'activité depuis 30 minutes.")


def test_the_sollicitation_made_from_it_quotes_everything(supplier_user, agent):
    conversation = services.start(supplier_user, exchange_state(), page="/factures/emises/")
    services.post(supplier_user, conversation.pk, "Pourquoi est-elle rejetée ?")
    initial = queries.sollicitation_initial(conversation)
    assert initial["title"] == "Suite de la conversation : Où est ma facture FA-2026-0117 ?"
    assert "Page d'où l'aide a été demandée : /factures/emises/" in initial["description"]
    assert "Question : Où est ma facture FA-2026-0117 ?" in initial["description"]
    assert "Vous : Pourquoi est-elle rejetée ?" in initial["description"]
    assert initial["categorie"] == "GENERAL/PLATEFORME"


def test_forged_ids_are_not_found(supplier_user, agent):
    for forged in ("0", "-1", "abc", "99999999999999999999", None):
        with pytest.raises(ConversationNotFound):
            queries.conversation_for(supplier_user, forged)
    assert not Message.objects.exists()


def test_ended_conversations_go_after_their_retention(supplier_user, agent):
    ended = services.start(supplier_user, exchange_state())
    services.close(supplier_user, ended.pk)
    with clock.shifted(services.KEPT - timedelta(days=1)):
        services.expire()
        assert Conversation.objects.filter(pk=ended.pk).exists()
    with clock.shifted(services.KEPT + timedelta(days=1)):
        services.expire()
        assert not Conversation.objects.filter(pk=ended.pk).exists()
        assert not Message.objects.filter(conversation_id=ended.pk).exists()


def test_a_token_finds_only_its_authors_message(supplier_user, agent, other_agent):
    conversation = services.start(supplier_user, exchange_state())
    services.accept(agent, conversation.pk)
    agents = services.post(agent, conversation.pk, "De l'agent", token="same")
    mine = services.post(supplier_user, conversation.pk, "Du demandeur", token="same")
    assert mine != agents and mine.text == "Du demandeur"
    with pytest.raises(NotYourTurn):  # an observer gets nobody's message back
        services.post(other_agent, conversation.pk, "x", token="same")
    services.close(agent, conversation.pk)
    with pytest.raises(NotYourTurn):
        services.post(other_agent, conversation.pk, "x", token="same")


def test_one_side_flooding_never_silences_the_other(supplier_user, agent, monkeypatch):
    monkeypatch.setattr(services, "PER_CONVERSATION", 3)
    conversation = services.start(supplier_user, exchange_state())
    services.accept(agent, conversation.pk)
    for n in range(3):
        services.post(supplier_user, conversation.pk, f"n{n}")
    with pytest.raises(TooManyMessages):
        services.post(supplier_user, conversation.pk, "encore")
    services.post(agent, conversation.pk, "L'agent répond encore")


def test_the_database_holds_one_open_conversation_a_requester(supplier_user, agent):
    from django.db import IntegrityError, transaction

    services.start(supplier_user, exchange_state())
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.create(requester=supplier_user, subject="bis")
