"""The sollicitations portal: « Sollicitations émises », « Sollicitations reçues » (with the
receiving structures' response-time figures), the support's back office, a ticket's page
(its whole thread and the moves the viewer may make), the creation form, and the logged-out
contact form (sign-in problems) and its follow-up page (the sender's personal link). Every
POST runs one service function in its own transaction."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from choeur.accounts import botcheck, throttle
from choeur.core.errors import ChoeurError
from choeur.core.ids import parse_id
from choeur.invoicing.forms import read_files
from choeur.invoicing.views.common import blob_response, for_current_structure
from choeur.sollicitations import (
    catalogue,
    followup,
    forms,
    prefill,
    queries,
    services,
    statuses,
)
from choeur.sollicitations.actors import LoggedOutSender
from choeur.sollicitations.statuses import Action, Side, Status
from choeur.web import keyset

PAGE_SIZE = 50
CONTACT_KEY = "sollicitations.contact_number"


def attempt(request, use_case, *args, form=None, **kwargs):
    """Run one use case in its own transaction; a user error goes on `form` (or the
    messages) and nothing is saved; refusals (403/404) propagate to the error page."""
    try:
        with transaction.atomic():
            return True, use_case(*args, **kwargs)
    except ChoeurError as exc:
        if exc.http_status == 404:
            raise
        text = f"{exc.message()} [{exc.code}]"
        if form is not None:
            form.add_error(None, text)
        else:
            messages.error(request, text)
        return False, exc


# --- Lists -------------------------------------------------------------------------------------

TAB_LABELS = {
    "actions": gettext_lazy("Actions requises"), "en-cours": gettext_lazy("En cours"),
    "cloturees": gettext_lazy("Clôturées"), "brouillons": gettext_lazy("Brouillons"),
}


@dataclass(frozen=True)
class ListSide:
    slug: str
    title: object
    tabs: dict


SIDES = {
    "emises": ListSide("emises", gettext_lazy("Sollicitations émises"), statuses.SENDER_TABS),
    "recues": ListSide("recues", gettext_lazy("Sollicitations reçues"), statuses.RECEIVER_TABS),
    "support": ListSide("support", gettext_lazy("Support de la plateforme"),
                     statuses.RECEIVER_TABS),
}


def _sides_of(user) -> list[ListSide]:
    """The lists the user has: émises and reçues when it sees the espace somewhere, the
    support's for agents."""
    held = []
    if queries.sender_structures(user):
        held.append(SIDES["emises"])
    if queries.receiver_structures(user):
        held.append(SIDES["recues"])
    if queries.is_agent(user):
        held.append(SIDES["support"])
    return held


@login_required
@require_safe
def home(request):
    held = _sides_of(request.user)
    if not held:
        raise PermissionDenied
    return redirect("sollicitations:list", side=held[0].slug)


@login_required
@require_safe
def listing(request, side):
    chosen = SIDES.get(side)
    held = _sides_of(request.user)
    if chosen is None or chosen not in held:
        raise PermissionDenied
    if side == "emises":
        tickets = for_current_structure(request, queries.sent(request.user), "sender_structure")
    elif side == "recues":
        tickets = for_current_structure(request, queries.received(request.user),
                                        "recipient_structure")
    else:
        tickets = queries.support(request.user)
    tab = request.GET.get("onglet", "actions")
    if tab not in chosen.tabs:
        tab = "actions"
    counts = {name: tickets.filter(status__in=wanted).count()
              for name, wanted in chosen.tabs.items()}
    listed = keyset.page(request, queries.in_tab(tickets, chosen.tabs, tab), "status_at",
                         PAGE_SIZE)
    rows = listed.pop("rows")
    for ticket in rows:
        ticket.category_label, ticket.subcategory_label = catalogue.labels(
            ticket.category, ticket.subcategory)
    figures = []
    if side == "recues":
        figures = [(s, queries.figures(structure=s))
                   for s in queries.receiver_structures(request.user)]
    elif side == "support":
        figures = [(None, queries.figures(support=True))]
    for _structure, values in figures:
        values["answer_text"] = duration(values["answer"])
        values["closing_text"] = duration(values["closing"])
    return render(request, "sollicitations/list.html", {
        "side": chosen, "sides": held, "tab": tab,
        "tabs": [(name, TAB_LABELS[name], counts[name]) for name in chosen.tabs],
        "tickets": rows, "figures": figures,
        "can_create": bool(queries.sender_structures(request.user, modify=True)), **listed})


def duration(value) -> str:
    """« 2 j 3 h », « 3 h 05 min », « 12 min » (a median time), or « — »."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)d j %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    return _("%(m)d min") % {"m": minutes}


# --- Creation ----------------------------------------------------------------------------------


def _from_assistant(request, logged_out: bool = False) -> dict:
    """The form's initial values when the assistant hands over (« Émettre une sollicitation »,
    `?depuis=assistant`): the exchange kept in this session (aide/assistant.py); or what
    another page left for it (`?depuis=prefill`, sollicitations/prefill.py)."""
    if request.method != "GET":
        return {}
    if request.GET.get("depuis") == "prefill":  # a conversation with an agent (chat/)
        return prefill.read(request.session)
    if request.GET.get("depuis") != "assistant":
        return {}
    from choeur.aide import assistant

    state = request.session.get(assistant.STATE_KEY)
    return assistant.handover(state, logged_out=logged_out) if isinstance(state, dict) else {}



@login_required
@require_http_methods(["GET", "POST"])
def new(request):
    structures = queries.sender_structures(request.user, modify=True)
    if not structures:
        raise PermissionDenied
    initial = _from_assistant(request)
    invoice_id = request.GET.get("facture", "")
    if invoice_id:
        initial["invoice_id"] = invoice_id
    form = forms.SollicitationForm(request.POST or None, request.FILES or None,
                                   structures=structures, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        category, subcategory = form.category()
        done, ticket = attempt(
            request, services.create, request.user, data["structure"], category=category,
            subcategory=subcategory, title=data["title"], description=data["description"],
            recipient_identifier=data["recipient_identifier"],
            service_code=data["service_code"], invoice_id=data["invoice_id"] or None,
            invoice_number=data["invoice_number"], flux_number=data["flux_number"],
            dossier_number=data["dossier_number"],
            attachments=read_files(data.get("attachments")),
            draft="draft" in request.POST, form=form)
        if done:
            if ticket.status == Status.BROUILLON:
                messages.success(request, _("Le brouillon %(number)s est enregistré.")
                                 % {"number": ticket.number})
            else:
                messages.success(request, _("La sollicitation %(number)s est envoyée à "
                                            "%(recipient)s.") % {
                    "number": ticket.number, "recipient": ticket.recipient_label})
            return redirect("sollicitations:detail", pk=ticket.pk)
    # The invoice the form links, whoever pre-filled it (`?facture=`, the assistant, a
    # conversation), named on the page: a link never goes unseen.
    shown = (request.POST.get("invoice_id", "") if request.method == "POST"
             else str(initial.get("invoice_id", "")))
    linked = None
    if shown:
        from choeur.invoicing import queries as invoicing_queries

        pk = parse_id(shown)
        linked = None if pk is None else (
            invoicing_queries.issued_invoices(request.user)
            | invoicing_queries.received_invoices(request.user)).filter(pk=pk).first()
    return render(request, "sollicitations/new.html", {"form": form, "linked": linked})


# --- A ticket ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    slug: str
    action: str
    label: object
    text_label: object = None
    #: The label of its files' input; None: the step takes no file.
    files_label: object = None


STEPS = [
    Step("envoyer", Action.ENVOYER, gettext_lazy("Envoyer la sollicitation")),
    Step("prendre", Action.PRENDRE, gettext_lazy("Prendre en charge")),
    Step("repondre", Action.REPONDRE, gettext_lazy("Répondre"),
         gettext_lazy("Votre réponse"), gettext_lazy("Fichiers joints à la réponse")),
    Step("demander-complement", Action.DEMANDER_COMPLEMENT,
         gettext_lazy("Demander un complément"), gettext_lazy("Complément à demander"),
         gettext_lazy("Fichiers joints à la demande")),
    Step("completer", Action.COMPLETER, gettext_lazy("Apporter le complément"),
         gettext_lazy("Votre complément"), gettext_lazy("Fichiers joints au complément")),
    Step("transferer", Action.TRANSFERER, gettext_lazy("Transférer")),
    Step("rouvrir", Action.ROUVRIR, gettext_lazy("Rouvrir : je ne suis pas satisfait(e)"),
         gettext_lazy("Motif de la réouverture")),
    Step("cloturer", Action.CLOTURER, gettext_lazy("Clôturer la sollicitation"),
         gettext_lazy("Message de clôture (facultatif)")),
]
BY_SLUG = {step.slug: step for step in STEPS}


def _form_for(step: Step, data=None, files=None):
    if step.action == Action.TRANSFERER:
        return forms.TransferForm(data, prefix=step.slug)
    if step.text_label is None:
        return None
    return forms.MessageForm(data, files, prefix=step.slug, label=step.text_label,
                             files_label=step.files_label)


def _available(user, ticket) -> list[Step]:
    held = queries.sides(user, ticket)
    allowed = {action for action, _side in statuses.moves_for(ticket.status, held)}
    steps = []
    for step in STEPS:
        if step.action not in allowed:
            continue
        own_side = [s for s in held if (step.action, s) in statuses.TABLE
                    and ticket.status in statuses.TABLE[(step.action, s)].sources]
        move = statuses.TABLE[(step.action, own_side[0])]
        if move.assigned and ticket.assignee_id != user.pk:
            continue
        if step.action == Action.PRENDRE and ticket.assignee_id == user.pk:
            continue
        steps.append(step)
    return steps


def _detail(request, ticket, bound=None):
    bound = bound or {}
    steps = [(step, bound.get(step.slug) or _form_for(step))
             for step in _available(request.user, ticket)]
    category, subcategory = catalogue.labels(ticket.category, ticket.subcategory)
    held = queries.sides(request.user, ticket, modify=False)
    back = "emises" if Side.EMETTEUR in held else ("support" if ticket.to_support else "recues")
    return render(request, "sollicitations/detail.html", {
        "ticket": ticket, "thread": queries.thread(ticket), "steps": steps,
        "category": category, "subcategory": subcategory, "back": back,
        "is_draft": ticket.status == Status.BROUILLON,
        "can_discard": ticket.status == Status.BROUILLON
        and queries.is_sender(request.user, ticket),
    }, status=400 if bound else 200)


@login_required
@require_safe
def detail(request, pk):
    try:
        ticket = queries.sollicitation(request.user, pk)
    except ChoeurError:
        raise Http404 from None
    return _detail(request, ticket)


@login_required
@require_POST
def act(request, pk, step):
    chosen = BY_SLUG.get(step)
    if chosen is None:
        raise Http404
    try:
        ticket = queries.sollicitation(request.user, pk)
    except ChoeurError:
        raise Http404 from None
    form = _form_for(chosen, request.POST, request.FILES)
    if form is not None and not form.is_valid():
        return _detail(request, ticket, {chosen.slug: form})
    data = form.cleaned_data if form is not None else {}
    user = request.user
    files = read_files(data.get("attachments"))
    calls = {
        Action.ENVOYER: lambda: services.send(user, pk),
        Action.PRENDRE: lambda: services.take(user, pk),
        Action.REPONDRE: lambda: services.answer(user, pk, data["text"], files),
        Action.DEMANDER_COMPLEMENT: lambda: services.request_complement(
            user, pk, data["text"], files),
        Action.COMPLETER: lambda: services.complete(user, pk, data["text"], files),
        Action.TRANSFERER: lambda: services.transfer(
            user, pk, data["text"], to_support=data["destination"] == "support",
            recipient_identifier=data.get("recipient_identifier", ""),
            service_code=data.get("service_code", "")),
        Action.ROUVRIR: lambda: services.reopen(user, pk, data["text"]),
        Action.CLOTURER: lambda: services.close(user, pk, data.get("text", "")),
    }
    done, result = attempt(request, calls[chosen.action], form=form)
    if not done:
        if form is None:
            return redirect("sollicitations:detail", pk=ticket.pk)
        return _detail(request, ticket, {chosen.slug: form})
    messages.success(request, _("Sollicitation %(number)s : %(status)s.") % {
        "number": result.number, "status": Status(result.status).label})
    if result.status == Status.NOUVELLE and chosen.action == Action.TRANSFERER \
            and not queries.visible(user).filter(pk=result.pk).exists():
        return redirect("sollicitations:home")
    return redirect("sollicitations:detail", pk=result.pk)


@login_required
@require_POST
def discard(request, pk):
    done, _result = attempt(request, services.discard, request.user, pk)
    if done:
        messages.success(request, _("Le brouillon est supprimé."))
        return redirect(reverse("sollicitations:list", args=["emises"]) + "?onglet=brouillons")
    return redirect("sollicitations:detail", pk=pk)


@login_required
@require_safe
def attachment(request, pk, attachment_pk):
    try:
        found = queries.attachment(request.user, pk, attachment_pk)
    except ChoeurError:
        raise Http404 from None
    return _blob(found)


def _blob(found):
    import mimetypes

    guessed = mimetypes.guess_type(found.name)[0]
    # Anything but a PDF is opaque bytes: an HTML or SVG attachment never runs here.
    kind = "application/pdf" if guessed == "application/pdf" else "application/octet-stream"
    return blob_response(found.sha256, found.name, kind)


# --- Logged out --------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def contact(request):
    """« Nous contacter » for whoever cannot sign in: to the support, with the registration
    form's bot check (verified first, outside the use case's transaction: a refused attempt
    still uses its question)."""
    form = forms.ContactForm(request.POST or None,
                             initial=_from_assistant(request, logged_out=True))
    bot_error = None
    if request.method == "POST":
        valid = form.is_valid()
        try:
            botcheck.verify(request.POST.get("bot_token", ""),
                            request.POST.get("bot_answer", ""), request.POST.get("website", ""))
        except ChoeurError as exc:
            bot_error = exc
        if valid and bot_error is None:
            category, subcategory = form.category()
            data = form.cleaned_data
            done, ticket = attempt(request, services.create_logged_out, data["email"],
                                   category=category, subcategory=subcategory,
                                   title=data["title"], description=data["description"],
                                   form=form)
            if done:
                request.session[CONTACT_KEY] = ticket.number
                return redirect("sollicitations:contact_done")
    return render(request, "sollicitations/contact.html", {
        "form": form, "challenge": botcheck.new_challenge(), "bot_error": bot_error})


@never_cache
@require_safe
def contact_done(request):
    number = request.session.get(CONTACT_KEY, "")
    if not number:
        return redirect("sollicitations:contact")
    return render(request, "sollicitations/contact_done.html", {"number": number})


# --- A logged-out sender's follow-up link -----------------------------------------------------

#: The moves a logged-out sender makes from its link: the sender's side of the table.
FOLLOWUP_STEPS = [
    Step("completer", Action.COMPLETER, gettext_lazy("Apporter un complément"),
         gettext_lazy("Votre complément"), gettext_lazy("Fichiers joints au complément")),
    Step("rouvrir", Action.ROUVRIR, gettext_lazy("Rouvrir : je ne suis pas satisfait(e)"),
         gettext_lazy("Motif de la réouverture")),
    Step("cloturer", Action.CLOTURER, gettext_lazy("Clôturer la sollicitation"),
         gettext_lazy("Message de clôture (facultatif)")),
]
FOLLOWUP_BY_SLUG = {step.slug: step for step in FOLLOWUP_STEPS}
#: Failed token attempts per client address and throttle window (a link holder never fails).
FOLLOWUP_FAILURES = 20
#: The page's address holds the token: a Referer from it carries the origin alone, never the
#: path. (Not « no-referrer »: with it, browsers send `Origin: null` with the page's own
#: forms, and Django's CSRF check refuses them — tests/sollicitations/test_browser_followup.)
FOLLOWUP_REFERRER_POLICY = "strict-origin"


def _followup_key(request) -> throttle.Key:
    return throttle.Key("portal.followup", throttle.client_address(request), FOLLOWUP_FAILURES)


def _followup_sender(request, token) -> tuple[LoggedOutSender, object]:
    """The sender a token stands for and its ticket; a wrong, forged, expired or revoked
    token is the 404 of a missing ticket, counted as a failure under the caller's address
    (at the limit, every attempt is refused before any token is read)."""
    key = _followup_key(request)
    throttle.check(key)
    try:
        sender = followup.sender_for(token)
        ticket = queries.sollicitation(sender, sender.sollicitation_id)
    except ChoeurError:
        throttle.fail(key)
        raise Http404 from None
    return sender, ticket


#: The assistant's form in the header sends the page it is asked from (and keeps it with the
#: exchange, a rating, a handed-over sollicitation): here, the contact page, never the token.
_NO_PATH = {"page_path": "/contact/"}


def _private(response):
    response["Referrer-Policy"] = FOLLOWUP_REFERRER_POLICY
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _followup_steps(ticket) -> list[Step]:
    allowed = {action for action, _side in statuses.moves_for(ticket.status, {Side.EMETTEUR})}
    return [step for step in FOLLOWUP_STEPS if step.action in allowed]


def _followup(request, token, ticket, bound=None):
    bound = bound or {}
    steps = [(step, bound.get(step.slug) or _form_for(step)) for step in _followup_steps(ticket)]
    shown = {step.slug for step, _form in steps}
    # A move refused because the ticket moved meanwhile: its form is no longer offered, its
    # coded refusal is still said.
    refusals = [error for slug, form in bound.items() if slug not in shown
                for error in form.non_field_errors()]
    category, subcategory = catalogue.labels(ticket.category, ticket.subcategory)
    return _private(render(request, "sollicitations/followup.html", {
        "ticket": ticket, "thread": queries.thread(ticket), "steps": steps, "token": token,
        "refusals": refusals,
        "category": category, "subcategory": subcategory, **_NO_PATH,
    }, status=400 if bound else 200))


def _throttled(request, exc):
    return _private(render(request, "web/error.html", {"error": exc, **_NO_PATH},
                           status=exc.http_status))


@never_cache
@require_safe
def followup_page(request, token):
    """The ticket seen from its logged-out sender's personal link: number, status, title, the
    thread, and the sender's moves the table allows now."""
    try:
        _sender, ticket = _followup_sender(request, token)
    except throttle.TooManyAttempts as exc:
        return _throttled(request, exc)
    return _followup(request, token, ticket)


@never_cache
@require_POST
def followup_act(request, token, step):
    try:
        sender, ticket = _followup_sender(request, token)
    except throttle.TooManyAttempts as exc:
        return _throttled(request, exc)
    chosen = FOLLOWUP_BY_SLUG.get(step)
    if chosen is None:
        raise Http404
    form = _form_for(chosen, request.POST, request.FILES)
    if not form.is_valid():
        return _followup(request, token, ticket, {chosen.slug: form})
    data = form.cleaned_data
    files = read_files(data.get("attachments"))
    pk = sender.sollicitation_id
    calls = {
        Action.COMPLETER: lambda: services.complete(sender, pk, data["text"], files),
        Action.ROUVRIR: lambda: services.reopen(sender, pk, data["text"]),
        Action.CLOTURER: lambda: services.close(sender, pk, data.get("text", "")),
    }
    done, result = attempt(request, calls[chosen.action], form=form)
    if not done:
        ticket.refresh_from_db()
        return _followup(request, token, ticket, {chosen.slug: form})
    messages.success(request, _("Sollicitation %(number)s : %(status)s.") % {
        "number": result.number, "status": Status(result.status).label})
    return _private(redirect("sollicitations:followup", token=token))


@never_cache
@require_safe
def followup_attachment(request, token, attachment_pk):
    try:
        sender, _ticket = _followup_sender(request, token)
    except throttle.TooManyAttempts as exc:
        return _throttled(request, exc)
    try:
        found = queries.attachment(sender, sender.sollicitation_id, attachment_pk)
    except ChoeurError:
        raise Http404 from None
    return _private(_blob(found))
