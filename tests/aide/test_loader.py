"""The articles: the written ones, one per error code, loaded idempotently."""

import pytest
from django.db import transaction
from django.urls import reverse

from choeur.aide import loader, markup
from choeur.aide.errors import ArticleInvalid
from choeur.aide.models import Article
from choeur.core import errors

pytestmark = pytest.mark.django_db


def test_every_error_code_has_its_article(articles):
    codes = {cls.code for cls in loader.error_classes()}
    # The walk finds the codes of every app, including those defined outside errors.py.
    assert {"CORE_NOT_FOUND", "ACCOUNTS_BAD_CREDENTIALS", "INV_SERVICE_REQUIRED",
            "FLUX_NOT_FOUND", "API_UNAUTHORIZED", "QUAL_QUALIFICATION_ONLY",
            "TRAV_DOSSIER_NOT_FOUND", "AIDE_QUERY_TOO_LONG"} <= codes
    assert len(codes) > 200
    by_key = {a.key: a for a in Article.objects.filter(kind=Article.Kind.ERROR)}
    assert set(by_key) == codes
    for cls in loader.error_classes():
        article = by_key[cls.code]
        assert article.slug == loader.error_slug(cls.code)
        assert article.title_fr.startswith(cls.code) and article.title_en.startswith(cls.code)
        assert f"`{cls.code}`" in article.body_fr and f"`{cls.code}`" in article.body_en
        assert f"HTTP {cls.http_status}" in article.body_fr


def test_an_error_article_says_the_message_and_what_to_do(articles):
    article = Article.objects.get(key="ACCOUNTS_LOCKED_OUT")
    assert "Votre compte est verrouillé jusqu'au … à … après … échecs" in article.body_fr
    assert "Your account is locked until" in article.body_en
    assert "## Que faire ?" in article.body_fr and "HTTP 403" in article.body_fr
    assert "Attendez la fin du verrouillage" in article.body_fr  # not « ask a habilitation »
    assert "## What to do" in article.body_en and "Wait for the end of the lock" in (
        article.body_en)


def test_a_written_error_article_completes_the_generated_one(articles):
    article = Article.objects.get(key="INV_SERVICE_REQUIRED")
    assert article.title_fr == "INV_SERVICE_REQUIRED — Le destinataire exige un code service"
    assert "**Message :**" in article.body_fr  # the generated facts first
    assert "## Trouver le code service" in article.body_fr  # then the written text
    assert article.page == "annuaire"


def test_a_new_error_code_gets_its_article_at_the_next_load(articles):
    class Brand(errors.ChoeurError):
        code = "AIDE_TEST_BRAND_NEW"
        http_status = 409
        message_fr = "Tout nouveau : {thing}."
        message_en = "Brand new: {thing}."

    try:
        with transaction.atomic():
            outcome = loader.load()
        assert outcome.created == 1
        article = Article.objects.get(key="AIDE_TEST_BRAND_NEW")
        assert "Tout nouveau : …." in article.body_fr and "HTTP 409" in article.body_fr
    finally:
        errors._registry.pop("AIDE_TEST_BRAND_NEW")
    with transaction.atomic():
        assert loader.load().removed == 1  # the code is gone: so is its article
    assert not Article.objects.filter(key="AIDE_TEST_BRAND_NEW").exists()


def test_loading_is_idempotent_and_dates_only_what_changed(articles, frozen_now):
    with transaction.atomic():
        again = loader.load()
    assert (again.created, again.updated, again.removed) == (0, 0, 0)
    assert again.unchanged == articles.count()
    article = Article.objects.get(slug="creer-son-compte")
    before = article.updated_at
    Article.objects.filter(pk=article.pk).update(title_fr="Abîmé")
    with transaction.atomic():
        outcome = loader.load()
    assert (outcome.created, outcome.updated) == (0, 1)
    article.refresh_from_db()
    assert article.title_fr == "Créer son compte et l'activer"
    assert article.updated_at != before
    Article.objects.create(slug="orpheline", kind="TASK", key="x", theme="depot",
                           source="WRITTEN", title_fr="x", title_en="x", body_fr="x",
                           body_en="x")
    with transaction.atomic():
        assert loader.load().removed == 1


def test_the_written_task_articles():
    written = [a for a in loader.written() if a.kind == "TASK"]
    assert len(written) >= 15
    for article in written:
        assert len(article.body_fr) > 300 and len(article.body_en) > 300, article.slug
        assert article.title_fr != article.title_en, article.slug


def test_every_link_and_page_of_every_article_leads_somewhere(articles):
    for article in Article.objects.all():
        for body in (article.body_fr, article.body_en):
            for target in markup.targets(body):
                assert markup.default_link(target), (article.slug, target)
                if target.startswith("aide:"):
                    assert Article.objects.filter(slug=target[5:]).exists(), target
        if article.page:
            reverse(article.page)  # a URL name without arguments


def test_the_command_reloads(articles, capsys):
    from django.core.management import call_command

    call_command("aide_charger")
    assert "0 created, 0 updated, 0 removed" in capsys.readouterr().out


@pytest.mark.parametrize("content,reason", [
    ("no front matter", "front matter"),
    ("---\nslug: x\nkey: k\ntheme: depot\ntitle_fr: a\ntitle_en: b\n---\nfrançais seul\n",
     "::: en"),
    ("---\nslug: x\nkey: k\ntheme: nowhere\ntitle_fr: a\ntitle_en: b\n---\nfr\n::: en\nen\n",
     "theme"),
    ("---\nslug: Bad Slug\nkey: k\ntheme: depot\ntitle_fr: a\ntitle_en: b\n---\nfr\n::: en\nen\n",
     "slug"),
    ("---\nslug: x\nauthor: me\n---\nfr\n::: en\nen\n", "author"),
])
def test_a_malformed_article_file_is_a_coded_error(content, reason):
    with pytest.raises(ArticleInvalid) as caught:
        loader.parse(content, "x.md")
    assert caught.value.code == "AIDE_ARTICLE_INVALID"
    assert reason in caught.value.message("en")
