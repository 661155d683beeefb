"""« Vérifier sans envoyer » then « Déposer la facture » without choosing the file again: the
checked file is kept for the session that checked it, deposited byte for byte, refused to
anyone else (a forged or another user's reference), and nothing is recorded by the check."""

from __future__ import annotations

import hashlib
import os
import re
import time

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from choeur.core.models import Blob
from choeur.invoicing import verified
from choeur.invoicing.models import Invoice
from choeur.invoicing.statuses import Status

from .test_deposit_pages import nothing_saved, post, text, url, written

pytestmark = pytest.mark.django_db



@pytest.fixture
def logged_in(client, supplier_user, supplier, bank_account, recipient):
    client.force_login(supplier_user)
    return client


TOKEN = re.compile(r'name="verified" value="([^"]+)"')


def check(client, supplier, content, **fields):
    response = post(client, supplier, content, action="check", **fields)
    assert response.status_code == 200
    return response, TOKEN.search(text(response))


def deposit_by_reference(client, supplier, token, **fields):
    data = {"cadre": "A1_FACTURE_FOURNISSEUR", "validator_identifier": "",
            "validator_service_code": "", "recipient_identifier": "",
            "recipient_service_code": "", "engagement_number": "", "bank_account": "",
            "comment": "", "action": "deposit", "verified": token, **fields}
    return client.post(url(supplier), data)


def test_the_checked_file_is_deposited_without_choosing_it_again(
        logged_in, supplier_user, supplier, bank_account):
    content = written(supplier_user, supplier, bank_account)
    blobs = Blob.objects.count()
    response, found = check(logged_in, supplier, content)
    assert found, "the page carries the kept file's reference"
    assert "sera déposé tel qu'il a été vérifié" in text(response)
    assert "inutile de le choisir de nouveau" in text(response)
    assert nothing_saved(blobs)  # the check still records nothing

    deposited = deposit_by_reference(logged_in, supplier, found.group(1))
    assert deposited.status_code == 302, text(deposited)
    invoice = Invoice.objects.get()
    assert invoice.status == Status.DEPOSEE and invoice.number == "FA-2026-0117"
    # Exactly the checked bytes were deposited, under the checked file's name.
    assert Blob.objects.filter(sha256=invoice.deposited_sha256).exists()
    assert invoice.deposited_sha256 == hashlib.sha256(content).hexdigest()
    assert invoice.main_file_name == "FA-2026-0117.pdf"
    # Used once: the reference is gone with the file.
    again = deposit_by_reference(logged_in, supplier, found.group(1))
    assert again.status_code == 400 and "INV_VERIFIED_FILE_UNKNOWN" in text(again)
    assert Invoice.objects.count() == 1


def test_a_failed_deposit_keeps_the_reference_for_the_next_try(
        logged_in, supplier_user, supplier, bank_account, recipient):
    recipient.service_code_required = True
    recipient.save()
    content = written(supplier_user, supplier, bank_account, recipient_service_code="")
    _response, found = check(logged_in, supplier, content)
    token = found.group(1)
    refused = deposit_by_reference(logged_in, supplier, token)
    assert refused.status_code == 400 and "INV_SERVICE_REQUIRED" in text(refused)
    assert TOKEN.search(text(refused)).group(1) == token
    done = deposit_by_reference(logged_in, supplier, token, recipient_service_code="COMPTA")
    assert done.status_code == 302
    assert Invoice.objects.get().recipient_service.code == "COMPTA"


def test_another_users_or_a_forged_reference_is_refused(
        logged_in, supplier_user, supplier, bank_account):
    content = written(supplier_user, supplier, bank_account)
    _response, found = check(logged_in, supplier, content)
    token = found.group(1)
    # The same supplier's colleague, in another session: the reference is not hers.
    colleague = Client()
    colleague.force_login(supplier_user)  # even the same user, in another session
    for client, reference in ((colleague, token), (logged_in, "forged-" + token[7:]),
                              (logged_in, "../" + token)):
        refused = deposit_by_reference(client, supplier, reference)
        assert refused.status_code == 400, reference
        assert "INV_VERIFIED_FILE_UNKNOWN" in text(refused)
    assert not Invoice.objects.exists()


def test_altered_or_expired_kept_bytes_are_refused(
        logged_in, supplier_user, supplier, bank_account, settings):
    content = written(supplier_user, supplier, bank_account)
    _response, found = check(logged_in, supplier, content)
    token = found.group(1)
    path = default_storage.path(f"verified/{token}")
    with open(path, "r+b") as handle:  # someone changes the kept file on the disk
        handle.seek(200)
        handle.write(b"X")
    refused = deposit_by_reference(logged_in, supplier, token)
    assert refused.status_code == 400 and "INV_VERIFIED_FILE_UNKNOWN" in text(refused)
    assert not Invoice.objects.exists()

    _response, found = check(logged_in, supplier, content)
    session = logged_in.session
    entries = session[verified.SESSION_KEY]
    entries[found.group(1)]["at"] = "2000-01-01T00:00:00+00:00"
    session[verified.SESSION_KEY] = entries
    session.save()
    expired = deposit_by_reference(logged_in, supplier, found.group(1))
    assert expired.status_code == 400 and "INV_VERIFIED_FILE_UNKNOWN" in text(expired)


def test_an_invalid_file_is_not_kept_and_no_file_at_all_is_refused(
        logged_in, supplier):
    response, found = check(logged_in, supplier, b"<Invoice/>", name="f.xml")
    assert found is None
    nothing = deposit_by_reference(logged_in, supplier, "")
    assert nothing.status_code == 400 and "Ce champ est obligatoire" in text(nothing)


def test_old_kept_files_are_swept(logged_in, supplier_user, supplier, bank_account):
    content = written(supplier_user, supplier, bank_account)
    _response, found = check(logged_in, supplier, content)
    path = default_storage.path(f"verified/{found.group(1)}")
    old = time.time() - 2 * 3600
    os.utime(path, (old, old))
    assert verified.sweep() == 1 and not os.path.exists(path)
