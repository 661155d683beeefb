from django.contrib import admin

from choeur.core.admin import ReadOnlyAdmin
from choeur.webhooks.models import Attempt, Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    """Read only, and never the secrets: gestionnaires manage their webhooks in the portal."""

    list_display = ("pk", "structure", "url", "on_invoice_status", "on_flux_state",
                    "is_active", "created_at")
    list_filter = ("is_active", "on_invoice_status", "on_flux_state")
    search_fields = ("url", "description", "structure__identifier")
    fields = ("structure", "url", "description", "on_invoice_status", "on_flux_state",
              "is_active", "created_at", "created_by", "secret_rotated_at", "deactivated_at")


class AttemptInline(admin.TabularInline):
    model = Attempt
    fields = ("number", "at", "status_code", "error", "duration_ms", "manual")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "subscription", "event_type", "subject", "state",
                    "attempts", "last_status_code")
    list_filter = ("state", "event_type")
    search_fields = ("event_id", "subject")
    inlines = [AttemptInline]
