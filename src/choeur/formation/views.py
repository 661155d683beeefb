"""« Formation »: the course's guides, one a module, open to everyone (signed in or not), as
the help centre is."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_safe

from choeur.formation import guides, quizzes, services


@require_safe
def index(request):
    found = services.scores(request.user)
    return render(request, "formation/index.html", {"modules": [
        (guide, quizzes.quiz(guide.slug), found.get(guide.slug))
        for guide in guides.all_guides()]})


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


@require_http_methods(["GET", "POST"])
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
        result = services.answer_quiz(request.user, found, chosen)
        return render(request, "formation/quiz_result.html", {"quiz": found, "result": result})
    return render(request, "formation/quiz.html", {
        "quiz": found, "score": services.scores(request.user).get(slug)})
