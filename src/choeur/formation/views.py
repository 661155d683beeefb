"""« Formation »: the course's guides, one a module, open to everyone (signed in or not), as
the help centre is."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from choeur.formation import guides


@require_safe
def index(request):
    return render(request, "formation/index.html", {"guides": guides.all_guides()})


@require_safe
def guide(request, slug):
    found = guides.guide(slug)
    if found is None:
        raise Http404
    ordered = guides.all_guides()
    position = ordered.index(found)
    return render(request, "formation/guide.html", {
        "guide": found, "title": found.title(), "body": found.render(),
        "previous": ordered[position - 1] if position > 0 else None,
        "next": ordered[position + 1] if position + 1 < len(ordered) else None,
    })
