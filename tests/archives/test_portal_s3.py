"""The portal's archive exports with an object store (CHOEUR_STORAGE=s3://...): the worker
that builds an export may run on another machine than the web node that serves it, so the
finished zip goes to the bucket (`exports/<id>.zip`), nothing stays in the worker's data
directory, and the download and the housekeeping read and remove it there (issue 19).

S3 is moto's in-process mock (the test extra), the same protocol as the stand-alone server of
tests/test_multinode.py."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from choeur.archives import services
from choeur.archives.models import ExportStatus
from choeur.core import clock
from tests.archives.test_portal import ask, download_url, exported, made
from tests.s3 import mocked_bucket

pytestmark = pytest.mark.django_db

BUCKET, PREFIX = "choeur-exports", "instance"


@pytest.fixture
def bucket(settings):
    """Files (blobs and exports) in an S3 bucket, moto's mock: the boto3 client."""
    with mocked_bucket(settings, BUCKET, PREFIX) as client:
        yield client


def keys(client) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_an_export_is_kept_in_the_bucket_served_from_it_and_removed_from_it(
        bucket, client, invoices, supplier, supplier_user, _exports_dir):
    assert any(key.startswith(f"{PREFIX}/blobs/") for key in keys(bucket))  # the deposits
    client.force_login(supplier_user)
    row = made(ask(client, supplier.pk))
    assert row.status == ExportStatus.READY

    name = f"{PREFIX}/exports/{row.pk}.zip"
    assert name in keys(bucket)
    stored = bucket.get_object(Bucket=BUCKET, Key=name)["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == row.sha256 and len(stored) == row.size
    assert not _exports_dir.exists() or not any(_exports_dir.iterdir())  # nothing left local

    got = exported(client.get(download_url(supplier.pk, row.pk)), row)  # from the bucket
    assert [i["number"] for i in got["invoices"]] == ["FA-2026-0001", "FA-2026-0002"]

    with clock.shifted(timedelta(days=7, seconds=1)):
        assert services.remove_expired() == 1
    assert name not in keys(bucket)
    assert any(key.startswith(f"{PREFIX}/blobs/") for key in keys(bucket))  # blobs stay


def test_an_export_gone_from_the_bucket_is_not_found(bucket, client, invoices, supplier,
                                                      supplier_user):
    client.force_login(supplier_user)
    row = made(ask(client, supplier.pk))
    bucket.delete_object(Bucket=BUCKET, Key=f"{PREFIX}/exports/{row.pk}.zip")
    response = client.get(download_url(supplier.pk, row.pk))
    assert response.status_code == 404
    assert "ARCH_EXPORT_NOT_FOUND" in response.content.decode()


def test_the_files_check_reads_the_bucket(bucket, invoices):
    """`choeur archive verify --files` on an instance whose files are in S3: every blob
    hashed from the bucket; one removed from it is named."""
    from choeur.archives import verify
    from choeur.core.models import Blob

    report = verify.run(files=True)
    assert report.ok, report.problems
    assert report.blobs == Blob.objects.count() > 0
    missing = invoices[0].main_file_sha256
    bucket.delete_object(Bucket=BUCKET,
                         Key=f"{PREFIX}/{Blob(sha256=missing, size=0).storage_name}")
    assert [(p.object, p.what) for p in verify.run(files=True).problems] == [
        (f"blob {missing}", "the file is missing from the store")]
