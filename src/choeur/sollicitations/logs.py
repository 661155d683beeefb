"""A logging filter of the settings' LOGGING: a logged-out sender's follow-up token
(`/contact/suivi/<token>/`, followup.py) is a secret in a URL, and Django's loggers write
request paths (a refused CSRF check, a server error, the development server's request
lines). The token is replaced by « … » in any record they write. (Imports nothing of the
app: the settings' logging is configured before the apps are loaded.)"""

from __future__ import annotations

import logging
import re

TOKEN_IN_PATH = re.compile(r"(/contact/suivi/)[^/\s\"'?#]+")


def redact(text: str) -> str:
    return TOKEN_IN_PATH.sub(r"\1…", text)


class RedactFollowupTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/contact/suivi/" in message:
            record.msg, record.args = redact(message), ()
        return True
