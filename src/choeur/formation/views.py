"""« Formation »: the course's guides and quizzes, one a module, open to everyone (signed in
or not) as the help centre is; the exercises, for a signed-in trainee of a qualification
instance."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from choeur.formation import exercises, guides, quizzes, services, sessions
from choeur.formation.modules import MODULES


@require_safe
def index(request):
    found = services.scores(request.user)
    # Every module with a guide or a quiz (a trainer may write a quiz before its guide).
    return render(request, "formation/index.html", {"modules": [
        (module, guides.guide(module.slug), quizzes.quiz(module.slug), found.get(module.slug))
        for module in MODULES if guides.guide(module.slug) or quizzes.quiz(module.slug)],
        "exercises_here": settings.CHOEUR_ENVIRONMENT == "qualification",
        "is_trainer": sessions.is_trainer(request.user),
        "joined": sessions.joined_sessions(request.user)})


@require_safe
def guide(request, slug):
    found = guides.guide(slug)
    if found is None:
        raise Http404
    ordered = guides.all_guides()
    position = ordered.index(found)
    return render(request, "formation/guide.html", {
        "guide": found, "title": found.title(), "body": found.render(),
        "previous": ordered[position - 1] if position > 0 else None,
        "next": ordered[position + 1] if position + 1 < len(ordered) else None,
        "quiz": quizzes.quiz(slug),
    })


#: The most answers a question may hold (quizzes.MAX_ANSWERS): a longer value is no index.
_INDEX_DIGITS = 2


@require_http_methods(["GET", "HEAD", "POST"])
def quiz(request, slug):
    """The module's quiz: the questions (GET), then the answer sheet graded with each
    question's explanation and reference (POST). A signed-in trainee's attempts are kept and
    a retake is always allowed."""
    found = quizzes.quiz(slug)
    if found is None:
        raise Http404
    if request.method == "POST":
        chosen = {question.id: frozenset(
            int(value) for value in request.POST.getlist(f"q-{question.id}")[:quizzes.MAX_ANSWERS]
            if value.isascii() and value.isdigit() and len(value) <= _INDEX_DIGITS)
            for question in found.questions}
        with transaction.atomic():
            result = services.answer_quiz(request.user, found, chosen)
        return render(request, "formation/quiz_result.html", {
            "quiz": found, "result": result, "has_guide": guides.guide(slug) is not None})
    return render(request, "formation/quiz.html", {
        "quiz": found, "score": services.scores(request.user).get(slug),
        "has_guide": guides.guide(slug) is not None})


def _exercises_here():
    """The exercises are done in the qualification portal (its matelas, its simulator): a
    production instance has none (404, as the qualification pages)."""
    from choeur.qualification import clock_control, errors

    try:
        clock_control.require_qualification()
    except errors.QualificationOnly:
        raise Http404() from None


def _exercise(ident: str) -> exercises.Exercise:
    _exercises_here()
    found = exercises.exercise(ident)
    if found is None:
        raise Http404
    return found


@login_required
@require_safe
def exercise_list(request):
    _exercises_here()
    from choeur.qualification import matelas

    progress = services.progress_of(request.user)
    # The last failed check's reason, shown once beside its exercise.
    missing = {e.id: request.session.pop(f"formation.missing.{e.id}", None)
               for e in exercises.all_exercises()}
    return render(request, "formation/exercises.html", {
        "rows": [(e, progress.get(e.id), missing[e.id]) for e in exercises.all_exercises()],
        "has_matelas": matelas.latest(request.user) is not None,
    })


@login_required
@require_POST
def exercise_start(request, ident):
    found = _exercise(ident)
    with transaction.atomic():
        services.start_exercise(request.user, found)
    messages.success(request, _("Exercice commencé : seul ce que vous faites à partir de "
                                "maintenant compte."))
    return redirect(f"{reverse('formation:exercises')}#exercice-{found.id}")


@login_required
@require_POST
def exercise_verify(request, ident):
    found = _exercise(ident)
    try:
        with transaction.atomic():
            verdict = services.verify_exercise(request.user, found)
    except services.NotStarted:
        messages.error(request, _("Commencez d'abord l'exercice : seul ce que vous faites "
                                  "ensuite compte."))
        return redirect(f"{reverse('formation:exercises')}#exercice-{found.id}")
    except services.NoMatelas:
        messages.error(request, _("Chaque exercice part de votre matelas de données : "
                                  "générez-le d'abord."))
        return redirect("qualification:matelas")
    if verdict.done:
        messages.success(request, _("Exercice réussi : {title}.").format(title=found.title()))
    else:
        english = translation.get_language().startswith("en")
        request.session[f"formation.missing.{found.id}"] = verdict.missing[1 if english else 0]
        messages.error(request, _("Pas encore : {title}.").format(title=found.title()))
    return redirect(f"{reverse('formation:exercises')}#exercice-{found.id}")
