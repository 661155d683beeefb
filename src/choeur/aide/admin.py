from django.contrib import admin

from choeur.aide.models import Article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Read-only: articles come from the repository and the error classes (aide/loader.py);
    an edit here would be undone by the next load."""

    list_display = ("slug", "kind", "key", "theme", "updated_at")
    list_filter = ("kind", "theme", "source")
    search_fields = ("slug", "key")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
