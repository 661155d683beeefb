"""The help centre's use cases: loading the articles, and the assistant's (asking, re-sending
an activation link, rating an answer). The caller owns the transaction."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from choeur.aide import assistant, loader
from choeur.aide.errors import EmailInvalid, ExchangeNotFound, RatingInvalid
from choeur.aide.models import Article, ArticleVote, Rating
from choeur.core import clock

#: How long a rating (a question as its user typed it) is kept: thirteen months, enough for
#: the help team to compare a year with the last, no more (docs/SOLLICITATIONS.md).
RATINGS_KEPT = timedelta(days=395)


def reload_articles() -> loader.Outcome:
    """Bring the articles to what the repository and the error classes hold (idempotent).
    The caller owns the transaction."""
    return loader.load()


def ask(actor, question: str, state: dict, *, page: str = "",
        language: str | None = None) -> assistant.Answer:
    """Answer `question` for `actor` (a user, possibly anonymous) and keep the exchange in
    `state` (the session's). A signed-out user asking for the activation e-mail with an
    address in the question gets the link re-sent (resend_activation). A bad question is a
    coded error and `state` is left as it was."""
    answer = assistant.answer(question, actor, language)
    if answer.intent == assistant.ACTIVATION and not actor.is_authenticated:
        email = assistant.email_in(answer.question)
        if email:
            resend_activation(actor, email)
    assistant.remember(state, answer, page)
    return answer


def resend_activation(actor, email: str) -> None:
    """The accounts' re-sending of an activation link, with its throttling and its silence:
    nothing tells whether the address has an account."""
    from choeur.accounts import services as accounts

    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise EmailInvalid() from None
    if actor.is_authenticated:
        return  # a signed-in account is active: there is no link to re-send
    accounts.resend_activation(actor, email)


def rate(actor, state: dict, number, useful: str) -> Rating:
    """Record a vote (`useful`: « oui » or « non ») on one answer of this session's exchange;
    a second vote on it replaces the first. An answer not in `state` is not found: nobody
    rates another's answer."""
    if useful not in ("oui", "non"):
        raise RatingInvalid()
    useful = useful == "oui"
    entry = assistant.exchange_entry(state, number)
    if entry is None:
        raise ExchangeNotFound()
    values = {
        "user": actor if actor.is_authenticated else None, "question": entry["question"],
        "intent": entry["intent"], "articles": ",".join(entry["articles"])[:500],
        "page": entry.get("page", "")[:300], "useful": bool(useful)}
    rating = Rating.objects.filter(pk=entry.get("rating")).first() if entry.get("rating") \
        else None
    if rating is None:
        rating = Rating.objects.create(**values)
    else:
        for name, value in values.items():
            setattr(rating, name, value)
        rating.save()
    entry["rating"] = rating.pk
    return rating


def vote(actor, article: Article, useful: str, votes: dict) -> ArticleVote:
    """« Cette page vous a-t-elle aidé ? »: `useful` is « oui » or « non »; `votes` (the
    session's: article id → vote id) makes a second vote of the same session replace its
    first."""
    if useful not in ("oui", "non"):
        raise RatingInvalid()
    values = {"user": actor if actor.is_authenticated else None, "useful": useful == "oui",
              "created_at": clock.now()}
    earlier = votes.get(str(article.pk))
    found = ArticleVote.objects.filter(pk=earlier, article=article).first() if earlier else None
    if found is None:
        found = ArticleVote.objects.create(article=article, **values)
    else:
        ArticleVote.objects.filter(pk=found.pk).update(**values)
    votes[str(article.pk)] = found.pk
    return found


def purge_ratings() -> int:
    """Delete the assistant's ratings and the articles' votes older than `RATINGS_KEPT`;
    return how many. The caller owns the transaction."""
    since = clock.now() - RATINGS_KEPT
    deleted, _per_model = Rating.objects.filter(created_at__lt=since).delete()
    votes, _per_model = ArticleVote.objects.filter(created_at__lt=since).delete()
    return deleted + votes
