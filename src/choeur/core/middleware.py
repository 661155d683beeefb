from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

from choeur.core import health, outage
from choeur.core.errors import ChoeurError, DatabaseUnavailable, StorageUnavailable

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
        if outage.is_outage(exception) or outage.is_storage_outage(exception):
            return unavailable_page(request, exception)
        if not isinstance(exception, ChoeurError):
            return None
        return render(
            request, "web/error.html", {"error": exception}, status=exception.http_status
        )


def unavailable_page(request, exc: BaseException | None = None) -> HttpResponse:
    """503 while the database (or the object store) cannot be reached: a page that reads
    nothing from the database (no context processor, no user, no session), with
    `Retry-After`."""
    storage = outage.is_storage_outage(exc)
    outage.logger.warning("%s %s: %s unavailable", request.method, request.path,
                          "storage" if storage else "database")
    error = (StorageUnavailable if storage else DatabaseUnavailable)(
        retry_after=outage.RETRY_AFTER)
    response = HttpResponse(render_to_string("core/unavailable.html",
                                             {"code": error.code, "storage": storage}),
                            status=503)
    response["Retry-After"] = str(error.retry_after)
    add_never_cache_headers(response)
    response._has_been_logged = True  # logged above, once, without a stack trace
    return response
