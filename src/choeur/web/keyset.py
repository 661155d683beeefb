"""Keyset pagination of the portal's long lists: pages follow a cursor (the last row's
timestamp and id) instead of an OFFSET, and nothing counts the rows — a list of a million
invoices costs what its first page costs."""

from __future__ import annotations

import re

from django.db.models import Q

from choeur.core import clock

PARAMETER = "apres"  # the cursor's query parameter


def cursor(row, field: str) -> str:
    return f"{clock.micros(getattr(row, field))}-{row.pk}"


def after(queryset, field: str, value: str):
    """The rows after `value` in the order (-field, -pk). `field <= at` is implied by the
    rest, and said for the database: it bounds the index scan, which then starts at the cursor
    instead of at the newest row (an OR of two ranges is only a filter)."""
    match = re.fullmatch(r"(\d{1,18})-(\d{1,18})", value or "")
    if not match:
        return queryset
    try:
        at = clock.from_micros(int(match[1]))
    except OverflowError:  # past the calendar: a forged cursor, the first page then
        return queryset
    return queryset.filter(Q(**{f"{field}__lte": at}),
                           Q(**{f"{field}__lt": at}) | Q(pk__lt=int(match[2])))


def page(request, queryset, field: str, size: int) -> dict:
    """One page of `queryset` in the order (-field, -pk) after the request's cursor, with the
    query strings of the next and first pages, for `_pager.html`-like templates."""
    rows = list(after(queryset, field, request.GET.get(PARAMETER, ""))
                .order_by(f"-{field}", "-pk")[:size + 1])
    next_query = None
    if len(rows) > size:
        rows = rows[:size]
        query = request.GET.copy()
        query[PARAMETER] = cursor(rows[-1], field)
        next_query = query.urlencode()
    first_query = request.GET.copy()
    first_query.pop(PARAMETER, None)
    return {"rows": rows, "next_query": next_query, "first_query": first_query.urlencode(),
            "is_first_page": PARAMETER not in request.GET}
