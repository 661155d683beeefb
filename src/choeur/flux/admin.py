from django.contrib import admin

from choeur.core.admin import ReadOnlyAdmin
from choeur.flux.models import Flux, FluxItem


class FluxItemInline(admin.TabularInline):
    model = FluxItem
    fields = ("position", "name", "number", "accepted", "invoice", "errors")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Flux)
class FluxAdmin(ReadOnlyAdmin):
    """Flux are deposits (evidence): read only; a stuck one is resumed by the worker."""

    list_display = ("numero", "structure", "channel", "status", "deposited_at",
                    "invoice_count", "integrated_count", "rejected_count", "attempts")
    list_filter = ("status", "channel")
    search_fields = ("numero", "filename", "structure__identifier", "sha256")
    date_hierarchy = "deposited_at"
    inlines = [FluxItemInline]
