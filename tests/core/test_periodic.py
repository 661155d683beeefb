"""Periodic work: the apps declare it (`core.periodic`, in their AppConfig.ready()), the
worker's heartbeat runs what was declared."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.apps import apps
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from choeur.core import periodic, worker

#: What the apps declare today; a timer or a housekeeping added later joins these.
EXPECTED_TIMERS = {
    "choeur.invoicing.tasks.apply_tacit_validations",
    "choeur.invoicing.tasks.requeue_lost_routings",
    "choeur.invoicing.tasks.sweep_uploads",
    "choeur.flux.tasks.flux_timers",
}
EXPECTED_HOUSEKEEPING = {
    "finished task results",  # core
    "failed authentication counts",  # accounts.throttle
    "ended webhook deliveries",  # webhooks
}


@pytest.fixture
def flux_dir(settings, tmp_path):
    settings.CHOEUR_FLUX_DIR = tmp_path / "flux"  # flux_timers scans the drop folders


def test_the_apps_declare_their_timers_and_housekeeping():
    assert {timer.module_path for timer in periodic.timers()} >= EXPECTED_TIMERS
    assert {job.what for job in periodic.housekeepers()} >= EXPECTED_HOUSEKEEPING
    # Declared again (ready() run twice), nothing is doubled.
    before = (len(periodic.timers()), len(periodic.housekeepers()))
    for label in ("core", "accounts", "invoicing", "flux", "webhooks"):
        apps.get_app_config(label).ready()
    assert (len(periodic.timers()), len(periodic.housekeepers())) == before


def test_the_worker_queues_every_declared_timer_and_they_run(db, flux_dir, run_tasks):
    worker.enqueue_timers()
    queued = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert queued == {timer.module_path for timer in periodic.timers()}
    assert queued >= EXPECTED_TIMERS
    results = run_tasks()
    assert {result.task_path for result in results} == queued
    assert {result.status for result in results} == {TaskResultStatus.SUCCESSFUL}


class _Unqueueable:
    module_path = "choeur.tests.unqueueable"

    def enqueue(self):
        raise RuntimeError("queue unavailable")


def test_a_timer_that_cannot_be_queued_does_not_keep_the_others(db, monkeypatch, caplog):
    timers = {"broken": _Unqueueable(), **periodic._TIMERS}  # the broken one first
    monkeypatch.setattr(periodic, "_TIMERS", timers)
    with caplog.at_level(logging.ERROR, logger="choeur.worker"):
        worker.enqueue_timers()
    assert "queueing the timer choeur.tests.unqueueable failed" in caplog.text
    assert set(DBTaskResult.objects.values_list("task_path", flat=True)) >= EXPECTED_TIMERS


def test_housekeeping_prunes_old_failed_authentication_counts(db, frozen_now, caplog):
    from choeur.accounts import throttle
    from choeur.accounts.models import FailedAttempts

    FailedAttempts.objects.create(key="a" * 64, window_start=frozen_now - throttle.KEPT
                                  - timedelta(minutes=1), failures=4)
    FailedAttempts.objects.create(key="b" * 64, window_start=frozen_now - timedelta(hours=2),
                                  failures=2)
    with caplog.at_level(logging.INFO, logger="choeur.worker"):
        worker.housekeeping()
    assert list(FailedAttempts.objects.values_list("key", flat=True)) == ["b" * 64]
    assert "pruned 1 failed authentication counts" in caplog.text


def test_one_housekeeping_failing_does_not_keep_the_others(db, frozen_now, monkeypatch,
                                                            caplog):
    from choeur.accounts.models import FailedAttempts

    FailedAttempts.objects.create(key="c" * 64, window_start=frozen_now - timedelta(days=90))

    def broken():
        raise RuntimeError("table unavailable")

    jobs = {"first": periodic.Housekeeping("something first", broken),
            **periodic._HOUSEKEEPING}
    monkeypatch.setattr(periodic, "_HOUSEKEEPING", jobs)
    worker.housekeeping()
    assert "pruning something first failed" in caplog.text
    assert not FailedAttempts.objects.exists()
