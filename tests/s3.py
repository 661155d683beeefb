"""An S3 bucket for in-process tests: moto's mock (the test extra), the same protocol as the
stand-alone server of tests/test_multinode.py, configured as choeur/settings.py would."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from choeur.config import S3Storage


@contextlib.contextmanager
def mocked_bucket(settings, bucket: str, prefix: str) -> Iterator:
    """Files (blobs and exports) in `bucket` under `prefix`: yields the boto3 client."""
    pytest.importorskip("storages", reason="the s3 extra (django-storages[s3]) is needed")
    moto = pytest.importorskip("moto", reason="moto (the test extra) is needed")
    import boto3

    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="k",
                              aws_secret_access_key="s")
        client.create_bucket(Bucket=bucket)
        s3 = S3Storage(bucket=bucket, prefix=prefix, endpoint_url=None, region="us-east-1",
                       access_key="k", secret_key="s").django_storage()  # as settings.py
        settings.STORAGES = {**settings.STORAGES, "default": s3, "blobs": s3}
        yield client
