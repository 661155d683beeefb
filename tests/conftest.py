"""Shared fixtures: clock, isolated files and outbox, tasks, users, and a real browser.

The database is whatever CHOEUR_DATABASE_URL says: `make test` runs the suite once on SQLite
and once on a throwaway PostgreSQL cluster.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from choeur.core import clock

# Playwright's sync API runs an event loop in the test thread; Django would then refuse ORM
# calls from that thread (SynchronousOnlyOperation) although they are not async at all.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(os.environ.get("CHOEUR_TEST_ARTIFACTS", "test-artifacts"))
CHROMIUM = os.environ.get("CHOEUR_CHROMIUM", "/usr/bin/chromium")
# Flags that keep chromium off the network (this machine has none; without them it keeps
# trying Google's hosts) and make it run as root in a container.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]

PASSWORD = "Correct-Horse-Battery-42"


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    """Every test gets its own outbox and blob storage, so tests never see each other's files."""
    settings.CHOEUR_OUTBOX_DIR = tmp_path / "outbox"
    settings.EMAIL_BACKEND = "choeur.core.mail.OutboxBackend"  # pytest-django would use locmem
    storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tmp_path / "files"},
    }
    settings.STORAGES = {**settings.STORAGES, "default": storage, "blobs": storage}


@pytest.fixture(autouse=True)
def _clock_reset():
    yield
    clock.reset()


@pytest.fixture
def frozen_now():
    """The clock frozen at a fixed instant (a Tuesday, mid-morning in Paris)."""
    at = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
    clock.freeze(at)
    return at


@pytest.fixture
def run_tasks(db):
    """Run every queued background task now, in the test's transaction; return the results."""
    from choeur.core.worker import run_ready

    return run_ready


@pytest.fixture
def user(db):
    from choeur.accounts.models import User

    return User.objects.create_user(
        email="marie.curie@example.fr", password=PASSWORD, first_name="Marie", last_name="Curie"
    )


@pytest.fixture
def admin_user(db):
    from choeur.accounts.models import User

    return User.objects.create_superuser(email="admin@example.fr", password=PASSWORD)


# --- Browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(pytestconfig):
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM}: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        # Say so in the output of `make test`: a real browser ran, not a stand-in.
        capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print(f"\n[browser] launched chromium {instance.version} ({CHROMIUM})")
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser tab on the live server; a screenshot if the test fails.

    The browser says it prefers English: the portal must still start in French.
    """
    context = browser.new_context(locale="en-US", base_url=live_server.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
