"""The help centre's pages: open to everyone, French first, English on request."""

import pytest
from django.urls import reverse

from choeur.aide import search
from tests.aide.conftest import make_article

pytestmark = pytest.mark.django_db


def test_the_index_lists_the_themes_and_the_error_codes(client, articles):
    response = client.get("/aide/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Centre d'aide" in page and "Rechercher dans l'aide" in page
    assert "Déposer une facture" in page and "Factures de travaux" in page
    assert reverse("aide:article", args=["creer-son-compte"]) in page
    assert "Codes d&#x27;erreur" in page and "/aide/erreur-inv-service-required/" in page
    assert 'data-testid="aide-results"' not in page  # no search, no results section


def test_searching_shows_marked_excerpts(client, articles):
    response = client.get("/aide/", {"q": "coordonnées bancaires iban"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="aide-results"' in page
    assert "/aide/coordonnees-bancaires/" in page
    assert "<mark>IBAN</mark>" in page


def test_no_result_is_an_answer(client, articles):
    response = client.get("/aide/", {"q": "zygomatique ornithorynque"})
    assert response.status_code == 200
    assert "0 résultat" in response.content.decode()
    assert "Aucun article ne contient tous ces mots" in response.content.decode()


@pytest.mark.parametrize("query", ['"', "NEAR(", "*", "\x00", "<script>alert(1)</script>",
                                   "' OR 1=1 --", "x" * search.MAX_QUERY])
def test_hostile_queries_never_fail(client, articles, query):
    response = client.get("/aide/", {"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.content.decode()


def test_a_query_too_long_is_refused_with_its_code(client, articles):
    response = client.get("/aide/", {"q": "x" * (search.MAX_QUERY + 1)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "AIDE_QUERY_TOO_LONG" in page and "200 caractères au plus" in page


def test_an_article_page(client, articles):
    response = client.get("/aide/deposer-une-facture-saisie/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Déposer une facture en la saisissant sur le portail</h1>" in page
    assert '<a href="/factures/deposer/">Déposer une facture</a>' in page
    assert 'data-testid="aide-page-link"' in page and 'href="/factures/deposer/"' in page
    assert "<strong>Valider et envoyer</strong>" in page


def test_an_error_article_page(client, articles):
    response = client.get("/aide/erreur-inv-service-required/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<code>INV_SERVICE_REQUIRED</code>" in page
    assert 'href="/annuaire/"' in page


def test_an_unknown_article_is_not_found(client, articles):
    response = client.get("/aide/nulle-part/")
    assert response.status_code == 404
    assert "CORE_NOT_FOUND" in response.content.decode()


def test_an_article_shows_no_raw_html(client, db):
    make_article("piege", "Piège <img src=x onerror=alert(1)>",
                 "Texte <iframe src=//evil></iframe> [lien](javascript:alert(1))")
    page = client.get("/aide/piege/").content.decode()
    assert "<img" not in page and "<iframe" not in page and "javascript:" not in page
    assert "&lt;iframe" in page


def test_qualification_pages_are_linked_on_qualification_only(client, articles, settings):
    settings.CHOEUR_ENVIRONMENT = "production"
    page = client.get("/aide/matelas-de-donnees/").content.decode()
    assert 'data-testid="aide-page-link"' not in page
    settings.CHOEUR_ENVIRONMENT = "qualification"
    page = client.get("/aide/matelas-de-donnees/").content.decode()
    assert 'data-testid="aide-page-link"' in page


def test_english_when_the_interface_is_english(client, articles):
    client.cookies["django_language"] = "en"
    page = client.get("/aide/creer-son-compte/").content.decode()
    assert "<h1>Create your account and activate it</h1>" in page
    page = client.get("/aide/", {"q": "activate account"}).content.decode()
    assert "/aide/creer-son-compte/" in page and "<mark>activate</mark>" in page


def test_the_header_offers_help_on_every_page(client, user, articles):
    assert "Besoin d'aide ?" in client.get("/").content.decode()
    client.force_login(user)
    page = client.get("/mon-compte/").content.decode()
    # The assistant's panel (aide/_assistant_panel.html) leads to the help centre too.
    panel = page.split('<details class="assistant"')[1].split("</details>")[0]
    assert '<summary class="help-link">Besoin d\'aide ?</summary>' in panel
    assert 'href="/aide/"' in panel and 'action="/aide/assistant/"' in panel
    # Not a menu entry: the main menu must stay on one line.
    nav = page.split('class="main-nav"')[1].split("</nav>")[0]
    assert "/aide/" not in nav


def test_an_article_asks_whether_it_helped(client, articles):
    from choeur.aide.models import ArticleVote

    article = articles.filter(kind="TASK").first()
    page = client.get(f"/aide/{article.slug}/").content.decode()
    assert "Cette page vous a-t-elle aidé ?" in page
    answer = client.post(f"/aide/{article.slug}/avis/", {"utile": "non"})
    assert answer.status_code == 302 and answer.url == f"/aide/{article.slug}/?avis=non#avis"
    after = client.get(answer.url).content.decode()
    assert "Merci pour votre avis." in after
    assert 'href="/contact/"' in after  # signed out: the contact form is offered
    # The same session changes its mind: one vote, now « oui ».
    client.post(f"/aide/{article.slug}/avis/", {"utile": "oui"})
    [vote] = ArticleVote.objects.all()
    assert vote.useful is True and vote.article == article and vote.user is None
    # Anything but oui / non is refused and changes nothing.
    client.post(f"/aide/{article.slug}/avis/", {"utile": "<script>"})
    assert ArticleVote.objects.get().useful is True
    assert client.post("/aide/inexistant/avis/", {"utile": "oui"}).status_code == 404
    assert client.get(f"/aide/{article.slug}/avis/").status_code == 405
