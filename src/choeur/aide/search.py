"""Full-text search of the help articles: `search(query, language, limit)`.

The database's own engine answers (aide/fulltext.py). The query given to it is the user's
significant words only (letters and digits, folded: never engine syntax, every word
required): quoted prefixes for FTS5, plain words for `websearch_to_tsquery`, so that quotes,
`NEAR(`, `*` or `-` mean nothing on either and both databases answer alike. The highlighted
excerpt of each result is built in Python from the article's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from choeur.aide import fulltext, markup, text
from choeur.aide.errors import QueryTooLong
from choeur.aide.models import Article

MAX_QUERY = 200
MAX_LIMIT = 100
EXCERPT_WORDS = 30
_INDEXED = ("search_title_fr", "search_body_fr", "search_title_en", "search_body_en")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+")


@dataclass(frozen=True)
class Hit:
    article: Article
    title: SafeString  # the title, its matching words in <mark>
    excerpt: SafeString  # a passage of the text around the matching words, marked likewise


def language_of(language: str | None) -> str:
    return "en" if Article.english(language) else "fr"


def search(query: str, language: str | None = None, limit: int = 20) -> list[Hit]:
    """The articles that hold every significant word of `query`, best first. An empty or
    meaningless query finds nothing; a query longer than MAX_QUERY is a coded error."""
    query = _CONTROL.sub(" ", query or "").strip()
    if len(query) > MAX_QUERY:
        raise QueryTooLong(limit=MAX_QUERY)
    lang = language_of(language)
    limit = max(1, min(int(limit), MAX_LIMIT))
    prefixes = text.terms(query)
    ids: list[int] = []
    if _CODE.fullmatch(query):  # an error code typed as it was shown: its article first
        ids = list(Article.objects.filter(key=query.upper()).values_list("id", flat=True))
    if prefixes:
        found = (_sqlite if connection.vendor == "sqlite" else _postgresql)(
            query, prefixes, lang, limit)
        ids += [pk for pk in found if pk not in ids]
    articles = Article.objects.defer(*_INDEXED).in_bulk(ids[:limit])
    return [_hit(articles[pk], prefixes, lang) for pk in ids[:limit] if pk in articles]


# A task article (how to do something) weighs twice an error code's: the words of a question
# appear in many error messages too. An error code typed as such still comes first (search).
_TASK_BOOST = "(CASE WHEN a.kind = 'TASK' THEN 2.0 ELSE 1.0 END)"
_FTS = fulltext.FTS_TABLE
# bm25 is lower for better matches; the title weighs ten times the text.
_SQLITE = (
    f"SELECT a.id FROM {_FTS} JOIN aide_article a ON a.id = {_FTS}.rowid "  # noqa: S608
    f"WHERE {_FTS} MATCH %s "
    f"ORDER BY bm25({_FTS}, 10.0, 1.0, 10.0, 1.0) * {_TASK_BOOST}, a.id LIMIT %s")
_POSTGRESQL = {
    lang: (f"SELECT a.id FROM aide_article a, websearch_to_tsquery('{config}', %s) q "  # noqa: S608
           f"WHERE a.search_{lang} @@ q ORDER BY "
           f"ts_rank('{fulltext.PG_WEIGHTS}', a.search_{lang}, q) * {_TASK_BOOST} DESC, a.id "
           f"LIMIT %s")
    for lang, config in fulltext.PG_CONFIGS.items()
}


def _sqlite(query: str, prefixes: list[str], lang: str, limit: int) -> list[int]:
    # Terms are letters and digits only (text.terms): quoted, they are never FTS5 syntax.
    match = (f"{{search_title_{lang} search_body_{lang}}} : ("
             + " AND ".join(f'"{p}"*' for p in prefixes) + ")")
    with connection.cursor() as cursor:
        cursor.execute(_SQLITE, [match, limit])
        return [row[0] for row in cursor.fetchall()]


def _postgresql(query: str, prefixes: list[str], lang: str, limit: int) -> list[int]:
    with connection.cursor() as cursor:
        # The words only: quotes, « or » and « - » would mean something to
        # websearch_to_tsquery and nothing to FTS5; both databases answer alike.
        cursor.execute(_POSTGRESQL[lang], [" ".join(text.significant(query)), limit])
        return [row[0] for row in cursor.fetchall()]


def _hit(article: Article, prefixes: list[str], lang: str) -> Hit:
    return Hit(article, highlight(article.title(lang), prefixes),
               excerpt(markup.plain(article.body(lang)), prefixes))


_TOKEN = re.compile(r"[^\W_]+")


def _matches(word: str, prefixes: list[str]) -> bool:
    folded = text.fold_word(word)
    return any(folded.startswith(p) for p in prefixes)


def highlight(value: str, prefixes: list[str]) -> SafeString:
    out, position = [], 0
    for token in _TOKEN.finditer(value):
        if _matches(token.group(), prefixes):
            out.append(escape(value[position:token.start()]))
            out.append(f"<mark>{escape(token.group())}</mark>")
            position = token.end()
    out.append(escape(value[position:]))
    return mark_safe("".join(out))  # noqa: S308 (every piece escaped)


def excerpt(body: str, prefixes: list[str], size: int = EXCERPT_WORDS) -> SafeString:
    """The window of `size` words holding the most distinct query terms, marked."""
    body = " ".join(body.split())
    tokens = list(_TOKEN.finditer(body))
    if not tokens:
        return mark_safe("")
    hits: list[str | None] = []
    for token in tokens:
        folded = text.fold_word(token.group())
        hits.append(next((p for p in prefixes if folded.startswith(p)), None))
    # A sliding window: the count of each term inside it, kept as the window moves.
    counts: dict[str, int] = {}
    for term in hits[:size]:
        if term:
            counts[term] = counts.get(term, 0) + 1
    best, best_score = 0, len(counts)
    for start in range(1, max(1, len(tokens) - size + 1)):
        leaving, entering = hits[start - 1], hits[start + size - 1]
        if leaving:
            counts[leaving] -= 1
            if not counts[leaving]:
                del counts[leaving]
        if entering:
            counts[entering] = counts.get(entering, 0) + 1
        if len(counts) > best_score:
            best, best_score = start, len(counts)
    end = min(len(tokens), best + size)
    begin_at = tokens[best].start() if best else 0
    end_at = tokens[end - 1].end() if end < len(tokens) else len(body)
    marked = highlight(body[begin_at:end_at], prefixes)
    return mark_safe(("… " if best else "") + marked + (" …" if end < len(tokens) else ""))  # noqa: S308
