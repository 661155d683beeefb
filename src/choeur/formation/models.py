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


class TrainingSession(models.Model):
    """A course on a date, opened by a trainer: trainees join it with its code (or the link of
    an invitation, which holds the code), and the trainer follows what each one did."""

    trainer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="training_sessions")
    title = models.CharField(_("intitulé"), max_length=200)
    date = models.DateField(_("date"))
    place = models.CharField(_("lieu"), max_length=200, blank=True)
    #: What a trainee types to join (sessions.CODE_ALPHABET): unique, random, never derived.
    code = models.CharField(_("code"), max_length=16, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    #: Joining ends here (the trainer closes the session); the results stay readable.
    closed_at = models.DateTimeField(_("close le"), null=True, blank=True)

    class Meta:
        verbose_name = _("session de formation")
        verbose_name_plural = _("sessions de formation")
        ordering = ["-date", "-pk"]

    def __str__(self):
        return f"{self.title} ({self.date})"


class Participant(models.Model):
    """A trainee in a session: by joining, they let its trainer see their progress."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE,
                                related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="training_participations")
    joined_at = models.DateTimeField(_("inscrit le"), default=clock.now)

    class Meta:
        verbose_name = _("stagiaire")
        verbose_name_plural = _("stagiaires")
        constraints = [models.UniqueConstraint(fields=["session", "user"],
                                               name="formation_one_participant")]

    def __str__(self):
        return f"{self.session_id} {self.user_id}"


class Invitation(models.Model):
    """An e-mail sent by the trainer with the session's link and code. It says nothing of
    the address's account (no oracle): the trainer sees it joined when a user joins with
    that address."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE,
                                related_name="invitations")
    email = models.EmailField(_("adresse électronique"))
    invited_at = models.DateTimeField(_("invité le"), default=clock.now)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [models.UniqueConstraint(fields=["session", "email"],
                                               name="formation_one_invitation")]

    def __str__(self):
        return f"{self.session_id} {self.email}"
