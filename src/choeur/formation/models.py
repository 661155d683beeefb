"""What a trainee did in the course (issue 20): their quiz attempts."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from choeur.core import clock


class QuizAttempt(models.Model):
    """One answer sheet: every attempt is kept (a retake is a new one); the trainee's best and
    last scores are read from them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="quiz_attempts")
    module = models.SlugField(_("module"), max_length=60)
    score = models.PositiveSmallIntegerField(_("bonnes réponses"))
    total = models.PositiveSmallIntegerField(_("questions"))
    #: question id → the indexes of the answers ticked (the quiz file may change later).
    answers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("réponse à un quiz")
        verbose_name_plural = _("réponses aux quiz")
        indexes = [models.Index(fields=["user", "module", "created_at"],
                                name="formation_attempt_user")]

    def __str__(self):
        return f"{self.user_id} {self.module} {self.score}/{self.total}"


class ExerciseProgress(models.Model):
    """Where a trainee stands on an exercise: started (again, when reset) at, done at; the
    checks that failed since the start. Only what is done since `started_at` counts."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="exercise_progress")
    exercise = models.SlugField(_("exercice"), max_length=60)
    started_at = models.DateTimeField(_("commencé le"), default=clock.now)
    done_at = models.DateTimeField(_("réussi le"), null=True, blank=True)
    failed_checks = models.PositiveIntegerField(_("vérifications échouées"), default=0)

    class Meta:
        verbose_name = _("progression d'un exercice")
        verbose_name_plural = _("progressions des exercices")
        constraints = [models.UniqueConstraint(fields=["user", "exercise"],
                                               name="formation_one_progress")]

    def __str__(self):
        return f"{self.user_id} {self.exercise}"
