"""``Emulator(host=...)`` off loopback follows the rule of ``serve --host``: refused with the
public example keys unless the caller gives keys of their own or ``allow_remote=True``.

Nothing here listens off loopback: a refusal is raised before anything binds, and consent
is shown with 192.0.2.1 (RFC 5737 TEST-NET-1, assigned to no host), which gets past the
check and then fails to bind an address this machine does not have.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator.auth import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY

DOC_ADDRESS = "192.0.2.1"  # RFC 5737 TEST-NET-1: never this machine's
#: The Python spelling of each CLI option in the refusal.
_SPELLINGS = {
    "host='0.0.0.0'": "--host 0.0.0.0",
    "host='127.0.0.1'": "--host 127.0.0.1",
    "credentials_file": "--credentials-file",
    "allow_remote=True": "--allow-remote",
}


def test_a_non_loopback_host_is_refused_in_the_clis_words(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as caught:
        Emulator(host="0.0.0.0")
    serve = [sys.executable, "-m", "claude_bedrock", "serve", "--host", "0.0.0.0",
             "--port", "0", "--no-embedded-s3"]  # fmt: skip
    cli = subprocess.run(serve, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert cli.returncode == 2, cli.stderr
    said = str(caught.value)
    for python, option in _SPELLINGS.items():
        assert python in said
        said = said.replace(python, option)
    assert f"error: {said}" == cli.stderr.strip()


def test_a_credentials_file_holding_the_example_keys_does_not_count(tmp_path: Path) -> None:
    creds = tmp_path / "credentials"
    creds.write_text(f"[default]\naws_access_key_id = {DEFAULT_ACCESS_KEY}\n"
                     f"aws_secret_access_key = {DEFAULT_SECRET_KEY}\n")  # fmt: skip
    with pytest.raises(ValueError, match="still holds the public example keys"):
        Emulator(host="0.0.0.0", credentials_file=creds)


@pytest.mark.parametrize("consent", ["allow_remote", "own-credentials"])
def test_consent_passes_the_check_and_goes_on_to_bind(tmp_path: Path, consent: str) -> None:
    creds = tmp_path / "team-credentials"
    creds.write_text("[team]\naws_access_key_id = AKIATEAMKEY000000001\n"
                     "aws_secret_access_key = a secret of our own\n")  # fmt: skip
    if consent == "allow_remote":
        emulator = Emulator(host=DOC_ADDRESS, allow_remote=True)
    else:
        emulator = Emulator(host=DOC_ADDRESS, credentials_file=creds)
    with pytest.raises(RuntimeError, match="failed to start") as caught:
        emulator.start()  # past the check: the bind itself fails (not this machine's)
    assert isinstance(caught.value.__cause__, OSError)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_loopback_needs_no_consent(host: str) -> None:
    assert Emulator(host=host).host == host
