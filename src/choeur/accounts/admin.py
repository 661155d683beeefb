from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from choeur.accounts import services
from choeur.accounts.forms import UserChangeAdminForm, UserCreationAdminForm
from choeur.accounts.models import User
from choeur.core import clock


class LockFilter(admin.SimpleListFilter):
    title = _("verrouillage")
    parameter_name = "verrouillage"

    def lookups(self, request, model_admin):
        return [("connexion", _("connexion verrouillée")),
                ("recuperation", _("récupération verrouillée")),
                ("non", _("non verrouillé"))]

    def queryset(self, request, queryset):
        now = clock.now()
        if self.value() == "connexion":
            return queryset.filter(locked_until__gt=now)
        if self.value() == "recuperation":
            return queryset.filter(recovery_locked_until__gt=now)
        if self.value() == "non":
            return queryset.exclude(locked_until__gt=now).exclude(recovery_locked_until__gt=now)
        return queryset


class ActivationFilter(admin.SimpleListFilter):
    title = _("activation")
    parameter_name = "activation"

    def lookups(self, request, model_admin):
        return [("attente", _("en attente d'activation")), ("desactive", _("accès désactivé"))]

    def queryset(self, request, queryset):
        if self.value() == "attente":
            return queryset.filter(is_active=False, activated_at__isnull=True)
        if self.value() == "desactive":
            return queryset.filter(is_active=False, activated_at__isnull=False)
        return queryset


class SecondFactorFilter(admin.SimpleListFilter):
    title = _("second facteur")
    parameter_name = "second_facteur"

    def lookups(self, request, model_admin):
        return [("oui", _("activé")), ("non", _("aucun"))]

    def queryset(self, request, queryset):
        none = {"totp_enabled_at__isnull": True, "email_otp_enabled_at__isnull": True}
        if self.value() == "oui":
            return queryset.exclude(**none)
        if self.value() == "non":
            return queryset.filter(**none)
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_active", "activated_at",
                    "lock_state", "has_second_factor", "is_staff", "date_joined")
    list_filter = ("is_active", ActivationFilter, LockFilter, SecondFactorFilter, "is_staff",
                   "is_superuser")
    search_fields = ("email", "contact_email", "first_name", "last_name", "phone")
    readonly_fields = ("terms_accepted_at", "activated_at", "failed_login_count", "locked_until",
                       "recovery_failed_count", "recovery_locked_until", "pending_email",
                       "secret_question_1", "secret_question_2", "totp_enabled_at",
                       "email_otp_enabled_at", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identité"), {"fields": ("first_name", "last_name", "phone", "contact_email")}),
        (_("Droits"), {"fields": ("is_active", "is_staff", "is_support_agent", "is_trainer",
                                "is_superuser", "groups")}),
        (_("Sécurité"), {"fields": ("failed_login_count", "locked_until",
                                    "recovery_failed_count", "recovery_locked_until",
                                    "secret_question_1", "secret_question_2",
                                    "totp_enabled_at", "email_otp_enabled_at",
                                    "pending_email")}),
        (_("Dates"), {"fields": ("date_joined", "terms_accepted_at", "activated_at",
                                 "last_login")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
    actions = ["unlock_accounts", "resend_activation"]

    @admin.display(description=_("verrouillage"))
    def lock_state(self, obj):
        now = clock.now()
        parts = []
        if obj.is_locked(now):
            parts.append(_("connexion jusqu'au %(until)s") % {
                "until": obj.locked_until.astimezone(clock.PARIS).strftime("%d/%m/%Y %H:%M")})
        if obj.is_recovery_locked(now):
            parts.append(_("récupération jusqu'au %(until)s") % {
                "until": obj.recovery_locked_until.astimezone(clock.PARIS).strftime(
                    "%d/%m/%Y %H:%M")})
        return " ; ".join(str(p) for p in parts) or "—"

    @admin.display(description=_("second facteur"), boolean=True)
    def has_second_factor(self, obj):
        return bool(obj.totp_enabled_at or obj.email_otp_enabled_at)

    @admin.action(description=_("Déverrouiller les comptes sélectionnés"))
    def unlock_accounts(self, request, queryset):
        with transaction.atomic():
            for user in queryset:
                services.unlock(request.user, user)
        count = queryset.count()
        self.message_user(request, ngettext("%(n)d compte déverrouillé.",
                                            "%(n)d comptes déverrouillés.", count) % {"n": count},
                          messages.SUCCESS)

    @admin.action(description=_("Renvoyer le lien d'activation"))
    def resend_activation(self, request, queryset):
        sent = skipped = 0
        with transaction.atomic():
            for user in queryset:
                try:
                    services.send_activation(request.user, user)
                    sent += 1
                except services.AlreadyActivated:
                    skipped += 1
        self.message_user(request, _("Liens d'activation envoyés : %(sent)d ; comptes déjà "
                                     "activés, ignorés : %(skipped)d.")
                          % {"sent": sent, "skipped": skipped}, messages.SUCCESS)
