# ruff: noqa: F811 - the invoicing world's fixtures, used by name
"""In a real chromium: the supplier's gestionnaire opens its structure's « Archives » tab,
downloads the export, and the package checks out with the standard tools alone (the one
line of VERIFY.md)."""

import re
import subprocess
import zipfile

import pytest
from playwright.sync_api import expect

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
    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger l'export (ZIP)").click()
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
