"""A real S3-compatible server for the tests: SeaweedFS on loopback, one per test session.

The launcher is the package's :mod:`claude_bedrock.emulator.s3_store` (the same one
``claude-bedrock serve`` starts; its docstring says how and why: loopback-only listeners,
fresh ports, SigV4 identities, the readiness probe, the process group). This module keeps
the names the tests and ``bench/`` import.

Fixtures (registered in ``tests/conftest.py``, logic here):

* ``s3_server`` (session): an :class:`S3Server` with ``endpoint_url``, ``access_key``,
  ``secret_key``, ``region`` ("us-east-1"), ``credentials`` (a tuple for
  ``claude_bedrock._s3.s3_client``), ``reader_credentials`` (an identity that may only read
  and list), ``client()`` (a botocore S3 client), ``create_bucket(prefix)``,
  ``delete_bucket(name)`` and ``env()`` (``AWS_ENDPOINT_URL_S3`` and keys, for subprocesses
  or ``monkeypatch.setenv``);
* ``s3_bucket``: the name of a fresh bucket, deleted with its contents after the test
  (which also frees its volumes, so a long session does not run out of them).

Outside pytest (``bench/``): ``with SeaweedS3() as server: ...``.
"""

from __future__ import annotations

from claude_bedrock.emulator.s3_store import (
    REGION,
    S3Server,
    SeaweedS3,
    SeaweedStartError,
    iter_server,
    weed_binary,
)

__all__ = ["REGION", "S3Server", "SeaweedS3", "SeaweedStartError", "iter_server", "weed_binary"]
