"""``claude-bedrock serve``: run the local Bedrock emulator, or print how to point tools at it.

``serve --env`` prints the ``export`` lines and exits *without* starting a server, so that
``eval "$(claude-bedrock serve --env)"`` sets up the current shell while
``claude-bedrock serve`` runs in another terminal (same ``--port``). A server run from a
terminal also prints the lines (on stderr) once it listens, with the real port even for
``--port 0``; its stdout stays a single ``listening on`` line for programs to read.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..wire.messages_api import BASE_PATH
from ._serve_s3 import EmbeddedS3, S3Data, S3Endpoint, S3Port, resolve_s3

if TYPE_CHECKING:
    from ..emulator.app import Extension
    from ..emulator.auth import CredentialStore
    from ..emulator.engine import Engine
    from ..emulator.s3_link import S3Link

__all__ = ["DEFAULT_PORT", "env_lines", "is_loopback", "register", "remote_refusal"]

DEFAULT_PORT = 8765
#: Variables that would override the emulator's keys if left over from a real AWS set-up.
_STALE = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK")


def env_lines(
    url: str, access_key: str, secret_key: str, region: str, s3_endpoint: str | None = None
) -> list[str]:
    """POSIX shell lines pointing boto3, the AWS CLI and this client at ``url``.

    ``AWS_ENDPOINT_URL`` is read by botocore (>= 1.31), the AWS CLI (>= 2.13) and our
    client; boto3 and the AWS CLI read ``AWS_DEFAULT_REGION``, our client and the
    Anthropic SDK ``AWS_REGION``, so both are set. ``ANTHROPIC_BEDROCK_MANTLE_BASE_URL``
    points the Messages API clients (the official SDK's ``AnthropicBedrockMantle`` and
    ours) at the emulator's ``/anthropic`` routes. ``AWS_ENDPOINT_URL_S3`` points the S3
    clients at the emulator's S3 (which accepts the emulator's keys).
    """
    values = {
        "AWS_ENDPOINT_URL": url,
        "ANTHROPIC_BEDROCK_MANTLE_BASE_URL": url.rstrip("/") + BASE_PATH,
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }
    if s3_endpoint:
        values["AWS_ENDPOINT_URL_S3"] = s3_endpoint
    lines = [f"export {name}={shlex.quote(value)}" for name, value in values.items()]
    lines.append("unset " + " ".join(_STALE))
    return lines


def register(app: typer.Typer) -> None:
    app.command()(serve)


def serve(
    host: Annotated[
        str,
        typer.Option(
            help="Address to listen on. Off loopback, needs --credentials-file (keys of "
            "your own) or --allow-remote."
        ),
    ] = ("127.0.0.1"),
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.")] = (
        DEFAULT_PORT
    ),
    credentials_file: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="INI file of accepted credentials (format of ~/.aws/credentials).",
        ),
    ] = None,
    pace: Annotated[
        float | None,
        typer.Option(min=0.001, help="Stream at most this many tokens per second."),
    ] = None,
    region: Annotated[str, typer.Option(help="Region assumed when a request names none.")] = (
        "us-east-1"
    ),
    extension: Annotated[
        list[str] | None,
        typer.Option(help="Extra route module as 'module:function' (repeatable)."),
    ] = None,
    log_level: Annotated[
        str, typer.Option(help="Logging level (info logs one line per request).")
    ] = "warning",
    faults: Annotated[
        str | None,
        typer.Option(
            help="Enable fault injection (tests only): 'on' (per-request x-emulator-fault "
            "header) or 'rate=0.05,seed=7[,kinds=throttle|503]'. Off by default.",
        ),
    ] = None,
    quotas: Annotated[
        str | None,
        typer.Option(
            help="Enforce Bedrock's quotas: 'default' (the shipped table) or a quota file, "
            "then options: 'default,window=2,tpm=400000,rpm=200,seed=7[,capacity=0.01]' "
            "(window: seconds per quota minute; tpd=N: tokens per day, a day being 1440 "
            "windows). Off by default.",
        ),
    ] = None,
    lenient: Annotated[
        bool,
        typer.Option(
            "--lenient",
            help="Enforce only the request rules marked certain (H); the uncertain ones (M, L) "
            "are off, for a Bedrock that accepts what the table says it refuses.",
        ),
    ] = False,
    engine: Annotated[
        str | None,
        typer.Option(
            help="Answer with this engine instead of the deterministic one: 'module:factory' "
            "or 'path/to/file.py:factory' (a class, an instance or a no-argument function).",
        ),
    ] = None,
    record: Annotated[
        Path | None,
        typer.Option(
            help="Proxy every request to --upstream and append each exchange to "
            "this cassette (JSONL); requests are re-signed with your AWS credentials."
        ),
    ] = None,
    upstream: Annotated[
        str | None,
        typer.Option(
            help="Where --record sends requests: 'aws' (Bedrock's endpoints of each "
            "request's Region) or a base URL (e.g. another emulator)."
        ),
    ] = None,
    replay: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="Answer every request from this cassette, offline."
        ),
    ] = None,
    replay_timing: Annotated[
        bool, typer.Option(help="With --replay: stream with the recorded pauses.")
    ] = False,
    env: Annotated[
        bool,
        typer.Option(
            "--env",
            help="Print the export lines for this emulator's address and keys, then exit "
            'without serving: eval "$(claude-bedrock serve --env)".',
        ),
    ] = False,
    s3_endpoint: S3Endpoint = None,
    s3_data: S3Data = None,
    s3_port: S3Port = None,
    embedded_s3: EmbeddedS3 = None,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="Listen on a non-loopback --host even with the default keys (public "
            "documentation examples: anyone who can reach the port can use it).",
        ),
    ] = False,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir",
            file_okay=False,
            help="Keep the emulator's state here: invocation log records are spooled to "
            "DIR/log-spool (fsync'd before each call is answered) until S3 has them, and "
            "delivered at the next start if the emulator stopped first. Default: "
            "$CLAUDE_BEDROCK_EMULATOR_STATE_DIR, else $XDG_STATE_HOME/claude-bedrock/emulator.",
        ),
    ] = None,
) -> None:
    """Run the local Bedrock emulator until interrupted (SIGINT/SIGTERM stop it gracefully,
    within 30 s: log records S3 has not taken by then stay in the spool, see --state-dir).

    The first line printed is "claude-bedrock emulator listening on http://HOST:PORT".
    """
    store = _store(credentials_file)
    s3 = resolve_s3(s3_endpoint, s3_data, s3_port, embedded_s3, port)
    if env:
        if port == 0:
            typer.echo("error: --env needs a fixed --port (0 is only known once listening)",
                       err=True)  # fmt: skip
            raise typer.Exit(2)
        key = _first_key(store)
        for line in env_lines(f"http://{_url_host(host)}:{port}", *key, region, s3.endpoint_url):
            typer.echo(line)
        return
    refusal = remote_refusal(host, store, credentials_file is not None, allow_remote)
    if refusal is not None:
        typer.echo(f"error: {refusal}", err=True)
        raise typer.Exit(2)
    if faults is not None:
        from ..emulator.faults import parse_config

        try:
            parse_config(faults)
        except ValueError as exc:
            typer.echo(f"error: --faults: {exc}", err=True)
            raise typer.Exit(2) from None
    if quotas is not None:
        from ..emulator.quotas_data import parse_spec

        try:
            parse_spec(quotas)
        except ValueError as exc:
            typer.echo(f"error: --quotas: {exc}", err=True)
            raise typer.Exit(2) from None
    from ..emulator.recording import cassette_extensions

    try:
        recording = cassette_extensions(record, upstream, replay, replay_timing)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    extensions: list[str | Extension] = [*(extension or []), *recording]
    link = s3.link(store)
    extensions += _s3_extension(link)
    extensions.append(_spool_extension(state_dir))
    _serve(store, host, port, pace, region, extensions, log_level, faults, engine,
           lenient=lenient, link=link, quotas=quotas)  # fmt: skip


def _serve(
    store: CredentialStore,
    host: str,
    port: int,
    pace: float | None,
    region: str,
    extensions: list[str | Extension],
    log_level: str,
    faults: str | None = None,
    engine: str | None = None,
    *,
    lenient: bool = False,
    link: S3Link | None = None,
    quotas: str | None = None,
) -> None:
    import logging

    from ..emulator import EmulatorConfig
    from ..emulator.runner import exit_if_stuck, serve_forever

    logging.basicConfig(
        level=log_level.upper(), stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    config = EmulatorConfig(region=region, pace=pace, credentials=store, faults=faults)
    config.lenient = lenient
    config.quotas = quotas
    if engine is not None:
        config.engine = _engine(engine)

    def ready(bound_host: str, bound_port: int) -> None:
        url = f"http://{_url_host(bound_host)}:{bound_port}"
        print(f"claude-bedrock emulator listening on {url}", flush=True)
        keys = store.access_keys
        if keys and sys.stdout.isatty():  # a person, not a program reading the first line
            lines = env_lines(url, keys[0].access_key_id, keys[0].secret_access_key, region,
                              link.endpoint_url if link else None)  # fmt: skip
            print("# point boto3, the AWS CLI and claude-bedrock at this emulator:",
                  *lines, sep="\n", file=sys.stderr, flush=True)  # fmt: skip

    if link is not None:
        link.start()  # in the background: the emulator listens at once (see emulator.s3_link)
    try:
        serve_forever(config, host=host, port=port, extensions=extensions, on_ready=ready)
    except OSError as exc:  # the address cannot be bound (in use, not this machine's...)
        typer.echo(f"error: cannot listen on {_url_host(host)}:{port}: {exc.strerror}", err=True)
        raise typer.Exit(3) from None
    finally:
        if link is not None:
            link.stop()
    exit_if_stuck()  # a call stuck on a silent S3 must not hold the process past the deadline


def _spool_extension(state_dir: Path | None) -> Extension:
    from ..emulator.invocation_logging import writer_options
    from ..emulator.log_spool import default_state_dir

    return writer_options(spool_dir=(state_dir or default_state_dir()) / "log-spool")


def is_loopback(host: str) -> bool:
    """Whether ``host`` keeps the emulator on this machine (see :mod:`..emulator.remote_gate`)."""
    from ..emulator.remote_gate import is_loopback as loopback

    return loopback(host)


def remote_refusal(
    host: str, store: CredentialStore, credentials_file: bool, allow_remote: bool
) -> str | None:
    """Why serving on ``host`` is refused (None: it is not), decided before anything binds;
    the rule ``Emulator(host=...)`` follows too (see :mod:`..emulator.remote_gate`)."""
    from ..emulator.remote_gate import remote_refusal as refusal

    return refusal(host, store, credentials_file, allow_remote)


def _s3_extension(link: S3Link | None) -> list[Extension]:
    return [link.extension()] if link is not None else []


def _engine(spec: str) -> Engine:
    from ..emulator import load_engine

    try:
        return load_engine(spec)
    except (ValueError, TypeError) as exc:
        typer.echo(f"error: --engine: {exc}", err=True)
        raise typer.Exit(2) from None


def _store(credentials_file: Path | None) -> CredentialStore:
    from ..emulator.auth import CredentialStore

    try:
        if credentials_file:
            return CredentialStore.from_file(credentials_file)
        return CredentialStore.default()
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _first_key(store: CredentialStore) -> tuple[str, str]:
    keys = store.access_keys
    if not keys:
        typer.echo("error: the credentials file defines no access key pair", err=True)
        raise typer.Exit(2)
    return keys[0].access_key_id, keys[0].secret_access_key


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
