"""The webhook tests' world: the invoicing world (a supplier, a public recipient, a titulaire
validator), a fake receiver (a real HTTP server on 127.0.0.1 in a thread) and helpers."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from tests.flux import conftest as flux_world
from tests.invoicing import conftest as invoicing_world

bank_account = invoicing_world.bank_account
platform_admin = invoicing_world.platform_admin
recipient = invoicing_world.recipient
recipient_user = invoicing_world.recipient_user
supplier = invoicing_world.supplier
supplier_user = invoicing_world.supplier_user
titulaire = invoicing_world.titulaire
titulaire_user = invoicing_world.titulaire_user
other_recipient = invoicing_world.other_recipient
invoice_file = flux_world.invoice_file

TASK_PATH = "choeur.webhooks.tasks.deliver_webhook"


def run(use_case, *args, **kwargs):
    with transaction.atomic():
        return use_case(*args, **kwargs)


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook endpoint: answers the queued status codes in turn (then the last one) and
    records every request."""

    url: str
    statuses: list[int] = field(default_factory=lambda: [200])
    requests: list[Received] = field(default_factory=list)

    def answer(self) -> int:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@pytest.fixture
def local_webhooks(settings):
    """As in development: http://127.0.0.1 allowed (tests run with DEBUG off)."""
    settings.CHOEUR_WEBHOOKS_ALLOW_LOCALHOST = True


@pytest.fixture
def receiver(local_webhooks):
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            state.requests.append(Received(self.path, dict(self.headers.items()), body))
            code = state.answer()
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/choeur?k=1"
    yield state
    server.shutdown()
    server.server_close()


def delivery_tasks():
    return DBTaskResult.objects.filter(task_path=TASK_PATH)


def make_due():
    """Bring every scheduled delivery task forward to now (time travel for the back-off)."""
    from django.utils import timezone

    return delivery_tasks().filter(status="READY").update(run_after=timezone.now())
