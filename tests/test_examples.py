"""The runnable snippets the README shows still run (the emulator ones run in tests/cli)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_mock_transport_example_answers_from_its_handler() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "mock_transport.py")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hi"
