from django.contrib import admin

from choeur.core.models import AuditEvent, Blob, OutgoingEmail, WorkerHeartbeat


class ReadOnlyAdmin(admin.ModelAdmin):
    """The audit log and the stored files are evidence: nobody edits them, not even admins."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_label")
    list_filter = ("action", "actor_type", "object_type")
    search_fields = ("actor_label", "object_label", "object_id", "action")
    date_hierarchy = "at"


@admin.register(Blob)
class BlobAdmin(ReadOnlyAdmin):
    list_display = ("sha256", "size", "content_type", "created_at")
    search_fields = ("sha256",)


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("worker_id", "hostname", "pid", "started_at", "last_seen")


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "subject", "status", "attempts", "sent_at")
    list_filter = ("status",)
    search_fields = ("subject",)
    exclude = ("body", "html_body")  # may hold one-time links until delivered
