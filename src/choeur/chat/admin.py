from django.contrib import admin

from choeur.chat.models import Conversation, Message


class MessageInline(admin.TabularInline):
    model = Message
    fields = ("created_at", "side", "author", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    """Read-only: a conversation is its two parties' words; the back office looks, it does
    not rewrite them."""

    list_display = ("pk", "subject", "requester", "agent", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("subject", "requester__email")
    readonly_fields = ("requester", "agent", "status", "subject", "page", "exchange",
                       "handover", "created_at", "accepted_at", "last_activity_at", "closed_at")
    inlines = [MessageInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
