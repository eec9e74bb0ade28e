"""pytest plugin: no secret may appear in any log record, warning, failure report or captured
output of the whole test session.

Registered from ``tests/conftest.py`` (``pytest_plugins = ["_secret_scan"]``) or with
``-p _secret_scan``. For the session it turns the ``claude_bedrock`` loggers up to DEBUG, so
the client's debug mode (every request, its headers, timings, retries) and the emulator's
request log run under every test, and it reads:

* every log record, formatted with its traceback, as it is emitted;
* every test's failure report and captured stdout, stderr and log sections;
* every warning (unraisable exceptions and exceptions in threads arrive as warnings).

It looks for the secrets the suite uses (the emulator's default secret key and API key,
plus any a test registers with :func:`register_secret`) and for anything shaped like a
SigV4 signature or a session token header. Findings fail the session and are listed, with
the secret itself masked. Exceptions that a test catches with ``pytest.raises`` are checked
by the tests that raise them (``tests/reliability/test_no_secrets.py``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import pytest

from claude_bedrock.emulator.auth import DEFAULT_API_KEY, DEFAULT_SECRET_KEY

__all__ = ["SecretScanner", "register_secret", "scanner"]

_PATTERNS = (
    re.compile(r"Signature=[0-9a-f]{64}"),
    re.compile(r"(?i)x-amz-signature=[0-9a-f]{64}"),
    re.compile(r"(?i)x-amz-security-token[\"']?\s*[:=]\s*[\"']?(?!<redacted>)[A-Za-z0-9/+=]{16,}"),
)


@dataclass
class Finding:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


class SecretScanner:
    """Collects findings; tests may add the secrets they use."""

    def __init__(self) -> None:
        self.secrets: set[str] = {DEFAULT_SECRET_KEY, DEFAULT_API_KEY}
        self.findings: list[Finding] = []
        self.scanned = 0
        self.current = "session"

    def add(self, secret: str) -> None:
        if len(secret) >= 8:
            self.secrets.add(secret)

    def scan(self, text: str, where: str) -> None:
        self.scanned += 1
        for secret in self.secrets:
            if secret in text:
                self.findings.append(
                    Finding(where, f"secret {secret[:4]}… in {_around(text, secret)!r}")
                )
        for pattern in _PATTERNS:
            match = pattern.search(text)
            if match:
                self.findings.append(Finding(where, f"{match.group(0)[:24]}… ({pattern.pattern})"))


def _around(text: str, secret: str) -> str:
    at = text.index(secret)
    return text[max(0, at - 60) : at] + "<SECRET>" + text[at + len(secret) : at + len(secret) + 40]


scanner = SecretScanner()


def register_secret(secret: str) -> None:
    """Have the session-wide scan look for ``secret`` too (call it where a test makes one)."""
    scanner.add(secret)


class _Handler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a broken record is the logging module's problem, not a leak
            return
        scanner.scan(text, f"{scanner.current} (log {record.name})")


_handler = _Handler()
_levels: dict[str, int] = {}


def pytest_configure(config: pytest.Config) -> None:
    logging.getLogger().addHandler(_handler)
    for name in ("claude_bedrock",):
        logger = logging.getLogger(name)
        _levels[name] = logger.level
        logger.setLevel(logging.DEBUG)


def pytest_unconfigure(config: pytest.Config) -> None:
    logging.getLogger().removeHandler(_handler)
    for name, level in _levels.items():
        logging.getLogger(name).setLevel(level)


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    scanner.current = nodeid


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    where = f"{report.nodeid} ({report.when})"
    if report.longrepr is not None:
        scanner.scan(report.longreprtext, f"{where} failure report")
    for title, content in report.sections:
        scanner.scan(content, f"{where} {title}")


def pytest_warning_recorded(warning_message: Any, when: str, nodeid: str, location: Any) -> None:
    scanner.scan(str(warning_message.message), f"{nodeid or when} warning")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if scanner.findings and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if scanner.findings:
        terminalreporter.section("secrets found in logs or output", red=True)
        for finding in scanner.findings[:50]:
            terminalreporter.line(str(finding))
    else:
        terminalreporter.line(
            f"secret scan: {scanner.scanned} log records, reports and outputs checked, "
            f"no secret found ({len(scanner.secrets)} secrets, {len(_PATTERNS)} patterns)"
        )
