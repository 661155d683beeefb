"""Training sessions in the portal: the trainer's pages (their sessions, one session's
trainees and results, one trainee, the CSV and the printable sheet) and the trainee's
joining with a code. Thin: formation/sessions.py holds the rules."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from choeur.accounts import throttle
from choeur.formation import errors, sessions, sheets
from choeur.formation.forms import InviteForm, JoinForm, SessionForm

#: Wrong codes per throttle window: per user, and per client address — room for a class of
#: thirty behind one address mistyping their code a few times each, not for a guesser's many
#: accounts. At a limit even the right code waits: letting it through would tell it apart.
CODE_FAILURES_USER = 10
CODE_FAILURES_ADDRESS = 100


def _trainer_only(view):
    """A signed-in user who is no trainer gets the coded 403 (FORM_NOT_TRAINER, shown by
    core's ChoeurErrorMiddleware, as another trainer's session is its 404)."""
    def wrapped(request, *args, **kwargs):
        if not sessions.is_trainer(request.user):
            raise errors.NotTrainer()
        return view(request, *args, **kwargs)
    wrapped.__name__, wrapped.__doc__ = view.__name__, view.__doc__
    return login_required(wrapped)


@_trainer_only
@require_http_methods(["GET", "HEAD", "POST"])
def session_list(request):
    """The trainer's sessions, and the form that opens one."""
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                session = sessions.create_session(request.user, data["title"], data["date"],
                                                  data["place"])
        except errors.SessionInvalid as exc:
            form.add_error(None, f"{exc.message()} [{exc.code}]")
        else:
            messages.success(request, _("Session ouverte : donnez son code aux stagiaires, ou "
                                        "invitez-les par courriel."))
            return redirect("formation:session", pk=session.pk)
    return render(request, "formation/sessions/list.html", {
        "sessions": sessions.trainer_sessions(request.user), "form": form,
    }, status=400 if form.is_bound else 200)


def _session_page(request, pk, invite_form=None, status=200):
    found = sessions.results(request.user, pk)
    return render(request, "formation/sessions/detail.html", {
        "results": found, "session": found.session,
        "code": sessions.format_code(found.session.code),
        "link": request.build_absolute_uri(reverse("formation:join_code",
                                                   args=[found.session.code])),
        "rows": [(t, [(q.slug, t.quizzes.get(q.slug)) for q in found.quizzes])
                 for t in found.trainees],
        "invite_form": invite_form or InviteForm(),
    }, status=status)


@_trainer_only
@never_cache
@require_safe
def session_detail(request, pk):
    """One session: its code and link, the invitations, each trainee's progress."""
    return _session_page(request, pk)


@_trainer_only
@require_POST
def session_invite(request, pk):
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                invited = sessions.invite(request.user, pk,
                                          sessions.parse_addresses(form.cleaned_data["addresses"]))
        except errors.InvitationsInvalid as exc:
            form.add_error("addresses", f"{exc.message()} [{exc.code}]")
        except errors.SessionClosed as exc:  # closed from another tab: no form is shown
            messages.error(request, f"{exc.message()} [{exc.code}]")
            return redirect("formation:session", pk=pk)
        else:
            if invited.sent:
                messages.success(request, _("Invitation envoyée à : {addresses}.").format(
                    addresses=", ".join(invited.sent)))
            if invited.already:
                messages.info(request, _("Déjà invité(s), rien de renvoyé : {addresses}.")
                              .format(addresses=", ".join(invited.already)))
            return redirect("formation:session", pk=pk)
    return _session_page(request, pk, form, status=400)


@_trainer_only
@require_POST
def session_close(request, pk):
    closed = request.POST.get("closed") != "0"
    with transaction.atomic():
        sessions.set_closed(request.user, pk, closed)
    messages.success(request, _("Session close : plus personne ne la rejoint ; les résultats "
                                "restent.") if closed else _("Session rouverte."))
    return redirect("formation:session", pk=pk)


@_trainer_only
@never_cache
@require_safe
def session_trainee(request, pk, user_pk):
    found, trainee, attempts = sessions.trainee(request.user, pk, user_pk)
    titles = {q.slug: q.title() for q in found.quizzes}
    return render(request, "formation/sessions/trainee.html", {
        "results": found, "session": found.session, "trainee": trainee,
        # A quiz no longer shipped is named by its module's slug.
        "attempts": [(attempt, titles.get(attempt.module, attempt.module))
                     for attempt in attempts],
        "exercise_rows": [(e, e.id in trainee.exercises, trainee.exercises.get(e.id),
                           trainee.failed_checks.get(e.id, 0)) for e in found.exercises],
    })


def _download(data: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@_trainer_only
@require_safe
def session_csv(request, pk):
    found = sessions.results(request.user, pk)
    return _download(sheets.to_csv(found), "text/csv; charset=utf-8",
                     sheets.filename(found, "csv"))


@_trainer_only
@require_safe
def session_pdf(request, pk):
    found = sessions.results(request.user, pk)
    return _download(sheets.to_pdf(found), "application/pdf",
                     sheets.filename(found, "pdf"))


# --- The trainee ---------------------------------------------------------------------------


def _code_keys(request) -> tuple[throttle.Key, ...]:
    return (throttle.Key("formation.code.user", str(request.user.pk), CODE_FAILURES_USER),
            throttle.Key("formation.code.address", throttle.client_address(request),
                         CODE_FAILURES_ADDRESS))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def join(request, code=""):
    """« Rejoindre une session »: the code typed, or given by the invitation's link (shown,
    not looked up: only the button joins, and a wrong code is counted then)."""
    if request.method != "POST":
        return render(request, "formation/sessions/join.html", {
            "form": JoinForm(initial={"code": code[:20]}),
            "joined": sessions.joined_sessions(request.user)})
    form = JoinForm(request.POST)
    status = 400
    if form.is_valid():
        keys = _code_keys(request)
        try:
            throttle.check(*keys)
            with transaction.atomic():
                participant, created = sessions.join(request.user, form.cleaned_data["code"])
        except throttle.TooManyAttempts as exc:
            error = errors.CodeThrottled(retry_after=exc.retry_after)
            form.add_error("code", f"{error.message()} [{error.code}]")
            status = 429
        except errors.CodeUnknown as exc:
            throttle.fail(*keys)  # its own statement, outside the refused transaction
            form.add_error("code", f"{exc.message()} [{exc.code}]")
        except errors.OwnSession as exc:
            form.add_error("code", f"{exc.message()} [{exc.code}]")
            status = exc.http_status
        else:
            session = participant.session
            messages.success(request, (_("Vous avez rejoint la session « {title} » du {date}.")
                                       if created else
                                       _("Vous êtes déjà inscrit à la session « {title} » du "
                                         "{date}.")).format(
                title=session.title, date=date_format(session.date, "SHORT_DATE_FORMAT")))
            return redirect("formation:index")
    return render(request, "formation/sessions/join.html", {
        "form": form, "joined": sessions.joined_sessions(request.user)}, status=status)


@login_required
@require_POST
def leave(request, pk):
    with transaction.atomic():
        sessions.leave(request.user, pk)
    messages.success(request, _("Vous avez quitté la session : son formateur ne voit plus "
                                "votre progression."))
    return redirect("formation:join")
