"""Full-text search with the database's own engine (SQLite FTS5, PostgreSQL tsvector): the
same answers on both (the suite runs on each)."""

import pytest
from django.db import connection

from choeur.aide import search
from choeur.aide.errors import QueryTooLong
from choeur.aide.models import Article
from tests.aide.conftest import make_article

pytestmark = pytest.mark.django_db


def slugs(query, language="fr", limit=20):
    return [hit.article.slug for hit in search.search(query, language, limit)]


@pytest.fixture
def trio(db):
    make_article("grenouille-titre", "Élever des grenouilles vertes",
                 "Un bassin suffit. Elles mangent des mouches.",
                 title_en="Raising green frogs", body_en="A pond is enough. They eat flies.")
    make_article("grenouille-texte", "Jardin d'agrément",
                 "Des grenouilles, des grenouilles : le bassin attire les grenouilles. "
                 "Une grenouille chante le soir.",
                 title_en="Pleasure garden",
                 body_en="Frogs, frogs: the pond draws frogs. A frog sings at night.")
    make_article("sans-rapport", "Clôturer un pré", "Piquets et fil de fer barbelé.",
                 title_en="Fence a meadow", body_en="Posts and barbed wire.")


def test_the_index_is_the_database_own(trio):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM aide_article_fts WHERE aide_article_fts "
                           "MATCH 'grenouilles'")
            assert cursor.fetchone()[0] == 2
        else:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'aide_article'")
            definitions = " ".join(row[0] for row in cursor.fetchall())
            assert "USING gin (search_fr)" in definitions
            assert "USING gin (search_en)" in definitions


def test_finds_by_words_whatever_the_form_and_the_accents(trio):
    assert set(slugs("grenouilles")) == {"grenouille-titre", "grenouille-texte"}
    assert set(slugs("grenouille")) == {"grenouille-titre", "grenouille-texte"}
    assert slugs("clôturer") == ["sans-rapport"]
    assert slugs("cloturer") == ["sans-rapport"]  # no accent typed
    assert slugs("ELEVER") == ["grenouille-titre"]  # neither accent nor lower case
    assert slugs("BARBELÉ") == ["sans-rapport"]
    assert slugs("barbeles") == ["sans-rapport"]  # plural, no accent


def test_every_significant_word_must_match(trio):
    assert slugs("grenouilles mouches") == ["grenouille-titre"]
    assert slugs("comment élever des grenouilles ?") == ["grenouille-titre"]
    assert slugs("grenouilles zeppelin") == []


def test_title_matches_rank_first(trio):
    assert slugs("grenouilles") == ["grenouille-titre", "grenouille-texte"]
    assert slugs("frogs", "en") == ["grenouille-titre", "grenouille-texte"]


def test_english_searches_the_english_text(trio):
    assert slugs("meadow", "en") == ["sans-rapport"]
    assert slugs("meadow", "fr") == []
    assert slugs("clôturer", "en") == []


def test_excerpts_mark_the_words_found_and_escape_the_rest(trio):
    make_article("balises", "Balises <b>", "Le texte <script>alert(1)</script> des ouaouarons "
                 + "et encore du texte " * 40 + "ouaouarons à la fin.")
    [hit] = search.search("ouaouarons", "fr")
    assert "<mark>ouaouarons</mark>" in hit.excerpt
    assert "<script>" not in hit.excerpt and "&lt;script&gt;" in hit.excerpt
    assert hit.excerpt.endswith("…")  # a passage, not the whole text
    assert hit.title == "Balises &lt;b&gt;"
    [hit] = search.search("grenouilles mouches", "fr")
    assert hit.title == "Élever des <mark>grenouilles</mark> vertes"
    assert "<mark>mouches</mark>" in hit.excerpt


def test_the_index_follows_changes_and_deletions(trio):
    article = Article.objects.get(slug="sans-rapport")
    article.search_body_fr = "des ornithorynques"
    article.save()
    assert slugs("ornithorynques") == ["sans-rapport"]
    assert slugs("barbelé") == []
    article.delete()
    assert slugs("ornithorynques") == []


def test_an_error_code_finds_its_article_first(articles):
    assert slugs("INV_SERVICE_REQUIRED")[0] == "erreur-inv-service-required"
    assert slugs("inv_service_required")[0] == "erreur-inv-service-required"
    assert slugs("ACCOUNTS_LOCKED_OUT", "en")[0] == "erreur-accounts-locked-out"


def test_the_real_articles_answer_the_questions_users_ask(articles):
    assert slugs("comment déposer une facture")[:4] and set(slugs("déposer une facture")[:4]) & {
        "deposer-une-facture-saisie", "deposer-une-facture-pdf"}
    assert slugs("mot de passe oublié")[0] == "se-connecter-second-facteur"
    assert slugs("rattachement")[0] == "rattachement-a-une-structure"
    assert slugs("iban")[0] == "coordonnees-bancaires"
    assert slugs("matelas")[0] == "matelas-de-donnees"
    assert "creer-son-compte" in slugs("activer mon compte")[:2]
    assert "deposer-une-facture-saisie" in slugs("deposit an invoice", "en")[:4]


@pytest.mark.parametrize("query", [
    '"', '""', "'", "*", "**", "NEAR(", "NEAR(a b)", "a NEAR b", "{title_fr}: x", "^x", "-x",
    "x OR", "OR", "AND", "NOT", "(", ")", "a:b", "col:*", "\\", "%", "_", "grenouille*",
    "\x00", "\x00grenouilles", "<script>", "'; DROP TABLE aide_article; --", "é" * 200,
    "    ", "", "的", "🐸", "a" * 199 + "b",
])
def test_hostile_queries_find_nothing_or_something_never_an_error(trio, query):
    found = slugs(query)
    assert isinstance(found, list)
    assert Article.objects.filter(slug="grenouille-titre").exists()


def test_fts_syntax_is_taken_as_words(trio):
    assert set(slugs('"grenouilles"')) == {"grenouille-titre", "grenouille-texte"}
    assert slugs("grenouilles -mouches") == ["grenouille-titre"]  # a word, not a negation
    assert slugs("grenouilles OR barbelé") == []  # every word required
    assert set(slugs("grenouilles*")) == {"grenouille-titre", "grenouille-texte"}
    assert set(slugs("NEAR(grenouilles)")) <= {"grenouille-titre", "grenouille-texte"}


def test_a_query_too_long_is_a_coded_error(trio):
    with pytest.raises(QueryTooLong) as caught:
        search.search("x" * (search.MAX_QUERY + 1))
    assert caught.value.code == "AIDE_QUERY_TOO_LONG"
    assert "200" in caught.value.message("fr")


def test_the_limit_is_kept(articles):
    assert len(search.search("facture", "fr", limit=3)) == 3
    assert len(search.search("facture", "fr", limit=10_000)) <= search.MAX_LIMIT


def test_sqlite_triggers_dropped_by_a_table_rebuild_come_back_after_migrate(trio):
    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 triggers are SQLite's")
    from choeur.aide import fulltext

    with connection.cursor() as cursor:
        for name in fulltext.SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    make_article("apres-reconstruction", "Ornithorynques", "Un texte.")
    assert slugs("ornithorynques") == []  # no trigger: not indexed
    fulltext.ensure_after_migrate(sender=None, using="default")
    assert slugs("ornithorynques") == ["apres-reconstruction"]  # rebuilt
    Article.objects.filter(slug="apres-reconstruction").delete()
    assert slugs("ornithorynques") == []  # the triggers are back
