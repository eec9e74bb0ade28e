"""A local Amazon Bedrock emulator speaking Bedrock's wire protocol on loopback.

REST-JSON routes, SigV4 (and Bedrock API key) authentication, AWS event-stream responses:
boto3, the AWS CLI, the Anthropic SDK's ``AnthropicBedrock`` and this package's client all
work against it with an endpoint URL. Its answers come from a pluggable engine
(:class:`DeterministicEngine` by default), which never pretends to be Claude; the
interface a custom one implements is :class:`Engine` (documented in :mod:`.engine`,
helpers :func:`build_message`, :func:`message_to_events`).

    with Emulator() as emulator:
        client = boto3.client("bedrock-runtime", endpoint_url=emulator.url,
                              aws_access_key_id=emulator.access_key,
                              aws_secret_access_key=emulator.secret_key,
                              region_name=emulator.region)

By default the server runs in this process, on its own event loop in a daemon thread;
``subprocess=True`` runs ``python -m claude_bedrock serve`` instead (a separate
interpreter: no GIL sharing with the code under test, as the benchmarks need).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess as _subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, Self

from .app import EmulatorApp, EmulatorConfig, Extension
from .auth import AccessKey, CredentialStore
from .engine import DeterministicEngine, Engine, message_to_events
from .engine_kit import build_message, last_user_text, load_engine
from .errors import BedrockError
from .remote_gate import PYTHON, remote_refusal
from .s3_link import link_for, serve_args, wait_served
from .server import Limits

__all__ = [
    "BedrockError",
    "DeterministicEngine",
    "Emulator",
    "EmulatorApp",
    "EmulatorConfig",
    "Engine",
    "Limits",
    "build_message",
    "last_user_text",
    "load_engine",
    "message_to_events",
]

_READY_RE = re.compile(r"listening on (http://\S+)")


class Emulator:
    """A running emulator (start it with ``with Emulator() as emulator:`` or :meth:`start`).

    ``credentials_file`` replaces the default credentials (see :mod:`.auth` for the INI
    format); ``pace`` caps streamed output in tokens per second; ``extensions`` adds route
    modules (``"module:function"`` paths or callables; in-process mode accepts callables,
    subprocess mode only paths). ``faults`` enables fault injection (``True`` for the
    ``x-emulator-fault`` header only, or ``"rate=0.05,seed=7"``; see :mod:`.faults`).
    ``lenient`` enforces only the request rules marked certain (see :mod:`.rule_checks`).
    ``quotas`` enforces Bedrock's quotas (``"default"``, a quota file, plus options such as
    ``"default,window=2,tpm=400000,rpm=200"``; see :mod:`.quotas`); :meth:`quota_stats`
    reads the counters, :meth:`advance_clock` moves a ``clock=manual`` quota clock.
    ``engine`` answers the requests: an :class:`Engine`, or a ``"module:factory"`` spec
    (see :func:`load_engine`), the only form subprocess mode takes (``serve --engine``).
    ``s3="embedded"`` starts its own S3 (SeaweedFS, the ``emulator`` extra) for invocation
    logging and batch jobs, ready when :meth:`start` returns; an URL uses that S3 (see
    :mod:`.s3_link`). ``emulator.s3`` is then the link (``endpoint_url``, ``credentials``).
    A ``host`` off loopback is refused (ValueError) unless ``credentials_file`` holds keys
    of your own or ``allow_remote=True``: the rule of ``serve --host`` (see
    :mod:`.remote_gate`).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        credentials_file: str | Path | None = None,
        engine: Engine | str | None = None,
        region: str = "us-east-1",
        pace: float | None = None,
        extensions: Iterable[str | Extension] = (),
        limits: Limits | None = None,
        subprocess: bool = False,
        startup_timeout: float = 20.0,
        shutdown_timeout: float = 5.0,
        faults: str | bool | None = None,
        lenient: bool = False,
        s3: str | None = None,
        quotas: str | None = None,
        allow_remote: bool = False,
    ) -> None:
        if subprocess and (not isinstance(engine, str | None) or limits is not None):
            raise ValueError(
                "an engine object or custom limits can only run in-process "
                "(subprocess mode takes an engine as a 'module:factory' string)"
            )
        self.engine_spec = engine if isinstance(engine, str) else None
        self.host = host
        self.port = port
        self.credentials_file = Path(credentials_file) if credentials_file else None
        self.extensions = list(extensions)
        if subprocess and any(not isinstance(e, str) for e in self.extensions):
            raise ValueError("subprocess mode takes extensions as 'module:function' strings")
        store = (
            CredentialStore.from_file(self.credentials_file)
            if self.credentials_file
            else CredentialStore.default()
        )
        refusal = remote_refusal(host, store, credentials_file is not None, allow_remote, PYTHON)
        if refusal is not None:  # the rule of serve --host, before anything binds
            raise ValueError(refusal)
        self.allow_remote = allow_remote
        self.config = EmulatorConfig(
            region=region,
            pace=pace,
            credentials=store,
            engine=_engine(engine, subprocess),
            limits=limits or Limits(),
            shutdown_timeout=shutdown_timeout,
            faults=_faults_spec(faults),
            lenient=lenient,
            quotas=_quotas_spec(quotas),
        )
        self.subprocess = subprocess
        self.startup_timeout = startup_timeout
        self.url = ""
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._process: _subprocess.Popen[str] | None = None
        self._s3_spec = s3
        keys = [(k.access_key_id, k.secret_access_key) for k in store.access_keys]
        self.s3 = None if subprocess else link_for(s3, keys)
        self.s3_endpoint_url = self.s3.endpoint_url if self.s3 else None
        if self.s3 is not None:
            self.extensions.append(self.s3.extension())

    # -- credentials handy for clients -----------------------------------------------------

    @property
    def region(self) -> str:
        return self.config.region

    @property
    def access_key(self) -> str:
        """The first accepted access key id (the AWS example key by default)."""
        return self._first_access_key().access_key_id

    @property
    def secret_key(self) -> str:
        return self._first_access_key().secret_access_key

    @property
    def api_key(self) -> str:
        """The first accepted Bedrock API key (for ``Authorization: Bearer``)."""
        keys = self.config.credentials.api_keys
        if not keys:
            raise LookupError("the credentials file defines no Bedrock API key")
        return keys[0].token

    def _first_access_key(self) -> AccessKey:
        keys = self.config.credentials.access_keys
        if not keys:
            raise LookupError("the credentials file defines no access key")
        return keys[0]

    def __repr__(self) -> str:
        mode = "subprocess" if self.subprocess else "in-process"
        return f"Emulator(url={self.url or None!r}, {mode})"

    # -- quotas (see .quotas) ----------------------------------------------------------------

    def quota_stats(self, key: str | None = None, *, all_keys: bool = False) -> dict[str, Any]:
        """``GET /_emulator/stats``: requests received, admitted, throttled, overloaded, in
        total, per model and (``key``, ``all_keys``) per request key."""
        query = {k: v for k, v in (("key", key), ("keys", "all" if all_keys else None)) if v}
        return self._admin("GET", "/_emulator/stats", query)

    def advance_clock(self, seconds: float) -> float:
        """Move the quota clock (``clock=manual``) forward; the new time."""
        return float(self._admin("POST", "/_emulator/clock", {"advance": f"{seconds!r}"})["now"])

    def reset_quotas(self) -> None:
        """Every quota bucket full again and every counter at zero."""
        self._admin("POST", "/_emulator/quotas/reset", {})

    def _admin(self, method: str, path: str, query: dict[str, str]) -> dict[str, Any]:
        import json
        import urllib.parse
        import urllib.request

        if not self.url:
            raise RuntimeError("the emulator is not running")
        url = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            answer: dict[str, Any] = json.loads(response.read())
        return answer

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc_info: object) -> None:
        self.stop()

    def start(self) -> Self:
        if self.url:
            raise RuntimeError("this emulator is already running")
        if self.subprocess:
            self._start_process()
            if self._s3_spec:
                self.s3_endpoint_url = wait_served(self.url, self.startup_timeout + 90)
        else:
            if self.s3 is not None:
                self.s3.start(wait=True)
            self._start_thread()
        return self

    def stop(self) -> None:
        """Stop gracefully (in-flight requests get ``shutdown_timeout`` seconds)."""
        if self._process is not None:
            self._stop_process()
        if self._thread is not None and self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(self.config.shutdown_timeout + 5)
            self._thread = None
        if self.s3 is not None:
            self.s3.stop()
        self.url = ""

    def _start_thread(self) -> None:
        from .runner import serve

        ready = threading.Event()
        failure: list[BaseException] = []

        def on_ready(host: str, port: int) -> None:
            self.url = f"http://{_url_host(host)}:{port}"
            ready.set()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._stop = asyncio.Event()
            try:
                loop.run_until_complete(
                    serve(
                        self.config,
                        self._stop,
                        host=self.host,
                        port=self.port,
                        extensions=self.extensions,
                        on_ready=on_ready,
                    )
                )
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="claude-bedrock-emulator", daemon=True)
        self._thread.start()
        if not ready.wait(self.startup_timeout):
            raise TimeoutError("the emulator did not start in time")
        if failure:
            self._thread = None
            raise RuntimeError("the emulator failed to start") from failure[0]

    def _command(self) -> list[str]:
        command = [sys.executable, "-m", "claude_bedrock", "serve"]
        command += ["--host", self.host, "--port", str(self.port), "--region", self.region]
        if self.credentials_file is not None:
            command += ["--credentials-file", str(self.credentials_file)]
        if self.allow_remote:
            command += ["--allow-remote"]
        if self.config.pace:
            command += ["--pace", str(self.config.pace)]
        for extension in self.extensions:
            command += ["--extension", str(extension)]
        if self.config.faults:
            command += ["--faults", self.config.faults]
        if self.config.lenient:
            command += ["--lenient"]
        if self.config.quotas:
            command += ["--quotas", self.config.quotas]
        if self.engine_spec:
            command += ["--engine", self.engine_spec]
        return command + serve_args(self._s3_spec)

    def _start_process(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = _subprocess.Popen(self._command(), stdout=_subprocess.PIPE, text=True, env=env)
        self._process = process
        assert process.stdout is not None
        line = _read_line(process.stdout, self.startup_timeout)
        match = _READY_RE.search(line or "")
        if match is None:
            self._stop_process()
            raise RuntimeError(f"the emulator subprocess did not start (said {line!r})")
        self.url = match.group(1)
        threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()

    def _stop_process(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(self.config.shutdown_timeout + 5)
            except _subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _engine(engine: Engine | str | None, subprocess: bool) -> Engine:
    """The in-process engine (a spec is loaded now, so its errors are raised here)."""
    if engine is None or (subprocess and isinstance(engine, str)):
        return DeterministicEngine()
    return load_engine(engine)


def _faults_spec(faults: str | bool | None) -> str | None:
    """``faults=True`` enables the per-request header; a spec string is checked here, early."""
    if not faults:
        return None
    spec = "on" if faults is True else str(faults)
    from .faults import parse_config

    parse_config(spec)  # ValueError now rather than in the server thread
    return spec


def _quotas_spec(quotas: str | None) -> str | None:
    """A quota setting, checked here, early (a ValueError now rather than in the server)."""
    if not quotas:
        return None
    from .quotas_data import parse_spec

    parse_spec(quotas)
    return quotas


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _read_line(stream: IO[str], timeout: float) -> str | None:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0] if result else None


def _drain(stream: IO[str]) -> None:
    for _ in stream:
        pass
