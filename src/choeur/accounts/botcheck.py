"""The registration form's bot check: offline, accessible, no third party.

A simple sum written in words (« Combien font trois plus quatre ? »). The hidden token carries
only a random nonce, its issue time (Choeur's clock: 30 minutes to answer) and a keyed hash
(HMAC with the site's secret key) of the nonce, the time and the expected answer: the answer
cannot be read from the page, nor the time changed. A token is accepted once: its nonce is
recorded when it is presented, right or wrong answer (a bot may not try every sum with one
token). A honeypot field, hidden from people and screen readers, must stay empty.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from choeur.core import clock
from choeur.core.errors import ChoeurError

SALT = "choeur.accounts.botcheck"
MAX_AGE_SECONDS = 30 * 60
CLOCK_SKEW_SECONDS = 60
TOKEN_RE = re.compile(r"^([A-Za-z0-9_-]{16,43})\.([0-9]{1,12})\.([0-9a-f]{64})$")

NUMBERS_FR = ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf",
              "dix", "onze", "douze", "treize", "quatorze", "quinze", "seize", "dix-sept",
              "dix-huit"]


class BotCheckFailed(ChoeurError):
    code = "ACCOUNTS_BOT_CHECK_FAILED"
    message_fr = "La réponse à la question de vérification est incorrecte."
    message_en = "The answer to the verification question is wrong."
    field = "bot_answer"


class BotCheckExpired(ChoeurError):
    code = "ACCOUNTS_BOT_CHECK_EXPIRED"
    message_fr = ("La question de vérification a expiré (30 minutes) : répondez à la "
                  "nouvelle question.")
    message_en = "The verification question expired (30 minutes): answer the new one."
    field = "bot_answer"


class BotCheckUsed(ChoeurError):
    code = "ACCOUNTS_BOT_CHECK_USED"
    message_fr = ("Cette question de vérification a déjà servi : répondez à la nouvelle "
                  "question.")
    message_en = "This verification question was already used: answer the new one."
    field = "bot_answer"


@dataclass(frozen=True)
class Challenge:
    question: str
    token: str


def _digest(nonce: str, issued: int, answer: int) -> str:
    return salted_hmac(SALT, f"{nonce}:{issued}:{answer}", algorithm="sha256").hexdigest()


def new_challenge() -> Challenge:
    a = secrets.randbelow(9) + 1
    b = secrets.randbelow(9) + 1
    nonce = secrets.token_urlsafe(16)
    issued = int(clock.untravelled_now().timestamp())
    token = f"{nonce}.{issued}.{_digest(nonce, issued, a + b)}"
    return Challenge(question=f"Combien font {NUMBERS_FR[a]} plus {NUMBERS_FR[b]} ?", token=token)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().replace("-", " ").split())


def _as_number(answer: str) -> int | None:
    answer = _normalise(answer)
    if answer.isdigit() and len(answer) <= 3:
        return int(answer)
    words = {_normalise(word): value for value, word in enumerate(NUMBERS_FR)}
    return words.get(answer)


def _use_nonce(nonce: str) -> bool:
    """Record the nonce; False if it was already recorded. Committed at once when called
    outside a transaction (the portal view does), so a refused registration still uses it."""
    now = clock.untravelled_now()
    oldest = now - timedelta(seconds=MAX_AGE_SECONDS + 2 * CLOCK_SKEW_SECONDS)
    from choeur.accounts.models import UsedBotCheckNonce

    try:
        with transaction.atomic():
            UsedBotCheckNonce.objects.filter(used_at__lt=oldest).delete()
            UsedBotCheckNonce.objects.create(nonce=nonce, used_at=now)
    except IntegrityError:
        return False
    return True


def verify(token: str, answer: str, honeypot: str = "") -> None:
    """Raise BotCheckFailed / BotCheckExpired / BotCheckUsed unless a person answered in
    time, with a token never presented before."""
    if (honeypot or "").strip():
        raise BotCheckFailed()
    match = TOKEN_RE.fullmatch(token or "")
    if match is None:
        raise BotCheckExpired()
    nonce, issued = match.group(1), int(match.group(2))
    # The time is only trusted once the hash proves it is ours: compare with every possible
    # answer's hash, all of them (stopping at the match would time the answer).
    matches = [constant_time_compare(match.group(3), _digest(nonce, issued, value))
               for value in range(len(NUMBERS_FR))]
    if not any(matches):
        raise BotCheckExpired()
    age = clock.untravelled_now().timestamp() - issued
    if age > MAX_AGE_SECONDS or age < -CLOCK_SKEW_SECONDS:
        raise BotCheckExpired()
    if not _use_nonce(nonce):
        raise BotCheckUsed()
    expected = _as_number(answer)
    if expected is None or not constant_time_compare(match.group(3),
                                                     _digest(nonce, issued, expected)):
        raise BotCheckFailed()

