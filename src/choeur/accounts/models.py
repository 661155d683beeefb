from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from choeur.core import clock


def normalise_email(email: str) -> str:
    """Logins are case-insensitive: Marie@Example.fr and marie@example.fr are one account."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email=normalise_email(email))

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("users need an e-mail address")
        # Made by code (CLI, administrator, tests): active at once. Self-registration goes
        # through choeur.accounts.services.register(), which creates the account inactive.
        extra.setdefault("is_active", True)
        if extra["is_active"]:
            extra.setdefault("activated_at", clock.now())
        user = self.model(email=normalise_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, is_active=True)
        return self.create_user(email, password, **extra)


class SecretQuestion(models.TextChoices):
    """The fixed list of secret questions asked at activation (answers are stored hashed)."""

    PET = "PET", _("Quel est le nom de votre premier animal de compagnie ?")
    BIRTH_CITY = "BIRTH_CITY", _("Dans quelle ville êtes-vous né ou née ?")
    SCHOOL = "SCHOOL", _("Quel était le nom de votre école primaire ?")
    FRIEND = "FRIEND", _("Quel est le prénom de votre meilleur ami ou meilleure amie d'enfance ?")
    CAR = "CAR", _("Quel était le modèle de votre première voiture ?")
    STREET = "STREET", _("Dans quelle rue avez-vous grandi ?")
    BOOK = "BOOK", _("Quel est le titre de votre livre préféré ?")


class User(AbstractBaseUser, PermissionsMixin):
    """A person with a Choeur account. Chorus Pro identifies users by their login e-mail.

    A self-registered account starts inactive (`is_active=False`, `activated_at` empty) until
    its owner opens the activation link, sets a password and two secret questions. Accounts
    made by code (`create_user()`, the `createadmin` command) are active at once.
    """

    email = models.EmailField(_("adresse électronique de connexion"), unique=True)
    contact_email = models.EmailField(
        _("adresse électronique de contact"),
        blank=True,
        help_text=_("Reçoit les notifications ; l'adresse de connexion si elle est vide."),
    )
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    phone = models.CharField(_("téléphone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("actif"), default=False)
    is_staff = models.BooleanField(
        _("administrateur de la plateforme"),
        default=False,
        help_text=_("Donne accès à l'administration de Choeur."),
    )
    is_support_agent = models.BooleanField(
        _("agent du support"),
        default=False,
        help_text=_("Traite les sollicitations adressées au support de la plateforme."),
    )
    is_trainer = models.BooleanField(
        _("formateur"),
        default=False,
        help_text=_("Ouvre des sessions de formation et suit les stagiaires qui les "
                    "rejoignent."),
    )
    date_joined = models.DateTimeField(_("date de création"), default=clock.now)
    terms_accepted_at = models.DateTimeField(
        _("conditions générales acceptées le"), null=True, blank=True
    )
    activated_at = models.DateTimeField(_("activé le"), null=True, blank=True)

    # Lock-out after repeated failed logins (and wrong second-factor codes).
    failed_login_count = models.PositiveSmallIntegerField(_("échecs de connexion"), default=0)
    locked_until = models.DateTimeField(_("verrouillé jusqu'au"), null=True, blank=True)

    # Secret questions: answers hashed like passwords, compared without case nor accents.
    secret_question_1 = models.CharField(
        _("question secrète 1"), max_length=32, choices=SecretQuestion.choices, blank=True
    )
    secret_answer_1 = models.CharField(_("réponse secrète 1 (empreinte)"), max_length=256,
                                       blank=True)
    secret_question_2 = models.CharField(
        _("question secrète 2"), max_length=32, choices=SecretQuestion.choices, blank=True
    )
    secret_answer_2 = models.CharField(_("réponse secrète 2 (empreinte)"), max_length=256,
                                       blank=True)
    recovery_failed_count = models.PositiveSmallIntegerField(
        _("réponses secrètes erronées"), default=0
    )
    recovery_locked_until = models.DateTimeField(
        _("récupération verrouillée jusqu'au"), null=True, blank=True
    )

    # Login e-mail change waiting for the confirmation link sent to the new address.
    pending_email = models.EmailField(_("nouvelle adresse à confirmer"), blank=True)
    pending_email_requested_at = models.DateTimeField(null=True, blank=True)

    # Second factor: authenticator app (TOTP) and/or a code e-mailed to the login address.
    totp_secret = models.CharField(max_length=64, blank=True)
    totp_enabled_at = models.DateTimeField(
        _("application d'authentification activée le"), null=True, blank=True
    )
    totp_last_step = models.BigIntegerField(null=True, blank=True)  # no code is used twice
    email_otp_enabled_at = models.DateTimeField(
        _("code par courriel activé le"), null=True, blank=True
    )
    email_otp_hash = models.CharField(max_length=128, blank=True)
    email_otp_expires_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="user_email_lower_case"
            )
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self):
        super().clean()
        self.email = normalise_email(self.email)
        self.contact_email = normalise_email(self.contact_email)

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        self.contact_email = normalise_email(self.contact_email)
        self.pending_email = normalise_email(self.pending_email)
        super().save(*args, **kwargs)

    @property
    def notification_email(self) -> str:
        """Where notifications go: the contact address, else the login address."""
        return self.contact_email or self.email

    def is_locked(self, at=None) -> bool:
        at = at or clock.now()
        return self.locked_until is not None and self.locked_until > at

    def is_recovery_locked(self, at=None) -> bool:
        at = at or clock.now()
        return self.recovery_locked_until is not None and self.recovery_locked_until > at

    @property
    def awaiting_activation(self) -> bool:
        return not self.is_active and self.activated_at is None

    @property
    def has_secret_questions(self) -> bool:
        return bool(self.secret_answer_1 and self.secret_answer_2)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email


class UsedBotCheckNonce(models.Model):
    """A bot-check token already presented: each one is accepted once. Rows older than the
    token's validity are pruned (a token that old is refused for its age anyway)."""

    nonce = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        verbose_name = _("question anti-robot utilisée")
        verbose_name_plural = _("questions anti-robot utilisées")

    def __str__(self) -> str:
        return self.nonce


class EmailThrottle(models.Model):
    """One e-mail sent to an address for an action that anyone may trigger (activation link,
    recovery link, login code, notice of a registration attempt): a few per window, no more.
    Rows older than the window are pruned."""

    address = models.EmailField()
    action = models.CharField(max_length=32)
    sent_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("courriel limité")
        verbose_name_plural = _("courriels limités")
        indexes = [models.Index(fields=["address", "action", "sent_at"],
                                name="accounts_throttle_lookup")]

    def __str__(self) -> str:
        return f"{self.action} → {self.address}"


class FailedAttempts(models.Model):
    """Failed authentications counted per key over a fixed window (see choeur.accounts.throttle):
    an OAuth2 client id, a technical login, a client address, an unknown login address.

    The key is a digest of (scope, value): the table never holds a login, a client id or an
    address in clear. Rows whose window ended long ago are pruned by the worker."""

    key = models.CharField(max_length=64, primary_key=True)
    window_start = models.DateTimeField()
    failures = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("échecs d'authentification")
        verbose_name_plural = _("échecs d'authentification")
        indexes = [models.Index(fields=["window_start"], name="accounts_failed_age")]

    def __str__(self) -> str:
        return f"{self.key[:12]}… {self.failures} since {self.window_start:%Y-%m-%d %H:%M}"
