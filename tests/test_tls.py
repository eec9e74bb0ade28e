"""Which CAs the clients trust, step by step, against a real TLS server on 127.0.0.1.

The server is the emulator behind a TLS-terminating relay whose certificate comes from a CA
made here (``trustme``), so no public bundle trusts it. Each step of the order (``verify=``
or ``http_client``, ``AWS_CA_BUNDLE``, the profile's ``ca_bundle``, ``SSL_CERT_FILE``,
``SSL_CERT_DIR``, certifi) is proven both ways: the right CA at that step wins over a wrong
one at every later step, and a wrong one there loses to nothing later.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from claude_bedrock import AnthropicBedrock, APIConnectionError, AsyncAnthropicBedrock
from claude_bedrock.emulator import Emulator
from splice import splice

MODEL = "global.anthropic.claude-opus-4-6-v1"
REGION = "us-west-2"
SAID = '[emulator] You said: "Hello over TLS"'
MODES = ["sync", "async"]
_ENV = (
    "AWS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy",
    "all_proxy", "no_proxy", "AWS_ENDPOINT_URL", "ANTHROPIC_BEDROCK_BASE_URL",
    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_BEARER_TOKEN_BEDROCK",
)  # fmt: skip


class _Listener:
    """Accepts on 127.0.0.1 and serves each connection in a thread; counts connections."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._socket.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._socket.close()


class TLSRelay(_Listener):
    """HTTPS in front of the emulator, with a certificate signed by ``ca``."""

    def __init__(self, upstream: int, ca: trustme.CA) -> None:
        self._upstream = upstream
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(self._context)
        super().__init__()
        self.url = f"https://127.0.0.1:{self.port}"

    def _serve(self, conn: socket.socket) -> None:
        try:
            tls = self._context.wrap_socket(conn, server_side=True)
        except OSError:  # the client refused our certificate
            conn.close()
            return
        splice(tls, socket.create_connection(("127.0.0.1", self._upstream)))


class ConnectProxy(_Listener):
    """An HTTP proxy that tunnels ``CONNECT`` requests to 127.0.0.1 (and records them)."""

    def __init__(self) -> None:
        super().__init__()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tunnels: list[bytes] = []

    def _serve(self, conn: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                conn.close()
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0]
        self.tunnels.append(line)
        host, _, port = line.split(b" ")[1].decode().rpartition(":")
        assert host == "127.0.0.1"  # this proxy only ever reaches loopback
        upstream = socket.create_connection((host, int(port)))
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        splice(conn, upstream)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    """The CA that signed the server's certificate."""
    return trustme.CA()


@pytest.fixture(scope="module")
def relay(emulator: Emulator, ca: trustme.CA) -> Iterator[TLSRelay]:
    relay = TLSRelay(int(emulator.url.rsplit(":", 1)[1]), ca)
    yield relay
    relay.close()


@pytest.fixture
def right(ca: trustme.CA, tmp_path: Path) -> str:
    """A bundle holding the server's CA."""
    path = tmp_path / "right.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def wrong(tmp_path: Path) -> str:
    """A bundle holding another CA only."""
    path = tmp_path / "wrong.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return str(path)


def _hashed_dir(bundle: str, where: Path) -> str:
    """A directory in OpenSSL's ``<subject hash>.0`` layout (what SSL_CERT_DIR names)."""
    where.mkdir()
    digest = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", bundle],
                            capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    (where / f"{digest}.0").write_bytes(Path(bundle).read_bytes())
    return str(where)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No TLS, proxy or profile setting of the machine leaks in; AWS files absent."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    return tmp_path / "config"


def _profile(config: Path, emulator: Emulator, ca_bundle: str) -> None:
    config.write_text(
        f"[profile tls]\nca_bundle = {ca_bundle}\naws_access_key_id = {emulator.access_key}\n"
        f"aws_secret_access_key = {emulator.secret_key}\n"
    )


def call(mode: str, relay: TLSRelay, emulator: Emulator, **options: Any) -> str:
    """One InvokeModel through the relay: ``OK`` for the emulator's answer (the client got
    through TLS), else the reply's text, or the error's class and text."""
    if "aws_profile" not in options:
        options.update(aws_access_key=emulator.access_key, aws_secret_key=emulator.secret_key)
    options = {"aws_region": REGION, "base_url": relay.url, "max_retries": 0, **options}
    hello = [{"role": "user", "content": "Hello over TLS"}]
    request: dict[str, Any] = {"model": MODEL, "max_tokens": 64, "messages": hello}
    try:
        if mode == "sync":
            with AnthropicBedrock(**options) as client:
                return _ok(str(client.messages.create(**request).content[0].text))

        async def run() -> str:
            async with AsyncAnthropicBedrock(**options) as client:
                message = await client.messages.create(**request)
                return str(message.content[0].text)

        return _ok(asyncio.run(run()))
    except APIConnectionError as exc:
        return f"{type(exc).__name__}: {exc}"


def _ok(text: str) -> str:
    return "OK" if text.startswith(SAID) else text


def refused(outcome: str) -> bool:
    return outcome.startswith("APIConnectionError:") and "certificate was refused" in outcome


@pytest.mark.parametrize("mode", MODES)
def test_certifi_alone_refuses_a_private_ca_and_says_what_to_set(
    mode: str, relay: TLSRelay, emulator: Emulator
) -> None:
    before = relay.connections
    outcome = call(mode, relay, emulator, max_retries=2)
    assert refused(outcome), outcome
    assert "certifi" in outcome  # what was trusted
    for name in ("verify=", "AWS_CA_BUNDLE", "ca_bundle", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        assert name in outcome
    assert relay.connections == before + 1  # not retried: the same certificate would fail


@pytest.mark.parametrize("mode", MODES)
def test_verify_comes_first(
    mode: str, relay: TLSRelay, emulator: Emulator, right: str, wrong: str,
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, tmp_path: Path,
) -> None:  # fmt: skip
    monkeypatch.setenv("AWS_CA_BUNDLE", wrong)
    monkeypatch.setenv("SSL_CERT_FILE", wrong)
    assert call(mode, relay, emulator, verify=right) == "OK"
    assert call(mode, relay, emulator, verify=_hashed_dir(right, tmp_path / "d")) == "OK"
    assert call(mode, relay, emulator, verify=ssl.create_default_context(cafile=right)) == "OK"
    assert call(mode, relay, emulator, verify=False) == "OK"
    monkeypatch.setenv("AWS_CA_BUNDLE", right)
    monkeypatch.setenv("SSL_CERT_FILE", right)
    outcome = call(mode, relay, emulator, verify=wrong)
    assert refused(outcome) and f"verify={wrong!r}" in outcome, outcome


@pytest.mark.parametrize("mode", MODES)
def test_a_users_http_client_decides_for_itself(
    mode: str, relay: TLSRelay, emulator: Emulator, right: str, wrong: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("AWS_CA_BUNDLE", wrong)
    theirs = ssl.create_default_context(cafile=right)
    http: httpx.Client | httpx.AsyncClient
    http = httpx.Client(verify=theirs) if mode == "sync" else httpx.AsyncClient(verify=theirs)
    assert call(mode, relay, emulator, http_client=http) == "OK"
    monkeypatch.setenv("AWS_CA_BUNDLE", right)  # ours, not the http_client's business
    http = httpx.Client() if mode == "sync" else httpx.AsyncClient()  # certifi
    outcome = call(mode, relay, emulator, http_client=http)
    assert refused(outcome) and "http_client" in outcome, outcome


@pytest.mark.parametrize("mode", MODES)
def test_aws_ca_bundle_before_the_profile_and_ssl_variables(
    mode: str, relay: TLSRelay, emulator: Emulator, right: str, wrong: str,
    monkeypatch: pytest.MonkeyPatch, clean_env: Path,
) -> None:  # fmt: skip
    _profile(clean_env, emulator, wrong)
    monkeypatch.setenv("SSL_CERT_FILE", wrong)
    monkeypatch.setenv("AWS_CA_BUNDLE", right)
    assert call(mode, relay, emulator, aws_profile="tls") == "OK"
    _profile(clean_env, emulator, right)
    monkeypatch.setenv("SSL_CERT_FILE", right)
    monkeypatch.setenv("AWS_CA_BUNDLE", wrong)
    outcome = call(mode, relay, emulator, aws_profile="tls")
    assert refused(outcome) and "AWS_CA_BUNDLE=" in outcome, outcome


@pytest.mark.parametrize("mode", MODES)
def test_the_profiles_ca_bundle_before_ssl_cert_file(
    mode: str, relay: TLSRelay, emulator: Emulator, right: str, wrong: str,
    monkeypatch: pytest.MonkeyPatch, clean_env: Path,
) -> None:  # fmt: skip
    monkeypatch.setenv("SSL_CERT_FILE", wrong)
    _profile(clean_env, emulator, right)
    assert call(mode, relay, emulator, aws_profile="tls") == "OK"
    monkeypatch.setenv("AWS_PROFILE", "tls")  # the profile selected by the environment
    assert call(mode, relay, emulator, aws_profile="tls") == "OK"
    monkeypatch.setenv("SSL_CERT_FILE", right)
    _profile(clean_env, emulator, wrong)
    outcome = call(mode, relay, emulator, aws_profile="tls")
    assert refused(outcome) and "of the AWS profile" in outcome, outcome


@pytest.mark.parametrize("mode", MODES)
def test_ssl_cert_file_then_ssl_cert_dir(
    mode: str, relay: TLSRelay, emulator: Emulator, right: str, wrong: str,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:  # fmt: skip
    monkeypatch.setenv("SSL_CERT_DIR", _hashed_dir(wrong, tmp_path / "wrong"))
    monkeypatch.setenv("SSL_CERT_FILE", right)
    assert call(mode, relay, emulator) == "OK"
    monkeypatch.setenv("SSL_CERT_DIR", _hashed_dir(right, tmp_path / "right"))
    monkeypatch.setenv("SSL_CERT_FILE", wrong)
    outcome = call(mode, relay, emulator)
    assert refused(outcome) and "SSL_CERT_FILE=" in outcome, outcome
    monkeypatch.delenv("SSL_CERT_FILE")
    assert call(mode, relay, emulator) == "OK"


@pytest.mark.parametrize("mode", MODES)
def test_through_a_proxy_the_same_trust(
    mode: str, relay: TLSRelay, emulator: Emulator, right: str, wrong: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    proxy = ConnectProxy()
    try:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("AWS_CA_BUNDLE", right)
        assert call(mode, relay, emulator) == "OK"
        assert proxy.tunnels == [f"CONNECT 127.0.0.1:{relay.port} HTTP/1.1".encode()]
        monkeypatch.setenv("AWS_CA_BUNDLE", wrong)
        outcome = call(mode, relay, emulator)
        assert refused(outcome) and "AWS_CA_BUNDLE=" in outcome, outcome
        assert len(proxy.tunnels) == 2
    finally:
        proxy.close()


def test_an_unreadable_bundle_is_named(
    relay: TLSRelay, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = str(tmp_path / "missing.pem")
    monkeypatch.setenv("AWS_CA_BUNDLE", missing)
    outcome = call("sync", relay, emulator, max_retries=2)
    assert outcome.startswith("APIConnectionError:") and f"AWS_CA_BUNDLE={missing!r}" in outcome


def test_verify_with_http_client_is_a_contradiction(right: str) -> None:
    with pytest.raises(ValueError, match="verify="):
        AnthropicBedrock(api_key="k", http_client=httpx.Client(), verify=right)


_SCRIPT = """
import sys
from claude_bedrock import AnthropicBedrock
client = AnthropicBedrock(aws_access_key=sys.argv[2], aws_secret_key=sys.argv[3],
                          aws_region="us-west-2", base_url=sys.argv[1], max_retries=0)
message = client.messages.create(model=sys.argv[4], max_tokens=64,
                                 messages=[{"role": "user", "content": "Hello over TLS"}])
print(message.content[0].text.startswith("[emulator]"), "botocore" in sys.modules)
"""


def _fresh_process(relay: TLSRelay, emulator: Emulator, **env: str) -> str:
    args = [sys.executable, "-c", _SCRIPT, relay.url, emulator.access_key, emulator.secret_key]
    done = subprocess.run([*args, MODEL], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_botocore_is_imported_only_to_read_a_profile(
    relay: TLSRelay, emulator: Emulator, right: str, clean_env: Path
) -> None:
    assert _fresh_process(relay, emulator, AWS_CA_BUNDLE=right) == "True False"
    assert _fresh_process(relay, emulator, SSL_CERT_FILE=right) == "True False"  # no AWS files
    clean_env.write_text("[default]\n")  # a profile could name a ca_bundle: read it
    assert _fresh_process(relay, emulator, SSL_CERT_FILE=right) == "True True"
