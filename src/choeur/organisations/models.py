"""Structures, services, espaces, rattachements and habilitations, bank details.

Model fields are English; Chorus Pro's own terms (structure, service, espace, rattachement,
habilitation, gestionnaire) keep their French names, and every Chorus Pro wire name is given
as the field's verbose name or in a comment, for the API layer that maps them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from choeur.core import clock


class IdentifierType(models.TextChoices):
    """`typeIdentifiantStructure`, verbatim."""

    SIRET = "SIRET", _("SIRET")
    UE_HORS_FRANCE = "UE_HORS_FRANCE", _("Union européenne hors France (n° TVA)")
    HORS_UE = "HORS_UE", _("Hors Union européenne")
    RIDET = "RIDET", _("RIDET (Nouvelle-Calédonie)")
    TAHITI = "TAHITI", _("N° TAHITI (Polynésie française)")
    AUTRE = "AUTRE", _("Autre")
    PARTICULIER = "PARTICULIER", _("Particulier")


class Espace(models.TextChoices):
    """The portal's espaces (features opened per structure, subscribed per user)."""

    FACTURES_EMISES = "FACTURES_EMISES", _("Factures émises")
    FACTURES_RECUES = "FACTURES_RECUES", _("Factures reçues")
    FACTURES_A_VALIDER = "FACTURES_A_VALIDER", _("Factures à valider")
    FACTURES_TRAVAUX = "FACTURES_TRAVAUX", _("Factures de travaux")
    ENGAGEMENTS = "ENGAGEMENTS", _("Engagements")
    SOLLICITATIONS_EMISES = "SOLLICITATIONS_EMISES", _("Sollicitations émises")
    SOLLICITATIONS_RECUES = "SOLLICITATIONS_RECUES", _("Sollicitations reçues")
    RACCORDEMENTS = "RACCORDEMENTS", _("Raccordements (flux, API)")
    COORDONNEES_BANCAIRES = "COORDONNEES_BANCAIRES", _("Coordonnées bancaires")
    ACTIVITES_GESTIONNAIRE = "ACTIVITES_GESTIONNAIRE", _("Activités du gestionnaire")
    MON_COMPTE = "MON_COMPTE", _("Mon compte")


class HabilitationMode(models.TextChoices):
    CONSULTATION = "CONSULTATION", _("Consultation")
    MODIFICATION = "MODIFICATION", _("Modification")


class Structure(models.Model):
    class Kind(models.TextChoices):  # `structurePriveePublique`
        PRIVEE = "PRIVEE", _("Privée")
        PUBLIQUE = "PUBLIQUE", _("Publique")

    class PaymentCategory(models.TextChoices):
        """The buyer's category, which sets the délai global de paiement of the invoices it
        receives (code de la commande publique R2192-10 and R2192-11; invoicing/delays.py)."""

        ETAT = "ETAT", _("État (30 jours)")
        COLLECTIVITE = "COLLECTIVITE", _("Collectivité territoriale (30 jours)")
        ETABLISSEMENT_PUBLIC = "ETABLISSEMENT_PUBLIC", _(
            "Établissement public hors santé (30 jours)")
        ETABLISSEMENT_SANTE = "ETABLISSEMENT_SANTE", _(
            "Établissement public de santé (50 jours)")
        ENTREPRISE_PUBLIQUE = "ENTREPRISE_PUBLIQUE", _("Entreprise publique (60 jours)")

    identifier_type = models.CharField(
        _("type d'identifiant"), max_length=20, choices=IdentifierType.choices
    )  # typeIdentifiantStructure
    identifier = models.CharField(_("identifiant"), max_length=80)  # identifiantStructure
    kind = models.CharField(_("nature"), max_length=8, choices=Kind.choices, default=Kind.PRIVEE)
    company_name = models.CharField(_("raison sociale"), max_length=99)  # raisonSocialeStructure
    last_name = models.CharField(_("nom"), max_length=99, blank=True)  # nomStructure (particulier)
    first_name = models.CharField(_("prénom"), max_length=99, blank=True)  # prenomStructure
    email = models.EmailField(_("adresse électronique"), blank=True)  # emailStructure
    vat_number = models.CharField(_("numéro de TVA"), max_length=20, blank=True)  # numeroTVA
    rcs_number = models.CharField(_("numéro RCS"), max_length=40, blank=True)  # numeroRcsStructure
    address_line1 = models.CharField(_("adresse"), max_length=100, blank=True)
    address_line2 = models.CharField(_("complément d'adresse"), max_length=100, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=80, blank=True)
    country = models.CharField(_("pays (code ISO)"), max_length=2, default="FR")

    # Recipient parameters (ParamModifierStructure), wire names in the verbose names.
    service_code_required = models.BooleanField(
        "codeServiceDoitEtreRenseigne", default=False,
        help_text=_("Le code service est obligatoire sur les factures reçues."),
    )
    engagement_required = models.BooleanField(
        "numeroEJDoitEtreRenseigne", default=False,
        help_text=_("Le numéro d'engagement est obligatoire sur les factures reçues."),
    )
    engagement_or_service_required = models.BooleanField(
        "gestionNumeroEJOuCodeService", default=False,
        help_text=_("Au moins le numéro d'engagement ou le code service est obligatoire."),
    )
    payment_status_not_reported = models.BooleanField(
        "statutMiseEnPaiementNestPasRemonte", default=False,
        help_text=_("La structure ne remonte pas le statut « mise en paiement »."),
    )
    moa = models.BooleanField(
        "getaMoa", default=False, help_text=_("La structure agit aussi en maître d'ouvrage.")
    )
    moa_only = models.BooleanField(
        "estMoaUniquement", default=False,
        help_text=_("La structure agit uniquement en maître d'ouvrage."),
    )
    edi_connection = models.BooleanField(
        "connexionEDI", default=False, help_text=_("La structure est raccordée en EDI.")
    )
    receives_via_edi = models.BooleanField(
        "recevoirDonneesViaEDI", default=False,
        help_text=_("La structure reçoit ses factures par EDI."),
    )
    # Public structures only: the délai global de paiement of the invoices it receives.
    payment_category = models.CharField(
        _("catégorie pour le délai de paiement"), max_length=24,
        choices=PaymentCategory.choices, default=PaymentCategory.ETAT,
        help_text=_("Fixe le délai global de paiement des factures reçues : 30 jours (État, "
                    "collectivités, établissements publics), 50 jours (établissements publics "
                    "de santé), 60 jours (entreprises publiques)."),
    )
    second_factor_for_gestionnaires = models.BooleanField(
        _("double authentification des gestionnaires"), default=False,
        help_text=_("Les gestionnaires doivent se connecter avec un second facteur."),
    )

    is_active = models.BooleanField(_("active"), default=True)
    principal_assigned_at = models.DateTimeField(
        _("premier gestionnaire principal le"), null=True, blank=True,
        help_text=_("Vide tant que personne n'a jamais géré la structure : une structure "
                    "publique importée revient alors à son premier demandeur."),
    )
    origin = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates",
        verbose_name=_("structure d'origine"),
    )  # idStructureOrigine / listeStructureDupliquees, after a change of identifier
    created_at = models.DateTimeField(_("créée le"), default=clock.now)
    updated_at = models.DateTimeField(_("modifiée le"), default=clock.now)
    # `uuid` of the REST-style referential (/cpro/organisations/v1/structures/{uuid}): a
    # public identifier that reveals nothing of the numbering (the integer id does).
    public_id = models.UUIDField(_("identifiant public"), default=uuid.uuid4, unique=True,
                                 editable=False)

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["company_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["identifier_type", "identifier"], name="structure_unique_identifier"
            )
        ]
        indexes = [models.Index(fields=["identifier"]), models.Index(fields=["company_name"])]

    def __str__(self) -> str:
        return f"{self.company_name} ({self.identifier})"

    @property
    def is_public(self) -> bool:
        return self.kind == self.Kind.PUBLIQUE


class ServiceQuerySet(models.QuerySet):
    def current(self):
        """Active services whose validity period includes today (French date)."""
        today = clock.today()
        return self.filter(is_active=True).filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=today),
            Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        )


class Service(models.Model):
    DEFAULT_PUBLIC_CODE = "FACTURES_PUBLIQUES"

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="services")
    code = models.CharField(_("code service"), max_length=100)  # codeService (BT-10)
    name = models.CharField(_("nom du service"), max_length=100)  # nomService
    description = models.TextField(_("description"), blank=True)  # descriptionService
    address_line1 = models.CharField(_("adresse"), max_length=100, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=80, blank=True)
    valid_from = models.DateField(_("début de validité"), null=True, blank=True)
    valid_until = models.DateField(_("fin de validité"), null=True, blank=True)
    payment_status_reported = models.BooleanField(
        "miseEnPaiement", default=True,
        help_text=_("Le service remonte le statut « mise en paiement »."),
    )
    engagement_required = models.BooleanField(
        "numeroEngagement", default=False,
        help_text=_("Le numéro d'engagement est obligatoire pour ce service."),
    )
    is_active = models.BooleanField(_("actif"), default=True)  # estActif
    created_at = models.DateTimeField(_("créé le"), default=clock.now)
    updated_at = models.DateTimeField(_("modifié le"), default=clock.now)
    # `uuid` of /cpro/organisations/v1/services/{uuid} (see Structure.public_id).
    public_id = models.UUIDField(_("identifiant public"), default=uuid.uuid4, unique=True,
                                 editable=False)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "code"], name="service_unique_code"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="service_validity_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class OpenEspace(models.Model):
    """An espace opened on a structure by its gestionnaire."""

    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="espaces")
    espace = models.CharField(_("espace"), max_length=30, choices=Espace.choices)
    opened_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("espace ouvert")
        verbose_name_plural = _("espaces ouverts")
        constraints = [
            models.UniqueConstraint(fields=["structure", "espace"], name="open_espace_unique")
        ]

    def __str__(self) -> str:
        return f"{self.structure} — {self.get_espace_display()}"


class Rattachement(models.Model):
    """A user's attachment to a structure (and some of its services), with a role."""

    class Status(models.TextChoices):  # statutRattachement, verbatim
        EN_COURS_DE_VALIDATION = "EN_COURS_DE_VALIDATION", _("En cours de validation")
        VALIDEE = "VALIDEE", _("Validée")
        REFUSEE = "REFUSEE", _("Refusée")
        DESACTIVEE = "DESACTIVEE", _("Désactivée")
        SUPPRIMEE = "SUPPRIMEE", _("Supprimée")

    class Role(models.TextChoices):
        GESTIONNAIRE_PRINCIPAL = "GESTIONNAIRE_PRINCIPAL", _("Gestionnaire principal")
        GESTIONNAIRE = "GESTIONNAIRE", _("Gestionnaire")
        UTILISATEUR = "UTILISATEUR", _("Utilisateur")

    OPEN_STATUSES = (Status.EN_COURS_DE_VALIDATION, Status.VALIDEE)
    GESTIONNAIRE_ROLES = (Role.GESTIONNAIRE_PRINCIPAL, Role.GESTIONNAIRE)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rattachements"
    )
    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="rattachements"
    )
    services = models.ManyToManyField(
        Service, blank=True, related_name="rattachements", verbose_name=_("services"),
        help_text=_("Aucun service choisi : toute la structure."),
    )
    status = models.CharField(_("statut"), max_length=24, choices=Status.choices)
    role = models.CharField(
        _("rôle"), max_length=24, choices=Role.choices, default=Role.UTILISATEUR
    )
    requested_at = models.DateTimeField(_("demandé le"), default=clock.now)
    decided_at = models.DateTimeField(_("décidé le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("décidé par"),
    )
    reason = models.TextField(_("motif"), blank=True)

    class Meta:
        verbose_name = _("rattachement")
        verbose_name_plural = _("rattachements")
        ordering = ["structure", "user__email"]
        constraints = [
            # One pending-or-valid rattachement per user and structure.
            models.UniqueConstraint(
                fields=["user", "structure"],
                condition=Q(status__in=["EN_COURS_DE_VALIDATION", "VALIDEE"]),
                name="rattachement_one_open_per_user",
            ),
            # Exactly one principal gestionnaire at a time (the services enforce "at least").
            models.UniqueConstraint(
                fields=["structure"],
                condition=Q(status="VALIDEE", role="GESTIONNAIRE_PRINCIPAL"),
                name="rattachement_one_principal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.structure} ({self.status})"

    @property
    def is_gestionnaire(self) -> bool:
        return self.status == self.Status.VALIDEE and self.role in self.GESTIONNAIRE_ROLES


class Habilitation(models.Model):
    """A user's subscription to an espace of the structure, in consultation or modification."""

    rattachement = models.ForeignKey(
        Rattachement, on_delete=models.CASCADE, related_name="habilitations"
    )
    espace = models.CharField(_("espace"), max_length=30, choices=Espace.choices)
    mode = models.CharField(_("mode"), max_length=12, choices=HabilitationMode.choices)

    class Meta:
        verbose_name = _("habilitation")
        verbose_name_plural = _("habilitations")
        constraints = [
            models.UniqueConstraint(fields=["rattachement", "espace"], name="habilitation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.rattachement.user} — {self.get_espace_display()} ({self.mode})"


class BankAccount(models.Model):
    """Coordonnées bancaires of a structure (IBAN only, as Chorus Pro accepts)."""

    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="bank_accounts"
    )
    label = models.CharField(_("libellé"), max_length=100)
    holder = models.CharField(_("titulaire du compte"), max_length=100)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11)
    is_factor = models.BooleanField(
        _("affactureur"), default=False,
        help_text=_("Compte d'un affactureur (société d'affacturage)."),
    )
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(_("créé le"), default=clock.now)

    class Meta:
        verbose_name = _("coordonnées bancaires")
        verbose_name_plural = _("coordonnées bancaires")
        ordering = ["-is_active", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "iban"], condition=Q(is_active=True),
                name="bank_account_active_iban_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.masked_iban})"

    @property
    def masked_iban(self) -> str:
        return f"{self.iban[:4]} •••• {self.iban[-4:]}"


class TechnicalAccount(models.Model):
    """Compte technique: the login an API client sends in `cpro-account` (base64 login:password).

    Its password expires after 424 days (14 months), as on Chorus Pro; only the gestionnaire
    principal resets it. The password is stored hashed and shown once, when it is set.
    """

    PASSWORD_LIFETIME_DAYS = 424

    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="technical_accounts"
    )
    login = models.CharField(_("identifiant de connexion"), max_length=100, unique=True)
    password = models.CharField(max_length=255)
    password_expires_at = models.DateTimeField(
        _("expiration du mot de passe")
    )  # dateExpirationMotPasseCompteTech
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(_("créé le"), default=clock.now)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)
    # The OAuth2 client whose bearer token came with the last call: the missing-bearer
    # tolerance below lasts only while that client is active (revoking it closes the window).
    last_bearer_client = models.ForeignKey(
        "ApiClient", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Opt-in, qualification only: accept a call without `Authorization` for a token's lifetime
    # after a call with a valid bearer (an old Go client sends its token once; reference §5).
    lenient_bearer = models.BooleanField(
        _("tolérer les appels sans jeton (ancien client, qualification)"), default=False
    )

    class Meta:
        verbose_name = _("compte technique")
        verbose_name_plural = _("comptes techniques")
        ordering = ["structure", "login"]

    def __str__(self) -> str:
        return self.login

    @property
    def is_expired(self) -> bool:
        return self.password_expires_at <= clock.now()


class ApiClient(models.Model):
    """OAuth2 client credentials for the token endpoint (`/api/oauth/token`). The secret is
    stored hashed and shown once."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="api_clients")
    label = models.CharField(_("libellé"), max_length=100)
    client_id = models.CharField(_("client_id"), max_length=64, unique=True)
    secret = models.CharField(max_length=255)
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(_("créé le"), default=clock.now)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)

    class Meta:
        verbose_name = _("client OAuth2")
        verbose_name_plural = _("clients OAuth2")
        ordering = ["structure", "label"]

    def __str__(self) -> str:
        return f"{self.label} ({self.client_id})"


class HabilitationRequest(models.Model):
    """A user asks the gestionnaires for access to an espace of their structure."""

    class Status(models.TextChoices):
        EN_COURS_DE_VALIDATION = "EN_COURS_DE_VALIDATION", _("En cours de validation")
        VALIDEE = "VALIDEE", _("Validée")
        REFUSEE = "REFUSEE", _("Refusée")

    rattachement = models.ForeignKey(
        Rattachement, on_delete=models.CASCADE, related_name="habilitation_requests"
    )
    espace = models.CharField(_("espace"), max_length=30, choices=Espace.choices)
    mode = models.CharField(_("mode"), max_length=12, choices=HabilitationMode.choices)
    status = models.CharField(
        _("statut"), max_length=24, choices=Status.choices,
        default=Status.EN_COURS_DE_VALIDATION,
    )
    requested_at = models.DateTimeField(_("demandée le"), default=clock.now)
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("demande d'habilitation")
        verbose_name_plural = _("demandes d'habilitation")
        ordering = ["requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rattachement", "espace"], condition=Q(status="EN_COURS_DE_VALIDATION"),
                name="habilitation_request_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rattachement.user} — {self.get_espace_display()} ({self.mode})"
