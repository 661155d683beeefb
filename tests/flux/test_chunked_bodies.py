"""Issue 14, section A: a body sent with `Transfer-Encoding: chunked` (no Content-Length) is
read, and bounded, as the same body with a Content-Length is (choeur.wsgi.ChunkedBodies)."""

from __future__ import annotations

import base64
import io
import json
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from choeur import wsgi
from tests.api.conftest import JSON
from tests.flux.conftest import tar_gz

pytestmark = pytest.mark.django_db


class Reader(io.RawIOBase):
    """gunicorn's decoded chunked stream: reads return at most a chunk, then b''."""

    def __init__(self, data: bytes, chunk: int = 1000):
        self.data, self.chunk = data, chunk

    def read(self, size=-1):
        size = self.chunk if size is None or size < 0 else min(size, self.chunk)
        part, self.data = self.data[:size], self.data[size:]
        return part


def call(path: str, body: bytes, headers: dict, *, chunked=True):
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "SERVER_NAME": "localhost",
               "HTTP_HOST": "localhost", "CONTENT_TYPE": JSON, "wsgi.input": Reader(body)}
    setup_testing_defaults(environ)
    if chunked:
        environ.update({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True})
    else:
        environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    # As Django's test client does: the test's transaction must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = wsgi.application(environ, start_response)
        content = b"".join(response)
        if hasattr(response, "close"):
            response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], content


def test_a_chunked_flux_deposit_is_read(wire, invoice_file):
    batch = tar_gz([("FA-1.xml", invoice_file("cii", number="FA-1"))])
    body = json.dumps({"fichierFlux": base64.b64encode(batch).decode(),
                       "nomFichier": "lot.tar.gz", "syntaxeFlux": "IN_DP_E1_CII_16B"}).encode()
    status, content = call("/cpro/factures/v1/deposer/flux", body, wire.headers())
    answer = json.loads(content)
    assert status == 200, answer
    assert answer["codeRetour"] == 0 and answer["numeroFluxDepot"].startswith("CPP")


def test_the_same_answer_with_or_without_content_length(wire):
    body = json.dumps({"pays": "FR"}).encode()
    chunked = call("/cpro/transverses/v1/recuperer/pays", body, wire.headers())
    length = call("/cpro/transverses/v1/recuperer/pays", body, wire.headers(), chunked=False)
    assert chunked == length and chunked[0] == 200


def test_a_chunked_body_over_every_bound_is_413_before_django(monkeypatch, wire):
    monkeypatch.setattr(wsgi, "MAX_CHUNKED_BODY", 10_000)
    status, content = call("/cpro/factures/v1/deposer/flux", b"x" * 10_001, wire.headers())
    assert status == 413
    assert json.loads(content)["codeRetour"] == 20003


def test_a_chunked_body_over_the_operations_bound_is_refused_like_a_long_one(wire):
    """deposer/pdf takes a 10 MB PDF in base64 (~14 MB of JSON): 16 MB chunked is 413 as 16 MB
    with a length is."""
    body = b'{"fichier": "' + b"A" * (16 * 1024 * 1024) + b'"}'
    chunked = call("/cpro/factures/v1/deposer/pdf", body, wire.headers())
    length = call("/cpro/factures/v1/deposer/pdf", body, wire.headers(), chunked=False)
    assert chunked[0] == length[0] == 413
    assert json.loads(chunked[1])["codeRetour"] == 20003
