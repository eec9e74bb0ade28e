"""``claude-bedrock serve`` as its own process, for tests that signal or kill it.

:func:`start_serve` starts it on a free port with a credentials file holding the test S3's
identity (one AWS identity for Bedrock and for S3, as on AWS), the given S3 endpoint for
the emulator's own writes and the given state directory (the invocation log spool), and
returns once it listens. Its stderr goes to a file, read with :meth:`Served.stderr`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from claude_bedrock.emulator.invocation_logging import ENV_ACCESS_KEY, ENV_ENDPOINT, ENV_SECRET_KEY
from s3server import S3Server

__all__ = ["Served", "start_serve"]


@dataclass
class Served:
    process: subprocess.Popen[str]
    url: str
    log: Path
    s3: S3Server

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def client(self, service: str) -> Any:
        """A boto3 client for this emulator (one attempt: a failure shows at once)."""
        return boto3.client(
            service, endpoint_url=self.url, aws_access_key_id=self.s3.access_key,
            aws_secret_access_key=self.s3.secret_key, region_name="us-east-1",
            config=Config(retries={"total_max_attempts": 1}, read_timeout=30),
        )  # fmt: skip

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(30)


def start_serve(s3: S3Server, s3_endpoint: str, state_dir: Path, work: Path) -> Served:
    work.mkdir(parents=True, exist_ok=True)
    credentials = work / "credentials"
    credentials.write_text(
        f"[default]\naws_access_key_id = {s3.access_key}\naws_secret_access_key = {s3.secret_key}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CLAUDE_BEDROCK_"))}
    env |= {ENV_ENDPOINT: s3_endpoint, ENV_ACCESS_KEY: s3.access_key,
            ENV_SECRET_KEY: s3.secret_key, "PYTHONUNBUFFERED": "1"}  # fmt: skip
    command = [sys.executable, "-m", "claude_bedrock", "serve", "--port", "0",
               "--no-embedded-s3", "--credentials-file", str(credentials),
               "--state-dir", str(state_dir), "--log-level", "info"]  # fmt: skip
    log = work / f"serve-{len(list(work.glob('serve-*.log')))}.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True,
                                   env=env)  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"listening on (http://\S+)", line)
    if match is None:
        process.kill()
        raise AssertionError(f"serve did not start: {line!r}\n{log.read_text()}")
    return Served(process, match.group(1), log, s3)
