"""The registration form's bot check: offline, accessible, no third party.

A simple sum written in words (« Combien font trois plus quatre ? »); the expected answer
travels in a hidden field, signed with the site's key and stamped with Choeur's clock (30
minutes to answer). A honeypot field, hidden from people and screen readers, must stay empty.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass

from django.core import signing

from choeur.core import clock
from choeur.core.errors import ChoeurError

SALT = "choeur.accounts.botcheck"
MAX_AGE_SECONDS = 30 * 60

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


@dataclass(frozen=True)
class Challenge:
    question: str
    token: str


def new_challenge() -> Challenge:
    a = secrets.randbelow(9) + 1
    b = secrets.randbelow(9) + 1
    payload = {"a": a + b, "t": int(clock.now().timestamp()), "n": secrets.token_hex(4)}
    token = signing.dumps(payload, salt=SALT, compress=False)
    return Challenge(question=f"Combien font {NUMBERS_FR[a]} plus {NUMBERS_FR[b]} ?", token=token)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().replace("-", " ").split())


def _as_number(answer: str) -> int | None:
    answer = _normalise(answer)
    if answer.isdigit():
        return int(answer)
    words = {_normalise(word): value for value, word in enumerate(NUMBERS_FR)}
    return words.get(answer)


def verify(token: str, answer: str, honeypot: str = "") -> None:
    """Raise BotCheckFailed / BotCheckExpired unless a person answered in time."""
    if (honeypot or "").strip():
        raise BotCheckFailed()
    try:
        payload = signing.loads(token or "", salt=SALT)
        expected, issued = int(payload["a"]), int(payload["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise BotCheckExpired() from None
    age = clock.now().timestamp() - issued
    if age > MAX_AGE_SECONDS or age < -60:
        raise BotCheckExpired()
    if _as_number(answer) != expected:
        raise BotCheckFailed()
