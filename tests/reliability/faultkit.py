"""Helpers of the reliability tests: clients on a fault-injecting emulator, attempt counts,
open file descriptors. (A plain module beside the tests, imported by name.)"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from claude_bedrock import AnthropicBedrock, APIError, AsyncAnthropicBedrock
from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator.auth import DEFAULT_ACCESS_KEY, DEFAULT_API_KEY, DEFAULT_SECRET_KEY

MODEL = "global.anthropic.claude-opus-4-6-v1"
REGION = "us-west-2"
HELLO = [{"role": "user", "content": "Hello, world emulator:tokens=30"}]
FAULT = "x-emulator-fault"
KEY = "x-emulator-fault-key"


def ask(text: str = "Hello, world emulator:tokens=30", **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 256,
            "messages": [{"role": "user", "content": text}], **extra}  # fmt: skip


def fault(spec: str) -> tuple[dict[str, str], str]:
    """Headers asking for ``spec`` with a fresh key, and the key (to count attempts by)."""
    key = uuid.uuid4().hex
    return {FAULT: spec, KEY: key}, key


def attempts(emulator: Emulator | Remote, key: str) -> int:
    """How many requests reached the emulator with this fault key (one per attempt)."""
    report = httpx.get(f"{emulator.url}/_emulator/faults", params={"key": key}).json()
    return int(report["key"]["requests"])


def fault_report(url: str) -> dict[str, Any]:
    report: dict[str, Any] = httpx.get(f"{url}/_emulator/faults").json()
    return report


def sync_client(emulator: Emulator | Remote, **options: Any) -> AnthropicBedrock:
    return AnthropicBedrock(
        aws_access_key=emulator.access_key, aws_secret_key=emulator.secret_key,
        aws_region=REGION, base_url=emulator.url, **options,
    )  # fmt: skip


def async_client(emulator: Emulator | Remote, **options: Any) -> AsyncAnthropicBedrock:
    return AsyncAnthropicBedrock(
        aws_access_key=emulator.access_key, aws_secret_key=emulator.secret_key,
        aws_region=REGION, base_url=emulator.url, **options,
    )  # fmt: skip


@dataclass(frozen=True)
class Remote:
    """An emulator running elsewhere, with the default credentials (an Emulator look-alike)."""

    url: str
    access_key: str = DEFAULT_ACCESS_KEY
    secret_key: str = field(default=DEFAULT_SECRET_KEY, repr=False)  # reprs land in reports
    api_key: str = field(default=DEFAULT_API_KEY, repr=False)


@contextmanager
def faulty_process(spec: str, pace: float | None = None) -> Iterator[Remote]:
    """An emulator with ``faults=spec`` in a subprocess (its sockets are not ours to count)."""
    script = Path(__file__).with_name("serve_faults.py")
    command = [sys.executable, str(script), spec] + ([str(pace)] if pace else [])
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        match = re.search(r"listening on (http://\S+)", process.stdout.readline())
        assert match, "the emulator subprocess did not start"
        yield Remote(match.group(1))
    finally:
        process.terminate()
        process.wait(30)
        if process.stdout is not None:
            process.stdout.close()


def files() -> int:
    """Open file descriptors of this process that are not sockets.

    With :func:`sockets_to`, what a leak of ours would hold. A process-wide count: only
    meaningful in a process that runs nothing but the code under test (``load_client.py``);
    in pytest's process it also moves with whatever other fixtures' threads open or close.
    """
    count = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            if not os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                count += 1
        except OSError:  # closed between listdir and readlink
            pass
    return count


#: The TCP state (``/proc/net/tcp``'s ``st``) of a socket whose peer closed its end.
CLOSE_WAIT = "08"


def sockets_to(url: str, state: str | None = None) -> int:
    """This process's TCP sockets connected to ``url``'s port (Linux ``/proc/net/tcp*``):
    a connection we leaked to the emulator under test, and nothing else. ``state``: only
    those in that TCP state (:data:`CLOSE_WAIT`: the server has closed them)."""
    port = f"{httpx.URL(url).port:04X}"
    inodes = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[2].rsplit(":", 1)[1] == port and fields[9] in inodes:
                count += state is None or fields[3] == state
    return count


def until(condition: Callable[[], bool], what: str, bound: float = 30.0) -> None:
    """Wait for a state another thread or process reaches (a generous bound, not a timing
    check: a fixed sleep is too short on a busy machine and too long on an idle one)."""
    deadline = time.monotonic() + bound
    while not condition():
        assert time.monotonic() < deadline, f"not reached in {bound} s: {what}"
        time.sleep(0.01)


async def auntil(condition: Callable[[], bool], what: str, bound: float = 30.0) -> None:
    """:func:`until` inside an event loop (the loop keeps running meanwhile)."""
    deadline = time.monotonic() + bound
    while not condition():
        assert time.monotonic() < deadline, f"not reached in {bound} s: {what}"
        await asyncio.sleep(0.01)


# -- one call, sync or async, and how it ended ------------------------------------------------

MODES = ["sync", "async"]


class Outcome:
    """How one streamed call ended: the final text, or the error and the text before it."""

    def __init__(self) -> None:
        self.text: str | None = None
        self.error: APIError | None = None
        self.received: list[str] = []
        self.snapshot: str | None = None
        self.opened = False


def stream(
    mode: str, emulator: Emulator | Remote, headers: dict[str, str], **options: Any
) -> Outcome:
    """``messages.stream`` through the chosen client, reading ``text_stream`` to the end."""
    if mode == "async":
        return asyncio.run(_astream(emulator, headers, **options))
    outcome = Outcome()
    with sync_client(emulator, **options) as client:
        try:
            with client.messages.stream(**ask(extra_headers=headers)) as s:
                outcome.opened = True
                try:
                    for text in s.text_stream:
                        outcome.received.append(text)
                finally:
                    outcome.snapshot = _snapshot_text(s)
                outcome.text = s.get_final_text()
        except APIError as exc:
            outcome.error = exc
    return outcome


async def _astream(emulator: Emulator | Remote, headers: dict[str, str], **options: Any) -> Outcome:
    outcome = Outcome()
    async with async_client(emulator, **options) as client:
        try:
            async with client.messages.stream(**ask(extra_headers=headers)) as s:
                outcome.opened = True
                try:
                    async for text in s.text_stream:
                        outcome.received.append(text)
                finally:
                    outcome.snapshot = _snapshot_text(s)
                outcome.text = await s.get_final_text()
        except APIError as exc:
            outcome.error = exc
    return outcome


def _snapshot_text(s: Any) -> str | None:
    try:
        return "".join(b.text for b in s.current_message_snapshot.content)
    except (APIError, RuntimeError):
        return None


def create(mode: str, emulator: Emulator | Remote, headers: dict[str, str], **options: Any) -> Any:
    """A plain ``messages.create``: the message, or the error it raised."""

    async def run() -> Any:
        async with async_client(emulator, **options) as client:
            return await client.messages.create(**ask(extra_headers=headers))

    try:
        if mode == "async":
            return asyncio.run(run())
        with sync_client(emulator, **options) as client:
            return client.messages.create(**ask(extra_headers=headers))
    except APIError as exc:
        return exc


FULL = '[emulator] You said: "Hello, world emulator:tokens=30"'
