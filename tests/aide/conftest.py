import pytest
from django.db import transaction

from choeur.aide import loader
from choeur.aide.models import Article


@pytest.fixture
def articles(db):
    """The repository's articles and one per error code (idempotent: the migration loaded
    them already, unless a transactional test flushed the table)."""
    with transaction.atomic():
        loader.load()
    return Article.objects.all()


def make_article(slug, title_fr, body_fr, title_en="", body_en="", kind="TASK", key=None,
                 theme="depot", page=""):
    values = loader.Source(
        slug=slug, kind=kind, key=key or slug, theme=theme, title_fr=title_fr,
        title_en=title_en or title_fr, body_fr=body_fr, body_en=body_en or body_fr,
        page=page).values()
    return Article.objects.create(slug=slug, **values)
