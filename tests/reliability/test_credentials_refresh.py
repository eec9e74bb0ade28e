"""Credentials that expire mid-run are refreshed by botocore without failing a call.

Real parts only: an AWS config profile whose ``credential_process`` hands out short-lived
session credentials (a new key pair each second, valid a little longer), and an emulator
that accepts exactly those keys until their expiry, as STS credentials behave. botocore
wraps them in ``RefreshableCredentials``; the client asks for them on every attempt.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from faultkit import FULL, ask

from claude_bedrock import AnthropicBedrock, AsyncAnthropicBedrock, PermissionDeniedError
from claude_bedrock.emulator import Emulator

PERIOD = 1.0  # a new key pair each second, announced to expire 0.5 to 1.5 s after it is
GRACE = 1.5  # handed out (never an already expired one), and refused 1.5 s after that: a
#: signed call has 2 s at least to reach the emulator (it was 1 s; on a busy machine the
#: hand-out, the signing and the emulator's thread all wait for a core)
KEYS = 40  # the calls go on until three keys were handed out, within KEYS periods
ROTATIONS = 3


def _keep_calling(plan: dict, log: Path) -> bool:
    """Whether to make another call: until three keys were handed out and the first one has
    expired (a condition, not a fixed 3.5 s: the emulator's start under load ate most of
    that), while the hand-out has keys left."""
    first_refused = plan["t0"] + 1.5 * PERIOD + GRACE
    handed = _handed_out(log) if log.exists() else []
    if len(set(handed)) >= ROTATIONS and time.time() > first_refused:
        return False
    # The bound is the hand-out's supply of keys, not a clock: past the last one it hands
    # out the same key again, so the calls would go on without rotating.
    assert max(handed, default=0) < KEYS - 2, "the key supply ran out before three rotations"
    return True


HAND_OUT = """
import json, sys, time
from datetime import datetime, timezone
plan = json.load(open(sys.argv[1]))
index = min(int((time.time() - plan["t0"]) // plan["period"]), len(plan["keys"]) - 1)
key = plan["keys"][index]
expires = plan["t0"] + (index + 1.5) * plan["period"]
with open(sys.argv[2], "a") as log:
    log.write(f"{index}\\n")
print(json.dumps({"Version": 1, "AccessKeyId": key["id"], "SecretAccessKey": key["secret"],
                  "SessionToken": key["token"],
                  "Expiration": datetime.fromtimestamp(expires, timezone.utc).isoformat()}))
"""


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def rotating(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Emulator, Path, dict]:
    """(emulator accepting the rotating keys, the hand-out log, the plan)."""
    t0 = time.time()
    keys = [
        {"id": f"ASIAROTATING{i:08d}", "secret": f"rotating/secret/{i:04d}/abcdefghijklmn",
         "token": f"rotating-session-token-{i:04d}-" + "x" * 40}
        for i in range(KEYS)
    ]  # fmt: skip
    plan = {"t0": t0, "period": PERIOD, "keys": keys}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    (tmp_path / "hand_out.py").write_text(HAND_OUT)
    accepted = "".join(
        f"[key{i}]\naws_access_key_id = {k['id']}\naws_secret_access_key = {k['secret']}\n"
        f"aws_session_token = {k['token']}\n"
        f"aws_session_expiration = {_iso(t0 + (i + 1.5) * PERIOD + GRACE)}\n\n"
        for i, k in enumerate(keys)
    )
    (tmp_path / "accepted.ini").write_text(accepted)
    log = tmp_path / "handed_out.log"
    command = f"{sys.executable} {tmp_path / 'hand_out.py'} {tmp_path / 'plan.json'} {log}"
    (tmp_path / "config").write_text(f"[profile rotating]\ncredential_process = {command}\n")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_BEARER_TOKEN_BEDROCK", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with Emulator(credentials_file=tmp_path / "accepted.ini") as emulator:
        yield emulator, log, plan


def _handed_out(log: Path) -> list[int]:
    return [int(line) for line in log.read_text().split()]


def _expired_key_is_refused(emulator: Emulator, plan: dict) -> None:
    first = plan["keys"][0]
    stale = AnthropicBedrock(aws_access_key=first["id"], aws_secret_key=first["secret"],
                             aws_session_token=first["token"], aws_region="us-west-2",
                             base_url=emulator.url, max_retries=0)  # fmt: skip
    with stale, pytest.raises(PermissionDeniedError) as caught:
        stale.messages.create(**ask())
    assert caught.value.error_type == "ExpiredTokenException"


def test_sync_calls_survive_expiring_credentials(rotating: tuple[Emulator, Path, dict]) -> None:
    emulator, log, plan = rotating
    texts = []
    with AnthropicBedrock(aws_profile="rotating", aws_region="us-west-2",
                          base_url=emulator.url, max_retries=0) as client:  # fmt: skip
        while _keep_calling(plan, log):
            texts.append(client.messages.create(**ask()).content[0].text)
    assert texts and all(t.startswith(FULL) for t in texts)  # not one call failed
    handed = _handed_out(log)
    assert len(set(handed)) >= ROTATIONS and handed == sorted(handed)  # rotated, in order
    _expired_key_is_refused(emulator, plan)  # the first keys did expire during the run


def test_async_calls_survive_expiring_credentials(rotating: tuple[Emulator, Path, dict]) -> None:
    emulator, log, plan = rotating

    async def run() -> list[str]:
        texts = []
        client = AsyncAnthropicBedrock(aws_profile="rotating", aws_region="us-west-2",
                                       base_url=emulator.url, max_retries=0)  # fmt: skip
        async with client:
            while _keep_calling(plan, log):
                batch = [client.messages.create(**ask()) for _ in range(3)]
                texts += [m.content[0].text for m in await asyncio.gather(*batch)]
        return texts

    texts = asyncio.run(run())
    assert texts and all(t.startswith(FULL) for t in texts)
    assert len(set(_handed_out(log))) >= ROTATIONS
    _expired_key_is_refused(emulator, plan)
