"""Help articles (docs/SOLLICITATIONS.md, « Help centre »).

Written articles come from `aide/articles/*.md`; one article per error code is generated
from the error classes (`aide/loader.py`). The full-text index is the database's own, outside
the model's state (migration 0001): on SQLite an FTS5 table `aide_article_fts` kept by
triggers, on PostgreSQL the generated `tsvector` columns `search_fr` / `search_en` with GIN
indexes. Both index the `search_*` fields: the text folded (`aide/text.py`).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from choeur.core import clock


class Article(models.Model):
    class Kind(models.TextChoices):
        TASK = "TASK", _("Tâche")
        ERROR = "ERROR", _("Code d'erreur")

    class Source(models.TextChoices):
        WRITTEN = "WRITTEN", _("Écrit")
        GENERATED = "GENERATED", _("Généré depuis les erreurs")

    slug = models.SlugField(_("identifiant"), max_length=100, unique=True)
    kind = models.CharField(_("nature"), max_length=8, choices=Kind.choices)
    key = models.CharField(_("tâche ou code d'erreur"), max_length=100, db_index=True)
    theme = models.CharField(_("thème"), max_length=40)
    position = models.PositiveIntegerField(_("ordre dans le thème"), default=100)
    page = models.CharField(_("page du portail (nom d'URL)"), max_length=100, blank=True)
    source = models.CharField(_("origine"), max_length=10, choices=Source.choices)
    title_fr = models.CharField(_("titre (français)"), max_length=300)
    title_en = models.CharField(_("titre (anglais)"), max_length=300)
    body_fr = models.TextField(_("texte (français, Markdown)"))
    body_en = models.TextField(_("texte (anglais, Markdown)"))
    # What the full-text index reads: title and text without markup, folded (aide/text.py).
    search_title_fr = models.TextField(editable=False, default="")
    search_body_fr = models.TextField(editable=False, default="")
    search_title_en = models.TextField(editable=False, default="")
    search_body_en = models.TextField(editable=False, default="")
    updated_at = models.DateTimeField(_("mis à jour le"), default=clock.now)

    class Meta:
        ordering = ["theme", "position", "slug"]
        verbose_name = _("article d'aide")
        verbose_name_plural = _("articles d'aide")

    def __str__(self) -> str:
        return self.slug

    @staticmethod
    def english(language: str | None = None) -> bool:
        return (language or get_language() or "fr").startswith("en")

    def title(self, language: str | None = None) -> str:
        return self.title_en if self.english(language) else self.title_fr

    def body(self, language: str | None = None) -> str:
        return self.body_en if self.english(language) else self.body_fr


class Rating(models.Model):
    """A vote on one of the assistant's answers (useful or not), for the help team: the
    question as asked, what the assistant understood and the articles it offered."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+", verbose_name=_("utilisateur"))
    question = models.TextField(_("question"))
    intent = models.CharField(_("intention comprise"), max_length=20)
    articles = models.CharField(_("articles proposés"), max_length=500, blank=True)
    page = models.CharField(_("page d'où la question a été posée"), max_length=300,
                            blank=True)
    useful = models.BooleanField(_("réponse utile"))
    created_at = models.DateTimeField(_("le"), default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"], name="aide_rating_created")]
        verbose_name = _("avis sur une réponse de l'assistant")
        verbose_name_plural = _("avis sur les réponses de l'assistant")

    def __str__(self) -> str:
        return f"{self.intent} {'+' if self.useful else '-'}"


class ArticleVote(models.Model):
    """« Cette page vous a-t-elle aidé ? » on an article, for the help team: which articles
    leave their readers without an answer. One per article and browser session (a second
    vote replaces the first); kept as long as the assistant's ratings."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+", verbose_name=_("utilisateur"))
    useful = models.BooleanField(_("page utile"))
    created_at = models.DateTimeField(_("le"), default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"], name="aide_vote_created")]
        verbose_name = _("avis sur un article")
        verbose_name_plural = _("avis sur les articles")

    def __str__(self) -> str:
        return f"{self.article_id} {'+' if self.useful else '-'}"
