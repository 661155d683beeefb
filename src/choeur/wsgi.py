"""The WSGI application gunicorn serves: Django, behind a reader of chunked request bodies."""

import json
import os
import tempfile

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "choeur.settings")

#: The largest body any operation takes (a 30 MB flux in base64 inside its JSON is ~41 MB);
#: each operation then applies its own, smaller bound as it does to a Content-Length body.
MAX_CHUNKED_BODY = 64 * 1024 * 1024
_CHUNK = 64 * 1024
_IN_MEMORY = 1024 * 1024  # larger bodies go to a temporary file


class ChunkedBodies:
    """A body sent with `Transfer-Encoding: chunked` has no Content-Length, and Django reads
    exactly Content-Length bytes of a request: it would see an empty body ("fichierFlux
    obligatoire"). gunicorn decodes the chunks and marks the stream terminated
    (`wsgi.input_terminated`); this reads it whole — at most MAX_CHUNKED_BODY, spooled to a
    temporary file past 1 MB — and hands it to Django with its length, so a chunked body is
    read, bounded and refused exactly like the same body with a Content-Length."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH") and environ.get("wsgi.input_terminated"):
            spool = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY)  # noqa: SIM115
            size = 0
            stream = environ["wsgi.input"]
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > MAX_CHUNKED_BODY:
                    spool.close()
                    return _too_large(environ, start_response)
                spool.write(chunk)
            spool.seek(0)
            environ["wsgi.input"] = spool
            environ["CONTENT_LENGTH"] = str(size)
        return self.app(environ, start_response)


def _too_large(environ, start_response):
    """413 before Django: the wire envelope for the API, a short text otherwise."""
    if environ.get("PATH_INFO", "").startswith(("/cpro/", "/api/")):
        from choeur.api.errors import BodyTooLarge, envelope

        body = json.dumps(envelope(BodyTooLarge()), ensure_ascii=False).encode()
        content_type = "application/json"
    else:
        body, content_type = "Requête trop volumineuse.\n".encode(), "text/plain; charset=utf-8"
    start_response("413 Content Too Large", [("Content-Type", content_type),
                                             ("Content-Length", str(len(body))),
                                             ("Connection", "close")])
    return [body]


application = ChunkedBodies(get_wsgi_application())
