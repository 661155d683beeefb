"""Who sees which conversation, and what the pages and their polling read.

A conversation is its requester's, and the support's: every agent sees every conversation
(as every agent sees the support's sollicitations), only the agent who took it writes in it.
Anyone else — another user, an agent's request for a conversation that does not exist —
gets the same « not found »."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from choeur.chat.errors import ConversationNotFound
from choeur.chat.models import OPEN, AgentPresence, Conversation, Message, Side, Status
from choeur.core import clock
from choeur.sollicitations.queries import is_agent

#: An agent counts as present while its console (or a conversation) polled this recently.
PRESENCE_TTL = timedelta(seconds=90)
#: A poll answers at most this many messages; the page asks again from the last one.
PAGE = 200

REQUESTER, AGENT, OBSERVER = "requester", "agent", "observer"

__all__ = ["is_agent"]


def present_agents() -> Q:
    """The presences that make an agent available now."""
    since = clock.untravelled_now() - PRESENCE_TTL
    return Q(available=True, seen_at__gte=since, agent__is_active=True) & (
        Q(agent__is_support_agent=True) | Q(agent__is_staff=True))


def agent_available() -> bool:
    return AgentPresence.objects.filter(present_agents()).exists()


def available_agents() -> int:
    return AgentPresence.objects.filter(present_agents()).count()


def presence(agent) -> AgentPresence | None:
    return AgentPresence.objects.filter(agent=agent).first()


def is_available(agent) -> bool:
    return AgentPresence.objects.filter(present_agents(), agent=agent).exists()


def role(user, conversation: Conversation) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    if conversation.requester_id == user.pk:
        return REQUESTER
    if is_agent(user):
        return AGENT if conversation.agent_id == user.pk else OBSERVER
    return None


def conversation_for(user, pk, *, lock: bool = False) -> tuple[Conversation, str]:
    """The conversation `pk` and the user's role in it; not found for anyone else."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise ConversationNotFound() from None
    if not 0 < pk < 2**63:
        raise ConversationNotFound()
    rows = Conversation.objects.select_related("requester", "agent")
    if lock:
        rows = rows.select_for_update(of=("self",))
    conversation = rows.filter(pk=pk).first()
    found = role(user, conversation) if conversation is not None else None
    if found is None:
        raise ConversationNotFound()
    return conversation, found


def open_conversation(user) -> Conversation | None:
    return Conversation.objects.filter(requester=user, status__in=OPEN).first()


def started_since(user, since) -> int:
    return Conversation.objects.filter(requester=user, created_at__gte=since).count()


def messages_after(conversation: Conversation, after: int = 0) -> list[Message]:
    return list(conversation.messages.filter(id__gt=after).select_related("author")[:PAGE])


def waiting() -> list[Conversation]:
    """The conversations waiting for an agent, the longest waiting first."""
    return list(Conversation.objects.filter(status=Status.WAITING)
                .select_related("requester").order_by("created_at", "id")[:100])


def waiting_count() -> int:
    return Conversation.objects.filter(status=Status.WAITING).count()


def taken_by(agent) -> list[Conversation]:
    return list(Conversation.objects.filter(agent=agent, status=Status.ACTIVE)
                .select_related("requester").order_by("accepted_at", "id"))


def ended_recently(agent, limit: int = 20) -> list[Conversation]:
    return list(Conversation.objects.filter(agent=agent).exclude(status__in=OPEN)
                .select_related("requester").order_by("-closed_at", "-id")[:limit])


def requester_history(user, limit: int = 20) -> list[Conversation]:
    return list(Conversation.objects.filter(requester=user)
                .select_related("agent").order_by("-created_at", "-id")[:limit])


def agent_name(agent) -> str:
    """How a requester sees its agent: a first name and an initial, never an address; ""
    for an agent without a first name."""
    first, last = (agent.first_name or "").strip(), (agent.last_name or "").strip()
    if first:
        return f"{first} {last[:1]}." if last else first
    return ""


def agent_label(agent) -> str:
    """`agent_name`, or « Un agent du support » in the reader's language."""
    if agent is None:
        return ""
    return agent_name(agent) or _("Un agent du support")


def requester_label(user) -> str:
    name = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    return f"{name} <{user.email}>" if name else user.email


#: Choeur's notices in a thread, by event (`Message.text` of a SYSTEM message).
NOTICES = {
    "opened": gettext_lazy("Conversation ouverte : un agent du support va vous répondre."),
    "joined": gettext_lazy("%(agent)s a rejoint la conversation."),
    "closed_by_requester": gettext_lazy("Le demandeur a terminé la conversation."),
    "closed_by_agent": gettext_lazy("%(agent)s a terminé la conversation."),
    "unanswered": gettext_lazy(
        "Aucun agent n'a pu vous répondre. Émettez une sollicitation : elle reprend cet "
        "échange et un agent vous répondra."),
    "idle": gettext_lazy("Conversation terminée faute d'activité depuis 30 minutes."),
}


def message_text(message: Message) -> str:
    if message.side != Side.SYSTEM:
        return message.text
    template = NOTICES.get(message.text)
    if template is None:
        return message.text
    params = {k: str(v) for k, v in (message.params or {}).items()}
    if "agent" in params and not params["agent"]:
        params["agent"] = _("Un agent du support")  # in the reader's language
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)


def author_label(message: Message, viewer_role: str) -> str:
    if message.side == Side.SYSTEM:
        return "Choeur"
    if message.side == Side.AGENT:
        if viewer_role == REQUESTER:
            return agent_label(message.author)
        return message.author.get_full_name() or message.author.email if message.author \
            else _("Agent")
    if viewer_role == REQUESTER:
        return _("Vous")
    return message.author.get_full_name() or message.author.email if message.author \
        else _("Utilisateur")


def transcript(conversation: Conversation) -> str:
    """The thread as a sollicitation quotes it (the requester's words, the agent's first
    name, Choeur's notices)."""
    lines = []
    for message in conversation.messages.select_related("author"):
        at = message.created_at.astimezone(clock.PARIS).strftime("%d/%m %H:%M")
        lines.append(f"[{at}] {author_label(message, REQUESTER)} : {message_text(message)}")
    return "\n".join(lines)


def sollicitation_initial(conversation: Conversation) -> dict:
    """The sollicitation form's initial values from a conversation: the assistant's
    exchange, the conversation's thread, the page, the category and invoice suggested."""
    from choeur.sollicitations.models import MAX_TEXT, MAX_TITLE

    initial = {key: value for key, value in (conversation.handover or {}).items()
               if key in ("categorie", "invoice_id")}
    parts = []
    if conversation.page:
        parts.append(_("Page d'où l'aide a été demandée : %(page)s") % {"page": conversation.page})
    if conversation.exchange:
        parts.append(conversation.exchange)
    thread = transcript(conversation)
    if thread:
        parts.append(_("Conversation avec un agent :") + "\n" + thread)
    initial["title"] = (_("Suite de la conversation : %(subject)s")
                        % {"subject": conversation.subject})[:MAX_TITLE]
    initial["description"] = "\n\n".join(parts)[:MAX_TEXT]
    initial.setdefault("categorie", "GENERAL/PLATEFORME")
    return initial
