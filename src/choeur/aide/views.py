"""« Besoin d'aide ? »: the help centre's pages, open to everyone (signed in or not)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_safe

from choeur.aide import markup, queries, search
from choeur.aide.errors import AideError
from choeur.aide.models import Article

RESULTS = 20


@require_safe
def index(request):
    english = Article.english()
    query = request.GET.get("q", "")
    hits, error, status = None, None, 200
    if query.strip():
        try:
            hits = search.search(query, limit=RESULTS)
        except AideError as exc:
            error, status = exc, 400
    return render(request, "aide/index.html", {
        "query": query, "hits": hits, "error": error,
        # The articles by theme on the index only: a search answers with its results.
        "sections": [] if hits is not None else queries.sections(english), "english": english,
        "max_query": search.MAX_QUERY,
    }, status=status)


@require_safe
def article(request, slug):
    found = queries.article(slug)
    return render(request, "aide/article.html", {
        "article": found, "title": found.title(), "body": markup.render(found.body()),
        "page_url": queries.page_url(found),
    })
