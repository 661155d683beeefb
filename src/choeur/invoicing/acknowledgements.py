"""The rejections and suspensions a supplier must take note of (Chorus Pro's pop-up).

At the first page after a login, a user who may act on unacknowledged rejections or
suspensions is shown them once (and may put them off); one left unacknowledged for more than
7 days must be acknowledged before any other page opens. The middleware only asks the
database when it must: right after a login, then at most every CHECK_EVERY while the session
lasts (an invoice may become overdue during a long session), and on every page while the user
is blocked.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpResponseRedirect
from django.urls import reverse

from choeur.core import clock
from choeur.invoicing import services

PROMPT = "invoicing.ack_prompt"  # set at login: show the pending ones once
BLOCKED = "invoicing.ack_blocked"  # an overdue one exists: nothing else opens
CHECKED_AT = "invoicing.ack_checked_at"
CHECK_EVERY = timedelta(minutes=5)
EXEMPT_NAMES = ("invoicing:acknowledgements", "logout", "set_language", "login-code",
                "login-setup")
#: The API and flux channels have no pages to interrupt; static files and probes neither.
EXEMPT_PREFIXES = ("/healthz", "/cpro/", "/api/", "/admin/")
#: An invoice's own page and files stay readable: the user reads the reason before acting.
READABLE = re.compile(
    r"^/factures/emises/\d+/(facture/|xml/|certificat-de-depot/|pieces-jointes/\d+/)?$")
#: The one action a blocked user may post, besides the acknowledgement page's own.
ACKNOWLEDGE = re.compile(r"^/factures/emises/\d+/acquitter/$")


@receiver(user_logged_in)
def _prompt_at_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[PROMPT] = True
        request.session.pop(CHECKED_AT, None)


def pending(user):
    return services.pending_acknowledgements(user)


def overdue(user):
    return pending(user).filter(
        status_changed_at__lt=clock.now() - services.ACKNOWLEDGEMENT_DELAY)


class AcknowledgementMiddleware:
    """Sends the user to the acknowledgement page when they must see it (after
    AuthenticationMiddleware and the second factor's middleware)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt: tuple[str, ...] | None = None

    def _is_exempt(self, path: str) -> bool:
        if self._exempt is None:
            static = settings.STATIC_URL or ""
            self._exempt = (*(reverse(name) for name in EXEMPT_NAMES), *EXEMPT_PREFIXES,
                            *((static if static.startswith("/") else "/" + static,)
                              if static else ()))
        return bool(READABLE.match(path)) or any(
            path.startswith(p) if p.endswith("/") else path == p for p in self._exempt)

    def __call__(self, request):
        if not request.user.is_authenticated or self._is_exempt(request.path_info):
            return self.get_response(request)
        target = reverse("invoicing:acknowledgements")
        if request.method in ("GET", "HEAD"):
            if self._must_show(request):
                return HttpResponseRedirect(
                    f"{target}?{urlencode({'next': request.get_full_path()})}")
        elif not ACKNOWLEDGE.match(request.path_info) and self._blocked(request):
            # An open tab or a script may not act either (the acknowledgement itself may).
            return HttpResponseRedirect(target, status=303)
        return self.get_response(request)

    def _must_show(self, request) -> bool:
        session = request.session
        if not session.get(BLOCKED) and session.get(PROMPT):
            session.pop(PROMPT)
            session[CHECKED_AT] = clock.now().isoformat()
            if pending(request.user).exists():
                session[BLOCKED] = overdue(request.user).exists()
                return True
            return False
        return self._blocked(request)

    def _blocked(self, request) -> bool:
        session = request.session
        if session.get(BLOCKED):
            return True
        checked = session.get(CHECKED_AT)
        now = clock.now()
        if checked and now - datetime.fromisoformat(checked) < CHECK_EVERY:
            return False
        session[CHECKED_AT] = now.isoformat()
        if overdue(request.user).exists():
            session[BLOCKED] = True
            return True
        return False


def release(request) -> bool:
    """After an acknowledgement or "later": is the user still blocked?"""
    blocked = overdue(request.user).exists()
    request.session.pop(PROMPT, None)  # seen: once per login is enough
    request.session[BLOCKED] = blocked
    request.session[CHECKED_AT] = clock.now().isoformat()
    return blocked
