"""The course's use cases: answering a quiz (graded, kept for a signed-in trainee)."""

from __future__ import annotations

from dataclasses import dataclass

from choeur.core import audit, clock
from choeur.formation import checks, exercises, quizzes
from choeur.formation.models import ExerciseProgress, QuizAttempt


@dataclass(frozen=True)
class Result:
    quiz: quizzes.Quiz
    graded: list[quizzes.Graded]
    attempt: QuizAttempt | None

    @property
    def score(self) -> int:
        return sum(g.right for g in self.graded)

    @property
    def total(self) -> int:
        return len(self.graded)


def answer_quiz(user, found: quizzes.Quiz, chosen: dict[str, frozenset[int]]) -> Result:
    """Grade the answer sheet; a signed-in user's is kept (every attempt: a retake is another),
    a visitor's only shown."""
    graded = quizzes.grade(found, chosen)
    attempt = None
    if user is not None and user.is_authenticated:
        attempt = QuizAttempt.objects.create(
            user=user, module=found.slug, score=sum(g.right for g in graded),
            total=len(graded),
            answers={g.question.id: sorted(g.chosen) for g in graded})
    return Result(found, graded, attempt)


def scores(user) -> dict[str, dict]:
    """The user's best and last score per module, and how many attempts."""
    if user is None or not user.is_authenticated:
        return {}
    return tally(QuizAttempt.objects.filter(user=user).order_by("created_at", "pk")
                 .values_list("module", "score", "total"))


def tally(attempts) -> dict[str, dict]:
    """(module, score, total) rows, oldest first → per module {"best": (score, total),
    "last": (score, total), "attempts": n}; the best is the highest ratio, the first of equals."""
    found: dict[str, dict] = {}
    for module, score, total in attempts:
        entry = found.setdefault(module, {"best": (score, total), "attempts": 0})
        entry["attempts"] += 1
        entry["last"] = (score, total)
        if score * entry["best"][1] > entry["best"][0] * total:
            entry["best"] = (score, total)
    return found


# --- Exercises ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    progress: ExerciseProgress
    missing: tuple[str, str] | None  # (French, English) when not done; None when done

    @property
    def done(self) -> bool:
        return self.missing is None


class NoMatelas(Exception):
    """Every exercise starts from the trainee's matelas de données: generate it first."""


class NotStarted(Exception):
    """« Vérifier » before « Commencer »: only what is done after the start counts."""


def start_exercise(user, found: exercises.Exercise) -> ExerciseProgress:
    """Start the exercise, or start it again (a reset): only what is done from now counts.
    In the caller's transaction (rule 2)."""
    progress, _created = ExerciseProgress.objects.select_for_update().get_or_create(
        user=user, exercise=found.id)
    progress.started_at, progress.done_at, progress.failed_checks = clock.now(), None, 0
    progress.save()
    audit.record(user, "formation.exercise_started", None, exercise=found.id)
    return progress


def verify_exercise(user, found: exercises.Exercise) -> Verdict:
    """Run the exercise's check on the trainee's data since they started it (NotStarted if they
    have not). Done: kept with its date; not done: counted, and what is missing said.
    In the caller's transaction (rule 2)."""
    progress = ExerciseProgress.objects.select_for_update().filter(
        user=user, exercise=found.id).first()
    if progress is None:
        raise NotStarted
    if progress.done_at is not None:
        return Verdict(progress, None)
    try:
        missing = checks.CHECKS[found.check](user, progress.started_at)
    except checks.NoMatelas:
        raise NoMatelas from None
    if missing is None:
        progress.done_at = clock.now()
    else:
        progress.failed_checks += 1
    progress.save(update_fields=["done_at", "failed_checks"])
    return Verdict(progress, missing)


def progress_of(user) -> dict[str, ExerciseProgress]:
    if user is None or not user.is_authenticated:
        return {}
    return {p.exercise: p for p in ExerciseProgress.objects.filter(user=user)}
