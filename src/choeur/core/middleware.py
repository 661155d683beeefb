from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from choeur.core import health
from choeur.core.errors import ChoeurError

HEALTHZ_PATH = "/healthz"


class HealthCheckMiddleware:
    """Answers /healthz first, before the host check, sessions and CSRF.

    Load balancers probe by IP address, which ALLOWED_HOSTS would refuse (with an error logged
    at every probe). 200 when the database answers, the schema is migrated and a worker reported
    recently; 503 otherwise, with the failing check in the JSON body.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != HEALTHZ_PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        report = health.report()
        response = JsonResponse(report, status=200 if report["status"] == "ok" else 503)
        add_never_cache_headers(response)
        # A failing probe every few seconds is the body's news, not an error for the log.
        response._has_been_logged = True
        return response


class ChoeurErrorMiddleware:
    """Renders a typed error raised by a portal view as a page with its code and message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ChoeurError):
            return None
        return render(
            request, "web/error.html", {"error": exception}, status=exception.http_status
        )
