"""« Besoin d'aide ? »: the help centre's pages and the assistant, open to everyone (signed in
or not)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from choeur.aide import assistant, markup, queries, search, services
from choeur.aide.errors import AideError
from choeur.aide.models import Article

RESULTS = 20


@require_safe
def index(request):
    english = Article.english()
    query = request.GET.get("q", "")
    hits, error, status = None, None, 200
    if query.strip():
        try:
            hits = search.search(query, limit=RESULTS)
        except AideError as exc:
            error, status = exc, 400
    return render(request, "aide/index.html", {
        "query": query, "hits": hits, "error": error,
        # The articles by theme on the index only: a search answers with its results.
        "sections": [] if hits is not None else queries.sections(english), "english": english,
        "max_query": search.MAX_QUERY,
    }, status=status)


VOTES_KEY = "aide.votes"  # article id → the session's vote on it


@require_safe
def article(request, slug):
    found = queries.article(slug)
    votes = request.session.get(VOTES_KEY, {}) if hasattr(request, "session") else {}
    return render(request, "aide/article.html", {
        "article": found, "title": found.title(), "body": markup.render(found.body()),
        "page_url": queries.page_url(found),
        "voted": isinstance(votes, dict) and str(found.pk) in votes,
        "unhelpful": request.GET.get("avis") == "non",
    })


@require_POST
def article_vote(request, slug):
    """« Cette page vous a-t-elle aidé ? »: back to the article, thanked; a « non » offers
    the assistant and an agent."""
    found = queries.article(slug)
    votes = request.session.get(VOTES_KEY)
    votes = dict(votes) if isinstance(votes, dict) else {}
    try:
        with transaction.atomic():
            cast = services.vote(request.user, found, request.POST.get("utile", ""), votes)
    except AideError as exc:
        messages.error(request, f"{exc.message()} [{exc.code}]")
        return redirect("aide:article", slug=found.slug)
    request.session[VOTES_KEY] = votes
    messages.success(request, _("Merci pour votre avis."))
    url = reverse("aide:article", args=[found.slug])
    return redirect(f"{url}?avis=non#avis" if not cast.useful else f"{url}#avis")


# --- The assistant -----------------------------------------------------------------------------

FRAGMENT_HEADER = "X-Choeur-Fragment"  # set by aide/static/aide/assistant.js


def _state(request) -> dict:
    state = request.session.get(assistant.STATE_KEY)
    return state if isinstance(state, dict) else assistant.new_state()


def local_page(value: str) -> str:
    """The page the question was asked from: a local path, or nothing."""
    value = (value or "").strip()
    if (not value.startswith("/") or value.startswith(("//", "/\\")) or len(value) > 300
            or any(c.isspace() or ord(c) < 32 for c in value)):
        return ""
    return value


def handover_url(request, state: dict) -> str | None:
    """« Émettre une sollicitation », pre-filled with the exchange (sollicitations' forms read
    it from the session): the sender's form for whoever may send one, the logged-out contact
    form otherwise; none for a signed-in user without « Sollicitations émises »."""
    from choeur.sollicitations import queries as sollicitations

    if not request.user.is_authenticated:
        return reverse("sollicitations:contact") + "?depuis=assistant"
    if not sollicitations.sender_structures(request.user, modify=True):
        return None
    url = reverse("sollicitations:new") + "?depuis=assistant"
    invoice_ids = [e["invoice_id"] for e in state.get("exchange", []) if e.get("invoice_id")]
    if invoice_ids:
        url += f"&facture={invoice_ids[-1]}"
    return url


def _respond(request, context: dict, status: int = 200):
    context.setdefault("max_question", assistant.MAX_QUESTION)
    if request.headers.get(FRAGMENT_HEADER):
        response = render(request, "aide/_assistant_reply.html", context, status=status)
        response[FRAGMENT_HEADER] = "1"  # the script puts only such answers in the panel
        patch_vary_headers(response, [FRAGMENT_HEADER])
        return response
    return render(request, "aide/assistant.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def assistant_view(request):
    """« Besoin d'aide ? »: a question, its answer (the whole page without JavaScript, the
    answer alone for the panel's script)."""
    state = _state(request)
    context, status = {"question": ""}, 200
    if request.method == "POST":
        context["question"] = request.POST.get("question", "")[:assistant.MAX_QUESTION]
        try:
            with transaction.atomic():
                answer = services.ask(request.user, request.POST.get("question", ""), state,
                                      page=local_page(request.POST.get("page", "")))
        except AideError as exc:
            context["error"], status = exc, exc.http_status
        else:
            request.session[assistant.STATE_KEY] = state
            context["answer"] = answer
            if answer.offer_agent:
                context["handover_url"] = handover_url(request, state)
    return _respond(request, context, status)


@never_cache
@require_POST
def assistant_activation(request):
    """The activation link re-sent from the assistant: the same neutral answer whatever the
    address."""
    context, status = {}, 200
    try:
        with transaction.atomic():
            services.resend_activation(request.user, request.POST.get("email", ""))
    except AideError as exc:
        context["error"], status = exc, exc.http_status
    else:
        context["notice"] = (_("Votre compte est déjà activé.") if request.user.is_authenticated
                             else assistant.activation_sent_text())
    return _respond(request, context, status)


@never_cache
@require_POST
def assistant_rate(request):
    """A vote on one answer of this session; a negative one offers a sollicitation."""
    state = _state(request)
    context, status = {}, 200
    try:
        with transaction.atomic():
            rating = services.rate(request.user, state, request.POST.get("reponse", ""),
                                   request.POST.get("utile", ""))
    except AideError as exc:
        context["error"], status = exc, exc.http_status
    else:
        request.session[assistant.STATE_KEY] = state
        context["notice"] = _("Merci pour votre avis.")
        if not rating.useful:
            context["notice"] = _("Merci pour votre avis. Un agent peut prendre le relais.")
            context["offer_agent"] = True
            context["handover_url"] = handover_url(request, state)
    return _respond(request, context, status)
