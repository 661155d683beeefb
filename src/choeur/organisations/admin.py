from django import forms
from django.contrib import admin

from choeur.core.errors import ChoeurError
from choeur.organisations.identifiers import normalise_identifier
from choeur.organisations.models import (
    ApiClient,
    BankAccount,
    Habilitation,
    OpenEspace,
    Rattachement,
    Service,
    Structure,
    TechnicalAccount,
)


class StructureAdminForm(forms.ModelForm):
    """Identifiers are checked as in the portal, and shown as form errors. (No Meta: the
    admin builds the form class for its own fieldsets.)"""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "payment_category" in self.fields:  # left out: the default (ETAT) or unchanged
            self.fields["payment_category"].required = False

    def clean_payment_category(self):
        return (self.cleaned_data.get("payment_category")
                or self.instance.payment_category or Structure.PaymentCategory.ETAT)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("identifier_type") and cleaned.get("identifier"):
            try:
                cleaned["identifier"] = normalise_identifier(
                    cleaned["identifier_type"], cleaned["identifier"]
                )
            except ChoeurError as exc:
                self.add_error("identifier", f"{exc.message()} [{exc.code}]")
        return cleaned


# Support agents work here. Changes made in the admin bypass the portal's use cases: they are
# for fixing data, and the admin's own log (django_admin_log) records them.


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0
    fields = ("code", "name", "is_active", "engagement_required", "payment_status_reported")


class OpenEspaceInline(admin.TabularInline):
    model = OpenEspace
    extra = 0


@admin.register(Structure)
class StructureAdmin(admin.ModelAdmin):
    list_display = ("company_name", "identifier_type", "identifier", "kind", "is_active")
    list_filter = ("kind", "identifier_type", "is_active")
    search_fields = ("company_name", "identifier", "vat_number")
    inlines = [ServiceInline, OpenEspaceInline]
    readonly_fields = ("created_at", "updated_at")

    form = StructureAdminForm

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            from choeur.organisations.services import set_up_new_structure

            set_up_new_structure(request.user, obj)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "structure", "is_active")
    list_filter = ("is_active", "engagement_required")
    search_fields = ("code", "name", "structure__company_name", "structure__identifier")
    raw_id_fields = ("structure",)


class HabilitationInline(admin.TabularInline):
    model = Habilitation
    extra = 0


@admin.register(Rattachement)
class RattachementAdmin(admin.ModelAdmin):
    list_display = ("user", "structure", "role", "status", "requested_at", "decided_at")
    list_filter = ("status", "role")
    search_fields = ("user__email", "structure__company_name", "structure__identifier")
    raw_id_fields = ("user", "structure", "decided_by")
    filter_horizontal = ("services",)
    inlines = [HabilitationInline]


@admin.register(BankAccount)
class BankAccountAdmin(admin.ModelAdmin):
    list_display = ("label", "structure", "masked_iban", "bic", "is_factor", "is_active")
    list_filter = ("is_factor", "is_active")
    search_fields = ("structure__company_name", "structure__identifier", "label")
    raw_id_fields = ("structure",)


@admin.register(TechnicalAccount)
class TechnicalAccountAdmin(admin.ModelAdmin):
    list_display = ("login", "structure", "password_expires_at", "is_active", "last_used_at")
    list_filter = ("is_active",)
    search_fields = ("login", "structure__company_name", "structure__identifier")
    exclude = ("password",)  # reset by the gestionnaire principal in the portal only
    readonly_fields = ("login", "structure", "password_expires_at", "created_at", "last_used_at")


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("label", "client_id", "structure", "is_active", "last_used_at")
    list_filter = ("is_active",)
    search_fields = ("label", "client_id", "structure__company_name")
    exclude = ("secret",)
    readonly_fields = ("client_id", "structure", "created_at", "last_used_at")
