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
