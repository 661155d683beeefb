"""The use cases of « Contacter un agent ». Each runs in its own transaction (`atomic`):
a refusal changes nothing.

- an agent says it is available (`set_available`) and stays so while it polls (`seen`);
- a signed-in user starts a conversation (`start`) only while an agent is available: it
  carries the assistant's exchange and the page; with no agent it is refused
  (`NoAgentAvailable`) and the portal offers the pre-filled sollicitation instead;
- an agent takes it (`accept`, once: two agents clicking together get one conversation and
  one `AlreadyTaken`), both write (`post`), either ends it (`close`);
- a conversation no agent took in `WAIT` (or whose agents all left) gives up: the requester
  is offered the pre-filled sollicitation (`give_up`, `expire`); one left idle `IDLE` ends.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from choeur.chat import queries
from choeur.chat.errors import (
    AlreadyTaken,
    ConversationEnded,
    MessageEmpty,
    MessageTooLong,
    NoAgentAvailable,
    NotAnAgent,
    NotYourTurn,
    TooManyConversations,
    TooManyMessages,
)
from choeur.chat.models import MAX_MESSAGE, OPEN, AgentPresence, Conversation, Message, Side, Status
from choeur.core import clock
from choeur.messaging.services import notify

#: A conversation no agent took within this delay gives up (the requester is offered the
#: sollicitation); so does one waiting while no agent is present any more, after `ALONE`.
WAIT = timedelta(minutes=5)
ALONE = timedelta(seconds=30)
#: An open conversation where nobody wrote for this long ends.
IDLE = timedelta(minutes=30)
#: A user opens at most this many conversations a day (then the sollicitation).
PER_DAY = 10
#: Messages of one author in one conversation per minute, and per conversation at all.
PER_MINUTE = 20
PER_CONVERSATION = 500
#: An ended conversation (a person's words) is kept this long, then deleted with its thread.
KEPT = timedelta(days=395)
#: An agent's presence is written at most this often by its polling.
SEEN_EVERY = timedelta(seconds=20)


def _agent(user) -> None:
    if not queries.is_agent(user):
        raise NotAnAgent()


@transaction.atomic
def set_available(agent, available: bool) -> AgentPresence:
    _agent(agent)
    presence, _created = AgentPresence.objects.update_or_create(
        agent=agent, defaults={"available": bool(available),
                               "seen_at": clock.untravelled_now()})
    return presence


def seen(agent) -> None:
    """The agent's console or conversation polled: it is still there. One write per
    `SEEN_EVERY` at most; the check before it is a plain read, so that most polls take no
    write lock (SQLite's transactions are IMMEDIATE)."""
    if not queries.is_agent(agent):
        return
    now = clock.untravelled_now()
    due = AgentPresence.objects.filter(agent=agent, seen_at__lt=now - SEEN_EVERY)
    if due.exists():
        with transaction.atomic():
            due.update(seen_at=now)


def _system(conversation: Conversation, event: str, **params) -> Message:
    return Message.objects.create(conversation=conversation, side=Side.SYSTEM, text=event,
                                  params=params, created_at=clock.untravelled_now())


@transaction.atomic
def start(user, state: dict | None, page: str = "") -> Conversation:
    """Open a conversation for `user` with the assistant's exchange (`state`, the
    session's) and the page it was asked from; the user's open one if it has one (a second
    click opens nothing more)."""
    from choeur.aide import assistant

    # One start at a time per user: the open conversation is looked for under its lock.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    existing = queries.open_conversation(user)
    if existing is not None:
        return existing
    now = clock.untravelled_now()
    if queries.started_since(user, now - timedelta(days=1)) >= PER_DAY:
        raise TooManyConversations(limit=PER_DAY)
    if not queries.agent_available():
        raise NoAgentAvailable()
    exchange = (state or {}).get("exchange") or []
    handover = assistant.handover(state) if exchange else {}
    if not page:
        page = next((e.get("page") for e in reversed(exchange) if e.get("page")), "")
    subject = exchange[-1]["question"] if exchange else _("Demande d'aide")
    conversation = Conversation.objects.create(
        requester=user, subject=subject[:200], page=page[:300],
        exchange=handover.get("description", ""),
        handover={k: v for k, v in handover.items() if k in ("categorie", "invoice_id")},
        created_at=now, last_activity_at=now)
    _system(conversation, "opened")
    return conversation


@transaction.atomic
def accept(agent, pk) -> Conversation:
    _agent(agent)
    conversation, role = queries.conversation_for(agent, pk, lock=True)
    if role == queries.REQUESTER:
        raise NotYourTurn()  # an agent asking for help is answered by another one
    if conversation.status != Status.WAITING:
        if conversation.agent_id == agent.pk and conversation.status == Status.ACTIVE:
            return conversation  # the same agent's second click
        if conversation.status == Status.ACTIVE:
            raise AlreadyTaken()
        raise ConversationEnded()
    now = clock.untravelled_now()
    # Conditional: of two agents taking it at once, one changes the row, the other nothing.
    taken = Conversation.objects.filter(pk=conversation.pk, status=Status.WAITING).update(
        status=Status.ACTIVE, agent=agent, accepted_at=now, last_activity_at=now)
    if not taken:
        raise AlreadyTaken()
    conversation.refresh_from_db()
    _system(conversation, "joined", agent=queries.agent_name(agent))
    return conversation


@transaction.atomic
def post(actor, pk, text: str, token: str = "") -> Message:
    """Write `text` in the conversation: its requester (while it is open, also before an
    agent took it) or the agent who took it. `token`, the page's id for this message, makes
    a re-sent post answer the first one."""
    conversation, role = queries.conversation_for(actor, pk, lock=True)
    if role == queries.OBSERVER:
        raise NotYourTurn()
    token = (token or "").strip()[:40]
    if token:  # the author's own re-sent post only: a token never reaches another's message
        first = conversation.messages.filter(token=token, author=actor).first()
        if first is not None:
            return first
    if not conversation.is_open:
        raise ConversationEnded()
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise MessageEmpty()
    if len(text) > MAX_MESSAGE:
        raise MessageTooLong(limit=MAX_MESSAGE)
    now = clock.untravelled_now()
    recent = conversation.messages.filter(author=actor, created_at__gte=now - timedelta(
        minutes=1)).count()
    # The cap counts the author's own messages: a flood by one side never silences the other.
    if recent >= PER_MINUTE or conversation.messages.filter(
            author=actor).count() >= PER_CONVERSATION:
        raise TooManyMessages()
    side = Side.AGENT if role == queries.AGENT else Side.USER
    try:
        with transaction.atomic():
            message = Message.objects.create(conversation=conversation, side=side,
                                             author=actor, text=text, token=token,
                                             created_at=now)
    except IntegrityError:  # the same token, posted at the same instant by a second request
        return conversation.messages.get(token=token, author=actor)
    Conversation.objects.filter(pk=conversation.pk).update(last_activity_at=now)
    return message


@transaction.atomic
def close(actor, pk) -> Conversation:
    """End the conversation (its requester, the agent who took it, or any agent while it
    waits); the thread stays readable. Ending an ended one changes nothing."""
    conversation, role = queries.conversation_for(actor, pk, lock=True)
    if not conversation.is_open:
        return conversation
    if role == queries.OBSERVER and conversation.status == Status.ACTIVE:
        raise NotYourTurn()
    if role == queries.REQUESTER:
        _end(conversation, Status.CLOSED, "closed_by_requester")
    else:
        _end(conversation, Status.CLOSED, "closed_by_agent", agent=queries.agent_name(actor))
        _tell_requester(conversation, "chat_closed")
    return conversation


def _end(conversation: Conversation, status: str, event: str, **params) -> None:
    now = clock.untravelled_now()
    conversation.status = status
    conversation.closed_at = now
    conversation.last_activity_at = now
    conversation.save(update_fields=["status", "closed_at", "last_activity_at"])
    _system(conversation, event, **params)


def _tell_requester(conversation: Conversation, kind: str) -> None:
    notify([conversation.requester], kind, {"subject": conversation.subject[:80]},
           url=reverse("chat:conversation", args=[conversation.pk]), email=False)


def _gives_up(conversation: Conversation, now) -> bool:
    if conversation.status != Status.WAITING:
        return False
    waited = now - conversation.created_at
    return waited >= WAIT or (waited >= ALONE and not queries.agent_available())


def give_up(user, pk) -> Conversation:
    """Called by the requester's page as it polls: a conversation no agent took in time, or
    whose agents all left, gives up and the page offers the pre-filled sollicitation. Read
    first without a lock: only a conversation that is due takes the write lock."""
    conversation, _role = queries.conversation_for(user, pk)
    if not _gives_up(conversation, clock.untravelled_now()):
        return conversation
    with transaction.atomic():
        conversation, _role = queries.conversation_for(user, pk, lock=True)
        if _gives_up(conversation, clock.untravelled_now()):
            _end(conversation, Status.UNANSWERED, "unanswered")
    return conversation


def expire() -> int:
    """The timer: conversations given up by their requester's absence too, and open ones
    idle for `IDLE`, end; those ended more than `KEPT` ago go. Returns how many ended."""
    now = clock.untravelled_now()
    ended = 0
    for pk in list(Conversation.objects.filter(status=Status.WAITING,
                                               created_at__lt=now - ALONE)
                   .values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            conversation = Conversation.objects.select_for_update().get(pk=pk)
            if _gives_up(conversation, now):
                _end(conversation, Status.UNANSWERED, "unanswered")
                _tell_requester(conversation, "chat_unanswered")
                ended += 1
    for pk in list(Conversation.objects.filter(status__in=OPEN,
                                               last_activity_at__lt=now - IDLE)
                   .values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            conversation = Conversation.objects.select_for_update().get(pk=pk)
            if conversation.is_open and conversation.last_activity_at < now - IDLE:
                _end(conversation, Status.CLOSED, "idle")
                _tell_requester(conversation, "chat_closed")
                ended += 1
    with transaction.atomic():
        Conversation.objects.exclude(status__in=OPEN).filter(
            created_at__lt=now - KEPT, closed_at__lt=now - KEPT).delete()
    return ended
