from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from choeur.aide.models import Article, Rating


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Read-only: articles come from the repository and the error classes (aide/loader.py);
    an edit here would be undone by the next load."""

    list_display = ("slug", "kind", "key", "theme", "updated_at", "helped", "did_not_help")
    list_filter = ("kind", "theme", "source")
    search_fields = ("slug", "key")

    def get_queryset(self, request):
        # « Cette page vous a-t-elle aidé ? »: the readers' answers beside each article.
        return super().get_queryset(request).annotate(
            helped_count=Count("votes", filter=Q(votes__useful=True)),
            unhelped_count=Count("votes", filter=Q(votes__useful=False)))

    @admin.display(description=_("utile"), ordering="helped_count")
    def helped(self, obj):
        return obj.helped_count

    @admin.display(description=_("pas utile"), ordering="unhelped_count")
    def did_not_help(self, obj):
        return obj.unhelped_count

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    """The votes on the assistant's answers, for the help team: read only."""

    list_display = ("created_at", "intent", "useful", "question", "page")
    list_filter = ("useful", "intent")
    search_fields = ("question",)
    readonly_fields = ("user", "question", "intent", "articles", "page", "useful", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
