"""Whether the emulator may listen off loopback: one rule for ``serve --host`` and
``Emulator(host=...)``.

Off loopback the emulator answers whoever reaches it, and its default keys are AWS's public
documentation examples; so a non-loopback address needs keys of one's own (a credentials
file without those examples) or an explicit consent (``--allow-remote``,
``allow_remote=True``). The refusal is decided before anything binds, and worded the same
for both, each in its own spelling of the options (:data:`CLI`, :data:`PYTHON`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Final

from .auth import DEFAULT_ACCESS_KEY, DEFAULT_API_KEY, CredentialStore

__all__ = ["CLI", "PYTHON", "Spelling", "has_public_keys", "is_loopback", "remote_refusal"]


@dataclass(frozen=True, slots=True)
class Spelling:
    """How an interface names the address, the credentials file and the consent."""

    host: str  # a format string taking the address
    credentials_file: str
    allow_remote: str


CLI: Final = Spelling("--host {}", "--credentials-file", "--allow-remote")
PYTHON: Final = Spelling("host={!r}", "credentials_file", "allow_remote=True")


def is_loopback(host: str) -> bool:
    """Whether ``host`` keeps the emulator on this machine: a loopback address or
    ``localhost``. Any other name counts as remote (it is not resolved: what it resolves
    to may change, and "" or a wildcard means every interface)."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def has_public_keys(store: CredentialStore) -> bool:
    """Whether ``store`` still accepts one of the public example keys."""
    return any(key.access_key_id == DEFAULT_ACCESS_KEY for key in store.access_keys) or any(
        key.token == DEFAULT_API_KEY for key in store.api_keys
    )


def remote_refusal(
    host: str,
    store: CredentialStore,
    credentials_file: bool,
    allow_remote: bool,
    spelling: Spelling = CLI,
) -> str | None:
    """Why serving on ``host`` is refused (None: it is not), in ``spelling``'s words."""
    if allow_remote or is_loopback(host):
        return None
    if credentials_file and not has_public_keys(store):
        return None
    why = (
        "the credentials file still holds the public example keys"
        if credentials_file
        else "the default keys are public documentation examples"
    )
    return (
        f"{spelling.host.format(host)} would serve every client that can reach this machine, "
        f"and {why}. Keep {spelling.host.format('127.0.0.1')}, or give "
        f"{spelling.credentials_file} with keys of your own, or add {spelling.allow_remote} "
        "if that is really what you want."
    )
