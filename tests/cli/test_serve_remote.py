"""``serve --host`` off loopback (issue 17, item 8): refused with the public example keys
unless the user gives keys of their own or says ``--allow-remote``.

No test here binds, or sends anything to, a non-loopback address. A refusal is decided
before anything binds (the process exits 2 without its "listening on" line). The accepted
paths are shown with 192.0.2.1, an address of TEST-NET-1 (RFC 5737, reserved for
documentation, assigned to no host): the emulator gets past the check and then fails to
bind an address this machine does not have (exit 3), which is as far as an honest test can
go without listening off loopback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import bare_env, run

from claude_bedrock.cli.serve_cmd import is_loopback
from claude_bedrock.emulator.auth import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY

DOC_ADDRESS = "192.0.2.1"  # RFC 5737 TEST-NET-1: never this machine's
_NO_S3 = ["--port", "0", "--no-embedded-s3"]


def _own_keys(tmp_path: Path) -> Path:
    creds = tmp_path / "team-credentials"
    creds.write_text("[team]\naws_access_key_id = AKIATEAMKEY000000001\n"
                     "aws_secret_access_key = a secret of our own\n")  # fmt: skip
    return creds


@pytest.mark.parametrize("host", ["0.0.0.0", "::", DOC_ADDRESS])
def test_a_non_loopback_host_with_the_default_keys_is_refused_before_binding(
    tmp_path: Path, host: str
) -> None:
    result = run(["serve", "--host", host, *_NO_S3], bare_env(tmp_path), timeout=60)
    assert result.returncode == 2, result.stderr
    assert "listening on" not in result.stdout
    message = result.stderr
    assert f"--host {host}" in message and "public documentation examples" in message
    assert "--credentials-file" in message and "--allow-remote" in message
    assert "Traceback" not in message


def test_a_credentials_file_holding_the_example_keys_does_not_count(tmp_path: Path) -> None:
    creds = tmp_path / "credentials"
    creds.write_text(f"[default]\naws_access_key_id = {DEFAULT_ACCESS_KEY}\n"
                     f"aws_secret_access_key = {DEFAULT_SECRET_KEY}\n")  # fmt: skip
    result = run(["serve", "--host", "0.0.0.0", "--credentials-file", str(creds), *_NO_S3],
                 bare_env(tmp_path), timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert "still holds the public example keys" in result.stderr


@pytest.mark.parametrize("consent", ["allow-remote", "own-credentials"])
def test_consent_passes_the_check_and_goes_on_to_bind(tmp_path: Path, consent: str) -> None:
    extra = (
        ["--allow-remote"]
        if consent == "allow-remote"
        else ["--credentials-file", str(_own_keys(tmp_path))]
    )
    result = run(["serve", "--host", DOC_ADDRESS, *_NO_S3, *extra], bare_env(tmp_path), timeout=60)
    # Past the check: the bind itself fails (the address is not this machine's), and says so.
    assert result.returncode == 3, result.stderr
    assert f"error: cannot listen on {DOC_ADDRESS}:0" in result.stderr
    assert "public documentation examples" not in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("10.0.0.1", False),
        ("my-host.example", False),  # names are not resolved: remote unless "localhost"
    ],
)
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
