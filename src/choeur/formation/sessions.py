"""Training sessions (issue 20, the trainer's view): a trainer opens a session (a course on a
date), invites trainees by e-mail or gives them its code, and follows each one who joined:
account, matelas de données, quiz scores, exercises done.

Who sees what: only a trainer (`User.is_trainer`, given by the platform's administrator in
the administration or with `choeur formateur`) opens sessions, and sees their own only. A
trainee's progress is shown to a trainer only once the trainee joined the session with its
code: joining is their consent. An invitation says nothing of the address it was sent to
(whether it has an account): the trainer sees it joined, or not yet.

The code is 8 characters drawn at random from 31 letters and digits that cannot be mistaken
for one another (about 40 bits): guessing one is hopeless, and failures are throttled per
user and per address besides (views: accounts.throttle).
"""

from __future__ import annotations

import secrets
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.urls import reverse

from choeur.accounts.models import normalise_email
from choeur.core import audit, clock, mail
from choeur.core.errors import NotFound
from choeur.formation import errors, exercises, quizzes, services
from choeur.formation.models import (
    ExerciseProgress,
    Invitation,
    Participant,
    QuizAttempt,
    TrainingSession,
)

#: No 0/O, 1/I/L: a code read aloud or copied from a slide is typed right.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
#: Addresses a trainer may invite in one session, and in all their sessions over a day; the
#: times one address is invited over a day, by anyone (an instance is no mailing service).
MAX_INVITATIONS = 300
MAX_INVITATIONS_A_DAY = 300
MAX_INVITED_A_DAY = 3
MAX_TITLE = 200
#: A session is dated within this far from today (a typo of the year is refused).
DATE_RANGE = timedelta(days=2 * 366)


def is_trainer(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active
                and (user.is_trainer or user.is_superuser))


def _require_trainer(user) -> None:
    if not is_trainer(user):
        raise errors.NotTrainer()


def format_code(code: str) -> str:
    """ABCD-EFGH: the code as shown and printed (the dash is optional when typed)."""
    return f"{code[:4]}-{code[4:]}"


def normalise_code(text: str) -> str:
    """What the trainee typed, as stored: upper case, without spaces nor dashes."""
    return "".join(ch for ch in (text or "")[:40].upper() if ch not in " -\t")


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def set_trainer(actor, email: str, allowed: bool = True):
    """Give an account the trainer's right, or take it back (`choeur formateur`; the
    administration's « formateur » box does the same). None when no account has this login."""
    from choeur.accounts.models import User

    user = User.objects.select_for_update().filter(email=normalise_email(email)).first()
    if user is None:
        return None
    if user.is_trainer != allowed:
        user.is_trainer = allowed
        user.save(update_fields=["is_trainer"])
        audit.record(actor, "formation.trainer_granted" if allowed else
                     "formation.trainer_revoked", user)
    return user


# --- The trainer's use cases (each in the caller's transaction, rule 2) --------------------


def _checked(title: str, day: date, place: str) -> tuple[str, str]:
    title, place = (title or "").strip(), (place or "").strip()
    if any(unicodedata.category(ch).startswith("C") for ch in title + place):
        # A line break in an e-mail's subject is refused at delivery (header injection).
        raise errors.SessionInvalid(problem="l'intitulé et le lieu tiennent sur une ligne, "
                                            "sans caractère de contrôle.",
                                    problem_en="the title and the place fit on one line, "
                                               "without control characters.")
    if not title or len(title) > MAX_TITLE:
        raise errors.SessionInvalid(problem=f"un intitulé de 1 à {MAX_TITLE} caractères est "
                                            f"attendu.",
                                    problem_en=f"a title of 1 to {MAX_TITLE} characters is "
                                               f"expected.")
    if len(place) > MAX_TITLE:
        raise errors.SessionInvalid(problem=f"le lieu tient en {MAX_TITLE} caractères.",
                                    problem_en=f"the place fits in {MAX_TITLE} characters.")
    today = clock.today()
    if not isinstance(day, date) or abs(day - today) > DATE_RANGE:
        raise errors.SessionInvalid(problem="la date est attendue dans les deux ans autour "
                                            "d'aujourd'hui.",
                                    problem_en="the date is expected within two years of "
                                               "today.")
    return title, place


def create_session(trainer, title: str, day: date, place: str = "") -> TrainingSession:
    _require_trainer(trainer)
    title, place = _checked(title, day, place)
    for _attempt in range(5):  # a clash of 40 random bits: drawn again
        try:
            with transaction.atomic():
                session = TrainingSession.objects.create(
                    trainer=trainer, title=title, date=day, place=place, code=_new_code())
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - five clashes in a row
        raise RuntimeError("no free session code")
    audit.record(trainer, "formation.session_created", session, date=day.isoformat())
    return session


def trainer_sessions(trainer) -> list[TrainingSession]:
    _require_trainer(trainer)
    return list(TrainingSession.objects.filter(trainer=trainer).annotate(
        trainee_count=Count("participants", filter=Q(participants__user__is_active=True))))


def session_of(trainer, pk, *, for_update: bool = False) -> TrainingSession:
    """The trainer's own session; another's, or none, is the same 404."""
    _require_trainer(trainer)
    query = TrainingSession.objects.select_for_update() if for_update else (
        TrainingSession.objects)
    try:
        return query.get(pk=int(pk), trainer=trainer)
    except (TrainingSession.DoesNotExist, TypeError, ValueError):
        raise NotFound(object_label="Session de formation") from None


def set_closed(trainer, pk, closed: bool) -> TrainingSession:
    """Close the session to joining (its results stay), or open it again."""
    session = session_of(trainer, pk, for_update=True)
    session.closed_at = clock.now() if closed else None
    session.save(update_fields=["closed_at"])
    audit.record(trainer, "formation.session_closed" if closed else "formation.session_reopened",
                 session)
    return session


def parse_addresses(text: str) -> list[str]:
    """The addresses a trainer pasted: one a line, or separated by commas, semicolons or
    spaces; each checked, duplicates once. A wrong one refuses the whole list (nothing
    half-sent)."""
    found: list[str] = []
    for part in (text or "").replace(",", " ").replace(";", " ").split():
        address = normalise_email(part.strip("<>"))
        try:
            validate_email(address)
        except ValidationError:
            raise errors.InvitationsInvalid(
                problem=f"« {part[:80]} » n'est pas une adresse électronique",
                problem_en=f"« {part[:80]} » is no e-mail address") from None
        if address not in found:
            found.append(address)
    if not found:
        raise errors.InvitationsInvalid(problem="aucune adresse donnée",
                                        problem_en="no address given")
    return found


@dataclass
class Invited:
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)


def invite(trainer, pk, addresses: list[str]) -> Invited:
    """Send the session's link and code to each address not invited yet (queued with the
    transaction: a refusal sends nothing)."""
    session = session_of(trainer, pk, for_update=True)
    if session.closed_at is not None:
        raise errors.SessionClosed(title=session.title)
    known = set(session.invitations.filter(email__in=addresses).values_list("email", flat=True))
    result = Invited(already=[a for a in addresses if a in known])
    fresh = [a for a in addresses if a not in known]
    if session.invitations.count() + len(fresh) > MAX_INVITATIONS:
        raise errors.InvitationsInvalid(
            problem=f"une session compte au plus {MAX_INVITATIONS} invitations",
            problem_en=f"a session holds at most {MAX_INVITATIONS} invitations")
    day = clock.now() - timedelta(days=1)
    if Invitation.objects.filter(session__trainer=trainer, invited_at__gte=day).count() + len(
            fresh) > MAX_INVITATIONS_A_DAY:
        raise errors.InvitationsInvalid(
            problem=f"un formateur envoie au plus {MAX_INVITATIONS_A_DAY} invitations en "
                    f"24 heures",
            problem_en=f"a trainer sends at most {MAX_INVITATIONS_A_DAY} invitations in "
                       f"24 hours")
    crowded = sorted(Invitation.objects.filter(email__in=fresh, invited_at__gte=day)
                     .values("email").annotate(times=Count("pk"))
                     .filter(times__gte=MAX_INVITED_A_DAY).values_list("email", flat=True))
    if crowded:
        raise errors.InvitationsInvalid(
            problem=f"{', '.join(crowded[:5])} a déjà reçu {MAX_INVITED_A_DAY} invitations "
                    f"en 24 heures",
            problem_en=f"{', '.join(crowded[:5])} already received {MAX_INVITED_A_DAY} "
                       f"invitations in 24 hours")
    link = settings.CHOEUR_BASE_URL.rstrip("/") + reverse("formation:join_code",
                                                          args=[session.code])
    trainer_name = trainer.get_full_name() or trainer.email
    for address in fresh:
        Invitation.objects.create(session=session, email=address)
        mail.send_mail(address, f"[Choeur] Invitation à la session de formation « "
                                f"{session.title[:80]} »",
                       _invitation_text(session, trainer_name, link))
        result.sent.append(address)
    audit.record(trainer, "formation.trainees_invited", session, count=len(result.sent))
    return result


def _invitation_text(session: TrainingSession, trainer_name: str, link: str) -> str:
    place = f", {session.place}" if session.place else ""
    return (
        f"Bonjour,\n\n{trainer_name} vous invite à la session de formation « {session.title} »,"
        f" le {session.date.strftime('%d/%m/%Y')}{place}.\n\n"
        f"Pour la rejoindre, connectez-vous à Choeur (ou créez votre compte) puis ouvrez :\n"
        f"{link}\n\nou saisissez le code {format_code(session.code)} dans « Formation » → "
        f"« Rejoindre une session ».\n\nEn la rejoignant, vous permettez au formateur de voir "
        f"votre progression : compte, matelas de données, scores aux quiz, exercices "
        f"réussis.\n\n-- \nChoeur\n\n"
        f"(English) {trainer_name} invites you to the training session « {session.title} » "
        f"on {session.date.isoformat()}. Sign in to Choeur (or create your account), then "
        f"open the link above or enter the code {format_code(session.code)} in « Formation ».\n")


# --- The trainee's use cases ---------------------------------------------------------------


def open_session(code: str) -> TrainingSession:
    """The open session with this code (CodeUnknown otherwise: a closed session's code is
    unknown too, so that a guess learns nothing)."""
    wanted = normalise_code(code)
    if len(wanted) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in wanted):
        raise errors.CodeUnknown()
    # A trainer whose right was taken back follows nobody new.
    session = TrainingSession.objects.filter(
        Q(trainer__is_trainer=True) | Q(trainer__is_superuser=True), code=wanted,
        closed_at__isnull=True, trainer__is_active=True).first()
    if session is None:
        raise errors.CodeUnknown()
    return session


def join(user, code: str) -> tuple[Participant, bool]:
    """Join the open session with this code: (participant, whether new). Joining again is
    no error."""
    session = open_session(code)
    if session.trainer_id == user.pk:
        raise errors.OwnSession(title=session.title)
    participant, created = Participant.objects.get_or_create(session=session, user=user)
    if created:
        audit.record(user, "formation.session_joined", session)
    return participant, created


def leave(user, pk) -> None:
    """Leave a session: its trainer no longer sees your progress."""
    joined = Participant.objects.filter(session_id=pk, user=user).select_related(
        "session").first()
    if joined is None:
        raise NotFound(object_label="Session de formation")
    joined.delete()
    audit.record(user, "formation.session_left", joined.session)


def joined_sessions(user) -> list[TrainingSession]:
    if user is None or not user.is_authenticated:
        return []
    return list(TrainingSession.objects.filter(participants__user=user)
                .select_related("trainer"))


# --- What the trainer reads ----------------------------------------------------------------


@dataclass
class Trainee:
    """One trainee's progress as the trainer's page, the CSV and the sheet show it."""

    participant: Participant
    matelas_at: datetime | None
    #: module slug → {"best", "last", "attempts"} (services.tally), for the quizzes taken.
    quizzes: dict[str, dict]
    #: exercise id → done at (None: started, not done yet), for the exercises started.
    exercises: dict[str, datetime | None]
    #: exercise id → checks failed since its start.
    failed_checks: dict[str, int]

    @property
    def user(self):
        return self.participant.user

    @property
    def exercises_done(self) -> int:
        return sum(1 for done in self.exercises.values() if done is not None)


@dataclass
class Results:
    session: TrainingSession
    trainees: list[Trainee]
    #: Invitations no user with that address joined from (not read for one trainee's page).
    waiting: list[Invitation]
    quizzes: tuple[quizzes.Quiz, ...]
    exercises: tuple[exercises.Exercise, ...]


def results(trainer, pk) -> Results:
    """Every trainee of the trainer's session with their progress (a handful of queries,
    whatever the number of trainees)."""
    session = session_of(trainer, pk)
    # A deactivated account is nobody's trainee any more (it cannot sign in to leave).
    participants = list(session.participants.filter(user__is_active=True).select_related("user")
                        .order_by("user__last_name", "user__first_name", "user__email"))
    found = _results(session, participants)
    found.waiting = list(session.invitations.exclude(
        email__in=[normalise_email(p.user.email) for p in participants]).exclude(
        email__in=[normalise_email(p.user.contact_email) for p in participants
                   if p.user.contact_email]).order_by("email"))
    return found


def trainee(trainer, pk, user_pk) -> tuple[Results, Trainee, list[QuizAttempt]]:
    """One trainee of the trainer's session, with every quiz attempt; a user who did not
    join it is a 404 (as one who does not exist). Only that trainee's progress is read."""
    session = session_of(trainer, pk)
    try:
        participant = session.participants.select_related("user").get(
            user_id=int(user_pk), user__is_active=True)
    except (Participant.DoesNotExist, TypeError, ValueError):
        raise NotFound(object_label="Stagiaire") from None
    found = _results(session, [participant])
    attempts = list(QuizAttempt.objects.filter(user=participant.user)
                    .order_by("-created_at", "-pk"))
    return found, found.trainees[0], attempts


def _results(session: TrainingSession, participants: list[Participant]) -> Results:
    listed_quizzes, listed_exercises = quizzes.all_quizzes(), exercises.all_exercises()
    return Results(
        session=session,
        trainees=_trainees(participants, {q.slug for q in listed_quizzes},
                           {e.id for e in listed_exercises}),
        waiting=[], quizzes=listed_quizzes, exercises=listed_exercises)


def _trainees(participants: list[Participant], quiz_modules: set[str],
              exercise_ids: set[str]) -> list[Trainee]:
    """Their progress on the quizzes and exercises shipped now (one a release renamed or a
    trainer's file dropped is not counted: never « 4/3 »)."""
    from choeur.qualification.models import GeneratedMatelas

    users = [p.user_id for p in participants]
    matelas = dict(GeneratedMatelas.objects.filter(user__in=users).values("user")
                   .annotate(last=Max("created_at")).values_list("user", "last"))
    attempts: dict[int, list] = defaultdict(list)
    for user, *row in (QuizAttempt.objects.filter(user__in=users, module__in=quiz_modules)
                       .order_by("created_at", "pk")
                       .values_list("user", "module", "score", "total")):
        attempts[user].append(row)
    done: dict[int, dict[str, datetime | None]] = defaultdict(dict)
    failed: dict[int, dict[str, int]] = defaultdict(dict)
    for progress in ExerciseProgress.objects.filter(user__in=users, exercise__in=exercise_ids):
        done[progress.user_id][progress.exercise] = progress.done_at
        failed[progress.user_id][progress.exercise] = progress.failed_checks
    return [Trainee(p, matelas.get(p.user_id), services.tally(attempts[p.user_id]),
                    done[p.user_id],
                    failed[p.user_id]) for p in participants]
