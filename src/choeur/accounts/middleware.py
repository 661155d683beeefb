"""The second factor is checked on every request, not only at login.

A user who must have a second factor (one they enabled, or one their structure requires)
and whose session never passed one is sent to the code page (or the set-up page when they
have no factor yet) from every portal page but the few that let them pass it or leave.
Add it right after Django's AuthenticationMiddleware.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse

from choeur.accounts import policy

# URL names of the pages a user who must pass the second factor may still open.
EXEMPT_NAMES = ("logout", "login-code", "login-setup", "account-second-factor",
                "set_language")
EXEMPT_PREFIXES = ("/healthz",)


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt: tuple[str, ...] | None = None

    def _exempt_paths(self) -> tuple[str, ...]:
        if self._exempt is None:
            paths = [reverse(name) for name in EXEMPT_NAMES]
            if settings.STATIC_URL:
                paths.append(settings.STATIC_URL if settings.STATIC_URL.startswith("/")
                             else "/" + settings.STATIC_URL)
            self._exempt = (*paths, *EXEMPT_PREFIXES)
        return self._exempt

    def _is_exempt(self, path: str) -> bool:
        for exempt in self._exempt_paths():
            if exempt.endswith("/") and path.startswith(exempt):
                return True
            if path == exempt:
                return True
        return False

    def __call__(self, request):
        if not self._is_exempt(request.path_info) and policy.needs_step_up(request):
            user = request.user
            target = reverse("login-code" if policy.has_second_factor(user) else "login-setup")
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(target)
        return self.get_response(request)
