"""The help centre's read side: the index by theme, one article, its portal page."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from choeur.aide import themes
from choeur.aide.models import Article
from choeur.core.errors import NotFound


@dataclass(frozen=True)
class Section:
    theme: themes.Theme
    label: str
    articles: list[Article]


def sections(english: bool) -> list[Section]:
    """The task articles by theme, in the themes' order; the error codes last."""
    by_theme: dict[str, list[Article]] = {}
    for article in Article.objects.defer(
            "body_fr", "body_en", "search_title_fr", "search_body_fr", "search_title_en",
            "search_body_en"):
        by_theme.setdefault(article.theme, []).append(article)
    return [Section(theme, theme.label(english), by_theme[theme.slug])
            for theme in themes.THEMES if by_theme.get(theme.slug)]


def article(slug: str) -> Article:
    found = Article.objects.filter(slug=slug).first()
    if found is None:
        raise NotFound(object_label="Article")
    return found


def page_url(article: Article) -> str | None:
    """The portal page the article leads to, when it is one this instance serves."""
    if not article.page:
        return None
    if article.page.startswith("qualification:") and (
            settings.CHOEUR_ENVIRONMENT != "qualification"):
        return None
    try:
        return reverse(article.page)
    except NoReverseMatch:
        return None
