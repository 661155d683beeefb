from django.shortcuts import render

from choeur.core.errors import ChoeurError


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
