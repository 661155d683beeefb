"""« Contacter un agent »: the requester's and the agent's pages, and the small JSON
endpoints their script polls (chat/static/chat/chat.js) so that messages appear without
reloading. Every page works without the script: the forms post and come back."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from choeur.chat import queries, services
from choeur.chat.errors import ChatError, NoAgentAvailable, NotAnAgent
from choeur.chat.models import Message, Status
from choeur.core import clock
from choeur.organisations import permissions
from choeur.sollicitations import prefill

#: Polling periods the pages' script uses (milliseconds), given in the page.
POLL_CONVERSATION_MS = 2_000
POLL_CONSOLE_MS = 3_000


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _error(request, exc: ChatError, fallback: str):
    if exc.http_status == 404:
        raise Http404(exc.message())
    if exc.http_status == 403:
        raise PermissionDenied(exc.message())
    if _wants_json(request):
        return JsonResponse({"error": {"code": exc.code, "message": exc.message()}},
                            status=exc.http_status)
    messages.error(request, f"{exc.message()} [{exc.code}]")
    return redirect(fallback)


def _user(request):
    """A signed-in person (a technical account has no conversation)."""
    if permissions.is_technical_account(request.user):
        raise PermissionDenied
    return request.user


def _json_user(request):
    if not request.user.is_authenticated:
        return None
    return _user(request)


def _at(value) -> str:
    return timezone.localtime(value, clock.PARIS).strftime("%H:%M")


def _message_json(message: Message, role: str, viewer) -> dict:
    return {"id": message.pk, "side": message.side,
            "author": queries.author_label(message, role),
            "text": queries.message_text(message), "at": _at(message.created_at),
            "mine": message.author_id == viewer.pk}


def _assistant_state(request) -> dict | None:
    from choeur.aide import assistant

    state = request.session.get(assistant.STATE_KEY)
    return state if isinstance(state, dict) else None


def _page(value: str) -> str:
    from choeur.aide.views import local_page

    return local_page(value)


# --- The requester -----------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def home(request):
    """« Contacter un agent »: whether one is available, the user's open conversation and
    its past ones; the start (POST). With no agent, the sollicitation pre-filled with the
    assistant's exchange is offered instead."""
    user = _user(request)
    if request.method == "POST":
        try:
            conversation = services.start(user, _assistant_state(request),
                                          page=_page(request.POST.get("page", "")))
        except NoAgentAvailable as exc:
            return _no_agent(request, exc)
        except ChatError as exc:
            return _error(request, exc, "chat:home")
        return redirect("chat:conversation", pk=conversation.pk)
    from choeur.sollicitations import queries as sollicitations

    return render(request, "chat/home.html", {
        "available": queries.agent_available(), "open": queries.open_conversation(user),
        "can_send": bool(sollicitations.sender_structures(user, modify=True)),
        "history": queries.requester_history(user), "is_agent": queries.is_agent(user),
    })


def _no_agent(request, exc: ChatError):
    from choeur.aide.views import handover_url

    messages.warning(request, exc.message())
    url = handover_url(request, _assistant_state(request) or {})
    return redirect(url or "chat:home")


@never_cache
@login_required
@require_safe
def conversation(request, pk):
    user = _user(request)
    try:
        found, role = queries.conversation_for(user, pk)
    except ChatError:
        raise Http404 from None
    if role != queries.REQUESTER and found.is_open:
        services.seen(user)
    thread = found.messages.select_related("author")
    return render(request, "chat/conversation.html", {
        "conversation": found, "role": role, "agent_label": queries.agent_label(found.agent),
        "requester_label": queries.requester_label(found.requester),
        "thread": [_message_json(m, role, user) for m in thread],
        "token": secrets.token_hex(16), "poll_ms": POLL_CONVERSATION_MS,
        "max_message": services.MAX_MESSAGE, "statuses": Status,
    })


@never_cache
@require_safe
def poll(request, pk):
    """The messages after `?apres=<id>` and the conversation's state, for the page's script.
    A requester's poll is also what lets a conversation nobody took give up."""
    user = _json_user(request)
    if user is None:
        return JsonResponse({"error": {"code": "NOT_AUTHENTICATED"}}, status=403)
    try:
        after = max(0, int(request.GET.get("apres", "0") or 0))
    except ValueError:
        after = 0
    try:
        found, role = queries.conversation_for(user, pk)
        if role == queries.REQUESTER and found.status == Status.WAITING:
            found = services.give_up(user, pk)
        elif role != queries.REQUESTER and found.is_open:
            services.seen(user)  # a tab left on an ended conversation keeps no agent present
    except ChatError as exc:
        return JsonResponse({"error": {"code": exc.code, "message": exc.message()}},
                            status=exc.http_status)
    rows = queries.messages_after(found, after)
    return JsonResponse({
        "status": found.status, "status_label": str(Status(found.status).label),
        "agent": queries.agent_label(found.agent),
        "messages": [_message_json(m, role, user) for m in rows],
        "more": len(rows) == queries.PAGE,
    })


@require_POST
@login_required
def send(request, pk):
    user = _user(request)
    back = reverse("chat:conversation", args=[pk])
    try:
        message = services.post(user, pk, request.POST.get("texte", ""),
                                request.POST.get("jeton", ""))
        found, role = queries.conversation_for(user, pk)
    except ChatError as exc:
        return _error(request, exc, back)
    if _wants_json(request):
        return JsonResponse({"message": _message_json(message, role, user)})
    return redirect(f"{back}#fin")


@require_POST
@login_required
def close(request, pk):
    user = _user(request)
    back = reverse("chat:conversation", args=[pk])
    try:
        services.close(user, pk)
    except ChatError as exc:
        return _error(request, exc, back)
    messages.success(request, _("La conversation est terminée ; son fil reste consultable ici."))
    return redirect(back)


@require_POST
@login_required
def to_sollicitation(request, pk):
    """« Émettre une sollicitation » from a conversation: the sender's form, pre-filled with
    the assistant's exchange, the thread and the page; an open conversation ends."""
    from choeur.sollicitations import queries as sollicitations

    user = _user(request)
    try:
        found, role = queries.conversation_for(user, pk)
    except ChatError:
        raise Http404 from None
    if role != queries.REQUESTER:
        raise Http404
    if not sollicitations.sender_structures(user, modify=True):
        messages.error(request, _("Demandez à votre gestionnaire l'accès « Sollicitations "
                                  "émises » de votre structure pour émettre une sollicitation."))
        return redirect("chat:conversation", pk=found.pk)
    if found.is_open:
        try:
            services.close(user, pk)
        except ChatError as exc:
            return _error(request, exc, reverse("chat:conversation", args=[pk]))
    prefill.stash(request.session, queries.sollicitation_initial(found))
    return redirect(reverse("sollicitations:new") + "?depuis=prefill")


# --- The agent ---------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def console(request):
    """The agent's console: « disponible » or not, the conversations waiting (the longest
    first, refreshed by the script), its own open ones, those it ended lately."""
    user = _user(request)
    if not queries.is_agent(user):
        raise PermissionDenied
    if request.method == "POST":
        available = request.POST.get("disponible") == "oui"
        services.set_available(user, available)
        messages.success(request, _("Vous êtes disponible : les conversations vous arrivent ici.")
                         if available else
                         _("Vous n'êtes plus disponible : aucune conversation ne vous arrive."))
        return redirect("chat:console")
    services.seen(user)
    return render(request, "chat/console.html", {
        "available": queries.is_available(user), **_console(user),
        "ended": queries.ended_recently(user), "poll_ms": POLL_CONSOLE_MS,
    })


def _console(user) -> dict:
    now = clock.untravelled_now()

    def row(c):
        return {"id": c.pk, "requester": queries.requester_label(c.requester),
                "subject": c.subject, "page": c.page,
                "minutes": int((now - c.created_at).total_seconds() // 60),
                "url": reverse("chat:conversation", args=[c.pk])}

    return {"waiting": [row(c) for c in queries.waiting()],
            "mine": [row(c) for c in queries.taken_by(user)],
            "agents": queries.available_agents()}


@never_cache
@require_safe
def console_state(request):
    user = _json_user(request)
    if user is None or not queries.is_agent(user):
        return JsonResponse({"error": {"code": NotAnAgent.code}}, status=403)
    services.seen(user)
    return JsonResponse({"available": queries.is_available(user), **_console(user)})


@require_POST
@login_required
def accept(request, pk):
    user = _user(request)
    back = reverse("chat:conversation", args=[pk])
    try:
        services.accept(user, pk)
    except ChatError as exc:
        return _error(request, exc, back)
    return redirect(back)
