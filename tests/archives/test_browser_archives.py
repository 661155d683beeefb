# ruff: noqa: F811 - the invoicing world's fixtures, used by name
"""In a real chromium: the supplier's gestionnaire opens its structure's « Archives » tab,
asks for the export (prepared in the background: the page says so at once), the worker makes
it, the page lists it ready, the gestionnaire downloads it, and the package checks out with
the standard tools alone (the one line of VERIFY.md)."""

import re
import subprocess
import zipfile

import pytest
from playwright.sync_api import expect

from choeur.core.worker import run_ready
from tests.conftest import PASSWORD
from tests.organisations.test_browser_organisation import log_in
from tests.web.screens import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_gestionnaire_downloads_its_archives_and_checks_them(page, invoices, supplier,
                                                               supplier_user, tmp_path):
    log_in(page, supplier_user.email, PASSWORD)
    page.goto(f"/structures/{supplier.pk}/")
    page.get_by_role("link", name="Archives", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/structures/{supplier.pk}/archives/$"))
    expect(page.locator("main")).to_contain_text("La structure a 2 factures archivées")
    shoot(page, "archives-1-page")
    page.get_by_role("button", name="Préparer l'export (ZIP)").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Votre export est en préparation : vous serez notifié quand il sera prêt")
    expect(page.get_by_test_id("archives-exports")).to_contain_text("En attente")
    shoot(page, "archives-2-queued")
    run_ready()  # the worker (the live server shares the database)
    page.reload()
    exports = page.get_by_test_id("archives-exports")
    expect(exports).to_contain_text("Prêt")
    expect(exports).to_contain_text("2 factures")
    shoot(page, "archives-3-ready")
    with page.expect_download() as info:
        exports.get_by_role("link", name="Télécharger").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.name.endswith(".zip")
    with zipfile.ZipFile(target) as package:
        names = package.namelist()
        package.extractall(tmp_path / "export")
    assert {"SHA256SUMS", "VERIFY.md", "manifest.json", "records.jsonl",
            "invoices.json"} <= set(names)
    check = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"],
                           cwd=tmp_path / "export", capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
