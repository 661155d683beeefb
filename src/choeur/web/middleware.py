from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import add_never_cache_headers


class FrenchFirstLocaleMiddleware(LocaleMiddleware):
    """French unless the user chose another language with the switcher.

    Chorus Pro is a French public service: a browser set to English does not switch the
    portal by itself (Accept-Language is ignored); the language cookie set by the switcher does.
    """

    def process_request(self, request):
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if code not in dict(settings.LANGUAGES):
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = translation.get_language()


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # The Django admin sets a few style attributes inline; styles cannot run code.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Only the portal's own scripts, styles and images: no inline script, no third party."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class PrivateAnswersMiddleware:
    """An answer meant for one signed-in user, or for one API caller, is never stored by a
    browser or a proxy (`Cache-Control: no-store`): an invoice, a bank account or a search
    result must not survive in a shared cache or on a shared computer's disk. Pages that say
    otherwise (none today) would set their own header first."""

    PRIVATE_PREFIXES = ("/cpro/", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" in response:
            return response
        user = getattr(request, "user", None)
        if request.path.startswith(self.PRIVATE_PREFIXES) or (
                user is not None and user.is_authenticated):
            add_never_cache_headers(response)
        return response
