"""An object store (S3) that cannot be reached: a passing state answered like a database
outage — 503, `Retry-After`, the wire's envelope (`codeRetour` 29998) with its own code,
`CORE_STORAGE_UNAVAILABLE` — and nothing stored, so the client's re-send is a first deposit;
the portal's page says what is down. A missing object or refused credentials are not an
outage (issue 19: several nodes on one bucket)."""

from __future__ import annotations

import socket

import pytest

from choeur.config import S3Storage
from choeur.core.middleware import ChoeurErrorMiddleware
from choeur.core.models import Blob
from choeur.core.outage import is_outage, is_storage_outage
from choeur.flux.models import Flux

from .conftest import deposit_body

pytestmark = pytest.mark.django_db

botocore = pytest.importorskip("botocore.exceptions",
                               reason="the s3 extra (django-storages[s3], boto3) is needed")


def client_error(code: str, status: int):
    return botocore.ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "PutObject")


@pytest.mark.parametrize(("error", "outage"), [
    (botocore.EndpointConnectionError(endpoint_url="http://s3.example:9000"), True),
    (botocore.ConnectTimeoutError(endpoint_url="http://s3.example:9000"), True),
    (botocore.ReadTimeoutError(endpoint_url="http://s3.example:9000"), True),
    (client_error("SlowDown", 503), True),
    (client_error("InternalError", 500), True),
    (client_error("NoSuchKey", 404), False),
    (client_error("AccessDenied", 403), False),
    (ValueError("not a store"), False),
    (None, False),
])
def test_what_an_unreachable_store_is(error, outage):
    assert is_storage_outage(error) is outage
    assert is_outage(error) is False  # the database's outage is another thing


def test_a_store_error_under_another_is_found():
    try:
        try:
            raise botocore.EndpointConnectionError(endpoint_url="http://s3.example:9000")
        except botocore.EndpointConnectionError as exc:
            raise RuntimeError("upload failed") from exc
    except RuntimeError as wrapped:
        assert is_storage_outage(wrapped)


@pytest.fixture
def unreachable_store(settings):
    """Blobs in a bucket whose endpoint refuses connections (a port nobody listens on)."""
    pytest.importorskip("storages", reason="the s3 extra (django-storages[s3]) is needed")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    s3 = S3Storage(bucket="choeur-files", prefix="instance",
                   endpoint_url=f"http://127.0.0.1:{port}", region="us-east-1",
                   access_key="k", secret_key="s").django_storage()
    settings.STORAGES = {**settings.STORAGES, "default": s3, "blobs": s3}


def test_a_flux_deposited_while_the_store_is_down_is_a_coded_503_and_stores_nothing(
        wire, invoice_file, unreachable_store):
    content = invoice_file("cii")
    blobs = Blob.objects.count()
    response = wire.post("factures/v1/deposer/flux",
                         deposit_body(content, "cii_chorus_facture_FA-2026-0117.xml"))
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["codeRetour"] == 29998
    assert body["libelle"] == (
        "CORE_STORAGE_UNAVAILABLE - Service momentanément indisponible (stockage des fichiers "
        "injoignable) : réessayez dans 5 secondes.")
    assert not Flux.objects.exists() and Blob.objects.count() == blobs


def test_the_portal_says_the_file_storage_is_down(rf):
    request = rf.get("/factures/")
    middleware = ChoeurErrorMiddleware(lambda request: None)
    response = middleware.process_exception(
        request, botocore.EndpointConnectionError(endpoint_url="http://s3.example:9000"))
    assert response.status_code == 503 and response["Retry-After"] == "5"
    page = response.content.decode()
    assert "CORE_STORAGE_UNAVAILABLE" in page
    assert "Le stockage des fichiers ne répond pas" in page
    assert "the file storage does not answer" in page


def test_an_integration_cut_by_a_store_outage_waits_and_resumes_without_an_incident(
        wire, invoice_file, run_tasks, monkeypatch, caplog):
    """The store goes away after the flux's first invoice: the task waits for it (as for the
    database), hands the flux back and integrates the rest — each invoice once, no incident,
    no attempt spent."""
    import logging

    from choeur.core import outage
    from choeur.flux import services
    from choeur.flux.models import EtatFlux
    from choeur.invoicing.models import Invoice

    from .conftest import tar_gz

    batch = tar_gz([(f"f{i}.xml", invoice_file("cii", number=f"FA-S3-{i}")) for i in range(3)])
    response = wire.post("factures/v1/deposer/flux", deposit_body(batch, "lot.tar.gz"))
    assert response.status_code == 200, response.content
    real = services._integrate_batch
    calls = {"batches": 0, "probes": 0}

    def batch_then_store_outage(flux, actor, batch):
        calls["batches"] += 1
        if calls["batches"] == 1:
            real(flux, actor, batch[:1])
            raise botocore.EndpointConnectionError(endpoint_url="http://s3.example:9000")
        real(flux, actor, batch)

    def store_back_at_the_second_probe():
        calls["probes"] += 1
        return calls["probes"] >= 2

    waits = []
    monkeypatch.setattr(services, "_integrate_batch", batch_then_store_outage)
    monkeypatch.setattr(outage, "sleep", waits.append)
    monkeypatch.setattr(outage, "storage_answers", store_back_at_the_second_probe)
    with caplog.at_level(logging.WARNING, logger="choeur.outage"):
        [result] = [r for r in run_tasks() if r.task_path.endswith("integrate_flux")]

    assert result.status == "SUCCESSFUL" and result.return_value == EtatFlux.INTEGRE
    assert waits == [1, 2]
    logged = [record.getMessage() for record in caplog.records]
    assert "file storage unavailable" in logged[0] and "file storage back" in logged[-1]
    flux = Flux.objects.get()
    assert flux.status == EtatFlux.INTEGRE and flux.integrated_count == 3
    assert flux.attempts == 1 and flux.technical_errors == []
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [
        "FA-S3-0", "FA-S3-1", "FA-S3-2"]


def test_a_store_outage_met_while_storing_a_batch_refuses_no_invoice(
        wire, invoice_file, run_tasks, monkeypatch):
    """The store fails where it really does — writing the batch's files (botocore's errors
    are no OSError) — twice: the batch is not taken for the invoices' fault (no one-by-one
    refusal), the flux waits and resumes, every invoice accepted."""
    from choeur.core import outage, storage
    from choeur.flux.models import EtatFlux
    from choeur.invoicing.models import Invoice

    from .conftest import tar_gz

    batch = tar_gz([(f"f{i}.xml", invoice_file("cii", number=f"FA-PUT-{i}")) for i in range(3)])
    response = wire.post("factures/v1/deposer/flux", deposit_body(batch, "lot.tar.gz"))
    assert response.status_code == 200, response.content
    real_many, real_one = storage.put_many, storage.put
    failures = {"left": 2}

    def flaky(real):
        def write(*args, **kwargs):
            if failures["left"]:
                failures["left"] -= 1
                raise botocore.EndpointConnectionError(endpoint_url="http://s3.example:9000")
            return real(*args, **kwargs)
        return write

    monkeypatch.setattr(storage, "put_many", flaky(real_many))
    monkeypatch.setattr(storage, "put", flaky(real_one))
    monkeypatch.setattr(outage, "sleep", lambda seconds: None)
    monkeypatch.setattr(outage, "storage_answers", lambda: True)
    [result] = [r for r in run_tasks() if r.task_path.endswith("integrate_flux")]

    assert result.status == "SUCCESSFUL" and result.return_value == EtatFlux.INTEGRE
    flux = Flux.objects.get()
    assert flux.integrated_count == 3 and flux.technical_errors == []
    assert not flux.items.filter(accepted=False).exists()
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [
        "FA-PUT-0", "FA-PUT-1", "FA-PUT-2"]


def test_a_store_refusing_a_request_for_good_is_no_outage():
    """501 Not Implemented (a header the store will never take): waiting would hand the same
    task back for ever."""
    assert not is_storage_outage(client_error("NotImplemented", 501))
    assert is_storage_outage(client_error("ServiceUnavailable", 503))


def test_any_other_task_meeting_a_store_outage_is_handed_back_not_failed(monkeypatch):
    """An e-mail's delivery (any task) that meets the store's outage: the worker waits for the
    store, then the task is ready again, not failed."""
    from django.db import transaction
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from choeur.core import mail, outage, worker

    with transaction.atomic():
        mail.send_mail("a@example.fr", "Objet", "Corps")
    result = DBTaskResult.objects.get()
    result.claim("worker-1")

    def delivering_while_the_store_is_down(email_id):
        raise client_error("SlowDown", 503)

    monkeypatch.setattr(mail, "deliver", delivering_while_the_store_is_down)
    monkeypatch.setattr(outage, "sleep", lambda seconds: None)
    worker._worker("worker-1", "*", 0, True).run_task(result)
    result.refresh_from_db()
    assert result.status == TaskResultStatus.READY and result.traceback == ""


def test_a_task_meeting_an_outage_on_every_run_is_failed_at_last(monkeypatch):
    """A store that answers the probe but fails the task's request each time: handed back
    `PASSING_RUNS` times at most, then failed — not a task looping for ever."""
    from django.db import transaction
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from choeur.core import mail, outage, worker

    with transaction.atomic():
        mail.send_mail("a@example.fr", "Objet", "Corps")
    result = DBTaskResult.objects.get()

    def always_busy(email_id):
        raise client_error("SlowDown", 503)

    monkeypatch.setattr(mail, "deliver", always_busy)
    monkeypatch.setattr(outage, "sleep", lambda seconds: None)
    runner = worker._worker("worker-1", "*", 0, True)
    for run in range(worker.PASSING_RUNS):
        result.claim(f"worker-{run}")
        runner.run_task(result)
        result.refresh_from_db()
        if result.status != TaskResultStatus.READY:
            break
    assert result.status == TaskResultStatus.FAILED
    assert len(result.worker_ids) == worker.PASSING_RUNS
