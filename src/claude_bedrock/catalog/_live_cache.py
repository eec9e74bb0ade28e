"""Where the account's live model lists are kept between runs, and how a run finds its own.

One file per account and Region: ``{cache}/models/{account}/{region}.json``, where
``{cache}`` is ``CLAUDE_BEDROCK_CACHE_DIR``, else ``$XDG_CACHE_HOME/claude-bedrock``, else
``~/.cache/claude-bedrock``. The account ID comes from the ARNs of the inference profiles
Bedrock returned (``arn:aws:bedrock:{region}:{account}:inference-profile/...``), so no extra
request (STS) is needed; an answer without profiles is filed under ``identity-{fingerprint}``.

A later run must find *its* account's file without asking AWS who it is. Each file records
the fingerprints of the identities that fetched it: a SHA-256 of the control-plane URL and a
label that is not a secret (``profile:NAME``, the access key ID, which AWS treats as a
public identifier, or a digest of a Bedrock API key; never the key or a secret). A run
whose fingerprint is not in any file of its Region finds nothing, and fetches.

Files are written atomically (a temporary file in the same directory, then
``os.replace``), so a reader never sees half a file and two writers never mix theirs.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "CACHE_DIR_ENV",
    "CacheEntry",
    "cache_dir",
    "fingerprint",
    "find",
    "read",
    "write",
]

CACHE_DIR_ENV = "CLAUDE_BEDROCK_CACHE_DIR"
#: Bumped when the file's layout changes; files of another version are ignored.
FORMAT = 1
_SUBDIR = "models"


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One cached file: its path, when it was fetched, and its JSON document."""

    path: Path
    fetched_at: datetime
    document: dict[str, Any]

    def age_seconds(self, now: datetime | None = None) -> float:
        return ((now or datetime.now(UTC)) - self.fetched_at).total_seconds()


def cache_dir() -> Path:
    """The user's cache directory for claude-bedrock (not created here)."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "claude-bedrock"


def fingerprint(control_url: str, label: str) -> str:
    """A stable, non-secret name for "this identity on this endpoint"."""
    return hashlib.sha256(f"{control_url}\n{label}".encode()).hexdigest()[:32]


def api_key_label(api_key: str) -> str:
    """A label for a Bedrock API key: a digest, never the key itself."""
    return "api-key:" + hashlib.sha256(api_key.encode()).hexdigest()[:16]


def path_for(account: str, region: str, root: Path | None = None) -> Path:
    return (root or cache_dir()) / _SUBDIR / _safe(account) / f"{_safe(region)}.json"


def write(document: dict[str, Any], account: str, region: str, ident: str) -> Path:
    """Write ``document`` for ``account`` and ``region``, remembering ``ident`` (and the
    identities an older file for the same account already knew). Atomic."""
    path = path_for(account, region)
    path.parent.mkdir(parents=True, exist_ok=True)
    known: list[str] = []
    old = read(path)
    if old is not None:
        known = [i for i in old.document.get("identities", []) if isinstance(i, str)]
    identities = list(dict.fromkeys([ident, *known]))
    payload = {**document, "format": FORMAT, "identities": identities}
    fd, tmp = tempfile.mkstemp(prefix=".models-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=1, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read(path: Path) -> CacheEntry | None:
    """The cached file at ``path``; None when missing, unreadable, or of another format."""
    try:
        with path.open(encoding="utf-8") as fh:
            document = json.load(fh)
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            return None
        fetched = datetime.fromisoformat(str(document["fetched_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if fetched.tzinfo is None:
        fetched = fetched.replace(tzinfo=UTC)
    return CacheEntry(path=path, fetched_at=fetched, document=document)


def find(region: str, ident: str, root: Path | None = None) -> CacheEntry | None:
    """The newest file for ``region`` that identity ``ident`` fetched (or shares an
    account with); None when there is none."""
    base = (root or cache_dir()) / _SUBDIR
    try:
        candidates = sorted(base.glob(f"*/{_safe(region)}.json"))
    except OSError:
        return None
    found = [
        entry
        for entry in map(read, candidates)
        if entry is not None and ident in entry.document.get("identities", [])
    ]
    return max(found, key=lambda e: e.fetched_at, default=None)


def _safe(name: str) -> str:
    """A path component from an account ID or Region (nothing that climbs directories)."""
    cleaned = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    return cleaned or "_"
