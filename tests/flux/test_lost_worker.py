"""A flux whose integration lost its worker (killed, or stopping and handing the task back) is
resumed by the task's next run, where it stopped, without duplicates (core/leases.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from choeur.core import leases
from choeur.core.worker import HandBack
from choeur.flux import services
from choeur.flux.models import EtatFlux, Flux, FluxItem
from choeur.invoicing.models import Invoice

from .conftest import deposit_body, tar_gz


def test_a_handed_back_integration_is_resumed_without_duplicates(wire, invoice_file, run_tasks,
                                                                  monkeypatch):
    batch = tar_gz([(f"FA-{i}.xml", invoice_file("cii", number=f"FA-{i}")) for i in (1, 2, 3)])
    wire.post("factures/v1/deposer/flux", deposit_body(batch, "lot.tar.gz"))
    real = services.batch_deposit.deposit_files
    calls = []

    def stopped_midway(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise HandBack()  # the worker's stop grace ran out during the second batch
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "BATCH", 2)
    monkeypatch.setattr(services.batch_deposit, "deposit_files", stopped_midway)
    run_tasks()  # the task handed back is READY at once, and run again by the same loop
    flux = Flux.objects.get()
    task = DBTaskResult.objects.get(task_path__endswith="integrate_flux")
    assert task.status == TaskResultStatus.SUCCESSFUL and task.return_value == EtatFlux.INTEGRE
    assert task.worker_ids == ["inline", "inline"]  # two runs: the second resumed the flux
    assert flux.status == EtatFlux.INTEGRE and flux.attempts == 2
    assert sorted(Invoice.objects.values_list("number", flat=True)) == ["FA-1", "FA-2", "FA-3"]
    assert list(flux.items.order_by("position").values_list("position", flat=True)) == [1, 2, 3]


def test_a_killed_integration_is_requeued_and_resumed(wire, invoice_file, run_tasks):
    wire.post("factures/v1/deposer/flux", deposit_body(invoice_file(), "f.xml"))
    flux = Flux.objects.get()
    # The worker claimed the task and the flux, then died (kill -9): both stay as it left them.
    task = DBTaskResult.objects.get(task_path__endswith="integrate_flux")
    task.claim("killed-worker")
    DBTaskResult.objects.filter(pk=task.pk).update(
        started_at=timezone.now() - timedelta(seconds=60))
    Flux.objects.filter(pk=flux.pk).update(status=EtatFlux.EN_COURS)
    run_tasks()  # the other tasks (e-mails); this one is RUNNING and is not taken
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING

    assert leases.reap_lost() == 1
    run_tasks()
    flux.refresh_from_db()
    assert flux.status == EtatFlux.INTEGRE and Invoice.objects.count() == 1
    assert FluxItem.objects.count() == 1


def test_a_first_run_does_not_take_a_flux_being_integrated(wire, invoice_file):
    # A duplicate task, not a lost one: the flux "en cours" is another live run's.
    wire.post("factures/v1/deposer/flux", deposit_body(invoice_file(), "f.xml"))
    flux = Flux.objects.get()
    Flux.objects.filter(pk=flux.pk).update(status=EtatFlux.EN_COURS)
    assert services.integrate(flux.pk) is None
    assert services.integrate(flux.pk, resume=True).status == EtatFlux.INTEGRE


pytestmark = pytest.mark.django_db
